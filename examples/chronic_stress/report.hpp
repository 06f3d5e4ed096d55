// report.hpp - report.md and figures/ of a chronic_stress run: the paper's
// Tables 1-4 with our values, and, when the run is the paper's protocol
// exactly (run_config.hpp), the published values beside them with a flag on
// every difference beyond what sampling noise explains (comparison.hpp).
#pragma once

#include "results_model.hpp"

#include <rewire/protocol/study.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace chronic_stress {

struct ReportInputs {
  rewire::protocol::StudySpec spec;  ///< the run's effective configuration
  Summary summary;                   ///< summary.json
  std::vector<SeedRecord> seeds;     ///< the seed records of the run, in the summary's seed order
};

/// Reads DIR/summary.json and every seed file it lists, and checks them: the
/// summary's config is valid and hashes to its config_hash, the summary fits
/// that config, and every seed file belongs to it (same config hash and
/// library version, every arm and metric). Throws ResultsError naming the
/// file and the field.
ReportInputs load_report_inputs(const std::filesystem::path& out_dir);

/// Writes out_dir/report.md and out_dir/figures/*. Returns warnings to print
/// (e.g. gnuplot missing). An interrupt (SIGINT) while gnuplot runs is not
/// swallowed: gnuplot is stopped, temporary files are removed and SIGINT is
/// raised again.
std::vector<std::string> write_report(const std::filesystem::path& out_dir, const ReportInputs& inputs);

}  // namespace chronic_stress
