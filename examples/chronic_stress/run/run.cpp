// run/run.cpp - a plan from its output directories to its summaries: the
// directory locks, Ctrl-C, the pool, and what is written once every seed is
// in (run.hpp).
#include "run/run.hpp"

#include "report/report.hpp"
#include "run/pool.hpp"

#include <rewire/io/files.hpp>
#include <rewire/version.hpp>

#include <atomic>
#include <csignal>
#include <system_error>

namespace chronic_stress {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Ctrl-C (SIGINT) or SIGTERM (a batch system's notice, a plain kill) asks
// the workers to stop at their next epoch, so the run ends cleanly with every
// finished seed saved; a second signal kills at once. Both flags are
// lock-free atomics, the only state a handler may touch.
std::atomic<bool> g_interrupted{false};
std::atomic<int> g_signal{0};
extern "C" void on_stop_signal(int sig) {
  g_signal.store(sig);
  g_interrupted.store(true);
  std::signal(sig, SIG_DFL);
}

// The handlers for the lifetime of the object; the caller's come back after.
class StopHandlers {
 public:
  StopHandlers() : int_(std::signal(SIGINT, on_stop_signal)), term_(std::signal(SIGTERM, on_stop_signal)) {}
  ~StopHandlers() {
    std::signal(SIGINT, int_);
    std::signal(SIGTERM, term_);
  }
  StopHandlers(const StopHandlers&) = delete;
  StopHandlers& operator=(const StopHandlers&) = delete;

 private:
  void (*int_)(int);
  void (*term_)(int);
};

// The pool with the handlers installed for its duration; returns the signal
// that stopped it (0: none).
int run_pool_interruptible(const RunPlan& plan, std::vector<std::unique_ptr<SeedInFlight>>& todo,
                           std::vector<StudyOutcome>& outcomes, Console& console) {
  g_interrupted.store(false);
  g_signal.store(0);
  const StopHandlers handlers;
  detail::run_pool(plan, todo, outcomes, g_interrupted, console);
  return g_signal.load();
}

// shard.json: which run a shard directory belongs to (merge_shards reads it).
std::string shard_file_text(const RunPlan& plan) {
  const PlannedStudy& study = plan.studies.front();
  const nlohmann::json info = {{"shard", plan.settings.shard->index},
                               {"shards", plan.settings.shard->count},
                               {"config_hash", study.hash()},
                               {"library_version", rewire::version},
                               {"epoch_scale", study.prepared.epoch_scale},
                               {"seeds", plan.seeds}};
  return info.dump(2) + "\n";
}

// Once every seed of `study` is saved: each removed its own checkpoints,
// so the directory is empty (one someone else put there is left alone).
void remove_emptied_checkpoints(const RunPlan& plan, const PlannedStudy& study) {
  if (plan.settings.keep_checkpoints) return;
  std::error_code not_empty;
  fs::remove(study.out / "checkpoints", not_empty);
}

// One study's summary.json, results.csv and report.
void finish_study(const RunPlan& plan, const PlannedStudy& study, StudyOutcome& outcome, double wall_seconds,
                  Console& console) {
  remove_emptied_checkpoints(plan, study);
  RunInfo info;
  info.config_hash = study.hash();
  info.config = nlohmann::json::parse(config_to_json(study.spec()).dump());
  info.epoch_scale = study.prepared.epoch_scale;
  info.threads = plan.settings.threads;
  info.wall_seconds = wall_seconds;
  const Summary& summary = outcome.summary.emplace(summarize(study.spec(), outcome.seeds, info));
  rewire::io::write_file_atomic(study.out / "summary.json", to_json(summary).dump(2) + "\n");
  rewire::io::write_file_atomic(study.out / "results.csv", results_csv(study.spec(), outcome.seeds));
  if (plan.settings.report)
    for (const auto& w : write_report(study.out, ReportInputs{study.spec(), summary, outcome.seeds})) console.warn(w);
}

}  // namespace

RunOutputs::RunOutputs(const RunPlan& plan) {
  for (const auto& study : plan.studies) {
    locks_.push_back(std::make_unique<DirLock>(study.out));  // creates the directory
    rewire::io::write_file_atomic(study.out / "config.toml", config_file_text(study.prepared));
    if (plan.settings.shard) rewire::io::write_file_atomic(study.out / "shard.json", shard_file_text(plan));
  }
}

RunResult run(const RunPlan& plan, Console& console) {
  const auto start = Clock::now();
  const RunOutputs outputs(plan);
  for (std::size_t p = 0; p < plan.points.size(); ++p)
    console.info("sweep " + plan.points[p].dir + " (" + std::to_string(p + 1) + " of " +
                 std::to_string(plan.points.size()) + "), hash " + plan.studies[p].hash() + ", output " +
                 plan.studies[p].out.string());
  RunResult result;
  std::vector<std::unique_ptr<SeedInFlight>> todo = seeds_to_compute(plan, result.studies, console);
  result.stop_signal = run_pool_interruptible(plan, todo, result.studies, console);
  std::size_t computed = 0;  // fewer than asked: interrupted (a failure has thrown)
  for (const auto& study : result.studies) computed += std::size_t(study.computed);
  result.interrupted = computed < todo.size();
  result.wall_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (result.interrupted) return result;
  if (plan.settings.shard) {  // a shard's summary comes from the merge
    remove_emptied_checkpoints(plan, plan.studies.front());
    return result;
  }
  finish_run(plan, result, start, console);
  return result;
}

void finish_run(const RunPlan& plan, RunResult& result, Clock::time_point start, Console& console) {
  std::vector<Summary> summaries;
  for (std::size_t j = 0; j < plan.studies.size(); ++j) {
    result.wall_seconds = std::chrono::duration<double>(Clock::now() - start).count();
    finish_study(plan, plan.studies[j], result.studies[j], result.wall_seconds, console);
    summaries.push_back(*result.studies[j].summary);
  }
  if (!plan.sweep()) return;
  std::vector<PreparedStudy> prepared;
  for (const auto& study : plan.studies) prepared.push_back(study.prepared);
  for (const auto& w : write_sweep_results(plan.points, prepared, summaries, plan.settings.out, plan.settings.report))
    console.warn(w);
}

}  // namespace chronic_stress
