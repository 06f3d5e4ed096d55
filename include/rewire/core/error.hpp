// rewire/core/error.hpp - how rewire reports misuse.
//
// Two kinds of checks:
//  - REWIRE_ASSERT: internal invariants and shapes inside hot kernels. Compiled
//    out with NDEBUG, overridable (define it before including rewire) exactly
//    like Eigen's eigen_assert.
//  - rewire::detail::require / require_*: validation of user-facing parameters.
//    Always on; throws std::invalid_argument with a message that names the
//    parameter and the allowed range.
#pragma once

#include <rewire/core/types.hpp>

#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>

#ifndef REWIRE_ASSERT
#ifdef NDEBUG
#define REWIRE_ASSERT(cond) ((void)0)
#else
#include <cassert>
#define REWIRE_ASSERT(cond) assert(cond)
#endif
#endif

namespace rewire::detail {

/// Throws std::invalid_argument(message) unless `ok`.
inline void require(bool ok, const std::string& message) {
  if (!ok) throw std::invalid_argument("rewire: " + message);
}

/// The same for a literal: no std::string is built unless the check fails
/// (checks run on every training step).
inline void require(bool ok, const char* message) {
  if (!ok) throw std::invalid_argument(std::string("rewire: ") + message);
}

/// `value` must be finite and lie in [lo, hi].
inline void require_in_range(double value, double lo, double hi, const char* name) {
  if (!(std::isfinite(value) && value >= lo && value <= hi)) {
    std::ostringstream s;
    s << name << " = " << value << " is outside the allowed range [" << lo << ", " << hi << "]";
    require(false, s.str());
  }
}

/// `value` must be finite and > 0.
inline void require_positive(double value, const char* name) {
  if (!(std::isfinite(value) && value > 0)) {
    std::ostringstream s;
    s << name << " = " << value << " must be a finite number > 0";
    require(false, s.str());
  }
}

/// `value` must be finite and >= 0.
inline void require_non_negative(double value, const char* name) {
  if (!(std::isfinite(value) && value >= 0)) {
    std::ostringstream s;
    s << name << " = " << value << " must be a finite number >= 0";
    require(false, s.str());
  }
}

/// Two shapes must agree.
inline void require_shape(Eigen::Index rows, Eigen::Index cols, Eigen::Index want_rows,
                          Eigen::Index want_cols, const char* what) {
  if (rows != want_rows || cols != want_cols) {
    std::ostringstream s;
    s << what << " has shape " << rows << "x" << cols << ", expected " << want_rows << "x"
      << want_cols;
    require(false, s.str());
  }
}

}  // namespace rewire::detail
