// mpi_tasks.cpp - rank 0's coordinator and the loop every rank runs
// (mpi_tasks.hpp); the worker side is mpi_agent.cpp.
#include "mpi_tasks.hpp"

#include "checkpoints.hpp"
#include "mpi_agent.hpp"
#include "mpi_link.hpp"
#include "results.hpp"

#include <common/atomic_file.hpp>

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

// One seed to compute, from its baseline to its seed file.
struct SeedSlot {
  std::size_t job = 0;
  std::uint64_t seed = 0;
  std::string depressed;  // the pre-treatment state, until its last arm is handed out
  std::vector<ArmResult> results;
  double seconds = 0.0;         // thread time of its tasks
  std::size_t arms_left = 0;    // results still to come
  std::size_t arms_unsent = 0;  // arms not handed out yet
  bool saved = false, failed = false;
};

struct ArmTask {
  std::size_t slot = 0;
  int arm = 0;
};

class Coordinator {
 public:
  Coordinator(const std::vector<TaskJob>& jobs, int ranks, Link& link, Console& console)
      : jobs_(jobs), ranks_(ranks), link_(link), console_(console), retired_(std::size_t(ranks), false) {
    for (std::size_t j = 0; j < jobs.size(); ++j)
      for (std::uint64_t seed : jobs[j].seeds) {
        slot_of_[{j, seed}] = slots_.size();
        slots_.push_back(SeedSlot{});
        slots_.back().job = j;
        slots_.back().seed = seed;
        report_.tasks_total += int(1 + jobs[j].study->spec.arms.size());
      }
    report_.tasks_per_rank.assign(std::size_t(ranks), 0);
  }

  void handle(const Message& m);
  bool finished() const { return byes_ == ranks_; }
  TaskReport report() const {
    TaskReport r = report_;
    for (const SeedSlot& s : slots_) r.unfinished += !s.saved && !s.failed;
    std::sort(r.failed.begin(), r.failed.end(), [](const FailedSeed& a, const FailedSeed& b) {
      return a.job != b.job ? a.job < b.job : a.seed < b.seed;
    });
    return r;
  }

 private:
  void serve();
  void finish_task(const Message& m);
  void on_baseline(SeedSlot& s, const Message& m);
  void on_arm(SeedSlot& s, const Message& m);
  void save(SeedSlot& s);
  void fail(SeedSlot& s, int rank, int arm, const std::string& what);
  void retire(int rank);
  const rewire::protocol::StudySpec& spec(const SeedSlot& s) const { return jobs_[s.job].study->spec; }
  // "point-01, seed 7"; a lone study: "seed 7".
  std::string where(const SeedSlot& s) const {
    const std::string& name = jobs_[s.job].name;
    return (name.empty() ? std::string() : name + ", ") + "seed " + std::to_string(s.seed);
  }
  std::string progress() const {
    return "tasks " + std::to_string(tasks_done_) + "/" + std::to_string(report_.tasks_total) + " done";
  }

  const std::vector<TaskJob>& jobs_;
  const int ranks_;
  Link& link_;
  Console& console_;
  std::vector<SeedSlot> slots_;
  std::map<std::pair<std::size_t, std::uint64_t>, std::size_t> slot_of_;  // (job, seed) -> slot
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
      SeedSlot& s = slots_[t.slot];
      task.job = int(s.job);
      task.seed = s.seed;
      task.arm = t.arm;
      task.payload = s.depressed;
      if (--s.arms_unsent == 0) std::string().swap(s.depressed);  // the last copy has gone
    } else if (next_baseline_ < slots_.size()) {
      task.job = int(slots_[next_baseline_].job);
      task.seed = slots_[next_baseline_++].seed;
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
  const auto at = slot_of_.find({std::size_t(m.job), m.seed});
  if (at == slot_of_.end()) throw std::runtime_error("rank " + std::to_string(m.source) + " sent a result of an unknown seed");
  SeedSlot& s = slots_[at->second];
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

void Coordinator::on_baseline(SeedSlot& s, const Message& m) {
  const auto& sp = spec(s);
  const std::size_t arms = sp.arms.size();
  s.depressed = m.payload;
  s.results.assign(arms, ArmResult{});
  s.seconds += m.seconds;
  s.arms_left = s.arms_unsent = arms;
  std::vector<ArmTask> next;
  for (std::size_t a = 0; a < arms; ++a) next.push_back({std::size_t(&s - slots_.data()), int(a)});
  // Longest arms first, as in the single-process runner: the short ones
  // then fill the gaps at the end of the run.
  std::stable_sort(next.begin(), next.end(), [&sp](const ArmTask& x, const ArmTask& y) {
    return sp.arm_epochs(std::size_t(x.arm)) > sp.arm_epochs(std::size_t(y.arm));
  });
  ready_.insert(ready_.end(), next.begin(), next.end());
}

void Coordinator::on_arm(SeedSlot& s, const Message& m) {
  const std::size_t a = std::size_t(m.arm);
  if (a >= s.results.size()) throw std::runtime_error("a result of an unknown arm");
  s.results[a] = arm_result_from_text(m.payload, spec(s).arms[a].name);
  s.seconds += m.seconds;
  if (--s.arms_left == 0) save(s);  // the seed's last arm
}

// Writes the seed file (atomically) as the single-process runner does.
void Coordinator::save(SeedSlot& s) {
  const TaskJob& job = jobs_[s.job];
  const SeedRecord record = seed_record(s.seed, job.study->hash, s.seconds, s.results);
  try {
    examples::write_file_atomically(seed_path(job.out, s.seed), to_json(record).dump(2) + "\n");
  } catch (const std::exception& e) {
    fail(s, 0, -2, e.what());
    return;
  }
  for (const auto& r : s.results)
    if (r.diverged)
      console_.warn(where(s) + ", arm " + r.arm +
                    ": training met a non-finite loss (diverged); non-finite values are written as null");
  // Checkpoints of an earlier single-process run of this seed: the seed
  // file now holds everything a rerun needs.
  std::error_code ignored;
  fs::remove_all(seed_checkpoint_dir(job.out, s.seed), ignored);
  s.results.clear();
  s.saved = true;
  ++report_.seeds_saved;
  console_.info(where(s) + " saved (" + progress() + ")");
}

// Says at once which rank, seed and task failed (arm -1: the baseline; -2:
// writing the seed file) and abandons the seed.
void Coordinator::fail(SeedSlot& s, int rank, int arm, const std::string& what) {
  const std::string task = arm == -1   ? ", baseline"
                           : arm >= 0 && std::size_t(arm) < spec(s).arms.size()
                               ? ", arm " + spec(s).arms[std::size_t(arm)].name
                               : std::string();
  console_.clear_status();
  std::fprintf(stderr, "chronic_stress_mpi: error: rank %d, %s%s: %s\n", rank, where(s).c_str(), task.c_str(),
               what.c_str());
  std::fflush(stderr);
  if (s.failed) return;
  s.failed = true;
  report_.failed.push_back({s.job, s.seed});
  const std::size_t slot = std::size_t(&s - slots_.data());
  ready_.erase(std::remove_if(ready_.begin(), ready_.end(), [slot](const ArmTask& t) { return t.slot == slot; }),
               ready_.end());
  std::string().swap(s.depressed);
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

TaskReport run_tasks(const std::vector<TaskJob>& jobs, unsigned threads, Console& console) {
  int rank = 0, ranks = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  Link link;
  std::optional<Coordinator> coordinator;
  if (rank == 0) coordinator.emplace(jobs, ranks, link, console);
  std::vector<const PreparedStudy*> studies;
  for (const TaskJob& job : jobs) studies.push_back(job.study);
  std::optional<Agent> agent(std::in_place, std::move(studies), threads, link);
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
