// tests/test_runner_pool.cpp - Ctrl-C in the worker pool (run/pool.hpp): the
// interrupt flag stops every task at its next epoch, so a study shorter than
// the progress line's 250 ms tick cannot finish once the flag is up.
#include "run/pool.hpp"
#include "run/run.hpp"
#include "tests/tiny_study.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <unistd.h>

using namespace chronic_stress;

namespace fs = std::filesystem;

namespace {

struct PoolRun {
  int computed = 0;
  int seed_files = 0;
};

// run_pool as run() calls it (seeds_to_compute's seeds), with the interrupt
// flag already up or not. Three seeds of the tiny study take milliseconds:
// well inside one 250 ms tick.
PoolRun run_tiny_study(const std::string& name, bool interrupted_at_start) {
  const fs::path out = fs::temp_directory_path() / ("chronic_stress_pool_" + std::to_string(::getpid())) / name;
  fs::remove_all(out);
  RunSettings settings;
  settings.config = {"tiny study", testing::tiny_study()};
  settings.seeds = 3;
  settings.threads = 2;
  settings.checkpoint_every = 0;
  settings.out = out;
  const RunPlan plan = make_plan(settings);
  std::vector<StudyOutcome> outcomes;
  Console quiet(ProgressMode::none, false);
  std::vector<std::unique_ptr<SeedInFlight>> todo = seeds_to_compute(plan, outcomes, quiet);
  const std::atomic<bool> interrupted{interrupted_at_start};
  detail::run_pool(plan, todo, outcomes, interrupted, quiet);
  PoolRun run{outcomes.at(0).computed, 0};
  for (std::uint64_t seed = 0; seed < 3; ++seed) run.seed_files += fs::exists(seed_path(out, seed)) ? 1 : 0;
  fs::remove_all(out);
  return run;
}

}  // namespace

TEST_CASE("the pool computes every seed when not interrupted") {
  const PoolRun run = run_tiny_study("whole", false);
  CHECK(run.computed == 3);
  CHECK(run.seed_files == 3);
}

TEST_CASE("an interrupt stops every task at its next epoch, even in a study shorter than a progress tick") {
  const PoolRun run = run_tiny_study("interrupted", true);
  CHECK(run.computed == 0);
  CHECK(run.seed_files == 0);
}
