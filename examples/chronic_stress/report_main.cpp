// examples/chronic_stress/report_main.cpp - chronic_stress_report: regenerate
// report.md and figures/ of a finished chronic_stress run from its result
// files (DIR/summary.json and the seed files it lists in DIR/seeds/), e.g.
// after restyling or with a newer report generator. Does not simulate.
//
//   chronic_stress_report --out results/chronic_stress
//
// Exit status: 0 ok (warnings, e.g. gnuplot missing, go to stderr),
// 2 result files missing or malformed, 1 any other error (e.g. cannot write).
#include "report.hpp"

#include "../common/atomic_file.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <exception>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

/// Missing or malformed input files (exit status 2).
struct InputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

json load_json(const fs::path& path, const std::string& schema_prefix) {
  if (!fs::is_regular_file(path)) throw InputError(fmt::format("missing file '{}'", path.string()));
  json j;
  try {
    j = json::parse(examples::read_file(path));
  } catch (const json::parse_error& e) {
    throw InputError(fmt::format("'{}' is not valid JSON: {}", path.string(), e.what()));
  }
  if (!j.is_object()) throw InputError(fmt::format("'{}': expected a JSON object", path.string()));
  const auto schema = j.find("schema");
  if (schema == j.end() || !schema->is_string() || schema->get<std::string>().rfind(schema_prefix, 0) != 0)
    throw InputError(fmt::format("'{}': \"schema\" is not {}N", path.string(), schema_prefix));
  const auto arms = j.find("arms");
  if (arms == j.end() || !arms->is_object())
    throw InputError(fmt::format("'{}': no \"arms\" object", path.string()));
  return j;
}

chronic_stress::ReportInputs load_run(const fs::path& dir) {
  chronic_stress::ReportInputs in;
  const fs::path summary_path = dir / "summary.json";
  in.summary = load_json(summary_path, "rewire.chronic_stress.summary/");
  const auto seeds = in.summary.find("seeds");
  if (seeds == in.summary.end() || !seeds->is_array() || seeds->empty())
    throw InputError(fmt::format("'{}': \"seeds\" must be a non-empty array of seed numbers", summary_path.string()));
  for (const auto& s : *seeds) {
    if (!s.is_number_integer() || s.get<long long>() < 0)
      throw InputError(fmt::format("'{}': \"seeds\" holds {}, not a seed number", summary_path.string(), s.dump()));
    const long long seed = s.get<long long>();
    const fs::path p = dir / "seeds" / fmt::format("seed-{:03d}.json", seed);
    json j = load_json(p, "rewire.chronic_stress.seed/");
    const auto id = j.find("seed");
    if (id == j.end() || !id->is_number_integer() || id->get<long long>() != seed)
      throw InputError(fmt::format("'{}': \"seed\" is not {}", p.string(), seed));
    in.seeds.push_back(std::move(j));
  }
  return in;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "chronic_stress_report: regenerate report.md and figures/ (PNG via gnuplot, plus their .dat data and .gp "
      "scripts) of a chronic_stress run from DIR/summary.json and DIR/seeds/seed-NNN.json."};
  std::string out;
  app.add_option("--out", out, "results directory of a chronic_stress run (holds summary.json and seeds/)")
      ->required();
  CLI11_PARSE(app, argc, argv);

  const fs::path dir(out);
  chronic_stress::ReportInputs inputs;
  try {
    inputs = load_run(dir);
  } catch (const InputError& e) {
    std::fprintf(stderr, "chronic_stress_report: %s\n", e.what());
    return 2;
  }
  try {
    for (const auto& w : chronic_stress::write_report(dir, inputs))
      std::fprintf(stderr, "chronic_stress_report: warning: %s\n", w.c_str());
  } catch (const std::invalid_argument& e) {  // structurally malformed results
    std::fprintf(stderr, "chronic_stress_report: malformed results in '%s': %s\n", dir.string().c_str(), e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "chronic_stress_report: error: %s\n", e.what());
    return 1;
  }
  std::printf("wrote %s\n", (dir / "report.md").string().c_str());
  return 0;
}
