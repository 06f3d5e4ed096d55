// test_rnn_gradients.cpp - the recurrent network's forward pass against the
// equations written out independently, and its backprop through time
// against central finite differences in double (BasicRnn<double>), for
// every parameter, over every combination of: ReLU and tanh, internal noise
// off and on (fixed draws), damping 1 and 0.7, Dale's law off and on, masks
// with and without zeros, a loss on one step and on several weighted steps;
// GradientMode::masked and ::full; the sparse kernel path against the dense.
//
// Score of one entry, step and tolerance: tests/finite_differences.hpp.
// Kinks: |.| of Dale's parametrisation is smooth away from 0, so active
// weights are kept at least 1e-2 from 0; inputs are redrawn until every
// pre-activation u_t (noise included) is at least 1e-3 from ReLU's kink.
#include <catch2/catch.hpp>
#include <rewire/rewire.hpp>

#include "finite_differences.hpp"
#include "test_helpers.hpp"

#include <cmath>
#include <limits>
#include <string>

using namespace rewire;
using rewire_test::central_difference;
using rewire_test::kTol;
using rewire_test::random_labels;
using rewire_test::random_mask;
using rewire_test::random_matrix;
using rewire_test::weight_difference;
using rewire_test::Worst;

namespace {

using MatD = MatrixT<double>;
using VecD = VectorT<double>;
using RnnD = BasicRnn<double>;

constexpr Index kIn = 3, kUnits = 5, kOut = 3, kSteps = 4, kBatch = 3;
constexpr std::uint64_t kNoiseKey = 0x5EED0F7E58ull;  // every forward draws the same noise

struct Config {
  Activation f = Activation::relu;
  float sigma = 0.0f;
  float damping = 1.0f;
  bool dale = false;
  bool masked = false;
  bool several_steps = false;
  std::string str() const {
    return std::string(to_string(f)) + " sigma " + std::to_string(sigma) + " damping " + std::to_string(damping) +
           (dale ? " dale" : "") + (masked ? " masked" : "") + (several_steps ? " several steps" : " one step");
  }
};

/// The equations of nn/rnn.hpp with plain loops: effective weights from the
/// declared rule (the first round(f * units) units excitatory), noise read
/// from a fresh NoiseSource(kNoiseKey), (N x units) per step, column-major.
/// Returns the readout of every step (step-major) and the smallest |u_t|.
MatD reference_rnn(const RnnD& net, const MatD& X, Index steps, double* min_abs_u) {
  const Index N = X.rows() / steps, U = net.units();
  VecD sign = VecD::Ones(U);
  if (net.options().dale) {
    const auto excitatory = Index(std::floor(net.options().excitatory_fraction * double(U) + 0.5));
    for (Index j = excitatory; j < U; ++j) sign[j] = -1.0;
  }
  const MatD W_in = net.layer(RnnLayer::input).weight(), W_rec = net.layer(RnnLayer::recurrent).weight(),
             W_out = net.layer(RnnLayer::output).weight();
  const double alpha = net.alpha(), d = net.modulation().damping;
  NoiseSource noise(kNoiseKey);
  MatD h = MatD::Zero(N, U), Y(steps * N, net.out_features());
  *min_abs_u = std::numeric_limits<double>::infinity();
  for (Index t = 0; t < steps; ++t) {
    Matrix draws = Matrix::Zero(N, U);
    if (net.modulation().noise_sigma > 0.0f) noise.add_normal(draws.data(), draws.size(), net.modulation().noise_sigma);
    MatD next(N, U);
    for (Index n = 0; n < N; ++n)
      for (Index o = 0; o < U; ++o) {
        double u = net.layer(RnnLayer::input).bias()[o] + net.layer(RnnLayer::recurrent).bias()[o] + draws(n, o);
        for (Index i = 0; i < X.cols(); ++i) u += X(t * N + n, i) * W_in(o, i);
        for (Index j = 0; j < U; ++j) u += h(n, j) * (net.options().dale ? std::abs(W_rec(o, j)) * sign[j] : W_rec(o, j));
        *min_abs_u = std::min(*min_abs_u, std::abs(u));
        const double phi = net.modulation().activation == Activation::relu ? std::max(u, 0.0) : std::tanh(u);
        next(n, o) = (1.0 - alpha) * h(n, o) + alpha * d * phi;
      }
    h = next;
    for (Index n = 0; n < N; ++n)
      for (Index c = 0; c < net.out_features(); ++c) {
        double y = net.layer(RnnLayer::output).bias()[c];
        for (Index j = 0; j < U; ++j) y += h(n, j) * (net.options().dale ? std::abs(W_out(c, j)) * sign[j] : W_out(c, j));
        Y(t * N + n, c) = y;
      }
  }
  return Y;
}

struct Case {
  RnnD net;
  MatD X;
  Labels y;
  VecD w;  // step weights of the loss
};

Case make_case(const Config& cfg, std::uint64_t seed) {
  Case c;
  RnnOptions options;
  options.alpha = 0.3f;
  options.dale = cfg.dale;
  options.excitatory_fraction = 0.6;  // 3 excitatory, 2 inhibitory units
  c.net = RnnD(kIn, kUnits, kOut, options);
  Rng rng(stream_key(seed, Purpose::init));
  c.net.init(rng);
  for (std::size_t l = 0; l < c.net.num_layers(); ++l) {
    auto& layer = c.net.layer(l);
    MatD M = MatD::Ones(layer.out_features(), layer.in_features());
    if (cfg.masked) {
      M = random_mask<double>(layer.out_features(), layer.in_features(), rng, 0.3f);
      M(0, 0) = 0.0;  // at least one zero per matrix
      M(layer.out_features() - 1, layer.in_features() - 1) = 1.0;
    }
    layer.set_mask(M);
    MatD W = layer.weight();
    for (Index k = 0; k < W.size(); ++k)  // away from |.|'s kink
      if (M.data()[k] != 0.0 && std::abs(W.data()[k]) < 1e-2) W.data()[k] = W.data()[k] < 0 ? -1e-2 : 1e-2;
    layer.set_weight(W);
  }
  c.net.modulation() = Modulation{cfg.f, cfg.sigma, cfg.damping};
  Rng data_rng(stream_key(seed, Purpose::data));
  for (int attempt = 0;; ++attempt) {
    REQUIRE(attempt < 1000);
    c.X = random_matrix<double>(kSteps * kBatch, kIn, data_rng, -2.0f, 2.0f);
    double m = 0.0;
    reference_rnn(c.net, c.X, kSteps, &m);
    if (m > 1e-3) break;
  }
  c.y = random_labels(kBatch, int(kOut), data_rng);
  c.w = VecD::Zero(kSteps);
  if (cfg.several_steps)
    c.w << 0.0, 0.5, 1.0, 2.0;
  else
    c.w[kSteps - 1] = 1.0;
  return c;
}

double loss(RnnD& net, const Case& c) {
  NoiseSource noise(kNoiseKey);
  MatD P;
  return sequence_cross_entropy_forward(P, net.forward(c.X, kSteps, &noise), c.y, c.w);
}

void backward(RnnD& net, const Case& c, GradientMode mode) {
  NoiseSource noise(kNoiseKey);
  MatD P, dY;
  sequence_cross_entropy_forward(P, net.forward(c.X, kSteps, &noise), c.y, c.w);
  sequence_cross_entropy_backward(dY, P, c.y, c.w);
  net.backward(dY, mode);
}

/// FD against the stored analytic gradients of every weight and bias; in
/// masked mode the masked weights must have a gradient of exactly 0 (they
/// are counted in *masked_nonzero otherwise, and skipped). `skip_masked`
/// skips them in full mode too (Dale's law: see the full-mode test).
Worst compare_all(Case& c, bool masked_mode, bool skip_masked, long* masked_nonzero) {
  Worst w;
  const auto f = [&] { return loss(c.net, c); };
  for (std::size_t l = 0; l < c.net.num_layers(); ++l) {
    auto& layer = c.net.layer(l);
    const MatD g = layer.weight_grad();
    const VecD gb = layer.bias_grad();
    const std::string name = c.net.layer_name(l);
    for (Index k = 0; k < g.size(); ++k) {
      if (layer.mask().data()[k] == 0.0 && (masked_mode || skip_masked)) {
        if (masked_mode && g.data()[k] != 0.0) ++*masked_nonzero;
        continue;
      }
      w.add(weight_difference(layer, k, f), g.data()[k], name + ".weight[" + std::to_string(k) + "]");
    }
    for (Index k = 0; k < gb.size(); ++k)
      w.add(central_difference(&layer.bias()[k], f), gb[k], name + ".bias[" + std::to_string(k) + "]");
  }
  return w;
}

std::vector<Config> all_configs() {
  std::vector<Config> out;
  for (Activation f : {Activation::relu, Activation::tanh})
    for (float sigma : {0.0f, 0.4f})
      for (float damping : {1.0f, 0.7f})
        for (bool dale : {false, true})
          for (bool masked : {false, true})
            for (bool several : {false, true}) out.push_back({f, sigma, damping, dale, masked, several});
  return out;
}

}  // namespace

TEST_CASE("rnn forward equals the equations written out", "[rnn][gradients]") {
  std::uint64_t seed = 100;
  for (const Config& cfg : all_configs()) {
    CAPTURE(cfg.str(), seed);
    Case c = make_case(cfg, seed++);
    NoiseSource noise(kNoiseKey);
    const MatD Y = c.net.forward(c.X, kSteps, &noise);
    double m = 0.0;
    const MatD want = reference_rnn(c.net, c.X, kSteps, &m);
    REQUIRE(Y.rows() == want.rows());
    CHECK((Y - want).cwiseAbs().maxCoeff() < 1e-12 * (1.0 + want.cwiseAbs().maxCoeff()));
  }
}

TEST_CASE("rnn BPTT gradients of every parameter vs FD (masked mode)", "[rnn][gradients]") {
  std::uint64_t seed = 200;
  long compared = 0;
  for (const Config& cfg : all_configs()) {
    CAPTURE(cfg.str(), seed);
    Case c = make_case(cfg, seed++);
    backward(c.net, c, GradientMode::masked);
    long masked_nonzero = 0;
    const Worst w = compare_all(c, true, false, &masked_nonzero);
    INFO(w.str());
    CHECK(w.err < kTol);
    CHECK(w.above_floor > 20);  // most gradients are checked in relative terms
    CHECK(masked_nonzero == 0);
    compared += w.compared;
  }
  CHECK(compared > 64 * 40);
}

TEST_CASE("rnn BPTT full gradients vs FD, masked positions included", "[rnn][gradients]") {
  std::uint64_t seed = 300;
  for (const Config& cfg : all_configs()) {
    if (!cfg.masked) continue;
    CAPTURE(cfg.str(), seed);
    Case c = make_case(cfg, seed++);
    backward(c.net, c, GradientMode::full);
    long unused = 0;
    // Under Dale's law a pruned weight sits on |.|'s kink, where the FD is 0
    // and the library's subgradient (sgn(0) = +1) is dL/dW_eff * s: checked
    // in the next test; every other entry against FD here.
    const Worst w = compare_all(c, false, cfg.dale, &unused);
    INFO(w.str());
    CHECK(w.err < kTol);
  }
}

TEST_CASE("rnn under Dale's law: full gradient at pruned positions is s * dL/dW_eff", "[rnn][gradients][dale]") {
  // An unconstrained network whose weights are the effective weights
  // |W| .* s computes the same function; its full gradient at a pruned
  // position is dL/dW_eff there.
  std::uint64_t seed = 400;
  for (Activation f : {Activation::relu, Activation::tanh}) {
    Config cfg;
    cfg.f = f;
    cfg.dale = cfg.masked = cfg.several_steps = true;
    cfg.sigma = 0.4f;
    CAPTURE(cfg.str(), seed);
    Case c = make_case(cfg, seed++);
    Case free = c;
    free.net = RnnD(kIn, kUnits, kOut, RnnOptions{0.3f, false, 0.6});
    free.net.modulation() = c.net.modulation();
    for (std::size_t l = 0; l < c.net.num_layers(); ++l) {
      free.net.layer(l).set_mask(c.net.layer(l).mask());
      free.net.layer(l).set_weight(c.net.layer(l).effective_weight());
      free.net.layer(l).bias() = c.net.layer(l).bias();
    }
    CHECK(loss(free.net, free) == Approx(loss(c.net, c)).epsilon(1e-14));
    backward(c.net, c, GradientMode::full);
    backward(free.net, free, GradientMode::full);
    long pruned = 0;
    for (std::size_t l = 1; l < c.net.num_layers(); ++l) {  // recurrent and output: sign-constrained
      const MatD g = c.net.layer(l).weight_grad(), g_eff = free.net.layer(l).weight_grad();
      const MatD& mask = c.net.layer(l).mask();
      for (Index i = 0; i < g.cols(); ++i)
        for (Index o = 0; o < g.rows(); ++o)
          if (mask(o, i) == 0.0) {
            ++pruned;
            CHECK(g(o, i) == Approx(c.net.unit_signs()[i] * g_eff(o, i)).epsilon(1e-12).margin(1e-15));
          }
    }
    CHECK(pruned > 0);
  }
}

TEST_CASE("rnn sparse kernel path gives the dense path's function and gradients", "[rnn][gradients][sparse]") {
  std::uint64_t seed = 500;
  for (const Config& cfg : all_configs()) {
    if (!cfg.masked || cfg.several_steps) continue;
    CAPTURE(cfg.str(), seed);
    Case dense = make_case(cfg, seed++);
    dense.net.set_kernel_path(KernelPath::dense);
    Case sparse = dense;
    sparse.net.set_kernel_path(KernelPath::sparse);
    REQUIRE(sparse.net.layer(RnnLayer::recurrent).uses_sparse());
    for (GradientMode mode : {GradientMode::masked, GradientMode::full}) {
      backward(dense.net, dense, mode);
      backward(sparse.net, sparse, mode);
      CHECK(loss(sparse.net, sparse) == Approx(loss(dense.net, dense)).epsilon(1e-13));
      for (std::size_t l = 0; l < dense.net.num_layers(); ++l) {
        const MatD a = dense.net.layer(l).weight_grad(), b = sparse.net.layer(l).weight_grad();
        CHECK((a - b).cwiseAbs().maxCoeff() <= 1e-13 * (1.0 + a.cwiseAbs().maxCoeff()));
        CHECK((dense.net.layer(l).bias_grad() - sparse.net.layer(l).bias_grad()).cwiseAbs().maxCoeff() < 1e-13);
      }
    }
  }
}

TEST_CASE("the sequence loss: FD of the logits, weights and averaging", "[rnn][gradients][loss]") {
  Rng rng(600);
  const MatD logits = random_matrix<double>(kSteps * kBatch, kOut, rng, -2.0f, 2.0f);
  const Labels y = random_labels(kBatch, int(kOut), rng);
  VecD w(kSteps);
  w << 0.0, 0.5, 1.0, 2.0;
  MatD P, d;
  // L = (1 / (N W)) sum_t w_t sum_n -log p: from the plain softmax per row.
  double want = 0.0;
  for (Index t = 0; t < kSteps; ++t)
    for (Index n = 0; n < kBatch; ++n) {
      const auto row = logits.row(t * kBatch + n);
      const double lse = std::log(row.array().exp().sum());
      want += w[t] * (lse - row(y[n]));
    }
  want /= double(kBatch) * w.sum();
  CHECK(sequence_cross_entropy_forward(P, logits, y, w) == Approx(want).epsilon(1e-14));
  sequence_cross_entropy_backward(d, P, y, w);
  MatD x = logits;
  Worst worst;
  for (Index k = 0; k < x.size(); ++k) {
    const double fd = central_difference(&x.data()[k], [&] {
      MatD Q;
      return sequence_cross_entropy_forward(Q, x, y, w);
    });
    worst.add(fd, d.data()[k], "logits[" + std::to_string(k) + "]");
  }
  INFO(worst.str());
  CHECK(worst.err < kTol);
  CHECK(d.topRows(kBatch).cwiseAbs().maxCoeff() == 0.0);  // step 0 does not count
}
