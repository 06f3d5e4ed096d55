// bench/bench_common.hpp - what the whole-step benchmarks of every network
// kind share: the check that the dense and sparse paths train to the same
// weights, and the timing loop that refuses to time a mismatch.
#pragma once

#include <rewire/rewire.hpp>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <string>
#include <vector>

namespace rewire_bench {

/// Largest |difference| between the weights of `dense` and `sparse` (the
/// same network on the two kernel paths) after three calls of
/// step(net, adam, params, noise) on each, with the same noise stream.
template <class Net, class Step>
double path_mismatch(Net dense, Net sparse, Step&& step) {
  rewire::Adam a1(rewire::AdamOptions{1e-3f}), a2(rewire::AdamOptions{1e-3f});
  rewire::NoiseSource n1(5), n2(5);
  const auto p1 = dense.parameters(), p2 = sparse.parameters();
  for (int s = 0; s < 3; ++s) {
    step(dense, a1, p1, n1);
    step(sparse, a2, p2, n2);
  }
  double worst = 0;
  for (std::size_t l = 0; l < dense.num_layers(); ++l)
    worst = std::max(worst, double((dense.layer(l).weight() - sparse.layer(l).weight()).cwiseAbs().maxCoeff()));
  return worst;
}

/// Times step(net, adam, params, noise) on `net`, unless `mismatch` (from
/// path_mismatch) shows the two paths disagree: Adam moves weights by about
/// lr per step, so after 3 steps two correct paths differ by float rounding
/// amplified at most to a fraction of lr. Counter "FLOP": useful work per second.
template <class Net, class Step>
void time_steps(benchmark::State& state, double mismatch, Net net, double flop_per_step, Step&& step) {
  if (!(mismatch < 1e-4)) {
    state.SkipWithError(("dense and sparse paths disagree: max |dW| = " + std::to_string(mismatch)).c_str());
    return;
  }
  rewire::Adam adam(rewire::AdamOptions{1e-3f});
  rewire::NoiseSource noise(9);
  const auto params = net.parameters();
  for (auto _ : state) {
    step(net, adam, params, noise);
    benchmark::ClobberMemory();
  }
  state.counters["FLOP"] = benchmark::Counter(flop_per_step * double(state.iterations()), benchmark::Counter::kIsRate);
}

}  // namespace rewire_bench
