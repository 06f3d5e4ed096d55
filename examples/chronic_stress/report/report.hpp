// report/report.hpp - front door of the report room: report.md and figures/
// of a run, sweep.json and sweep.md of a sweep.
//
// A run's report gives the paper's Tables 1-4 with our values and, when the
// run is the paper's protocol exactly (results/run_config.hpp), the
// published values beside them with a flag on every difference beyond what
// sampling noise explains (comparison.hpp); then the clinical statistics.
// Everything printed is read from summary.json (one place per statistic).
#pragma once

#include "config/config.hpp"
#include "report/inputs.hpp"
#include "results/results.hpp"

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace chronic_stress {

/// Reads DIR/summary.json and every seed file it lists, and checks them: the
/// summary's config is valid and hashes to its config_hash, the summary fits
/// that config, and every seed file belongs to it (same config hash and
/// library version, every arm and metric). Throws ResultsError naming the
/// file and the field.
ReportInputs load_report_inputs(const std::filesystem::path& out_dir);

/// Writes out_dir/report.md and out_dir/figures/*. Returns warnings to print
/// (e.g. gnuplot missing). A stop signal (SIGINT, SIGTERM) while gnuplot
/// runs is not swallowed: gnuplot gets it too, temporary files are removed
/// and the same signal is raised again. Once `stopped` (if given) returns true, checked before
/// each figure is rendered, it renders no more and writes no report.md (the
/// caller knows why it stopped).
std::vector<std::string> write_report(const std::filesystem::path& out_dir, const ReportInputs& inputs,
                                      const std::function<bool()>& stopped = {});

/// Removes what write_report writes (out_dir/report.md and the figures'
/// files, then out_dir/figures if that leaves it empty: a file someone else
/// put there stays), so that no report of an earlier run sits beside a new
/// summary. Returns true if anything was removed.
bool remove_report(const std::filesystem::path& out_dir);

/// The same for a sweep's sweep.md and figures/sweep_* (write_sweep_results).
bool remove_sweep_report(const std::filesystem::path& out);

/// The comparison of a sweep's points: writes out/sweep.json (per point its
/// values, hash and key metrics per arm) and, if `report`, out/sweep.md with
/// one figure per key metric against the swept value (figures/sweep_*).
/// `points`, `studies` and `summaries` are parallel (one entry per point).
/// Returns warnings to print.
std::vector<std::string> write_sweep_results(const std::vector<SweepPoint>& points,
                                             const std::vector<PreparedStudy>& studies,
                                             const std::vector<Summary>& summaries, const std::filesystem::path& out,
                                             bool report);

}  // namespace chronic_stress
