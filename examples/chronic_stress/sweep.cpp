// sweep.cpp - the grid of a [sweep] table, one configuration per point, and
// running the points (sweep.hpp). The comparison of the points (sweep.json,
// sweep.md, figures) is in sweep_report.cpp.
#include "sweep.hpp"
#include "config_internal.hpp"
#include "memory_estimate.hpp"
#include "sweep_report.hpp"
#include "toml_reader.hpp"

#include <common/atomic_file.hpp>
#include <common/dir_lock.hpp>

#include <chrono>
#include <cstdio>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace chronic_stress {
namespace {

using config_detail::parse_toml;
using toml_reader::fail;

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

std::string text_of(const toml::table& root) {
  std::ostringstream os;
  os << toml::toml_formatter(root);
  return os.str() + "\n";
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
      point.values.emplace_back(axes[k].first, toml_reader::show(v));
    }
    point.toml_text = text_of(t);
    out.push_back(std::move(point));
  }
  return out;
}

bool run_sweep(const std::string& toml_text, const std::string& source, double epoch_scale,
               const StudyRequest& request, Console& console) {
  const auto start = std::chrono::steady_clock::now();
  const std::vector<SweepPoint> points = expand_sweep(toml_text, source);
  std::vector<PreparedStudy> prepared;
  std::vector<std::string> names;  // "sweep.toml (sweep point-01: key = value)"
  for (const auto& point : points) {
    std::string label;
    for (const auto& [key, value] : point.values) label += (label.empty() ? "" : ", ") + key + " = " + value;
    names.push_back(source + " (sweep " + point.dir + ": " + label + ")");
    // Every point is checked before any runs; a refusal names the point.
    prepared.push_back(prepare_study(point.toml_text, names.back(), epoch_scale));
  }
  for (std::size_t p = 0; p < points.size(); ++p)  // refused before anything is created
    require_memory(prepared[p].spec, request.threads, request.seeds.size(), names[p], physical_memory());

  // Each point's directory is locked and holds its config.toml, as a single
  // run's would; then all points' tasks share one pool.
  std::vector<std::unique_ptr<examples::DirLock>> locks;
  std::vector<StudyJob> jobs;
  for (std::size_t p = 0; p < points.size(); ++p) {
    const std::filesystem::path out = request.out / points[p].dir;
    locks.push_back(std::make_unique<examples::DirLock>(out));  // creates the directory
    examples::write_file_atomically(out / "config.toml", config_file_text(prepared[p]));
    console.info("sweep " + points[p].dir + " (" + std::to_string(p + 1) + " of " + std::to_string(points.size()) +
                 "), hash " + prepared[p].hash + ", output " + out.string());
    jobs.push_back(StudyJob{&prepared[p].spec, prepared[p].hash, out, request.seeds, points[p].dir});
  }
  const PoolOptions pool{request.threads, request.checkpoint_every, request.keep_checkpoints};
  std::vector<RunOutcome> outcomes = run_studies(jobs, pool, console);
  for (const auto& o : outcomes)
    if (o.interrupted) return false;  // every finished seed is saved; a rerun writes the summaries

  std::vector<Summary> summaries;
  for (std::size_t p = 0; p < points.size(); ++p) {
    StudyRequest r = request;
    r.out = jobs[p].out_dir;
    summaries.push_back(*finish_study(prepared[p], r, std::move(outcomes[p]), start, console).summary);
  }
  write_sweep_results(points, prepared, summaries, request, console);
  return true;
}

}  // namespace chronic_stress
