// rewire/core/range.hpp - allowed values of a parameter, stated once: what
// a check tests and what its message says ("a number in (0, 1]").
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

namespace rewire {

/// A number's allowed interval; either end may be open or infinite.
struct Range {
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
  bool lo_open = false, hi_open = false;

  /// Finite and inside the interval.
  bool contains(double v) const {
    return std::isfinite(v) && (lo_open ? v > lo : v >= lo) && (hi_open ? v < hi : v <= hi);
  }
  /// "a finite number", "a finite number >= 0", "a number in (0, 1]".
  std::string describe() const;
};

/// An integer's allowed interval (both ends included).
struct IntRange {
  std::int64_t lo = 0, hi = std::numeric_limits<std::int64_t>::max();

  bool contains(std::int64_t v) const { return v >= lo && v <= hi; }
  /// "an integer in [1, 100000]".
  std::string describe() const { return "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]"; }
};

/// The shortest decimal that reads back as `v` ("0.0005", "2", "nan",
/// "-inf"): how a value appears in messages.
inline std::string shortest_text(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buffer[64];
  return std::string(buffer, std::to_chars(buffer, buffer + sizeof buffer, v).ptr);
}

/// The same for a float (the precision it is stored in): 5e-4f is "0.0005".
inline std::string shortest_text(float v) {
  if (!std::isfinite(v)) return shortest_text(double(v));
  char buffer[64];
  return std::string(buffer, std::to_chars(buffer, buffer + sizeof buffer, v).ptr);
}

inline std::string Range::describe() const {
  const bool low = std::isfinite(lo), high = std::isfinite(hi);
  if (!low && !high) return "a finite number";
  if (!high) return std::string("a finite number ") + (lo_open ? "> " : ">= ") + shortest_text(lo);
  if (!low) return std::string("a finite number ") + (hi_open ? "< " : "<= ") + shortest_text(hi);
  return std::string("a number in ") + (lo_open ? "(" : "[") + shortest_text(lo) + ", " + shortest_text(hi) +
         (hi_open ? ")" : "]");
}

}  // namespace rewire
