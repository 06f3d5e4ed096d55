// bench/bench_noise.cpp - Gaussian noise injection for one training step of
// the paper's network: 1280 hidden units x batch 128 = 163,840 normals added
// to a buffer (what noise_forward does per step).
//
//   BM_Noise_StdNormal   std::normal_distribution<float> over std::mt19937
//                        (the textbook way; not reproducible across standard
//                        libraries, shown only as the baseline)
//   BM_Noise_Rewire      rewire::NoiseSource::add_normal (16-lane xoshiro128+,
//                        branch-free Box-Muller; the same numbers everywhere)
//
// Each checks the sample moments once before timing (mean ~0, variance ~1).
// Counter "normals" = normals per second.
#include <rewire/random/noise_source.hpp>

#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

namespace {

constexpr rewire::Index kNormalsPerStep = 1280 * 128;

/// Empty string if the buffer's mean and variance look standard normal.
std::string moments_problem(const std::vector<float>& z) {
  double sum = 0, sq = 0;
  for (float x : z) {
    sum += x;
    sq += double(x) * x;
  }
  const double n = double(z.size()), mean = sum / n, var = sq / n - mean * mean;
  // 163,840 draws: the standard error of the mean is 0.0025, of the variance 0.0035.
  if (std::abs(mean) > 0.02 || std::abs(var - 1.0) > 0.03)
    return "moments off: mean " + std::to_string(mean) + ", variance " + std::to_string(var);
  return {};
}

template <class AddNormals>
void run_noise(benchmark::State& state, AddNormals add) {
  std::vector<float> buf(kNormalsPerStep, 0.0f);
  add(buf.data());
  if (const std::string problem = moments_problem(buf); !problem.empty()) {
    state.SkipWithError(problem.c_str());
    return;
  }
  for (auto _ : state) {
    add(buf.data());
    benchmark::DoNotOptimize(buf.data());
    benchmark::ClobberMemory();
  }
  state.counters["normals"] =
      benchmark::Counter(double(kNormalsPerStep) * double(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_Noise_StdNormal(benchmark::State& state) {
  std::mt19937 engine(42);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  run_noise(state, [&](float* out) {
    for (rewire::Index k = 0; k < kNormalsPerStep; ++k) out[k] += normal(engine);
  });
}

void BM_Noise_Rewire(benchmark::State& state) {
  rewire::NoiseSource source(42);
  run_noise(state, [&](float* out) { source.add_normal(out, kNormalsPerStep, 1.0f); });
}

BENCHMARK(BM_Noise_StdNormal)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Noise_Rewire)->Unit(benchmark::kMicrosecond);

}  // namespace
