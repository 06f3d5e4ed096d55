// runner.cpp - resume (which seeds to reuse), SIGINT and the entry points
// run_studies and run_seeds; the pool itself is in runner_pool.cpp.
#include "runner.hpp"

#include "results.hpp"
#include "runner_pool.hpp"

#include <rewire/version.hpp>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <memory>
#include <stdexcept>

namespace chronic_stress {
namespace {

using runner_detail::SeedWork;

// Ctrl-C asks the workers to stop at their next epoch, so the run ends
// cleanly with every finished seed saved; a second Ctrl-C kills at once.
std::atomic<bool> g_interrupted{false};
extern "C" void on_sigint(int) {
  g_interrupted.store(true);
  std::signal(SIGINT, SIG_DFL);
}

// "0-3, 7" for {0, 1, 2, 3, 7}.
std::string seed_ranges(const std::vector<std::uint64_t>& seeds) {
  std::string out;
  for (std::size_t i = 0; i < seeds.size();) {
    std::size_t j = i;
    while (j + 1 < seeds.size() && seeds[j + 1] == seeds[j] + 1) ++j;
    out += (out.empty() ? "" : ", ") + std::to_string(seeds[i]);
    if (j > i) out += "-" + std::to_string(seeds[j]);
    i = j + 1;
  }
  return out;
}

}  // namespace

std::optional<SeedRecord> reusable_seed(const std::filesystem::path& out_dir, std::uint64_t seed,
                                        const std::string& config_hash, const rewire::protocol::StudySpec& spec,
                                        const std::string& prefix, Console& console) {
  const auto path = seed_path(out_dir, seed);
  if (!std::filesystem::exists(path)) return std::nullopt;
  std::string reason;
  if (auto record = read_seed_file(path, seed, config_hash, rewire::version, spec, reason)) return record;
  console.info(prefix + "seed " + std::to_string(seed) + ": not reusing " + path.string() + " (" + reason +
               "): recomputing it, the file will be overwritten");
  return std::nullopt;
}

void runner_detail::scan_job(const StudyJob& job, std::size_t index, RunOutcome& outcome,
                             std::vector<std::unique_ptr<SeedWork>>& work, Console& console) {
  const std::string prefix = job.name.empty() ? std::string() : job.name + ", ";
  outcome.seeds.resize(job.seeds.size());
  std::vector<std::uint64_t> reused;
  for (std::size_t i = 0; i < job.seeds.size(); ++i) {
    const std::uint64_t seed = job.seeds[i];
    if (auto record = reusable_seed(job.out_dir, seed, job.config_hash, *job.spec, prefix, console)) {
      outcome.seeds[i] = std::move(*record);
      reused.push_back(seed);
      continue;
    }
    work.push_back(std::make_unique<SeedWork>());
    work.back()->study = index;
    work.back()->seed = seed;
    work.back()->slot = i;
  }
  outcome.reused = int(reused.size());
  if (!reused.empty())
    console.info(prefix + "reusing " + std::to_string(reused.size()) + " finished seed" +
                 (reused.size() > 1 ? "s" : "") + " (" + seed_ranges(reused) + ") from " +
                 (job.out_dir / "seeds").string());
  if (outcome.reused < int(job.seeds.size())) std::filesystem::create_directories(job.out_dir / "seeds");
}

std::vector<RunOutcome> run_studies(const std::vector<StudyJob>& jobs, const PoolOptions& options,
                                    Console& console) {
  std::vector<RunOutcome> outcomes(jobs.size());
  std::vector<std::unique_ptr<SeedWork>> work;
  std::vector<std::size_t> pending(jobs.size(), 0);  // seeds to compute, per job
  std::size_t tasks = 0;                             // arms to run in all
  for (std::size_t j = 0; j < jobs.size(); ++j) {
    const std::size_t before = work.size();
    runner_detail::scan_job(jobs[j], j, outcomes[j], work, console);
    pending[j] = work.size() - before;
    tasks += pending[j] * jobs[j].spec->arms.size();
  }
  if (work.empty()) return outcomes;

  // More threads than tasks that can ever run at once would only idle.
  const unsigned threads = unsigned(std::min<std::size_t>(options.threads, tasks));
  g_interrupted.store(false);
  const auto previous = std::signal(SIGINT, on_sigint);
  std::vector<int> computed;
  try {
    computed = runner_detail::run_pool(jobs, options, std::max(1u, threads), work, outcomes, g_interrupted, console);
  } catch (...) {
    std::signal(SIGINT, previous);
    throw;
  }
  std::signal(SIGINT, previous);
  for (std::size_t j = 0; j < jobs.size(); ++j) {
    outcomes[j].computed = computed[j];
    outcomes[j].interrupted = g_interrupted.load() && computed[j] < int(pending[j]);
  }
  return outcomes;
}

RunOutcome run_seeds(const rewire::protocol::StudySpec& spec, const std::string& config_hash,
                     const RunOptions& options, Console& console) {
  const std::vector<StudyJob> jobs{StudyJob{&spec, config_hash, options.out_dir, options.seeds, ""}};
  const PoolOptions pool{options.threads, options.checkpoint_every, options.keep_checkpoints};
  return std::move(run_studies(jobs, pool, console).front());
}

}  // namespace chronic_stress
