// config/sweep_points.cpp - the grid of a [sweep] table: one configuration
// text per point (config.hpp).
#include "config/config.hpp"
#include "config/schema.hpp"

#include <cstdio>
#include <string>
#include <vector>

namespace chronic_stress {
namespace {

using detail::fail;
using detail::parse_toml;

constexpr std::size_t kMaxPoints = 256;

// One segment of a dotted path: a key and the array indices after it
// ("maintenance[0]" -> maintenance, {0}).
struct Segment {
  std::string key;
  std::vector<std::size_t> indices;
};

std::vector<Segment> split_path(const std::string& path, const std::string& where) {
  std::vector<Segment> out;
  std::size_t i = 0;
  while (i <= path.size()) {
    Segment s;
    while (i < path.size() && path[i] != '.' && path[i] != '[') s.key += path[i++];
    while (i < path.size() && path[i] == '[') {
      const std::size_t close = path.find(']', i);
      const std::string digits = close == std::string::npos ? "" : path.substr(i + 1, close - i - 1);
      if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 6)
        throw ConfigError(where + ": '" + path + "' is not a dotted key path such as arms[1].maintenance[0].every");
      s.indices.push_back(std::stoul(digits));
      i = close + 1;
    }
    if (s.key.empty() || (i < path.size() && path[i] != '.'))
      throw ConfigError(where + ": '" + path + "' is not a dotted key path such as arms[1].maintenance[0].every");
    out.push_back(std::move(s));
    if (i == path.size()) break;
    ++i;  // the '.'
  }
  return out;
}

// Sets the key at `path` of `root` to `value`. Tables on the way may be
// missing (they are created: a study file may omit a section); array
// elements must exist.
void set_at(toml::table& root, const std::string& path, const toml::node& value, const std::string& where) {
  const std::vector<Segment> segments = split_path(path, where);
  toml::node* cur = &root;
  std::string walked;
  for (std::size_t s = 0; s < segments.size(); ++s) {
    const Segment& seg = segments[s];
    walked += (walked.empty() ? "" : ".") + seg.key;
    toml::table* t = cur->as_table();
    if (!t) throw ConfigError(where + ": '" + path + "': " + walked + " is inside a value that is not a table");
    const bool last = s + 1 == segments.size();
    if (last && seg.indices.empty()) {
      value.visit([&](const auto& v) { t->insert_or_assign(seg.key, v); });
      return;
    }
    if (!t->get(seg.key)) {
      if (!seg.indices.empty()) throw ConfigError(where + ": '" + path + "': the file has no array " + walked);
      t->insert(seg.key, toml::table{});
    }
    cur = t->get(seg.key);
    for (std::size_t k = 0; k < seg.indices.size(); ++k) {
      toml::array* a = cur->as_array();
      const std::size_t idx = seg.indices[k];
      if (!a || idx >= a->size())
        throw ConfigError(where + ": '" + path + "': the file has no element " + walked + "[" + std::to_string(idx) +
                          "]");
      walked += "[" + std::to_string(idx) + "]";
      if (last && k + 1 == seg.indices.size()) {
        value.visit([&](const auto& v) { a->replace(a->cbegin() + std::ptrdiff_t(idx), v); });
        return;
      }
      cur = a->get(idx);
    }
  }
}

}  // namespace

bool has_sweep(const std::string& toml_text, const std::string& source) {
  return parse_toml(toml_text, source).contains("sweep");
}

std::vector<SweepPoint> expand_sweep(const std::string& toml_text, const std::string& source) {
  toml::table root = parse_toml(toml_text, source);
  const toml::node* sweep = root.get("sweep");
  if (!sweep) return {};
  if (!sweep->as_table()) fail(source, sweep, "sweep: expected a table of key paths and value lists");
  std::vector<std::pair<std::string, const toml::array*>> axes;
  std::size_t points = 1;
  for (auto&& [key, list] : *sweep->as_table()) {
    const std::string where = "sweep.\"" + std::string(key.str()) + "\"";
    const toml::array* a = list.as_array();
    if (!a || a->empty()) fail(source, &list, where + ": expected a non-empty array of values");
    axes.emplace_back(std::string(key.str()), a);
    points *= a->size();
    if (points > kMaxPoints)
      fail(source, &list, "sweep: more than " + std::to_string(kMaxPoints) + " points; sweep fewer values");
  }
  if (axes.empty()) fail(source, sweep, "sweep: name at least one key, e.g. \"longitudinal.remove_fraction\" = [0.1, 0.2]");
  toml::table base = root;
  base.erase("sweep");
  std::vector<SweepPoint> out;
  for (std::size_t p = 0; p < points; ++p) {
    SweepPoint point;
    char dir[32];
    std::snprintf(dir, sizeof dir, "point-%02zu", p);
    point.dir = dir;
    toml::table t = base;
    std::size_t rest = p;  // the last key varies fastest
    std::vector<std::size_t> pick(axes.size());
    for (std::size_t k = axes.size(); k-- > 0;) {
      pick[k] = rest % axes[k].second->size();
      rest /= axes[k].second->size();
    }
    for (std::size_t k = 0; k < axes.size(); ++k) {
      const toml::node& v = *axes[k].second->get(pick[k]);
      set_at(t, axes[k].first, v, source + ": sweep.\"" + axes[k].first + "\"");
      point.values.emplace_back(axes[k].first, detail::show(v));
    }
    point.toml_text = detail::toml_document(t);
    out.push_back(std::move(point));
  }
  return out;
}

std::string sweep_point_source(const std::string& source, const SweepPoint& point) {
  std::string label;
  for (const auto& [key, value] : point.values) label += (label.empty() ? "" : ", ") + key + " = " + value;
  return source + " (sweep " + point.dir + ": " + label + ")";
}

}  // namespace chronic_stress
