// tests/test_sparse_epilogue.cpp - the fused epilogues of the sparse kernels
// (kernels/sparse_linear.hpp) and of MaskedLinear: the forward from the CSC
// values, the ReLU written on the way out, and the ReLU gate fused into the
// input gradient. Each fused result is compared with the unfused computation
// it replaces (exactly: same accumulator, only stored differently), and the
// dense and sparse MaskedLinear paths with each other (to float rounding).
//
// Fixtures as in test_sparse.cpp (an unmasked W_full, its masked W, X, dY, b),
// drawn from the shared test_helpers.hpp generators with fixed seeds; every
// check CAPTUREs the seed and configuration.
#include <catch2/catch.hpp>

#include "test_helpers.hpp"

#include <rewire/kernels/activation.hpp>
#include <rewire/kernels/linear.hpp>
#include <rewire/kernels/sparse_linear.hpp>
#include <rewire/nn/masked_linear.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

using rewire::Index;
using rewire::KernelPath;
using rewire::Matrix;
using rewire::MaskedLinear;
using rewire::Rng;
using rewire::SparsePattern;
using rewire::Vector;
using rewire_test::bitwise_equal;
using rewire_test::random_mask;
using rewire_test::random_matrix;

namespace {

// 300 = 2 full blocks of 128 + a 44-sample block (32 + 8 + a 4-sample scalar
// tail): every tile kind and the per-sample gather path see the epilogue.
const double kSparsities[] = {0.0, 0.5, 0.9, 0.95, 0.99, 1.0};
const Index kBatches[] = {1, 7, 128, 300};

constexpr double kTol = 1e-5;  // as test_sparse.cpp: relative to the sum of |terms|

/// One layer configuration, as in test_sparse.cpp. W_full is NOT masked: the
/// sparse kernels must read only the pattern's positions.
struct Layer {
  Matrix M, W_full, W, X, dY;
  Vector b;
  Layer(Index out, Index in, Index batch, double sparsity, Rng& g)
      : M(random_mask(out, in, g, float(sparsity))) {
    W_full = random_matrix(out, in, g);
    W = W_full.cwiseProduct(M);
    X = random_matrix(batch, in, g);
    dY = random_matrix(batch, out, g);
    b = rewire_test::random_vector(out, g);
  }
};

/// A Layer with its sparse pattern and CSC-order values (gathered from the
/// unmasked W_full: the kernels must read only the pattern's positions).
struct Case {
  Layer L;
  SparsePattern p;
  std::vector<float> v;
  Case(Index out, Index in, Index batch, double sparsity, Rng& g)
      : L(out, in, batch, sparsity, g), p(rewire::make_sparse_pattern(L.M)), v(rewire::gather_csc(L.W_full, p)) {}
};

/// A ReLU gate (pre-activation) of the given shape with positive, negative,
/// +0 and -0 entries: ReLU'(0) = 0, so both zeros must close the gate.
Matrix mixed_gate(Index rows, Index cols, Rng& g) {
  Matrix Z = random_matrix(rows, cols, g);
  for (Index k = 0; k < Z.size(); k += 5) Z.data()[k] = (k % 2 == 0) ? 0.0f : -0.0f;
  return Z;
}

using rewire_test::max_rel_error;

/// Bound on |Y| terms: max_i |x_i| * sum_i |W[o,i]| + |b[o]| (also bounds the
/// ReLU of Y, which is 1-Lipschitz).
Matrix forward_scale(const Layer& L) {
  const Vector x_rowmax = L.X.cwiseAbs().rowwise().maxCoeff();
  const Vector w_rowabs = L.W.cwiseAbs().rowwise().sum();
  Matrix scale = x_rowmax * w_rowabs.transpose();
  scale.rowwise() += L.b.cwiseAbs().transpose();
  return scale;
}

/// Bound on |dX| terms: max_o |dy_o| * sum_o |W[o,i]| (the gate only zeroes).
Matrix input_grad_scale(const Layer& L) {
  const Vector dy_rowmax = L.dY.cwiseAbs().rowwise().maxCoeff();
  const Vector w_colabs = L.W.cwiseAbs().colwise().sum().transpose();
  return dy_rowmax * w_colabs.transpose();
}

std::uint64_t seed_of(Index out, Index in, Index batch, double s) {
  return std::uint64_t(out * 1000003 + in * 1009 + batch) * 101 + std::uint64_t(s * 100);
}

}  // namespace

TEST_CASE("sparse forward: fused relu_out equals relu_forward of Y", "[sparse][epilogue]") {
  for (const double s : kSparsities)
    for (const Index batch : kBatches) {
      const std::uint64_t seed = seed_of(96, 80, batch, s) + 1;
      CAPTURE(seed, s, batch);
      Rng g(seed);
      const Case c(96, 80, batch, s, g);
      const auto& [L, p, v] = c;
      // relu_out starts with the wrong shape and garbage: it must be resized and fully written.
      rewire::SparseScratch<float> scratch;
      Matrix Y1, H1 = Matrix::Constant(3, 2, 7.0f);
      Matrix Yplain, Href;
      rewire::sparse_linear_forward(Y1, L.X, p, v, L.b, scratch, &H1);
      rewire::sparse_linear_forward(Yplain, L.X, p, v, L.b, scratch);
      CHECK(bitwise_equal(Y1, Yplain));  // asking for relu_out does not change Y
      rewire::relu_forward(Href, Yplain);
      REQUIRE(H1.rows() == batch);
      REQUIRE(H1.cols() == 96);
      CHECK((H1.array() == Href.array()).all());
      // Not vacuous: with active weights both signs of Y occur, and H is clipped.
      if (s < 1.0 && batch >= 7) CHECK((H1.array() == 0.0f).any());
      if (s < 1.0 && batch >= 7) CHECK((H1.array() > 0.0f).any());
    }
}

TEST_CASE("sparse forward: a NaN input reaches relu_out as NaN rather than 0", "[sparse][epilogue]") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (const Index batch : {Index(1), Index(7), Index(300)}) {
    const std::uint64_t seed = 555 + std::uint64_t(batch);
    CAPTURE(seed, batch);
    Rng g(seed);
    Layer L(32, 24, batch, 0.9, g);
    const Index i = 5, o_on = 11, o_off = 12;
    L.M.col(i).setZero();
    L.M(o_on, i) = 1.0f;  // only row o_on reads input column i
    L.W = L.W_full.cwiseProduct(L.M);
    // Make the finite Y negative at o_on (ReLU would give 0 there), so that a
    // max(Y, 0) that drops the NaN cannot pass by accident.
    L.b[o_on] = -1000.0f;
    // NaN in a full tile (sample 0) and, at batch 300, in the scalar tail (299).
    std::vector<Index> bad{0};
    if (batch == 300) bad.push_back(299);
    for (const Index n : bad) L.X(n, i) = nan;

    const SparsePattern p = rewire::make_sparse_pattern(L.M);
    const std::vector<float> v = rewire::gather_csc(L.W_full, p);
    rewire::SparseScratch<float> scratch;
    Matrix Y1, H1, Hdense;
    rewire::sparse_linear_forward(Y1, L.X, p, v, L.b, scratch, &H1);
    rewire::relu_forward(Hdense, Y1);  // the dense path's ReLU propagates NaN too
    for (const Index n : bad) {
      CAPTURE(n);
      CHECK(std::isnan(Y1(n, o_on)));
      CHECK(std::isnan(H1(n, o_on)));
      CHECK(std::isnan(Hdense(n, o_on)));
      CHECK(std::isfinite(H1(n, o_off)));  // column i is inactive in row o_off
    }
    if (batch > 1) CHECK(H1(1, o_on) == 0.0f);  // a clean sample: b = -1000 clips to 0
  }
}

TEST_CASE("sparse input gradient: fused ReLU gate equals relu_backward after it", "[sparse][epilogue]") {
  for (const double s : kSparsities)
    for (const Index batch : kBatches) {
      const std::uint64_t seed = seed_of(96, 80, batch, s) + 2;
      CAPTURE(seed, s, batch);
      Rng g(seed);
      const Case c(96, 80, batch, s, g);
      const auto& [L, p, v] = c;
      const Matrix Z = mixed_gate(batch, 80, g);

      rewire::SparseScratch<float> scratch;
      Matrix ref;
      rewire::sparse_linear_backward_input(ref, L.dY, p, v, scratch);
      rewire::relu_backward(ref, ref, Z);
      // dX starts with the wrong shape (must be resized).
      Matrix dX1(2, 2);
      rewire::sparse_linear_backward_input(dX1, L.dY, p, v, scratch, &Z);
      REQUIRE(dX1.rows() == batch);
      REQUIRE(dX1.cols() == 80);
      CHECK((dX1.array() == ref.array()).all());
      // Not vacuous: the gate really zeroes some nonzero gradients and keeps others.
      if (s < 1.0 && batch >= 7) {
        Matrix ungated;
        rewire::sparse_linear_backward_input(ungated, L.dY, p, v, scratch);
        CHECK(((Z.array() <= 0.0f) && (ungated.array() != 0.0f)).any());
        CHECK(((Z.array() > 0.0f) && (dX1.array() != 0.0f)).any());
      }
    }
}

TEST_CASE("MaskedLinear dense and sparse paths agree with the ReLU epilogues", "[sparse][epilogue]") {
  for (const double s : kSparsities)
    for (const Index batch : kBatches) {
      const std::uint64_t seed = seed_of(48, 40, batch, s) + 3;
      CAPTURE(seed, s, batch);
      Rng g(seed);
      const Layer L(48, 40, batch, s, g);
      const Matrix Z = mixed_gate(batch, 40, g);
      MaskedLinear dense(40, 48);
      dense.set_weight(L.W_full);
      dense.bias() = L.b;
      dense.set_mask(L.M);  // zeroes the pruned weights
      MaskedLinear sparse = dense;
      dense.set_kernel_path(KernelPath::dense);
      sparse.set_kernel_path(KernelPath::sparse);
      REQUIRE_FALSE(dense.uses_sparse());
      REQUIRE(sparse.uses_sparse());

      // Forward with and without relu_out: Y is the same either way, and
      // equals the kernel each path calls (the previous behaviour).
      Matrix Yd, Hd, Ys, Hs, Yd0, Ys0, Yk, Hk;
      dense.forward(Yd, L.X, &Hd);
      sparse.forward(Ys, L.X, &Hs);
      dense.forward(Yd0, L.X);
      sparse.forward(Ys0, L.X);
      CHECK(bitwise_equal(Yd, Yd0));
      CHECK(bitwise_equal(Ys, Ys0));
      // The dense path's kernel (nn/layer_storage.hpp).
      rewire::LayerScratch<float> dense_scratch;
      rewire::layer_dense_forward(Yk, L.X, L.W, L.b, dense_scratch);
      CHECK(bitwise_equal(Yd0, Yk));
      const SparsePattern p = rewire::make_sparse_pattern(L.M);
      const std::vector<float> v = rewire::gather_csc(L.W, p);
      rewire::SparseScratch<float> scratch;
      rewire::sparse_linear_forward(Yk, L.X, p, v, L.b, scratch);
      CHECK(bitwise_equal(Ys0, Yk));
      rewire::relu_forward(Hk, Yd);
      CHECK(bitwise_equal(Hd, Hk));
      rewire::relu_forward(Hk, Ys);
      CHECK(bitwise_equal(Hs, Hk));
      const Matrix yscale = forward_scale(L);
      CHECK(max_rel_error(Ys, Yd, yscale) == Approx(0.0).margin(kTol));
      CHECK(max_rel_error(Hs, Hd, yscale) == Approx(0.0).margin(kTol));

      // Backward with and without the gate: parameter gradients do not depend
      // on it; the gated dX is the ungated one through relu_backward.
      for (const rewire::GradientMode mode : {rewire::GradientMode::masked, rewire::GradientMode::full}) {
        CAPTURE(mode == rewire::GradientMode::full ? "full" : "masked");
        Matrix dXd, dXs, dXd0, dXs0, dXk;
        dense.backward(&dXd0, L.dY, L.X, mode);
        sparse.backward(&dXs0, L.dY, L.X, mode);
        const Matrix dWd0 = dense.weight_grad(), dWs0 = sparse.weight_grad();
        dense.backward(&dXd, L.dY, L.X, mode, &Z);
        sparse.backward(&dXs, L.dY, L.X, mode, &Z);
        CHECK(bitwise_equal(dense.weight_grad(), dWd0));
        CHECK(bitwise_equal(sparse.weight_grad(), dWs0));
        rewire::layer_dense_backward_input(dXk, L.dY, L.W, dense_scratch);
        CHECK(bitwise_equal(dXd0, dXk));
        rewire::sparse_linear_backward_input(dXk, L.dY, p, v, scratch);
        CHECK(bitwise_equal(dXs0, dXk));
        rewire::relu_backward(dXk, dXd0, Z);
        CHECK(bitwise_equal(dXd, dXk));
        rewire::relu_backward(dXk, dXs0, Z);
        CHECK(bitwise_equal(dXs, dXk));
        const Matrix xscale = input_grad_scale(L);
        CHECK(max_rel_error(dXs0, dXd0, xscale) == Approx(0.0).margin(kTol));
        CHECK(max_rel_error(dXs, dXd, xscale) == Approx(0.0).margin(kTol));
      }
    }
}

// The kernels skip work that is zero by construction (dead ReLU units): an
// input-gradient line whose gate is closed for a whole batch tile, and SDDMM
// columns whose input is all zeros in a tile. Here whole gate columns are
// closed and whole input columns are zero, in some tiles only at batch 300
// (a unit dead in one block but alive in another), so both the skipped and
// the computed paths run side by side and must match the unskipped result.
namespace {

/// Closes (sets <= 0) gate columns c % 3 == 0 in every sample, and columns
/// c % 3 == 1 only in samples [0, 128) (the first batch block).
void close_gate_columns(Matrix& Z) {
  for (Index c = 0; c < Z.cols(); ++c)
    for (Index n = 0; n < Z.rows(); ++n)
      if (c % 3 == 0 || (c % 3 == 1 && n < 128)) Z(n, c) = (n % 2 == 0) ? -std::abs(Z(n, c)) : 0.0f;
}

/// Zeroes input columns the same way.
void zero_input_columns(Matrix& X) {
  for (Index c = 0; c < X.cols(); ++c)
    for (Index n = 0; n < X.rows(); ++n)
      if (c % 3 == 0 || (c % 3 == 1 && n < 128)) X(n, c) = 0.0f;
}

}  // namespace

TEST_CASE("sparse input gradient: lines with a closed gate are exact zeros", "[sparse][epilogue]") {
  for (const double s : kSparsities)
    for (const Index batch : kBatches) {
      const std::uint64_t seed = seed_of(64, 96, batch, s) + 7;
      CAPTURE(seed, s, batch);
      Rng g(seed);
      const Case c(64, 96, batch, s, g);
      const auto& [L, p, v] = c;
      Matrix Z = random_matrix(batch, 96, g);
      close_gate_columns(Z);
      rewire::SparseScratch<float> scratch;
      Matrix gated, ref;
      rewire::sparse_linear_backward_input(gated, L.dY, p, v, scratch, &Z);
      rewire::sparse_linear_backward_input(ref, L.dY, p, v, scratch);
      rewire::relu_backward(ref, ref, Z);
      CHECK(rewire_test::bitwise_equal(gated, ref));
      // A closed column is all zeros; an open one is not (s < 1 and a
      // column with active weights): the skip must not spread.
      for (Index c = 0; c < 96; c += 3) CHECK(gated.col(c).isZero(0));
    }
}

TEST_CASE("SDDMM: input columns of zeros give zero gradients, the rest as before", "[sparse][epilogue]") {
  for (const double s : kSparsities)
    for (const Index batch : kBatches) {
      const std::uint64_t seed = seed_of(64, 96, batch, s) + 11;
      CAPTURE(seed, s, batch);
      Rng g(seed);
      Layer L(64, 96, batch, s, g);
      zero_input_columns(L.X);
      const SparsePattern p = rewire::make_sparse_pattern(L.M);
      std::vector<float> compact;
      Vector db = Vector::Constant(3, 7.0f), db_ref;
      Matrix dW_ref;
      rewire::SparseScratch<float> scratch;
      rewire::sparse_linear_backward_params(compact, db, L.dY, L.X, p, scratch);
      rewire::linear_backward_params(dW_ref, db_ref, L.dY, L.X, &L.M);
      REQUIRE(Index(compact.size()) == p.nnz());
      const Matrix dW = rewire::scatter_csc(compact, p);
      // Bound on the summed |terms| of each entry, as for the products above.
      const Matrix scale = (L.dY.cwiseAbs().transpose() * L.X.cwiseAbs()).array() + 1e-30f;
      CHECK(max_rel_error(dW, dW_ref, scale) == Approx(0.0).margin(kTol));
      // db = column sums of dY (every output, whatever the pattern), against
      // the dense reference, relative to the sum of |dY|.
      REQUIRE(db.size() == 64);
      const Matrix db_scale = L.dY.cwiseAbs().colwise().sum().transpose().array() + 1e-30f;
      CHECK(max_rel_error(db, db_ref, db_scale) == Approx(0.0).margin(kTol));
      for (Index k = 0; k < p.nnz(); ++k) {
        const Index col = Index(p.csc_offset[std::size_t(k)]) / 64;
        CAPTURE(k, col);
        if (col % 3 == 0 || (col % 3 == 1 && batch <= 128)) CHECK(compact[std::size_t(k)] == 0.0f);
      }
    }
}
