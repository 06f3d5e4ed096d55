// run/seeds.hpp - the seeds of a run from "to compute" to their seed files:
// which finished files are reused, the one model of a seed in flight (the
// thread pool's and the MPI coordinator's), and how its file is written.
#pragma once

#include "results/results.hpp"
#include "run/plan.hpp"

#include <rewire/protocol/study.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace chronic_stress {

/// What one study of a run has: its seed records (in the plan's seed order,
/// complete only when no seed failed or was interrupted) and how many were
/// reused from finished files or computed now.
struct StudyOutcome {
  std::vector<SeedRecord> seeds;
  int reused = 0;
  int computed = 0;
  std::optional<Summary> summary;  ///< written once every seed is there
};

/// One seed in flight, from its baseline to its seed file. The pre-treatment
/// state is kept as the arms need it: in memory where they run in this
/// process (the pool), as checkpoint bytes where they are sent to other
/// ranks (MPI). Each arm writes only its own result and time slot, so the
/// only state shared between threads is `arms_left`.
struct SeedInFlight {
  std::size_t study = 0;  ///< index into RunPlan::studies
  std::uint64_t seed = 0;
  std::size_t slot = 0;   ///< index into the study's StudyOutcome::seeds

  std::optional<rewire::protocol::StudyData> data;             ///< the seed's data sets (pool)
  std::optional<const rewire::protocol::Subject> depressed;    ///< the pre-treatment state (pool)
  std::string depressed_bytes;                                 ///< the same as checkpoint bytes (MPI)
  std::size_t arms_unsent = 0;                                 ///< arms not handed out yet (MPI)

  rewire::protocol::Metrics baseline;                ///< the pre-treatment network's measures (measure_baseline)
  std::vector<rewire::protocol::ArmResult> results;  ///< one per arm
  std::vector<double> seconds;                       ///< thread time: [0] baseline, [1 + a] arm a
  std::atomic<std::size_t> arms_left{0};             ///< arms still running or to run
  bool failed = false;                               ///< abandoned after a failure (MPI)

  /// After its baseline: room for every arm's result.
  void start_arms(std::size_t arms, double baseline_seconds);
  /// Files arm `a`'s result; true for the seed's last arm (then save it).
  bool finish_arm(std::size_t a, rewire::protocol::ArmResult result, double seconds);
  /// "point-03, seed 7"; a lone study: "seed 7".
  std::string where(const RunPlan& plan) const;
};

/// The arms of `spec` in the order they start: longest first (the short ones
/// then fill the gaps at the end of a run instead of one long arm running
/// alone on one core).
std::vector<std::size_t> arm_order(const rewire::protocol::StudySpec& spec);

/// The record of `seed`'s finished file under study.out/seeds, if it can be
/// reused: same config hash and library version, and the whole record fits
/// the configuration (read_seed_file). Otherwise nullopt, and if a file is
/// there `console` says why it is recomputed.
std::optional<SeedRecord> reusable_seed(const PlannedStudy& study, std::uint64_t seed, Console& console);

/// Every seed of plan.seeds_to_run() in every study that has no reusable
/// file, in order (earlier studies first). `outcomes` (one per study) get
/// the reused records and their slots; the seeds directories are created.
std::vector<std::unique_ptr<SeedInFlight>> seeds_to_compute(const RunPlan& plan, std::vector<StudyOutcome>& outcomes,
                                                            Console& console);

/// Writes the seed's file atomically (seeds/seed-NNN.json), warns of arms
/// that diverged, removes the seed's checkpoints unless the plan keeps them,
/// and returns the record. Throws std::runtime_error if the file cannot be
/// written.
SeedRecord save_seed(const RunPlan& plan, const SeedInFlight& seed, Console& console);

}  // namespace chronic_stress
