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
// an error). Counter "FLOP": 2 * batch * in * out per call, per second.
// Before timing, every fixed-order version is compared bit for bit with the
// scalar one (the same contract), and Eigen within float rounding.

// GCC 12 reports a false -Wmaybe-uninitialized inside Eigen's AVX-512 GEMM
// packing with -march=native (GCC bug 105593); see bench_kernels.cpp.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <rewire/kernels/dense_gemm.hpp>
#include <rewire/kernels/linear.hpp>
#include <rewire/random/rng.hpp>

#include <benchmark/benchmark.h>

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
  void run_fixed(Product p, Isa isa) {
    switch (p) {
      case Product::fwd: rewire::fixed_linear_forward(Y, X, W, b, ws, isa); break;
      case Product::igrad: rewire::fixed_linear_backward_input(dX, dY, W, ws, isa); break;
      case Product::wgrad: rewire::fixed_linear_backward_params(dW, db, dY, X, ws, nullptr, isa); break;
      case Product::wgrad_add: rewire::fixed_linear_backward_params_add(dW, db, dY, X, ws, isa); break;
    }
  }
};

/// The result of one call from zeroed dW/db (the accumulating form adds to them).
Matrix one_result(Layer& l, Product p, const Isa* isa) {
  l.dW.setZero();
  l.db.setZero();
  if (isa == nullptr) l.run_eigen(p);
  else l.run_fixed(p, *isa);
  return l.result(p);
}

/// version: -1 Eigen, else the Isa.
void BM_Gemm(benchmark::State& st, Product p, Index in, Index out, int version) {
  Layer l(in, out);
  const Isa scalar = Isa::scalar;
  const Matrix want = one_result(l, p, &scalar);
  if (version < 0) {
    const Matrix got = one_result(l, p, nullptr);
    if (!((got - want).cwiseAbs().maxCoeff() <= 1e-3f)) return st.SkipWithError("Eigen differs from the fixed order");
  } else {
    const Isa isa = Isa(version);
    if (!rewire::detect_cpu_isas().has(isa)) return st.SkipWithError("this CPU lacks the instruction set");
    const Matrix got = one_result(l, p, &isa);
    if (std::memcmp(got.data(), want.data(), sizeof(float) * std::size_t(want.size())) != 0)
      return st.SkipWithError("not the scalar version's bits");
  }
  for (auto _ : st) {
    if (version < 0) l.run_eigen(p);
    else l.run_fixed(p, Isa(version));
    benchmark::DoNotOptimize(l.result(p).data());
    benchmark::ClobberMemory();
  }
  st.counters["FLOP"] =
      benchmark::Counter(2.0 * double(kBatch * in * out), benchmark::Counter::kIsIterationInvariantRate);
}

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
  return true;
}();

}  // namespace
