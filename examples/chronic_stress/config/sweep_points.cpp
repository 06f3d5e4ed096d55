// config/sweep_points.cpp - the grid of a [sweep] table: its points, and
// each point's study read from the file's own nodes (config.hpp).
#include "config/config.hpp"
#include "config/schema.hpp"

#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace chronic_stress {
namespace {

using detail::fail;
using detail::parse_toml;
using OrderedJson = nlohmann::ordered_json;  // not `json`: results/ spells nlohmann::json so (one unity batch in the fuzzers)

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

// Sets the key at `path` of `root` to `value`, moved in: it keeps its
// position in the file, so a message about it names its line in [sweep].
// Tables on the way may be missing (they are created: a study file may omit
// a section); array elements must exist.
void set_at(toml::table& root, const std::string& path, toml::node&& value, const std::string& where) {
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
      value.visit([&](auto& v) { t->insert_or_assign(seg.key, std::move(v)); });
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
        value.visit([&](auto& v) { a->replace(a->cbegin() + std::ptrdiff_t(idx), std::move(v)); });
        return;
      }
      cur = a->get(idx);
    }
  }
}

// A swept value as sweep.json stores it: the JSON value of its TOML type, so
// a reader gets numbers as numbers. JSON has no inf or nan and no dates:
// those stay their TOML text.
OrderedJson typed(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::integer: return n.as_integer()->get();
    case toml::node_type::floating_point: {
      const double v = n.as_floating_point()->get();
      return std::isfinite(v) ? OrderedJson(v) : OrderedJson(detail::toml_inline(n));
    }
    case toml::node_type::boolean: return n.as_boolean()->get();
    case toml::node_type::string: return n.as_string()->get();
    case toml::node_type::array: {
      OrderedJson out = OrderedJson::array();
      for (const toml::node& element : *n.as_array()) out.push_back(typed(element));
      return out;
    }
    case toml::node_type::table: {
      OrderedJson out = OrderedJson::object();
      for (auto&& [k, v] : *n.as_table()) out[std::string(k.str())] = typed(v);
      return out;
    }
    default: return detail::toml_inline(n);
  }
}

// Two values of one key that make one study: the same TOML text, or the
// same number (a float key reads 4 and 4.0 alike; an integer key refuses 4.0).
bool same_value(const toml::node& a, const toml::node& b) {
  if (a.is_integer() && b.is_integer()) return a.as_integer()->get() == b.as_integer()->get();
  const auto number = [](const toml::node& n) {
    return n.is_integer() ? double(n.as_integer()->get()) : n.as_floating_point()->get();
  };
  if (a.is_number() && b.is_number()) return number(a) == number(b);
  return detail::toml_inline(a) == detail::toml_inline(b);
}

// The swept keys and their value lists, in key order, each checked: a
// non-empty array without a value twice, and at most kMaxPoints points.
std::vector<std::pair<std::string, const toml::array*>> read_axes(const toml::table& root, const std::string& source) {
  const toml::node* sweep = root.get("sweep");
  if (!sweep->as_table()) fail(source, sweep, "sweep: expected a table of key paths and value lists");
  std::vector<std::pair<std::string, const toml::array*>> axes;
  std::size_t points = 1;
  for (auto&& [key, list] : *sweep->as_table()) {
    const std::string where = "sweep.\"" + std::string(key.str()) + "\"";
    const toml::array* a = list.as_array();
    if (!a || a->empty()) fail(source, &list, where + ": expected a non-empty array of values");
    // A repeated value would run one study twice under two point names.
    for (std::size_t i = 1; i < a->size(); ++i)
      for (std::size_t j = 0; j < i; ++j)
        if (same_value(*a->get(j), *a->get(i)))
          fail(source, a->get(i),
               where + ": the value " + detail::show(*a->get(i)) + " is listed twice (values " + std::to_string(j + 1) +
                   " and " + std::to_string(i + 1) + " of " + std::to_string(a->size()) +
                   "); each value is one point, so list it once");
    axes.emplace_back(std::string(key.str()), a);
    points *= a->size();
    if (points > kMaxPoints)
      fail(source, &list, "sweep: more than " + std::to_string(kMaxPoints) + " points; sweep fewer values");
  }
  if (axes.empty()) fail(source, sweep, "sweep: name at least one key, e.g. \"longitudinal.remove_fraction\" = [0.1, 0.2]");
  return axes;
}

// `root` (the study file, [sweep] and all) as the point's study: without its
// [sweep], with the point's values moved from there into place.
toml::table point_tree(toml::table root, const SweepPoint& point, const std::string& source) {
  toml::table sweep = std::move(*root.get("sweep")->as_table());
  root.erase("sweep");
  for (const SweepValue& v : point.values)
    set_at(root, v.key, std::move(*sweep.get(v.key)->as_array()->get(v.index)),
           source + ": sweep.\"" + v.key + "\"");
  return root;
}

// A refusal of one point's study, naming the point between the file's
// position and what is wrong there.
[[noreturn]] void refuse_point(const ConfigError& e, const std::string& source, const SweepPoint& point) {
  throw ConfigError(e.where().empty() ? source : e.where(), sweep_point_label(point) + ": " + e.detail());
}

}  // namespace

bool has_sweep(const std::string& toml_text, const std::string& source) {
  return parse_toml(toml_text, source).contains("sweep");
}

std::vector<SweepPoint> expand_sweep(const std::string& toml_text, const std::string& source) {
  const toml::table root = parse_toml(toml_text, source);
  if (!root.get("sweep")) return {};
  const auto axes = read_axes(root, source);
  std::size_t points = 1;
  for (const auto& axis : axes) points *= axis.second->size();
  std::vector<SweepPoint> out;
  for (std::size_t p = 0; p < points; ++p) {
    SweepPoint point;
    char dir[32];
    std::snprintf(dir, sizeof dir, "point-%02zu", p);
    point.dir = dir;
    point.values.resize(axes.size());
    std::size_t rest = p;  // the last key varies fastest
    for (std::size_t k = axes.size(); k-- > 0;) {
      const std::size_t index = rest % axes[k].second->size();
      rest /= axes[k].second->size();
      const toml::node& v = *axes[k].second->get(index);
      point.values[k] = SweepValue{axes[k].first, index, detail::show(v), typed(v)};
    }
    (void)point_tree(root, point, source);  // every key path names something at every point
    out.push_back(std::move(point));
  }
  return out;
}

std::string sweep_point_label(const SweepPoint& point) {
  std::string label;
  for (const SweepValue& v : point.values) label += (label.empty() ? "" : ", ") + v.key + " = " + v.text;
  return "sweep " + point.dir + " (" + label + ")";
}

std::vector<PreparedStudy> prepare_sweep(const ConfigInput& input, const std::vector<SweepPoint>& points,
                                         double epoch_scale) {
  std::vector<PreparedStudy> studies;
  std::map<std::string, std::size_t> by_hash;
  for (const SweepPoint& point : points) {
    // Parsed afresh for every point: a copied tree forgets its positions.
    const toml::table tree = point_tree(parse_toml(input.text, input.source), point, input.source);
    try {
      studies.push_back(
          prepare_spec(detail::read_config_tree(tree, input.source), input.source, epoch_scale));
    } catch (const ConfigError& e) {
      refuse_point(e, input.source, point);
    }
    const auto [at, fresh] = by_hash.emplace(studies.back().hash, studies.size() - 1);
    if (!fresh) {
      char scale[64];
      std::snprintf(scale, sizeof scale, "%g", epoch_scale);
      throw ConfigError(input.source, sweep_point_label(points[at->second]) + " and " + sweep_point_label(point) +
                                          " are the same study (config hash " + at->first +
                                          (epoch_scale == 1.0 ? std::string()
                                                              : std::string(", epoch counts x") + scale) +
                                          "), which would run twice; sweep values that make different studies");
    }
  }
  return studies;
}

}  // namespace chronic_stress
