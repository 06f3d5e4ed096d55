// tests/test_sparse_contract.cpp - the sparse kernels (kernels/sparse_linear.hpp)
// give exactly the bits of their plain references (kernels/sparse_reference.hpp):
// every batch length across the tile and block boundaries, every density,
// signed zeros, zero columns (the skipped products), magnitudes 2^-20..2^20,
// accumulation and the fused epilogues. And in the pattern's order the sparse
// forward and input gradient are the fixed-order dense kernels' chains, so a
// sparse layer and its dense twin agree bit for bit.
#include <catch2/catch.hpp>

#include <rewire/kernels/dense_gemm.hpp>
#include <rewire/core/isa.hpp>
#include <rewire/kernels/sparse_linear.hpp>
#include <rewire/kernels/sparse_reference.hpp>
#include <rewire/random/rng.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

using rewire::Index;
using rewire::Matrix;
using rewire::SparsePattern;
using rewire::Vector;

namespace {

struct Draws {
  std::uint64_t s;
  std::uint64_t next() { return rewire::splitmix64(s); }
  std::uint64_t below(std::uint64_t n) { return next() % n; }
  float unit() { return float(next() >> 40) * 0x1.0p-24f; }
};

/// Values of mixed sign and magnitude (2^-20..2^21), one in eight a signed
/// zero; with `zero_columns`, every third column is all zeros (a ReLU unit
/// off for the whole batch: the weight gradient skips its products).
Matrix mixed(Index r, Index c, Draws& g, bool zero_columns) {
  Matrix m(r, c);
  for (Index j = 0; j < c; ++j)
    for (Index i = 0; i < r; ++i) {
      const float sign = g.below(2) == 0 ? 1.0f : -1.0f;
      const bool zero = g.below(8) == 0 || (zero_columns && j % 3 == 1);
      m(i, j) = zero ? sign * 0.0f : sign * std::ldexp(1.0f + g.unit(), int(g.below(41)) - 20);
    }
  return m;
}

Matrix mask(Index r, Index c, double density, Draws& g) {
  Matrix m(r, c);
  for (Index k = 0; k < m.size(); ++k) m.data()[k] = g.unit() < density ? 1.0f : 0.0f;
  return m;
}

bool same_bits(const float* a, const float* b, Index n) {
  return n == 0 || std::memcmp(a, b, sizeof(float) * std::size_t(n)) == 0;
}
bool same_bits(const Matrix& a, const Matrix& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() && same_bits(a.data(), b.data(), a.size());
}

struct Case {
  Index out, in, batch;
  double density;
};

/// Batches across every tile size, the < 8 tail and the 128-sample blocks.
const Index kBatches[] = {0, 1, 7, 17, 96, 128, 129, 300};
const Case kShapes[] = {{13, 7, 0, 0}, {1, 1, 0, 0}, {17, 129, 0, 0}, {129, 17, 0, 0}, {64, 96, 0, 0}};
const double kDensities[] = {0.0, 0.05, 0.5, 1.0};

/// The instruction sets this CPU has (all three on an AVX-512 machine; a
/// missing one is reported, not silently skipped).
std::vector<rewire::Isa> isas() {
  const rewire::CpuIsas cpu = rewire::detect_cpu_isas();
  std::vector<rewire::Isa> out;
  for (const rewire::Isa isa : {rewire::Isa::scalar, rewire::Isa::avx2, rewire::Isa::avx512})
    if (cpu.has(isa)) out.push_back(isa);
    else WARN("this CPU lacks " << rewire::to_string(isa) << ": its kernels are not checked");
  return out;
}

template <class F>
void for_each_case(F&& f) {
  for (const Case& shape : kShapes)
    for (const Index batch : kBatches)
      for (const double density : kDensities) f(Case{shape.out, shape.in, batch, density});
}

}  // namespace

TEST_CASE("sparse kernels follow their summation contract bit for bit", "[sparse][contract]") {
  std::uint64_t seed = 1;
  for_each_case([&](const Case& c) {
    CAPTURE(c.out, c.in, c.batch, c.density, seed);
    Draws g{seed++};
    const SparsePattern p = rewire::make_sparse_pattern(mask(c.out, c.in, c.density, g));
    const Matrix W = mixed(c.out, c.in, g, false), X = mixed(c.batch, c.in, g, true);
    const Matrix dY = mixed(c.batch, c.out, g, false), Z = mixed(c.batch, c.in, g, false);
    const Vector b = mixed(c.out, 1, g, false);
    const std::vector<float> w = rewire::gather_csc(W, p);
    rewire::SparseScratch<float> scratch;

    Matrix Yref, dXref;
    rewire::sparse_linear_forward_reference(Yref, X, p, w, b);
    rewire::sparse_linear_backward_input_reference(dXref, dY, p, w);
    const Matrix Href = (Yref.array() < 0.0f).select(0.0f, Yref.array());
    const Matrix dXgated_ref = (Z.array() > 0.0f).select(dXref, 0.0f);
    for (const rewire::Isa isa : isas()) {
      CAPTURE(rewire::to_string(isa));
      Matrix Y, H, dX, dXgated;
      rewire::sparse_linear_forward(Y, X, p, w, b, scratch, &H, isa);
      CHECK(same_bits(Y, Yref));
      CHECK(same_bits(H, Href));
      rewire::sparse_linear_backward_input(dX, dY, p, w, scratch, static_cast<const Matrix*>(nullptr), isa);
      rewire::sparse_linear_backward_input(dXgated, dY, p, w, scratch, &Z, isa);
      CHECK(same_bits(dX, dXref));
      CHECK(same_bits(dXgated, dXgated_ref));
    }

    std::vector<float> dw_ref;
    Vector db_ref;
    rewire::sparse_linear_backward_params_reference(dw_ref, db_ref, dY, X, p);
    std::vector<float> dw_added = dw_ref;
    Vector db_added = db_ref;
    rewire::sparse_linear_backward_params_reference(dw_added, db_added, dY, X, p, true);
    for (const rewire::Isa isa : isas()) {
      CAPTURE(rewire::to_string(isa));
      std::vector<float> dw;
      Vector db;
      rewire::sparse_linear_backward_params(dw, db, dY, X, p, scratch, false, isa);
      REQUIRE(dw.size() == dw_ref.size());
      CHECK(same_bits(dw.data(), dw_ref.data(), Index(dw.size())));
      CHECK(same_bits(db, db_ref));
      // A second batch added to the first (the steps of a sequence).
      rewire::sparse_linear_backward_params(dw, db, dY, X, p, scratch, true, isa);
      CHECK(same_bits(dw.data(), dw_added.data(), Index(dw.size())));
      CHECK(same_bits(db, db_added));
    }
  });
}

TEST_CASE("a sparse layer computes the fixed-order dense kernels' bits", "[sparse][contract]") {
  // Finite data without signed zeros: a masked entry adds fma(0, x, acc) =
  // acc + 0 in the dense chain, which differs only for acc = -0 or
  // non-finite x.
  std::uint64_t seed = 1000;
  for_each_case([&](const Case& c) {
    CAPTURE(c.out, c.in, c.batch, c.density, seed);
    Draws g{seed++};
    const Matrix M = mask(c.out, c.in, c.density, g);
    const SparsePattern p = rewire::make_sparse_pattern(M);
    const auto draw = [&](Index r, Index cols) {
      Matrix m(r, cols);
      for (Index k = 0; k < m.size(); ++k) m.data()[k] = (g.below(2) == 0 ? 1.0f : -1.0f) * (0.5f + g.unit());
      return m;
    };
    const Matrix W = draw(c.out, c.in).cwiseProduct(M), X = draw(c.batch, c.in), dY = draw(c.batch, c.out);
    const Vector b = draw(c.out, 1);
    const std::vector<float> w = rewire::gather_csc(W, p);
    rewire::SparseScratch<float> scratch;
    rewire::FixedGemmWorkspace<float> ws;

    Matrix Y, Ydense, dX, dXdense;
    rewire::sparse_linear_forward(Y, X, p, w, b, scratch);
    rewire::fixed_linear_forward(Ydense, X, W, b, ws);
    CHECK(same_bits(Y, Ydense));
    rewire::sparse_linear_backward_input(dX, dY, p, w, scratch);
    rewire::fixed_linear_backward_input(dXdense, dY, W, ws);
    CHECK(same_bits(dX, dXdense));
  });
}
