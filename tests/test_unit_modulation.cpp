// test_unit_modulation.cpp - cell-type-specific (per-unit) modulation: the
// Mlp's and the Rnn's forward under a per-unit Modulation against the
// equations written out with plain loops, their backward passes against
// central finite differences in double (units of both activations, several
// dampings and noise scales, internal noise on with fixed draws, masks with
// zeros, GradientMode::full), the per-unit kernels against the uniform fast
// path when every unit agrees, and the bookkeeping of the two forms
// (modulate_units, reset, checkpoints).
//
// Score of one entry, step and tolerance: tests/finite_differences.hpp.
// Kinks: inputs are redrawn until every pre-activation of a ReLU unit is at
// least 1e-3 from 0.
#include <catch2/catch.hpp>
#include <rewire/rewire.hpp>

#include "finite_differences.hpp"
#include "test_helpers.hpp"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

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
constexpr std::uint64_t kNoiseKey = 0x5EED0F7E59ull;  // every forward draws the same noise

/// Per-unit state of `width` units cycling through tanh/ReLU, dampings
/// {1, 0.7, 0.4} and noise scales {1, 0, 2.5}: every combination occurs.
UnitModulation mixed_units(Index width) {
  UnitModulation u;
  const float dampings[] = {1.0f, 0.7f, 0.4f}, scales[] = {1.0f, 0.0f, 2.5f};
  for (Index j = 0; j < width; ++j) {
    u.tanh.push_back(j % 2 == 1);
    u.damping.push_back(dampings[j % 3]);
    u.noise_scale.push_back(scales[(j / 2) % 3]);
  }
  return u;
}

/// The largest |a - b| over two matrices of one shape.
template <class A, class B>
double max_abs_difference(const A& a, const B& b) {
  REQUIRE(a.rows() == b.rows());
  REQUIRE(a.cols() == b.cols());
  return (a.template cast<double>() - b.template cast<double>()).cwiseAbs().maxCoeff();
}

// --- the Mlp ---------------------------------------------------------------------

using MlpD = BasicMlp<double>;

/// H[:, j] = d_j (f_j(Z[:, j]) + sigma s_j N[:, j]) with plain loops, N the
/// draws of a fresh NoiseSource(kNoiseKey) for a whole (batch x width) block
/// per hidden layer; the smallest |Z| of a ReLU unit in *min_relu_z.
MatD reference_mlp(const MlpD& net, const MatD& X, double* min_relu_z) {
  NoiseSource noise(kNoiseKey);
  const Modulation& m = net.modulation();
  MatD h = X;
  *min_relu_z = std::numeric_limits<double>::infinity();
  for (std::size_t l = 0; l < net.num_layers(); ++l) {
    const auto& layer = net.layer(l);
    MatD Z(h.rows(), layer.out_features());
    for (Index n = 0; n < h.rows(); ++n)
      for (Index o = 0; o < Z.cols(); ++o) {
        double z = layer.bias()[o];
        for (Index i = 0; i < h.cols(); ++i) z += h(n, i) * layer.weight()(o, i);
        Z(n, o) = z;
      }
    if (l + 1 == net.num_layers()) return Z;
    const UnitModulation& u = m.units.at(l);
    Matrix draws = Matrix::Zero(Z.rows(), Z.cols());
    if (m.noise_sigma > 0.0f) noise.add_normal(draws.data(), draws.size(), m.noise_sigma);
    MatD H(Z.rows(), Z.cols());
    for (Index n = 0; n < Z.rows(); ++n)
      for (Index j = 0; j < Z.cols(); ++j) {
        const double z = Z(n, j);
        if (!u.tanh[std::size_t(j)]) *min_relu_z = std::min(*min_relu_z, std::abs(z));
        const double a = u.tanh[std::size_t(j)] ? std::tanh(z) : std::max(z, 0.0);
        H(n, j) = double(u.damping[std::size_t(j)]) * (a + double(draws(n, j)) * double(u.noise_scale[std::size_t(j)]));
      }
    h = H;
  }
  return h;
}

struct MlpCase {
  MlpD net{std::vector<Index>{3, 7, 6, 4}};
  MatD X;
  Labels y;
};

MlpCase make_mlp_case(std::uint64_t seed, float sigma) {
  MlpCase c;
  Rng rng(stream_key(seed, Purpose::init));
  c.net.init(rng);
  for (std::size_t l = 0; l < c.net.num_layers(); ++l) {
    auto& layer = c.net.layer(l);
    MatD M = random_mask<double>(layer.out_features(), layer.in_features(), rng, 0.3f);
    M(0, 0) = 0.0;
    M(layer.out_features() - 1, layer.in_features() - 1) = 1.0;
    layer.set_mask(M);
  }
  c.net.modulation().noise_sigma = sigma;
  for (Index w : c.net.hidden_widths()) c.net.modulation().units.push_back(mixed_units(w));
  Rng data_rng(stream_key(seed, Purpose::data));
  for (int attempt = 0;; ++attempt) {
    REQUIRE(attempt < 1000);
    c.X = random_matrix<double>(6, 3, data_rng, -2.0f, 2.0f);
    double m = 0.0;
    reference_mlp(c.net, c.X, &m);
    if (m > 1e-3) break;
  }
  c.y = random_labels(6, 4, data_rng);
  return c;
}

double mlp_loss(MlpD& net, const MlpCase& c) {
  NoiseSource noise(kNoiseKey);
  MatD P;
  return softmax_cross_entropy_forward(P, net.forward(c.X, &noise), c.y);
}

void mlp_backward(MlpD& net, const MlpCase& c) {
  NoiseSource noise(kNoiseKey);
  MatD P, d;
  softmax_cross_entropy_forward(P, net.forward(c.X, &noise), c.y);
  softmax_cross_entropy_backward(d, P, c.y);
  net.backward(d, GradientMode::full);
}

template <class Net, class Case, class Loss>
Worst compare_gradients(Net& net, const Case& c, Loss&& loss) {
  Worst w;
  const auto f = [&] { return loss(net, c); };
  for (std::size_t l = 0; l < net.num_layers(); ++l) {
    auto& layer = net.layer(l);
    const MatD g = layer.weight_grad();
    const VectorT<double> gb = layer.bias_grad();
    for (Index k = 0; k < g.size(); ++k)
      w.add(weight_difference(layer, k, f), g.data()[k], net.layer_name(l) + ".weight[" + std::to_string(k) + "]");
    for (Index k = 0; k < gb.size(); ++k)
      w.add(central_difference(&layer.bias()[k], f), gb[k], net.layer_name(l) + ".bias[" + std::to_string(k) + "]");
  }
  return w;
}

// --- the Rnn ---------------------------------------------------------------------

using RnnD = BasicRnn<double>;
constexpr Index kIn = 3, kUnits = 6, kOut = 3, kSteps = 4, kBatch = 3;

/// u_t = x_t W_in^T + b_in + h_{t-1} W_rec^T + b_rec + sigma s_j n_t,
/// h_t = (1 - alpha) h_{t-1} + alpha d_j phi_j(u_t), y_t = h_t W_out^T + b_out,
/// with plain loops (no Dale's law); the smallest |u| of a ReLU unit.
MatD reference_rnn(const RnnD& net, const MatD& X, double* min_relu_u) {
  const Index N = X.rows() / kSteps, U = net.units();
  const Modulation& m = net.modulation();
  const UnitModulation& um = m.units.front();
  const auto& in = net.layer(RnnLayer::input);
  const auto& rec = net.layer(RnnLayer::recurrent);
  const auto& out = net.layer(RnnLayer::output);
  NoiseSource noise(kNoiseKey);
  MatD h = MatD::Zero(N, U), Y(kSteps * N, net.out_features());
  *min_relu_u = std::numeric_limits<double>::infinity();
  for (Index t = 0; t < kSteps; ++t) {
    Matrix draws = Matrix::Zero(N, U);
    if (m.noise_sigma > 0.0f) noise.add_normal(draws.data(), draws.size(), m.noise_sigma);
    MatD next(N, U);
    for (Index n = 0; n < N; ++n)
      for (Index o = 0; o < U; ++o) {
        double u = in.bias()[o] + rec.bias()[o] + double(draws(n, o)) * double(um.noise_scale[std::size_t(o)]);
        for (Index i = 0; i < X.cols(); ++i) u += X(t * N + n, i) * in.weight()(o, i);
        for (Index j = 0; j < U; ++j) u += h(n, j) * rec.weight()(o, j);
        if (!um.tanh[std::size_t(o)]) *min_relu_u = std::min(*min_relu_u, std::abs(u));
        const double phi = um.tanh[std::size_t(o)] ? std::tanh(u) : std::max(u, 0.0);
        next(n, o) = (1.0 - net.alpha()) * h(n, o) + net.alpha() * double(um.damping[std::size_t(o)]) * phi;
      }
    h = next;
    for (Index n = 0; n < N; ++n)
      for (Index c = 0; c < net.out_features(); ++c) {
        double y = out.bias()[c];
        for (Index j = 0; j < U; ++j) y += h(n, j) * out.weight()(c, j);
        Y(t * N + n, c) = y;
      }
  }
  return Y;
}

struct RnnCase {
  RnnD net;
  MatD X;
  Labels y;
  VectorT<double> w;  // step weights of the loss
};

RnnCase make_rnn_case(std::uint64_t seed, float sigma) {
  RnnCase c;
  RnnOptions options;
  options.alpha = 0.3f;
  c.net = RnnD(kIn, kUnits, kOut, options);
  Rng rng(stream_key(seed, Purpose::init));
  c.net.init(rng);
  for (std::size_t l = 0; l < c.net.num_layers(); ++l) {
    auto& layer = c.net.layer(l);
    MatD M = random_mask<double>(layer.out_features(), layer.in_features(), rng, 0.3f);
    M(layer.out_features() - 1, layer.in_features() - 1) = 1.0;
    layer.set_mask(M);
  }
  c.net.modulation().noise_sigma = sigma;
  c.net.modulation().units = {mixed_units(kUnits)};
  Rng data_rng(stream_key(seed, Purpose::data));
  for (int attempt = 0;; ++attempt) {
    REQUIRE(attempt < 1000);
    c.X = random_matrix<double>(kSteps * kBatch, kIn, data_rng, -2.0f, 2.0f);
    double m = 0.0;
    reference_rnn(c.net, c.X, &m);
    if (m > 1e-3) break;
  }
  c.y = random_labels(kBatch, int(kOut), data_rng);
  c.w = VectorT<double>::Zero(kSteps);
  c.w << 0.0, 0.5, 1.0, 2.0;
  return c;
}

double rnn_loss(RnnD& net, const RnnCase& c) {
  NoiseSource noise(kNoiseKey);
  MatD P;
  return sequence_cross_entropy_forward(P, net.forward(c.X, kSteps, &noise), c.y, c.w);
}

void rnn_backward(RnnD& net, const RnnCase& c) {
  NoiseSource noise(kNoiseKey);
  MatD P, dY;
  sequence_cross_entropy_forward(P, net.forward(c.X, kSteps, &noise), c.y, c.w);
  sequence_cross_entropy_backward(dY, P, c.y, c.w);
  net.backward(dY, GradientMode::full);
}

/// The same network with every unit in the state `u` (tanh or not, damping
/// d, noise scale 1), once in per-unit form and once uniform.
template <class Net>
std::pair<Net, Net> per_unit_and_uniform(const Net& net, bool tanh, float d) {
  Net per_unit = net, uniform = net;
  per_unit.modulation().units.clear();
  for (Index w : net.hidden_widths())
    per_unit.modulation().units.push_back(UnitModulation{std::vector<unsigned char>(std::size_t(w), tanh),
                                                         std::vector<float>(std::size_t(w), d),
                                                         std::vector<float>(std::size_t(w), 1.0f)});
  uniform.modulation().units.clear();
  uniform.modulation().activation = tanh ? Activation::tanh : Activation::relu;
  uniform.modulation().damping = d;
  return {per_unit, uniform};
}

}  // namespace

TEST_CASE("per-unit Mlp: forward equals the equations, gradients vs FD", "[unit_modulation][gradients]") {
  const float sigma = GENERATE(0.0f, 0.4f);
  CAPTURE(sigma);
  MlpCase c = make_mlp_case(31, sigma);
  double min_z = 0.0;
  const MatD ref = reference_mlp(c.net, c.X, &min_z);
  NoiseSource noise(kNoiseKey);
  REQUIRE(max_abs_difference(ref, c.net.forward(c.X, &noise)) < 1e-12);
  mlp_backward(c.net, c);
  const Worst w = compare_gradients(c.net, c, mlp_loss);
  INFO(w.str());
  CHECK(w.err < kTol);
  CHECK(w.above_floor > 40);
}

TEST_CASE("per-unit Rnn: forward equals the equations, BPTT gradients vs FD", "[unit_modulation][rnn][gradients]") {
  const float sigma = GENERATE(0.0f, 0.4f);
  CAPTURE(sigma);
  RnnCase c = make_rnn_case(32, sigma);
  double min_u = 0.0;
  const MatD ref = reference_rnn(c.net, c.X, &min_u);
  NoiseSource noise(kNoiseKey);
  REQUIRE(max_abs_difference(ref, c.net.forward(c.X, kSteps, &noise)) < 1e-12);
  rnn_backward(c.net, c);
  const Worst w = compare_gradients(c.net, c, rnn_loss);
  INFO(w.str());
  CHECK(w.err < kTol);
  CHECK(w.above_floor > 40);
}

TEST_CASE("per-unit kernels agree with the uniform fast path when every unit agrees", "[unit_modulation][kernels]") {
  const bool tanh = GENERATE(false, true);
  const float d = GENERATE(1.0f, 0.7f);
  CAPTURE(tanh, d);
  SECTION("Mlp, float, noise on: outputs and gradients") {
    Mlp base({2, 32, 24, 4});
    Rng rng(stream_key(5, Purpose::init));
    base.init(rng);
    base.modulation().noise_sigma = 0.5f;
    const Matrix X = random_matrix(40, 2, rng, -3.0f, 3.0f);
    const Labels y = random_labels(40, 4, rng);
    auto [a, b] = per_unit_and_uniform(base, tanh, d);
    REQUIRE(a.modulation().per_unit());
    REQUIRE_FALSE(b.modulation().per_unit());
    const auto grads = [&](Mlp& net) {
      NoiseSource noise(kNoiseKey);
      Matrix P, dl;
      const Matrix logits = net.forward(X, &noise);
      softmax_cross_entropy_forward(P, logits, y);
      softmax_cross_entropy_backward(dl, P, y);
      net.backward(dl);
      return logits;
    };
    const Matrix la = grads(a);
    std::vector<Matrix> ga;
    for (std::size_t l = 0; l < a.num_layers(); ++l) ga.push_back(a.layer(l).weight_grad());
    const Matrix lb = grads(b);
    CHECK(max_abs_difference(la, lb) < 1e-5);
    for (std::size_t l = 0; l < b.num_layers(); ++l) {
      INFO("layer " << l);
      CHECK(max_abs_difference(ga[l], b.layer(l).weight_grad()) <= 1e-5 * (1.0 + ga[l].cwiseAbs().maxCoeff()));
    }
  }
  SECTION("Rnn, float, noise on: readout and gradients") {
    Rnn base(3, 20, 3, RnnOptions{0.25f, false, 0.8});
    Rng rng(stream_key(6, Purpose::init));
    base.init(rng);
    base.modulation().noise_sigma = 0.3f;
    const Matrix X = random_matrix(5 * 8, 3, rng, -2.0f, 2.0f);
    const Labels y = random_labels(8, 3, rng);
    VectorT<float> w = VectorT<float>::Zero(5);
    w[4] = 1.0f;
    auto [a, b] = per_unit_and_uniform(base, tanh, d);
    const auto run = [&](Rnn& net) {
      NoiseSource noise(kNoiseKey);
      Matrix P, dY;
      const Matrix Y = net.forward(X, 5, &noise);
      sequence_cross_entropy_forward(P, Y, y, w);
      sequence_cross_entropy_backward(dY, P, y, w);
      net.backward(dY);
      return Y;
    };
    const Matrix ya = run(a);
    std::vector<Matrix> ga;
    for (std::size_t l = 0; l < a.num_layers(); ++l) ga.push_back(a.layer(l).weight_grad());
    const Matrix yb = run(b);
    CHECK(max_abs_difference(ya, yb) < 1e-5);
    for (std::size_t l = 0; l < b.num_layers(); ++l) {
      INFO("matrix " << l);
      CHECK(max_abs_difference(ga[l], b.layer(l).weight_grad()) <= 1e-5 * (1.0 + ga[l].cwiseAbs().maxCoeff()));
    }
  }
}

TEST_CASE("modulate_units: subsets go per unit, agreement collapses to the uniform form", "[unit_modulation]") {
  Modulation m;
  const std::vector<Index> widths{4, 3};
  UnitSelection some{{1, 0, 0, 1}, {0, 1, 0}};
  modulate_units(m, widths, UnitChange{Activation::tanh, 0.7f, std::nullopt}, some);
  REQUIRE(m.per_unit());
  CHECK(m.units[0].tanh == std::vector<unsigned char>{1, 0, 0, 1});
  CHECK(m.units[0].damping == std::vector<float>{0.7f, 1.0f, 1.0f, 0.7f});
  CHECK(m.units[1].noise_scale == std::vector<float>{1.0f, 1.0f, 1.0f});
  // The same change for the other units: every unit agrees again.
  UnitSelection rest{{0, 1, 1, 0}, {1, 0, 1}};
  modulate_units(m, widths, UnitChange{Activation::tanh, 0.7f, std::nullopt}, rest);
  CHECK_FALSE(m.per_unit());
  CHECK(m.activation == Activation::tanh);
  CHECK(m.damping == 0.7f);
  // A noise scale on every unit needs the per-unit form; reset ends it.
  modulate_units(m, widths, UnitChange{std::nullopt, std::nullopt, 0.5f});
  REQUIRE(m.per_unit());
  CHECK(m.units[1].tanh == std::vector<unsigned char>{1, 1, 1});
  m.noise_sigma = 0.2f;
  reset_modulation(m);
  CHECK(m == Modulation{Activation::relu, 0.2f, 1.0f, {}});
  // A uniform change of a uniform state stays uniform.
  modulate_units(m, widths, UnitChange{std::nullopt, 0.3f, std::nullopt});
  CHECK_FALSE(m.per_unit());
  CHECK(m.damping == 0.3f);
  CHECK_THROWS_AS(modulate_units(m, widths, UnitChange{std::nullopt, -1.0f, std::nullopt}), std::invalid_argument);
  CHECK_THROWS_AS(modulate_units(m, widths, UnitChange{Activation::tanh, {}, {}}, UnitSelection{{1, 0}}),
                  std::invalid_argument);
}

TEST_CASE("a per-unit modulation must fit the network", "[unit_modulation][errors]") {
  Mlp net({2, 5, 3});
  Rng rng(1);
  net.init(rng);
  net.modulation().units = {UnitModulation{{1, 0, 1}, {1, 1, 1}, {1, 1, 1}}};  // 3 units, the layer has 5
  const Matrix X = Matrix::Zero(2, 2);
  CHECK_THROWS_AS(net.forward(X, nullptr), std::invalid_argument);
  net.modulation().units = {UnitModulation{{1, 0, 1, 0, 0}, {1, 1, -1, 1, 1}, {1, 1, 1, 1, 1}}};  // damping < 0
  CHECK_THROWS_AS(net.forward(X, nullptr), std::invalid_argument);
}

TEST_CASE("a per-unit modulation survives a checkpoint", "[unit_modulation][checkpoint]") {
  Mlp net({2, 6, 5, 3});
  Rng rng(2);
  net.init(rng);
  net.modulation().units = {mixed_units(6), mixed_units(5)};
  io::Checkpoint c;
  c.net = net;
  const io::Checkpoint back = io::parse_checkpoint(io::checkpoint_bytes(c));
  CHECK(back.net.modulation() == net.modulation());
  // A uniform modulation writes no per-unit entry: the files of unmodulated
  // networks are as they always were.
  c.net.modulation().units.clear();
  CHECK(io::checkpoint_bytes(c).find("noise_scale") == std::string::npos);
}
