// study_run.cpp - see study_run.hpp.
#include "study_run.hpp"

#include "config.hpp"
#include "memory_estimate.hpp"
#include "report.hpp"
#include "results.hpp"

#include <common/atomic_file.hpp>
#include <common/dir_lock.hpp>
#include <rewire/version.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <system_error>

namespace chronic_stress {

ConfigInput read_config(const std::string& path) {
  if (path.empty()) return {kPaperConfigName, std::string(paper_config())};
  try {
    return {path, examples::read_file(path)};
  } catch (const std::exception&) {
    throw UsageError("cannot read config file '" + path + "'");
  }
}

PreparedStudy prepare_study(const std::string& toml_text, const std::string& source, double epoch_scale) {
  PreparedStudy study;
  study.spec = parse_config(toml_text, source);
  try {
    rewire::protocol::scale_epochs(study.spec, epoch_scale);
    study.spec.validate();
  } catch (const std::invalid_argument& e) {
    throw ConfigError(source + ": " + e.what());
  }
  study.canonical = canonical_toml(study.spec);
  study.hash = fnv1a64_hex(study.canonical);
  study.epoch_scale = epoch_scale;
  return study;
}

std::string config_file_text(const PreparedStudy& study) {
  char scale[64];
  std::snprintf(scale, sizeof scale, "%g", study.epoch_scale);
  return "# Effective configuration of a chronic_stress run (rewire " + std::string(rewire::version) +
         "): every default spelled out,\n# epoch counts already multiplied by --epoch-scale " + scale +
         ". config_hash " + study.hash + " is the FNV-1a 64\n# hash of the text below this header. Rerun with "
         "`chronic_stress --config config.toml`.\n\n" +
         study.canonical;
}

StudyResult run_study(const PreparedStudy& study, const StudyRequest& request, Console& console) {
  const auto start = std::chrono::steady_clock::now();
  // Refused before anything is created; then one run per directory.
  require_memory(study.spec, request.threads, request.seeds.size(), "", physical_memory());
  const examples::DirLock lock(request.out);  // creates the directory
  examples::write_file_atomically(request.out / "config.toml", config_file_text(study));

  RunOptions run{request.out, request.seeds, request.threads};
  run.checkpoint_every = request.checkpoint_every;
  run.keep_checkpoints = request.keep_checkpoints;
  RunOutcome outcome = run_seeds(study.spec, study.hash, run, console);
  if (outcome.interrupted) {
    StudyResult result;
    result.outcome = std::move(outcome);
    return result;
  }
  return finish_study(study, request, std::move(outcome), start, console);
}

StudyResult finish_study(const PreparedStudy& study, const StudyRequest& request, RunOutcome outcome,
                         std::chrono::steady_clock::time_point start, Console& console) {
  StudyResult result;
  result.outcome = std::move(outcome);
  if (!request.keep_checkpoints) {  // each finished seed removed its own; the directory is now empty
    std::error_code not_empty;       // (a checkpoint someone else put there is left alone)
    std::filesystem::remove(request.out / "checkpoints", not_empty);
  }

  RunInfo info;
  info.config_hash = study.hash;
  info.config = nlohmann::json::parse(config_to_json(study.spec).dump());
  info.epoch_scale = study.epoch_scale;
  info.threads = request.threads;
  info.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result.wall_seconds = info.wall_seconds;
  const Summary& summary = result.summary.emplace(summarize(study.spec, result.outcome.seeds, info));
  examples::write_file_atomically(request.out / "summary.json", to_json(summary).dump(2) + "\n");
  examples::write_file_atomically(request.out / "results.csv", results_csv(study.spec, result.outcome.seeds));
  if (request.report)
    for (const auto& w : write_report(request.out, ReportInputs{study.spec, summary, result.outcome.seeds}))
      console.warn(w);
  return result;
}

}  // namespace chronic_stress
