// test_dense_gemm.cpp - the fixed-order dense kernels (kernels/dense_gemm.hpp):
// every instruction set this CPU has gives the bits of the plain-loop
// reference (the summation contract written out), on the study's shapes and
// odd ones, with masks of every density and inputs over many magnitudes
// with signed zeros; the reference agrees with the double-accumulating
// naive kernels of linear.hpp; REWIRE_ISA is parsed and refused by name; a
// layer's dense path calls these kernels.
#include <catch2/catch.hpp>
#include <rewire/kernels/dense_gemm.hpp>
#include <rewire/kernels/linear.hpp>
#include <rewire/nn/masked_linear.hpp>

#include "test_helpers.hpp"

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

using namespace rewire;
using rewire_test::random_mask;

namespace {

/// Entries sign * U(1, 2) * 2^e, e uniform in [-20, 20], and 1 in 8 a zero
/// of either sign: sums that round at every step, and -0 + -0 cases.
template <typename T>
MatrixT<T> wide_matrix(Index rows, Index cols, Rng& rng) {
  MatrixT<T> m(rows, cols);
  for (Index k = 0; k < m.size(); ++k) {
    const T sign = rng.below(2) == 0 ? T(1) : T(-1);
    m.data()[k] = rng.below(8) == 0 ? sign * T(0) : sign * std::ldexp(T(rng.uniform(1.0f, 2.0f)), int(rng.below(41)) - 20);
  }
  return m;
}

template <typename T>
bool same_bits(const MatrixT<T>& a, const MatrixT<T>& b) {
  // An empty matrix has no data pointer, which memcmp must not be given.
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         (a.size() == 0 || std::memcmp(a.data(), b.data(), sizeof(T) * std::size_t(a.size())) == 0);
}

/// The instruction sets to check for T: all three for float (those the CPU
/// lacks are skipped with a warning), the scalar one for double.
template <typename T>
std::vector<Isa> isas_to_check() {
  if (!std::is_same_v<T, float>) return {Isa::scalar};
  std::vector<Isa> out;
  const CpuIsas cpu = detect_cpu_isas();
  for (const Isa isa : {Isa::scalar, Isa::avx2, Isa::avx512}) {
    if (cpu.has(isa)) out.push_back(isa);
    else WARN("this CPU (or build) lacks " << to_string(isa) << ": its kernels are not checked here");
  }
  return out;
}

struct Shape {
  Index batch, in, out;
};

/// All four kernels on `isa` against the reference, bit for bit.
template <typename T>
void check_shape(const Shape& s, double density, Rng& rng, const std::vector<Isa>& isas) {
  const MatrixT<T> X = wide_matrix<T>(s.batch, s.in, rng);
  const MatrixT<T> M = random_mask<T>(s.out, s.in, rng, float(1.0 - density));
  const MatrixT<T> W = wide_matrix<T>(s.out, s.in, rng).cwiseProduct(M);
  const VectorT<T> b = wide_matrix<T>(s.out, 1, rng);
  const MatrixT<T> dY = wide_matrix<T>(s.batch, s.out, rng);
  const MatrixT<T> dW0 = wide_matrix<T>(s.out, s.in, rng);
  const VectorT<T> db0 = wide_matrix<T>(s.out, 1, rng);

  MatrixT<T> Yr, dXr, dWr, dWmr, dWar = dW0;
  VectorT<T> dbr, dbmr, dbar = db0;
  fixed_linear_forward_reference(Yr, X, W, b);
  fixed_linear_backward_input_reference(dXr, dY, W);
  fixed_linear_backward_params_reference(dWr, dbr, dY, X, nullptr);
  fixed_linear_backward_params_reference(dWmr, dbmr, dY, X, &M);
  fixed_linear_backward_params_reference(dWar, dbar, dY, X, nullptr, true);

  FixedGemmWorkspace<T> ws;
  for (const Isa isa : isas) {
    CAPTURE(to_string(isa));
    MatrixT<T> Y, dX, dW, dWm, dWa = dW0;
    VectorT<T> db, dbm, dba = db0;
    fixed_linear_forward(Y, X, W, b, ws, isa);
    fixed_linear_backward_input(dX, dY, W, ws, isa);
    fixed_linear_backward_params(dW, db, dY, X, ws, nullptr, isa);
    fixed_linear_backward_params(dWm, dbm, dY, X, ws, &M, isa);
    fixed_linear_backward_params_add(dWa, dba, dY, X, ws, isa);
    CHECK(same_bits(Y, Yr));
    CHECK(same_bits(dX, dXr));
    CHECK(same_bits(dW, dWr));
    CHECK(same_bits(MatrixT<T>(db), MatrixT<T>(dbr)));
    CHECK(same_bits(dWm, dWmr));
    CHECK(same_bits(MatrixT<T>(dbm), MatrixT<T>(dbmr)));
    CHECK(same_bits(dWa, dWar));
    CHECK(same_bits(MatrixT<T>(dba), MatrixT<T>(dbar)));
  }
}

}  // namespace

TEMPLATE_TEST_CASE("fixed-order kernels give the reference's bits on every instruction set", "[kernels][dense_gemm]",
                   float, double) {
  using T = TestType;
  const std::vector<Isa> isas = isas_to_check<T>();
  Rng rng(2026);
  SECTION("the study's layers, batch 128") {
    for (const Shape s : {Shape{128, 2, 512}, Shape{128, 512, 512}, Shape{128, 512, 256}, Shape{128, 256, 4}}) {
      CAPTURE(s.batch, s.in, s.out);
      check_shape<T>(s, 0.5, rng, isas);
    }
  }
  SECTION("odd sizes: every tile's tail, masks of every density") {
    for (const Index batch : {1, 7, 17, 129})
      for (const Index in : {1, 7, 17, 129})
        for (const Index out : {1, 7, 17, 129}) {
          const double density = std::vector<double>{0.0, 0.05, 0.5, 1.0}[std::size_t(batch + in + out) % 4];
          CAPTURE(batch, in, out, density);
          check_shape<T>(Shape{batch, in, out}, density, rng, isas);
        }
  }
  SECTION("empty batch and empty reduction") {
    check_shape<T>(Shape{0, 5, 3}, 1.0, rng, isas);
    check_shape<T>(Shape{4, 0, 3}, 1.0, rng, isas);
  }
}

TEST_CASE("the fixed-order reference agrees with the double-accumulating naive kernels", "[kernels][dense_gemm]") {
  Rng rng(7);
  for (const Shape s : {Shape{128, 512, 256}, Shape{17, 129, 7}}) {
    CAPTURE(s.batch, s.in, s.out);
    const Matrix X = rewire_test::random_matrix(s.batch, s.in, rng, -2, 2);
    const Matrix M = random_mask(s.out, s.in, rng, 0.5f);
    const Matrix W = rewire_test::random_matrix(s.out, s.in, rng).cwiseProduct(M);
    const Vector b = rewire_test::random_vector(s.out, rng);
    const Matrix dY = rewire_test::random_matrix(s.batch, s.out, rng);
    // Float sums of up to 512 terms of size <= 2 stay within 512 * 2 * 2^-24
    // (~6e-5) of the exact value; the naive kernels round only once.
    const float tol = 1e-4f;
    Matrix Y, Yn, dX, dXn, dW, dWn;
    Vector db, dbn;
    fixed_linear_forward_reference(Y, X, W, b);
    linear_forward_naive(Yn, X, W, b);
    CHECK((Y - Yn).cwiseAbs().maxCoeff() < tol);
    fixed_linear_backward_input_reference(dX, dY, W);
    linear_backward_input_naive(dXn, dY, W);
    CHECK((dX - dXn).cwiseAbs().maxCoeff() < tol);
    fixed_linear_backward_params_reference(dW, db, dY, X, &M);
    linear_backward_params_naive(dWn, dbn, dY, X, &M);
    CHECK((dW - dWn).cwiseAbs().maxCoeff() < tol);
    CHECK((db - dbn).cwiseAbs().maxCoeff() < tol);
  }
}

TEST_CASE("the fixed order is sequential: lanes across the sum would change the result", "[kernels][dense_gemm]") {
  // Y(0,0) = 1 + 16 terms of 2^-24. In order, each 1 + 2^-24 is a tie that
  // rounds back to 1, so the sum is exactly 1. Split over 16 lanes (terms t
  // and t+16 in lane t) and then added up pairwise, the small terms first
  // meet each other and make 1 + 7 * 2^-23. A kernel that vectorised the
  // reduced index would give the latter (or another order's value).
  const Index k = 17;
  Matrix X(1, k), W = Matrix::Ones(1, k);
  X(0, 0) = 1.0f;
  for (Index i = 1; i < k; ++i) X(0, i) = std::ldexp(1.0f, -24);
  const Vector b = Vector::Zero(1);

  float lanes[16] = {};
  for (Index i = 0; i < k; ++i) lanes[i % 16] = std::fma(X(0, i), W(0, i), lanes[i % 16]);
  for (int width = 8; width >= 1; width /= 2)
    for (int l = 0; l < width; ++l) lanes[l] = lanes[l] + lanes[l + width];
  REQUIRE(lanes[0] == 1.0f + 7.0f * std::ldexp(1.0f, -23));

  Matrix Y;
  fixed_linear_forward_reference(Y, X, W, b);
  REQUIRE(Y(0, 0) == 1.0f);
  FixedGemmWorkspace<float> ws;
  for (const Isa isa : isas_to_check<float>()) {
    CAPTURE(to_string(isa));
    fixed_linear_forward(Y, X, W, b, ws, isa);
    CHECK(Y(0, 0) == 1.0f);
    // The same sum as a weight gradient (reduced over the batch).
    Matrix dW;
    Vector db;
    fixed_linear_backward_params(dW, db, Matrix(W.transpose()), Matrix(X.transpose()), ws, nullptr, isa);
    CHECK(dW(0, 0) == 1.0f);
  }
}

TEST_CASE("REWIRE_ISA picks an instruction set the CPU has, or is refused by name", "[kernels][isa]") {
  const CpuIsas all{true, true}, avx2_only{true, false}, none{};
  CHECK(parse_isa_override(nullptr, all) == Isa::avx512);
  CHECK(parse_isa_override("", avx2_only) == Isa::avx2);
  CHECK(parse_isa_override(nullptr, none) == Isa::scalar);
  CHECK(parse_isa_override("scalar", all) == Isa::scalar);
  CHECK(parse_isa_override("avx2", all) == Isa::avx2);
  CHECK(parse_isa_override("avx512", all) == Isa::avx512);
  for (const Isa isa : {Isa::scalar, Isa::avx2, Isa::avx512}) CHECK(parse_isa_override(to_string(isa), all) == isa);

  const auto message = [](const char* value, const CpuIsas& cpu) -> std::string {
    try {
      parse_isa_override(value, cpu);
    } catch (const SpecError& e) {
      CHECK(e.key() == "REWIRE_ISA");
      return e.what();
    }
    return "(no error)";
  };
  const std::string lacking = message("avx512", avx2_only);
  CHECK_THAT(lacking, Catch::Contains("REWIRE_ISA = \"avx512\"") && Catch::Contains("lacks") &&
                          Catch::Contains("has: scalar, avx2"));
  CHECK_THAT(message("avx2", none), Catch::Contains("\"avx2\"") && Catch::Contains("has: scalar"));
  const std::string unknown = message("AVX2", all);
  CHECK_THAT(unknown, Catch::Contains("REWIRE_ISA = \"AVX2\"") &&
                          Catch::Contains("not one of scalar, avx2, avx512") &&
                          Catch::Contains("this CPU has: scalar, avx2, avx512"));

  // The process's choice is one the CPU has, and kernels refuse one it lacks.
  CHECK(detect_cpu_isas().has(active_isa()));
  for (const Isa isa : {Isa::avx2, Isa::avx512})
    if (!detect_cpu_isas().has(isa)) {
      Matrix Y;
      FixedGemmWorkspace<float> ws;
      CHECK_THROWS_WITH(fixed_linear_forward(Y, Matrix(2, 2), Matrix(2, 2), Vector(2), ws, isa),
                        Catch::Contains("instruction set") && Catch::Contains(to_string(isa)));
    }
}

TEST_CASE("a layer's dense path computes with the fixed-order kernels", "[kernels][dense_gemm][layer]") {
  Rng rng(5);
  const Index batch = 21, in = 33, out = 19;
  MaskedLinear layer(in, out);
  layer.set_kernel_path(KernelPath::dense);
  const Matrix W = wide_matrix<float>(out, in, rng), X = wide_matrix<float>(batch, in, rng);
  const Matrix dY = wide_matrix<float>(batch, out, rng);
  layer.set_weight(W);
  layer.bias() = wide_matrix<float>(out, 1, rng);
  Matrix Y, dX;
  layer.forward(Y, X);
  layer.backward(&dX, dY, X, GradientMode::full);

  Matrix Yw, dXw, dWw;
  Vector dbw;
  FixedGemmWorkspace<float> ws;
  fixed_linear_forward(Yw, X, W, layer.bias(), ws);
  fixed_linear_backward_input(dXw, dY, W, ws);
  fixed_linear_backward_params(dWw, dbw, dY, X, ws);
  CHECK(same_bits(Y, Yw));
  CHECK(same_bits(dX, dXw));
  CHECK(same_bits(layer.weight_grad(), dWw));
  CHECK(same_bits(Matrix(layer.bias_grad()), Matrix(dbw)));
}
