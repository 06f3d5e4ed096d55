// mpi/link.cpp - see mpi_link.hpp.
#include "mpi/link.hpp"

#include <climits>
#include <cstring>
#include <stdexcept>

namespace chronic_stress::mpi {
namespace {

// The fixed part of a message, before the payload. All ranks of a job run
// the same binary on the same kind of machine, so the bytes need no byte
// order of their own.
struct Header {
  std::uint64_t seed;
  std::int32_t job;
  std::int32_t arm;
  double seconds;
};

}  // namespace

Link::~Link() {
  // Normally flushed already. On the way out of an exception (the job is
  // about to be aborted) waiting could hang, but MPI may still read the
  // buffers: they are kept until the process ends.
  static std::list<Outgoing> abandoned;
  abandoned.splice(abandoned.end(), outgoing_);
}

void Link::send(int rank, const Message& m) {
  Header h{};  // zeroed padding: no uninitialised bytes go out
  h.seed = m.seed;
  h.job = std::int32_t(m.job);
  h.arm = std::int32_t(m.arm);
  h.seconds = m.seconds;
  if (m.payload.size() > std::size_t(INT_MAX) - sizeof h)
    throw std::runtime_error("a message of " + std::to_string(m.payload.size()) + " bytes is too large for MPI");
  Outgoing& o = outgoing_.emplace_back();
  o.bytes.resize(sizeof h);
  std::memcpy(o.bytes.data(), &h, sizeof h);
  o.bytes += m.payload;
  MPI_Isend(o.bytes.data(), int(o.bytes.size()), MPI_BYTE, rank, m.tag, MPI_COMM_WORLD, &o.request);
}

std::optional<Message> Link::receive() {
  int arrived = 0;
  MPI_Status status;
  MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &arrived, &status);
  if (!arrived) return std::nullopt;
  int size = 0;
  MPI_Get_count(&status, MPI_BYTE, &size);
  std::string bytes(std::size_t(size), '\0');
  MPI_Recv(bytes.data(), size, MPI_BYTE, status.MPI_SOURCE, status.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  Header h{};
  if (bytes.size() < sizeof h) throw std::runtime_error("a message from rank " + std::to_string(status.MPI_SOURCE) + " is truncated");
  std::memcpy(&h, bytes.data(), sizeof h);
  Message m;
  m.tag = status.MPI_TAG;
  m.source = status.MPI_SOURCE;
  m.seed = h.seed;
  m.job = h.job;
  m.arm = h.arm;
  m.seconds = h.seconds;
  m.payload = bytes.substr(sizeof h);
  return m;
}

void Link::progress() {
  for (auto it = outgoing_.begin(); it != outgoing_.end();) {
    int done = 0;
    MPI_Test(&it->request, &done, MPI_STATUS_IGNORE);
    it = done ? outgoing_.erase(it) : std::next(it);
  }
}

void Link::flush() {
  for (auto& o : outgoing_) MPI_Wait(&o.request, MPI_STATUS_IGNORE);
  outgoing_.clear();
}

}  // namespace chronic_stress::mpi
