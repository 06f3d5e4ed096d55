// test_optimizers.cpp - SGD (momentum, Nesterov, dampening, L2 decay), Adam's
// weight decay (coupled as torch.optim.Adam, decoupled as torch.optim.AdamW)
// and the learning-rate schedules, each against its documented PyTorch rule
// written out here as a plain scalar loop in the same float operations (so
// the two agree bit for bit), and pruned weights kept exactly 0.
#include <catch2/catch.hpp>
#include <rewire/rewire.hpp>
#include <rewire/train/lr_schedule.hpp>
#include <rewire/train/sgd.hpp>

#include "test_helpers.hpp"

#include <cmath>
#include <vector>

using namespace rewire;
using rewire_test::bitwise_equal;

namespace {

/// torch.optim.SGD's step for one tensor (torch/optim/sgd.py, single-tensor path).
void reference_sgd(std::vector<float>& w, const std::vector<float>& g, std::vector<float>& buf, bool first,
                   const SgdOptions& o) {
  for (std::size_t j = 0; j < w.size(); ++j) {
    float d = g[j];
    if (o.weight_decay != 0.0f) d = d + o.weight_decay * w[j];   // d_p.add(param, alpha=weight_decay)
    if (o.momentum != 0.0f) {
      if (first) buf[j] = d;                                     // torch.clone(d_p)
      else buf[j] = o.momentum * buf[j] + (1.0f - o.dampening) * d;
      d = o.nesterov ? d + o.momentum * buf[j] : buf[j];
    }
    w[j] = w[j] - o.lr * d;                                      // param.add_(d_p, alpha=-lr)
  }
}

/// torch.optim.Adam / AdamW for one tensor at step t (torch/optim/adam.py, single-tensor path).
void reference_adam(std::vector<float>& w, const std::vector<float>& g, std::vector<float>& m,
                    std::vector<float>& v, long t, const AdamOptions& o) {
  const double bc1 = 1.0 - std::pow(double(o.beta1), double(t)), bc2 = 1.0 - std::pow(double(o.beta2), double(t));
  const float step_size = float(double(o.lr) / bc1), inv_sqrt_bc2 = float(1.0 / std::sqrt(bc2));
  for (std::size_t j = 0; j < w.size(); ++j) {
    float gj = g[j];
    if (o.decoupled_weight_decay) w[j] = w[j] * float(1.0 - double(o.lr) * double(o.weight_decay));
    else if (o.weight_decay != 0.0f) gj = gj + o.weight_decay * w[j];
    m[j] = o.beta1 * m[j] + (1.0f - o.beta1) * gj;
    v[j] = o.beta2 * v[j] + (1.0f - o.beta2) * gj * gj;
    w[j] = w[j] - step_size * m[j] / (std::sqrt(v[j]) * inv_sqrt_bc2 + o.eps);
  }
}

Matrix random_matrix(Index rows, Index cols, std::uint64_t seed) {
  Rng rng(stream_key(seed, Purpose::init));
  return rewire_test::random_matrix<float>(rows, cols, rng);
}

std::vector<float> as_vector(const Matrix& x) { return std::vector<float>(x.data(), x.data() + x.size()); }

}  // namespace

TEST_CASE("Sgd follows torch.optim.SGD bit for bit", "[optim]") {
  SgdOptions plain, momentum, nesterov, damped;
  plain.lr = 0.1f;
  momentum.lr = 0.05f;
  momentum.momentum = 0.9f;
  momentum.weight_decay = 1e-2f;
  nesterov = momentum;
  nesterov.nesterov = true;
  damped = momentum;
  damped.dampening = 0.3f;
  for (const SgdOptions& o : {plain, momentum, nesterov, damped}) {
    CAPTURE(o.momentum, o.nesterov, o.dampening, o.weight_decay);
    Matrix w = random_matrix(5, 7, 1), g;
    std::vector<float> ref = as_vector(w), buf(ref.size(), 0.0f);
    Sgd sgd(o);
    for (int step = 0; step < 6; ++step) {
      g = random_matrix(5, 7, std::uint64_t(100 + step));
      sgd.step({ParamRef("w", w.data(), g.data(), w.size())});
      reference_sgd(ref, as_vector(g), buf, step == 0, o);
      REQUIRE(bitwise_equal(w, Matrix(Eigen::Map<Matrix>(ref.data(), 5, 7))));
    }
    CHECK(sgd.steps() == 6);
  }
}

TEST_CASE("Adam's weight decay follows torch.optim.Adam (coupled) and AdamW (decoupled)", "[optim]") {
  AdamOptions plain, coupled, decoupled;
  plain.lr = coupled.lr = decoupled.lr = 1e-2f;
  coupled.weight_decay = decoupled.weight_decay = 0.05f;
  decoupled.decoupled_weight_decay = true;
  for (const AdamOptions& o : {plain, coupled, decoupled}) {
    CAPTURE(o.weight_decay, o.decoupled_weight_decay);
    Matrix w = random_matrix(4, 6, 2), g;
    std::vector<float> ref = as_vector(w), m(ref.size(), 0.0f), v(ref.size(), 0.0f);
    Adam adam(o);
    for (long t = 1; t <= 5; ++t) {
      g = random_matrix(4, 6, std::uint64_t(200 + t));
      adam.step({ParamRef("w", w.data(), g.data(), w.size())});
      reference_adam(ref, as_vector(g), m, v, t, o);
      REQUIRE(bitwise_equal(w, Matrix(Eigen::Map<Matrix>(ref.data(), 4, 6))));
    }
  }
}

TEST_CASE("SGD with momentum and AdamW keep pruned weights exactly zero on both kernel paths", "[optim]") {
  Rng data_rng(stream_key(0, Purpose::data)), init(stream_key(0, Purpose::init));
  const Dataset data = make_gaussian_clusters(128, 1.0f, data_rng);
  for (KernelPath path : {KernelPath::dense, KernelPath::sparse}) {
    Mlp net({2, 16, 16, 4});
    net.init(init);
    prune_to(net, 0.7);
    net.set_kernel_path(path);
    SgdOptions so;
    so.momentum = 0.9f;
    so.nesterov = true;
    so.weight_decay = 1e-3f;
    AdamOptions ao;
    ao.weight_decay = 0.01f;
    ao.decoupled_weight_decay = true;
    Sgd sgd(so);
    Adam adamw(ao);
    Matrix P, dlogits;
    for (int step = 0; step < 10; ++step) {
      softmax_cross_entropy_forward(P, net.forward(data.inputs, nullptr), data.labels);
      softmax_cross_entropy_backward(dlogits, P, data.labels);
      net.backward(dlogits);
      if (step % 2 == 0) sgd.step(net.parameters());
      else adamw.step(net.parameters());
    }
    for (std::size_t l = 0; l < net.num_layers(); ++l) {
      const Matrix W = net.layer(l).weight();
      for (Index k = 0; k < W.size(); ++k)
        if (net.layer(l).mask().data()[k] == 0.0f) REQUIRE(W.data()[k] == 0.0f);
    }
  }
}

TEST_CASE("learning-rate schedules give PyTorch's closed forms", "[optim]") {
  CHECK(step_lr(0.1f, 0, 10, 0.5f) == 0.1f);
  CHECK(step_lr(0.1f, 25, 10, 0.5f) == float(0.1f * 0.25));
  CHECK(cosine_lr(1.0f, 0, 10) == 1.0f);
  CHECK(cosine_lr(1.0f, 5, 10) == Approx(0.5f).margin(1e-7));
  CHECK(cosine_lr(1.0f, 10, 10, 0.1f) == 0.1f);
  CHECK(cosine_lr(1.0f, 30, 10, 0.1f) == 0.1f);  // stays at eta_min after t_max
  CHECK(linear_warmup_lr(1.0f, 0, 4, 0.25f) == 0.25f);
  CHECK(linear_warmup_lr(1.0f, 2, 4, 0.25f) == 0.625f);
  CHECK(linear_warmup_lr(1.0f, 9, 4, 0.25f) == 1.0f);
  Sgd sgd;
  sgd.set_lr(cosine_lr(0.1f, 3, 10));
  CHECK(sgd.options().lr == cosine_lr(0.1f, 3, 10));
}

TEST_CASE("optimiser and schedule settings are refused by name", "[optim]") {
  SgdOptions bad;
  bad.nesterov = true;
  CHECK_THROWS_WITH(Sgd(bad), Catch::Contains("nesterov momentum needs momentum > 0"));
  bad = SgdOptions{};
  bad.dampening = 2.0f;
  CHECK_THROWS_WITH(Sgd(bad), Catch::Contains("dampening"));
  AdamOptions adam_bad;
  adam_bad.weight_decay = -1.0f;
  CHECK_THROWS_WITH(Adam(adam_bad), Catch::Contains("weight_decay"));
  CHECK_THROWS_WITH(Sgd().set_lr(0.0f), Catch::Contains("lr"));
  CHECK_THROWS_WITH(Sgd().step({}), Catch::Contains("no parameters"));
  CHECK_THROWS_WITH(step_lr(0.1f, 1, 0, 0.5f), Catch::Contains("step_size"));
  CHECK_THROWS_WITH(linear_warmup_lr(0.1f, 1, 4, 1.5f), Catch::Contains("start_factor"));
}
