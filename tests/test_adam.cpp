// test_adam.cpp - Adam in PyTorch's form (docs/protocol.md, "Training"):
//   t += 1 (once per step, for all tensors)
//   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
//   w -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
// checked against numbers worked out by hand and against an independent
// double-precision re-implementation written here.
#include <catch2/catch.hpp>
#include <rewire/rewire.hpp>

#include "test_helpers.hpp"

#include <cmath>
#include <limits>
#include <vector>

using namespace rewire;
using rewire_test::random_mask;
using rewire_test::random_matrix;

namespace {

/// A parameter tensor owned by the test: values, gradient, optional mask.
struct Tensor {
  Matrix value, grad, mask;
  bool masked = false;
  std::vector<std::int32_t> active;
  std::vector<float> compact_value, compact_grad;
  /// With `use_active`: compact storage of the unmasked entries (values
  /// taken from the dense array on the first call, then the master copy;
  /// the gradient re-read every call). sync() writes the values back.
  ParamRef ref(bool use_active = false) {
    if (!use_active) return ParamRef("t", value.data(), grad.data(), value.size(), masked ? mask.data() : nullptr);
    active.clear();
    for (Index k = 0; k < mask.size(); ++k)
      if (mask.data()[k] != 0.0f) active.push_back(std::int32_t(k));
    if (compact_value.empty())
      for (const std::int32_t k : active) compact_value.push_back(value.data()[k]);
    compact_grad.clear();
    for (const std::int32_t k : active) compact_grad.push_back(grad.data()[k]);
    return ParamRef("t", compact_value.data(), compact_grad.data(), Index(compact_value.size()), nullptr, &active);
  }
  void sync() {
    for (std::size_t q = 0; q < active.size(); ++q) value.data()[active[q]] = compact_value[q];
  }
};

/// Independent double-precision Adam (the formula of docs/protocol.md with the
/// exact decimal betas), masks applied after the update.
struct RefAdam {
  double lr = 0.0, b1 = 0.9, b2 = 0.999, eps = 1e-8;
  long t = 0;
  std::vector<std::vector<double>> m, v;
  void step(std::vector<std::vector<double>>& w, const std::vector<std::vector<double>>& g,
            const std::vector<const Matrix*>& masks) {
    if (m.empty()) {
      for (const auto& x : w) {
        m.emplace_back(x.size(), 0.0);
        v.emplace_back(x.size(), 0.0);
      }
    }
    ++t;
    const double bc1 = 1 - std::pow(b1, double(t)), bc2 = 1 - std::pow(b2, double(t));
    for (std::size_t k = 0; k < w.size(); ++k)
      for (std::size_t j = 0; j < w[k].size(); ++j) {
        m[k][j] = b1 * m[k][j] + (1 - b1) * g[k][j];
        v[k][j] = b2 * v[k][j] + (1 - b2) * g[k][j] * g[k][j];
        w[k][j] -= lr * (m[k][j] / bc1) / (std::sqrt(v[k][j] / bc2) + eps);
        if (masks[k] != nullptr) w[k][j] *= double(masks[k]->data()[j]);
      }
  }
};

std::vector<double> to_vec(const Matrix& M) { return std::vector<double>(M.data(), M.data() + M.size()); }

}  // namespace

TEST_CASE("Adam: two steps worked out by hand", "[adam]") {
  // w = (0.5, -0.3), lr = 0.1, eps = 1e-8.
  // Step 1, g = (0.2, -0.05): m = 0.1 g, v = 0.001 g^2, so m/(1-0.9) = g and
  //   v/(1-0.999) = g^2: w -= 0.1 * g / (|g| + 1e-8)
  //   -> (0.5 - 0.1 * 0.2/0.20000001, -0.3 + 0.1 * 0.05/0.05000001)
  //    = (0.400000005, -0.20000002).
  // Step 2, g = (-0.1, 0): m = 0.9 m + 0.1 g = (0.008, -0.0045),
  //   v = 0.999 v + 0.001 g^2 = (4.996e-5, 2.4975e-6), 1 - 0.9^2 = 0.19,
  //   1 - 0.999^2 = 0.001999.
  //   w0: m^ = 0.008/0.19 = 0.0421052632, v^ = 4.996e-5/0.001999 = 0.0249924962,
  //       sqrt = 0.158090152, m^/sqrt = 0.266337040 -> 0.4 - 0.0266337040 = 0.373366296.
  //   w1: m^ = -0.0045/0.19 = -0.0236842105, v^ = 2.4975e-6/0.001999 = 0.00124937469,
  //       sqrt = 0.0353464947, m^/sqrt = -0.670058254 -> -0.2 + 0.0670058254 = -0.132994175.
  //   (A gradient of exactly 0 still moves w1: the first moment carries on.)
  Tensor t;
  t.value.resize(2, 1);
  t.value << 0.5f, -0.3f;
  t.grad.resize(2, 1);
  Adam adam(AdamOptions{0.1f});
  CHECK(adam.steps() == 0);
  t.grad << 0.2f, -0.05f;
  adam.step({t.ref()});
  CHECK(adam.steps() == 1);
  CHECK(t.value(0) == Approx(0.400000005).margin(2e-7));
  CHECK(t.value(1) == Approx(-0.20000002).margin(2e-7));
  t.grad << -0.1f, 0.0f;
  adam.step({t.ref()});
  CHECK(adam.steps() == 2);
  CHECK(t.value(0) == Approx(0.373366296).margin(5e-7));
  CHECK(t.value(1) == Approx(-0.132994175).margin(5e-7));
}

TEST_CASE("Adam: eps is added after the square root (PyTorch), not inside it", "[adam]") {
  // g = 1e-9 on the first step: w -= lr * 1e-9 / (1e-9 + 1e-8) = lr / 11.
  // (eps inside the root would give lr * 1e-9 / sqrt(1e-18 + 1e-8) ~ lr * 1e-5.)
  Tensor t;
  t.value = Matrix::Constant(1, 1, 1.0f);
  t.grad = Matrix::Constant(1, 1, 1e-9f);
  Adam adam(AdamOptions{0.1f});
  adam.step({t.ref()});
  CHECK(1.0f - t.value(0) == Approx(0.1 / 11).epsilon(1e-5));
}

TEST_CASE("Adam: several steps on several tensors match a double re-implementation", "[adam]") {
  const std::uint64_t seed = 31;
  CAPTURE(seed);
  Rng rng(seed);
  std::vector<Tensor> ts(3);
  ts[0].value = random_matrix(4, 1, rng);
  ts[1].value = random_matrix(3, 1, rng);
  ts[2].value = random_matrix(5, 2, rng);
  ts[2].masked = true;
  ts[2].mask = random_mask(5, 2, rng, 0.4f);
  ts[2].mask(0, 0) = 0.0f;
  ts[2].value.array() *= ts[2].mask.array();
  for (auto& t : ts) t.grad.resizeLike(t.value);

  const float lr = 0.01f;
  Adam adam(AdamOptions{lr});
  RefAdam ref;
  ref.lr = lr;
  std::vector<std::vector<double>> w;
  std::vector<const Matrix*> masks;
  for (auto& t : ts) {
    w.push_back(to_vec(t.value));
    masks.push_back(t.masked ? &t.mask : nullptr);
  }
  for (int s = 0; s < 6; ++s) {
    CAPTURE(s);
    std::vector<std::vector<double>> g;
    std::vector<ParamRef> refs;
    for (auto& t : ts) {
      // Gradients of varying sign and scale, nonzero at masked positions too.
      t.grad = random_matrix(t.value.rows(), t.value.cols(), rng, -1.0f, 1.0f) * (s % 2 == 0 ? 1.0f : 0.01f);
      g.push_back(to_vec(t.grad));
      refs.push_back(t.ref());
    }
    adam.step(refs);
    ref.step(w, g, masks);
    REQUIRE(adam.steps() == s + 1);
    for (std::size_t k = 0; k < ts.size(); ++k)
      for (Index j = 0; j < ts[k].value.size(); ++j) {
        CAPTURE(k, j);
        // |w| <= ~1.1: float rounding of w is ~6e-8 per step; a wrong bias
        // correction or eps placement moves w by ~1e-3 (lr * O(1)).
        REQUIRE(double(ts[k].value.data()[j]) == Approx(w[k][j]).margin(1e-6));
      }
  }
  // Masked entries are exactly zero although their gradients were not.
  for (Index j = 0; j < ts[2].mask.size(); ++j)
    if (ts[2].mask.data()[j] == 0.0f) CHECK(ts[2].value.data()[j] == 0.0f);
}

TEST_CASE("Adam: bias correction is counted once per step, not once per tensor", "[adam]") {
  // Three tensors, one step: each moves by lr * g / (|g| + eps) ~ lr * sign(g),
  // the t = 1 update. (Counting t per tensor would give the third tensor the
  // t = 3 update: lr * (0.1 g / 0.271) / (sqrt(0.001 g^2 / 0.002997) + eps) ~ 0.639 lr.)
  std::vector<Tensor> ts(3);
  for (auto& t : ts) {
    t.value = Matrix::Constant(2, 1, 1.0f);
    t.grad.resize(2, 1);
    t.grad << 0.5f, -2.0f;
  }
  Adam adam(AdamOptions{0.01f});
  adam.step({ts[0].ref(), ts[1].ref(), ts[2].ref()});
  CHECK(adam.steps() == 1);
  for (auto& t : ts) {
    CHECK(t.value(0) == Approx(0.99).margin(1e-7));
    CHECK(t.value(1) == Approx(1.01).margin(1e-7));
  }
}

TEST_CASE("Adam: reset() gives a fresh optimiser", "[adam]") {
  Rng rng(32);
  Tensor a;
  a.value = random_matrix(6, 1, rng);
  a.grad = random_matrix(6, 1, rng);
  Adam adam(AdamOptions{0.05f});
  for (int s = 0; s < 3; ++s) adam.step({a.ref()});
  REQUIRE(adam.steps() == 3);
  Tensor continued = a, reset = a, fresh = a;
  for (Tensor* t : {&continued, &reset, &fresh}) t->grad = -a.grad;  // the gradient flips sign

  Adam cont = adam;  // keeps the moments of the three steps
  cont.step({continued.ref()});
  CHECK(cont.steps() == 4);

  adam.reset();
  CHECK(adam.steps() == 0);
  adam.step({reset.ref()});
  CHECK(adam.steps() == 1);

  Adam brand_new(AdamOptions{0.05f});
  brand_new.step({fresh.ref()});
  CHECK(rewire_test::bitwise_equal(reset.value, fresh.value));
  // The fresh t = 1 step moves every entry by lr * sign(g) = 0.05 against -g,
  // whereas the old moments still point the other way.
  for (Index j = 0; j < 6; ++j) {
    CAPTURE(j);
    CHECK(double(reset.value(j) - a.value(j)) == Approx(a.grad(j) > 0 ? 0.05 : -0.05).margin(1e-6));
  }
  CHECK_FALSE(rewire_test::bitwise_equal(continued.value, reset.value));
}

TEST_CASE("Adam: masks are re-applied after every step", "[adam]") {
  Tensor t;
  t.value.resize(2, 2);
  t.value << 1.0f, 2.0f, 3.0f, 4.0f;  // (0,1) and (1,0) violate the mask on purpose
  t.mask.resize(2, 2);
  t.mask << 1.0f, 0.0f, 0.0f, 1.0f;
  t.masked = true;
  t.grad = Matrix::Constant(2, 2, 0.5f);  // nonzero at masked positions
  Adam adam(AdamOptions{0.1f});
  adam.step({t.ref()});
  CHECK(t.value(0, 1) == 0.0f);
  CHECK(t.value(1, 0) == 0.0f);
  CHECK(t.value(0, 0) == Approx(0.9).margin(1e-6));
  CHECK(t.value(1, 1) == Approx(3.9).margin(1e-6));
  for (int s = 0; s < 5; ++s) {
    t.grad = -t.grad;
    adam.step({t.ref()});
    REQUIRE(t.value(0, 1) == 0.0f);
    REQUIRE(t.value(1, 0) == 0.0f);
  }
}

TEST_CASE("Adam: compact storage of the active entries gives the same result as dense + mask", "[adam]") {
  // At mask densities from 0 (no active entry: an empty compact array) to 1
  // (nothing masked: like an unmasked MaskedLinear, the view carries no mask,
  // only the compact storage).
  const std::uint64_t seed = 33;
  const double density = GENERATE(0.0, 0.1, 0.4, 0.7, 1.0);
  CAPTURE(seed, density);
  Rng rng(seed);
  Tensor dense;
  dense.value = random_matrix(7, 5, rng);
  dense.mask = random_mask(7, 5, rng, float(1.0 - density));
  if (density == 0.0) dense.mask.setZero();
  if (density == 1.0) dense.mask.setOnes();
  dense.masked = density < 1.0;
  dense.value.array() *= dense.mask.array();
  Tensor sparse = dense;
  Tensor bias;  // a second, unmasked tensor in the same list
  bias.value = random_matrix(5, 1, rng);
  Tensor bias2 = bias;
  Adam a(AdamOptions{0.02f}), b(AdamOptions{0.02f});
  for (int s = 0; s < 4; ++s) {
    const Matrix g = random_matrix(7, 5, rng);  // nonzero at masked positions too
    const Matrix gb = random_matrix(5, 1, rng);
    dense.grad = g;
    sparse.grad = g;
    bias.grad = gb;
    bias2.grad = gb;
    a.step({dense.ref(false), bias.ref()});
    b.step({sparse.ref(true), bias2.ref()});
    sparse.sync();
    // Equal values. (Not bitwise: the dense path writes w * 0, which is -0.0
    // where the update made w negative; the compact path leaves +0.0.)
    REQUIRE(dense.value == sparse.value);
    REQUIRE(rewire_test::bitwise_equal(bias.value, bias2.value));
    for (Index k = 0; k < dense.mask.size(); ++k)
      if (dense.mask.data()[k] != 0.0f) REQUIRE(std::memcmp(&dense.value.data()[k], &sparse.value.data()[k], 4) == 0);
  }
  // The compact path did update the unmasked entries (and wrote them back).
  CHECK((sparse.value.array() != 0.0f).count() == (dense.mask.array() != 0.0f).count());
}

TEST_CASE("Adam on a network's parameters keeps pruned weights at zero", "[adam][mlp]") {
  Rng rng(34);
  Mlp net({3, 6, 2});
  net.init(rng);
  Matrix M = random_mask(6, 3, rng, 0.5f);
  M(0, 0) = 0.0f;
  net.layer(0).set_mask(M);
  const Matrix X = random_matrix(5, 3, rng);
  Labels y(5);
  y << 0, 1, 1, 0, 1;
  Adam adam(AdamOptions{0.1f});
  Matrix P, d;
  for (int s = 0; s < 5; ++s) {
    softmax_cross_entropy_forward(P, net.forward(X, nullptr), y);
    softmax_cross_entropy_backward(d, P, y);
    net.backward(d, GradientMode::full);  // full: nonzero gradients at pruned positions
    adam.step(net.parameters());
  }
  for (Index k = 0; k < M.size(); ++k)
    if (M.data()[k] == 0.0f) REQUIRE(net.layer(0).weight().data()[k] == 0.0f);
}

TEST_CASE("Adam: invalid options and inconsistent parameter lists throw", "[adam][errors]") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  using Catch::Matchers::Contains;
  for (const float lr : {0.0f, -1e-3f, nan, inf}) {
    CAPTURE(lr);
    CHECK_THROWS_AS(Adam(AdamOptions{lr}), std::invalid_argument);
    CHECK_THROWS_WITH(Adam(AdamOptions{lr}), Contains("lr"));
  }
  for (const float b1 : {1.0f, -0.1f, nan}) {
    AdamOptions o;
    o.beta1 = b1;
    CAPTURE(b1);
    CHECK_THROWS_WITH(Adam(o), Contains("beta1"));
  }
  for (const float b2 : {1.0f, 1.5f, nan}) {
    AdamOptions o;
    o.beta2 = b2;
    CAPTURE(b2);
    CHECK_THROWS_WITH(Adam(o), Contains("beta2"));
  }
  for (const float eps : {0.0f, -1e-8f, nan}) {
    AdamOptions o;
    o.eps = eps;
    CAPTURE(eps);
    CHECK_THROWS_WITH(Adam(o), Contains("eps"));
  }
  CHECK_NOTHROW(Adam(AdamOptions{}));

  Tensor a, b;
  a.value = Matrix::Ones(3, 1);
  a.grad = Matrix::Ones(3, 1);
  b = a;
  Adam adam;
  adam.step({a.ref()});
  CHECK_THROWS_AS(adam.step({a.ref(), b.ref()}), std::invalid_argument);
  Tensor c;
  c.value = Matrix::Ones(4, 1);
  c.grad = Matrix::Ones(4, 1);
  CHECK_THROWS_AS(adam.step({c.ref()}), std::invalid_argument);
}
