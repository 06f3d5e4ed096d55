// mpi/mpi.hpp - front door of the mpi room: the tasks of a RunPlan spread
// over MPI ranks with dynamic load balancing (chronic_stress_mpi).
//
// The tasks are the thread pool's ("baseline of seed s" and, once it exists,
// "arm a of seed s"). Rank 0 coordinates (on its main thread, besides
// computing on its workers). Every rank runs --threads worker threads and
// asks rank 0 for one task per free thread. Rank 0 answers with an arm of a
// seed whose baseline is done (with the pre-treatment subject's state as
// checkpoint bytes), else the next seed's baseline, else holds the request
// until a baseline ends, and "no more" once nothing is left. A started
// seed's arms go before a new baseline (fewer seeds in memory, as in the
// pool). Results come back to rank 0, which writes each seed's file
// atomically as soon as its last arm is in, so a killed job keeps every
// finished seed.
//
// The study data are regenerated from the seed on each rank; every random
// stream is keyed by (seed, lineage, purpose), so results are bit-identical
// to one chronic_stress process whatever rank or thread runs a task.
//
// A task that throws is reported at once by rank 0 (rank, seed, task); its
// seed is abandoned, its rank asks for no further task (its node may be the
// cause) and the other ranks go on with every other seed.
#pragma once

#include "run/run.hpp"

#include <cstdint>
#include <memory>
#include <vector>

namespace chronic_stress::mpi {

struct FailedSeed {
  std::size_t study = 0;
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

/// Computes `todo` (rank 0's seeds_to_compute; ignored on the other ranks)
/// on every rank with plan.settings.threads worker threads each; earlier
/// studies' seeds start first. Rank 0 writes each seed's file and puts its
/// record and count into outcomes[study] (as the pool does). Collective:
/// every rank calls it with the same plan. Progress and errors go to
/// `console` (rank 0's).
TaskReport run_tasks(const RunPlan& plan, std::vector<std::unique_ptr<SeedInFlight>>& todo,
                     std::vector<StudyOutcome>& outcomes, Console& console);

}  // namespace chronic_stress::mpi
