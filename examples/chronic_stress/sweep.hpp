// sweep.hpp - parameter sweeps: a `[sweep]` table in a study file names
// config keys by dotted path (e.g. "longitudinal.remove_fraction",
// "arms[1].maintenance[0].every") and, for each, a list of values. Every
// point of the grid (all combinations, the first key varying slowest) is a
// configuration of its own, with its own hash and output directory
// out/point-NN; a top-level sweep.json and sweep.md compare the points.
#pragma once

#include "console.hpp"
#include "study_run.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace chronic_stress {

/// One point of a sweep: its values and its whole configuration text.
struct SweepPoint {
  std::vector<std::pair<std::string, std::string>> values;  ///< key -> value as TOML text, in key order
  std::string dir;                                          ///< "point-00", ...
  std::string toml_text;                                    ///< the study file with the values set, no [sweep]
};

/// True if the study file has a [sweep] table (ConfigError if it is not TOML).
bool has_sweep(const std::string& toml_text, const std::string& source);

/// The points of the file's [sweep] (at most 256). Throws ConfigError naming
/// `sweep."<key>"` for a key that names nothing or a value list that is not
/// a non-empty array.
std::vector<SweepPoint> expand_sweep(const std::string& toml_text, const std::string& source);

/// Prepares every point (so that a bad value is refused before anything
/// runs: ConfigError naming the point), runs the seeds of all points on one
/// pool of request.threads threads (run_studies; each point under
/// request.out/<point dir>, resumed per seed file), then writes each point's
/// summary.json, results.csv and report as run_study does, and
/// request.out/sweep.json and, if request.report, sweep.md and
/// figures/sweep_<metric>.png. Returns false if interrupted (no summaries
/// are written then).
bool run_sweep(const std::string& toml_text, const std::string& source, double epoch_scale,
               const StudyRequest& request, Console& console);

}  // namespace chronic_stress
