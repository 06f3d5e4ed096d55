// study_run.hpp - one study from configuration text to its output directory:
// the flow the chronic_stress program runs (and any other front end that
// wants the same files): parse and check the configuration, run or reuse the
// seeds, then write summary.json, results.csv and the report.
#pragma once

#include "console.hpp"
#include "results_model.hpp"
#include "runner.hpp"

#include <rewire/protocol/study.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace chronic_stress {

/// A bad command line, or a --config that cannot be read: exit status 2, like
/// a bad configuration.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// A configuration as the command line gives it, before any check.
struct ConfigInput {
  std::string source;  ///< the --config path, or kPaperConfigName (messages name it)
  std::string text;    ///< the TOML text
};

/// Reads the --config file `path`, or takes the built-in paper.toml when
/// `path` is empty: every front end reads its configuration here, so its
/// messages and config hash are the same. Throws UsageError if the file
/// cannot be read.
ConfigInput read_config(const std::string& path);

/// A configuration checked and ready to run: the spec after the epoch scale,
/// its canonical TOML and that text's hash (the run's identity).
struct PreparedStudy {
  rewire::protocol::StudySpec spec;
  std::string canonical;  ///< canonical TOML: config.toml's body
  std::string hash;       ///< fnv1a64_hex(canonical)
  double epoch_scale = 1.0;
};

/// Parses `toml_text` (`source` names it in messages), multiplies every
/// epoch count by `epoch_scale` and validates the result. Throws ConfigError
/// naming the source and the key; creates nothing.
PreparedStudy prepare_study(const std::string& toml_text, const std::string& source, double epoch_scale);

/// config.toml's text: a comment header (not hashed) over the canonical body.
std::string config_file_text(const PreparedStudy& study);

/// Where and how to run a prepared study.
struct StudyRequest {
  std::filesystem::path out;         ///< output directory (created if missing)
  std::vector<std::uint64_t> seeds;  ///< in order
  unsigned threads = 1;              ///< worker threads, >= 1
  bool report = true;                ///< write report.md and figures/
  int checkpoint_every = 1;          ///< RunOptions::checkpoint_every
  bool keep_checkpoints = false;     ///< RunOptions::keep_checkpoints
};

/// What run_study did. `summary` is empty when the run was interrupted
/// (finished seeds are saved under out/seeds and a rerun continues).
struct StudyResult {
  RunOutcome outcome;
  std::optional<Summary> summary;
  double wall_seconds = 0.0;
};

/// Writes out/config.toml, runs every seed that has no valid finished file
/// (run_seeds), then summary.json, results.csv and, if asked, the report.
/// Report warnings (e.g. gnuplot missing) go to `console`. Throws
/// std::runtime_error on a failed task or an unwritable directory.
StudyResult run_study(const PreparedStudy& study, const StudyRequest& request, Console& console);

/// run_study's last part, for seeds already run (`outcome`, not interrupted,
/// e.g. from run_studies): removes the emptied checkpoints directory, writes
/// summary.json, results.csv and, if asked, the report. `start` is when the
/// run began (summary.json's wall_seconds counts from it).
StudyResult finish_study(const PreparedStudy& study, const StudyRequest& request, RunOutcome outcome,
                         std::chrono::steady_clock::time_point start, Console& console);

}  // namespace chronic_stress
