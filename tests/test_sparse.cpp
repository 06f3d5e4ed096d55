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
  // Gathered from the unmasked W_full: the pattern picks the active entries.
  const std::vector<float> w_csc = rewire::gather_csc(L.W_full, p);
  rewire::SparseScratch<float> scratch;
  const Index batch = L.X.rows(), out = L.W.rows(), in = L.W.cols();
  const Vector x_rowmax = L.X.cwiseAbs().rowwise().maxCoeff();
  const Vector dy_rowmax = L.dY.cwiseAbs().rowwise().maxCoeff();
  const Vector w_rowabs = L.W.cwiseAbs().rowwise().sum();
  const Vector w_colabs = L.W.cwiseAbs().colwise().sum().transpose();

  // forward
  Matrix Y, Yref;
  rewire::linear_forward(Yref, L.X, L.W, L.b);
  rewire::sparse_linear_forward(Y, L.X, p, w_csc, L.b, scratch);
  Matrix yscale(batch, out);
  for (Index o = 0; o < out; ++o)
    for (Index n = 0; n < batch; ++n)
      yscale(n, o) = x_rowmax[n] * w_rowabs[o] + std::abs(L.b[o]);
  CHECK(max_rel_error(Y, Yref, yscale) == Approx(0.0).margin(kTol));

  // input gradient
  Matrix dX, dXref;
  rewire::linear_backward_input(dXref, L.dY, L.W);
  rewire::sparse_linear_backward_input(dX, L.dY, p, w_csc, scratch);
  Matrix xscale(batch, in);
  for (Index i = 0; i < in; ++i)
    for (Index n = 0; n < batch; ++n) xscale(n, i) = dy_rowmax[n] * w_colabs[i];
  CHECK(max_rel_error(dX, dXref, xscale) == Approx(0.0).margin(kTol));

  // weight gradient (compact, CSC order), compared in dense form; the
  // output vector starts with the wrong size on purpose: it is resized
  Matrix dWref;
  Vector dbref, db;
  std::vector<float> dw_csc(3, 1.0f);
  rewire::linear_backward_params(dWref, dbref, L.dY, L.X, &L.M);
  rewire::sparse_linear_backward_params(dw_csc, db, L.dY, L.X, p, scratch);
  REQUIRE(Index(dw_csc.size()) == p.nnz());
  const Matrix dW = rewire::scatter_csc(dw_csc, p);
  const Vector dy_colmax = batch > 0 ? Vector(L.dY.cwiseAbs().colwise().maxCoeff().transpose())
                                     : Vector(Vector::Zero(out));
  const Vector dy_colabs = L.dY.cwiseAbs().colwise().sum().transpose();
  const Vector x_colabs = L.X.cwiseAbs().colwise().sum().transpose();
  const Matrix wscale = dy_colmax * x_colabs.transpose();
  CHECK(max_rel_error(dW, dWref, wscale) == Approx(0.0).margin(kTol));
  CHECK(max_rel_error(db, dbref, dy_colabs) == Approx(0.0).margin(kTol));
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
    REQUIRE(Index(p.csc_offset.size()) == nnz);
    REQUIRE(std::is_sorted(p.row_ptr.begin(), p.row_ptr.end()));
    REQUIRE(std::is_sorted(p.col_ptr.begin(), p.col_ptr.end()));

    // CSR: ascending columns per row, offsets o + i*rows, all at active positions.
    for (Index o = 0; o < cs.r; ++o)
      for (std::int32_t k = p.row_ptr[o]; k < p.row_ptr[o + 1]; ++k) {
        const Index i = p.col_index[k];
        REQUIRE((i >= 0 && i < cs.c));
        if (k > p.row_ptr[o]) REQUIRE(p.col_index[k - 1] < p.col_index[k]);
        // csr_to_csc points at the CSC entry of the same position.
        const std::int32_t pos = p.csr_to_csc[k];
        REQUIRE((pos >= 0 && Index(pos) < nnz));
        REQUIRE(Index(p.csc_offset[pos]) == o + i * cs.r);
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
    // csr_to_csc is a permutation: every CSC entry is reached exactly once.
    REQUIRE(Index(p.csr_to_csc.size()) == nnz);
    std::vector<std::int32_t> targets = p.csr_to_csc;
    std::sort(targets.begin(), targets.end());
    for (Index k = 0; k < nnz; ++k) REQUIRE(targets[std::size_t(k)] == std::int32_t(k));
  }
}

TEST_CASE("gather_csc and scatter_csc move exactly the active entries", "[sparse]") {
  SplitMix g{404};
  const Matrix M = random_mask(37, 23, 0.7, g);
  Matrix W(37, 23);
  for (Index k = 0; k < W.size(); ++k) W.data()[k] = g.uniform(-1.0f, 1.0f);
  const SparsePattern p = rewire::make_sparse_pattern(M);
  const std::vector<float> compact = rewire::gather_csc(W, p);
  REQUIRE(Index(compact.size()) == p.nnz());
  for (std::size_t k = 0; k < compact.size(); ++k) REQUIRE(compact[k] == W.data()[p.csc_offset[k]]);
  const Matrix back = rewire::scatter_csc(compact, p);  // zero outside the pattern
  for (Index k = 0; k < W.size(); ++k) REQUIRE(back.data()[k] == (M.data()[k] != 0.0f ? W.data()[k] : 0.0f));
  // Wrong sizes are refused, whatever the build type.
  CHECK_THROWS_AS(rewire::gather_csc(Matrix(W.rows(), W.cols() + 1), p), std::invalid_argument);
  CHECK_THROWS_AS(rewire::scatter_csc(std::vector<float>(compact.size() + 1), p), std::invalid_argument);
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
    const std::vector<float> w = rewire::gather_csc(L.W_full, p);
    rewire::SparseScratch<float> scratch;
    Matrix Y, dX;
    rewire::sparse_linear_forward(Y, L.X, p, w, L.b, scratch);
    rewire::sparse_linear_backward_input(dX, L.dY, p, w, scratch);
    for (const Index o : {0, 5, 63})  // an empty row outputs exactly its bias
      for (Index n = 0; n < batch; ++n) REQUIRE(Y(n, o) == L.b[o]);
    for (const Index i : {0, 17, 47})  // an empty column gets exactly zero gradient
      for (Index n = 0; n < batch; ++n) REQUIRE(dX(n, i) == 0.0f);
  }

  // nnz = 0: Y = bias everywhere, dX = 0, no weight gradient, db still the column sums.
  const Layer L(32, 16, 9, Matrix::Zero(32, 16), g);
  const SparsePattern p = rewire::make_sparse_pattern(L.M);
  REQUIRE(p.nnz() == 0);
  REQUIRE(p.density() == 0.0);
  const std::vector<float> w;
  rewire::SparseScratch<float> scratch;
  Matrix Y, dX;
  std::vector<float> dw(4, 3.0f);
  Vector db;
  rewire::sparse_linear_forward(Y, L.X, p, w, L.b, scratch);
  rewire::sparse_linear_backward_input(dX, L.dY, p, w, scratch);
  rewire::sparse_linear_backward_params(dw, db, L.dY, L.X, p, scratch);
  REQUIRE(Y == L.b.transpose().replicate(9, 1));
  REQUIRE(dX.isZero(0.0f));
  REQUIRE(dw.empty());
  const Vector dbref = L.dY.colwise().sum().transpose();
  REQUIRE(db.isApprox(dbref, 1e-5f));
}

TEST_CASE("sparse kernels refuse wrong shapes in every build type", "[sparse]") {
  SplitMix g{515};
  const Matrix M = random_mask(12, 10, 0.5, g);
  const Layer L(12, 10, 5, M, g);
  const SparsePattern p = rewire::make_sparse_pattern(M);
  const std::vector<float> w = rewire::gather_csc(L.W_full, p);
  rewire::SparseScratch<float> scratch;
  Matrix Y, dX;
  std::vector<float> dw;
  Vector db;
  const Matrix X_short = L.X.leftCols(9);  // 9 features for a 10-input layer
  CHECK_THROWS_AS(rewire::sparse_linear_forward(Y, X_short, p, w, L.b, scratch), std::invalid_argument);
  const std::vector<float> w_short(w.begin(), w.end() - 1);  // one value too few
  CHECK_THROWS_AS(rewire::sparse_linear_forward(Y, L.X, p, w_short, L.b, scratch), std::invalid_argument);
  CHECK_THROWS_AS(rewire::sparse_linear_backward_input(dX, L.dY, p, w_short, scratch), std::invalid_argument);
  const Matrix dY_wide = Matrix::Zero(5, 13);
  CHECK_THROWS_AS(rewire::sparse_linear_backward_input(dX, dY_wide, p, w, scratch), std::invalid_argument);
  CHECK_THROWS_AS(rewire::sparse_linear_backward_params(dw, db, L.dY, X_short, p, scratch), std::invalid_argument);
  const Matrix X_long = Matrix::Zero(6, 10);  // 6 samples against 5 in dY
  CHECK_THROWS_AS(rewire::sparse_linear_backward_params(dw, db, L.dY, X_long, p, scratch), std::invalid_argument);
  // The dense kernels too.
  Matrix dW;
  CHECK_THROWS_AS(rewire::linear_forward(Y, X_short, L.W, L.b), std::invalid_argument);
  CHECK_THROWS_AS(rewire::linear_backward_input(dX, dY_wide, L.W), std::invalid_argument);
  CHECK_THROWS_AS(rewire::linear_backward_params(dW, db, L.dY, X_long), std::invalid_argument);
}

TEST_CASE("sparse kernels refuse an inconsistent pattern in every build type", "[sparse]") {
  // A pattern is a plain struct a caller may fill by hand: its line pointers
  // decide how far the kernels read into the index and value arrays.
  SplitMix g{516};
  const Matrix M = random_mask(12, 10, 0.5, g);
  const Layer L(12, 10, 5, M, g);
  const SparsePattern good = rewire::make_sparse_pattern(M);
  REQUIRE(good.row_ptr[1] > 0);
  const std::vector<float> w = rewire::gather_csc(L.W_full, good);
  rewire::SparseScratch<float> scratch;
  Matrix Y, dX;
  std::vector<float> dw;
  Vector db;
  const auto refused = [&](const SparsePattern& p, const char* what) {
    CHECK_THROWS_WITH(rewire::sparse_linear_forward(Y, L.X, p, w, L.b, scratch), Catch::Contains(what));
    CHECK_THROWS_WITH(rewire::sparse_linear_backward_input(dX, L.dY, p, w, scratch), Catch::Contains(what));
    CHECK_THROWS_WITH(rewire::sparse_linear_backward_params(dw, db, L.dY, L.X, p, scratch), Catch::Contains(what));
  };
  SparsePattern p = good;
  p.row_ptr[1] = std::int32_t(good.nnz()) + 40;  // a row reaching past the last entry
  refused(p, "row_ptr");
  p = good;
  p.row_ptr[2] = 0;  // falls after row 0
  refused(p, "row_ptr");
  p = good;
  p.row_ptr.pop_back();  // one pointer short
  refused(p, "row_ptr");
  p = good;
  p.col_ptr[3] = p.col_ptr[4] + 1;  // the CSC walk of the gradients
  refused(p, "col_ptr");
  p = good;
  p.col_index.resize(p.col_index.size() / 2);  // fewer column indices than entries
  refused(p, "col_index");
  p = good;
  p.csr_to_csc.pop_back();
  refused(p, "csr_to_csc");
}

TEST_CASE("validate_sparse_pattern names the first inconsistency and passes built patterns", "[sparse]") {
  SplitMix g{517};
  for (const double sparsity : {0.0, 0.5, 0.95, 1.0}) {
    CAPTURE(sparsity);
    CHECK_NOTHROW(rewire::validate_sparse_pattern(rewire::make_sparse_pattern(random_mask(9, 13, sparsity, g))));
  }
  const SparsePattern good = rewire::make_sparse_pattern(random_mask(9, 13, 0.5, g));
  REQUIRE(good.nnz() > 2);
  SparsePattern p = good;
  p.col_index[1] = std::int32_t(good.cols);  // a column the matrix does not have
  CHECK_THROWS_WITH(rewire::validate_sparse_pattern(p), Catch::Contains("col_index"));
  p = good;
  p.row_index[0] = -1;
  CHECK_THROWS_WITH(rewire::validate_sparse_pattern(p), Catch::Contains("row_index"));
  p = good;
  p.csr_to_csc[0] = std::int32_t(good.nnz());  // a value past the last one
  CHECK_THROWS_WITH(rewire::validate_sparse_pattern(p), Catch::Contains("csr_to_csc"));
  p = good;
  std::swap(p.csr_to_csc[0], p.csr_to_csc[1]);  // in range, but another entry's value
  CHECK_THROWS_WITH(rewire::validate_sparse_pattern(p), Catch::Contains("csr_to_csc"));
  p = good;
  p.csc_offset[0] += 1;
  CHECK_THROWS_WITH(rewire::validate_sparse_pattern(p), Catch::Contains("csc_offset"));
  p = good;
  p.rows = -1;
  CHECK_THROWS_WITH(rewire::validate_sparse_pattern(p), Catch::Contains("rows"));
}

TEST_CASE("sparse kernels are deterministic across calls", "[sparse]") {
  const std::uint64_t seed = 31337;
  CAPTURE(seed);
  SplitMix g{seed};
  const Matrix M = random_mask(128, 200, 0.8, g);
  const Layer L(128, 200, 300, M, g);
  const SparsePattern p = rewire::make_sparse_pattern(M);
  const std::vector<float> w = rewire::gather_csc(L.W_full, p);
  rewire::SparseScratch<float> scratch;
  Matrix Y1, Y2, dX1, dX2;
  std::vector<float> dw1, dw2;
  Vector db1, db2;
  rewire::sparse_linear_forward(Y1, L.X, p, w, L.b, scratch);
  rewire::sparse_linear_backward_input(dX1, L.dY, p, w, scratch);
  rewire::sparse_linear_backward_params(dw1, db1, L.dY, L.X, p, scratch);
  // Another shape in between, with the same scratch, to dirty it.
  const Layer other(16, 24, 1000, random_mask(16, 24, 0.5, g), g);
  const SparsePattern po = rewire::make_sparse_pattern(other.M);
  Matrix Yo;
  rewire::sparse_linear_forward(Yo, other.X, po, rewire::gather_csc(other.W_full, po), other.b, scratch);
  rewire::sparse_linear_forward(Y2, L.X, p, w, L.b, scratch);
  rewire::sparse_linear_backward_input(dX2, L.dY, p, w, scratch);
  rewire::sparse_linear_backward_params(dw2, db2, L.dY, L.X, p, scratch);
  const auto same_bits = [](const float* a, const float* b, std::size_t n) {
    return std::memcmp(a, b, sizeof(float) * n) == 0;
  };
  REQUIRE(Y1.size() == Y2.size());
  REQUIRE(same_bits(Y1.data(), Y2.data(), std::size_t(Y1.size())));
  REQUIRE(same_bits(dX1.data(), dX2.data(), std::size_t(dX1.size())));
  REQUIRE(dw1.size() == dw2.size());
  REQUIRE(same_bits(dw1.data(), dw2.data(), dw1.size()));
  REQUIRE(same_bits(db1.data(), db2.data(), std::size_t(db1.size())));
}
