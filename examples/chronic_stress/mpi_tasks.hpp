// mpi_tasks.hpp - chronic_stress_mpi's work: the tasks of the single-process
// runner ("baseline of seed s" and, once it exists, "arm a of seed s")
// spread over MPI ranks with dynamic load balancing.
//
// Rank 0 coordinates (on its main thread, besides computing on its workers).
// Every rank runs --threads worker threads and asks rank 0 for one task per
// free thread. Rank 0 answers with an arm of a seed whose baseline is done
// (with the pre-treatment subject's state, checkpoints.hpp's bytes), else
// the next seed's baseline, else holds the request until a baseline ends,
// and "no more" once nothing is left. A started seed's arms go before a new
// baseline (fewer seeds in memory, as in the single-process runner).
// Results come back to rank 0, which writes each seed's file atomically as
// soon as its last arm is in, so a killed job keeps every finished seed.
//
// The study data are regenerated from the seed on each rank; every random
// stream is keyed by (seed, lineage, purpose), so results are bit-identical
// to one chronic_stress process whatever rank or thread runs a task.
//
// A task that throws is reported at once by rank 0 (rank, seed, task); its
// seed is abandoned, its rank asks for no further task (its node may be the
// cause) and the other ranks go on with every other seed.
#pragma once

#include "console.hpp"
#include "study_run.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace chronic_stress::mpi {

/// One study of the run (a lone study, or a sweep's point).
struct TaskJob {
  const PreparedStudy* study = nullptr;  ///< outlives the run; prepared on every rank
  std::filesystem::path out;             ///< seed files go to out/seeds
  std::vector<std::uint64_t> seeds;      ///< to compute, in order (rank 0's list; other ranks' are ignored)
  std::string name;                      ///< starts its messages ("point-01"); "" for a lone study
};

struct FailedSeed {
  std::size_t job = 0;
  std::uint64_t seed = 0;
};

/// What the ranks did (filled on rank 0 only).
struct TaskReport {
  std::vector<int> tasks_per_rank;  ///< tasks each rank finished
  int tasks_total = 0;              ///< tasks of the seeds to compute
  int seeds_saved = 0;              ///< seed files written
  std::vector<FailedSeed> failed;   ///< seeds with a failed task or an unwritable file, in order
  int unfinished = 0;               ///< seeds neither saved nor failed (every rank stopped after failures)
};

/// Computes every job's seeds (their files are written to the job's
/// out/seeds on rank 0) on every rank with `threads` worker threads each;
/// earlier jobs' seeds start first. Collective: every rank calls it with the
/// same jobs (seed lists only matter on rank 0). Progress and errors go to
/// `console` (rank 0's).
TaskReport run_tasks(const std::vector<TaskJob>& jobs, unsigned threads, Console& console);

}  // namespace chronic_stress::mpi
