#pragma once
#include <nlohmann/json.hpp>
#include <filesystem>
#include <string>
#include <vector>
namespace chronic_stress {
struct ReportInputs {
  nlohmann::json summary;             // summary.json as written
  std::vector<nlohmann::json> seeds;  // every seeds/seed-NNN.json of the run, in seed order
};
/// Writes out_dir/report.md and out_dir/figures/*. Returns warnings (e.g. gnuplot missing) to print.
std::vector<std::string> write_report(const std::filesystem::path& out_dir, const ReportInputs& inputs);
}
