// mpi/tasks.cpp - rank 0's coordinator and the loop every rank runs
// (mpi.hpp); the worker side is agent.cpp.
#include "mpi/agent.hpp"
#include "mpi/link.hpp"
#include "mpi/mpi.hpp"

#include <algorithm>
#include <cstdio>
#include <deque>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>

namespace chronic_stress::mpi {
namespace {

namespace fs = std::filesystem;
using rewire::protocol::ArmResult;

struct ArmTask {
  std::size_t slot = 0;
  int arm = 0;
};

class Coordinator {
 public:
  Coordinator(const RunPlan& plan, std::vector<std::unique_ptr<SeedInFlight>>& todo,
              std::vector<StudyOutcome>& outcomes, int ranks, Link& link, Console& console)
      : plan_(plan), todo_(todo), outcomes_(outcomes), ranks_(ranks), link_(link), console_(console),
        retired_(std::size_t(ranks), false) {
    for (std::size_t i = 0; i < todo.size(); ++i) {
      index_of_[{todo[i]->study, todo[i]->seed}] = i;
      report_.tasks_total += int(1 + spec(*todo[i]).arms.size());
    }
    report_.tasks_per_rank.assign(std::size_t(ranks), 0);
  }

  void handle(const Message& m);
  bool finished() const { return byes_ == ranks_; }
  TaskReport report() const {
    TaskReport r = report_;
    r.unfinished = int(todo_.size()) - r.seeds_saved - int(r.failed.size());
    std::sort(r.failed.begin(), r.failed.end(), [](const FailedSeed& a, const FailedSeed& b) {
      return a.study != b.study ? a.study < b.study : a.seed < b.seed;
    });
    return r;
  }

 private:
  void serve();
  void finish_task(const Message& m);
  void on_baseline(SeedInFlight& s, const Message& m);
  void on_arm(SeedInFlight& s, const Message& m);
  void save(SeedInFlight& s);
  void fail(SeedInFlight& s, int rank, int arm, const std::string& what);
  void retire(int rank);
  const rewire::protocol::StudySpec& spec(const SeedInFlight& s) const { return plan_.studies[s.study].spec(s.seed); }
  std::string progress() const {
    return "tasks " + std::to_string(tasks_done_) + "/" + std::to_string(report_.tasks_total) + " done";
  }

  const RunPlan& plan_;
  std::vector<std::unique_ptr<SeedInFlight>>& todo_;
  std::vector<StudyOutcome>& outcomes_;
  const int ranks_;
  Link& link_;
  Console& console_;
  std::map<std::pair<std::size_t, std::uint64_t>, std::size_t> index_of_;  // (study, seed) -> index into todo_
  std::deque<ArmTask> ready_;  // arms whose baseline is done, in order of their seeds' start
  std::deque<int> waiting_;    // a rank per free thread, in order of request
  std::vector<bool> retired_;  // ranks that had a task fail: they get no further task
  std::size_t next_baseline_ = 0;
  int in_flight_ = 0, byes_ = 0, tasks_done_ = 0;
  TaskReport report_;
};

void Coordinator::handle(const Message& m) {
  switch (m.tag) {
    case kRequest:
      if (retired_[std::size_t(m.source)]) {
        Message no_more;
        no_more.tag = kNoMore;
        link_.send(m.source, no_more);
      } else {
        waiting_.push_back(m.source);
      }
      break;
    case kBaselineDone:
    case kArmDone:
    case kFailed:
      finish_task(m);
      break;
    case kBye:
      ++byes_;
      break;
    default:
      throw std::runtime_error("unexpected message (tag " + std::to_string(m.tag) + ") from rank " +
                               std::to_string(m.source));
  }
  serve();
}

// Answers the waiting requests: a ready arm, else the next baseline, else
// (nothing in flight that could make arms ready) "no more"; otherwise the
// requests wait for a baseline to end.
void Coordinator::serve() {
  while (!waiting_.empty()) {
    Message task;
    task.tag = kTask;
    if (!ready_.empty()) {
      const ArmTask t = ready_.front();
      ready_.pop_front();
      SeedInFlight& s = *todo_[t.slot];
      task.job = int(s.study);
      task.seed = s.seed;
      task.arm = t.arm;
      task.payload = s.depressed_bytes;
      if (--s.arms_unsent == 0) std::string().swap(s.depressed_bytes);  // the last copy has gone
    } else if (next_baseline_ < todo_.size()) {
      task.job = int(todo_[next_baseline_]->study);
      task.seed = todo_[next_baseline_++]->seed;
      task.arm = -1;
    } else if (in_flight_ == 0) {
      task.tag = kNoMore;
    } else {
      return;
    }
    if (task.tag == kTask) ++in_flight_;
    link_.send(waiting_.front(), task);
    waiting_.pop_front();
  }
}

void Coordinator::finish_task(const Message& m) {
  --in_flight_;
  const auto at = index_of_.find({std::size_t(m.job), m.seed});
  if (at == index_of_.end()) throw std::runtime_error("rank " + std::to_string(m.source) + " sent a result of an unknown seed");
  SeedInFlight& s = *todo_[at->second];
  if (m.tag == kFailed) {
    fail(s, m.source, m.arm, m.payload);
    retire(m.source);
    return;
  }
  ++report_.tasks_per_rank[std::size_t(m.source)];
  ++tasks_done_;
  if (!s.failed) {
    try {
      m.tag == kBaselineDone ? on_baseline(s, m) : on_arm(s, m);
    } catch (const std::exception& e) {  // a result that cannot be read
      fail(s, m.source, m.arm, e.what());
    }
  }
  console_.status(progress());
}

void Coordinator::on_baseline(SeedInFlight& s, const Message& m) {
  const auto& sp = spec(s);
  s.depressed_bytes = m.payload;
  s.baseline = baseline_measures_from_bytes(m.payload, sp);
  s.start_arms(sp.arms.size(), m.seconds);
  s.arms_unsent = sp.arms.size();
  const std::size_t index = index_of_.at({s.study, s.seed});
  for (std::size_t a : arm_order(sp)) ready_.push_back({index, int(a)});
}

void Coordinator::on_arm(SeedInFlight& s, const Message& m) {
  const std::size_t a = std::size_t(m.arm);
  if (a >= s.results.size()) throw std::runtime_error("a result of an unknown arm");
  if (s.finish_arm(a, arm_result_from_text(m.payload, spec(s).arms[a].name), m.seconds)) save(s);  // the last arm
}

// Writes the seed file as the pool does (save_seed).
void Coordinator::save(SeedInFlight& s) {
  try {
    outcomes_[s.study].seeds[s.slot] = save_seed(plan_, s, console_);
  } catch (const std::exception& e) {
    fail(s, 0, -2, e.what());
    return;
  }
  ++outcomes_[s.study].computed;
  s.results.clear();
  ++report_.seeds_saved;
  console_.info(s.where(plan_) + " saved (" + progress() + ")");
}

// Says at once which rank, seed and task failed (arm -1: the baseline; -2:
// writing the seed file) and abandons the seed.
void Coordinator::fail(SeedInFlight& s, int rank, int arm, const std::string& what) {
  const std::string task = arm == -1   ? ", baseline"
                           : arm >= 0 && std::size_t(arm) < spec(s).arms.size()
                               ? ", arm " + spec(s).arms[std::size_t(arm)].name
                               : std::string();
  console_.clear_status();
  std::fprintf(stderr, "chronic_stress_mpi: error: rank %d, %s%s: %s\n", rank, s.where(plan_).c_str(), task.c_str(),
               what.c_str());
  std::fflush(stderr);
  if (s.failed) return;
  s.failed = true;
  report_.failed.push_back({s.study, s.seed});
  const std::size_t index = index_of_.at({s.study, s.seed});
  ready_.erase(std::remove_if(ready_.begin(), ready_.end(), [index](const ArmTask& t) { return t.slot == index; }),
               ready_.end());
  std::string().swap(s.depressed_bytes);
  s.results.clear();
}

// A rank whose task failed gets "no more" for its waiting and later requests.
void Coordinator::retire(int rank) {
  retired_[std::size_t(rank)] = true;
  Message no_more;
  no_more.tag = kNoMore;
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    if (*it == rank) {
      link_.send(rank, no_more);
      it = waiting_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace

TaskReport run_tasks(const RunPlan& plan, std::vector<std::unique_ptr<SeedInFlight>>& todo,
                     std::vector<StudyOutcome>& outcomes, Console& console) {
  int rank = 0, ranks = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  Link link;
  std::optional<Coordinator> coordinator;
  if (rank == 0) coordinator.emplace(plan, todo, outcomes, ranks, link, console);
  std::optional<Agent> agent(std::in_place, plan, plan.settings.threads, link);
  bool bye_sent = false;
  for (;;) {
    while (std::optional<Message> m = link.receive()) {
      if (m->tag == kTask || m->tag == kNoMore) agent->handle(*m);
      else if (coordinator) coordinator->handle(*m);
      else throw std::runtime_error("rank " + std::to_string(rank) + " got a message meant for rank 0");
    }
    agent->step();
    if (!bye_sent && agent->finished()) {  // every result of this rank has been sent before this
      Message bye;
      bye.tag = kBye;
      link.send(0, bye);
      bye_sent = true;
    }
    link.progress();
    if (bye_sent && (!coordinator || coordinator->finished())) break;
    agent->wait(std::chrono::milliseconds(2));  // a result, or time to look for messages again
  }
  agent.reset();  // join the (idle) workers
  link.flush();
  console.clear_status();
  return coordinator ? coordinator->report() : TaskReport{};
}

}  // namespace chronic_stress::mpi
