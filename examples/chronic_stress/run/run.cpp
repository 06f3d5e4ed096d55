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
// finished seed saved, and once the seeds are in, stops the run before its
// next file or figure; a second signal kills at once. Both flags are
// lock-free atomics, the only state a handler may touch.
std::atomic<bool> g_interrupted{false};
std::atomic<int> g_signal{0};
extern "C" void on_stop_signal(int sig) {
  g_signal.store(sig);
  g_interrupted.store(true);
  std::signal(sig, SIG_DFL);
}

// The handlers for the lifetime of the object, from no signal yet; the
// caller's come back after. They cover the pool and every file written after
// it (summary, report), whatever disposition the process started with, so a
// signal is honoured in every phase of a run alike.
class StopHandlers {
 public:
  StopHandlers() {
    g_interrupted.store(false);
    g_signal.store(0);
    int_ = std::signal(SIGINT, on_stop_signal);
    term_ = std::signal(SIGTERM, on_stop_signal);
  }
  ~StopHandlers() {
    std::signal(SIGINT, int_);
    std::signal(SIGTERM, term_);
  }
  StopHandlers(const StopHandlers&) = delete;
  StopHandlers& operator=(const StopHandlers&) = delete;

 private:
  void (*int_)(int) = SIG_DFL;
  void (*term_)(int) = SIG_DFL;
};

// True once a stop signal came (only while StopHandlers are installed; never
// under chronic_stress_mpi): `result` is then interrupted by it, and the
// caller writes nothing more.
bool stop_requested(RunResult& result) {
  if (!g_interrupted.load()) return false;
  result.interrupted = true;
  result.stop_signal = g_signal.load();
  return true;
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

// Each finished seed removed its own checkpoints: a directory they emptied
// goes too (one holding an unfinished arm's state, or a file someone else
// put there, is left alone).
void remove_emptied_checkpoints(const RunPlan& plan, const PlannedStudy& study) {
  if (plan.settings.keep_checkpoints) return;
  std::error_code not_empty;
  fs::remove(study.out / "checkpoints", not_empty);
}

// The report of study.out; false if a stop signal ended it first (report.md
// is then not written: gnuplot was stopped, or no figure was started).
bool write_study_report(const PlannedStudy& study, const Summary& summary, const StudyOutcome& outcome,
                        RunResult& result, Console& console) {
  try {
    const ReportInputs inputs{study.spec(), summary, outcome.seeds};
    for (const auto& w : write_report(study.out, inputs, [] { return g_interrupted.load(); })) console.warn(w);
  } catch (const std::exception&) {
    if (stop_requested(result)) return false;  // a stop signal while gnuplot ran: raised again, then thrown
    throw;
  }
  return !stop_requested(result);
}

// One study's summary.json, results.csv and report. A report an earlier run
// left in the directory goes first: it would describe another summary
// (another configuration, other seeds). False if a stop signal came before
// everything was written.
bool finish_study(const RunPlan& plan, std::size_t j, RunResult& result, Console& console) {
  const PlannedStudy& study = plan.studies[j];
  StudyOutcome& outcome = result.studies[j];
  remove_emptied_checkpoints(plan, study);
  RunInfo info;
  info.config_hash = study.hash();
  info.config = nlohmann::json::parse(config_to_json(study.spec()).dump());
  info.epoch_scale = study.prepared.epoch_scale;
  info.threads = plan.settings.threads;
  info.wall_seconds = result.wall_seconds;
  const Summary& summary = outcome.summary.emplace(summarize(study.spec(), outcome.seeds, info));
  if (stop_requested(result)) return false;
  if (remove_report(study.out) && !plan.settings.report)
    console.info("removed report.md and figures/ of an earlier run from " + study.out.string() +
                 ": they do not describe the new summary.json (--no-report writes none)");
  rewire::io::write_file_atomic(study.out / "summary.json", to_json(summary).dump(2) + "\n");
  rewire::io::write_file_atomic(study.out / "results.csv", results_csv(study.spec(), outcome.seeds));
  if (stop_requested(result)) return false;
  return !plan.settings.report || write_study_report(study, summary, outcome, result, console);
}

// sweep.json and (if asked) sweep.md of a sweep's finished points, in place
// of whatever comparison an earlier sweep left in settings.out.
void finish_sweep(const RunPlan& plan, const std::vector<Summary>& summaries, RunResult& result, Console& console) {
  std::vector<PreparedStudy> prepared;
  for (const auto& study : plan.studies) prepared.push_back(study.prepared);
  const RunSettings& s = plan.settings;
  if (remove_sweep_report(s.out) && !s.report)
    console.info("removed sweep.md and figures/sweep_* of an earlier sweep from " + s.out.string() +
                 ": they do not describe the new sweep.json (--no-report writes none)");
  try {
    for (const auto& w : write_sweep_results(plan.points, prepared, summaries, s.out, s.report)) console.warn(w);
  } catch (const std::exception&) {
    if (stop_requested(result)) return;
    throw;
  }
  stop_requested(result);
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
  const StopHandlers handlers;  // until the last file is written
  detail::run_pool(plan, todo, result.studies, g_interrupted, console);
  result.stop_signal = g_signal.load();
  std::size_t computed = 0;  // fewer than asked: interrupted (a failure has thrown)
  for (const auto& study : result.studies) computed += std::size_t(study.computed);
  result.interrupted = computed < todo.size();
  result.wall_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  // An emptied checkpoints/ goes whether the run is finished, interrupted or a shard.
  for (const auto& study : plan.studies) remove_emptied_checkpoints(plan, study);
  if (result.interrupted || plan.settings.shard) return result;  // a shard's summary comes from the merge
  finish_run(plan, result, start, console);
  return result;
}

void finish_run(const RunPlan& plan, RunResult& result, Clock::time_point start, Console& console) {
  std::vector<Summary> summaries;
  for (std::size_t j = 0; j < plan.studies.size(); ++j) {
    result.wall_seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (!finish_study(plan, j, result, console)) return;
    summaries.push_back(*result.studies[j].summary);
  }
  if (plan.sweep()) finish_sweep(plan, summaries, result, console);
}

}  // namespace chronic_stress
