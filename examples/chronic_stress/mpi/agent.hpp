// mpi/agent.hpp - one rank's side of chronic_stress_mpi's task protocol
// (mpi_tasks.hpp): worker threads that run the tasks rank 0 hands out, and
// the main thread's bookkeeping that asks for them and sends the results.
#pragma once

#include "mpi/link.hpp"
#include "run/run.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace chronic_stress::mpi {

class Agent {
 public:
  /// Starts `threads` worker threads (they wait for tasks). A task's `job`
  /// indexes plan.studies (the plan outlives the agent).
  Agent(const RunPlan& plan, unsigned threads, Link& link);
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  /// A kTask (queued for a worker) or kNoMore from rank 0.
  void handle(const Message& m);
  /// Sends the finished tasks' results to rank 0 and asks for a task for
  /// every thread that has none (unless rank 0 said "no more", or a task of
  /// this rank failed: then the rank asks for nothing more).
  void step();
  /// Nothing asked, nothing queued or running, and nothing more to ask.
  bool finished() const;
  /// Waits until a worker finishes a task, at most `most`.
  void wait(std::chrono::milliseconds most);

 private:
  void work();
  Message execute(const Message& task) const;

  const RunPlan& plan_;
  const unsigned threads_;
  Link& link_;

  // Main thread only.
  int asked_ = 0;  // requests not answered yet
  int busy_ = 0;   // tasks received and not yet reported
  bool no_more_ = false, retired_ = false;

  // Shared with the workers.
  std::mutex mutex_;
  std::condition_variable task_ready_, task_done_;
  std::deque<Message> tasks_, results_;
  bool stop_ = false;
  std::atomic<bool> cancel_{false};  // running tasks abandon at their next epoch (the agent is going away)
  std::vector<std::thread> workers_;
};

}  // namespace chronic_stress::mpi
