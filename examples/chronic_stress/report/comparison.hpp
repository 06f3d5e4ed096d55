// report/comparison.hpp - the report's comparison with the published values: when a
// difference is flagged as beyond sampling noise. flag_rule_text() states the
// same rule in report.md; tests/test_report_units.cpp pins it on both sides
// of every tolerance.
#pragma once

#include "results/results.hpp"

#include <string>

namespace chronic_stress {

/// A published value: a mean and, where published, an SD.
struct Ref {
  double mean = kNaN, sd = kNaN;
  bool ok() const { return std::isfinite(mean); }
};

/// Sparsity is deterministic (a fixed tolerance); accuracies vary by seed.
enum class Kind { sparsity, accuracy };

struct Verdict {
  bool comparable = false;  ///< both values exist
  double delta = kNaN;      ///< ours - published
  double tolerance = kNaN;
  bool flagged = false;
};

inline constexpr double kSparsityTolerance = 0.1;  ///< percentage points
inline constexpr double kAccuracyFloor = 1.0;      ///< percentage points
inline constexpr double kCycleTolerance = 2.0;     ///< cycles (mean cycle at relapse)

/// Sparsity: |delta| > 0.1. Accuracy: |delta| > max(1, 2 sqrt(sd_ours^2 / n
/// + sd_pub^2 / n_pub)): two standard errors of the difference of two means,
/// each over its own seeds (n ours, n_pub the published run's); a published
/// mean without SD borrows ours. A difference exactly at the tolerance is not
/// flagged.
Verdict compare(const Stat& ours, const Ref& published, Kind kind, int n, int n_pub);

/// Relapse counts: flagged when `relapsed` of `seeds` differs from the
/// published count scaled to `seeds` by more than max(2, 0.2 seeds).
bool count_flagged(int relapsed, int seeds, double published_relapsed, int published_seeds);

/// Mean cycle at relapse: flagged when the means differ by more than 2 cycles.
bool cycle_flagged(double ours, double published);

/// The rule above as markdown bullets, for `n` seeds of ours.
std::string flag_rule_text(int n);

}  // namespace chronic_stress
