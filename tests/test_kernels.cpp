// test_kernels.cpp - the dense linear kernels against their plain-loop
// references (the sparse kernels have their own test_sparse.cpp), the
// activations, the fused softmax cross-entropy (values computed by hand),
// count_correct, and the modulation kernels (noise, damping) including their
// order inside the network.
#include <catch2/catch.hpp>
#include <rewire/rewire.hpp>

#include "test_helpers.hpp"

#include <cmath>
#include <limits>

using namespace rewire;
using rewire_test::bitwise_equal;
using rewire_test::random_mask;
using rewire_test::random_matrix;
using rewire_test::random_vector;

namespace {

// Largest |got - want| / scale over all entries, where scale is the sum of the
// absolute values of the terms that were added (so the bound is a multiple of
// the unit roundoff, independent of cancellation).
template <typename T>
double max_scaled_error(const MatrixT<T>& got, const MatrixT<T>& want, const MatrixT<double>& scale) {
  REQUIRE(got.rows() == want.rows());
  REQUIRE(got.cols() == want.cols());
  double worst = 0.0;
  for (Index k = 0; k < got.size(); ++k) {
    const double s = std::max(scale.data()[k], 1e-30);
    worst = std::max(worst, std::abs(double(got.data()[k]) - double(want.data()[k])) / s);
  }
  return worst;
}

// sum_i |X(n,i) W(o,i)| + |b(o)|: the magnitude scale of Y(n,o).
template <typename T>
MatrixT<double> forward_scale(const MatrixT<T>& X, const MatrixT<T>& W, const VectorT<T>& b) {
  MatrixT<double> S = X.template cast<double>().cwiseAbs() * W.template cast<double>().cwiseAbs().transpose();
  S.rowwise() += b.template cast<double>().cwiseAbs().transpose();
  return S;
}

}  // namespace

TEMPLATE_TEST_CASE("linear kernels match the plain-loop references", "[kernels][linear]", float, double) {
  using T = TestType;
  // Rounding bound: float sums of <= 64 terms in any order stay within
  // 64 * 2^-24 ~ 4e-6 of the scale; double within 64 * 2^-53.
  const double tol = std::is_same_v<T, float> ? 4e-6 : 1e-14;
  const std::uint64_t seed = 11;
  CAPTURE(seed);
  Rng rng(seed);
  for (const Index batch : {1, 3, 17, 64}) {
    for (const auto& shape : {std::pair<Index, Index>{1, 1}, {5, 3}, {64, 37}}) {
      const Index in = shape.first, out = shape.second;
      CAPTURE(batch, in, out);
      const MatrixT<T> X = random_matrix<T>(batch, in, rng, -2, 2);
      MatrixT<T> W = random_matrix<T>(out, in, rng);
      const MatrixT<T> M = random_mask<T>(out, in, rng, 0.4f);
      W.array() *= M.array();
      const VectorT<T> b = random_vector<T>(out, rng);
      const MatrixT<T> dY = random_matrix<T>(batch, out, rng);

      MatrixT<T> Y, Yref;
      linear_forward(Y, X, W, b);
      linear_forward_naive(Yref, X, W, b);
      CHECK(max_scaled_error(Y, Yref, forward_scale(X, W, b)) < tol);

      MatrixT<T> dX, dXref;
      linear_backward_input(dX, dY, W);
      linear_backward_input_naive(dXref, dY, W);
      const MatrixT<double> sx = dY.template cast<double>().cwiseAbs() * W.template cast<double>().cwiseAbs();
      CHECK(max_scaled_error(dX, dXref, sx) < tol);

      const MatrixT<double> sw = dY.template cast<double>().cwiseAbs().transpose() * X.template cast<double>().cwiseAbs();
      const MatrixT<double> sb = dY.template cast<double>().cwiseAbs().colwise().sum().transpose();
      for (const bool masked : {false, true}) {
        CAPTURE(masked);
        MatrixT<T> dW, dWref;
        VectorT<T> db, dbref;
        linear_backward_params(dW, db, dY, X, masked ? &M : nullptr);
        linear_backward_params_naive(dWref, dbref, dY, X, masked ? &M : nullptr);
        CHECK(max_scaled_error(dW, dWref, sw) < tol);
        CHECK(max_scaled_error(MatrixT<T>(db), MatrixT<T>(dbref), sb) < tol);
        if (masked) {  // masked positions exactly zero
          for (Index k = 0; k < M.size(); ++k)
            if (M.data()[k] == T(0)) REQUIRE(dW.data()[k] == T(0));
        }
      }
    }
  }
}

TEST_CASE("naive linear reference agrees with a hand-computed layer", "[kernels][linear]") {
  // Y = X W^T + b for X = [[1, 2]], W = [[1, 0], [-1, 3], [0.5, 0.5]], b = [0.5, 0, -1]:
  // Y = [1 + 0.5, -1 + 6, 0.5 + 1 - 1] = [1.5, 5, 0.5].
  Matrix X(1, 2);
  X << 1, 2;
  Matrix W(3, 2);
  W << 1, 0, -1, 3, 0.5f, 0.5f;
  Vector b(3);
  b << 0.5f, 0, -1;
  Matrix Y, Yn;
  linear_forward(Y, X, W, b);
  linear_forward_naive(Yn, X, W, b);
  CHECK(Y(0, 0) == 1.5f);
  CHECK(Y(0, 1) == 5.0f);
  CHECK(Y(0, 2) == 0.5f);
  CHECK(bitwise_equal(Y, Yn));
  // dX = dY W with dY = [[1, 1, 2]]: [1 - 1 + 1, 0 + 3 + 1] = [1, 4].
  Matrix dY(1, 3);
  dY << 1, 1, 2;
  Matrix dX;
  linear_backward_input(dX, dY, W);
  CHECK(dX(0, 0) == 1.0f);
  CHECK(dX(0, 1) == 4.0f);
  // dW = dY^T X = [[1, 2], [1, 2], [2, 4]], db = [1, 1, 2].
  Matrix dW;
  Vector db;
  linear_backward_params(dW, db, dY, X);  // no mask: the full gradient
  Matrix dWexp(3, 2);
  dWexp << 1, 2, 1, 2, 2, 4;
  CHECK(dW == dWexp);
  CHECK(db == Vector(dY.row(0).transpose()));
}

TEST_CASE("ReLU forward/backward: max(Z, 0), derivative 0 at 0", "[kernels][activation]") {
  Matrix Z(2, 3);
  Z << -1.5f, 0.0f, 2.0f, 3.0f, -0.0f, -1e-30f;
  Matrix A;
  relu_forward(A, Z);
  Matrix Aexp(2, 3);
  Aexp << 0, 0, 2, 3, 0, 0;
  CHECK(A == Aexp);
  Matrix dA(2, 3);
  dA << 1, 2, 3, 4, 5, 6;
  Matrix dZ;
  relu_backward(dZ, dA, Z);
  Matrix dZexp(2, 3);
  dZexp << 0, 0, 3, 4, 0, 0;  // ReLU'(0) = 0, as in PyTorch
  CHECK(dZ == dZexp);
  // The generic dispatch gives the same.
  Matrix A2, dZ2;
  activation_forward(Activation::relu, A2, Z);
  activation_backward(Activation::relu, dZ2, dA, Z, A2);
  CHECK(A2 == Aexp);
  CHECK(dZ2 == dZexp);
}

TEMPLATE_TEST_CASE("tanh forward/backward against std::tanh", "[kernels][activation]", float, double) {
  using T = TestType;
  // Eigen's vectorised tanh is a rational approximation: a few ulp.
  const double tol = std::is_same_v<T, float> ? 2e-6 : 1e-14;
  Rng rng(13);
  const MatrixT<T> Z = random_matrix<T>(7, 9, rng, -6, 6);
  const MatrixT<T> dA = random_matrix<T>(7, 9, rng);
  MatrixT<T> A, dZ;
  activation_forward(Activation::tanh, A, Z);
  activation_backward(Activation::tanh, dZ, dA, Z, A);
  for (Index k = 0; k < Z.size(); ++k) {
    const double z = double(Z.data()[k]);
    const double t = std::tanh(z);
    CHECK(std::abs(double(A.data()[k]) - t) < tol);
    const double want = double(dA.data()[k]) * (1.0 - t * t);
    CHECK(std::abs(double(dZ.data()[k]) - want) < 4 * tol);
  }
  // Saturation: no NaN for huge inputs.
  MatrixT<T> big(1, 2);
  big << T(1e4), T(-1e4);
  activation_forward(Activation::tanh, A, big);
  CHECK(A(0, 0) == T(1));
  CHECK(A(0, 1) == T(-1));
}

TEST_CASE("activation names round-trip", "[kernels][activation]") {
  CHECK(parse_activation("relu") == Activation::relu);
  CHECK(parse_activation("tanh") == Activation::tanh);
  CHECK(std::string(to_string(Activation::relu)) == "relu");
  CHECK(std::string(to_string(Activation::tanh)) == "tanh");
}

TEST_CASE("softmax cross-entropy on hand-computed cases", "[kernels][loss]") {
  // Every expected value below is computed by hand (or with a pocket
  // calculator: Python's math module) from L = -log softmax(z)_y.
  SECTION("uniform logits") {
    // logits (0, 0, 0, 0), label 2: p = 1/4 each, loss ln 4.
    Matrix logits = Matrix::Zero(1, 4);
    Labels y(1);
    y << 2;
    Matrix P;
    const double loss = softmax_cross_entropy_forward(P, logits, y);
    CHECK(loss == Approx(1.3862943611198906).epsilon(1e-7));  // ln 4
    for (Index c = 0; c < 4; ++c) CHECK(P(0, c) == Approx(0.25).epsilon(1e-7));
  }
  SECTION("logits (1, 2, 3), two rows, labels 0 and 2; and the gradient") {
    // log(e + e^2 + e^3) = 3 + log(1 + e^-1 + e^-2) = 3.40760596444438;
    // -log p0 = 3.40760596444438 - 1 = 2.40760596444438;
    // -log p2 = 3.40760596444438 - 3 = 0.40760596444438;
    // mean = 1.40760596444438.
    // p = (e^-2, e^-1, 1) / (1 + e^-1 + e^-2)
    //   = (0.09003057317038048, 0.2447284710547977, 0.665240955774822).
    Matrix logits(2, 3);
    logits << 1, 2, 3, 1, 2, 3;
    Labels y(2);
    y << 0, 2;
    Matrix P;
    const double loss = softmax_cross_entropy_forward(P, logits, y);
    CHECK(loss == Approx(1.40760596444438).epsilon(1e-7));
    const double p[3] = {0.09003057317038048, 0.2447284710547977, 0.665240955774822};
    for (Index n = 0; n < 2; ++n)
      for (Index c = 0; c < 3; ++c) CHECK(P(n, c) == Approx(p[c]).epsilon(1e-6));
    // dlogits = (P - onehot) / B with B = 2.
    Matrix d;
    softmax_cross_entropy_backward(d, P, y);
    REQUIRE(d.rows() == 2);
    REQUIRE(d.cols() == 3);
    CHECK(d(0, 0) == Approx((p[0] - 1) / 2).epsilon(1e-6));
    CHECK(d(0, 1) == Approx(p[1] / 2).epsilon(1e-6));
    CHECK(d(0, 2) == Approx(p[2] / 2).epsilon(1e-6));
    CHECK(d(1, 0) == Approx(p[0] / 2).epsilon(1e-6));
    CHECK(d(1, 1) == Approx(p[1] / 2).epsilon(1e-6));
    CHECK(d(1, 2) == Approx((p[2] - 1) / 2).epsilon(1e-6));
    // Each row of the gradient sums to 0.
    CHECK(std::abs(d.row(0).sum()) < 1e-7);
    CHECK(std::abs(d.row(1).sum()) < 1e-7);
  }
  SECTION("large logits do not overflow") {
    // (1000, 1001, 1002) is (1, 2, 3) shifted: same loss, same P; a naive
    // exp(1000) would be inf in float and double.
    Matrix logits(1, 3);
    logits << 1000, 1001, 1002;
    Labels y(1);
    y << 0;
    Matrix P;
    const double loss = softmax_cross_entropy_forward(P, logits, y);
    REQUIRE(std::isfinite(loss));
    CHECK(loss == Approx(2.40760596444438).epsilon(1e-6));
    CHECK(P(0, 2) == Approx(0.665240955774822).epsilon(1e-6));
    REQUIRE(P.allFinite());
  }
  SECTION("extreme logits: loss = margin, p exactly 1 and 0") {
    // logits (1e30, 0): p = (1, 0); label 1 costs 1e30 - 0 + log(1 + e^-1e30) = 1e30.
    Matrix logits(2, 2);
    logits << 1e30f, 0.0f, -1e30f, 0.0f;
    Labels y(2);
    y << 1, 1;
    Matrix P;
    const double loss = softmax_cross_entropy_forward(P, logits, y);
    REQUIRE(std::isfinite(loss));
    // Row 0: 1e30; row 1: log(1 + e^-1e30) = 0. Mean 5e29 (1e30f is not exactly 1e30).
    CHECK(loss == Approx(0.5 * double(1e30f)).epsilon(1e-9));
    CHECK(P(0, 0) == 1.0f);
    CHECK(P(0, 1) == 0.0f);
    CHECK(P(1, 0) == 0.0f);
    CHECK(P(1, 1) == 1.0f);
  }
  SECTION("double instantiation gives the same values") {
    MatrixT<double> logits(1, 3);
    logits << 1, 2, 3;
    Labels y(1);
    y << 0;
    MatrixT<double> P;
    CHECK(softmax_cross_entropy_forward(P, logits, y) == Approx(2.40760596444438).epsilon(1e-13));
    CHECK(P(0, 2) == Approx(0.665240955774822).epsilon(1e-13));
  }
}

TEST_CASE("count_correct: arg-max with ties going to the first maximum", "[kernels][loss]") {
  Matrix logits(4, 4);
  logits << 1, 3, 3, 0,      // tie between 1 and 2: prediction 1
      2, 2, 2, 2,            // all equal: prediction 0
      -1, -5, -0.5f, -3,     // prediction 2
      0, 0, 0, 1;            // prediction 3
  Labels y(4);
  y << 1, 0, 2, 3;
  CHECK(count_correct(logits, y) == 4);
  y << 2, 0, 2, 3;  // the second maximum is not the prediction
  CHECK(count_correct(logits, y) == 3);
  y << 1, 3, 2, 3;  // nor is the last of equal values
  CHECK(count_correct(logits, y) == 3);
  y << 0, 1, 1, 0;
  CHECK(count_correct(logits, y) == 0);
}

TEST_CASE("damping forward and backward multiply by d", "[kernels][modulation]") {
  Rng rng(14);
  const Matrix H0 = random_matrix(5, 4, rng);
  Matrix H = H0;
  damping_forward(H, 0.7f);
  for (Index k = 0; k < H.size(); ++k) REQUIRE(H.data()[k] == H0.data()[k] * 0.7f);
  Matrix G = H0;
  damping_backward(G, 0.7f);
  for (Index k = 0; k < G.size(); ++k) REQUIRE(G.data()[k] == H0.data()[k] * 0.7f);
  // d = 1 leaves the values bit-identical.
  Matrix H1 = H0;
  damping_forward(H1, 1.0f);
  damping_backward(H1, 1.0f);
  CHECK(bitwise_equal(H1, H0));
  // double scalar
  MatrixT<double> Hd = H0.cast<double>();
  damping_forward(Hd, 0.5f);
  CHECK(Hd(2, 3) == double(H0(2, 3)) * 0.5);
}

TEST_CASE("noise_forward: sigma * N(0,1) added per entry, no draws when sigma == 0", "[kernels][modulation]") {
  const std::uint64_t key = stream_key(3, Purpose::noise);
  CAPTURE(key);
  Rng rng(15);
  const Matrix H0 = random_matrix(6, 11, rng);  // 66 entries = 2 full rounds + 2

  SECTION("sigma == 0 leaves H and the stream untouched") {
    NoiseSource used(key), fresh(key);
    Matrix H = H0;
    noise_forward(H, 0.0f, used);
    CHECK(bitwise_equal(H, H0));
    MatrixT<double> Hd = H0.cast<double>();
    noise_forward(Hd, 0.0f, used);
    CHECK(Hd == H0.cast<double>());
    // The next draws of `used` are the first draws of a fresh source.
    float a[40], b[40];
    used.fill_normal(a, 40, 1.0f);
    fresh.fill_normal(b, 40, 1.0f);
    CHECK(std::memcmp(a, b, sizeof a) == 0);
  }
  SECTION("sigma > 0 adds sigma * z in column-major order") {
    const float sigma = 0.5f;
    NoiseSource src(key), ref(key);
    Matrix H = H0;
    noise_forward(H, sigma, src);
    Matrix D(6, 11);
    ref.fill_normal(D.data(), D.size(), sigma);  // D = sigma * z exactly
    for (Index k = 0; k < H.size(); ++k) REQUIRE(H.data()[k] == H0.data()[k] + D.data()[k]);
    CHECK(D.cwiseAbs().maxCoeff() > 0.0f);
    // The double path draws the same floats, then widens them.
    NoiseSource srcd(key);
    MatrixT<double> Hd = H0.cast<double>();
    noise_forward(Hd, sigma, srcd);
    for (Index k = 0; k < Hd.size(); ++k)
      REQUIRE(Hd.data()[k] == double(H0.data()[k]) + double(D.data()[k]));
  }
}

TEST_CASE("network forward: activation, then noise, then damping", "[kernels][modulation][mlp]") {
  // A one-hidden-layer float network recomputed by hand. Damping before
  // noise would give d*A + sigma*z instead of d*(A + sigma*z): different by
  // (1 - d) sigma z, far above the tolerance.
  const std::uint64_t seed = 16;
  CAPTURE(seed);
  Rng rng(seed);
  Mlp net({3, 5, 4});
  net.init(rng);
  const Matrix X = random_matrix(7, 3, rng, -2, 2);
  const std::uint64_t key = stream_key(seed, Purpose::noise);
  for (const Activation f : {Activation::relu, Activation::tanh}) {
    CAPTURE(to_string(f));
    net.modulation().activation = f;
    net.modulation().noise_sigma = 0.5f;
    net.modulation().damping = 0.7f;
    NoiseSource noise(key), ref(key);
    const Matrix logits = net.forward(X, &noise);

    Matrix Z, A, N(7, 5), Yref;
    linear_forward_naive(Z, X, net.layer(0).weight(), net.layer(0).bias());
    if (f == Activation::relu) {
      A = Z.cwiseMax(0.0f);
    } else {
      A = Z;
      for (Index k = 0; k < A.size(); ++k) A.data()[k] = std::tanh(Z.data()[k]);
    }
    ref.fill_normal(N.data(), N.size(), 0.5f);
    const Matrix H = (A + N) * 0.7f;
    linear_forward_naive(Yref, H, net.layer(1).weight(), net.layer(1).bias());
    CHECK((logits - Yref).cwiseAbs().maxCoeff() < 1e-5f);
    // ... and it is not the other order.
    const Matrix Hwrong = A * 0.7f + N;
    Matrix Ywrong;
    linear_forward_naive(Ywrong, Hwrong, net.layer(1).weight(), net.layer(1).bias());
    CHECK((logits - Ywrong).cwiseAbs().maxCoeff() > 1e-3f);
  }
}
