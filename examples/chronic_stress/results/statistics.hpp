// results/statistics.hpp - the statistics of a run: mean, population SD, min, max
// and a bootstrap 95 % interval of every mean; the clinical outcome classes,
// relapse-free survival, log-rank tests (plain and stratified by seed),
// paired differences between arms (post-treatment and at every cycle), the
// dose summary, the regressions of each arm's outcomes on the seeds'
// baseline covariates, equivalence tests, and every p-value Holm-adjusted.
// This file, statistics.cpp and inference.cpp are the only place they are
// computed: summarize() writes them to summary.json and the report reads
// them back from there.
#pragma once

#include <rewire/protocol/study.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace chronic_stress {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Statistics of n values; NaN (null in JSON) when n = 0.
struct Stat {
  double mean = kNaN, sd = kNaN, min = kNaN, max = kNaN;
  double ci_lo = kNaN, ci_hi = kNaN;  ///< percentile bootstrap 95 % interval of the mean
  std::size_t n = 0;
  bool ok() const { return std::isfinite(mean); }
};

/// Mean, population SD (divide by n, as the published tables), min and max
/// of `values` (finite values; the caller leaves out nulls). No interval.
Stat stats(const std::vector<double>& values);

/// The same with the bootstrap 95 % interval of the mean (10,000 resamples
/// from the stream `key`, see bootstrap_key()).
Stat stats(const std::vector<double>& values, std::uint64_t key);

/// The resampling stream of the statistic at `path` (e.g.
/// "arms.ssri.combined") of the run whose configuration hashes to
/// `config_hash`: the same run always gives the same intervals, and every
/// statistic has its own stream.
std::uint64_t bootstrap_key(const std::string& config_hash, const std::string& path);

// ---- clinical outcomes (arms with follow-up) ---------------------------------

/// Outcome classes of an arm's seeds at the relapse threshold
/// (rewire/stats/outcomes.hpp). Seeds with a null accuracy (divergence) are
/// left out and counted in `excluded`.
struct OutcomeSummary {
  std::size_t responders = 0, non_responders = 0, relapsed = 0, sustained = 0;
  std::size_t first_crossing = 0;  ///< the older definition: any cycle c >= 0 below the threshold
  std::size_t excluded = 0;
};

/// Kaplan-Meier relapse-free survival of an arm's responders at cycles 1..C.
struct SurvivalSummary {
  std::vector<int> cycle;
  std::vector<std::size_t> at_risk, events, censored;
  std::vector<double> estimate;
};

/// Log-rank test of two arms' responders; NaN (null) when it has no
/// statistic. `p_holm`: p Holm-adjusted over the run's family (holm_family).
struct LogRankSummary {
  double chi2 = kNaN, p = kNaN, p_holm = kNaN;
};

/// Mean of (arm A - arm B) over the seeds, with its bootstrap 95 % interval.
struct PairedSummary {
  double mean = kNaN, ci_lo = kNaN, ci_hi = kNaN;
  std::size_t n = 0;
};

/// The metrics whose paired differences between arms are reported.
inline const std::vector<std::string>& paired_metrics() {
  static const std::vector<std::string> names{"clean", "combined", "relapse_drop"};
  return names;
}

/// paired.<A>.<B> entries of two arms with follow-up: the combined accuracy
/// at every cycle 0..C (lists) and at the last cycle (its last element).
inline constexpr const char* kCycleAccuracy = "cycle_accuracy";
inline constexpr const char* kFinalAccuracy = "final_accuracy";

/// A regression of one arm's outcome on the seeds' baseline covariates
/// (Cox: time to relapse of the responders; logistic: non-response). Only
/// a fitted model has terms and numbers; otherwise `status` says why not.
struct RegressionSummary {
  std::string status = "not_converged";  ///< rewire::stats::status_name
  std::vector<std::string> terms;        ///< "baseline.<measure>" (logistic: "(intercept)" first)
  std::vector<double> coef, se, ratio, ci_lo, ci_hi, p, p_holm;  ///< one per term
  std::size_t n = 0;       ///< seeds in the fit
  std::size_t events = 0;  ///< Cox: relapses; logistic: non-responders
};

/// The terms of the regressions, in this order: two baseline measures,
/// "baseline.combined" (how well the pruned network works under stress)
/// and "baseline.dead_units" (how much of its structure pruning cut off),
/// then "cohort.<key>" for every [cohort] key of `spec`. Two covariates by
/// default for about ten seeds: one covariate per 5-10 events is the usual
/// limit of a Wald fit.
std::vector<std::string> regression_covariates(const rewire::protocol::StudySpec& spec);

/// TOST of a paired difference of arm A - arm B against +-margin
/// (rewire/stats/equivalence.hpp); `ci` is its 90 % interval.
struct EquivalenceSummary {
  double margin = kNaN, mean = kNaN, ci_lo = kNaN, ci_hi = kNaN, p = kNaN, p_holm = kNaN;
  std::size_t n = 0;
  bool equivalent = false;  ///< p < 0.05 (the single test; compare p_holm for the family)
};

/// The margin of every equivalence test, in percentage points of accuracy,
/// and the metrics tested: post-treatment `combined` and `final_accuracy`.
inline constexpr double kEquivalenceMargin = 1.0;
inline const std::vector<std::string>& equivalence_metrics() {
  static const std::vector<std::string> names{rewire::protocol::metric::combined, kFinalAccuracy};
  return names;
}

/// The entries of dose.<arm> (keys of ClinicalSummary::dose).
inline const std::vector<std::string>& dose_entries() {
  static const std::vector<std::string> names{"l1", "l2", "turnover", "sparsity_change", "gain", "efficacy"};
  return names;
}

template <class T>
using PairMap = std::map<std::string, std::map<std::string, T>>;  ///< A -> B, A before B in the configuration

struct ClinicalSummary {
  std::map<std::string, OutcomeSummary> outcomes;            ///< follow-up arms
  std::map<std::string, SurvivalSummary> survival;           ///< follow-up arms
  PairMap<LogRankSummary> logrank;                           ///< follow-up pairs, seeds as independent subjects
  PairMap<LogRankSummary> logrank_stratified;                ///< follow-up pairs, stratified by seed
  PairMap<std::map<std::string, PairedSummary>> paired;      ///< A -> B -> metric (and kFinalAccuracy)
  PairMap<std::vector<PairedSummary>> paired_cycles;         ///< follow-up pairs: kCycleAccuracy, cycles 0..C
  std::map<std::string, std::map<std::string, Stat>> dose;  ///< arm -> dose_entries()
  std::map<std::string, RegressionSummary> cox;              ///< follow-up arms
  std::map<std::string, RegressionSummary> logistic;         ///< follow-up arms
  PairMap<std::map<std::string, EquivalenceSummary>> equivalence;  ///< A -> B -> equivalence_metrics()
};

/// One arm's values per seed, in seed order (NaN = null or missing).
struct ArmSeries {
  std::map<std::string, std::vector<double>> metrics;
  std::vector<std::vector<double>> accuracy;  ///< per seed, cycles 0..C (follow-up arms)
};

/// The seeds' covariates: "baseline.<measure>" and "cohort.<key>" -> one
/// value per seed, in seed order (NaN = null).
using Covariates = std::map<std::string, std::vector<double>>;

/// The clinical statistics of a run from its per-seed values (arms in
/// configuration order). `arm_stats` are the arm's metric statistics
/// (summary arms.<arm>), from which the dose entries l1 .. sparsity_change
/// are taken as they are; `covariates` are the regressions' (every
/// regression_covariates(spec) entry, one value per seed).
ClinicalSummary clinical_statistics(const rewire::protocol::StudySpec& spec,
                                    const std::map<std::string, ArmSeries>& series,
                                    const std::map<std::string, std::map<std::string, Stat>>& arm_stats,
                                    const Covariates& covariates, const std::string& config_hash);

/// Every p-value of `c`, in a fixed order, as pointers to its p and p_holm
/// fields: the family Holm's adjustment is taken over (one run). Log-rank
/// (plain and stratified), every covariate term of every Cox and logistic
/// fit (not the logistic intercept) and every equivalence test. A NaN p
/// (a test without a statistic) stays out of the family.
std::vector<std::pair<double*, double*>> holm_family(ClinicalSummary& c);

}  // namespace chronic_stress
