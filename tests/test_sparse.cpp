// tests/test_sparse.cpp - the exact-mask sparse kernels (kernels/sparse_linear.hpp)
// against the dense masked reference (kernels/linear.hpp), and the invariants of
// the compressed pattern.
//
// All data come from a local splitmix64 with fixed seeds; every check CAPTUREs
// the seed and the configuration, so a failure can be replayed exactly.
#include <catch2/catch.hpp>

#include "test_helpers.hpp"

#include <rewire/kernels/linear.hpp>
#include <rewire/kernels/sparse_linear.hpp>
#include <rewire/random/rng.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

using rewire::Index;
using rewire::Matrix;
using rewire::SparsePattern;
using rewire::SparseValues;
using rewire::Vector;

namespace {

/// splitmix64 (Steele, Lea, Flood 2014): tiny, seedable, identical everywhere.
struct SplitMix {
  std::uint64_t s;
  std::uint64_t next() { return rewire::splitmix64(s); }
  /// Uniform in [0, 1) with 24 random bits (exact in float).
  float uniform() { return float(next() >> 40) * (1.0f / 16777216.0f); }
  float uniform(float lo, float hi) { return lo + (hi - lo) * uniform(); }
};

Matrix random_matrix(Index r, Index c, SplitMix& g) {
  Matrix m(r, c);
  for (Index k = 0; k < m.size(); ++k) m.data()[k] = g.uniform(-1.0f, 1.0f);
  return m;
}

/// Bernoulli mask: each entry active with probability 1 - sparsity.
Matrix random_mask(Index r, Index c, double sparsity, SplitMix& g) {
  Matrix m(r, c);
  for (Index k = 0; k < m.size(); ++k) m.data()[k] = g.uniform() >= sparsity ? 1.0f : 0.0f;
  return m;
}

using rewire_test::max_rel_error;

constexpr double kTol = 1e-5;  // relative to the sum of |terms|; float eps is 6e-8

/// Everything one layer configuration needs. W_full is NOT masked: the sparse
/// kernels must read only the pattern's positions, the reference uses W .* M.
struct Layer {
  Matrix M, W_full, W, X, dY;
  Vector b;
  Layer(Index out, Index in, Index batch, const Matrix& mask, SplitMix& g) : M(mask) {
    W_full = random_matrix(out, in, g);
    W = W_full.cwiseProduct(M);
    X = random_matrix(batch, in, g);
    dY = random_matrix(batch, out, g);
    b = random_matrix(out, 1, g);
  }
};

/// Runs all three sparse kernels on `L` and compares them with the dense masked
/// reference. Cheap magnitude bounds instead of |A||B| products keep the test fast
/// in unoptimised builds: sum_i |x_i||w_i| <= max_i |x_i| * sum_i |w_i|.
void check_layer(const Layer& L, std::uint64_t seed) {
  CAPTURE(seed, L.W.rows(), L.W.cols(), L.X.rows());
  const SparsePattern p = rewire::make_sparse_pattern(L.M);
  SparseValues v;
  rewire::gather_values(v, L.W_full, p);
  const Index batch = L.X.rows(), out = L.W.rows(), in = L.W.cols();
  const Vector x_rowmax = L.X.cwiseAbs().rowwise().maxCoeff();
  const Vector dy_rowmax = L.dY.cwiseAbs().rowwise().maxCoeff();
  const Vector w_rowabs = L.W.cwiseAbs().rowwise().sum();
  const Vector w_colabs = L.W.cwiseAbs().colwise().sum().transpose();

  // forward
  Matrix Y, Yref;
  rewire::linear_forward(Yref, L.X, L.W, L.b);
  rewire::sparse_linear_forward(Y, L.X, p, v, L.b);
  Matrix yscale(batch, out);
  for (Index o = 0; o < out; ++o)
    for (Index n = 0; n < batch; ++n)
      yscale(n, o) = x_rowmax[n] * w_rowabs[o] + std::abs(L.b[o]);
  CHECK(max_rel_error(Y, Yref, yscale) == Approx(0.0).margin(kTol));

  // input gradient
  Matrix dX, dXref;
  rewire::linear_backward_input(dXref, L.dY, L.W);
  rewire::sparse_linear_backward_input(dX, L.dY, p, v);
  Matrix xscale(batch, in);
  for (Index i = 0; i < in; ++i)
    for (Index n = 0; n < batch; ++n) xscale(n, i) = dy_rowmax[n] * w_colabs[i];
  CHECK(max_rel_error(dX, dXref, xscale) == Approx(0.0).margin(kTol));

  // weight gradient, into a zeroed dW as a training step would
  Matrix dWref, dW = Matrix::Zero(out, in);
  Vector dbref, db;
  rewire::linear_backward_params(dWref, dbref, L.dY, L.X, &L.M);
  rewire::sparse_linear_backward_params(dW, db, L.dY, L.X, p);
  const Vector dy_colmax = batch > 0 ? Vector(L.dY.cwiseAbs().colwise().maxCoeff().transpose())
                                     : Vector(Vector::Zero(out));
  const Vector dy_colabs = L.dY.cwiseAbs().colwise().sum().transpose();
  const Vector x_colabs = L.X.cwiseAbs().colwise().sum().transpose();
  const Matrix wscale = dy_colmax * x_colabs.transpose();
  CHECK(max_rel_error(dW, dWref, wscale) == Approx(0.0).margin(kTol));
  CHECK(max_rel_error(db, dbref, dy_colabs) == Approx(0.0).margin(kTol));

  // the compact (CSC-order) weight gradient: bit-identical to the dense
  // output at the pattern's offsets (same loops, same summation order)
  std::vector<float> dw_csc(3, 1.0f);  // wrong size on purpose: resized
  Vector db2;
  rewire::sparse_linear_backward_params_compact(dw_csc, db2, L.dY, L.X, p);
  REQUIRE(Index(dw_csc.size()) == p.nnz());
  for (std::size_t k = 0; k < dw_csc.size(); ++k)
    REQUIRE(std::memcmp(&dw_csc[k], &dW.data()[p.csc_offset[k]], sizeof(float)) == 0);
  CHECK(std::memcmp(db2.data(), db.data(), sizeof(float) * std::size_t(db.size())) == 0);
}

}  // namespace

TEST_CASE("sparse pattern: CSR/CSC structure and offsets", "[sparse]") {
  struct Case { Index r, c; double s; };
  const Case cases[] = {{512, 512, 0.95}, {256, 512, 0.5}, {512, 2, 0.0}, {4, 256, 0.99},
                        {13, 7, 0.3},     {9, 11, 1.0},    {0, 0, 0.5},   {0, 5, 0.5},
                        {6, 0, 0.5},      {1, 1, 0.0}};
  for (const Case& cs : cases) {
    const std::uint64_t seed = 1000 + std::uint64_t(cs.r * 131 + cs.c);
    CAPTURE(seed, cs.r, cs.c, cs.s);
    SplitMix g{seed};
    Matrix M = random_mask(cs.r, cs.c, cs.s, g);
    if (M.size() > 0) M.data()[M.size() / 2] = (cs.s < 1.0) ? 2.5f : 0.0f;  // any != 0 is active
    const SparsePattern p = rewire::make_sparse_pattern(M);

    REQUIRE(p.rows == cs.r);
    REQUIRE(p.cols == cs.c);
    const Index nnz = Index((M.array() != 0.0f).count());
    REQUIRE(p.nnz() == nnz);
    REQUIRE(p.density() == Approx(M.size() ? double(nnz) / double(M.size()) : 0.0));
    REQUIRE(p.row_ptr.size() == std::size_t(cs.r + 1));
    REQUIRE(p.col_ptr.size() == std::size_t(cs.c + 1));
    REQUIRE(p.row_ptr.front() == 0);
    REQUIRE(p.col_ptr.front() == 0);
    REQUIRE(Index(p.row_ptr.back()) == nnz);
    REQUIRE(Index(p.col_ptr.back()) == nnz);
    REQUIRE(Index(p.col_index.size()) == nnz);
    REQUIRE(Index(p.row_index.size()) == nnz);
    REQUIRE(Index(p.csr_offset.size()) == nnz);
    REQUIRE(Index(p.csc_offset.size()) == nnz);
    REQUIRE(std::is_sorted(p.row_ptr.begin(), p.row_ptr.end()));
    REQUIRE(std::is_sorted(p.col_ptr.begin(), p.col_ptr.end()));

    // CSR: ascending columns per row, offsets o + i*rows, all at active positions.
    for (Index o = 0; o < cs.r; ++o)
      for (std::int32_t k = p.row_ptr[o]; k < p.row_ptr[o + 1]; ++k) {
        const Index i = p.col_index[k];
        REQUIRE((i >= 0 && i < cs.c));
        if (k > p.row_ptr[o]) REQUIRE(p.col_index[k - 1] < p.col_index[k]);
        REQUIRE(Index(p.csr_offset[k]) == o + i * cs.r);
        REQUIRE(M(o, i) != 0.0f);
      }
    // CSC: ascending rows per column, offsets strictly ascending overall.
    for (Index i = 0; i < cs.c; ++i)
      for (std::int32_t k = p.col_ptr[i]; k < p.col_ptr[i + 1]; ++k) {
        const Index o = p.row_index[k];
        REQUIRE((o >= 0 && o < cs.r));
        REQUIRE(Index(p.csc_offset[k]) == o + i * cs.r);
        REQUIRE(M(o, i) != 0.0f);
      }
    for (std::size_t k = 1; k < p.csc_offset.size(); ++k)
      REQUIRE(p.csc_offset[k - 1] < p.csc_offset[k]);
    // Both orders index the same set of positions, and csr_to_csc links them.
    std::vector<std::int32_t> csr_sorted = p.csr_offset;
    std::sort(csr_sorted.begin(), csr_sorted.end());
    REQUIRE(csr_sorted == p.csc_offset);
    REQUIRE(Index(p.csr_to_csc.size()) == nnz);
    for (Index k = 0; k < nnz; ++k) {
      const std::int32_t pos = p.csr_to_csc[k];
      REQUIRE((pos >= 0 && Index(pos) < nnz));
      REQUIRE(p.csc_offset[pos] == p.csr_offset[k]);  // offsets are unique: a permutation
    }

    // Gathered values are W at those positions, in each order.
    const Matrix W = random_matrix(cs.r, cs.c, g);
    SparseValues v;
    rewire::gather_values(v, W, p);
    REQUIRE(Index(v.csr.size()) == nnz);
    REQUIRE(Index(v.csc.size()) == nnz);
    for (Index k = 0; k < nnz; ++k) {
      REQUIRE(v.csr[k] == W.data()[p.csr_offset[k]]);
      REQUIRE(v.csc[k] == W.data()[p.csc_offset[k]]);
    }
  }
}

TEST_CASE("gather_csc and scatter_csc move exactly the active entries", "[sparse]") {
  SplitMix g{404};
  const Matrix M = random_mask(37, 23, 0.7, g);
  Matrix W(37, 23);
  for (Index k = 0; k < W.size(); ++k) W.data()[k] = g.uniform(-1.0f, 1.0f);
  const SparsePattern p = rewire::make_sparse_pattern(M);
  std::vector<float> compact(std::size_t(p.nnz()));
  rewire::gather_csc(compact.data(), W.data(), p);
  for (std::size_t k = 0; k < compact.size(); ++k) REQUIRE(compact[k] == W.data()[p.csc_offset[k]]);
  Matrix back = Matrix::Constant(37, 23, 7.0f);  // untouched entries keep 7
  rewire::scatter_csc(back.data(), compact.data(), p);
  for (Index k = 0; k < W.size(); ++k) REQUIRE(back.data()[k] == (M.data()[k] != 0.0f ? W.data()[k] : 7.0f));
}

TEST_CASE("sparse kernels equal the dense masked reference", "[sparse]") {
  struct Shape { Index out, in; };
  // The four layers of the 2-512-512-256-4 network, and an odd small shape.
  const Shape shapes[] = {{512, 512}, {256, 512}, {512, 2}, {4, 256}, {13, 7}};
  const double sparsities[] = {0.0, 0.5, 0.9, 0.95, 0.99, 1.0};
  const Index batches[] = {1, 7, 128};
  for (const Shape& sh : shapes)
    for (const double s : sparsities)
      for (const Index batch : batches) {
        const std::uint64_t seed =
            std::uint64_t(sh.out * 1000003 + sh.in * 1009 + batch) * 101 + std::uint64_t(s * 100);
        SplitMix g{seed};
        CAPTURE(s);
        const Matrix M = random_mask(sh.out, sh.in, s, g);
        check_layer(Layer(sh.out, sh.in, batch, M, g), seed);
      }
}

TEST_CASE("sparse kernels: long and odd batches (several tiles, packed blocks)", "[sparse]") {
  // 300 = 2*128 + 32 + 8 + 4 and 1000, 4000 cover the multi-block path, every
  // tile size and the scalar tail; 0 samples must also work.
  struct Case { Index out, in, batch; double s; };
  const Case cases[] = {{256, 512, 300, 0.95}, {256, 512, 300, 0.5}, {512, 512, 300, 0.99},
                        {512, 2, 4000, 0.5},   {4, 256, 4000, 0.9},  {13, 7, 1000, 0.5},
                        {64, 96, 129, 0.9},    {33, 17, 255, 0.7},   {13, 7, 0, 0.5}};
  for (const Case& cs : cases) {
    const std::uint64_t seed = 77 + std::uint64_t(cs.out * 7 + cs.in * 3 + cs.batch);
    SplitMix g{seed};
    CAPTURE(cs.s);
    const Matrix M = random_mask(cs.out, cs.in, cs.s, g);
    check_layer(Layer(cs.out, cs.in, cs.batch, M, g), seed);
  }
}

TEST_CASE("sparse kernels: empty rows, empty columns, nnz = 0", "[sparse]") {
  const std::uint64_t seed = 4242;
  CAPTURE(seed);
  SplitMix g{seed};
  for (const Index batch : {Index(1), Index(7), Index(128)}) {
    CAPTURE(batch);
    Matrix M = random_mask(64, 48, 0.5, g);
    for (const Index o : {0, 5, 63}) M.row(o).setZero();  // outputs with no inputs
    for (const Index i : {0, 17, 47}) M.col(i).setZero();  // inputs feeding nothing
    const Layer L(64, 48, batch, M, g);
    check_layer(L, seed);

    const SparsePattern p = rewire::make_sparse_pattern(M);
    SparseValues v;
    rewire::gather_values(v, L.W_full, p);
    Matrix Y, dX;
    rewire::sparse_linear_forward(Y, L.X, p, v, L.b);
    rewire::sparse_linear_backward_input(dX, L.dY, p, v);
    for (const Index o : {0, 5, 63})  // an empty row outputs exactly its bias
      for (Index n = 0; n < batch; ++n) REQUIRE(Y(n, o) == L.b[o]);
    for (const Index i : {0, 17, 47})  // an empty column gets exactly zero gradient
      for (Index n = 0; n < batch; ++n) REQUIRE(dX(n, i) == 0.0f);
  }

  // nnz = 0: Y = bias everywhere, dX = 0, dW untouched, db still the column sums.
  const Layer L(32, 16, 9, Matrix::Zero(32, 16), g);
  const SparsePattern p = rewire::make_sparse_pattern(L.M);
  REQUIRE(p.nnz() == 0);
  REQUIRE(p.density() == 0.0);
  SparseValues v;
  rewire::gather_values(v, L.W_full, p);
  Matrix Y, dX, dW = Matrix::Constant(32, 16, 3.0f);
  Vector db;
  rewire::sparse_linear_forward(Y, L.X, p, v, L.b);
  rewire::sparse_linear_backward_input(dX, L.dY, p, v);
  rewire::sparse_linear_backward_params(dW, db, L.dY, L.X, p);
  REQUIRE(Y == L.b.transpose().replicate(9, 1));
  REQUIRE(dX.isZero(0.0f));
  REQUIRE((dW.array() == 3.0f).all());
  const Vector dbref = L.dY.colwise().sum().transpose();
  REQUIRE(db.isApprox(dbref, 1e-5f));
}

TEST_CASE("sparse weight gradient leaves positions outside the pattern untouched", "[sparse]") {
  for (const Index batch : {Index(1), Index(7), Index(128), Index(300)}) {
    const std::uint64_t seed = 9000 + std::uint64_t(batch);
    CAPTURE(seed, batch);
    SplitMix g{seed};
    const Matrix M = random_mask(96, 80, 0.9, g);
    const Layer L(96, 80, batch, M, g);
    const SparsePattern p = rewire::make_sparse_pattern(M);

    const float sentinel = std::numeric_limits<float>::quiet_NaN();
    Matrix dW = Matrix::Constant(96, 80, sentinel);
    Vector db;
    rewire::sparse_linear_backward_params(dW, db, L.dY, L.X, p);
    Matrix dWref;
    Vector dbref;
    rewire::linear_backward_params(dWref, dbref, L.dY, L.X, &M);
    for (Index i = 0; i < 80; ++i)
      for (Index o = 0; o < 96; ++o) {
        if (M(o, i) == 0.0f) {
          REQUIRE(std::isnan(dW(o, i)));  // never written
        } else {
          REQUIRE(dW(o, i) == Approx(dWref(o, i)).margin(1e-5 * double(batch)));
        }
      }

    // A wrongly shaped dW is resized and zero-filled: the masked gradient again.
    Matrix dW2(3, 3);
    rewire::sparse_linear_backward_params(dW2, db, L.dY, L.X, p);
    REQUIRE(dW2.rows() == 96);
    REQUIRE(dW2.cols() == 80);
    for (Index i = 0; i < 80; ++i)
      for (Index o = 0; o < 96; ++o)
        if (M(o, i) == 0.0f) REQUIRE(dW2(o, i) == 0.0f);
  }
}

TEST_CASE("sparse kernels are deterministic across calls", "[sparse]") {
  const std::uint64_t seed = 31337;
  CAPTURE(seed);
  SplitMix g{seed};
  const Matrix M = random_mask(128, 200, 0.8, g);
  const Layer L(128, 200, 300, M, g);
  const SparsePattern p = rewire::make_sparse_pattern(M);
  SparseValues v;
  rewire::gather_values(v, L.W_full, p);
  Matrix Y1, Y2, dX1, dX2, dW1 = Matrix::Zero(128, 200), dW2 = Matrix::Zero(128, 200);
  Vector db1, db2;
  rewire::sparse_linear_forward(Y1, L.X, p, v, L.b);
  rewire::sparse_linear_backward_input(dX1, L.dY, p, v);
  rewire::sparse_linear_backward_params(dW1, db1, L.dY, L.X, p);
  // Another shape in between, to dirty any internal buffer.
  const Layer other(16, 24, 1000, random_mask(16, 24, 0.5, g), g);
  check_layer(other, seed);
  rewire::sparse_linear_forward(Y2, L.X, p, v, L.b);
  rewire::sparse_linear_backward_input(dX2, L.dY, p, v);
  rewire::sparse_linear_backward_params(dW2, db2, L.dY, L.X, p);
  const auto same_bits = [](const Matrix& a, const Matrix& b) {
    return a.rows() == b.rows() && a.cols() == b.cols() &&
           std::memcmp(a.data(), b.data(), sizeof(float) * std::size_t(a.size())) == 0;
  };
  REQUIRE(same_bits(Y1, Y2));
  REQUIRE(same_bits(dX1, dX2));
  REQUIRE(same_bits(dW1, dW2));
  REQUIRE(same_bits(db1, db2));
}
