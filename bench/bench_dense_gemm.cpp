// bench/bench_dense_gemm.cpp - the fixed-order dense kernels
// (kernels/dense_gemm.hpp) against Eigen's products (kernels/linear.hpp),
// on the study's layers (2-512-512-256-4) at batch 128.
//
// Names: BM_Gemm_<product>/<in>x<out>/<version>, product one of
//   Fwd      Y = X W^T + b
//   IGrad    dX = dY W
//   WGrad    dW = dY^T X, db = column sums of dY
//   WGradAdd dW += dY^T X, db += column sums of dY
// version one of eigen (whatever this build's -march gives Eigen), scalar,
// avx2, avx512 (the fixed-order versions; one the CPU lacks is skipped with
// an error), and blas when CMake found a BLAS with <cblas.h>
// (REWIRE_BENCH_BLAS): cblas_sgemm on the same operands, the product alone
// (no bias, no bias gradient; no WGradAdd). On Debian libblas.so.3 is
// whichever BLAS update-alternatives selects; the label names the one
// loaded (OpenBLAS's openblas_get_config(), if present). For one core, run
// with OPENBLAS_NUM_THREADS=1 (and OMP_NUM_THREADS=1 for an OpenMP build).
// Counter "FLOP": 2 * batch * in * out per call, per second.
// Before timing, every fixed-order version is compared bit for bit with the
// scalar one (the same contract), Eigen and the BLAS within float rounding.
// BM_FmaPeak/<avx2|avx512>: the core's rate of packed FMAs alone (the peak).

// GCC 12 reports a false -Wmaybe-uninitialized inside Eigen's AVX-512 GEMM
// packing with -march=native (GCC bug 105593); see bench_kernels.cpp.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <rewire/kernels/dense_gemm.hpp>
#include <rewire/kernels/linear.hpp>
#include <rewire/random/rng.hpp>

#include <benchmark/benchmark.h>

#if REWIRE_X86_KERNELS
#include <immintrin.h>
#endif

#if REWIRE_BENCH_BLAS
#include <cblas.h>
#include <dlfcn.h>
#endif

#include <cstdint>
#include <cstring>
#include <string>

namespace {

using rewire::Index;
using rewire::Isa;
using rewire::Matrix;
using rewire::Vector;

constexpr Index kBatch = 128;

enum class Product { fwd, igrad, wgrad, wgrad_add };
constexpr const char* kProductNames[] = {"Fwd", "IGrad", "WGrad", "WGradAdd"};

/// One layer's operands and outputs.
struct Layer {
  Index in, out;
  Matrix X, W, dY, Y, dX, dW;
  Vector b, db;
  rewire::FixedGemmWorkspace<float> ws;
  Layer(Index in_, Index out_) : in(in_), out(out_) {
    rewire::Rng rng(std::uint64_t(in * 1000 + out));
    const auto fill = [&rng](Matrix& m, Index r, Index c) {
      m.resize(r, c);
      for (Index k = 0; k < m.size(); ++k) m.data()[k] = rng.uniform(-1.0f, 1.0f);
    };
    fill(X, kBatch, in);
    fill(W, out, in);
    fill(dY, kBatch, out);
    Matrix bm;
    fill(bm, out, 1);
    b = bm.col(0);
    dW = Matrix::Zero(out, in);
    db = Vector::Zero(out);
  }
  /// The product's output (dW for the weight gradients).
  const Matrix& result(Product p) const { return p == Product::fwd ? Y : p == Product::igrad ? dX : dW; }

  void run_eigen(Product p) {
    switch (p) {
      case Product::fwd: rewire::linear_forward(Y, X, W, b); break;
      case Product::igrad: rewire::linear_backward_input(dX, dY, W); break;
      case Product::wgrad: rewire::linear_backward_params(dW, db, dY, X); break;
      case Product::wgrad_add: rewire::linear_backward_params_add(dW, db, dY, X); break;
    }
  }
#if REWIRE_BENCH_BLAS
  /// The product alone through the system's CBLAS, on the column-major
  /// operands as the layers hold them (WGradAdd is not offered).
  void run_blas(Product p) {
    const int n = int(kBatch), i = int(in), o = int(out);
    switch (p) {
      case Product::fwd:  // Y = X W^T
        Y.resize(kBatch, out);
        cblas_sgemm(CblasColMajor, CblasNoTrans, CblasTrans, n, o, i, 1.0f, X.data(), n, W.data(), o, 0.0f,
                    Y.data(), n);
        break;
      case Product::igrad:  // dX = dY W
        dX.resize(kBatch, in);
        cblas_sgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, n, i, o, 1.0f, dY.data(), n, W.data(), o, 0.0f,
                    dX.data(), n);
        break;
      case Product::wgrad:  // dW = dY^T X
      case Product::wgrad_add:
        cblas_sgemm(CblasColMajor, CblasTrans, CblasNoTrans, o, i, n, 1.0f, dY.data(), n, X.data(), n, 0.0f,
                    dW.data(), o);
        break;
    }
  }
#endif
  void run_fixed(Product p, Isa isa) {
    switch (p) {
      case Product::fwd: rewire::fixed_linear_forward(Y, X, W, b, ws, isa); break;
      case Product::igrad: rewire::fixed_linear_backward_input(dX, dY, W, ws, isa); break;
      case Product::wgrad: rewire::fixed_linear_backward_params(dW, db, dY, X, ws, nullptr, isa); break;
      case Product::wgrad_add: rewire::fixed_linear_backward_params_add(dW, db, dY, X, ws, isa); break;
    }
  }
};

/// The versions besides the instruction sets of the fixed-order kernels.
constexpr int kEigen = -1;
constexpr int kBlas = -2;

/// One call of `version` (kEigen, kBlas or an Isa).
void run(Layer& l, Product p, int version) {
#if REWIRE_BENCH_BLAS
  if (version == kBlas) return l.run_blas(p);
#endif
  if (version == kEigen) l.run_eigen(p);
  else l.run_fixed(p, Isa(version));
}

/// The result of one call from zeroed dW/db (the accumulating form adds to them).
Matrix one_result(Layer& l, Product p, int version) {
  l.dW.setZero();
  l.db.setZero();
  run(l, p, version);
  return l.result(p);
}

#if REWIRE_BENCH_BLAS
/// The BLAS behind cblas_sgemm in this process.
std::string blas_name() {
  using GetConfig = char* (*)();
  const auto get_config = reinterpret_cast<GetConfig>(dlsym(RTLD_DEFAULT, "openblas_get_config"));
  return get_config != nullptr ? std::string("OpenBLAS ") + get_config() : std::string("BLAS (not OpenBLAS)");
}
#endif

void BM_Gemm(benchmark::State& st, Product p, Index in, Index out, int version) {
  Layer l(in, out);
  const Matrix want = one_result(l, p, int(Isa::scalar));
  if (version == kEigen || version == kBlas) {
    Matrix got = one_result(l, p, version);
    if (version == kBlas && p == Product::fwd) got.rowwise() += l.b.transpose();  // the product alone
    if (!((got - want).cwiseAbs().maxCoeff() <= 1e-3f))
      return st.SkipWithError(version == kEigen ? "Eigen differs from the fixed order"
                                                : "the BLAS differs from the fixed order");
  } else {
    const Isa isa = Isa(version);
    if (!rewire::detect_cpu_isas().has(isa)) return st.SkipWithError("this CPU lacks the instruction set");
    const Matrix got = one_result(l, p, version);
    if (std::memcmp(got.data(), want.data(), sizeof(float) * std::size_t(want.size())) != 0)
      return st.SkipWithError("not the scalar version's bits");
  }
  for (auto _ : st) {
    run(l, p, version);
    benchmark::DoNotOptimize(l.result(p).data());
    benchmark::ClobberMemory();
  }
#if REWIRE_BENCH_BLAS
  if (version == kBlas) st.SetLabel(blas_name());
#endif
  st.counters["FLOP"] =
      benchmark::Counter(2.0 * double(kBatch * in * out), benchmark::Counter::kIsIterationInvariantRate);
}

// ---- the FMA peak of this core, for the fraction of it the kernels reach ----
// 12 independent chains of packed FMAs (more than latency x pipes), nothing
// else: the rate of vfmadd231ps the core sustains, in FLOP/s.

#if REWIRE_X86_KERNELS
__attribute__((target("avx2,fma"))) float fma_chains_avx2(std::int64_t steps) {
  __m256 a[12];
  for (int i = 0; i < 12; ++i) a[i] = _mm256_set1_ps(float(i));
  const __m256 x = _mm256_set1_ps(0.999999f), y = _mm256_set1_ps(1e-7f);
  for (std::int64_t k = 0; k < steps; ++k)
    for (int i = 0; i < 12; ++i) a[i] = _mm256_fmadd_ps(a[i], x, y);
  __m256 s = a[0];
  for (int i = 1; i < 12; ++i) s = _mm256_add_ps(s, a[i]);
  return _mm256_cvtss_f32(s);
}

__attribute__((target("avx512f"))) float fma_chains_avx512(std::int64_t steps) {
  __m512 a[12];
  for (int i = 0; i < 12; ++i) a[i] = _mm512_set1_ps(float(i));
  const __m512 x = _mm512_set1_ps(0.999999f), y = _mm512_set1_ps(1e-7f);
  for (std::int64_t k = 0; k < steps; ++k)
    for (int i = 0; i < 12; ++i) a[i] = _mm512_fmadd_ps(a[i], x, y);
  __m512 s = a[0];
  for (int i = 1; i < 12; ++i) s = _mm512_add_ps(s, a[i]);
  return _mm512_cvtss_f32(s);
}

void BM_FmaPeak(benchmark::State& st, Isa isa) {
  if (!rewire::detect_cpu_isas().has(isa)) return st.SkipWithError("this CPU lacks the instruction set");
  constexpr std::int64_t kSteps = 100000;
  for (auto _ : st) {
    std::int64_t steps = kSteps;
    benchmark::DoNotOptimize(steps);  // else the call, pure, is hoisted out of the loop
    benchmark::DoNotOptimize(isa == Isa::avx512 ? fma_chains_avx512(steps) : fma_chains_avx2(steps));
  }
  const double lanes = isa == Isa::avx512 ? 16 : 8;
  st.counters["FLOP"] = benchmark::Counter(2.0 * lanes * 12 * double(kSteps), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK_CAPTURE(BM_FmaPeak, avx2, Isa::avx2);
BENCHMARK_CAPTURE(BM_FmaPeak, avx512, Isa::avx512);
#endif

[[maybe_unused]] const bool kRegistered = [] {
  const Index layers[][2] = {{2, 512}, {512, 512}, {512, 256}, {256, 4}};
  const char* versions[] = {"eigen", "scalar", "avx2", "avx512"};
  for (int p = 0; p < 4; ++p)
    for (const auto& shape : layers)
      for (int v = -1; v < 3; ++v) {
        const std::string name = std::string("BM_Gemm_") + kProductNames[p] + "/" + std::to_string(shape[0]) + "x" +
                                 std::to_string(shape[1]) + "/" + versions[v + 1];
        benchmark::RegisterBenchmark(name.c_str(), BM_Gemm, Product(p), shape[0], shape[1], v);
      }
#if REWIRE_BENCH_BLAS
  for (int p = 0; p < 3; ++p)  // Fwd, IGrad, WGrad
    for (const auto& shape : layers) {
      const std::string name = std::string("BM_Gemm_") + kProductNames[p] + "/" + std::to_string(shape[0]) + "x" +
                               std::to_string(shape[1]) + "/blas";
      benchmark::RegisterBenchmark(name.c_str(), BM_Gemm, Product(p), shape[0], shape[1], kBlas);
    }
#endif
  return true;
}();

}  // namespace
