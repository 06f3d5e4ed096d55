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
#include <vector>

namespace chronic_stress::mpi {

/// What the ranks did (filled on rank 0 only).
struct TaskReport {
  std::vector<int> tasks_per_rank;    ///< tasks each rank finished
  int tasks_total = 0;                ///< tasks of the seeds to compute
  int seeds_saved = 0;                ///< seed files written
  std::vector<std::uint64_t> failed;  ///< seeds with a failed task or an unwritable file, in order
  int unfinished = 0;                 ///< seeds neither saved nor failed (every rank stopped after failures)
};

/// Computes `seeds` (used on rank 0; their files are written to
/// out/seeds) on every rank with `threads` worker threads each. Collective:
/// every rank calls it. Progress and errors go to `console` (rank 0's).
TaskReport run_tasks(const PreparedStudy& study, const std::filesystem::path& out,
                     const std::vector<std::uint64_t>& seeds, unsigned threads, Console& console);

}  // namespace chronic_stress::mpi
