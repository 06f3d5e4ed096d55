// bench/bench_kernels.cpp - the masked linear-layer kernels, three ways.
//
// For forward (Fwd), input gradient (IGrad) and weight gradient (WGrad):
//   BM_<Kernel>_DenseMasked  dense Eigen GEMM on the masked W (what PyTorch does;
//                            WGrad multiplies the gradient by the mask),
//   BM_<Kernel>_EigenSparse  Eigen::SparseMatrix<float, RowMajor> times the dense
//                            activations, viewed so that the memory layout is the same
//                            feature-major one rewire uses (no copies),
//   BM_<Kernel>_Rewire       rewire's sparse_linear.hpp kernels.
// Eigen has no sampled product (SDDMM), so WGrad_EigenSparse is what one writes with
// Eigen: iterate the sparse matrix and take Eigen's vectorised dot of the two columns
// (computing the dense product and masking would just repeat WGrad_DenseMasked).
//
// Arguments: out (512 or 256; in = 512), sparsity in percent, batch.
// Counter "FLOP" is the rate of useful work, 2*nnz*batch FLOP per call, whatever
// the implementation actually computes. Every benchmark checks its result against
// the dense reference once before timing and reports an error on mismatch.

// GCC 12 reports a false -Wmaybe-uninitialized inside Eigen's AVX-512 GEMM packing
// (the self-initialised `__Y = __Y` of _mm512_undefined_ps, GCC bug 105593) when
// built with -march=native; it would break -Werror builds. The pragma must precede
// the includes, because the warning is located in the intrinsics header.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <rewire/kernels/linear.hpp>
#include <rewire/kernels/sparse_linear.hpp>
#include <rewire/random/rng.hpp>

#include <Eigen/SparseCore>
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

namespace {

using rewire::Index;
using rewire::Matrix;
using rewire::Vector;
using SpMat = Eigen::SparseMatrix<float, Eigen::RowMajor, std::int32_t>;
using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// splitmix64: fixed-seed, platform-independent data.
struct SplitMix {
  std::uint64_t s;
  std::uint64_t next() { return rewire::splitmix64(s); }
  float uniform(float lo, float hi) {  // 24-bit uniform in [lo, hi)
    return lo + (hi - lo) * float(next() >> 40) * (1.0f / 16777216.0f);
  }
  Index below(Index n) { return Index(next() % std::uint64_t(n)); }
};

Matrix random_matrix(Index r, Index c, SplitMix& g) {
  Matrix m(r, c);
  for (Index k = 0; k < m.size(); ++k) m.data()[k] = g.uniform(-1.0f, 1.0f);
  return m;
}

/// A mask with exactly round((1 - sparsity) * out * in) ones (partial Fisher-Yates),
/// so that nnz, and hence the FLOP counter, is exact.
Matrix exact_mask(Index out, Index in, double sparsity, SplitMix& g) {
  const Index total = out * in;
  const Index keep = Index(std::llround((1.0 - sparsity) * double(total)));
  std::vector<Index> perm(static_cast<std::size_t>(total));
  for (Index k = 0; k < total; ++k) perm[k] = k;
  Matrix m = Matrix::Zero(out, in);
  for (Index k = 0; k < keep; ++k) {
    std::swap(perm[k], perm[k + g.below(total - k)]);
    m.data()[perm[k]] = 1.0f;
  }
  return m;
}

/// One layer problem: masked W, pattern, values, activations and upstream gradient.
struct Problem {
  Index out, in, batch;
  Matrix M, W, X, dY;
  Vector b;
  rewire::SparsePattern p;
  std::vector<float> w_csc;   // W at the active entries, CSC order (what a sparse layer stores)
  std::vector<float> dw_csc;  // the compact weight gradient
  rewire::SparseScratch<float> scratch;
  SpMat S;  // Eigen's sparse W, same pattern
  explicit Problem(const benchmark::State& st)
      : out(st.range(0)), in(512), batch(st.range(2)) {
    SplitMix g{0x5EED0000ull + std::uint64_t(out * 1000 + st.range(1)) * 7919 +
               std::uint64_t(batch)};
    M = exact_mask(out, in, double(st.range(1)) / 100.0, g);
    W = random_matrix(out, in, g).cwiseProduct(M);  // invariant W == W .* M
    X = random_matrix(batch, in, g);
    dY = random_matrix(batch, out, g);
    b = random_matrix(out, 1, g);
    p = rewire::make_sparse_pattern(M);
    w_csc = rewire::gather_csc(W, p);
    std::vector<Eigen::Triplet<float, std::int32_t>> t;
    for (Index o = 0; o < out; ++o)
      for (std::int32_t k = p.row_ptr[o]; k < p.row_ptr[o + 1]; ++k)
        t.emplace_back(std::int32_t(o), p.col_index[k], w_csc[std::size_t(p.csr_to_csc[k])]);
    S.resize(out, in);
    S.setFromTriplets(t.begin(), t.end());
  }
  /// Feature-major views: the col-major (batch x f) matrix is a row-major (f x batch) one.
  static Eigen::Map<RowMat> fm(Matrix& A) { return {A.data(), A.cols(), A.rows()}; }
  static Eigen::Map<const RowMat> fm(const Matrix& A) { return {A.data(), A.cols(), A.rows()}; }
};

/// Max |got - want| relative to the largest |want| (1 for all-zero), within 1e-4:
/// float accumulation of up to 1024-term sums in different orders.
bool close(const Matrix& got, const Matrix& want) {
  if (got.rows() != want.rows() || got.cols() != want.cols()) return false;
  if (got.size() == 0) return true;
  const float scale = std::max(1.0f, want.cwiseAbs().maxCoeff());
  return (got - want).cwiseAbs().maxCoeff() <= 1e-4f * scale;
}

void finish(benchmark::State& st, const Problem& pr) {
  const double flop = 2.0 * double(pr.p.nnz()) * double(pr.batch);
  st.counters["FLOP"] = benchmark::Counter(flop, benchmark::Counter::kIsIterationInvariantRate);
  st.counters["density"] = pr.p.density();
}

// ---- forward: Y = X W^T + b ----

Matrix ref_forward(const Problem& pr) {
  Matrix Y;
  rewire::linear_forward(Y, pr.X, pr.W, pr.b);
  return Y;
}

template <class F>
void run_forward(benchmark::State& st, F&& f) {
  Problem pr(st);
  Matrix Y(pr.batch, pr.out);
  f(pr, Y);
  if (!close(Y, ref_forward(pr))) return st.SkipWithError("forward result mismatch");
  for (auto _ : st) {
    f(pr, Y);
    benchmark::DoNotOptimize(Y.data());
    benchmark::ClobberMemory();
  }
  finish(st, pr);
}

void BM_Fwd_DenseMasked(benchmark::State& st) {
  run_forward(st, [](Problem& pr, Matrix& Y) { rewire::linear_forward(Y, pr.X, pr.W, pr.b); });
}
void BM_Fwd_EigenSparse(benchmark::State& st) {
  run_forward(st, [](Problem& pr, Matrix& Y) {
    Problem::fm(Y).noalias() = pr.S * Problem::fm(pr.X);  // Y^T = W X^T
    Y.rowwise() += pr.b.transpose();
  });
}
void BM_Fwd_Rewire(benchmark::State& st) {
  run_forward(st, [](Problem& pr, Matrix& Y) {
    rewire::sparse_linear_forward(Y, pr.X, pr.p, pr.w_csc, pr.b, pr.scratch);
  });
}

// ---- input gradient: dX = dY W ----

template <class F>
void run_igrad(benchmark::State& st, F&& f) {
  Problem pr(st);
  Matrix dX(pr.batch, pr.in), want;
  f(pr, dX);
  rewire::linear_backward_input(want, pr.dY, pr.W);
  if (!close(dX, want)) return st.SkipWithError("input gradient mismatch");
  for (auto _ : st) {
    f(pr, dX);
    benchmark::DoNotOptimize(dX.data());
    benchmark::ClobberMemory();
  }
  finish(st, pr);
}

void BM_IGrad_DenseMasked(benchmark::State& st) {
  run_igrad(st, [](Problem& pr, Matrix& dX) { rewire::linear_backward_input(dX, pr.dY, pr.W); });
}
void BM_IGrad_EigenSparse(benchmark::State& st) {
  run_igrad(st, [](Problem& pr, Matrix& dX) {
    Problem::fm(dX).noalias() = pr.S.transpose() * Problem::fm(pr.dY);  // dX^T = W^T dY^T
  });
}
void BM_IGrad_Rewire(benchmark::State& st) {
  run_igrad(st, [](Problem& pr, Matrix& dX) {
    rewire::sparse_linear_backward_input(dX, pr.dY, pr.p, pr.w_csc, pr.scratch);
  });
}

// ---- weight gradient: dW = (dY^T X) .* M, db = column sums of dY ----

/// `compact`: f writes the gradient to pr.dw_csc (active entries only).
template <class F>
void run_wgrad(benchmark::State& st, bool compact, F&& f) {
  Problem pr(st);
  Matrix dW = Matrix::Zero(pr.out, pr.in), want;
  Vector db(pr.out), want_db;
  f(pr, dW, db);
  rewire::linear_backward_params(want, want_db, pr.dY, pr.X, &pr.M);
  const Matrix got = compact ? rewire::scatter_csc(pr.dw_csc, pr.p) : dW;
  if (!close(got, want) || !close(db, want_db)) return st.SkipWithError("weight gradient mismatch");
  for (auto _ : st) {
    f(pr, dW, db);
    benchmark::DoNotOptimize(dW.data());
    benchmark::DoNotOptimize(db.data());
    benchmark::ClobberMemory();
  }
  finish(st, pr);
}

void BM_WGrad_DenseMasked(benchmark::State& st) {
  run_wgrad(st, false, [](Problem& pr, Matrix& dW, Vector& db) {
    rewire::linear_backward_params(dW, db, pr.dY, pr.X, &pr.M);
  });
}
void BM_WGrad_EigenSparse(benchmark::State& st) {
  run_wgrad(st, false, [](Problem& pr, Matrix& dW, Vector& db) {
    for (Index o = 0; o < pr.out; ++o)
      for (SpMat::InnerIterator it(pr.S, o); it; ++it)
        dW(o, it.col()) = pr.dY.col(o).dot(pr.X.col(it.col()));
    db = pr.dY.colwise().sum().transpose();
  });
}
void BM_WGrad_Rewire(benchmark::State& st) {
  run_wgrad(st, true, [](Problem& pr, Matrix&, Vector& db) {
    rewire::sparse_linear_backward_params(pr.dw_csc, db, pr.dY, pr.X, pr.p, pr.scratch);
  });
}

void layer_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"out", "sparsity", "batch"})
      ->ArgsProduct({{512, 256}, {0, 50, 75, 90, 95, 98, 99}, {1, 32, 128, 1024}})
      ->Unit(benchmark::kMicrosecond);
}

}  // namespace

BENCHMARK(BM_Fwd_DenseMasked)->Apply(layer_args);
BENCHMARK(BM_Fwd_EigenSparse)->Apply(layer_args);
BENCHMARK(BM_Fwd_Rewire)->Apply(layer_args);
BENCHMARK(BM_IGrad_DenseMasked)->Apply(layer_args);
BENCHMARK(BM_IGrad_EigenSparse)->Apply(layer_args);
BENCHMARK(BM_IGrad_Rewire)->Apply(layer_args);
BENCHMARK(BM_WGrad_DenseMasked)->Apply(layer_args);
BENCHMARK(BM_WGrad_EigenSparse)->Apply(layer_args);
BENCHMARK(BM_WGrad_Rewire)->Apply(layer_args);
