// results/json_read.hpp - strict reading of result files (internal to the results
// model): every accessor names the field it reads ("arms.ssri.metrics") and
// throws ResultsError if it is missing or of the wrong type.
#pragma once

#include "results/model.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <string>

namespace chronic_stress::detail {

using nlohmann::json;

[[noreturn]] inline void bad(const std::string& path, const std::string& what) {
  throw ResultsError(path + " " + what);
}

inline std::string at(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }
inline std::string at(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

/// A key as shown in a message: itself if it is a valid name, else
/// JSON-quoted, so that no control character reaches a terminal.
inline std::string shown(const std::string& key) { return is_valid_name(key) ? key : json(key).dump(); }

/// `j` must be an object holding exactly `keys`.
inline const json& object(const json& j, const std::string& path, std::initializer_list<const char*> keys) {
  if (!j.is_object()) bad(path.empty() ? "the document" : path, "is not an object");
  for (const auto& item : j.items()) {
    const std::string& k = item.key();  // not a structured binding: clang 14 cannot capture one
    if (std::none_of(keys.begin(), keys.end(), [&](const char* x) { return k == x; }))
      bad(at(path, shown(k)), "is not a field here");
  }
  for (const char* k : keys)
    if (!j.contains(k)) bad(at(path, k), "is missing");
  return j;
}

/// An object whose keys are names (arms, metrics): checks every key.
inline const json& named_object(const json& j, const std::string& path) {
  if (!j.is_object()) bad(path, "is not an object");
  for (const auto& [k, v] : j.items())
    if (!is_valid_name(k))
      bad(at(path, shown(k)), "is not a valid name (1-80 characters from A-Z a-z 0-9 _ . -)");
  return j;
}

inline const json& array(const json& j, const std::string& path) {
  if (!j.is_array()) bad(path, "is not an array");
  return j;
}

inline double number(const json& j, const std::string& path) {
  if (!j.is_number()) bad(path, "is not a number");
  return j.get<double>();
}

inline Value value(const json& j, const std::string& path) {
  if (j.is_null()) return std::nullopt;
  return number(j, path);
}

inline std::uint64_t count(const json& j, const std::string& path) {
  if (!j.is_number_integer() || (!j.is_number_unsigned() && j.get<std::int64_t>() < 0))
    bad(path, "is not a whole number >= 0");
  return j.get<std::uint64_t>();
}

inline bool boolean(const json& j, const std::string& path) {
  if (!j.is_boolean()) bad(path, "is not true or false");
  return j.get<bool>();
}

inline std::string string(const json& j, const std::string& path) {
  if (!j.is_string()) bad(path, "is not a string");
  return j.get<std::string>();
}

/// The first key of `m` (a map keyed by arm) that is not in `arms`, as
/// "<section>.<key> is not an arm it may hold", or "".
template <class Map, class Set>
std::string unknown_arm(const Map& m, const Set& arms, const std::string& section) {
  for (const auto& kv : m)
    if (!arms.count(kv.first)) return section + "." + kv.first + " is not an arm it may hold";
  return "";
}

/// JSON for a value: null when non-finite.
inline json value_json(const Value& v) { return v ? json(*v) : json(nullptr); }

/// A number, or null when it is not finite (NaN: a statistic that does not exist).
inline json number_or_null(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

/// A number, or NaN for null.
inline double number_from(const json& j, const std::string& path) {
  return j.is_null() ? std::nan("") : number(j, path);
}

/// [lo, hi], or null when either bound is not finite.
inline json interval_json(double lo, double hi) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) return nullptr;
  return json::array({lo, hi});
}

/// [lo, hi] with lo <= hi into lo and hi, or null (lo and hi left as they are).
inline void interval_from(const json& j, const std::string& path, double& lo, double& hi) {
  if (j.is_null()) return;
  if (array(j, path).size() != 2) bad(path, "is not [lo, hi]");
  lo = number(j[0], at(path, 0));
  hi = number(j[1], at(path, 1));
  if (!(lo <= hi)) bad(path, "has lo > hi");
}

}  // namespace chronic_stress::detail
