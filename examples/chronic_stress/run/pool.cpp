// run/pool.cpp - the worker pool: task queue, arm checkpoints, per-seed
// output and progress (pool.hpp).
#include "run/pool.hpp"

#include <rewire/core/gemm_blocking.hpp>
#include <rewire/protocol/circuit.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

namespace chronic_stress::detail {
namespace {

using namespace rewire;
using namespace rewire::protocol;
using Clock = std::chrono::steady_clock;

struct Cancelled {};  // thrown from the epoch callback to abandon a task

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// "1m05s": short enough for a progress line.
std::string compact_duration(double seconds) {
  const long s = long(seconds + 0.5);
  char b[32];
  if (s >= 3600) std::snprintf(b, sizeof b, "%ldh%02ldm", s / 3600, s / 60 % 60);
  else if (s >= 60) std::snprintf(b, sizeof b, "%ldm%02lds", s / 60, s % 60);
  else std::snprintf(b, sizeof b, "%lds", s);
  return b;
}

struct Task {
  SeedInFlight* seed = nullptr;
  int arm = -1;  // -1: the baseline
};

// Training epochs of arm `a` before a state whose next cycle is `next`.
long epochs_before(const StudySpec& spec, std::size_t a, int next) {
  const ArmSpec& arm = spec.arms[a];
  long n = 0;
  for (const auto& s : arm.treatment) n += epochs_of(s);
  if (arm.follow_up)
    for (int c = 1; c < next; ++c)
      for (const auto& s : steps_in_cycle(arm.maintenance, c)) n += epochs_of(s);
  return std::min(n, spec.arm_epochs(a));
}

class Pool {
 public:
  Pool(const RunPlan& plan, std::vector<StudyOutcome>& outcomes, const std::atomic<bool>& interrupted,
       Console& console, const std::vector<std::unique_ptr<SeedInFlight>>& todo)
      : plan_(plan), outcomes_(outcomes), interrupted_(interrupted), console_(console) {
    for (const auto& s : todo) epochs_total_ += spec(*s).epochs_per_seed();
    for (const auto& o : outcomes) {
      seeds_total_ += int(o.seeds.size());
      reused_ += o.reused;
    }
    seeds_done_.store(reused_);
  }

  void run(std::vector<std::unique_ptr<SeedInFlight>>& todo, unsigned threads) {
    for (auto& s : todo) queue_.push_back({s.get(), -1});
    doing_.assign(threads, std::string());
    Eigen::initParallel();  // harmless without OpenMP; Eigen asks for it before threads start
    // The same summation order on every CPU, whatever caches it reports
    // (gemm_blocking.hpp); set before any worker computes.
    pin_gemm_blocking();
    std::vector<std::thread> pool;
    try {
      for (unsigned i = 0; i < threads; ++i) pool.emplace_back([this, i] { worker(i); });
    } catch (...) {  // a thread failed to start: stop and join the others first
      stop_all();
      for (auto& t : pool) t.join();
      throw;
    }
    coordinate();
    for (auto& t : pool) t.join();
    console_.clear_status();
    if (!error_.empty()) throw std::runtime_error(error_);
  }

 private:
  bool finished() const { return active_ == 0 && (stop_ || queue_.empty()); }

  void stop_all() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
      cancel_.store(true);
    }
    cv_.notify_all();
  }

  // The main thread: Ctrl-C for tasks without epochs, and progress.
  void coordinate() {
    auto last_line = Clock::now();
    std::unique_lock<std::mutex> lock(mutex_);
    while (!cv_.wait_for(lock, std::chrono::milliseconds(250), [this] { return finished(); })) {
      if (interrupted_.load() && !stop_) {
        stop_ = true;
        cancel_.store(true);
        cv_.notify_all();
      }
      lock.unlock();
      if (console_.progress_mode() == ProgressMode::bar) console_.status(bar_line());
      if (console_.progress_mode() == ProgressMode::lines && seconds_since(last_line) >= plan_.settings.progress_every) {
        console_.progress(log_line());
        last_line = Clock::now();
      }
      lock.lock();
    }
  }

  void worker(unsigned id) {
    for (;;) {
      Task task;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        cv_.wait(lock, [this] { return stop_ || !queue_.empty() || active_ == 0; });
        if (stop_ || queue_.empty()) {
          cv_.notify_all();
          return;
        }
        task = queue_.front();
        queue_.pop_front();
        ++active_;
      }
      std::vector<Task> next;
      std::string error;
      bool cancelled = false;
      try {
        execute(id, task, next);
      } catch (const Cancelled&) {
        cancelled = true;
      } catch (const std::exception& e) {
        error = e.what();
      } catch (...) {
        error = "unknown exception";
      }
      set_doing(id, "");
      std::lock_guard<std::mutex> lock(mutex_);
      --active_;
      if (!error.empty() && error_.empty()) error_ = task_name(task) + ": " + error;
      if (!error.empty() || cancelled) {  // a failure or Ctrl-C: no new task, running ones stop
        stop_ = true;
        cancel_.store(true);
      }
      // Arms go before every baseline (after the arms already queued): finish
      // the seeds already started, oldest first, before starting new ones
      // (fewer seeds in memory, less lost on interrupt). Across the studies
      // of a sweep too: a study's seeds start once the earlier studies'
      // baselines have all been taken.
      auto at = std::find_if(queue_.begin(), queue_.end(), [](const Task& t) { return t.arm < 0; });
      queue_.insert(at, next.begin(), next.end());
      cv_.notify_all();
    }
  }

  void execute(unsigned id, const Task& task, std::vector<Task>& next) {
    const auto start = Clock::now();
    // Ctrl-C is seen here, at the next epoch of every running task, not at
    // the coordinator's next tick (up to 250 ms later, long enough for a
    // small study to finish and lose the interrupt).
    const EpochCallback on_epoch = [this](int, double, float) {
      epochs_done_.fetch_add(1, std::memory_order_relaxed);
      if (cancel_.load(std::memory_order_relaxed) || interrupted_.load(std::memory_order_relaxed)) throw Cancelled{};
    };
    SeedInFlight& s = *task.seed;
    const StudySpec& sp = spec(s);
    if (task.arm < 0) {
      set_doing(id, s.where(plan_) + " baseline");
      s.data = make_study_data(sp, s.seed);
      s.depressed.emplace(run_baseline(sp, *s.data, s.seed, on_epoch));
      s.baseline = rewire::protocol::measure_baseline(sp, *s.depressed, *s.data);
      s.start_arms(sp.arms.size(), seconds_since(start));
      for (std::size_t a : arm_order(sp)) next.push_back({&s, int(a)});
      return;
    }
    const std::size_t a = std::size_t(task.arm);
    ArmResult result = run_arm_checkpointed(id, s, a, on_epoch);
    if (s.finish_arm(a, std::move(result), seconds_since(start))) finish_seed(s);  // the seed's last arm
  }

  // run_arm, resumed from the arm's latest valid checkpoint if there is
  // one, saving checkpoints as settings.checkpoint_every asks.
  ArmResult run_arm_checkpointed(unsigned id, SeedInFlight& s, std::size_t a, const EpochCallback& on_epoch) {
    const PlannedStudy& study = plan_.studies[s.study];
    const StudySpec& sp = study.spec(s.seed);
    const std::string what = s.where(plan_) + ", arm " + sp.arms[a].name;
    const ArmKey key{s.seed, a, study.hash()};
    std::string notes;
    std::optional<ArmState> resume = latest_arm_state(study.out, sp, key, notes);
    if (!notes.empty()) console_.warn(what + ": " + notes);
    if (resume) {
      console_.info(what + ": resuming from its checkpoint " + resume_point(sp.arms[a], resume->next_cycle));
      epochs_done_.fetch_add(epochs_before(sp, a, resume->next_cycle));
    }
    set_doing(id, what + " " + phase(sp, a, resume ? resume->next_cycle : -1));
    const int every = plan_.settings.checkpoint_every;
    const ArmCheckpoint on_checkpoint = [&](const ArmState& state) {
      set_doing(id, what + " " + phase(sp, a, state.next_cycle));
      const int cycle = state.next_cycle - 1;  // the cycle just measured (-1: the treatment part)
      if (every > 0 && (cycle < 0 || cycle % every == 0 || cycle >= sp.longitudinal.cycles))
        save_arm_state(checkpoint_path(study.out, sp, key, state), sp, key, state);
    };
    return run_arm(sp, a, *s.depressed, *s.data, on_epoch, on_checkpoint, std::move(resume));
  }

  // What arm `a` is doing when its next cycle is `next` (ArmState::next_cycle):
  // "treatment", "cycle 3/8", or "finishing" once nothing is left to run
  // (after the last cycle; an arm without follow-up, after its panel).
  static std::string phase(const StudySpec& sp, std::size_t a, int next) {
    if (next < 0) return "treatment";
    if (!sp.arms[a].follow_up || next > sp.longitudinal.cycles) return "finishing";
    return "cycle " + std::to_string(std::max(next, 1)) + "/" + std::to_string(sp.longitudinal.cycles);
  }

  // Where a checkpoint with next cycle `next` left `arm`: an arm without
  // follow-up has no cycles, whatever number marks it finished.
  static std::string resume_point(const ArmSpec& arm, int next) {
    if (!arm.follow_up) return "after the treatment (it has no follow-up: nothing is left to run)";
    return next == 0 ? std::string("after the treatment") : "after cycle " + std::to_string(next - 1);
  }

  void finish_seed(SeedInFlight& s) {
    StudyOutcome& outcome = outcomes_[s.study];
    outcome.seeds[s.slot] = save_seed(plan_, s, console_);  // every slot has one writer
    s.data.reset();
    s.depressed.reset();
    double seconds = 0;
    for (double t : s.seconds) seconds += t;
    const int done = seeds_done_.fetch_add(1) + 1;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++outcome.computed;
    }
    if (console_.progress_mode() != ProgressMode::none)
      console_.info(s.where(plan_) + " done in " + compact_duration(seconds) + " of thread time (" +
                    std::to_string(done) + "/" + std::to_string(seeds_total_) + ")");
  }

  void set_doing(unsigned id, std::string what) {
    std::lock_guard<std::mutex> lock(doing_mutex_);
    doing_[id] = std::move(what);
  }

  // Seeds, epochs, elapsed and time left: the start of both progress forms.
  std::string counts() const {
    const long done = epochs_done_.load();
    const double elapsed = seconds_since(start_);
    std::string line = "seeds " + std::to_string(seeds_done_.load()) + "/" + std::to_string(seeds_total_) + " done";
    if (reused_ > 0) line += " (" + std::to_string(reused_) + " reused)";
    line += " | epoch " + std::to_string(done) + "/" + std::to_string(epochs_total_);
    if (epochs_total_ > 0) line += " (" + std::to_string(100 * done / epochs_total_) + "%)";
    line += " | " + compact_duration(elapsed) + " elapsed";
    if (done > 0 && done < epochs_total_)
      line += ", ETA " + compact_duration(elapsed * double(epochs_total_ - done) / double(done));
    return line;
  }

  // The terminal's bar: short enough for 80 columns (a wrapped line breaks \r).
  std::string bar_line() const {
    std::lock_guard<std::mutex> lock(doing_mutex_);
    const auto running = std::count_if(doing_.begin(), doing_.end(), [](const std::string& d) { return !d.empty(); });
    return counts() + " | " + std::to_string(running) + " running";
  }

  // A log's line: what every thread is doing too.
  std::string log_line() const {
    std::string line = counts();
    std::lock_guard<std::mutex> lock(doing_mutex_);
    std::string running;
    for (const auto& d : doing_)
      if (!d.empty()) running += (running.empty() ? "" : "; ") + d;
    return line + " | running: " + (running.empty() ? "nothing" : running);
  }

  std::string task_name(const Task& t) const {
    return t.seed->where(plan_) + ", " + (t.arm < 0 ? std::string("baseline") : "arm " + spec(*t.seed).arms[std::size_t(t.arm)].name);
  }

  const StudySpec& spec(const SeedInFlight& s) const { return plan_.studies[s.study].spec(s.seed); }

  const RunPlan& plan_;
  std::vector<StudyOutcome>& outcomes_;
  const std::atomic<bool>& interrupted_;
  Console& console_;
  long epochs_total_ = 0;
  int seeds_total_ = 0;
  int reused_ = 0;
  const Clock::time_point start_ = Clock::now();

  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Task> queue_;
  int active_ = 0;     // tasks being executed
  bool stop_ = false;  // no new tasks (error or interrupt)
  std::string error_;  // the first task failure

  mutable std::mutex doing_mutex_;
  std::vector<std::string> doing_;  // per worker: what it runs ("" idle)

  std::atomic<bool> cancel_{false};  // running tasks abandon at their next epoch
  std::atomic<long> epochs_done_{0};
  std::atomic<int> seeds_done_{0};
};

}  // namespace

void run_pool(const RunPlan& plan, std::vector<std::unique_ptr<SeedInFlight>>& todo,
              std::vector<StudyOutcome>& outcomes, const std::atomic<bool>& interrupted, Console& console) {
  if (todo.empty()) return;
  std::size_t tasks = 0;  // arms to run in all
  for (const auto& s : todo) tasks += plan.studies[s->study].spec().arms.size();
  // More threads than tasks that can ever run at once would only idle.
  const unsigned threads = unsigned(std::max<std::size_t>(1, std::min<std::size_t>(plan.settings.threads, tasks)));
  Pool pool(plan, outcomes, interrupted, console, todo);
  pool.run(todo, threads);
}

}  // namespace chronic_stress::detail
