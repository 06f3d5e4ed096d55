// runner_pool.cpp - the worker pool: task queue, checkpoints, per-seed output
// and the progress line (runner_pool.hpp).
#include "runner_pool.hpp"

#include "checkpoints.hpp"
#include "results.hpp"

#include <common/atomic_file.hpp>
#include <rewire/core/gemm_blocking.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

namespace chronic_stress::runner_detail {
namespace {

using namespace rewire;
using namespace rewire::protocol;
using Clock = std::chrono::steady_clock;

struct Cancelled {};  // thrown from the epoch callback to abandon a task

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// "1m05s": short enough for a progress line (markdown.cpp's duration() is the
// report's longer form).
std::string compact_duration(double seconds) {
  const long s = long(seconds + 0.5);
  char b[32];
  if (s >= 3600) std::snprintf(b, sizeof b, "%ldh%02ldm", s / 3600, s / 60 % 60);
  else if (s >= 60) std::snprintf(b, sizeof b, "%ldm%02lds", s / 60, s % 60);
  else std::snprintf(b, sizeof b, "%lds", s);
  return b;
}

struct Task {
  SeedWork* work = nullptr;
  int arm = -1;  // -1: the baseline
};

class Pool {
 public:
  Pool(const std::vector<StudyJob>& jobs, const PoolOptions& options, std::vector<RunOutcome>& outcomes,
       const std::atomic<bool>& interrupted, Console& console, long epochs_total, int seeds_total, int reused)
      : jobs_(jobs), options_(options), outcomes_(outcomes), interrupted_(interrupted), console_(console),
        computed_(jobs.size()), epochs_total_(epochs_total), seeds_total_(seeds_total), reused_(reused),
        seeds_done_(reused) {}

  int computed(std::size_t job) const { return computed_[job].load(); }

  void run(std::vector<std::unique_ptr<SeedWork>>& work, unsigned threads) {
    for (auto& w : work) queue_.push_back({w.get(), -1});
    Eigen::initParallel();  // harmless without OpenMP; Eigen asks for it before threads start
    // The same summation order on every CPU, whatever caches it reports
    // (gemm_blocking.hpp); set before any worker computes.
    pin_gemm_blocking();
    std::vector<std::thread> pool;
    try {
      for (unsigned i = 0; i < threads; ++i) pool.emplace_back([this] { worker(); });
    } catch (...) {  // a thread failed to start: stop and join the others first
      {
        std::lock_guard<std::mutex> lock(mutex_);
        stop_ = true;
        cancel_.store(true);
      }
      cv_.notify_all();
      for (auto& t : pool) t.join();
      throw;
    }
    {
      std::unique_lock<std::mutex> lock(mutex_);
      while (!cv_.wait_for(lock, std::chrono::milliseconds(250), [this] { return finished(); })) {
        if (interrupted_.load() && !stop_) {
          stop_ = true;
          cancel_.store(true);
          cv_.notify_all();
        }
        lock.unlock();
        console_.status(progress_line());
        lock.lock();
      }
    }
    for (auto& t : pool) t.join();
    console_.clear_status();
    if (!error_.empty()) throw std::runtime_error(error_);
  }

 private:
  bool finished() const { return active_ == 0 && (stop_ || queue_.empty()); }

  void worker() {
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
        execute(task, next);
      } catch (const Cancelled&) {
        cancelled = true;
      } catch (const std::exception& e) {
        error = e.what();
      } catch (...) {
        error = "unknown exception";
      }
      std::lock_guard<std::mutex> lock(mutex_);
      --active_;
      if (!error.empty() && error_.empty()) {
        const SeedWork& w = *task.work;
        error_ = where(w) + ", " +
                 (task.arm < 0 ? std::string("baseline") : "arm " + spec(w).arms[std::size_t(task.arm)].name) +
                 ": " + error;
      }
      if (!error.empty() || cancelled) {  // a failure or Ctrl-C: no new task, running ones stop
        stop_ = true;
        cancel_.store(true);
      }
      // Arms go before every baseline (after the arms already queued): finish
      // the seeds already started, oldest first, before starting new ones
      // (fewer seeds in memory, less lost on interrupt). With several jobs
      // this holds across them: a job's seeds start once the earlier jobs'
      // baselines have all been taken.
      auto at = std::find_if(queue_.begin(), queue_.end(), [](const Task& t) { return t.arm < 0; });
      queue_.insert(at, next.begin(), next.end());
      cv_.notify_all();
    }
  }

  void execute(const Task& task, std::vector<Task>& next) {
    const auto start = Clock::now();
    // Ctrl-C is seen here, at the next epoch of every running task, not at
    // the coordinator's next progress tick (up to 250 ms later, long enough
    // for a small study to finish and lose the interrupt).
    const EpochCallback on_epoch = [this](int, double, float) {
      epochs_done_.fetch_add(1, std::memory_order_relaxed);
      if (cancel_.load(std::memory_order_relaxed) || interrupted_.load(std::memory_order_relaxed)) throw Cancelled{};
    };
    SeedWork& w = *task.work;
    const StudySpec& sp = spec(w);
    const std::size_t arms = sp.arms.size();
    if (task.arm < 0) {
      w.data = make_study_data(sp.data, w.seed);
      w.depressed.emplace(run_baseline(sp, *w.data, w.seed, on_epoch));
      w.results.assign(arms, ArmResult{});
      w.seconds.assign(arms + 1, 0.0);
      w.seconds[0] = seconds_since(start);
      w.arms_left.store(arms);
      for (std::size_t a = 0; a < arms; ++a) next.push_back({&w, int(a)});
      // Longest arms first: the shortest ones then fill the gaps at the end
      // of the run instead of one long arm running alone on one core.
      std::stable_sort(next.begin(), next.end(), [&sp](const Task& x, const Task& y) {
        return sp.arm_epochs(std::size_t(x.arm)) > sp.arm_epochs(std::size_t(y.arm));
      });
      return;
    }
    const std::size_t a = std::size_t(task.arm);
    arms_running_.fetch_add(1);
    struct Leave {
      std::atomic<int>& n;
      ~Leave() { n.fetch_sub(1); }
    } leave{arms_running_};
    w.results[a] = run_arm_checkpointed(w, a, on_epoch);
    w.seconds[1 + a] = seconds_since(start);
    if (w.arms_left.fetch_sub(1) == 1) finish_seed(w);  // the last arm of the seed
  }

  // run_arm, resumed from the arm's latest valid checkpoint if there is
  // one, saving checkpoints as options_.checkpoint_every asks.
  ArmResult run_arm_checkpointed(SeedWork& w, std::size_t a, const EpochCallback& on_epoch) {
    const StudyJob& job = jobs_[w.study];
    const StudySpec& sp = *job.spec;
    const ArmKey key{w.seed, a, job.config_hash};
    std::string notes;
    std::optional<ArmState> resume = latest_arm_state(job.out_dir, sp, key, notes);
    if (!notes.empty()) console_.warn(where(w) + ", arm " + sp.arms[a].name + ": " + notes);
    if (resume) {
      const int next = resume->next_cycle;
      console_.info(where(w) + ", arm " + sp.arms[a].name + ": resuming from its checkpoint " +
                    (next == 0 ? std::string("after the treatment") : "after cycle " + std::to_string(next - 1)));
      epochs_done_.fetch_add(epochs_before(sp, a, next));
    }
    const int every = options_.checkpoint_every;
    ArmCheckpoint save;
    if (every > 0)
      save = [&](const ArmState& s) {
        const int cycle = s.next_cycle - 1;  // the cycle just measured (-1: the treatment part)
        if (cycle < 0 || cycle % every == 0 || cycle >= sp.longitudinal.cycles)
          save_arm_state(checkpoint_path(job.out_dir, sp, key, s), sp, key, s);
      };
    return run_arm(sp, a, *w.depressed, *w.data, on_epoch, save, std::move(resume));
  }

  // Training epochs of arm `a` before a state whose next cycle is `next`.
  static long epochs_before(const StudySpec& spec, std::size_t a, int next) {
    const ArmSpec& arm = spec.arms[a];
    long n = 0;
    for (const auto& s : arm.treatment) n += epochs_of(s);
    if (arm.follow_up)
      for (int c = 1; c < next; ++c)
        for (const auto& s : steps_in_cycle(arm.maintenance, c)) n += epochs_of(s);
    return std::min(n, spec.arm_epochs(a));
  }

  void finish_seed(SeedWork& w) {
    const StudyJob& job = jobs_[w.study];
    double seconds = 0;
    for (double s : w.seconds) seconds += s;
    SeedRecord record = seed_record(w.seed, job.config_hash, seconds, w.results);
    examples::write_file_atomically(seed_path(job.out_dir, w.seed), to_json(record).dump(2) + "\n");
    for (const auto& r : w.results)
      if (r.diverged)
        console_.warn(where(w) + ", arm " + r.arm +
                      ": training met a non-finite loss (diverged); non-finite values are written as null");
    if (!options_.keep_checkpoints) {  // the seed file now holds everything a rerun needs
      std::error_code ignored;
      std::filesystem::remove_all(seed_checkpoint_dir(job.out_dir, w.seed), ignored);
    }
    outcomes_[w.study].seeds[w.slot] = std::move(record);  // every slot has one writer
    w.data.reset();
    w.depressed.reset();
    const int done = seeds_done_.fetch_add(1) + 1;
    ++computed_[w.study];
    if (console_.progress_enabled())  // a log file gets no per-seed lines
      console_.info(where(w) + " done in " + compact_duration(seconds) + " of thread time (" +
                    std::to_string(done) + "/" + std::to_string(seeds_total_) + ")");
  }

  std::string progress_line() const {
    const long done = epochs_done_.load();
    const double elapsed = seconds_since(start_);
    // Short enough for an 80-column terminal (a wrapped line breaks \r).
    const int running = arms_running_.load();
    std::string line = "seeds " + std::to_string(seeds_done_.load()) + "/" + std::to_string(seeds_total_) +
                       " done";
    if (reused_ > 0) line += " (" + std::to_string(reused_) + " reused)";
    line += ", " + std::to_string(running) + (running == 1 ? " arm" : " arms") + " running | epoch " +
            std::to_string(done) + "/" + std::to_string(epochs_total_);
    if (epochs_total_ > 0) line += " (" + std::to_string(100 * done / epochs_total_) + "%)";
    line += " | " + compact_duration(elapsed) + " elapsed";
    if (done > 0 && done < epochs_total_)
      line += ", ETA " + compact_duration(elapsed * double(epochs_total_ - done) / double(done));
    return line;
  }

  const StudySpec& spec(const SeedWork& w) const { return *jobs_[w.study].spec; }

  // "point-03, seed 7"; a lone study: "seed 7".
  std::string where(const SeedWork& w) const {
    const std::string& name = jobs_[w.study].name;
    return (name.empty() ? std::string() : name + ", ") + "seed " + std::to_string(w.seed);
  }

  const std::vector<StudyJob>& jobs_;
  const PoolOptions& options_;
  std::vector<RunOutcome>& outcomes_;
  const std::atomic<bool>& interrupted_;
  Console& console_;
  std::vector<std::atomic<int>> computed_;  // seeds computed, per job
  const long epochs_total_;
  const int seeds_total_;
  const int reused_;
  const Clock::time_point start_ = Clock::now();

  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Task> queue_;
  int active_ = 0;     // tasks being executed
  bool stop_ = false;  // no new tasks (error or interrupt)
  std::string error_;  // the first task failure

  std::atomic<bool> cancel_{false};  // running tasks abandon at their next epoch
  std::atomic<long> epochs_done_{0};
  std::atomic<int> arms_running_{0};
  std::atomic<int> seeds_done_;
};

}  // namespace

std::vector<int> run_pool(const std::vector<StudyJob>& jobs, const PoolOptions& options, unsigned threads,
                          std::vector<std::unique_ptr<SeedWork>>& work, std::vector<RunOutcome>& outcomes,
                          const std::atomic<bool>& interrupted, Console& console) {
  long epochs_total = 0;
  for (const auto& w : work) epochs_total += jobs[w->study].spec->epochs_per_seed();
  int seeds_total = 0, reused = 0;
  for (std::size_t j = 0; j < jobs.size(); ++j) {
    seeds_total += int(jobs[j].seeds.size());
    reused += outcomes[j].reused;
  }
  Pool pool(jobs, options, outcomes, interrupted, console, epochs_total, seeds_total, reused);
  pool.run(work, threads);
  std::vector<int> computed(jobs.size());
  for (std::size_t j = 0; j < jobs.size(); ++j) computed[j] = pool.computed(j);
  return computed;
}

}  // namespace chronic_stress::runner_detail
