// config/toml_reader.hpp - typed, range-checked reads from a toml++ tree, for
// config.cpp. Every failure throws ConfigError naming the source,
// line:column, the dotted key path and the allowed values, so that the
// schema code in config.cpp stays a plain list of keys and ranges.
#pragma once

#include "config/error.hpp"

#include <rewire/kernels/activation.hpp>
#include <rewire/prune/magnitude.hpp>

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace chronic_stress::detail {

using rewire::Activation;
using rewire::PruneScope;
using rewire::RegrowTies;

inline constexpr double kInf = std::numeric_limits<double>::infinity();

inline std::string num(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

/// Allowed values of a number, and how to say so.
struct Range {
  double lo, hi;
  bool lo_open, hi_open;
  bool contains(double v) const {
    return std::isfinite(v) && (lo_open ? v > lo : v >= lo) && (hi_open ? v < hi : v <= hi);
  }
  std::string describe() const {
    if (lo == -kInf && hi == kInf) return "a finite number";
    if (hi == kInf) return std::string("a finite number ") + (lo_open ? "> " : ">= ") + num(lo);
    return std::string("a number in ") + (lo_open ? "(" : "[") + num(lo) + ", " + num(hi) +
           (hi_open ? ")" : "]");
  }
};
inline constexpr Range kNonNegative{0, kInf, false, true};
inline constexpr Range kFraction{0, 1, false, false};        // [0, 1]
inline constexpr Range kSparsity{0, 1, false, true};         // [0, 1): 1 would remove every weight
inline constexpr Range kCap{0, 1, true, false};              // (0, 1]: 1 = no cap
inline constexpr Range kLearningRate{0, 1, true, false};     // (0, 1]
inline constexpr Range kPercent{0, 100, false, false};
inline constexpr Range kFinite{-kInf, kInf, true, true};

[[noreturn]] inline void fail(const std::string& source, const toml::node* node, const std::string& message) {
  std::string where = source;
  if (node && node->source().begin.line > 0)
    where += ":" + std::to_string(node->source().begin.line) + ":" +
             std::to_string(node->source().begin.column);
  throw ConfigError(where + ": " + message);
}

inline const char* type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    default: return "a date/time";
  }
}

// A number as typed, in its shortest exact form (-0.3, not -0.29999999999999999).
inline std::string shortest(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buffer[64];
  return std::string(buffer, std::to_chars(buffer, buffer + sizeof buffer, v).ptr);
}

inline std::string show(const toml::node& n) {
  if (const auto* f = n.as_floating_point()) {  // 1.0 stays 1.0: it was typed as a float
    std::string text = shortest(f->get());
    return text.find_first_of(".ein") == std::string::npos ? text + ".0" : text;
  }
  std::ostringstream s;
  n.visit([&s](auto&& v) { s << v; });
  std::string text = s.str();
  std::replace(text.begin(), text.end(), '\n', ' ');
  return text.size() > 60 ? text.substr(0, 57) + "..." : text;
}

inline std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : ", ") + w;
  return out;
}

// ---- typed reads of one node; `path` is its dotted key ---------------------

[[noreturn]] inline void wrong_type(const std::string& src, const toml::node& n, const std::string& path,
                                    const std::string& expected) {
  fail(src, &n, path + ": expected " + expected + ", got " + type_name(n) + " " + show(n));
}

inline std::int64_t read_integer(const std::string& src, const toml::node& n, const std::string& path,
                                 std::int64_t lo, std::int64_t hi) {
  const std::string expected = "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
  const auto* v = n.as_integer();
  if (!v) wrong_type(src, n, path, expected);
  if (v->get() < lo || v->get() > hi)
    fail(src, &n, path + " = " + std::to_string(v->get()) + " is outside the allowed range: " + expected);
  return v->get();
}

inline double read_double(const std::string& src, const toml::node& n, const std::string& path, Range r) {
  double value = 0;
  if (const auto* i = n.as_integer()) value = double(i->get());  // `sigma = 1` means 1.0
  else if (const auto* f = n.as_floating_point()) value = f->get();
  else wrong_type(src, n, path, r.describe());
  if (!r.contains(value)) fail(src, &n, path + " = " + show(n) + " is outside the allowed range: " + r.describe());
  return value;
}

// The spec stores most parameters as float: check the range on the float
// actually used (1e-50 as a learning rate would become 0).
inline float read_float(const std::string& src, const toml::node& n, const std::string& path, Range r) {
  const float value = float(read_double(src, n, path, r));
  if (!r.contains(double(value)))
    fail(src, &n, path + " = " + show(n) + " becomes " + num(double(value)) +
                      " as a 32-bit float, outside the allowed range: " + r.describe());
  return value;
}

inline std::string read_choice(const std::string& src, const toml::node& n, const std::string& path,
                               const std::vector<std::string>& allowed) {
  const std::string expected = "one of " + join(allowed);
  const auto* v = n.as_string();
  if (!v) wrong_type(src, n, path, "a string, " + expected);
  if (std::find(allowed.begin(), allowed.end(), v->get()) == allowed.end())
    fail(src, &n, path + " = \"" + v->get() + "\" is not allowed: expected " + expected);
  return v->get();
}

// Names end up in metric names, CSV rows and file names: keep them plain.
inline std::string read_name(const std::string& src, const toml::node& n, const std::string& path) {
  const std::string expected = "a name of 1-40 letters, digits, '_' or '-', starting with a letter";
  const auto* v = n.as_string();
  if (!v) wrong_type(src, n, path, expected);
  const std::string& s = v->get();
  bool ok = !s.empty() && s.size() <= 40 && std::isalpha(static_cast<unsigned char>(s[0]));
  for (char c : s) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-');
  if (!ok) fail(src, &n, path + " = \"" + s + "\" is not allowed: expected " + expected);
  return s;
}

inline const toml::array& read_array(const std::string& src, const toml::node& n, const std::string& path,
                                     const std::string& of) {
  const auto* a = n.as_array();
  if (!a) wrong_type(src, n, path, "an array of " + of);
  return *a;
}

// ---- one TOML table with its path and allowed keys ------------------------

class Table {
 public:
  Table(const toml::node& node, std::string path, const std::string& source,
        std::vector<std::string> allowed, const std::string& what = "a table")
      : path_(std::move(path)), src_(source) {
    t_ = node.as_table();
    if (!t_) wrong_type(src_, node, path_, what);
    // Unknown keys first: a misspelt key explains a "missing" one better.
    for (auto&& [key, value] : *t_)
      if (std::find(allowed.begin(), allowed.end(), std::string(key.str())) == allowed.end())
        fail(src_, &value, "unknown key '" + at(key.str()) + "' (allowed " +
                               (path_.empty() ? std::string("at the top level") : "in " + path_) + ": " +
                               join(allowed) + ")");
  }

  std::string at(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }
  const toml::node* get(std::string_view key) const { return t_->get(key); }
  const toml::node& node() const { return *t_; }
  const std::string& path() const { return path_; }
  const std::string& source() const { return src_; }

  [[noreturn]] void missing(std::string_view key, const std::string& expected) const {
    fail(src_, t_, "missing key '" + at(key) + "' (required: " + expected + ")");
  }

  std::int64_t integer(std::string_view key, std::int64_t lo, std::int64_t hi,
                       std::optional<std::int64_t> fallback = {}) const {
    if (const auto* n = get(key)) return read_integer(src_, *n, at(key), lo, hi);
    if (!fallback)
      missing(key, "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    return *fallback;
  }
  double real(std::string_view key, Range r, std::optional<double> fallback = {}) const {
    if (const auto* n = get(key)) return read_double(src_, *n, at(key), r);
    if (!fallback) missing(key, r.describe());
    return *fallback;
  }
  float real_f(std::string_view key, Range r, std::optional<float> fallback = {}) const {
    if (const auto* n = get(key)) return read_float(src_, *n, at(key), r);
    if (!fallback) missing(key, r.describe());
    return *fallback;
  }
  bool boolean(std::string_view key, std::optional<bool> fallback) const {
    const auto* n = get(key);
    if (!n) {
      if (!fallback) missing(key, "true or false");
      return *fallback;
    }
    if (!n->is_boolean()) wrong_type(src_, *n, at(key), "true or false");
    return n->as_boolean()->get();
  }
  PruneScope scope(std::string_view key = "scope") const {
    const auto* n = get(key);
    if (!n) return PruneScope::per_layer;  // docs/protocol.md: per layer is the default
    return rewire::parse_prune_scope(read_choice(src_, *n, at(key), {"per_layer", "global"}));
  }
  RegrowTies ties() const {
    const auto* n = get("ties");
    if (!n) return RegrowTies::random;  // what torch.topk's scattered choice among ties models
    return rewire::parse_regrow_ties(read_choice(src_, *n, at("ties"), {"random", "lowest_index"}));
  }
  std::optional<Activation> activation() const {
    const auto* n = get("activation");
    if (!n) return std::nullopt;
    return rewire::parse_activation(read_choice(src_, *n, at("activation"), {"relu", "tanh"}));
  }

 private:
  const toml::table* t_ = nullptr;
  std::string path_;
  const std::string& src_;
};

}  // namespace chronic_stress::detail
