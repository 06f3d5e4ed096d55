// runner_pool.hpp - the worker pool behind run_studies (runner.hpp): one
// queue of tasks over the seeds still to compute of all the jobs. Internal to
// the runner.
#pragma once

#include "console.hpp"
#include "runner.hpp"

#include <rewire/protocol/study.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace chronic_stress::runner_detail {

// One seed in flight. Arms only start once `depressed` is set; every arm
// copies it (run_arm branches it; copying only reads) and writes its own
// result slot, so the only shared mutable state is `arms_left`.
struct SeedWork {
  std::size_t study = 0;  // index into the jobs
  std::uint64_t seed = 0;
  std::size_t slot = 0;  // index into the job's RunOutcome::seeds
  std::optional<rewire::protocol::StudyData> data;
  std::optional<const rewire::protocol::Subject> depressed;  // the pre-treatment state, read-only while arms run
  std::vector<rewire::protocol::ArmResult> results;
  std::vector<double> seconds;  // [0] baseline, [1 + a] arm a
  std::atomic<std::size_t> arms_left{0};
};

/// Resume: a finished seed file of the same config and library is reused
/// (into outcome.seeds, sized here); anything else in its place is
/// recomputed and overwritten (never mixed in). Appends the seeds to compute
/// to `work` and creates job.out_dir/seeds for them.
void scan_job(const StudyJob& job, std::size_t index, RunOutcome& outcome,
              std::vector<std::unique_ptr<SeedWork>>& work, Console& console);

/// Computes `work` (in this order of baselines) on `threads` threads, writing
/// each seed's file and its record into outcomes[study].seeds[slot] as it
/// ends. `interrupted` (set by a signal handler) stops the workers at their
/// next epoch. Returns the seeds computed per job; throws std::runtime_error
/// naming the job, seed and arm of the first failed task.
std::vector<int> run_pool(const std::vector<StudyJob>& jobs, const PoolOptions& options, unsigned threads,
                          std::vector<std::unique_ptr<SeedWork>>& work, std::vector<RunOutcome>& outcomes,
                          const std::atomic<bool>& interrupted, Console& console);

}  // namespace chronic_stress::runner_detail
