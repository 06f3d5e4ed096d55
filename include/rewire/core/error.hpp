// rewire/core/error.hpp - how rewire reports misuse.
//
// Two kinds of checks:
//  - REWIRE_ASSERT: internal invariants and shapes inside hot kernels. Compiled
//    out with NDEBUG, overridable (define it before including rewire) exactly
//    like Eigen's eigen_assert.
//  - rewire::detail::require / require_*: validation of user-facing parameters.
//    Always on; throws std::invalid_argument with a message that names the
//    parameter and the allowed range.
//  - rewire::SpecError: a value of a specification (a study, a step) that is
//    not allowed, with the value's key path, so that a reader of the
//    specification's file can point at the line that holds it.
#pragma once

#include <rewire/core/range.hpp>
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

namespace rewire {

/// A value of a specification outside what is allowed. key() says where, as
/// a dotted path of the specification's fields ("arms[1].treatment[0].lr",
/// "measure.stress_levels[2]"); text() says what is wrong, with "{}"
/// standing for the key and "{path}" for another key of the same
/// specification ("{} = 0.5 repeats {measure.stress_levels[0]}"), so that a
/// front end can write every key in its own spelling (render). what() is
/// the text with the keys as they are.
class SpecError : public std::invalid_argument {
 public:
  SpecError(std::string key, std::string text)
      : std::invalid_argument("rewire: " + render_with(text, key, [](const std::string& k) { return k; })),
        key_(std::move(key)),
        text_(std::move(text)) {}

  const std::string& key() const noexcept { return key_; }
  const std::string& text() const noexcept { return text_; }

  /// The message with every key k written as name(k).
  template <class Name>
  std::string render(Name&& name) const {
    return render_with(text_, key_, name);
  }

  /// The same error seen from one level up: `prefix` ("arms[1]") in front of
  /// the key and of every key the text refers to.
  SpecError within(const std::string& prefix) const {
    const auto join = [&prefix](const std::string& k) {
      return k.empty() ? prefix : prefix + (k.front() == '[' ? "" : ".") + k;
    };
    std::string text;
    for (std::size_t i = 0; i < text_.size(); ++i) {
      const std::size_t close = text_[i] == '{' ? text_.find('}', i) : std::string::npos;
      if (close == std::string::npos || close == i + 1) {
        text += text_[i];
        continue;
      }
      text += "{" + join(text_.substr(i + 1, close - i - 1)) + "}";
      i = close;
    }
    return SpecError(join(key_), text);
  }

 private:
  template <class Name>
  static std::string render_with(const std::string& text, const std::string& key, Name&& name) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
      const std::size_t close = text[i] == '{' ? text.find('}', i) : std::string::npos;
      if (close == std::string::npos) {
        out += text[i];
        continue;
      }
      out += name(close == i + 1 ? key : text.substr(i + 1, close - i - 1));
      i = close;
    }
    return out;
  }

  std::string key_;
  std::string text_;
};

}  // namespace rewire

namespace rewire::detail {

/// Throws SpecError(key, text) unless `ok`.
inline void require_spec(bool ok, const std::string& key, const std::string& text) {
  if (!ok) throw SpecError(key, text);
}

/// Throws SpecError naming `key` unless `range` contains `value`.
inline void require_in(const Range& range, double value, const std::string& key) {
  if (!range.contains(value))
    throw SpecError(key, "{} = " + shortest_text(value) + " is outside the allowed range: " + range.describe());
}
inline void require_in(const Range& range, float value, const std::string& key) {
  if (!range.contains(double(value)))
    throw SpecError(key, "{} = " + shortest_text(value) + " is outside the allowed range: " + range.describe());
}
inline void require_in(const IntRange& range, std::int64_t value, const std::string& key) {
  if (!range.contains(value))
    throw SpecError(key, "{} = " + std::to_string(value) + " is outside the allowed range: " + range.describe());
}

/// Throws SpecError naming the list `key` unless its `count` of entries is in `range`.
inline void require_count(const IntRange& range, std::size_t count, const std::string& key) {
  if (range.contains(std::int64_t(count))) return;
  const std::string expected =
      range.lo == 0 ? "at most " + std::to_string(range.hi) : std::to_string(range.lo) + " to " + std::to_string(range.hi);
  throw SpecError(key, "{} has " + std::to_string(count) + " entries: expected " + expected);
}

/// The key of entry `i` of the list at `key`: indexed("arms", 1) == "arms[1]".
inline std::string indexed(const std::string& key, std::size_t i) { return key + "[" + std::to_string(i) + "]"; }

/// Runs `check`; a SpecError it throws is seen from `prefix` (SpecError::within),
/// and any other std::invalid_argument becomes a SpecError at `prefix`.
template <class Check>
void in_spec(const std::string& prefix, Check&& check) {
  try {
    check();
  } catch (const SpecError& e) {
    throw e.within(prefix);
  } catch (const std::invalid_argument& e) {
    std::string message = e.what();
    const std::string tag = "rewire: ";
    if (message.compare(0, tag.size(), tag) == 0) message.erase(0, tag.size());
    throw SpecError(prefix, "{}: " + message);
  }
}

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
