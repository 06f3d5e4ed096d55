// config/memory_estimate.hpp - how much memory a run of a configuration needs, so
// that an impossible one is refused before anything is created (instead of
// ending in std::bad_alloc after the output directory exists).
#pragma once

#include <rewire/protocol/study.hpp>

#include <cstdint>
#include <string>

namespace chronic_stress {

/// The parts of the estimate, in bytes, each for the whole run.
struct MemoryEstimate {
  double networks = 0;  ///< weights and their per-weight working arrays (network.widths)
  double buffers = 0;   ///< activations of the training mini-batches (data.batch_size)
  double data = 0;      ///< the data sets of the seeds in memory (data.*_size)
  double total() const { return networks + buffers + data; }
};

/// An upper-end estimate for `threads` worker threads and `seeds` seeds.
MemoryEstimate estimate_memory(const rewire::protocol::StudySpec& spec, unsigned threads, std::uint64_t seeds);

/// This machine's physical memory in bytes (0 if unknown).
double physical_memory();

/// Throws ConfigError (naming `source`, if not empty, and the key whose part
/// of the estimate is largest) if the estimate exceeds `available` bytes.
void require_memory(const rewire::protocol::StudySpec& spec, unsigned threads, std::uint64_t seeds,
                    const std::string& source, double available);

}  // namespace chronic_stress
