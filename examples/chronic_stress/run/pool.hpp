// run/pool.hpp - the worker pool behind run() (run.hpp): one queue of tasks
// over the seeds still to compute of every study of a plan. Internal to the
// run room.
#pragma once

#include "run/console.hpp"
#include "run/plan.hpp"
#include "run/seeds.hpp"

#include <atomic>
#include <memory>
#include <vector>

namespace chronic_stress::detail {

/// Computes `todo` (in this order of baselines) on plan.settings.threads
/// threads (fewer if there are fewer arms to run), writing each seed's file
/// and its record into outcomes[study].seeds[slot] as it ends, and counting
/// it in outcomes[study].computed. `interrupted` (set by a signal handler)
/// stops every running task at its next epoch and starts no new one.
/// Throws std::runtime_error naming the study, seed and arm of the first
/// failed task.
void run_pool(const RunPlan& plan, std::vector<std::unique_ptr<SeedInFlight>>& todo,
              std::vector<StudyOutcome>& outcomes, const std::atomic<bool>& interrupted, Console& console);

}  // namespace chronic_stress::detail
