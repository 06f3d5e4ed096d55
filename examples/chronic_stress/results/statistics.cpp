// results/statistics.cpp - see statistics.hpp (the regressions, equivalence
// tests and Holm's adjustment are in inference.cpp).
#include "results/statistics.hpp"
#include "results/inference.hpp"

#include <rewire/protocol/metric_keys.hpp>
#include <rewire/stats/bootstrap.hpp>
#include <rewire/stats/outcomes.hpp>
#include <rewire/stats/survival.hpp>

#include <algorithm>

namespace chronic_stress {

namespace rs = rewire::stats;
using detail::metric_of;
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

const std::vector<double>& detail::metric_of(const ArmSeries& s, const std::string& name) {
  static const std::vector<double> none;
  const auto it = s.metrics.find(name);
  return it == s.metrics.end() ? none : it->second;
}

detail::SeedOutcomes detail::seed_outcomes(const ArmSeries& s, double threshold) {
  detail::SeedOutcomes out;
  for (const auto& acc : s.accuracy) {
    if (std::all_of(acc.begin(), acc.end(), [](double x) { return std::isfinite(x); }))
      out.push_back(rs::classify(acc, threshold));
    else
      out.push_back(std::nullopt);
  }
  return out;
}

std::vector<rs::TimeToEvent> detail::responder_times(const detail::SeedOutcomes& outcomes) {
  std::vector<rs::TimeToEvent> out;
  for (std::size_t i = 0; i < outcomes.size(); ++i)
    if (const auto& o = outcomes[i]; o && o->responder)
      out.push_back({double(o->relapse_cycle.value_or(o->last_cycle)), o->relapse_cycle.has_value(), i});
  return out;
}

std::vector<double> detail::at_cycle(const ArmSeries& s, std::size_t c) {
  std::vector<double> out;
  for (const auto& acc : s.accuracy) out.push_back(c < acc.size() ? acc[c] : kNaN);
  return out;
}

namespace {

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

OutcomeSummary outcome_summary(const detail::SeedOutcomes& per_seed) {
  std::vector<rs::Outcome> classified;
  OutcomeSummary o;
  for (const auto& x : per_seed) {
    if (x) classified.push_back(*x);
    else ++o.excluded;
  }
  const rs::OutcomeCounts n = rs::count_outcomes(classified);
  o.responders = n.responders;
  o.non_responders = n.non_responders;
  o.relapsed = n.relapsed;
  o.sustained = n.sustained;
  o.first_crossing = n.first_crossings;
  return o;
}

// What two arms with follow-up add: the log-rank tests of their responders
// (seeds as independent subjects, and stratified by seed) and the paired
// differences of their combined accuracy at every cycle.
void compare_follow_up(ClinicalSummary& out, const std::string& A, const std::string& B,
                       const std::vector<rs::TimeToEvent>& times_a, const std::vector<rs::TimeToEvent>& times_b,
                       const ArmSeries& a, const ArmSeries& b, int cycles, const std::string& hash) {
  const rs::LogRank plain = rs::log_rank(times_a, times_b);
  const rs::LogRank strata = rs::log_rank_stratified(times_a, times_b);
  out.logrank[A][B] = {plain.chi2, plain.p, kNaN};
  out.logrank_stratified[A][B] = {strata.chi2, strata.p, kNaN};
  std::vector<std::vector<double>> xs, ys;
  std::vector<std::uint64_t> keys;
  const std::string path = "paired." + A + "." + B + "." + kCycleAccuracy;
  for (int c = 0; c <= cycles; ++c) {
    xs.push_back(detail::at_cycle(a, std::size_t(c)));
    ys.push_back(detail::at_cycle(b, std::size_t(c)));
    keys.push_back(bootstrap_key(hash, path + "[" + std::to_string(c) + "]"));
  }
  std::vector<PairedSummary>& per_cycle = out.paired_cycles[A][B];
  for (const auto& d : rs::paired_difference_per_cycle(xs, ys, keys)) per_cycle.push_back({d.mean, d.ci.lo, d.ci.hi, d.n});
  out.paired[A][B][kFinalAccuracy] = per_cycle.back();
}

}  // namespace

ClinicalSummary clinical_statistics(const StudySpec& spec, const std::map<std::string, ArmSeries>& series,
                                    const std::map<std::string, std::map<std::string, Stat>>& arm_stats,
                                    const Covariates& covariates, const std::string& hash) {
  ClinicalSummary out;
  std::map<std::string, detail::SeedOutcomes> outcomes;
  std::map<std::string, std::vector<rs::TimeToEvent>> times;
  for (const auto& arm : spec.arms) {
    const ArmSeries& s = series.at(arm.name);
    const auto st = arm_stats.find(arm.name);
    out.dose[arm.name] = dose_of(arm.name, s, st == arm_stats.end() ? std::map<std::string, Stat>{} : st->second, hash);
    if (!arm.follow_up) continue;
    outcomes[arm.name] = detail::seed_outcomes(s, spec.longitudinal.threshold);
    out.outcomes[arm.name] = outcome_summary(outcomes[arm.name]);
    times[arm.name] = detail::responder_times(outcomes[arm.name]);
    out.survival[arm.name] = survival_of(times[arm.name], spec.longitudinal.cycles);
  }
  for (std::size_t a = 0; a < spec.arms.size(); ++a)
    for (std::size_t b = a + 1; b < spec.arms.size(); ++b) {
      const std::string& A = spec.arms[a].name;
      const std::string& B = spec.arms[b].name;
      if (times.count(A) && times.count(B))
        compare_follow_up(out, A, B, times[A], times[B], series.at(A), series.at(B), spec.longitudinal.cycles, hash);
      for (const auto& m : paired_metrics()) {
        const auto& x = metric_of(series.at(A), m);
        const auto& y = metric_of(series.at(B), m);
        if (x.empty() || y.empty()) continue;
        const auto d = rs::paired_difference(x, y, bootstrap_key(hash, "paired." + A + "." + B + "." + m));
        out.paired[A][B][m] = {d.mean, d.ci.lo, d.ci.hi, d.n};
      }
    }
  detail::add_regressions(out, spec, outcomes, covariates);
  detail::add_equivalence(out, spec, series);
  detail::adjust_holm(out);
  return out;
}

}  // namespace chronic_stress
