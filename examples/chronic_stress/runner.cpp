// runner.cpp - the task queue, progress, resume and per-seed output.
#include "runner.hpp"

#include "checkpoints.hpp"
#include "results.hpp"

#include <common/atomic_file.hpp>
#include <rewire/core/gemm_blocking.hpp>
#include <rewire/version.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

namespace chronic_stress {
namespace {

using namespace rewire;
using namespace rewire::protocol;
using Clock = std::chrono::steady_clock;

// Ctrl-C asks the workers to stop at their next epoch, so the run ends
// cleanly with every finished seed saved; a second Ctrl-C kills at once.
std::atomic<bool> g_interrupted{false};
extern "C" void on_sigint(int) {
  g_interrupted.store(true);
  std::signal(SIGINT, SIG_DFL);
}

struct Cancelled {};  // thrown from the epoch callback to abandon a task

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string duration(double seconds) {
  const long s = long(seconds + 0.5);
  char b[32];
  if (s >= 3600) std::snprintf(b, sizeof b, "%ldh%02ldm", s / 3600, s / 60 % 60);
  else if (s >= 60) std::snprintf(b, sizeof b, "%ldm%02lds", s / 60, s % 60);
  else std::snprintf(b, sizeof b, "%lds", s);
  return b;
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

// One seed in flight. Arms only start once `depressed` is set; every arm
// copies it (run_arm branches it; copying only reads) and writes its own
// result slot, so the only shared mutable state is `arms_left`.
struct SeedWork {
  std::uint64_t seed = 0;
  std::size_t slot = 0;  // index into RunOutcome::seeds
  std::optional<StudyData> data;
  std::optional<const Subject> depressed;  // the pre-treatment state, read-only while arms run
  std::vector<ArmResult> results;
  std::vector<double> seconds;  // [0] baseline, [1 + a] arm a
  std::atomic<std::size_t> arms_left{0};
};

struct Task {
  SeedWork* work = nullptr;
  int arm = -1;  // -1: the baseline
};

class Pool {
 public:
  Pool(const StudySpec& spec, const std::string& hash, const RunOptions& options, Console& console,
       RunOutcome& outcome, long epochs_total, int seeds_total)
      : spec_(spec), hash_(hash), options_(options), console_(console), outcome_(outcome),
        epochs_total_(epochs_total), seeds_total_(seeds_total), seeds_done_(outcome.reused) {}

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
        if (g_interrupted.load() && !stop_) {
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
      try {
        execute(task, next);
      } catch (const Cancelled&) {
      } catch (const std::exception& e) {
        error = e.what();
      } catch (...) {
        error = "unknown exception";
      }
      std::lock_guard<std::mutex> lock(mutex_);
      --active_;
      if (!error.empty() && error_.empty()) {
        error_ = "seed " + std::to_string(task.work->seed) + ", " +
                 (task.arm < 0 ? std::string("baseline") : "arm " + spec_.arms[std::size_t(task.arm)].name) +
                 ": " + error;
        stop_ = true;
        cancel_.store(true);
      }
      // Arms go before every baseline (after the arms already queued): finish
      // the seeds already started, oldest first, before starting new ones
      // (fewer seeds in memory, less lost on interrupt).
      auto at = std::find_if(queue_.begin(), queue_.end(), [](const Task& t) { return t.arm < 0; });
      queue_.insert(at, next.begin(), next.end());
      cv_.notify_all();
    }
  }

  void execute(const Task& task, std::vector<Task>& next) {
    const auto start = Clock::now();
    const EpochCallback on_epoch = [this](int, double, float) {
      epochs_done_.fetch_add(1, std::memory_order_relaxed);
      if (cancel_.load(std::memory_order_relaxed)) throw Cancelled{};
    };
    SeedWork& w = *task.work;
    const std::size_t arms = spec_.arms.size();
    if (task.arm < 0) {
      w.data = make_study_data(spec_.data, w.seed);
      w.depressed.emplace(run_baseline(spec_, *w.data, w.seed, on_epoch));
      w.results.assign(arms, ArmResult{});
      w.seconds.assign(arms + 1, 0.0);
      w.seconds[0] = seconds_since(start);
      w.arms_left.store(arms);
      for (std::size_t a = 0; a < arms; ++a) next.push_back({&w, int(a)});
      // Longest arms first: the shortest ones then fill the gaps at the end
      // of the run instead of one long arm running alone on one core.
      std::stable_sort(next.begin(), next.end(), [this](const Task& x, const Task& y) {
        return spec_.arm_epochs(std::size_t(x.arm)) > spec_.arm_epochs(std::size_t(y.arm));
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
    const ArmKey key{w.seed, a, hash_};
    std::string notes;
    std::optional<ArmState> resume = latest_arm_state(options_.out_dir, spec_, key, notes);
    if (!notes.empty()) console_.warn("seed " + std::to_string(w.seed) + ", arm " + spec_.arms[a].name + ": " + notes);
    if (resume) {
      const int next = resume->next_cycle;
      console_.info("seed " + std::to_string(w.seed) + ", arm " + spec_.arms[a].name + ": resuming from its checkpoint " +
                    (next == 0 ? std::string("after the treatment") : "after cycle " + std::to_string(next - 1)));
      epochs_done_.fetch_add(epochs_before(a, next));
    }
    const int every = options_.checkpoint_every;
    ArmCheckpoint save;
    if (every > 0)
      save = [&](const ArmState& s) {
        const int cycle = s.next_cycle - 1;  // the cycle just measured (-1: the treatment part)
        if (cycle < 0 || cycle % every == 0 || cycle >= spec_.longitudinal.cycles)
          save_arm_state(checkpoint_path(options_.out_dir, spec_, key, s), spec_, key, s);
      };
    return run_arm(spec_, a, *w.depressed, *w.data, on_epoch, save, std::move(resume));
  }

  // Training epochs of arm `a` before a state whose next cycle is `next`.
  long epochs_before(std::size_t a, int next) const {
    const ArmSpec& arm = spec_.arms[a];
    long n = 0;
    for (const auto& s : arm.treatment) n += epochs_of(s);
    if (arm.follow_up)
      for (int c = 1; c < next; ++c)
        for (const auto& s : steps_in_cycle(arm.maintenance, c)) n += epochs_of(s);
    return std::min(n, spec_.arm_epochs(a));
  }

  void finish_seed(SeedWork& w) {
    double seconds = 0;
    for (double s : w.seconds) seconds += s;
    SeedRecord record = seed_record(w.seed, hash_, seconds, w.results);
    examples::write_file_atomically(seed_path(options_.out_dir, w.seed), to_json(record).dump(2) + "\n");
    for (const auto& r : w.results)
      if (r.diverged)
        console_.warn("seed " + std::to_string(w.seed) + ", arm " + r.arm +
                      ": training met a non-finite loss (diverged); non-finite values are written as null");
    if (!options_.keep_checkpoints) {  // the seed file now holds everything a rerun needs
      std::error_code ignored;
      std::filesystem::remove_all(seed_checkpoint_dir(options_.out_dir, w.seed), ignored);
    }
    outcome_.seeds[w.slot] = std::move(record);
    w.data.reset();
    w.depressed.reset();
    const int done = seeds_done_.fetch_add(1) + 1;
    ++computed_;
    if (console_.progress_enabled())  // a log file gets no per-seed lines
      console_.info("seed " + std::to_string(w.seed) + " done in " + duration(seconds) + " of thread time (" +
                    std::to_string(done) + "/" + std::to_string(seeds_total_) + ")");
  }

  std::string progress_line() const {
    const long done = epochs_done_.load();
    const double elapsed = seconds_since(start_);
    // Short enough for an 80-column terminal (a wrapped line breaks \r).
    const int running = arms_running_.load();
    std::string line = "seeds " + std::to_string(seeds_done_.load()) + "/" + std::to_string(seeds_total_) +
                       " done";
    if (outcome_.reused > 0) line += " (" + std::to_string(outcome_.reused) + " reused)";
    line += ", " + std::to_string(running) + (running == 1 ? " arm" : " arms") + " running | epoch " +
            std::to_string(done) + "/" + std::to_string(epochs_total_);
    if (epochs_total_ > 0) line += " (" + std::to_string(100 * done / epochs_total_) + "%)";
    line += " | " + duration(elapsed) + " elapsed";
    if (done > 0 && done < epochs_total_)
      line += ", ETA " + duration(elapsed * double(epochs_total_ - done) / double(done));
    return line;
  }

 public:
  std::atomic<int> computed_{0};

 private:
  const StudySpec& spec_;
  const std::string& hash_;
  const RunOptions& options_;
  Console& console_;
  RunOutcome& outcome_;
  const long epochs_total_;
  const int seeds_total_;
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

RunOutcome run_seeds(const StudySpec& spec, const std::string& config_hash, const RunOptions& options,
                     Console& console) {
  RunOutcome outcome;
  outcome.seeds.resize(options.seeds.size());
  // Resume: a finished seed file of the same config and library is reused;
  // anything else in its place is recomputed and overwritten (never mixed in).
  std::vector<std::unique_ptr<SeedWork>> work;
  std::vector<std::uint64_t> reused;
  for (std::size_t i = 0; i < options.seeds.size(); ++i) {
    const std::uint64_t seed = options.seeds[i];
    const auto path = seed_path(options.out_dir, seed);
    if (std::filesystem::exists(path)) {
      std::string reason;
      if (auto record = read_seed_file(path, seed, config_hash, rewire::version, spec, reason)) {
        outcome.seeds[i] = std::move(*record);
        reused.push_back(seed);
        continue;
      }
      console.info("seed " + std::to_string(seed) + ": not reusing " + path.string() + " (" + reason +
                    "): recomputing it, the file will be overwritten");
    }
    work.push_back(std::make_unique<SeedWork>());
    work.back()->seed = seed;
    work.back()->slot = i;
  }
  outcome.reused = int(reused.size());
  if (!reused.empty())
    console.info("reusing " + std::to_string(reused.size()) + " finished seed" + (reused.size() > 1 ? "s" : "") +
                 " (" + seed_ranges(reused) + ") from " + (options.out_dir / "seeds").string());
  if (work.empty()) return outcome;

  std::filesystem::create_directories(options.out_dir / "seeds");
  const long epochs_total = spec.epochs_per_seed() * long(work.size());
  // More threads than tasks that can ever run at once would only idle.
  const unsigned threads = unsigned(std::min<std::size_t>(options.threads, work.size() * spec.arms.size()));
  g_interrupted.store(false);
  const auto previous = std::signal(SIGINT, on_sigint);
  Pool pool(spec, config_hash, options, console, outcome, epochs_total, int(options.seeds.size()));
  try {
    pool.run(work, std::max(1u, threads));
  } catch (...) {
    std::signal(SIGINT, previous);
    throw;
  }
  std::signal(SIGINT, previous);
  outcome.computed = pool.computed_.load();
  outcome.interrupted = g_interrupted.load() && outcome.computed < int(work.size());
  return outcome;
}

}  // namespace chronic_stress
