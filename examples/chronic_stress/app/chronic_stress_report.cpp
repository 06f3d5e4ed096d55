// app/chronic_stress_report.cpp - chronic_stress_report: regenerate
// report.md and figures/ of a finished chronic_stress run from its result
// files (DIR/summary.json and the seed files it lists in DIR/seeds/), e.g.
// after restyling or with a newer report generator. Does not simulate.
//
//   chronic_stress_report --out results/chronic_stress
//
// The result files are checked before anything is written: the summary's
// configuration must hash to its config_hash and every seed file must belong
// to it (docs/results-schema.md). Like a study run, it holds the directory's
// lock (results/dir_lock.hpp) while it reads and writes, so it never reports a
// half-written run and a run never starts under it.
//
// Exit status: 0 ok (warnings, e.g. gnuplot missing, go to stderr),
// 2 result files missing or malformed, 1 any other error (e.g. cannot write).
#include "report/report.hpp"

#include "results/dir_lock.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

namespace fs = std::filesystem;

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
  std::unique_ptr<chronic_stress::DirLock> lock;
  try {
    // A missing directory is load_report_inputs's to name; the lock would create it.
    if (fs::is_directory(dir)) lock = std::make_unique<chronic_stress::DirLock>(dir);
    inputs = chronic_stress::load_report_inputs(dir);
  } catch (const chronic_stress::ResultsError& e) {  // missing or malformed result files
    std::fprintf(stderr, "chronic_stress_report: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "chronic_stress_report: error: %s\n", e.what());
    return 1;
  }
  try {
    for (const auto& w : chronic_stress::write_report(dir, inputs))
      std::fprintf(stderr, "chronic_stress_report: warning: %s\n", w.c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "chronic_stress_report: error: %s\n", e.what());
    return 1;
  }
  std::printf("wrote %s\n", (dir / "report.md").string().c_str());
  return 0;
}
