// rewire/stats/survival.hpp - Kaplan-Meier survival estimate and the
// log-rank test of two groups, plain or stratified, for right-censored times.
//
// Conventions (those of the survival textbooks): a subject censored at time
// t is still at risk at t (censoring is taken to happen just after the
// events at the same time); the log-rank statistic is the Mantel-Haenszel
// form (O1 - E1)^2 / V with the hypergeometric variance, 1 degree of freedom.
// Times are tied when they are equal as doubles.
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/stats/distributions.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace rewire::stats {

/// One subject: the time of its event, or of its censoring if `event` is
/// false, and its stratum (e.g. the seed whose pruned network every arm
/// starts from). Only log_rank_stratified reads the stratum.
struct TimeToEvent {
  double time = 0.0;
  bool event = false;
  std::uint64_t stratum = 0;
};

/// Kaplan-Meier table at a list of increasing times.
struct SurvivalTable {
  std::vector<double> time;
  std::vector<std::size_t> at_risk;   ///< subjects with time >= t
  std::vector<std::size_t> events;    ///< events at t
  std::vector<std::size_t> censored;  ///< censorings at t
  std::vector<double> estimate;       ///< S(t) = prod over s <= t of (1 - events(s) / at_risk(s))
};

/// Kaplan-Meier estimate at each of `times` (strictly increasing). Every
/// subject's time must be one of `times`, so that no event falls between
/// two rows (std::invalid_argument otherwise). With no subject at risk the
/// estimate stays at its last value.
inline SurvivalTable kaplan_meier(const std::vector<TimeToEvent>& subjects, const std::vector<double>& times) {
  for (std::size_t i = 1; i < times.size(); ++i)
    detail::require(times[i - 1] < times[i], "kaplan_meier: times must be strictly increasing");
  for (const auto& s : subjects)
    detail::require(std::binary_search(times.begin(), times.end(), s.time),
                    "kaplan_meier: a subject's time is not one of the table's times");
  SurvivalTable t;
  double S = 1.0;
  for (double x : times) {
    std::size_t n = 0, d = 0, c = 0;
    for (const auto& s : subjects) {
      n += s.time >= x;
      d += s.time == x && s.event;
      c += s.time == x && !s.event;
    }
    if (n > 0) S *= 1.0 - double(d) / double(n);
    t.time.push_back(x);
    t.at_risk.push_back(n);
    t.events.push_back(d);
    t.censored.push_back(c);
    t.estimate.push_back(S);
  }
  return t;
}

/// The distinct times of `subjects`, increasing (the natural rows of a
/// Kaplan-Meier table).
inline std::vector<double> distinct_times(const std::vector<TimeToEvent>& subjects) {
  std::vector<double> out;
  for (const auto& s : subjects) out.push_back(s.time);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

/// Log-rank test of group 1 against group 2.
struct LogRank {
  double observed1 = 0.0, expected1 = 0.0;  ///< events of group 1, and their expectation under H0
  double observed2 = 0.0, expected2 = 0.0;
  double variance = 0.0;  ///< Var(O1 - E1)
  /// (O1 - E1)^2 / V and its upper tail probability under chi-square with
  /// 1 degree of freedom; NaN when V = 0 (no event, or nothing to compare).
  double chi2 = std::numeric_limits<double>::quiet_NaN();
  double p = std::numeric_limits<double>::quiet_NaN();
};

}  // namespace rewire::stats

namespace rewire::detail {

/// Adds the log-rank sums of one stratum to `r`: at every distinct event
/// time x with n_g subjects at risk and d_g events in group g (n = n1 + n2,
/// d = d1 + d2),
///   O_g += d_g,   E_g += d n_g / n,   V += n1 n2 d (n - d) / (n^2 (n - 1)).
/// A stratum with one subject adds O = E and V = 0: nothing.
inline void add_log_rank_sums(stats::LogRank& r, const std::vector<stats::TimeToEvent>& group1,
                              const std::vector<stats::TimeToEvent>& group2) {
  std::vector<stats::TimeToEvent> all = group1;
  all.insert(all.end(), group2.begin(), group2.end());
  for (double x : stats::distinct_times(all)) {
    double n1 = 0, n2 = 0, d1 = 0, d2 = 0;
    for (const auto& s : group1) n1 += s.time >= x, d1 += s.time == x && s.event;
    for (const auto& s : group2) n2 += s.time >= x, d2 += s.time == x && s.event;
    const double n = n1 + n2, d = d1 + d2;
    if (d == 0) continue;
    r.observed1 += d1;
    r.observed2 += d2;
    r.expected1 += d * n1 / n;
    r.expected2 += d * n2 / n;
    if (n > 1) r.variance += n1 * n2 * d * (n - d) / (n * n * (n - 1));
  }
}

/// chi2 = (O1 - E1)^2 / V and its p-value from the summed sums; NaN when
/// V = 0.
inline stats::LogRank finish_log_rank(stats::LogRank r) {
  if (r.variance > 0) {
    const double diff = r.observed1 - r.expected1;
    r.chi2 = diff * diff / r.variance;
    r.p = stats::chi2_1df_upper_tail(r.chi2);
  }
  return r;
}

}  // namespace rewire::detail

namespace rewire::stats {

/// Log-rank test of group 1 against group 2, all subjects in one stratum
/// (their `stratum` is not read). R: survdiff(Surv(time, event) ~ group).
inline LogRank log_rank(const std::vector<TimeToEvent>& group1, const std::vector<TimeToEvent>& group2) {
  LogRank r;
  detail::add_log_rank_sums(r, group1, group2);
  return detail::finish_log_rank(r);
}

/// Log-rank test stratified by each subject's `stratum`: O, E and V are
/// summed over the strata, each computed among the subjects of its stratum
/// only, and chi2 = (sum (O1 - E1))^2 / sum V with 1 degree of freedom. A
/// stratum with one subject, or with subjects of one group only, adds
/// nothing. R: survdiff(Surv(time, event) ~ group + strata(stratum)).
inline LogRank log_rank_stratified(const std::vector<TimeToEvent>& group1, const std::vector<TimeToEvent>& group2) {
  std::vector<std::uint64_t> strata;
  for (const auto& s : group1) strata.push_back(s.stratum);
  for (const auto& s : group2) strata.push_back(s.stratum);
  std::sort(strata.begin(), strata.end());
  strata.erase(std::unique(strata.begin(), strata.end()), strata.end());
  LogRank r;
  for (std::uint64_t k : strata) {
    std::vector<TimeToEvent> in1, in2;
    for (const auto& s : group1)
      if (s.stratum == k) in1.push_back(s);
    for (const auto& s : group2)
      if (s.stratum == k) in2.push_back(s);
    detail::add_log_rank_sums(r, in1, in2);
  }
  return detail::finish_log_rank(r);
}

}  // namespace rewire::stats
