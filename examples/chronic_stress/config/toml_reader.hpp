// config/toml_reader.hpp - typed, range-checked reads from a toml++ tree, for
// config.cpp. Every failure throws ConfigError naming the source,
// line:column, the dotted key path and the allowed values, so that the
// schema code in config.cpp stays a plain list of keys and ranges.
#pragma once

#include "config/error.hpp"

#include <rewire/core/range.hpp>
#include <rewire/kernels/activation.hpp>
#include <rewire/protocol/limits.hpp>
#include <rewire/prune/magnitude.hpp>
#include <rewire/prune/regrow.hpp>

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

using rewire::IntRange;
using rewire::Range;

[[noreturn]] inline void fail(const std::string& source, const toml::node* node, const std::string& message) {
  std::string where = source;
  if (node && node->source().begin.line > 0)
    where += ":" + std::to_string(node->source().begin.line) + ":" +
             std::to_string(node->source().begin.column);
  throw ConfigError(where, message);
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

/// `n` as TOML on one line: arrays as [...], tables as { ... } (toml_text.cpp).
std::string toml_inline(const toml::node& n);

/// `root` as a TOML document that reads back to the same tree: plain keys,
/// then [sub.tables] and [[arrays.of.tables]] (toml_text.cpp).
std::string toml_document(const toml::table& root);

// A value for a message: as typed (1.0 stays 1.0), cut after 60 characters.
inline std::string show(const toml::node& n) {
  const std::string text = toml_inline(n);
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

// Numbers are checked against their range as they are read (the ranges are
// the library's: rewire/protocol/limits.hpp), so the message shows the value
// as typed and the line it is on, and no out-of-range integer is ever
// narrowed into a smaller type.
inline std::int64_t read_integer(const std::string& src, const toml::node& n, const std::string& path, IntRange r) {
  const auto* v = n.as_integer();
  if (!v) wrong_type(src, n, path, r.describe());
  if (!r.contains(v->get()))
    fail(src, &n, path + " = " + std::to_string(v->get()) + " is outside the allowed range: " + r.describe());
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
    fail(src, &n, path + " = " + show(n) + " becomes " + rewire::shortest_text(value) +
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

// A name (of an arm or probe); what it may be is the library's rule
// (StudySpec::validate, limits::kNameRule).
inline std::string read_name(const std::string& src, const toml::node& n, const std::string& path) {
  const auto* v = n.as_string();
  if (!v) wrong_type(src, n, path, rewire::protocol::limits::kNameRule);
  return v->get();
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

  std::int64_t integer(std::string_view key, IntRange r, std::optional<std::int64_t> fallback = {}) const {
    if (const auto* n = get(key)) return read_integer(src_, *n, at(key), r);
    if (!fallback) missing(key, r.describe());
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
