// bench/bench_fixed_math.cpp - our own tanh and exp (kernels/fixed_math.hpp)
// against what they replaced, on one hidden layer's activations (batch 128 x
// 512 units = 65,536 floats):
//
//   BM_Tanh_Eigen   Eigen's vectorised Z.array().tanh() (the old tanh_forward)
//   BM_Tanh_Fixed   detail::tanh_fixed over the array (the new one)
//   BM_Exp_Std      a std::exp loop (the old softmax's exp)
//   BM_Exp_Fixed    detail::exp_fixed over the array (the new one)
//
// Each checks once before timing that the two agree to 1e-6 relative (they
// are different approximations of the same function), and reports an error
// instead of a time otherwise. Counter "values" = values per second.

// GCC 12 reports a false -Wmaybe-uninitialized inside Eigen's AVX-512 tanh
// (the self-initialised `__Y = __Y` of _mm512_undefined_ps, GCC bug 105593)
// when built with -march=native (as bench_kernels.cpp explains).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <rewire/kernels/fixed_math.hpp>
#include <rewire/random/rng.hpp>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

namespace {

using rewire::Index;
using rewire::Matrix;

constexpr Index kBatch = 128, kUnits = 512;

/// Fixed-seed inputs, uniform in [lo, hi) (splitmix64, 24-bit uniforms).
Matrix inputs(float lo, float hi) {
  std::uint64_t s = 7;
  Matrix m(kBatch, kUnits);
  for (Index k = 0; k < m.size(); ++k)
    m.data()[k] = lo + (hi - lo) * float(rewire::splitmix64(s) >> 40) * 0x1p-24f;
  return m;
}

/// Empty string if a and b agree to 1e-6 relative (plus 1e-30 absolute).
std::string mismatch(const Matrix& a, const Matrix& b) {
  double worst = 0;
  for (Index k = 0; k < a.size(); ++k)
    worst = std::max(worst, std::abs(double(a.data()[k]) - double(b.data()[k])) /
                                (std::abs(double(b.data()[k])) + 1e-30));
  return worst < 1e-6 ? std::string() : "results differ by " + std::to_string(worst) + " relative";
}

/// Times f(out, in); checks it once against reference(out, in).
template <class F, class Ref>
void run(benchmark::State& state, const Matrix& in, F f, Ref reference) {
  Matrix out(kBatch, kUnits), want(kBatch, kUnits);
  f(out, in);
  reference(want, in);
  if (const std::string problem = mismatch(out, want); !problem.empty()) {
    state.SkipWithError(problem.c_str());
    return;
  }
  for (auto _ : state) {
    f(out, in);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.counters["values"] = benchmark::Counter(double(in.size()) * double(state.iterations()),
                                                benchmark::Counter::kIsRate);
}

void eigen_tanh(Matrix& out, const Matrix& in) { out = in.array().tanh().matrix(); }
void fixed_tanh(Matrix& out, const Matrix& in) { rewire::detail::tanh_fixed(out.data(), in.data(), in.size()); }
void std_exp(Matrix& out, const Matrix& in) {
  for (Index k = 0; k < in.size(); ++k) out.data()[k] = std::exp(in.data()[k]);
}
void fixed_exp(Matrix& out, const Matrix& in) { rewire::detail::exp_fixed(out.data(), in.data(), in.size()); }

// tanh inputs: pre-activations of a trained layer, mostly in [-4, 4];
// exp inputs: max-subtracted logits, in [-20, 0].
void BM_Tanh_Eigen(benchmark::State& state) { run(state, inputs(-4.0f, 4.0f), eigen_tanh, fixed_tanh); }
void BM_Tanh_Fixed(benchmark::State& state) { run(state, inputs(-4.0f, 4.0f), fixed_tanh, eigen_tanh); }
void BM_Exp_Std(benchmark::State& state) { run(state, inputs(-20.0f, 0.0f), std_exp, fixed_exp); }
void BM_Exp_Fixed(benchmark::State& state) { run(state, inputs(-20.0f, 0.0f), fixed_exp, std_exp); }

BENCHMARK(BM_Tanh_Eigen)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Tanh_Fixed)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Exp_Std)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Exp_Fixed)->Unit(benchmark::kMicrosecond);

}  // namespace
