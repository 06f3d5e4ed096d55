// sweep_report.hpp - the comparison of a sweep's points: sweep.json (per
// point its values, hash and key metrics per arm) and sweep.md with one
// figure per key metric against the swept value, per arm, with bands.
#pragma once

#include "study_run.hpp"
#include "sweep.hpp"

#include <vector>

namespace chronic_stress {

/// Writes request.out/sweep.json and, if request.report, request.out/sweep.md
/// and request.out/figures/sweep_<metric>.{dat,gp,png}. `points`, `studies`
/// and `summaries` are parallel (one entry per point).
void write_sweep_results(const std::vector<SweepPoint>& points, const std::vector<PreparedStudy>& studies,
                         const std::vector<Summary>& summaries, const StudyRequest& request, Console& console);

}  // namespace chronic_stress
