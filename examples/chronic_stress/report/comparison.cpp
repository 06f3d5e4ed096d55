// report/comparison.cpp - see comparison.hpp.
#include "report/comparison.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace chronic_stress {
namespace {
// Decimal values (0.1 points, 2 seeds) are not exact in binary: a difference
// exactly at the tolerance must not be flagged because of the last bit.
constexpr double kSlack = 1e-9;
}  // namespace

Verdict compare(const Stat& ours, const Ref& pub, Kind kind, int n, int n_pub) {
  Verdict v;
  if (!ours.ok() || !pub.ok()) return v;
  v.comparable = true;
  v.delta = ours.mean - pub.mean;
  if (kind == Kind::sparsity) {
    v.tolerance = kSparsityTolerance;
  } else {
    const double so = std::isfinite(ours.sd) ? ours.sd : 0.0;
    const double sp = std::isfinite(pub.sd) ? pub.sd : so;
    v.tolerance =
        std::max(kAccuracyFloor, 2.0 * std::sqrt(so * so / std::max(n, 1) + sp * sp / std::max(n_pub, 1)));
  }
  v.flagged = std::fabs(v.delta) > v.tolerance + kSlack;
  return v;
}

bool count_flagged(int relapsed, int seeds, double published_relapsed, int published_seeds) {
  const double tolerance = std::max(2.0, 0.2 * seeds);
  return std::fabs(relapsed - published_relapsed * seeds / published_seeds) > tolerance + kSlack;
}

bool cycle_flagged(double ours, double published) { return std::fabs(ours - published) > kCycleTolerance + kSlack; }

std::string flag_rule_text(int n) {
  return fmt::format(
      "- **Columns.** *Ours* is the mean ± population SD over this run's {0} seed(s); *published* is the paper's "
      "mean ± SD over 10 seeds; Δ = ours − published. A cell `a (b)` reads ours (published).\n"
      "- **Flag rule (⚑ = beyond sampling noise).** Sparsity: |Δ| > {1:.1f} percentage points (sparsity is "
      "deterministic). Accuracies and accuracy drops: |Δ| > max({2:.1f}, 2·√(SD_ours² / n + SD_pub² / 10)) "
      "with n = {0} (our number of seeds) and 10 (the published run's): about two standard errors of the "
      "difference of the means, and never less "
      "than {2:.1f} point (published values are rounded to 0.1 and evaluation noise is redrawn each time). Relapse "
      "counts: |ours − published × n / 10| > max(2, 0.2·n) seeds. Mean cycle at relapse: |Δ| > {3:.0f} cycles "
      "(only when both runs have relapsed seeds). A published mean without an SD borrows ours.\n"
      "- **Calibration.** The same rule applied to two correct runs of the original PyTorch program (the published "
      "run vs. a second run of the unchanged program, section 8) flags nothing: a flag means \"look closer\", not "
      "\"wrong\".\n"
      "- **Single seeds vary a lot** (in the second run, seed 0 alone gave SSRI-like combined 95.2 % against a 10-seed "
      "mean of 81.3 %): compare multi-seed statistics, never single seeds. Our random streams cannot reproduce "
      "PyTorch's, so accuracies can only agree statistically; sparsities must agree exactly.\n",
      n, kSparsityTolerance, kAccuracyFloor, kCycleTolerance);
}

}  // namespace chronic_stress
