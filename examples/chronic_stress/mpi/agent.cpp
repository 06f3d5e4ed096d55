// mpi/agent.cpp - see agent.hpp.
#include "mpi/agent.hpp"

#include "results/results.hpp"

#include <rewire/core/gemm_blocking.hpp>
#include <rewire/protocol/circuit.hpp>

#include <stdexcept>

namespace chronic_stress::mpi {

using namespace rewire::protocol;
using Clock = std::chrono::steady_clock;

Agent::Agent(const RunPlan& plan, unsigned threads, Link& link) : plan_(plan), threads_(threads), link_(link) {
  Eigen::initParallel();  // Eigen asks for it before threads start
  // The same summation order on every CPU, whatever caches it reports
  // (gemm_blocking.hpp): ranks on different nodes give the same bits.
  rewire::pin_gemm_blocking();
  try {
    for (unsigned i = 0; i < threads; ++i) workers_.emplace_back([this] { work(); });
  } catch (...) {  // a thread failed to start: stop the others first
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    task_ready_.notify_all();
    for (auto& t : workers_) t.join();
    throw;
  }
}

// Normally every worker is idle by now; on the way out of an error the
// running tasks are abandoned at their next epoch rather than awaited.
Agent::~Agent() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  cancel_.store(true);
  task_ready_.notify_all();
  for (auto& t : workers_) t.join();
}

void Agent::handle(const Message& m) {
  if (m.tag == kNoMore) {
    --asked_;
    no_more_ = true;
    return;
  }
  if (m.tag != kTask) throw std::runtime_error("unexpected message (tag " + std::to_string(m.tag) + ") from rank 0");
  // Even after a failure here the task runs: rank 0 counts it as in flight,
  // and it was asked for before the failure was known.
  --asked_;
  ++busy_;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    tasks_.push_back(m);
  }
  task_ready_.notify_one();
}

void Agent::step() {
  std::deque<Message> done;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    done.swap(results_);
  }
  for (const Message& r : done) {
    --busy_;
    if (r.tag == kFailed) retired_ = true;
    link_.send(0, r);
  }
  while (!no_more_ && !retired_ && asked_ + busy_ < int(threads_)) {
    Message request;
    request.tag = kRequest;
    link_.send(0, request);
    ++asked_;
  }
}

bool Agent::finished() const { return (no_more_ || retired_) && asked_ == 0 && busy_ == 0; }

void Agent::wait(std::chrono::milliseconds most) {
  std::unique_lock<std::mutex> lock(mutex_);
  task_done_.wait_for(lock, most, [this] { return !results_.empty(); });
}

void Agent::work() {
  for (;;) {
    Message task;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      task_ready_.wait(lock, [this] { return stop_ || !tasks_.empty(); });
      if (stop_) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    Message result = execute(task);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      results_.push_back(std::move(result));
    }
    task_done_.notify_one();
  }
}

// Runs one task as the single-process pool does (run/pool.cpp), from
// data regenerated from the seed and, for an arm, the shipped pre-treatment
// state. Any exception becomes a kFailed result with its message.
Message Agent::execute(const Message& task) const {
  const auto start = Clock::now();
  Message r;
  r.job = task.job;
  r.seed = task.seed;
  r.arm = task.arm;
  const rewire::EpochCallback on_epoch = [this](int, double, float) {
    if (cancel_.load(std::memory_order_relaxed)) throw std::runtime_error("cancelled");
  };
  try {
    if (task.job < 0 || std::size_t(task.job) >= plan_.studies.size())
      throw std::runtime_error("no study " + std::to_string(task.job));
    const PlannedStudy& study = plan_.studies[std::size_t(task.job)];
    const StudySpec& spec = study.spec(task.seed);
    const StudyData data = make_study_data(spec, task.seed);
    if (task.arm < 0) {
      const Subject depressed = run_baseline(spec, data, task.seed, on_epoch);
      r.payload = baseline_bytes(depressed, rewire::protocol::measure_baseline(spec, depressed, data), study.hash());
      r.tag = kBaselineDone;
    } else {
      if (std::size_t(task.arm) >= spec.arms.size()) throw std::runtime_error("no arm " + std::to_string(task.arm));
      const Subject depressed = subject_from_bytes(task.payload, spec, task.seed, study.hash());
      r.payload = arm_result_text(run_arm(spec, std::size_t(task.arm), depressed, data, on_epoch));
      r.tag = kArmDone;
    }
  } catch (const std::exception& e) {
    r.tag = kFailed;
    r.payload = e.what();
  } catch (...) {
    r.tag = kFailed;
    r.payload = "unknown exception";
  }
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return r;
}

}  // namespace chronic_stress::mpi
