// config/memory_estimate.cpp - see memory_estimate.hpp.
#include "config/memory_estimate.hpp"

#include "config/error.hpp"

#include <algorithm>
#include <cstdio>
#include <utility>
#include <unistd.h>

namespace chronic_stress {

namespace {

// Floats held per weight by an arm in training, at the most: value, gradient
// and mask (the layer), Adam's two moments, the full gradient and score of
// regrowth, and the copies of weights, mask and magnitudes pruning makes.
constexpr double kFloatsPerTrainedWeight = 10;
// Per weight of a pre-treatment state kept while its arms run: value, gradient, mask.
constexpr double kFloatsPerKeptWeight = 3;
// The evaluation chunk (rewire::accuracy's default), the smallest batch buffers get.
constexpr double kEvalChunk = 128;

std::string gib(double bytes) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f GiB", bytes / (1024.0 * 1024.0 * 1024.0));
  return b;
}

std::string widths_text(const std::vector<rewire::Index>& w) {
  std::string t = "[";
  for (std::size_t i = 0; i < w.size(); ++i) t += (i ? ", " : "") + std::to_string(w[i]);
  return t + "]";
}

// The network's weights, and the units whose activations a training batch
// keeps per sample (a recurrent network keeps its units at every step).
std::pair<double, double> network_size(const rewire::protocol::StudySpec& spec) {
  double weights = 0, units = 0;
  if (spec.network == rewire::protocol::NetworkKind::rnn) {
    const double in = double(spec.task_inputs()), n = double(spec.rnn.units), out = double(spec.task_classes());
    weights = n * (in + n) + out * n;
    units = double(spec.task.timing.steps()) * (in + n + out);
    return {weights, units};
  }
  for (std::size_t l = 0; l + 1 < spec.widths.size(); ++l) weights += double(spec.widths[l]) * double(spec.widths[l + 1]);
  for (auto w : spec.widths) units += double(w);
  return {weights, units};
}

}  // namespace

MemoryEstimate estimate_memory(const rewire::protocol::StudySpec& spec, unsigned threads, std::uint64_t seeds) {
  const auto& d = spec.data;
  const auto [weights, units] = network_size(spec);
  const double arms = std::min(double(threads), double(seeds) * double(spec.arms.size()));
  const double seeds_held = std::min(double(threads), double(seeds));
  // Training batches never exceed the training set; evaluation uses chunks.
  const double batch = std::max(std::min(double(d.batch_size), double(d.train_size)), kEvalChunk);
  MemoryEstimate e;
  e.networks = 4.0 * weights * (arms * kFloatsPerTrainedWeight + seeds_held * kFloatsPerKeptWeight);
  e.buffers = arms * 4.0 * batch * units * 5;  // Z, A, H, dH per unit, plus inputs and logits
  const double per_sample = spec.task.in_time() ? double(spec.task.timing.steps() * spec.task_inputs() + 1)
                                                : double(spec.task_inputs() + 1);
  e.data = seeds_held * 4.0 * double(d.train_size + d.standard_size + d.clean_size) * per_sample;
  return e;
}

double physical_memory() {
  const long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && size > 0 ? double(pages) * double(size) : 0.0;
}

void require_memory(const rewire::protocol::StudySpec& spec, unsigned threads, std::uint64_t seeds,
                    const std::string& source, double available) {
  const MemoryEstimate e = estimate_memory(spec, threads, seeds);
  if (available <= 0 || e.total() <= available) return;
  std::string key;
  if (e.networks >= e.buffers && e.networks >= e.data) {
    key = spec.network == rewire::protocol::NetworkKind::rnn ? "network.units = " + std::to_string(spec.rnn.units)
                                                             : "network.widths = " + widths_text(spec.widths);
  } else if (e.buffers >= e.data) {
    key = "data.batch_size = " + std::to_string(spec.data.batch_size);
  } else {
    const auto& d = spec.data;
    const auto largest = std::max({d.train_size, d.standard_size, d.clean_size});
    key = std::string(largest == d.train_size ? "data.train_size" : largest == d.standard_size ? "data.standard_size" : "data.clean_size") +
          " = " + std::to_string(largest);
  }
  throw ConfigError((source.empty() ? "" : source + ": ") + key + ": the run needs about " + gib(e.total()) + " of memory (networks " +
                    gib(e.networks) + ", training buffers " + gib(e.buffers) + ", data " + gib(e.data) + " with " +
                    std::to_string(threads) + " threads), more than this machine's " + gib(available) +
                    "; reduce it (or --threads)");
}

}  // namespace chronic_stress
