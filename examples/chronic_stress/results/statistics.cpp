// results/statistics.cpp - see statistics.hpp.
#include "results/statistics.hpp"

#include <rewire/protocol/metric_keys.hpp>
#include <rewire/stats/bootstrap.hpp>
#include <rewire/stats/outcomes.hpp>
#include <rewire/stats/survival.hpp>

#include <algorithm>

namespace chronic_stress {

namespace rs = rewire::stats;
namespace metric = rewire::protocol::metric;
using rewire::protocol::StudySpec;

Stat stats(const std::vector<double>& xs) {
  Stat s;
  if (xs.empty()) return s;
  double sum = 0;
  for (double x : xs) sum += x;
  s.mean = sum / double(xs.size());
  double ss = 0;
  for (double x : xs) ss += (x - s.mean) * (x - s.mean);
  s.sd = std::sqrt(ss / double(xs.size()));
  s.min = *std::min_element(xs.begin(), xs.end());
  s.max = *std::max_element(xs.begin(), xs.end());
  s.n = xs.size();
  return s;
}

Stat stats(const std::vector<double>& xs, std::uint64_t key) {
  Stat s = stats(xs);
  const rs::Interval ci = rs::bootstrap_mean_ci(xs, key);
  s.ci_lo = ci.lo;
  s.ci_hi = ci.hi;
  return s;
}

std::uint64_t bootstrap_key(const std::string& config_hash, const std::string& path) {
  return rs::text_key("bootstrap/" + config_hash + "/" + path);
}

namespace {

const std::vector<double>& metric_of(const ArmSeries& s, const std::string& name) {
  static const std::vector<double> none;
  const auto it = s.metrics.find(name);
  return it == s.metrics.end() ? none : it->second;
}

// Outcomes of the seeds of one arm whose series has no null; the number left out.
std::vector<rs::Outcome> outcomes_of(const ArmSeries& s, double threshold, std::size_t& excluded) {
  std::vector<rs::Outcome> out;
  excluded = 0;
  for (const auto& acc : s.accuracy) {
    if (std::all_of(acc.begin(), acc.end(), [](double x) { return std::isfinite(x); }))
      out.push_back(rs::classify(acc, threshold));
    else
      ++excluded;
  }
  return out;
}

// Relapse-free time of each responder: its relapse cycle, or censored at C.
std::vector<rs::TimeToEvent> responder_times(const std::vector<rs::Outcome>& outcomes) {
  std::vector<rs::TimeToEvent> out;
  for (const auto& o : outcomes)
    if (o.responder) out.push_back({double(o.relapse_cycle.value_or(o.last_cycle)), o.relapse_cycle.has_value()});
  return out;
}

SurvivalSummary survival_of(const std::vector<rs::TimeToEvent>& times, int cycles) {
  std::vector<double> grid;
  for (int c = 1; c <= cycles; ++c) grid.push_back(c);
  SurvivalSummary s;
  if (grid.empty()) return s;
  const rs::SurvivalTable t = rs::kaplan_meier(times, grid);
  for (double c : t.time) s.cycle.push_back(int(c));
  s.at_risk = t.at_risk;
  s.events = t.events;
  s.censored = t.censored;
  s.estimate = t.estimate;
  // No responder, no curve: the estimate is undefined (null), not 1.
  if (times.empty()) std::fill(s.estimate.begin(), s.estimate.end(), kNaN);
  return s;
}

// dose.<arm>: the dose metrics' statistics as they are, the accuracy gained
// over the pre-treatment state, and that gain per point of L2 dose (seeds
// with a dose > 0 only: an arm that leaves the weights alone has no efficacy
// per dose, n = 0).
std::map<std::string, Stat> dose_of(const std::string& arm, const ArmSeries& s,
                                    const std::map<std::string, Stat>& arm_stats, const std::string& hash) {
  std::map<std::string, Stat> d;
  const std::pair<const char*, const char*> same[] = {{"l1", metric::dose_l1},
                                                      {"l2", metric::dose_l2},
                                                      {"turnover", metric::dose_turnover},
                                                      {"sparsity_change", metric::dose_sparsity_change}};
  for (const auto& [entry, name] : same)
    if (const auto it = arm_stats.find(name); it != arm_stats.end()) d[entry] = it->second;
  const auto& after = metric_of(s, metric::combined);
  const auto& before = metric_of(s, metric::pretreatment_combined);
  const auto& l2 = metric_of(s, metric::dose_l2);
  std::vector<double> gain, efficacy;
  for (std::size_t i = 0; i < after.size() && i < before.size(); ++i) {
    const double g = after[i] - before[i];
    if (!std::isfinite(g)) continue;
    gain.push_back(g);
    if (i < l2.size() && std::isfinite(l2[i]) && l2[i] > 0) efficacy.push_back(g / l2[i]);
  }
  d["gain"] = stats(gain, bootstrap_key(hash, "dose." + arm + ".gain"));
  d["efficacy"] = stats(efficacy, bootstrap_key(hash, "dose." + arm + ".efficacy"));
  return d;
}

}  // namespace

ClinicalSummary clinical_statistics(const StudySpec& spec, const std::map<std::string, ArmSeries>& series,
                                    const std::map<std::string, std::map<std::string, Stat>>& arm_stats,
                                    const std::string& hash) {
  ClinicalSummary out;
  std::map<std::string, std::vector<rs::TimeToEvent>> times;
  for (const auto& arm : spec.arms) {
    const ArmSeries& s = series.at(arm.name);
    const auto st = arm_stats.find(arm.name);
    out.dose[arm.name] = dose_of(arm.name, s, st == arm_stats.end() ? std::map<std::string, Stat>{} : st->second, hash);
    if (!arm.follow_up) continue;
    OutcomeSummary& o = out.outcomes[arm.name];
    const auto outcomes = outcomes_of(s, spec.longitudinal.threshold, o.excluded);
    const rs::OutcomeCounts n = rs::count_outcomes(outcomes);
    o.responders = n.responders;
    o.non_responders = n.non_responders;
    o.relapsed = n.relapsed;
    o.sustained = n.sustained;
    o.first_crossing = n.first_crossings;
    times[arm.name] = responder_times(outcomes);
    out.survival[arm.name] = survival_of(times[arm.name], spec.longitudinal.cycles);
  }
  for (std::size_t a = 0; a < spec.arms.size(); ++a)
    for (std::size_t b = a + 1; b < spec.arms.size(); ++b) {
      const std::string& A = spec.arms[a].name;
      const std::string& B = spec.arms[b].name;
      if (times.count(A) && times.count(B)) {
        const rs::LogRank r = rs::log_rank(times[A], times[B]);
        out.logrank[A][B] = {r.chi2, r.p};
      }
      for (const auto& m : paired_metrics()) {
        const auto& x = metric_of(series.at(A), m);
        const auto& y = metric_of(series.at(B), m);
        if (x.empty() || y.empty()) continue;
        const auto d = rs::paired_difference(x, y, bootstrap_key(hash, "paired." + A + "." + B + "." + m));
        out.paired[A][B][m] = {d.mean, d.ci.lo, d.ci.hi, d.n};
      }
    }
  return out;
}

}  // namespace chronic_stress
