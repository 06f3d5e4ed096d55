// test_runner_pool.cpp - Ctrl-C in the worker pool (runner_pool.hpp): the
// interrupt flag stops every task at its next epoch, so a study shorter than
// the progress line's 250 ms tick cannot finish once the flag is up.
#include "config.hpp"
#include "results.hpp"
#include "runner_pool.hpp"
#include "tiny_study.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <unistd.h>

using namespace chronic_stress;
using namespace chronic_stress::runner_detail;
namespace fs = std::filesystem;

namespace {

struct PoolRun {
  int computed = 0;
  int seed_files = 0;
};

// run_pool as run_studies calls it (scan_job's seeds to compute), with the
// interrupt flag already up or not. Three seeds of the tiny study take
// milliseconds: well inside one 250 ms tick.
PoolRun run_tiny_study(const std::string& name, bool interrupted_at_start) {
  const fs::path out = fs::temp_directory_path() / ("chronic_stress_pool_" + std::to_string(::getpid())) / name;
  fs::remove_all(out);
  const rewire::protocol::StudySpec spec = parse_config(testing::kTinyStudy, "tiny study");
  const std::vector<StudyJob> jobs{StudyJob{&spec, config_hash(spec), out, {0, 1, 2}, ""}};
  std::vector<RunOutcome> outcomes(1);
  std::vector<std::unique_ptr<SeedWork>> work;
  Console quiet(false, false);
  scan_job(jobs[0], 0, outcomes[0], work, quiet);
  const std::atomic<bool> interrupted{interrupted_at_start};
  const std::vector<int> computed = run_pool(jobs, PoolOptions{2, 0, false}, 2, work, outcomes, interrupted, quiet);
  PoolRun run{computed.at(0), 0};
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
