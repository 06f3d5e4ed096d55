// tests/golden.cpp - chronic_stress_golden: digests of a small study, for the
// golden test (tests/golden.cmake compares them with the committed file).
//
//   chronic_stress_golden CONFIG SEEDS EPOCH_SCALE
//
// Prints one line per seed for the pre-treatment network and, per arm, one
// line with the network right after treatment and one with every number the
// arm writes into its seed file (metrics, the cycle series, the relapse
// cycle). Each digest is FNV-1a 64 over exact bits (float/double bit
// patterns), so any change of a single rounding anywhere shows. It runs the
// same library calls as the study runner (make_study_data, run_baseline,
// run_arm) with the same pinned GEMM blocking, in one thread (results do not
// depend on the thread count: chronic_stress.threads_identical).
#include "config/config.hpp"

#include <rewire/io/files.hpp>
#include <rewire/core/gemm_blocking.hpp>
#include <rewire/core/hash.hpp>
#include <rewire/protocol/study.hpp>

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

namespace {

using namespace rewire;
using namespace rewire::protocol;

// FNV-1a 64 (rewire/core/hash.hpp) over exact bits; a text is preceded by
// its length, so names cannot run into each other.
struct Fnv {
  Fnv1a64 f;
  void bytes(const void* p, std::size_t n) { f.bytes(p, n); }
  template <typename T>
  void value(T v) { bytes(&v, sizeof v); }
  void text(const std::string& s) { value(std::uint64_t(s.size())); bytes(s.data(), s.size()); }
  std::uint64_t digest() const { return f.value(); }
};

// Weights, biases and masks of every layer, plus the modulation state.
template <class Net>
std::uint64_t layers_digest(const Net& net) {
  Fnv f;
  for (std::size_t l = 0; l < net.num_layers(); ++l) {
    const auto& layer = net.layer(l);
    const Matrix W = layer.weight();
    f.value(std::uint64_t(W.rows()));
    f.value(std::uint64_t(W.cols()));
    f.bytes(W.data(), sizeof(float) * std::size_t(W.size()));
    f.bytes(layer.bias().data(), sizeof(float) * std::size_t(layer.bias().size()));
    f.bytes(layer.mask().data(), sizeof(float) * std::size_t(layer.mask().size()));
  }
  return f.digest();
}

std::uint64_t network_digest(const rewire::protocol::Network& net) {
  return net.visit([](const auto& n) { return layers_digest(n); });
}

// Every number of an arm's seed-file record (the map is ordered by name).
std::uint64_t result_digest(const ArmResult& r) {
  Fnv f;
  for (const auto& [name, v] : r.metrics) {
    f.text(name);
    f.value(v);
  }
  for (double v : r.cycle_sparsity) f.value(v);
  for (double v : r.cycle_accuracy) f.value(v);
  f.value(std::int64_t(r.relapse_cycle.value_or(-1)));
  f.value(int(r.diverged));
  return f.digest();
}

int run(const char* config, long seeds, double epoch_scale) {
  StudySpec spec = chronic_stress::parse_config(rewire::io::read_file(config), config);
  scale_epochs(spec, epoch_scale);
  spec.validate();
  pin_gemm_blocking();
  for (long s = 0; s < seeds; ++s) {
    const auto seed = std::uint64_t(s);
    const StudyData data = make_study_data(spec, seed);
    const Subject depressed = run_baseline(spec, data, seed);
    std::printf("seed %" PRIu64 " baseline network %016" PRIx64 "\n", seed, network_digest(depressed.net));
    for (std::size_t a = 0; a < spec.arms.size(); ++a) {
      // The treatment as run_arm applies it, on the same lineage, to see
      // the network itself (run_arm keeps only the measurements).
      const ScopedFlushDenormals float_mode(spec.flush_denormals);
      Subject treated = depressed.branch(arm_lineage(a));
      for (const auto& step : spec.arms[a].treatment)
        apply(treated, step, data.train, spec.data.batch_size);
      const ArmResult result = run_arm(spec, a, depressed, data);
      const char* arm = spec.arms[a].name.c_str();
      std::printf("seed %" PRIu64 " %s network %016" PRIx64 "\n", seed, arm, network_digest(treated.net));
      std::printf("seed %" PRIu64 " %s results %016" PRIx64 "\n", seed, arm, result_digest(result));
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: chronic_stress_golden CONFIG SEEDS EPOCH_SCALE\n");
    return 2;
  }
  try {
    return run(argv[1], std::stol(argv[2]), std::stod(argv[3]));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "chronic_stress_golden: %s\n", e.what());
    return 1;
  }
}
