// mpi/link.hpp - the messages of chronic_stress_mpi's task protocol
// (mpi_tasks.hpp) and the non-blocking transport that carries them.
//
// Only each rank's main thread calls MPI. Sends are non-blocking (MPI_Isend,
// the buffer kept until the send completes), so two ranks sending each
// other large messages (a subject's state, a task) at the same time never
// wait for each other; receives poll (MPI_Iprobe), so the main thread can
// also look after its worker threads.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <list>
#include <optional>
#include <string>

namespace chronic_stress::mpi {

/// What a message says (its MPI tag).
enum Tag : int {
  kRequest = 1,   ///< rank -> 0: one of my threads is free, give it a task
  kTask,          ///< 0 -> rank: run the baseline (arm < 0) or arm `arm` of `seed` of study `job` (payload: the subject's state)
  kNoMore,        ///< 0 -> rank: the answer to a request when no task is left
  kBaselineDone,  ///< rank -> 0: payload: the pre-treatment subject's state with its measures (baseline_bytes)
  kArmDone,       ///< rank -> 0: payload: the arm's result (arm_result_text)
  kFailed,        ///< rank -> 0: the task threw; payload: the error message
  kBye,           ///< rank -> 0: this rank has finished (its last message)
};

struct Message {
  int tag = 0;
  int source = 0;  ///< the sending rank (set on receipt)
  int job = 0;  ///< which study of the run (a sweep's point; 0 for a lone study)
  std::uint64_t seed = 0;
  int arm = -1;  ///< -1: the baseline
  double seconds = 0.0;  ///< thread time of a finished task
  std::string payload;
};

class Link {
 public:
  Link() = default;
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;
  ~Link();

  /// Starts sending `m` to `rank` (may be this rank) and returns.
  void send(int rank, const Message& m);
  /// The next message that has arrived, if any.
  std::optional<Message> receive();
  /// Releases the buffers of completed sends.
  void progress();
  /// Waits until every send has completed.
  void flush();

 private:
  struct Outgoing {
    std::string bytes;
    MPI_Request request = MPI_REQUEST_NULL;
  };
  std::list<Outgoing> outgoing_;  // a list: each buffer stays put while MPI reads it
};

}  // namespace chronic_stress::mpi
