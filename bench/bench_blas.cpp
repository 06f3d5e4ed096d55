// bench/bench_blas.cpp - the study's dense products through the system's
// CBLAS (cblas_sgemm), beside the fixed-order kernels of bench_dense_gemm.cpp.
// Built only when CMake finds a BLAS and <cblas.h> (bench/CMakeLists.txt).
// On Debian, libblas.so.3 is whichever BLAS update-alternatives selects (the
// reference BLAS, OpenBLAS, ...); the benchmark's label names the one this
// process loaded (OpenBLAS's openblas_get_config(), if present).
//
// Names: BM_Gemm_<Fwd|IGrad|WGrad>/<in>x<out>/blas, batch 128, counter
// "FLOP" = 2 * batch * in * out per call, per second, as in
// bench_dense_gemm.cpp. The products only: Fwd has no bias and WGrad no bias
// gradient (their cost is one pass over the output). A comparison of speed,
// not of numbers: a BLAS sums in its own order, which may change with the
// CPU and the thread count. For one core, run with OPENBLAS_NUM_THREADS=1
// (and OMP_NUM_THREADS=1 for an OpenMP build of OpenBLAS).

#include <rewire/core/types.hpp>
#include <rewire/random/rng.hpp>

#include <benchmark/benchmark.h>
#include <cblas.h>
#include <dlfcn.h>

#include <cstdint>
#include <string>

namespace {

using rewire::Index;
using rewire::Matrix;

constexpr Index kBatch = 128;

/// The BLAS behind cblas_sgemm in this process.
std::string blas_name() {
  using GetConfig = char* (*)();
  const auto get_config = reinterpret_cast<GetConfig>(dlsym(RTLD_DEFAULT, "openblas_get_config"));
  return get_config != nullptr ? std::string("OpenBLAS ") + get_config() : std::string("BLAS (not OpenBLAS)");
}

Matrix random_matrix(Index rows, Index cols, std::uint64_t seed) {
  rewire::Rng rng(seed);
  Matrix m(rows, cols);
  for (Index k = 0; k < m.size(); ++k) m.data()[k] = rng.uniform(-1.0f, 1.0f);
  return m;
}

enum class Product { fwd, igrad, wgrad };

/// Column-major operands as the layers hold them: X (batch x in), W (out x
/// in), dY (batch x out).
void BM_Blas(benchmark::State& st, Product p, Index in, Index out) {
  const Matrix X = random_matrix(kBatch, in, 1), W = random_matrix(out, in, 2), dY = random_matrix(kBatch, out, 3);
  Matrix Y(kBatch, out), dX(kBatch, in), dW(out, in);
  const int n = int(kBatch), i = int(in), o = int(out);
  for (auto _ : st) {
    switch (p) {
      case Product::fwd:  // Y = X W^T
        cblas_sgemm(CblasColMajor, CblasNoTrans, CblasTrans, n, o, i, 1.0f, X.data(), n, W.data(), o, 0.0f,
                    Y.data(), n);
        break;
      case Product::igrad:  // dX = dY W
        cblas_sgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, n, i, o, 1.0f, dY.data(), n, W.data(), o, 0.0f,
                    dX.data(), n);
        break;
      case Product::wgrad:  // dW = dY^T X
        cblas_sgemm(CblasColMajor, CblasTrans, CblasNoTrans, o, i, n, 1.0f, dY.data(), n, X.data(), n, 0.0f,
                    dW.data(), o);
        break;
    }
    benchmark::ClobberMemory();
  }
  st.SetLabel(blas_name());
  st.counters["FLOP"] =
      benchmark::Counter(2.0 * double(kBatch * in * out), benchmark::Counter::kIsIterationInvariantRate);
}

[[maybe_unused]] const bool kRegistered = [] {
  const Index layers[][2] = {{2, 512}, {512, 512}, {512, 256}, {256, 4}};
  const char* names[] = {"Fwd", "IGrad", "WGrad"};
  for (int p = 0; p < 3; ++p)
    for (const auto& shape : layers) {
      const std::string name = std::string("BM_Gemm_") + names[p] + "/" + std::to_string(shape[0]) + "x" +
                               std::to_string(shape[1]) + "/blas";
      benchmark::RegisterBenchmark(name.c_str(), BM_Blas, Product(p), shape[0], shape[1]);
    }
  return true;
}();

}  // namespace
