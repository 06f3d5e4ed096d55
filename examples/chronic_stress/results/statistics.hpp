// results/statistics.hpp - the statistics of a run: mean, population SD, min, max
// and a bootstrap 95 % interval of every mean; the clinical outcome classes,
// relapse-free survival, log-rank tests, paired differences between arms and
// the dose summary. This file and statistics.cpp are the only place they
// are computed: summarize() writes them to summary.json and the report reads
// them back from there.
#pragma once

#include <rewire/protocol/study.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
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

/// Log-rank test of two arms' responders; NaN (null) when it has no statistic.
struct LogRankSummary {
  double chi2 = kNaN, p = kNaN;
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

/// The entries of dose.<arm> (keys of ClinicalSummary::dose).
inline const std::vector<std::string>& dose_entries() {
  static const std::vector<std::string> names{"l1", "l2", "turnover", "sparsity_change", "gain", "efficacy"};
  return names;
}

struct ClinicalSummary {
  std::map<std::string, OutcomeSummary> outcomes;                         ///< follow-up arms
  std::map<std::string, SurvivalSummary> survival;                        ///< follow-up arms
  std::map<std::string, std::map<std::string, LogRankSummary>> logrank;   ///< A -> B, A before B
  std::map<std::string, std::map<std::string, std::map<std::string, PairedSummary>>> paired;  ///< A -> B -> metric
  std::map<std::string, std::map<std::string, Stat>> dose;               ///< arm -> dose_entries()
};

/// One arm's values per seed, in seed order (NaN = null or missing).
struct ArmSeries {
  std::map<std::string, std::vector<double>> metrics;
  std::vector<std::vector<double>> accuracy;  ///< per seed, cycles 0..C (follow-up arms)
};

/// The clinical statistics of a run from its per-seed values (arms in
/// configuration order). `arm_stats` are the arm's metric statistics
/// (summary arms.<arm>), from which the dose entries l1 .. sparsity_change
/// are taken as they are.
ClinicalSummary clinical_statistics(const rewire::protocol::StudySpec& spec,
                                    const std::map<std::string, ArmSeries>& series,
                                    const std::map<std::string, std::map<std::string, Stat>>& arm_stats,
                                    const std::string& config_hash);

}  // namespace chronic_stress
