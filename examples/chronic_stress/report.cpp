// examples/chronic_stress/report.cpp - report.md and figures/ of a
// chronic_stress run: the paper's Tables 1-4 with our values beside the
// published ones (published.json, embedded at build time), a flag on every
// difference beyond what sampling noise explains, and three gnuplot figures
// whose data (*.dat) and scripts (*.gp) are kept for restyling.
//
// Input handling is lenient on purpose: a metric missing from summary.json is
// recomputed from the seed files where possible and shown as "n/a" otherwise,
// so that a partial or user-defined protocol still gets a report. Only a
// structurally wrong summary (not an object, no "arms" object) is an error
// (std::invalid_argument).
#include "report.hpp"

#include "../common/atomic_file.hpp"
#include "published.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <initializer_list>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace chronic_stress {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// The paper's arms, in the paper's order (used when the config gives none).
const std::vector<std::string>& paper_arms() {
  static const std::vector<std::string> arms{"untreated", "ketamine", "ssri", "neurosteroid"};
  return arms;
}

// ---------------------------------------------------------------------------
// Lenient JSON access: anything missing or non-numeric reads as absent / NaN.
// ---------------------------------------------------------------------------
const json* child(const json* j, const std::string& key) {
  if (j == nullptr || !j->is_object()) return nullptr;
  auto it = j->find(key);
  return it == j->end() ? nullptr : &*it;
}

const json* walk(const json& j, std::initializer_list<std::string> keys) {
  const json* cur = &j;
  for (const auto& k : keys) {
    cur = child(cur, k);
    if (cur == nullptr) return nullptr;
  }
  return cur;
}

double number(const json* j) { return (j != nullptr && j->is_number()) ? j->get<double>() : kNaN; }

double element(const json* array, std::size_t i) {
  if (array == nullptr || !array->is_array() || i >= array->size()) return kNaN;
  return number(&(*array)[i]);
}

std::size_t array_size(const json* j) { return (j != nullptr && j->is_array()) ? j->size() : 0; }

// ---------------------------------------------------------------------------
// Statistics
// ---------------------------------------------------------------------------
struct Stat {
  double mean = kNaN, sd = kNaN, min = kNaN, max = kNaN;
  int n = 0;
  bool ok() const { return std::isfinite(mean); }
};

/// Mean, population SD (divide by n, as the published tables), min, max of
/// the finite values.
Stat stat_of(const std::vector<double>& values) {
  Stat s;
  double sum = 0.0;
  for (double v : values) {
    if (!std::isfinite(v)) continue;
    if (s.n == 0) s.min = s.max = v;
    s.min = std::min(s.min, v);
    s.max = std::max(s.max, v);
    sum += v;
    ++s.n;
  }
  if (s.n == 0) return s;
  s.mean = sum / s.n;
  double ss = 0.0;
  for (double v : values)
    if (std::isfinite(v)) ss += (v - s.mean) * (v - s.mean);
  s.sd = std::sqrt(ss / s.n);
  return s;
}

/// {"mean", "sd", "min", "max", "n"} as written in summary.json.
Stat stat_from_json(const json* j, int default_n) {
  Stat s;
  if (j == nullptr || !j->is_object()) return s;
  s.mean = number(child(j, "mean"));
  s.sd = number(child(j, "sd"));
  s.min = number(child(j, "min"));
  s.max = number(child(j, "max"));
  const double n = number(child(j, "n"));
  s.n = std::isfinite(n) ? int(n) : default_n;
  return s;
}

/// A published value: a mean and, where published, an SD.
struct Ref {
  double mean = kNaN, sd = kNaN;
  bool ok() const { return std::isfinite(mean); }
};

Ref ref_from_json(const json* j) {
  Ref r;
  if (j == nullptr) return r;
  if (j->is_number()) {
    r.mean = j->get<double>();
    return r;
  }
  r.mean = number(child(j, "mean"));
  r.sd = number(child(j, "sd"));
  return r;
}

// ---------------------------------------------------------------------------
// The flag rule (stated in the report, see flag_rule_text()).
// ---------------------------------------------------------------------------
enum class Kind { sparsity, accuracy };

struct Verdict {
  bool comparable = false;
  double delta = kNaN;  ///< ours - published
  double tolerance = kNaN;
  bool flagged = false;
};

constexpr double kSparsityTolerance = 0.1;  // percentage points
constexpr double kAccuracyFloor = 1.0;      // percentage points
constexpr double kCycleTolerance = 2.0;     // cycles (mean cycle at relapse)

Verdict compare(const Stat& ours, const Ref& pub, Kind kind, int n) {
  Verdict v;
  if (!ours.ok() || !pub.ok()) return v;
  v.comparable = true;
  v.delta = ours.mean - pub.mean;
  if (kind == Kind::sparsity) {
    v.tolerance = kSparsityTolerance;
  } else {
    const double so = std::isfinite(ours.sd) ? ours.sd : 0.0;
    // A published mean without SD (some "re-run" figures): assume ours.
    const double sp = std::isfinite(pub.sd) ? pub.sd : so;
    v.tolerance = std::max(kAccuracyFloor, 2.0 * std::sqrt((so * so + sp * sp) / std::max(n, 1)));
  }
  // 1e-9: a difference exactly at the tolerance (in decimal) is not flagged.
  v.flagged = std::fabs(v.delta) > v.tolerance + 1e-9;
  return v;
}

/// Relapse counts: flagged when ours differs from the published count scaled
/// to our number of seeds by more than max(2, 0.2 n) seeds.
double count_tolerance(int n) { return std::max(2.0, 0.2 * n); }

// ---------------------------------------------------------------------------
// Formatting
// ---------------------------------------------------------------------------
constexpr const char* kFlagText = "⚑ beyond noise";
constexpr const char* kFlagMark = " ⚑";
constexpr const char* kNone = "—";

double clean_zero(double x, int decimals) { return std::fabs(x) < 0.5 * std::pow(10.0, -decimals) ? 0.0 : x; }

std::string num(double x, int decimals = 1) {
  if (!std::isfinite(x)) return "n/a";
  return fmt::format("{:.{}f}", clean_zero(x, decimals), decimals);
}

std::string signed_num(double x, int decimals = 1) {
  if (!std::isfinite(x)) return kNone;
  return fmt::format("{:+.{}f}", clean_zero(x, decimals), decimals);
}

std::string pm(double mean, double sd, int decimals = 1) {
  if (!std::isfinite(mean)) return "n/a";
  if (!std::isfinite(sd)) return num(mean, decimals);
  return num(mean, decimals) + " ± " + num(sd, decimals);
}

std::string pm(const Stat& s, int decimals = 1) { return pm(s.mean, s.sd, decimals); }
std::string pm(const Ref& r, int decimals = 1) { return r.ok() ? pm(r.mean, r.sd, decimals) : kNone; }

/// "ours (published)" with a flag mark, for the wide tables.
std::string cell(const std::string& ours, const std::string& published, bool flagged) {
  std::string s = ours;
  if (!published.empty()) s += " (" + published + ")";
  if (flagged) s += kFlagMark;
  return s;
}

std::string md_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

/// A double-quoted gnuplot string literal.
std::string gp_quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

/// A single-quoted POSIX shell word.
std::string sh_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

std::string join(const std::vector<std::string>& v, const char* sep = ", ") {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

std::string seed_list(const std::vector<long long>& ids) {
  if (ids.empty()) return "none";
  std::vector<std::string> parts;
  std::size_t i = 0;
  while (i < ids.size()) {
    std::size_t j = i;
    while (j + 1 < ids.size() && ids[j + 1] == ids[j] + 1) ++j;
    if (j >= i + 2)
      parts.push_back(fmt::format("{}–{}", ids[i], ids[j]));
    else if (j == i + 1)
      parts.push_back(fmt::format("{}, {}", ids[i], ids[j]));
    else
      parts.push_back(fmt::format("{}", ids[i]));
    i = j + 1;
  }
  return join(parts);
}

std::string duration(double seconds) {
  if (!std::isfinite(seconds)) return "n/a";
  if (seconds < 60.0) return fmt::format("{:.1f} s", seconds);
  const long total = std::lround(seconds);
  if (total < 3600) return fmt::format("{:.1f} s ({} min {:02d} s)", seconds, total / 60, int(total % 60));
  return fmt::format("{:.1f} s ({} h {:02d} min)", seconds, total / 3600, int((total % 3600) / 60));
}

/// A markdown table with per-column alignment ('l' or 'r').
struct Table {
  std::vector<std::string> header;
  std::string align;
  std::vector<std::vector<std::string>> rows;

  std::string render() const {
    std::string out = "|";
    for (const auto& h : header) out += " " + h + " |";
    out += "\n|";
    for (std::size_t c = 0; c < header.size(); ++c) out += (c < align.size() && align[c] == 'r') ? "---:|" : "---|";
    out += "\n";
    for (const auto& row : rows) {
      out += "|";
      for (std::size_t c = 0; c < header.size(); ++c) out += " " + (c < row.size() ? row[c] : std::string()) + " |";
      out += "\n";
    }
    return out;
  }
};

// ---------------------------------------------------------------------------
// Metric names and labels
// ---------------------------------------------------------------------------
bool is_stress_metric(const std::string& m) { return m.rfind("stress_", 0) == 0; }

double stress_sigma(const std::string& m) {
  try {
    return std::stod(m.substr(7));
  } catch (const std::exception&) {
    return kNaN;
  }
}

std::string stress_label(double sigma) {
  static const std::vector<std::pair<double, const char*>> names{
      {0.0, "none"}, {0.5, "moderate"}, {1.0, "high"}, {1.5, "severe"}, {2.5, "extreme"}};
  for (const auto& [s, name] : names)
    if (std::fabs(s - sigma) < 1e-9) return fmt::format("σ = {:.1f} ({})", sigma, name);
  return fmt::format("σ = {:.1f}", sigma);
}

std::string metric_label(const std::string& m) {
  if (m == "sparsity") return "Sparsity (%)";
  if (m == "clean") return "Clean (%)";
  if (m == "standard") return "Standard (%)";
  if (m == "combined") return "Combined stress (%)";
  if (m == "relapse_drop") return "Relapse drop (pp)";
  if (m == "off_combined") return "Probe off: combined stress (%)";
  if (m == "off_extreme") return "Probe off: extreme internal noise (%)";
  if (is_stress_metric(m)) return stress_label(stress_sigma(m)) + " (%)";
  return m;
}

// ---------------------------------------------------------------------------
// Arm styles: one fixed colour (Okabe-Ito, colour-blind safe) and one point
// shape per arm, so arms stay apart in grey-scale print too. The paper's arms
// always get the same style (ketamine blue, SSRI orange, neurosteroid green,
// as in the paper's Figure 3); other arms take the spare styles in order.
// ---------------------------------------------------------------------------
struct ArmStyle {
  std::string colour;  ///< "#RRGGBB"
  int point = 7;       ///< gnuplot filled point type
};

std::map<std::string, ArmStyle> arm_styles(const std::vector<std::string>& arms) {
  const std::map<std::string, ArmStyle> fixed{{"untreated", {"#000000", 13}},
                                              {"ketamine", {"#0072B2", 7}},
                                              {"ssri", {"#E69F00", 5}},
                                              {"neurosteroid", {"#009E73", 9}}};
  static const std::vector<ArmStyle> spare{{"#CC79A7", 11}, {"#D55E00", 15}, {"#56B4E9", 7}, {"#F0E442", 5}};
  std::map<std::string, ArmStyle> out;
  std::size_t next = 0;
  for (const auto& a : arms) {
    auto it = fixed.find(a);
    out[a] = it != fixed.end() ? it->second : spare[next++ % spare.size()];
  }
  return out;
}

/// "#RRGGBB" -> "#AARRGGBB" (gnuplot: alpha 00 = opaque, FF = invisible).
std::string with_alpha(const std::string& rgb, const char* alpha) { return std::string("#") + alpha + rgb.substr(1); }

// ---------------------------------------------------------------------------
// The run: summary + seeds + published values, with lenient accessors.
// ---------------------------------------------------------------------------
class Run {
 public:
  explicit Run(const ReportInputs& in) : summary_(in.summary), seeds_(in.seeds) {
    if (!summary_.is_object()) throw std::invalid_argument("summary.json: expected a JSON object");
    const json* arms = child(&summary_, "arms");
    if (arms == nullptr || !arms->is_object()) throw std::invalid_argument("summary.json: no \"arms\" object");
    try {
      pub_ = json::parse(published_json_text());
    } catch (const json::exception& e) {
      throw std::logic_error(std::string("embedded published.json does not parse: ") + e.what());
    }
    if (const json* ids = child(&summary_, "seeds"); ids != nullptr && ids->is_array())
      for (const auto& id : *ids)
        if (id.is_number_integer()) seed_ids_.push_back(id.get<long long>());
    if (seed_ids_.empty())
      for (const auto& s : seeds_) {
        const double id = number(child(&s, "seed"));
        if (std::isfinite(id)) seed_ids_.push_back((long long)id);
      }
    n_ = int(seed_ids_.size());
    if (n_ == 0) n_ = int(seeds_.size());
    order_arms();
  }

  const json& summary() const { return summary_; }
  const json& published() const { return pub_; }
  const std::vector<json>& seeds() const { return seeds_; }
  const std::vector<std::string>& arms() const { return arms_; }
  const std::vector<long long>& seed_ids() const { return seed_ids_; }
  int n() const { return n_; }
  int published_n() const {
    const double n = number(child(&pub_, "n"));
    return std::isfinite(n) ? int(n) : 10;
  }

  bool arm_published(const std::string& arm) const { return walk(pub_, {"arms", arm}) != nullptr; }

  std::string label(const std::string& arm) const {
    if (const json* l = walk(pub_, {"arms", arm, "label"}); l != nullptr && l->is_string()) return l->get<std::string>();
    return arm;
  }

  std::string seed_name(std::size_t i) const {
    if (i < seed_ids_.size()) return fmt::format("{}", seed_ids_[i]);
    return fmt::format("#{}", i);
  }

  // --- post-treatment panel, relapse and probe metrics ---------------------
  std::set<std::string> metric_names(const std::string& arm) const {
    std::set<std::string> names;
    if (const json* m = walk(summary_, {"arms", arm}); m != nullptr && m->is_object())
      for (auto it = m->begin(); it != m->end(); ++it) names.insert(it.key());
    for (const auto& s : seeds_)
      if (const json* m = walk(s, {"arms", arm, "metrics"}); m != nullptr && m->is_object())
        for (auto it = m->begin(); it != m->end(); ++it) names.insert(it.key());
    return names;
  }

  std::vector<double> seed_values(const std::string& arm, const std::string& metric) const {
    std::vector<double> v;
    for (const auto& s : seeds_) v.push_back(number(walk(s, {"arms", arm, "metrics", metric})));
    return v;
  }

  Stat stat(const std::string& arm, const std::string& metric) const {
    Stat s = stat_from_json(walk(summary_, {"arms", arm, metric}), n_);
    if (s.ok()) return s;
    return stat_of(seed_values(arm, metric));
  }

  Ref pub(const std::string& arm, const std::string& metric) const {
    return ref_from_json(walk(pub_, {"arms", arm, "metrics", metric}));
  }

  // --- longitudinal ---------------------------------------------------------
  bool has_longitudinal(const std::string& arm) const {
    if (const json* l = walk(summary_, {"longitudinal", arm}); l != nullptr && l->is_object()) return true;
    for (const auto& s : seeds_)
      if (const json* l = walk(s, {"arms", arm, "longitudinal"}); l != nullptr && l->is_object()) return true;
    return false;
  }

  std::vector<std::string> longitudinal_arms() const {
    std::vector<std::string> out;
    for (const auto& a : arms_)
      if (has_longitudinal(a)) out.push_back(a);
    return out;
  }

  std::vector<double> seed_curve(std::size_t seed, const std::string& arm, const std::string& key) const {
    std::vector<double> v;
    const json* a = walk(seeds_.at(seed), {"arms", arm, "longitudinal", key});
    for (std::size_t i = 0; i < array_size(a); ++i) v.push_back(element(a, i));
    return v;
  }

  /// Number of recorded cycles including cycle 0 (C + 1).
  std::size_t cycle_count(const std::string& arm) const {
    std::size_t c = array_size(walk(summary_, {"longitudinal", arm, "accuracy", "mean"}));
    for (std::size_t s = 0; s < seeds_.size(); ++s) c = std::max(c, seed_curve(s, arm, "accuracy").size());
    return c;
  }

  Stat cycle_stat(const std::string& arm, const std::string& key, std::size_t cycle) const {
    const json* block = walk(summary_, {"longitudinal", arm, key});
    Stat s;
    s.mean = element(child(block, "mean"), cycle);
    s.sd = element(child(block, "sd"), cycle);
    s.min = element(child(block, "min"), cycle);
    s.max = element(child(block, "max"), cycle);
    s.n = n_;
    if (s.ok()) return s;
    std::vector<double> v;
    for (std::size_t i = 0; i < seeds_.size(); ++i) {
      auto curve = seed_curve(i, arm, key);
      v.push_back(cycle < curve.size() ? curve[cycle] : kNaN);
    }
    return stat_of(v);
  }

  Stat total_drop(const std::string& arm) const {
    Stat s = stat_from_json(walk(summary_, {"longitudinal", arm, "total_drop"}), n_);
    if (s.ok()) return s;
    std::vector<double> v;
    for (std::size_t i = 0; i < seeds_.size(); ++i) {
      auto c = seed_curve(i, arm, "accuracy");
      v.push_back(c.size() >= 2 ? c.front() - c.back() : kNaN);
    }
    return stat_of(v);
  }

  double threshold(const std::string& arm) const {
    double t = number(walk(summary_, {"longitudinal", arm, "threshold"}));
    if (!std::isfinite(t)) t = number(child(&pub_, "threshold"));
    return std::isfinite(t) ? t : 80.0;
  }

  /// One entry per seed, in seed order: the first cycle below the threshold.
  std::vector<std::optional<int>> relapse_cycles(const std::string& arm) const {
    std::vector<std::optional<int>> out;
    const json* list = walk(summary_, {"longitudinal", arm, "relapse_cycles"});
    if (list != nullptr && list->is_array() && (seeds_.empty() || list->size() == seeds_.size())) {
      for (const auto& e : *list) out.push_back(e.is_number() ? std::optional<int>(e.get<int>()) : std::nullopt);
      return out;
    }
    for (std::size_t i = 0; i < seeds_.size(); ++i) {
      const json* rc = child(walk(seeds_[i], {"arms", arm, "longitudinal"}), "relapse_cycle");
      if (rc != nullptr && rc->is_number()) {
        out.push_back(rc->get<int>());
      } else if (rc != nullptr) {
        out.push_back(std::nullopt);
      } else {  // not recorded: derive it from the curve
        std::optional<int> first;
        auto c = seed_curve(i, arm, "accuracy");
        for (std::size_t k = 0; k < c.size() && !first; ++k)
          if (c[k] < threshold(arm)) first = int(k);
        out.push_back(first);
      }
    }
    return out;
  }

  Ref pub_cycle(const std::string& arm, const std::string& key, std::size_t cycle) const {
    const json* block = walk(pub_, {"longitudinal", arm, key});
    Ref r;
    r.mean = element(child(block, "mean"), cycle);
    r.sd = element(child(block, "sd"), cycle);
    return r;
  }

  std::size_t pub_cycle_count(const std::string& arm) const {
    return array_size(walk(pub_, {"longitudinal", arm, "accuracy", "mean"}));
  }

  std::optional<std::pair<double, double>> pub_range(const std::string& arm, std::size_t cycle) const {
    const json* list = walk(pub_, {"longitudinal", arm, "range_by_cycle"});
    if (list == nullptr || !list->is_array()) return std::nullopt;
    for (const auto& e : *list)
      if (number(child(&e, "cycle")) == double(cycle))
        return std::make_pair(number(child(&e, "min")), number(child(&e, "max")));
    return std::nullopt;
  }

  bool seed_diverged(std::size_t i, const std::string& arm) const {
    const json* d = walk(seeds_.at(i), {"arms", arm, "diverged"});
    return d != nullptr && d->is_boolean() && d->get<bool>();
  }

  /// Diverged (seed, arm) pairs.
  std::vector<std::string> diverged() const {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < seeds_.size(); ++i)
      for (const auto& a : arms_)
        if (seed_diverged(i, a)) out.push_back(fmt::format("seed {} / {}", seed_name(i), a));
    return out;
  }

 private:
  void order_arms() {
    std::set<std::string> present;
    for (auto it = summary_["arms"].begin(); it != summary_["arms"].end(); ++it) present.insert(it.key());
    if (const json* l = child(&summary_, "longitudinal"); l != nullptr && l->is_object())
      for (auto it = l->begin(); it != l->end(); ++it) present.insert(it.key());
    for (const auto& s : seeds_)
      if (const json* a = child(&s, "arms"); a != nullptr && a->is_object())
        for (auto it = a->begin(); it != a->end(); ++it) present.insert(it.key());

    // The config's own order when it lists arms as an array of {name = ...}.
    std::vector<std::string> preferred;
    if (const json* ca = walk(summary_, {"config", "arms"}); ca != nullptr && ca->is_array())
      for (const auto& e : *ca)
        if (const json* nm = child(&e, "name"); nm != nullptr && nm->is_string())
          preferred.push_back(nm->get<std::string>());
    if (preferred.empty()) preferred = paper_arms();
    for (const auto& a : preferred)
      if (present.erase(a) > 0) arms_.push_back(a);
    for (const auto& a : present) arms_.push_back(a);  // the rest, alphabetically
  }

  const json& summary_;
  const std::vector<json>& seeds_;
  json pub_;
  std::vector<std::string> arms_;
  std::vector<long long> seed_ids_;
  int n_ = 0;
};

// ---------------------------------------------------------------------------
// Is this the paper's configuration? summary.config is "the parsed
// configuration, as in config.toml"; its layout belongs to the runner, so
// look for well-known keys anywhere in it and compare with the paper.
// ---------------------------------------------------------------------------
void collect_keys(const json& j, std::multimap<std::string, const json*>& out) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      out.emplace(it.key(), &*it);
      collect_keys(*it, out);
    }
  } else if (j.is_array()) {
    for (const auto& e : j) collect_keys(e, out);
  }
}

struct ConfigCheck {
  std::vector<std::string> deviations;  ///< differences from the paper's configuration
  bool checked = false;                 ///< at least one known setting was found
};

ConfigCheck check_config(const json& summary) {
  ConfigCheck r;
  auto compare_scalar = [&](const json* j, double paper, const char* what) {
    if (j == nullptr || !j->is_number()) return;
    r.checked = true;
    const double v = j->get<double>();
    if (std::fabs(v - paper) > 1e-9) r.deviations.push_back(fmt::format("{} {} (paper: {})", what, v, paper));
  };
  compare_scalar(child(&summary, "epoch_scale"), 1.0, "epoch scale");
  const json* config = child(&summary, "config");
  if (config == nullptr || !config->is_object() || config->empty()) return r;

  std::multimap<std::string, const json*> keys;
  collect_keys(*config, keys);
  auto scalar = [&](const std::string& key, double paper, const char* what) {
    auto range = keys.equal_range(key);
    for (auto it = range.first; it != range.second; ++it) compare_scalar(it->second, paper, what);
  };
  scalar("epoch_scale", 1.0, "epoch scale");
  scalar("train_size", 12000, "training set size");
  scalar("standard_size", 4000, "standard test set size");
  scalar("clean_size", 2000, "clean test set size");
  scalar("batch_size", 128, "batch size");
  scalar("cycles", 8, "longitudinal cycles");
  scalar("threshold", 80, "relapse threshold");

  auto widths = keys.equal_range("widths");
  for (auto it = widths.first; it != widths.second; ++it) {
    if (!it->second->is_array()) continue;
    r.checked = true;
    if (*it->second != json::array({2, 512, 512, 256, 4}))
      r.deviations.push_back(fmt::format("network widths {} (paper: [2,512,512,256,4])", it->second->dump()));
  }

  // Epoch counts of every training step: the paper's are baseline 20,
  // treatments 15 / 100 / 10, maintenance 5 / 20 / 10.
  std::vector<int> epochs;
  auto ep = keys.equal_range("epochs");
  for (auto it = ep.first; it != ep.second; ++it)
    if (it->second->is_number()) epochs.push_back(int(std::lround(it->second->get<double>())));
  if (!epochs.empty()) {
    r.checked = true;
    const std::vector<int> paper{5, 10, 10, 15, 20, 20, 100};
    std::sort(epochs.begin(), epochs.end());
    if (epochs != paper) {
      std::vector<std::string> list;
      for (int e : epochs) list.push_back(std::to_string(e));
      r.deviations.push_back(
          fmt::format("training epochs {{{}}} (paper: {{5, 10, 10, 15, 20, 20, 100}})", join(list)));
    }
  }
  return r;
}

// ---------------------------------------------------------------------------
// Figures
// ---------------------------------------------------------------------------
struct FigureResult {
  std::string name;  ///< e.g. "longitudinal"
  bool has_data = true;  ///< false: nothing to plot (no such arms), no figure
  bool rendered = false;
  std::string problem;  ///< why not rendered, or what gnuplot warned about
};

std::string gp_header(const std::string& name, const std::string& what, const std::string& data_doc) {
  return fmt::format(
      "# {0}.gp - {1}\n"
      "# Generated by chronic_stress_report; edit freely and re-plot from this directory with\n"
      "#   gnuplot {0}.gp          (writes {0}.png)\n"
      "{2}"
      "if (!exists(\"outfile\")) outfile = \"{0}.png\"\n"
      "set encoding utf8\n"
      "set terminal pngcairo size 1200,800 noenhanced font \"DejaVu Sans,21\" linewidth 1.5\n"
      "set output outfile\n"
      "set title font \",23\"\n"
      "set border 3 lw 1.2\n"
      "set tics nomirror out\n"
      "set grid ytics lc rgb \"#DDDDDD\" lw 1 dt 1\n"
      "set key outside below center horizontal Left reverse noautotitle samplen 2 spacing 1.0 font \",19\" maxcols 4\n",
      name, what, data_doc);
}

std::string plot_command(const std::vector<std::string>& parts) {
  std::string gp = "plot \\\n";
  for (std::size_t i = 0; i < parts.size(); ++i) gp += "  " + parts[i] + (i + 1 < parts.size() ? ", \\\n" : "\n");
  return gp;
}

/// Runs `gnuplot <name>.gp` in `dir`, writing <name>.png atomically (to a
/// temporary name, renamed on success).
FigureResult render(const fs::path& dir, const std::string& name, const std::string& gnuplot, bool gnuplot_ok,
                    const std::string& missing_reason) {
  FigureResult r;
  r.name = name;
  const fs::path png = dir / (name + ".png");
  std::error_code ignored;
  if (!gnuplot_ok) {
    fs::remove(png, ignored);  // a stale figure must not sit beside a new report
    r.problem = missing_reason;
    return r;
  }
  const std::string tmp_name = name + ".png.tmp";
  const std::string err_name = "." + name + ".gnuplot-stderr";
  const std::string cmd = "cd " + sh_quote(dir.string()) + " && " + sh_quote(gnuplot) + " -e " +
                          sh_quote("outfile='" + tmp_name + "'") + " " + sh_quote(name + ".gp") + " >/dev/null 2>" +
                          sh_quote(err_name);
  const int status = std::system(cmd.c_str());
  std::string err;
  try {
    err = examples::read_file(dir / err_name);
  } catch (const std::exception&) {
  }
  fs::remove(dir / err_name, ignored);
  while (!err.empty() && (err.back() == '\n' || err.back() == '\r')) err.pop_back();
  if (err.size() > 600) err = err.substr(0, 600) + " ...";
  const fs::path tmp = dir / tmp_name;
  if (status != 0 || !fs::exists(tmp) || fs::file_size(tmp, ignored) == 0) {
    fs::remove(tmp, ignored);
    fs::remove(png, ignored);
    r.problem = fmt::format("gnuplot failed on {}.gp (status {}){}", name, status, err.empty() ? "" : ": " + err);
    return r;
  }
  std::error_code ec;
  fs::rename(tmp, png, ec);
  if (ec) {
    fs::remove(tmp, ignored);
    r.problem = fmt::format("cannot rename {} to {}: {}", tmp.string(), png.string(), ec.message());
    return r;
  }
  r.rendered = true;
  if (!err.empty()) r.problem = fmt::format("gnuplot warned on {}.gp: {}", name, err);  // rendered anyway
  return r;
}

std::string dat(double x) { return std::isfinite(x) ? fmt::format("{:.4f}", x) : "NaN"; }

/// Deterministic jitter in [-0.5, 0.5) for the i-th dot (golden-ratio sequence).
double jitter(std::size_t i) {
  const double u = 0.5 + double(i) * 0.6180339887498949;
  return u - std::floor(u) - 0.5;
}

/// longitudinal.{dat,gp} and longitudinal_seeds.dat.
bool write_longitudinal_figure(const Run& run, const fs::path& dir, const std::map<std::string, ArmStyle>& styles) {
  const auto arms = run.longitudinal_arms();
  if (arms.empty()) return false;
  std::string data =
      "# Combined-stress accuracy (%) by cycle; one index block per arm (two blank lines between blocks).\n"
      "# columns: cycle  mean  sd  min  max  published_mean  published_sd\n";
  std::string seeds =
      "# Combined-stress accuracy (%) by cycle per seed; one index block per arm, one sub-block per seed.\n"
      "# columns: cycle  accuracy  seed\n";
  const double threshold = arms.empty() ? 80.0 : run.threshold(arms.front());
  double lo = threshold;
  std::size_t max_cycle = 1;
  for (std::size_t a = 0; a < arms.size(); ++a) {
    const auto& arm = arms[a];
    if (a > 0) data += "\n\n", seeds += "\n\n";
    data += fmt::format("# index {}: {}\n", a, arm);
    seeds += fmt::format("# index {}: {}\n", a, arm);
    const std::size_t cycles = run.cycle_count(arm);
    max_cycle = std::max(max_cycle, cycles > 0 ? cycles - 1 : 0);
    for (std::size_t c = 0; c < cycles; ++c) {
      const Stat s = run.cycle_stat(arm, "accuracy", c);
      const Ref p = run.pub_cycle(arm, "accuracy", c);
      data += fmt::format("{} {} {} {} {} {} {}\n", c, dat(s.mean), dat(s.sd), dat(s.min), dat(s.max), dat(p.mean),
                          dat(p.sd));
      if (s.ok()) lo = std::min(lo, s.mean - (std::isfinite(s.sd) ? s.sd : 0.0));
      if (std::isfinite(s.min)) lo = std::min(lo, s.min);
      if (p.ok()) lo = std::min(lo, p.mean);
    }
    bool first = true;
    for (std::size_t i = 0; i < run.seeds().size(); ++i) {
      const auto curve = run.seed_curve(i, arm, "accuracy");
      if (curve.empty()) continue;
      if (!first) seeds += "\n";
      first = false;
      for (std::size_t c = 0; c < curve.size(); ++c) {
        seeds += fmt::format("{} {} {}\n", c, dat(curve[c]), run.seed_name(i));
        if (std::isfinite(curve[c])) lo = std::min(lo, curve[c]);
      }
    }
    if (first) seeds += "NaN NaN NaN\n";  // keep the index numbering aligned
  }
  const double ymin = std::max(0.0, std::floor((lo - 3.0) / 10.0) * 10.0);

  std::string gp = gp_header("longitudinal", "combined-stress accuracy by cycle per arm",
                             "# Data: longitudinal.dat (per arm: cycle, mean, sd, min, max, published mean/sd),\n"
                             "#       longitudinal_seeds.dat (per arm, one line per seed).\n");
  gp += fmt::format(
      "set title \"Chronic stress: combined-stress accuracy over {} cycles of pruning\"\n"
      "set xlabel \"Stress cycle (each prunes 10 % of the surviving weights, then maintenance)\"\n"
      "set ylabel \"Combined-stress accuracy (%)\"\n"
      "set xrange [-0.25:{:.2f}]\n"
      "set xtics 1\n"
      "set yrange [{}:100.5]\n"
      "set ytics 10 format \"%.0f\"\n"
      "set style fill transparent solid 0.20 noborder\n"
      "threshold = {}\n",
      max_cycle, double(max_cycle) + 0.25, ymin, threshold);
  std::vector<std::string> parts;
  for (std::size_t a = 0; a < arms.size(); ++a)
    parts.push_back(fmt::format("'longitudinal.dat' index {} using 1:($2-$3):($2+$3) with filledcurves lc rgb {}", a,
                                gp_quote(styles.at(arms[a]).colour)));
  for (std::size_t a = 0; a < arms.size(); ++a)
    parts.push_back(fmt::format("'longitudinal_seeds.dat' index {} using 1:2 with lines lw 1.2 lc rgb {}", a,
                                gp_quote(with_alpha(styles.at(arms[a]).colour, "90"))));
  parts.push_back("threshold with lines dt (8,6) lw 2.5 lc rgb \"#555555\"");
  bool any_pub = false;
  for (std::size_t a = 0; a < arms.size(); ++a) {
    const ArmStyle& st = styles.at(arms[a]);
    parts.push_back(fmt::format("'longitudinal.dat' index {} using 1:2 with linespoints lw 3.5 pt {} ps 1.5 lc rgb {} title {}",
                                a, st.point, gp_quote(st.colour), gp_quote(run.label(arms[a]))));
    if (run.pub_cycle_count(arms[a]) > 0) {
      any_pub = true;
      parts.push_back(fmt::format("'longitudinal.dat' index {} using 1:6 with points pt 6 ps 2.6 lw 2 lc rgb {}", a,
                                  gp_quote(st.colour)));
    }
  }
  parts.push_back("keyentry with filledcurves lc rgb \"#888888\" title \"± 1 SD\"");
  parts.push_back("keyentry with lines lw 1.2 lc rgb \"#70555555\" title \"single seeds\"");
  if (any_pub) parts.push_back("keyentry with points pt 6 ps 2.6 lw 2 lc rgb \"#333333\" title \"published mean\"");
  parts.push_back(fmt::format("keyentry with lines dt (8,6) lw 2.5 lc rgb \"#555555\" title \"relapse threshold ({} %)\"",
                              num(threshold, 0)));
  gp += plot_command(parts);

  examples::write_file_atomically(dir / "longitudinal.dat", data);
  examples::write_file_atomically(dir / "longitudinal_seeds.dat", seeds);
  examples::write_file_atomically(dir / "longitudinal.gp", gp);
  return true;
}

std::vector<std::string> stress_metrics(const Run& run) {
  std::set<std::string> names;
  for (const auto& a : run.arms())
    for (const auto& m : run.metric_names(a))
      if (is_stress_metric(m) && std::isfinite(stress_sigma(m))) names.insert(m);
  std::vector<std::string> out(names.begin(), names.end());
  std::sort(out.begin(), out.end(),
            [](const std::string& x, const std::string& y) { return stress_sigma(x) < stress_sigma(y); });
  return out;
}

bool write_stress_figure(const Run& run, const fs::path& dir, const std::map<std::string, ArmStyle>& styles) {
  const auto levels = stress_metrics(run);
  std::vector<std::string> arms;
  for (const auto& a : run.arms())
    for (const auto& m : levels)
      if (run.stat(a, m).ok()) {
        arms.push_back(a);
        break;
      }
  if (arms.empty()) return false;
  std::string data =
      "# Accuracy (%) on the standard test set vs internal noise sigma; one index block per arm.\n"
      "# columns: sigma  mean  sd  min  max  published_mean  published_sd\n";
  for (std::size_t a = 0; a < arms.size(); ++a) {
    if (a > 0) data += "\n\n";
    data += fmt::format("# index {}: {}\n", a, arms[a]);
    for (const auto& m : levels) {
      const Stat s = run.stat(arms[a], m);
      const Ref p = run.pub(arms[a], m);
      data += fmt::format("{} {} {} {} {} {} {}\n", stress_sigma(m), dat(s.mean), dat(s.sd), dat(s.min), dat(s.max),
                          dat(p.mean), dat(p.sd));
    }
  }
  const double xmax = levels.empty() ? 2.5 : stress_sigma(levels.back());
  std::vector<std::string> xt;
  for (const auto& m : levels) xt.push_back(fmt::format("\"{:.1f}\" {}", stress_sigma(m), stress_sigma(m)));

  std::string gp = gp_header("stress_sweep", "accuracy vs internal noise sigma per arm (mean ± SD)",
                             "# Data: stress_sweep.dat (per arm: sigma, mean, sd, min, max, published mean/sd).\n");
  gp += fmt::format(
      "set title \"Stress resilience: accuracy under graded internal noise\"\n"
      "set xlabel \"Internal noise σ (SD of the Gaussian noise added to every hidden unit)\"\n"
      "set ylabel \"Accuracy on the standard test set (%)\"\n"
      "set xrange [-0.15:{:.2f}]\n"
      "set xtics ({})\n"
      "set yrange [0:102]\n"
      "set ytics 20 format \"%.0f\"\n"
      "set errorbars 1.5\n"
      "chance = 25\n"
      "# Horizontal dodge between arms so that error bars do not overlap.\n"
      "dodge = 0.035\n",
      xmax + 0.15, join(xt));
  std::vector<std::string> parts;
  bool any_pub = false;
  for (std::size_t a = 0; a < arms.size(); ++a) {
    const ArmStyle& st = styles.at(arms[a]);
    const double off = double(a) - (double(arms.size()) - 1.0) / 2.0;
    parts.push_back(fmt::format(
        "'stress_sweep.dat' index {} using ($1+({:.1f})*dodge):2:3 with yerrorlines lw 3 pt {} ps 1.5 lc rgb {} title {}",
        a, off, st.point, gp_quote(st.colour), gp_quote(run.label(arms[a]))));
    bool has_pub = false;
    for (const auto& m : levels) has_pub = has_pub || run.pub(arms[a], m).ok();
    if (has_pub) {
      any_pub = true;
      parts.push_back(fmt::format(
          "'stress_sweep.dat' index {} using ($1+({:.1f})*dodge):6 with points pt 6 ps 2.8 lw 2 lc rgb {}", a, off,
          gp_quote(st.colour)));
    }
  }
  if (any_pub) parts.push_back("keyentry with points pt 6 ps 2.8 lw 2 lc rgb \"#333333\" title \"published mean\"");
  parts.push_back("chance with lines dt (3,4) lw 2 lc rgb \"#777777\" title \"chance (4 classes)\"");
  gp += plot_command(parts);
  examples::write_file_atomically(dir / "stress_sweep.dat", data);
  examples::write_file_atomically(dir / "stress_sweep.gp", gp);
  return true;
}

std::vector<std::string> relapse_arms(const Run& run) {
  std::vector<std::string> out;
  for (const auto& a : run.arms())
    if (run.stat(a, "relapse_drop").ok()) out.push_back(a);
  return out;
}

bool write_relapse_figure(const Run& run, const fs::path& dir, const std::map<std::string, ArmStyle>& styles) {
  const auto arms = relapse_arms(run);
  if (arms.empty()) return false;
  std::string data =
      "# Acute relapse drop (percentage points of combined-stress accuracy) per arm; one index block per arm.\n"
      "# columns: x  mean  sd  min  max  published_mean  published_sd\n";
  std::string seeds =
      "# Acute relapse drop per seed; one index block per arm. x = arm position + deterministic jitter.\n"
      "# columns: arm_x  x  drop  seed\n";
  double lo = 0.0, hi = 1.0;
  for (std::size_t a = 0; a < arms.size(); ++a) {
    if (a > 0) data += "\n\n", seeds += "\n\n";
    data += fmt::format("# index {}: {}\n", a, arms[a]);
    seeds += fmt::format("# index {}: {}\n", a, arms[a]);
    const Stat s = run.stat(arms[a], "relapse_drop");
    const Ref p = run.pub(arms[a], "relapse_drop");
    data += fmt::format("{} {} {} {} {} {} {}\n", a, dat(s.mean), dat(s.sd), dat(s.min), dat(s.max), dat(p.mean),
                        dat(p.sd));
    const double sd = std::isfinite(s.sd) ? s.sd : 0.0;
    lo = std::min(lo, s.mean - sd);
    hi = std::max(hi, s.mean + sd);
    if (p.ok()) lo = std::min(lo, p.mean), hi = std::max(hi, p.mean);
    const auto v = run.seed_values(arms[a], "relapse_drop");
    bool any = false;
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (!std::isfinite(v[i])) continue;
      any = true;
      seeds += fmt::format("{} {:.4f} {} {}\n", a, double(a) + 0.32 * jitter(i), dat(v[i]), run.seed_name(i));
      lo = std::min(lo, v[i]);
      hi = std::max(hi, v[i]);
    }
    if (!any) seeds += "NaN NaN NaN NaN\n";
  }
  const double pad = 0.08 * (hi - lo);
  const double ymin = lo < 0.0 ? std::floor(lo - pad) : 0.0;
  const double ymax = std::ceil(hi + pad);
  std::vector<std::string> xt;
  for (std::size_t a = 0; a < arms.size(); ++a) xt.push_back(fmt::format("{} {}", gp_quote(run.label(arms[a])), a));

  std::string gp = gp_header("relapse_drop", "acute relapse drop per arm (bars: mean, whiskers: ± SD, dots: seeds)",
                             "# Data: relapse_drop.dat (per arm: x, mean, sd, min, max, published mean/sd),\n"
                             "#       relapse_drop_seeds.dat (per arm: arm x, jittered x, drop, seed).\n");
  gp += fmt::format(
      "set title \"Acute relapse: combined-stress accuracy lost after pruning\\n40 % of the surviving weights\"\n"
      "set xlabel \"\"\n"
      "set ylabel \"Accuracy drop (percentage points)\"\n"
      "set xrange [-0.6:{:.1f}]\n"
      "set xtics ({}) scale 0\n"
      "set yrange [{}:{}]\n"
      "set xzeroaxis lt 1 lw 1.5 lc rgb \"#444444\"\n"
      "set boxwidth 0.6\n"
      "set errorbars 2.0\n",
      double(arms.size()) - 0.4, join(xt), ymin, ymax);
  std::vector<std::string> parts;
  bool any_pub = false;
  for (std::size_t a = 0; a < arms.size(); ++a)
    parts.push_back(fmt::format("'relapse_drop.dat' index {} using 1:2 with boxes fs solid 0.30 border lc rgb {} lw 2 lc rgb {}",
                                a, gp_quote(styles.at(arms[a]).colour), gp_quote(styles.at(arms[a]).colour)));
  for (std::size_t a = 0; a < arms.size(); ++a) {
    parts.push_back(fmt::format("'relapse_drop_seeds.dat' index {} using 2:3 with points pt 7 ps 1.5 lc rgb {}", a,
                                gp_quote(with_alpha(styles.at(arms[a]).colour, "30"))));
    parts.push_back(fmt::format(
        "'relapse_drop_seeds.dat' index {} using 2:3 with points pt 6 ps 1.5 lw 1 lc rgb \"#40000000\"", a));
  }
  for (std::size_t a = 0; a < arms.size(); ++a) {
    parts.push_back(fmt::format("'relapse_drop.dat' index {} using 1:2:3 with yerrorbars pt 7 ps 0 lw 2.5 lc rgb \"#222222\"", a));
    if (run.pub(arms[a], "relapse_drop").ok()) {
      any_pub = true;
      parts.push_back(fmt::format("'relapse_drop.dat' index {} using 1:6 with points pt 12 ps 3.6 lw 2.5 lc rgb \"#000000\"", a));
    }
  }
  parts.push_back("keyentry with boxes fs solid 0.30 border lc rgb \"#777777\" lc rgb \"#777777\" title \"mean\"");
  parts.push_back("keyentry with yerrorbars pt 7 ps 0 lw 2.5 lc rgb \"#222222\" title \"± 1 SD\"");
  parts.push_back("keyentry with points pt 7 ps 1.5 lc rgb \"#60777777\" title \"single seeds\"");
  if (any_pub) parts.push_back("keyentry with points pt 12 ps 3.6 lw 2.5 lc rgb \"#000000\" title \"published mean\"");
  gp += plot_command(parts);
  examples::write_file_atomically(dir / "relapse_drop.dat", data);
  examples::write_file_atomically(dir / "relapse_drop_seeds.dat", seeds);
  examples::write_file_atomically(dir / "relapse_drop.gp", gp);
  return true;
}

std::string figure_md(const FigureResult& f, const std::string& alt, const std::string& caption) {
  if (!f.has_data) return "";
  if (f.rendered) return fmt::format("![{}](figures/{}.png)\n\n*{}*\n\n", alt, f.name, caption);
  return fmt::format(
      "*Figure `figures/{0}.png` not rendered ({1}). Its data and script are in `figures/{0}*.dat` and "
      "`figures/{0}.gp`; render it with `cd figures && gnuplot {0}.gp`.*\n\n",
      f.name, f.problem);
}

// ---------------------------------------------------------------------------
// report.md
// ---------------------------------------------------------------------------
std::string flag_rule_text(int n) {
  return fmt::format(
      "- **Columns.** *Ours* is the mean ± population SD over this run's {0} seed(s); *published* is the paper's "
      "mean ± SD over 10 seeds; Δ = ours − published. A cell `a (b)` reads ours (published).\n"
      "- **Flag rule (⚑ = beyond sampling noise).** Sparsity: |Δ| > {1:.1f} percentage points (sparsity is "
      "deterministic). Accuracies and accuracy drops: |Δ| > max({2:.1f}, 2·√((SD_ours² + SD_pub²) / n)) with "
      "n = {0} (our number of seeds): about two standard errors of the difference of the means, and never less "
      "than {2:.1f} point (published values are rounded to 0.1 and evaluation noise is redrawn each time). Relapse "
      "counts: |ours − published × n / 10| > max(2, 0.2·n) seeds. Mean cycle at relapse: |Δ| > {3:.0f} cycles "
      "(only when both runs have relapsed seeds). A published mean without an SD borrows ours.\n"
      "- **Calibration.** The same rule applied to two correct runs of the original PyTorch program (published vs. "
      "re-run on this machine type, section 8) flags nothing: a flag means \"look closer\", not \"wrong\".\n"
      "- **Single seeds vary a lot** (in the re-run, seed 0 alone gave SSRI-like combined 95.2 % against a 10-seed "
      "mean of 81.3 %): compare multi-seed statistics, never single seeds. Our random streams cannot reproduce "
      "PyTorch's, so accuracies can only agree statistically; sparsities must agree exactly.\n",
      n, kSparsityTolerance, kAccuracyFloor, kCycleTolerance);
}

std::string build_report(const Run& run, const std::vector<FigureResult>& figs) {
  const json& sum = run.summary();
  const int n = run.n();
  std::string md;

  // --- header (date-free, so regenerating it changes nothing) -----------------
  auto str_or = [](const json* j, const char* fallback) {
    return (j != nullptr && j->is_string()) ? j->get<std::string>() : std::string(fallback);
  };
  md += "# chronic_stress: results compared with the published study\n\n";
  md += "Cheung (2026), *Structural Rebuilding Confers Superior Long-Term Resilience* "
        "(doi:10.5281/zenodo.18295517), Tables 1–4, re-run with rewire. Generated by the chronic_stress report "
        "generator from `summary.json` and `seeds/` (regenerate with `chronic_stress_report --out <this directory>`).\n\n";
  md += fmt::format("- **Library version:** rewire {}\n", str_or(child(&sum, "library_version"), "n/a"));
  md += fmt::format("- **Configuration hash:** `{}`\n", str_or(child(&sum, "config_hash"), "n/a"));
  md += fmt::format("- **Seeds:** {} (n = {})\n", seed_list(run.seed_ids()), n);
  const double threads = number(child(&sum, "threads"));
  md += fmt::format("- **Threads:** {}\n", std::isfinite(threads) ? fmt::format("{:.0f}", threads) : "n/a");
  md += fmt::format("- **Wall time:** {}\n", duration(number(child(&sum, "wall_seconds"))));
  const double scale = number(child(&sum, "epoch_scale"));
  if (std::isfinite(scale)) md += fmt::format("- **Epoch scale:** {}\n", scale);
  md += "\n";

  // --- notices ---------------------------------------------------------------
  std::vector<std::string> notices;
  const ConfigCheck cfg = check_config(sum);
  if (!cfg.deviations.empty())
    notices.push_back("**Non-paper configuration: comparison is indicative only** (" + join(cfg.deviations, "; ") +
                      ").");
  else if (!cfg.checked)
    notices.push_back("The configuration in `summary.json` could not be checked against the paper's (no known "
                      "settings found): compare with care.");
  if (n < run.published_n())
    notices.push_back(fmt::format("**Only {} seed(s)** (the paper used {}): means and SDs are rough, the flag "
                                  "tolerance is wide, and relapse counts are hardly comparable.",
                                  n, run.published_n()));
  if (n > 0 && std::size_t(n) != run.seeds().size())
    notices.push_back(fmt::format("summary.json lists {} seed(s) but {} seed file(s) were given: per-seed tables "
                                  "and figure elements may be incomplete.",
                                  n, run.seeds().size()));
  std::vector<std::string> extra, missing;
  for (const auto& a : run.arms())
    if (!run.arm_published(a)) extra.push_back("`" + a + "`");
  for (const auto& a : paper_arms())
    if (std::find(run.arms().begin(), run.arms().end(), a) == run.arms().end()) missing.push_back("`" + a + "`");
  if (!extra.empty())
    notices.push_back("Arm(s) " + join(extra) + " are not in the paper: reported without published values.");
  if (!missing.empty()) notices.push_back("Published arm(s) " + join(missing) + " are not in this run.");
  const auto div = run.diverged();
  if (!div.empty()) notices.push_back("**Training diverged** (non-finite loss) in: " + join(div) + ".");
  for (std::size_t i = 0; i < notices.size(); ++i) md += (i ? ">\n> " : "> ") + notices[i] + "\n";
  if (!notices.empty()) md += "\n";

  md += "## How to read this report\n\n" + flag_rule_text(n) + "\n";

  auto fig = [&](const std::string& name) -> const FigureResult& {
    for (const auto& f : figs)
      if (f.name == name) return f;
    throw std::logic_error("no figure " + name);
  };

  // --- long comparison table helper -----------------------------------------
  int flagged_total = 0;
  auto comparison_row = [&](const std::string& arm, const std::string& what, const Stat& ours, const Ref& pub,
                            Kind kind) {
    const Verdict v = compare(ours, pub, kind, n);
    if (v.flagged) ++flagged_total;
    // Sparsity with 2 decimals (the tolerance is 0.1); accuracies with 1, and
    // their Δ from the value as shown, so that the row adds up on paper (the
    // flag itself uses the unrounded value).
    const int dd = kind == Kind::sparsity ? 2 : 1;
    const double shown = kind == Kind::sparsity ? v.delta : std::round(ours.mean * 10.0) / 10.0 - pub.mean;
    return std::vector<std::string>{md_escape(run.label(arm)), what, pm(ours, dd), pm(pub),
                                    v.comparable ? signed_num(shown, dd) : kNone, v.flagged ? kFlagText : ""};
  };
  const std::vector<std::string> long_header{"Arm", "Measure", "Ours mean ± SD", "Published mean ± SD", "Δ", "Flag"};

  // --- Table 1 -------------------------------------------------------------
  md += "## 1. Post-treatment efficacy (paper Table 1)\n\n";
  {
    Table t{long_header, "llrrrl", {}};
    for (const auto& arm : run.arms())
      for (const std::string m : {"sparsity", "clean", "standard", "combined"}) {
        const Stat s = run.stat(arm, m);
        if (!s.ok() && !run.pub(arm, m).ok()) continue;
        t.rows.push_back(
            comparison_row(arm, metric_label(m), s, run.pub(arm, m), m == "sparsity" ? Kind::sparsity : Kind::accuracy));
      }
    md += t.render() + "\n";
    md += "Clean: noise-free points on the cluster centres; standard: the σ = 0.8 test set; combined stress: the "
          "standard set plus input noise σ = 1.0 and internal noise σ = 0.5.\n\n";
  }

  // --- Table 2 -------------------------------------------------------------
  md += "## 2. Stress resilience (paper Table 2)\n\n";
  {
    const auto levels = stress_metrics(run);
    Table t{long_header, "llrrrl", {}};
    t.header[1] = "Internal noise";
    for (const auto& arm : run.arms())
      for (const auto& m : levels) {
        const Stat s = run.stat(arm, m);
        if (!s.ok()) continue;
        t.rows.push_back(comparison_row(arm, stress_label(stress_sigma(m)), s, run.pub(arm, m), Kind::accuracy));
      }
    if (t.rows.empty()) {
      md += "*No stress sweep in this run.*\n\n";
    } else {
      md += t.render() + "\n";
      md += "Accuracy (%) on the standard test set with Gaussian noise of SD σ added to every hidden unit.\n\n";
    }
    md += figure_md(fig("stress_sweep"), "Accuracy vs internal noise per arm",
                    "Figure 1. Accuracy vs internal noise σ: filled markers with error bars are our mean ± SD over "
                    "seeds (arms dodged sideways), hollow circles the published means; dotted line: chance (25 %).");
  }

  // --- Acute relapse and state dependence ----------------------------------
  md += "## 3. Acute relapse and neurosteroid state dependence\n\n";
  {
    md += "Acute relapse: from the post-treatment state, prune 40 % of the surviving weights once; drop = combined "
          "accuracy before − after (percentage points, pp).\n\n";
    Table t{long_header, "llrrrl", {}};
    Table ctx{{"Arm", "Combined before (%)", "Combined after (%)", "Sparsity after (%)"}, "lrrr", {}};
    for (const auto& arm : relapse_arms(run)) {
      t.rows.push_back(
          comparison_row(arm, "Relapse drop (pp)", run.stat(arm, "relapse_drop"), run.pub(arm, "relapse_drop"), Kind::accuracy));
      ctx.rows.push_back({md_escape(run.label(arm)), pm(run.stat(arm, "relapse_before")),
                          pm(run.stat(arm, "relapse_after")), pm(run.stat(arm, "relapse_sparsity"))});
    }
    if (t.rows.empty()) {
      md += "*No arm of this run has an acute relapse test.*\n\n";
    } else {
      md += t.render() + "\nOurs in detail:\n\n" + ctx.render() + "\n";
      md += figure_md(fig("relapse_drop"), "Acute relapse drop per arm",
                      "Figure 2. Acute relapse drop: bars are our means, whiskers ± 1 SD, dots single seeds "
                      "(deterministic horizontal jitter), hollow diamonds the published means.");
    }

    // Probes: "<probe>_combined" / "<probe>_extreme" metrics.
    Table p{{"Arm", "Probe", "Measure", "Ours, probe (mean ± SD)", "Published, probe", "Δ", "Flag", "Ours, as treated"},
            "lllrrrlr",
            {}};
    const auto levels = stress_metrics(run);
    const std::string extreme_metric = levels.empty() ? "stress_2.5" : levels.back();
    const std::vector<std::tuple<std::string, std::string, std::string>> measures{
        {"_combined", "combined", "Combined stress (%)"}, {"_extreme", extreme_metric, "Extreme internal noise (%)"}};
    for (const auto& arm : run.arms()) {
      std::set<std::string> probes;
      for (const auto& m : run.metric_names(arm))
        for (const auto& [suffix, ref_metric, what] : measures)
          if (m.size() > suffix.size() && m.compare(m.size() - suffix.size(), suffix.size(), suffix) == 0)
            probes.insert(m.substr(0, m.size() - suffix.size()));
      for (const auto& probe : probes) {
        const std::string probe_label = probe == "off" ? "off (damping 1.0, ReLU)" : md_escape(probe);
        for (const auto& [suffix, ref_metric, what] : measures) {
          auto row = comparison_row(arm, what, run.stat(arm, probe + suffix), run.pub(arm, probe + suffix),
                                    Kind::accuracy);
          row.insert(row.begin() + 1, probe_label);
          row.push_back(pm(run.stat(arm, ref_metric)));
          p.rows.push_back(row);
        }
      }
    }
    if (!p.rows.empty()) {
      md += "State dependence: the arm is measured with its modulation temporarily switched (for the paper's "
            "neurosteroid-like arm: damping off and ReLU instead of tanh), then restored. *As treated* is the same "
            "measure with the modulation on (Tables 1 and 2).\n\n";
      md += p.render() + "\n";
    }
  }

  // --- Table 3 -------------------------------------------------------------
  const auto larms = run.longitudinal_arms();
  auto wide_table = [&](const char* first) {
    Table t{{first}, "r", {}};
    for (const auto& a : larms) {
      t.header.push_back(md_escape(run.label(a)) + (run.pub_cycle_count(a) > 0 ? " ours (published)" : " ours"));
      t.align += 'r';
    }
    return t;
  };
  md += "## 4. Combined-stress accuracy by cycle (paper Table 3)\n\n";
  if (larms.empty()) {
    md += "*No arm of this run has a longitudinal follow-up.*\n\n";
  } else {
    std::size_t cycles = 0;
    for (const auto& a : larms) cycles = std::max(cycles, run.cycle_count(a));
    Table t = wide_table("Cycle");
    for (std::size_t c = 0; c < cycles; ++c) {
      std::vector<std::string> row{std::to_string(c)};
      for (const auto& a : larms) {
        const Stat s = run.cycle_stat(a, "accuracy", c);
        const Ref p = run.pub_cycle(a, "accuracy", c);
        const Verdict v = compare(s, p, Kind::accuracy, n);
        if (v.flagged) ++flagged_total;
        row.push_back(cell(pm(s), p.ok() ? pm(p) : "", v.flagged));
      }
      t.rows.push_back(row);
    }
    md += t.render() + "\n";
    md += "Mean ± SD (%) of combined-stress accuracy after each cycle (cycle 0 = post-treatment; each cycle prunes "
          "10 % of the surviving weights, then runs the arm's maintenance). ⚑ marks a difference beyond noise.\n\n";
    md += figure_md(fig("longitudinal"), "Combined-stress accuracy by cycle per arm",
                    "Figure 3. Combined-stress accuracy by cycle: thick lines are our means with ± 1 SD bands, thin "
                    "lines single seeds, hollow circles the published means, the dashed line the relapse threshold.");

    md += "### Sparsity by cycle\n\n";
    Table sp = wide_table("Cycle");
    for (std::size_t c = 0; c < cycles; ++c) {
      std::vector<std::string> row{std::to_string(c)};
      for (const auto& a : larms) {
        const Stat s = run.cycle_stat(a, "sparsity", c);
        const Ref p = run.pub_cycle(a, "sparsity", c);
        const Verdict v = compare(s, p, Kind::sparsity, n);
        if (v.flagged) ++flagged_total;
        std::string ours = num(s.mean, 2);
        if (std::isfinite(s.sd) && s.sd > 0.005) ours += " ± " + num(s.sd, 2);
        row.push_back(cell(ours, p.ok() ? num(p.mean, 1) : "", v.flagged));
      }
      sp.rows.push_back(row);
    }
    md += sp.render() + "\n";
    md += "Sparsity (%) of the four weight matrices (biases not counted). Deterministic, hence the same for every "
          "seed (an SD is shown only if seeds differ). Flag: |Δ| > 0.1.\n\n";

    md += "### Accuracy range (min–max over seeds) by cycle\n\n";
    Table rg = wide_table("Cycle");
    for (std::size_t c = 0; c < cycles; ++c) {
      std::vector<std::string> row{std::to_string(c)};
      for (const auto& a : larms) {
        const Stat s = run.cycle_stat(a, "accuracy", c);
        std::string pub;
        if (auto r = run.pub_range(a, c)) pub = num(r->first) + "–" + num(r->second);
        row.push_back(cell(num(s.min) + "–" + num(s.max), pub, false));
      }
      rg.rows.push_back(row);
    }
    md += rg.render() + "\n";
    md += "Combined-stress accuracy (%). The paper publishes a range only for the neurosteroid-like arm at cycle 8; "
          "ranges are not flagged (the extremes of 10 seeds are too noisy to test).\n\n";
  }

  // --- Table 4 -------------------------------------------------------------
  md += "## 5. Longitudinal relapse summary (paper Table 4)\n\n";
  if (larms.empty()) {
    md += "*No arm of this run has a longitudinal follow-up.*\n\n";
  } else {
    const int pn = run.published_n();
    const double thr = run.threshold(larms.front());
    std::vector<std::string> r_drop{"Total accuracy drop, cycle 0 to last (pp)"},
        r_final{"Final accuracy, last cycle (%)"}, r_with{fmt::format("Seeds with relapse (< {} %)", num(thr, 0))},
        r_without{fmt::format("Seeds without relapse (≥ {} %)", num(thr, 0))},
        r_cycle{"Mean cycle at relapse (if relapsed)"};
    for (const auto& a : larms) {
      const std::size_t cycles = run.cycle_count(a);
      // Published cycle-indexed values only apply if we ran as many cycles.
      const bool same_cycles = cycles > 0 && cycles == run.pub_cycle_count(a);
      const json* pl = walk(run.published(), {"longitudinal", a});

      const Stat drop = run.total_drop(a);
      const Ref pdrop = same_cycles ? ref_from_json(child(pl, "total_drop")) : Ref{};
      Verdict v = compare(drop, pdrop, Kind::accuracy, n);
      flagged_total += v.flagged;
      r_drop.push_back(cell(pm(drop), pdrop.ok() ? pm(pdrop) : "", v.flagged));

      const Stat fin = cycles > 0 ? run.cycle_stat(a, "accuracy", cycles - 1) : Stat{};
      const Ref pfin = same_cycles ? ref_from_json(child(pl, "final_accuracy")) : Ref{};
      v = compare(fin, pfin, Kind::accuracy, n);
      flagged_total += v.flagged;
      r_final.push_back(cell(pm(fin), pfin.ok() ? pm(pfin) : "", v.flagged));

      const auto rc = run.relapse_cycles(a);
      int relapsed = 0;
      std::vector<double> at;
      for (const auto& c : rc)
        if (c) {
          ++relapsed;
          at.push_back(*c);
        }
      const int total = rc.empty() ? n : int(rc.size());
      const double prel = same_cycles ? number(child(pl, "relapsed")) : kNaN;
      bool fc = false;
      if (std::isfinite(prel)) {
        fc = std::fabs(relapsed - prel * total / pn) > count_tolerance(total) + 1e-9;
        flagged_total += fc;
      }
      r_with.push_back(
          cell(fmt::format("{}/{}", relapsed, total), std::isfinite(prel) ? fmt::format("{:.0f}/{}", prel, pn) : "", fc));
      r_without.push_back(cell(fmt::format("{}/{}", total - relapsed, total),
                               std::isfinite(prel) ? fmt::format("{:.0f}/{}", pn - prel, pn) : "", fc));

      const Stat mc = stat_of(at);
      const json* pmc = same_cycles ? child(pl, "mean_relapse_cycle") : nullptr;
      std::string pub_mc;
      bool fcy = false;
      if (pmc != nullptr) {
        pub_mc = pmc->is_number() ? num(pmc->get<double>()) : "N/A";
        if (pmc->is_number() && mc.ok()) {
          fcy = std::fabs(mc.mean - pmc->get<double>()) > kCycleTolerance + 1e-9;
          flagged_total += fcy;
        }
      }
      r_cycle.push_back(cell(mc.ok() ? num(mc.mean) : "N/A", pub_mc, fcy));
    }
    Table t = wide_table("Metric");
    t.align[0] = 'l';
    t.rows = {r_drop, r_final, r_with, r_without, r_cycle};
    md += t.render() + "\n";
    std::vector<std::string> other_cycles;
    for (const auto& a : larms)
      if (run.pub_cycle_count(a) > 0 && run.cycle_count(a) != run.pub_cycle_count(a))
        other_cycles.push_back(md_escape(run.label(a)));
    if (!other_cycles.empty())
      md += fmt::format("Published values omitted for {}: this run has another number of cycles than the paper's "
                        "8, so final values and relapse counts are not comparable.\n\n",
                        join(other_cycles));
    md += "Total drop = cycle-0 minus last-cycle combined accuracy (negative = improved over the cycles). Relapse = "
          "the first cycle (0 included) whose combined accuracy is below the threshold.\n\n";

    md += "### Relapse cycle per seed\n\n";
    Table ps{{"Seed"}, "r", {}};
    std::vector<std::vector<std::optional<int>>> all;
    std::size_t rows = 0;
    for (const auto& a : larms) {
      ps.header.push_back(md_escape(run.label(a)));
      ps.align += 'r';
      all.push_back(run.relapse_cycles(a));
      rows = std::max(rows, all.back().size());
    }
    for (std::size_t i = 0; i < rows; ++i) {
      std::vector<std::string> row{run.seed_name(i)};
      for (std::size_t a = 0; a < larms.size(); ++a) {
        std::string c = kNone;
        if (i < all[a].size() && all[a][i]) c = fmt::format("cycle {}", *all[a][i]);
        if (i < run.seeds().size()) {
          const auto curve = run.seed_curve(i, larms[a], "accuracy");
          if (!curve.empty()) c += fmt::format(" (final {} %)", num(curve.back()));
          if (run.seed_diverged(i, larms[a])) c += ", diverged";
        }
        row.push_back(c);
      }
      ps.rows.push_back(row);
    }
    md += ps.render() + "\n";
    md += "— = never below the threshold; *final* = the seed's last-cycle combined accuracy. Published: SSRI-like "
          "4 seeds at cycle 0, neurosteroid-like 2 seeds at cycle 8, ketamine-like none.\n\n";
  }

  // --- Verdict --------------------------------------------------------------
  md += "## 6. Verdict\n\n";
  if (flagged_total == 0)
    md += "No value differs from the published one by more than sampling noise explains (rule above).\n\n";
  else
    md += fmt::format("**{} value(s) flagged ⚑** as beyond sampling noise (rule above): check those first. With "
                      "fewer than 10 seeds or a non-paper configuration a flag is indicative only.\n\n",
                      flagged_total);

  md += "## 7. Published values used\n\n";
  md += "Transcribed from the paper (Tables 1–4 and the Results text) and from the reference protocol (sparsity by "
        "cycle, relapse cycles), embedded in the program at build time from "
        "`examples/chronic_stress/published.json`, whose `source` field cites the origin of each value.\n\n";

  // --- Calibration: published vs re-run -----------------------------------
  md += "## 8. How far two correct runs differ (calibration of the flag rule)\n\n";
  {
    const json* rr = child(&run.published(), "rerun_here");
    Table t{{"Arm", "Measure", "Published", "Re-run of the original program", "Δ", "Flag (n = 10)"}, "llrrrl", {}};
    int flags = 0;
    const double rn_json = number(child(rr, "n"));
    const int rn = std::isfinite(rn_json) ? int(rn_json) : 10;
    if (const json* ra = child(rr, "arms"); ra != nullptr && ra->is_object()) {
      for (const auto& arm : paper_arms()) {
        const json* metrics = walk(*ra, {arm, "metrics"});
        if (metrics == nullptr || !metrics->is_object()) continue;
        for (auto it = metrics->begin(); it != metrics->end(); ++it) {
          const Ref p = run.pub(arm, it.key());
          const Ref r = ref_from_json(&*it);
          Stat as;
          as.mean = r.mean;
          as.sd = r.sd;
          const Verdict v = compare(as, p, it.key() == "sparsity" ? Kind::sparsity : Kind::accuracy, rn);
          flags += v.flagged;
          t.rows.push_back({run.label(arm), metric_label(it.key()), pm(p), pm(r),
                            v.comparable ? signed_num(v.delta) : kNone, v.flagged ? kFlagText : ""});
        }
      }
    }
    if (const json* rl = child(rr, "longitudinal"); rl != nullptr && rl->is_object()) {
      auto cycles_of = [](const json* l) {
        std::vector<std::string> s;
        if (l != nullptr && l->is_array())
          for (const auto& c : *l) s.push_back(c.dump());
        return s.empty() ? std::string() : " (cycle " + join(s) + ")";
      };
      for (const auto& arm : paper_arms()) {
        const json* e = child(rl, arm);
        if (e == nullptr) continue;
        const json* pl = walk(run.published(), {"longitudinal", arm});
        const Ref pf = ref_from_json(child(pl, "final_accuracy"));
        const Ref rf = ref_from_json(child(e, "final_accuracy"));
        Stat as;
        as.mean = rf.mean;
        as.sd = rf.sd;
        const Verdict v = compare(as, pf, Kind::accuracy, rn);
        flags += v.flagged;
        t.rows.push_back({run.label(arm), "Final accuracy, cycle 8 (%)", pm(pf), pm(rf),
                          v.comparable ? signed_num(v.delta) : kNone, v.flagged ? kFlagText : ""});
        const double pr = number(child(pl, "relapsed")), rrl = number(child(e, "relapsed"));
        if (std::isfinite(pr) && std::isfinite(rrl)) {
          const bool f = std::fabs(rrl - pr) > count_tolerance(rn) + 1e-9;
          flags += f;
          t.rows.push_back({run.label(arm), "Seeds with relapse",
                            fmt::format("{:.0f}/10{}", pr, cycles_of(child(pl, "relapse_cycles"))),
                            fmt::format("{:.0f}/10{}", rrl, cycles_of(child(e, "relapse_cycles"))),
                            signed_num(rrl - pr, 0), f ? kFlagText : ""});
        }
      }
    }
    md += "The study's own PyTorch program, unchanged, re-run on this machine type (10 seeds; values from the "
          "reference protocol). Its random streams differ from the published run's, exactly as ours do, so this is "
          "the spread to expect between two correct runs.\n\n";
    md += t.render() + "\n";
    md += fmt::format("The flag rule flags {} of these {} differences.\n", flags, t.rows.size());
  }
  return md;
}

}  // namespace

std::vector<std::string> write_report(const std::filesystem::path& out_dir, const ReportInputs& inputs) {
  const Run run(inputs);
  std::vector<std::string> warnings;
  const fs::path figdir = out_dir / "figures";
  fs::create_directories(figdir);
  const auto styles = arm_styles(run.arms());

  const std::map<std::string, bool> has_data{{"longitudinal", write_longitudinal_figure(run, figdir, styles)},
                                             {"stress_sweep", write_stress_figure(run, figdir, styles)},
                                             {"relapse_drop", write_relapse_figure(run, figdir, styles)}};

  // CHRONIC_STRESS_GNUPLOT overrides the gnuplot executable (the tests use it
  // to exercise the "gnuplot missing" path).
  std::string gnuplot = "gnuplot";
  if (const char* env = std::getenv("CHRONIC_STRESS_GNUPLOT"); env != nullptr && *env != '\0') gnuplot = env;
  bool gnuplot_ok = std::system(nullptr) != 0;
  std::string missing = "no shell to run gnuplot";
  if (gnuplot_ok) {
    const std::string probe = sh_quote(gnuplot) + " --version >/dev/null 2>&1";
    gnuplot_ok = std::system(probe.c_str()) == 0;
    missing = "gnuplot not found or not runnable ('" + gnuplot + "'; install Debian's gnuplot-nox)";
  }
  std::vector<FigureResult> figs;
  bool any = false;
  for (const char* name : {"longitudinal", "stress_sweep", "relapse_drop"}) {
    if (!has_data.at(name)) {  // nothing to plot: no figure, and no stale one either
      FigureResult none;
      none.name = name;
      none.has_data = false;
      std::error_code ignored;
      for (const char* ext : {".png", ".gp", ".dat", "_seeds.dat"}) fs::remove(figdir / (name + std::string(ext)), ignored);
      figs.push_back(none);
      continue;
    }
    any = true;
    figs.push_back(render(figdir, name, gnuplot, gnuplot_ok, missing));
    if (gnuplot_ok && !figs.back().problem.empty()) warnings.push_back(figs.back().problem);
  }
  if (!gnuplot_ok && any)
    warnings.push_back(missing + ": figures not rendered; their data and gnuplot scripts are in " + figdir.string());

  examples::write_file_atomically(out_dir / "report.md", build_report(run, figs));
  return warnings;
}

}  // namespace chronic_stress
