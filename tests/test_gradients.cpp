// test_gradients.cpp - analytic gradients against central finite differences,
// in double precision: every kernel/layer (linear input Jacobian and
// parameter gradients, activations, damping), the softmax cross-entropy, and
// the whole network (widths {3, 7, 5, 4}, batch 6) with ReLU and tanh, noise
// off and on, damping 0.7, masks with zeros, GradientMode::full and
// ::masked; and the float network's dense and sparse paths against it.
//
// Score of one entry, step and tolerance: tests/finite_differences.hpp.
#include <catch2/catch.hpp>
#include <rewire/rewire.hpp>

#include "finite_differences.hpp"
#include "test_helpers.hpp"

#include <cmath>
#include <functional>
#include <limits>
#include <sstream>
#include <string>

using namespace rewire;
using rewire_test::random_labels;
using rewire_test::random_mask;
using rewire_test::random_matrix;

namespace {

using MatD = MatrixT<double>;
using VecD = VectorT<double>;
using Net = BasicMlp<double>;
using LayerD = BasicMaskedLinear<double>;

using rewire_test::central_difference;
using rewire_test::kFloor;
using rewire_test::kTol;
using rewire_test::weight_difference;
using rewire_test::Worst;

/// sum(R .* Y): a scalar function whose gradient with respect to Y is R.
double contract(const MatD& R, const MatD& Y) { return (R.array() * Y.array()).sum(); }

// --- the whole network -----------------------------------------------------

// Internal noise: every forward below draws from a NoiseSource made afresh
// from this key, so every evaluation of the loss (each side of every central
// difference, and the forward before a backward) sees the same draws: the
// noise is then a fixed additive term and the loss a smooth function of the
// parameters. With sigma 0 nothing is drawn.
constexpr std::uint64_t kNoiseKey = 0x5EED0F7E57ull;

double network_loss(Net& net, const MatD& X, const Labels& y) {
  NoiseSource noise(kNoiseKey);
  MatD P;
  return softmax_cross_entropy_forward(P, net.forward(X, &noise), y);
}

void network_backward(Net& net, const MatD& X, const Labels& y, GradientMode mode) {
  NoiseSource noise(kNoiseKey);
  MatD P, d;
  softmax_cross_entropy_forward(P, net.forward(X, &noise), y);
  softmax_cross_entropy_backward(d, P, y);
  net.backward(d, mode);
}

/// The forward pass recomputed from the weights with plain Eigen, H = d (f(Z)
/// + sigma N) with N read from a fresh NoiseSource(kNoiseKey), one (batch x
/// width) block per hidden layer in column-major order: returns the logits
/// and the smallest |pre-activation| of any hidden unit and sample; counts in
/// *noise_opened the entries where ReLU is off (Z < 0) but the noisy output
/// is positive (where a gate read from the noisy output would be wrong).
MatD reference_forward(const Net& net, const MatD& X, double* min_abs_z, long* noise_opened = nullptr) {
  NoiseSource noise(kNoiseKey);
  const float sigma = net.modulation().noise_sigma;
  MatD h = X;
  double m = std::numeric_limits<double>::infinity();
  if (noise_opened != nullptr) *noise_opened = 0;
  for (std::size_t l = 0; l < net.num_layers(); ++l) {
    MatD Z = h * net.layer(l).weight().transpose();
    Z.rowwise() += net.layer(l).bias().transpose();
    if (l + 1 == net.num_layers()) {
      if (min_abs_z != nullptr) *min_abs_z = m;
      return Z;
    }
    m = std::min(m, Z.cwiseAbs().minCoeff());
    MatD A = Z;
    for (Index k = 0; k < A.size(); ++k)
      A.data()[k] = net.modulation().activation == Activation::relu ? std::max(Z.data()[k], 0.0)
                                                                       : std::tanh(Z.data()[k]);
    if (sigma > 0.0f) {  // float draws (the generator is float), widened
      Matrix draws = Matrix::Zero(A.rows(), A.cols());
      noise.add_normal(draws.data(), draws.size(), sigma);
      A += draws.cast<double>();
    }
    if (noise_opened != nullptr)
      for (Index k = 0; k < A.size(); ++k) *noise_opened += Z.data()[k] < 0.0 && A.data()[k] > 0.0;
    h = A * double(net.modulation().damping);
  }
  return h;
}

/// A {3, 7, 5, 4} network (PyTorch init), masks with ~30% zeros in every
/// layer, damping 0.7, internal noise `sigma` (default off); and a batch of 6
/// inputs whose hidden pre-activations all stay >= 1e-3 away from 0 (with
/// the noise draws of kNoiseKey, which shift the deeper layers' inputs).
struct NetworkCase {
  Net net{std::vector<Index>{3, 7, 5, 4}};
  MatD X;
  Labels y;
};

NetworkCase make_network_case(Activation f, std::uint64_t seed, float sigma = 0.0f) {
  NetworkCase c;
  Rng rng(stream_key(seed, Purpose::init));
  c.net.init(rng);
  for (std::size_t l = 0; l < c.net.num_layers(); ++l) {
    auto& layer = c.net.layer(l);
    MatD M = random_mask<double>(layer.out_features(), layer.in_features(), rng, 0.3f);
    M(0, 0) = 0.0;  // at least one zero per layer
    M(layer.out_features() - 1, layer.in_features() - 1) = 1.0;
    layer.set_mask(M);
  }
  c.net.modulation().activation = f;
  c.net.modulation().damping = 0.7f;
  c.net.modulation().noise_sigma = sigma;
  // Inputs: resample the batch until no pre-activation is near a ReLU kink
  // (same rule for tanh, so both activations see the same kind of input).
  Rng data_rng(stream_key(seed, Purpose::data));
  for (int attempt = 0;; ++attempt) {
    REQUIRE(attempt < 1000);
    c.X = random_matrix<double>(6, 3, data_rng, -2.0f, 2.0f);
    double m = 0.0;
    reference_forward(c.net, c.X, &m);
    if (m > 1e-3) break;
  }
  c.y = random_labels(6, 4, data_rng);
  return c;
}

/// Finite-difference gradient of the loss with respect to every weight (all
/// positions, masked ones included) and every bias of every layer.
void network_fd(Net& net, const MatD& X, const Labels& y, std::vector<MatD>& fdW, std::vector<VecD>& fdb) {
  fdW.clear();
  fdb.clear();
  const auto loss = [&] { return network_loss(net, X, y); };
  for (std::size_t l = 0; l < net.num_layers(); ++l) {
    LayerD& layer = net.layer(l);
    VecD& b = layer.bias();
    MatD gW(layer.out_features(), layer.in_features());
    VecD gb(b.size());
    for (Index k = 0; k < gW.size(); ++k) gW.data()[k] = weight_difference(layer, k, loss);
    for (Index k = 0; k < b.size(); ++k) gb[k] = central_difference(&b[k], loss);
    fdW.push_back(gW);
    fdb.push_back(gb);
  }
}

/// Compares the analytic gradients stored in `net` with FD ones.
/// masked_mode: masked positions must be exactly 0 (counted in *masked_nonzero otherwise).
Worst compare_network(const Net& net, const std::vector<MatD>& fdW, const std::vector<VecD>& fdb,
                      bool masked_mode, long* masked_nonzero) {
  Worst w;
  for (std::size_t l = 0; l < net.num_layers(); ++l) {
    const auto& layer = net.layer(l);
    const MatD gW = layer.weight_grad();
    for (Index k = 0; k < gW.size(); ++k) {
      const double g = gW.data()[k];
      if (masked_mode && layer.mask().data()[k] == 0.0) {
        if (g != 0.0) ++*masked_nonzero;
        continue;
      }
      w.add(fdW[l].data()[k], g, "layer" + std::to_string(l + 1) + ".weight[" + std::to_string(k) + "]");
    }
    for (Index k = 0; k < layer.bias().size(); ++k)
      w.add(fdb[l][k], layer.bias_grad()[k], "layer" + std::to_string(l + 1) + ".bias[" + std::to_string(k) + "]");
  }
  return w;
}

}  // namespace

// ---------------------------------------------------------------------------

TEST_CASE("masked linear layer: input Jacobian and parameter gradients vs FD", "[gradients][layer]") {
  const std::uint64_t seed = 21;
  CAPTURE(seed);
  Rng rng(seed);
  LayerD layer(5, 4);
  layer.init_uniform(rng);
  MatD M = random_mask<double>(4, 5, rng, 0.3f);
  M(1, 2) = 0.0;
  layer.set_mask(M);
  layer.bias() = rewire_test::random_vector<double>(4, rng);
  MatD X = random_matrix<double>(6, 5, rng, -2, 2);
  const MatD R = random_matrix<double>(6, 4, rng);

  // f(X, W, b) = sum(R .* (X W^T + b)); df/dY = R.
  const auto f = [&] {
    MatD Y;
    layer.forward(Y, X);
    return contract(R, Y);
  };

  for (const GradientMode mode : {GradientMode::full, GradientMode::masked}) {
    CAPTURE(mode == GradientMode::full ? "full" : "masked");
    MatD dX;
    layer.backward(&dX, R, X, mode);
    const MatD gW = layer.weight_grad();
    const VecD gb = layer.bias_grad();

    Worst wx, ww, wb;
    for (Index k = 0; k < X.size(); ++k) wx.add(central_difference(&X.data()[k], f), dX.data()[k], "X[" + std::to_string(k) + "]");
    long masked_nonzero = 0, masked_with_gradient = 0;
    for (Index k = 0; k < gW.size(); ++k) {
      const double fd = weight_difference(layer, k, f);
      if (mode == GradientMode::masked && M.data()[k] == 0.0) {
        masked_nonzero += gW.data()[k] != 0.0;
        masked_with_gradient += std::abs(fd) > kFloor;
        continue;
      }
      ww.add(fd, gW.data()[k], "W[" + std::to_string(k) + "]");
    }
    for (Index k = 0; k < gb.size(); ++k) wb.add(central_difference(&layer.bias()[k], f), gb[k], "b[" + std::to_string(k) + "]");
    INFO("dX: " << wx.str());
    INFO("dW: " << ww.str());
    INFO("db: " << wb.str());
    CHECK(wx.err < kTol);
    CHECK(ww.err < kTol);
    CHECK(wb.err < kTol);
    CHECK(wx.above_floor > 0);
    CHECK(ww.above_floor > 0);
    if (mode == GradientMode::masked) {
      CHECK(masked_nonzero == 0);
      CHECK(masked_with_gradient > 0);  // the masked zeros are not trivially zero
    }
    // Backward without an input gradient fills the same parameter gradients.
    layer.backward(nullptr, R, X, mode);
    CHECK(layer.weight_grad() == gW);
    CHECK(layer.bias_grad() == gb);
  }
}

TEST_CASE("activation kernels vs FD (ReLU away from its kink, tanh)", "[gradients][activation]") {
  const std::uint64_t seed = 22;
  CAPTURE(seed);
  Rng rng(seed);
  MatD Z(6, 7);
  for (Index k = 0; k < Z.size(); ++k) {
    double z;
    do z = rng.uniform(-3.0f, 3.0f);
    while (std::abs(z) < 1e-3);
    Z.data()[k] = z;
  }
  const MatD R = random_matrix<double>(6, 7, rng);
  for (const Activation a : {Activation::relu, Activation::tanh}) {
    CAPTURE(to_string(a));
    const auto f = [&] {
      MatD A;
      activation_forward(a, A, Z);
      return contract(R, A);
    };
    MatD A, dZ;
    activation_forward(a, A, Z);
    activation_backward(a, dZ, R, Z, A);
    Worst w;
    for (Index k = 0; k < Z.size(); ++k) w.add(central_difference(&Z.data()[k], f), dZ.data()[k], "Z[" + std::to_string(k) + "]");
    INFO(w.str());
    CHECK(w.err < kTol);
    CHECK(w.above_floor > 10);
  }
}

TEST_CASE("damping kernel vs FD", "[gradients][modulation]") {
  Rng rng(23);
  MatD H = random_matrix<double>(4, 5, rng);
  const MatD R = random_matrix<double>(4, 5, rng);
  const float d = 0.7f;
  const auto f = [&] {
    MatD G = H;
    damping_forward(G, d);
    return contract(R, G);
  };
  MatD dH = R;
  damping_backward(dH, d);
  Worst w;
  for (Index k = 0; k < H.size(); ++k) w.add(central_difference(&H.data()[k], f), dH.data()[k], "H[" + std::to_string(k) + "]");
  INFO(w.str());
  CHECK(w.err < kTol);
  CHECK(w.above_floor == H.size());
}

TEST_CASE("softmax cross-entropy gradient vs FD", "[gradients][loss]") {
  Rng rng(24);
  MatD logits = random_matrix<double>(6, 4, rng, -3, 3);
  logits(2, 1) = 40.0;  // one saturated row: p ~ (0, 1, 0, 0)
  Labels y = random_labels(6, 4, rng);
  y[2] = 0;  // ... labelled against its own prediction
  MatD P, d;
  softmax_cross_entropy_forward(P, logits, y);
  softmax_cross_entropy_backward(d, P, y);
  const auto f = [&] {
    MatD Q;
    return softmax_cross_entropy_forward(Q, logits, y);
  };
  Worst w;
  for (Index k = 0; k < logits.size(); ++k)
    w.add(central_difference(&logits.data()[k], f), d.data()[k], "logits[" + std::to_string(k) + "]");
  INFO(w.str());
  CHECK(w.err < kTol);
  CHECK(w.above_floor > 12);
}

TEST_CASE("whole network gradients vs FD: ReLU and tanh, damping 0.7, masks, full and masked modes",
          "[gradients][network]") {
  const std::uint64_t seed = 25;
  CAPTURE(seed);
  const Activation a = GENERATE(Activation::relu, Activation::tanh);
  CAPTURE(to_string(a));
  {
    NetworkCase c = make_network_case(a, seed);

    // The reference forward agrees with the network's (a check of the
    // reference itself: the kink test relies on it).
    double min_z = 0.0;
    const MatD ref = reference_forward(c.net, c.X, &min_z);
    CAPTURE(min_z);
    REQUIRE((ref - c.net.forward(c.X, nullptr)).cwiseAbs().maxCoeff() < 1e-12);

    std::vector<MatD> fdW;
    std::vector<VecD> fdb;
    network_fd(c.net, c.X, c.y, fdW, fdb);

    SECTION("GradientMode::full: every position, masked ones included") {
      network_backward(c.net, c.X, c.y, GradientMode::full);
      long unused = 0;
      const Worst w = compare_network(c.net, fdW, fdb, false, &unused);
      INFO(w.str());
      CHECK(w.err < kTol);
      CHECK(w.above_floor > 30);
      // Some masked positions carry a real gradient (regrowth scores them).
      long masked_with_gradient = 0;
      for (std::size_t l = 0; l < c.net.num_layers(); ++l)
        for (Index k = 0; k < c.net.layer(l).mask().size(); ++k)
          if (c.net.layer(l).mask().data()[k] == 0.0 && std::abs(fdW[l].data()[k]) > kFloor) ++masked_with_gradient;
      CHECK(masked_with_gradient > 0);
    }
    SECTION("GradientMode::masked: exactly 0 at masked positions, FD elsewhere") {
      network_backward(c.net, c.X, c.y, GradientMode::masked);
      long masked_nonzero = 0;
      const Worst w = compare_network(c.net, fdW, fdb, true, &masked_nonzero);
      INFO(w.str());
      CHECK(w.err < kTol);
      CHECK(masked_nonzero == 0);
      CHECK(w.above_floor > 30);
    }
    SECTION("the default mode is masked") {
      MatD P, d;
      softmax_cross_entropy_forward(P, c.net.forward(c.X, nullptr), c.y);
      softmax_cross_entropy_backward(d, P, c.y);
      c.net.backward(d);
      std::vector<MatD> masked_grads;
      for (std::size_t l = 0; l < c.net.num_layers(); ++l) masked_grads.push_back(c.net.layer(l).weight_grad());
      c.net.backward(d, GradientMode::masked);
      for (std::size_t l = 0; l < c.net.num_layers(); ++l) CHECK(c.net.layer(l).weight_grad() == masked_grads[l]);
    }
  }
}

TEST_CASE("whole network gradients vs FD with internal noise on: ReLU and tanh, damping 0.7, masks",
          "[gradients][network][noise]") {
  // H = d (f(Z) + sigma N): the noise is added after the activation, so the
  // backward must take ReLU's gate and tanh' = 1 - f(Z)^2 from the
  // pre-noise values. A backward reading them from the noisy output would
  // agree with the noise-off checks above (sigma 0 leaves f(Z) unchanged)
  // but not with these finite differences.
  const std::uint64_t seed = 27;
  const float sigma = 0.5f;
  CAPTURE(seed, sigma);
  const Activation a = GENERATE(Activation::relu, Activation::tanh);
  CAPTURE(to_string(a));
  {
    NetworkCase c = make_network_case(a, seed, sigma);

    // The reference (with the same draws) agrees with the network's forward,
    // and the draws matter: noise-off logits differ.
    double min_z = 0.0;
    long noise_opened = 0;
    const MatD ref = reference_forward(c.net, c.X, &min_z, &noise_opened);
    CAPTURE(min_z, noise_opened);
    NoiseSource noise(kNoiseKey);
    REQUIRE((ref - c.net.forward(c.X, &noise)).cwiseAbs().maxCoeff() < 1e-12);
    Net quiet = c.net;
    quiet.modulation().noise_sigma = 0.0f;
    CHECK((ref - quiet.forward(c.X, nullptr)).cwiseAbs().maxCoeff() > 0.1);
    // Units that ReLU switched off but the noise pushed above 0: a gate read
    // from the noisy output would open there.
    CHECK(noise_opened > 5);

    std::vector<MatD> fdW;
    std::vector<VecD> fdb;
    network_fd(c.net, c.X, c.y, fdW, fdb);
    for (const GradientMode mode : {GradientMode::full, GradientMode::masked}) {
      CAPTURE(mode == GradientMode::full ? "full" : "masked");
      network_backward(c.net, c.X, c.y, mode);
      long masked_nonzero = 0;
      const Worst w = compare_network(c.net, fdW, fdb, mode == GradientMode::masked, &masked_nonzero);
      INFO(w.str());
      CHECK(w.err < kTol);
      CHECK(masked_nonzero == 0);
      CHECK(w.above_floor > 30);
    }
    // Not vacuous: the noise-off network's gradients are far from these
    // finite differences (the noise changes the gradient, so matching them
    // needs the noisy forward's buffers, used the right way).
    network_backward(quiet, c.X, c.y, GradientMode::full);
    long unused = 0;
    const Worst off = compare_network(quiet, fdW, fdb, false, &unused);
    INFO("noise-off gradients: " << off.str());
    CHECK(off.err > 0.05);
  }
}

TEST_CASE("the gradient checker detects wrong gradients", "[gradients][sanity]") {
  // If these failed, the checks above could pass for a broken backward.
  const std::uint64_t seed = 25;
  CAPTURE(seed);
  const Activation a = GENERATE(Activation::relu, Activation::tanh);
  CAPTURE(to_string(a));
  {
    NetworkCase c = make_network_case(a, seed);
    std::vector<MatD> fdW;
    std::vector<VecD> fdb;
    network_fd(c.net, c.X, c.y, fdW, fdb);

    SECTION("a backward that uses the wrong damping (1.0 instead of 0.7)") {
      // Forward with 0.7, then backward with 1.0: exactly what a backward
      // that forgot damping_backward would compute.
      MatD P, d;
      softmax_cross_entropy_forward(P, c.net.forward(c.X, nullptr), c.y);
      softmax_cross_entropy_backward(d, P, c.y);
      c.net.modulation().damping = 1.0f;
      c.net.backward(d, GradientMode::full);
      long unused = 0;
      const Worst w = compare_network(c.net, fdW, fdb, false, &unused);
      INFO(w.str());
      CHECK(w.err > 0.1);
    }
    SECTION("analytic gradients of a network with a different damping (0.75)") {
      Net other = c.net;
      other.modulation().damping = 0.75f;
      network_backward(other, c.X, c.y, GradientMode::full);
      long unused = 0;
      const Worst w = compare_network(other, fdW, fdb, false, &unused);
      INFO(w.str());
      CHECK(w.err > 1e-3);
    }
    SECTION("one gradient entry off by a relative 1e-5") {
      network_backward(c.net, c.X, c.y, GradientMode::full);
      long unused = 0;
      REQUIRE(compare_network(c.net, fdW, fdb, false, &unused).err < kTol);
      // Perturb the largest weight gradient of layer 2.
      const MatD& g = c.net.layer(1).weight_grad();
      Index idx = 0;
      for (Index k = 1; k < g.size(); ++k)
        if (std::abs(g.data()[k]) > std::abs(g.data()[idx])) idx = k;
      REQUIRE(std::abs(g.data()[idx]) > kFloor);
      std::vector<MatD> fd_bad = fdW;
      fd_bad[1].data()[idx] *= 1.0 + 1e-5;  // same as perturbing the analytic value
      const Worst w = compare_network(c.net, fd_bad, fdb, false, &unused);
      INFO(w.str());
      CHECK(w.err > kTol);
    }
  }
}

TEST_CASE("float network: dense and sparse kernel paths agree with the FD-checked double gradients",
          "[gradients][network][sparse]") {
  // The float layers switch to sparse kernels below a mask density of
  // kDefaultSparseCrossover (0.55; the study runs at 2-5% density there).
  // The double network above is verified against finite differences; here
  // the float network, on either kernel path, must reproduce its logits and
  // gradients to float accuracy, at densities from 0 (every weight masked:
  // only biases act) through 1 (nothing masked: the dense path drops the
  // mask), with internal noise off and on (same draws on both paths).
  const std::uint64_t seed = 26;
  const double density = GENERATE(0.0, 0.1, 0.3, 0.6, 1.0);
  const float sigma = GENERATE(0.0f, 0.5f);
  const Activation a = GENERATE(Activation::relu, Activation::tanh);
  CAPTURE(seed, density, sigma, to_string(a));
  Rng rng(stream_key(seed, Purpose::init));
  Mlp net({3, 24, 16, 4});
  net.init(rng);
  for (std::size_t l = 0; l < net.num_layers(); ++l) {
    auto& layer = net.layer(l);
    Matrix M = random_mask(layer.out_features(), layer.in_features(), rng, float(1.0 - density));
    if (density == 0.0) M.setZero();
    if (density == 1.0) M.setOnes();
    if (density > 0.0) M(0, 0) = 1.0f;
    layer.set_mask(M);
  }
  net.modulation().activation = a;
  net.modulation().damping = 0.7f;
  net.modulation().noise_sigma = sigma;
  const Matrix X = random_matrix(9, 3, rng, -2, 2);
  const Labels y = random_labels(9, 4, rng);

  // The double twin.
  Net twin({3, 24, 16, 4});
  for (std::size_t l = 0; l < net.num_layers(); ++l) {
    twin.layer(l).set_weight(net.layer(l).weight().cast<double>());
    twin.layer(l).bias() = net.layer(l).bias().cast<double>();
    twin.layer(l).set_mask(net.layer(l).mask().cast<double>());
  }
  twin.modulation() = net.modulation();

  for (const GradientMode mode : {GradientMode::masked, GradientMode::full}) {
    CAPTURE(mode == GradientMode::full ? "full" : "masked");
    network_backward(twin, X.cast<double>(), y, mode);
    NoiseSource twin_noise(kNoiseKey);
    const MatD ref_logits = twin.forward(X.cast<double>(), &twin_noise);
    for (const KernelPath path : {KernelPath::dense, KernelPath::sparse}) {
      CAPTURE(path == KernelPath::sparse ? "sparse" : "dense");
      net.set_kernel_path(path);
      for (std::size_t l = 0; l < net.num_layers(); ++l) REQUIRE(net.layer(l).uses_sparse() == (path == KernelPath::sparse));
      Matrix P, d;
      NoiseSource noise(kNoiseKey);
      const Matrix logits = net.forward(X, &noise);
      CHECK((logits.cast<double>() - ref_logits).cwiseAbs().maxCoeff() < 1e-5);
      softmax_cross_entropy_forward(P, logits, y);
      softmax_cross_entropy_backward(d, P, y);
      net.backward(d, mode);
      for (std::size_t l = 0; l < net.num_layers(); ++l) {
        CAPTURE(l);
        // Float rounding relative to each gradient's own size (a floor of
        // 1e-3 where it is all zero: masked, density 0).
        const MatD& gw = twin.layer(l).weight_grad();
        const VecD& gb = twin.layer(l).bias_grad();
        const double scale = std::max(gw.cwiseAbs().maxCoeff(), 1e-3);
        const double bscale = std::max(gb.cwiseAbs().maxCoeff(), 1e-3);
        CHECK((net.layer(l).weight_grad().cast<double>() - gw).cwiseAbs().maxCoeff() < 1e-5 * scale);
        CHECK((net.layer(l).bias_grad().cast<double>() - gb).cwiseAbs().maxCoeff() < 1e-5 * bscale);
        if (mode == GradientMode::masked)
          for (Index k = 0; k < gw.size(); ++k)
            if (net.layer(l).mask().data()[k] == 0.0f) REQUIRE(net.layer(l).weight_grad().data()[k] == 0.0f);
      }
    }
  }
  // A full gradient followed by a masked one on the sparse path: the masked
  // positions must be zero again (the sparse kernel writes active ones only).
  net.set_kernel_path(KernelPath::sparse);
  Matrix P, d;
  NoiseSource noise(kNoiseKey);
  softmax_cross_entropy_forward(P, net.forward(X, &noise), y);
  softmax_cross_entropy_backward(d, P, y);
  net.backward(d, GradientMode::full);
  net.backward(d, GradientMode::masked);
  for (std::size_t l = 0; l < net.num_layers(); ++l)
    for (Index k = 0; k < net.layer(l).mask().size(); ++k)
      if (net.layer(l).mask().data()[k] == 0.0f) REQUIRE(net.layer(l).weight_grad().data()[k] == 0.0f);
}
