// run/run.hpp - front door of the run room: a checked RunPlan run to its
// output directories, on one pool of worker threads, resumably.
//
// Work is one queue of tasks over all the studies of the plan (a sweep's
// points): "baseline of seed s" and, once that exists, "arm a of seed s".
// Each arm runs start to end on one thread with its own copy of the
// pre-treatment subject, and every random stream is keyed by (seed,
// lineage, purpose), so results are bit-identical for any number of
// threads, any order of completion, any split into shards or MPI ranks.
#pragma once

#include "run/console.hpp"
#include "run/plan.hpp"
#include "run/seeds.hpp"

#include <chrono>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <vector>

namespace chronic_stress {

/// The output directories of a plan, each locked for the lifetime of this
/// object (one run per directory) and holding its config.toml, and a
/// shard's shard.json.
class RunOutputs {
 public:
  explicit RunOutputs(const RunPlan& plan);

 private:
  std::vector<std::unique_ptr<DirLock>> locks_;
};

/// What a run did, one outcome per study of the plan.
struct RunResult {
  std::vector<StudyOutcome> studies;
  bool interrupted = false;  ///< Ctrl-C or SIGTERM: finished seeds are saved; what is not written a rerun writes
  int stop_signal = 0;       ///< the signal that interrupted it (SIGINT, SIGTERM), else 0
  double wall_seconds = 0.0;
};

/// Runs the plan: locks and prepares the output directories, reuses every
/// valid finished seed file, computes the other seeds (writing each seed's
/// file atomically as its last arm ends, and arm checkpoints as
/// settings.checkpoint_every asks), then writes what finish_run writes. A
/// shard run (settings.shard) computes its share and writes no summary.
/// SIGINT and SIGTERM are caught from the first task to the last file: the
/// workers stop at their next epoch, and finish_run before its next file or
/// figure (result.interrupted, result.stop_signal).
/// Throws std::runtime_error naming the study, seed and arm of a failed task
/// (other finished seeds stay saved).
RunResult run(const RunPlan& plan, Console& console);

/// Once every seed of every study is in `result` (nothing interrupted):
/// removes the emptied checkpoints directories, writes each study's
/// summary.json, results.csv and (if asked) report, and for a sweep
/// sweep.json and sweep.md. A report (or sweep.md) an earlier run left is
/// removed first, with or without a new one. Under run's signal handlers, a
/// stop signal ends it before its next file or figure, marking `result`
/// interrupted. `start` is when the run began (summary.json's wall_seconds
/// counts from it).
void finish_run(const RunPlan& plan, RunResult& result, std::chrono::steady_clock::time_point start,
                Console& console);

/// Shards that cannot be merged (another configuration or library version,
/// a missing or invalid seed): nothing has been written.
class MergeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Merges shard directories (each a `--shard` run's output) into
/// settings.out: checks that they are of one run (same configuration hash,
/// library version, seed list and shard count) and that every seed file is
/// there and valid, copies them, and writes what a single process writes
/// (settings.config and settings.seeds are ignored: they come from the
/// shards). Throws MergeError when the shards do not form one complete run.
RunResult merge_shards(const std::vector<std::filesystem::path>& shard_dirs, const RunSettings& settings,
                       Console& console);

}  // namespace chronic_stress
