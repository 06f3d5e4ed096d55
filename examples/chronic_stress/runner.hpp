// runner.hpp - runs the seeds of one or several studies on one pool of
// worker threads, with progress, resume and atomic per-seed output.
//
// Work is one queue of tasks over all the studies: "baseline of seed s of
// study k" and, once that exists, "arm a of seed s of study k". Each arm
// runs start to end on one thread with its own copy of the pre-treatment
// subject, and every random stream is keyed by (seed, lineage, purpose), so
// results are bit-identical for any number of threads, any order of
// completion and whichever other studies share the pool.
#pragma once

#include "console.hpp"
#include "results_model.hpp"

#include <rewire/protocol/study.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace chronic_stress {

struct RunOptions {
  std::filesystem::path out_dir;     ///< seeds go to out_dir/seeds/seed-NNN.json
  std::vector<std::uint64_t> seeds;  ///< the seeds of this run, in order
  unsigned threads = 1;              ///< worker threads, >= 1
  /// Arm checkpoints (checkpoints.hpp): after the treatment part and every
  /// N-th longitudinal cycle (and the last); 0: none. A rerun resumes each
  /// unfinished arm from its latest valid checkpoint.
  int checkpoint_every = 1;
  /// Keep a seed's checkpoints after its seed file is written (to inspect
  /// the networks); by default they are removed then.
  bool keep_checkpoints = false;
};

struct RunOutcome {
  std::vector<SeedRecord> seeds;  ///< one record per requested seed, in order (complete runs only)
  int reused = 0;                     ///< seeds read back from finished seed files
  int computed = 0;                   ///< seeds computed (and written) by this run
  bool interrupted = false;           ///< SIGINT: finished seeds are saved, `seeds` is incomplete
};

/// One study of a shared run (run_studies): its configuration, identity,
/// output directory and seeds.
struct StudyJob {
  const rewire::protocol::StudySpec* spec = nullptr;  ///< outlives the run
  std::string config_hash;
  std::filesystem::path out_dir;     ///< seeds go to out_dir/seeds/seed-NNN.json
  std::vector<std::uint64_t> seeds;  ///< in order
  std::string name;                  ///< starts its console lines ("point-03"); "" for a lone study
};

/// How the shared pool runs (RunOptions without a study's own fields).
struct PoolOptions {
  unsigned threads = 1;
  int checkpoint_every = 1;
  bool keep_checkpoints = false;
};

/// Runs every requested seed of every job that has no valid finished file
/// under its out_dir/seeds, exactly as run_seeds does for one, but with all
/// the jobs' tasks in one queue on one pool of options.threads threads, so
/// no thread idles while any job has work. Seeds of earlier jobs start
/// first; a started seed's arms go before any new baseline, so memory holds
/// no more seeds than tasks in flight. One outcome per job, in order. On
/// SIGINT every job whose seeds are not all finished is `interrupted`.
std::vector<RunOutcome> run_studies(const std::vector<StudyJob>& jobs, const PoolOptions& options,
                                    Console& console);

/// The record of `seed`'s finished file under out_dir/seeds, if it can be
/// reused: same config hash and library version, and the whole record fits
/// the configuration (read_seed_file). Otherwise nullopt, and if a file is
/// there `console` says why it is recomputed (`prefix` names the job, e.g.
/// "point-01, "). The one reuse rule of run_studies and chronic_stress_mpi.
std::optional<SeedRecord> reusable_seed(const std::filesystem::path& out_dir, std::uint64_t seed,
                                        const std::string& config_hash, const rewire::protocol::StudySpec& spec,
                                        const std::string& prefix, Console& console);

/// Runs every requested seed that has no valid finished file under
/// out_dir/seeds (valid = same config hash and library version, and the
/// whole record fits the configuration: seed_mismatch), writing
/// each seed's file atomically as soon as its last arm ends. Says on
/// `console` which seeds it reuses or recomputes and why. Throws
/// std::runtime_error if a task fails (other finished seeds stay saved).
RunOutcome run_seeds(const rewire::protocol::StudySpec& spec, const std::string& config_hash,
                     const RunOptions& options, Console& console);

}  // namespace chronic_stress
