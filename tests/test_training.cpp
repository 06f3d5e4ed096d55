// test_training.cpp - training calls (docs/protocol.md, "Training"): masks hold
// through training, the noise sigma is forced/scheduled and restored, a
// fresh Adam per call, mini-batching, the cluster task is learnt, and a
// diverging run is reported instead of crashing. Plus evaluation.
#include <catch2/catch.hpp>
#include <rewire/rewire.hpp>

#include "test_helpers.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <vector>

using namespace rewire;
using rewire_test::bitwise_equal;
using rewire_test::parameter_bytes;

namespace {

Dataset clusters(std::uint64_t seed, std::uint64_t index, Index n, float sigma) {
  Rng rng(stream_key(seed, Purpose::data, index));
  return make_gaussian_clusters(n, sigma, rng);
}

Mlp small_net(std::uint64_t seed) {
  Mlp net({2, 32, 32, 4});
  Rng init(stream_key(seed, Purpose::init));
  net.init(init);
  return net;
}

/// Every masked weight is exactly zero and the masks equal `masks`.
void require_masks_hold(const Mlp& net, const std::vector<Matrix>& masks) {
  for (std::size_t l = 0; l < net.num_layers(); ++l) {
    CAPTURE(l);
    REQUIRE(net.layer(l).mask() == masks[l]);
    for (Index k = 0; k < masks[l].size(); ++k)
      if (masks[l].data()[k] == 0.0f) REQUIRE(net.layer(l).weight().data()[k] == 0.0f);
  }
}

std::vector<Matrix> masks_of(const Mlp& net) {
  std::vector<Matrix> m;
  for (std::size_t l = 0; l < net.num_layers(); ++l) m.push_back(net.layer(l).mask());
  return m;
}

}  // namespace

TEST_CASE("tapering_sigma: s0 in the first epoch, exactly 0 in the last", "[training][schedule]") {
  // sigma(e) = s0 (1 - e / max(E - 1, 1)).
  CHECK(tapering_sigma(0.5f, 0, 100) == 0.5f);
  CHECK(tapering_sigma(0.5f, 99, 100) == 0.0f);
  CHECK(tapering_sigma(0.5f, 33, 100) == Approx(0.5 * (1.0 - 33.0 / 99.0)).epsilon(1e-6));  // 0.33333
  CHECK(tapering_sigma(0.3f, 0, 20) == 0.3f);
  CHECK(tapering_sigma(0.3f, 19, 20) == 0.0f);
  CHECK(tapering_sigma(0.3f, 10, 20) == Approx(0.3 * 9.0 / 19.0).epsilon(1e-6));  // 0.1421
  for (int e = 0; e < 20; ++e) {
    CAPTURE(e);
    CHECK(tapering_sigma(0.3f, e, 20) == Approx(0.3 * (1.0 - e / 19.0)).margin(1e-7));
    if (e > 0) CHECK(tapering_sigma(0.3f, e, 20) < tapering_sigma(0.3f, e - 1, 20));
  }
  // E = 2: s0 then 0. E = 1: max(E - 1, 1) = 1, so the single epoch runs at
  // s0 (it is the "first" epoch; the formula never reaches e = 1).
  CHECK(tapering_sigma(0.5f, 0, 2) == 0.5f);
  CHECK(tapering_sigma(0.5f, 1, 2) == 0.0f);
  CHECK(tapering_sigma(0.5f, 0, 1) == 0.5f);
}

TEST_CASE("BatchSampler: 94 batches of 128 (last 96), every sample once per epoch", "[training][batches]") {
  // Inputs carry their own row index, so the batches can be traced back.
  const Index n = 12000;
  Dataset d;
  d.inputs.resize(n, 2);
  d.labels.resize(n);
  for (Index k = 0; k < n; ++k) {
    d.inputs(k, 0) = float(k);
    d.inputs(k, 1) = -float(k);
    d.labels[k] = std::int32_t(k % 4);
  }
  BatchSampler sampler(d, 128);
  CHECK(sampler.batches_per_epoch() == 94);
  Rng shuffle(stream_key(0, Purpose::shuffle));
  std::vector<std::vector<Index>> orders;
  for (int epoch = 0; epoch < 2; ++epoch) {
    CAPTURE(epoch);
    sampler.start_epoch(shuffle);
    Matrix X;
    Labels y;
    std::vector<Index> seen;
    std::vector<Index> sizes;
    while (sampler.next(X, y)) {
      sizes.push_back(X.rows());
      REQUIRE(y.size() == X.rows());
      for (Index r = 0; r < X.rows(); ++r) {
        const Index k = Index(X(r, 0));
        REQUIRE(X(r, 1) == -X(r, 0));
        REQUIRE(y[r] == std::int32_t(k % 4));  // labels travel with their rows
        seen.push_back(k);
      }
    }
    REQUIRE(sizes.size() == 94);
    for (std::size_t b = 0; b + 1 < sizes.size(); ++b) REQUIRE(sizes[b] == 128);
    CHECK(sizes.back() == 96);
    CHECK_FALSE(sampler.next(X, y));
    std::vector<Index> sorted = seen;
    std::sort(sorted.begin(), sorted.end());
    for (Index k = 0; k < n; ++k) REQUIRE(sorted[std::size_t(k)] == k);
    orders.push_back(seen);
  }
  // Reshuffled every epoch, and not the identity order.
  CHECK(orders[0] != orders[1]);
  std::vector<Index> identity(static_cast<std::size_t>(n));
  for (Index k = 0; k < n; ++k) identity[std::size_t(k)] = k;
  CHECK(orders[0] != identity);
  // The same key gives the same order.
  BatchSampler again(d, 128);
  Rng shuffle2(stream_key(0, Purpose::shuffle));
  again.start_epoch(shuffle2);
  Matrix X;
  Labels y;
  again.next(X, y);
  for (Index r = 0; r < X.rows(); ++r) CHECK(Index(X(r, 0)) == orders[0][std::size_t(r)]);
  // A batch larger than the data set: one batch of everything.
  BatchSampler big(d, 20000);
  CHECK(big.batches_per_epoch() == 1);
  CHECK(BatchSampler(d, 1).batches_per_epoch() == 12000);
  CHECK(BatchSampler(d, 12000).batches_per_epoch() == 1);
  CHECK(BatchSampler(d, 11999).batches_per_epoch() == 2);
}

TEST_CASE("pruned weights stay exactly zero through train() and train_with_stress()", "[training][masks]") {
  const std::uint64_t seed = 51;
  CAPTURE(seed);
  const Dataset data = clusters(seed, 100, 1000, 0.8f);
  Mlp net = small_net(seed);
  TrainOptions opt;
  opt.epochs = 1;
  opt.lr = 1e-2f;
  Rng shuffle(stream_key(seed, Purpose::shuffle));
  train(net, data, opt, shuffle);  // dense first, as in the protocol
  prune_to(net, 0.8);
  const std::vector<Matrix> masks = masks_of(net);
  const auto before = parameter_bytes(net);
  const std::vector<Matrix> w_before = [&] {
    std::vector<Matrix> w;
    for (std::size_t l = 0; l < net.num_layers(); ++l) w.push_back(net.layer(l).weight());
    return w;
  }();

  opt.epochs = 2;
  CHECK(train(net, data, opt, shuffle).status == TrainStatus::ok);
  require_masks_hold(net, masks);
  NoiseSource noise(stream_key(seed, Purpose::noise));
  CHECK(train_with_stress(net, data, opt, 0.5f, shuffle, noise).status == TrainStatus::ok);
  require_masks_hold(net, masks);
  net.modulation().activation = Activation::tanh;
  net.modulation().damping = 0.7f;
  CHECK(train(net, data, opt, shuffle).status == TrainStatus::ok);
  require_masks_hold(net, masks);
  // Training did move the unpruned weights.
  CHECK(parameter_bytes(net) != before);
  for (std::size_t l = 0; l < net.num_layers(); ++l) {
    Index moved = 0, active = 0;
    for (Index k = 0; k < masks[l].size(); ++k)
      if (masks[l].data()[k] != 0.0f) {
        ++active;
        moved += net.layer(l).weight().data()[k] != w_before[l].data()[k];
      }
    CAPTURE(l, moved, active);
    // Not all of them: a hidden unit whose ReLU is off for every sample
    // passes no gradient, so its weights keep their values.
    CHECK(moved * 2 > active);
  }
}

/// Masks of density `density` for every layer: all zeros at 0, all ones at 1
/// (nothing masked: the dense path then drops the mask), else magnitude
/// pruning to 1 - density.
void mask_to_density(Mlp& net, double density) {
  if (density == 0.0 || density == 1.0) {
    for (std::size_t l = 0; l < net.num_layers(); ++l) {
      const auto& layer = net.layer(l);
      net.layer(l).set_mask(Matrix::Constant(layer.out_features(), layer.in_features(), float(density)));
    }
  } else {
    prune_to(net, 1.0 - density);
  }
}

TEST_CASE("dense and sparse kernel paths train to the same weights, masks holding on both",
          "[training][masks][sparse]") {
  // Below a mask density of kDefaultSparseCrossover (0.55) the layers pick
  // the sparse kernels automatically; forcing either path must give the same
  // training up to float rounding, at every density from 0 (only biases
  // train) to 1 (nothing masked). Regrowth scoring (a FULL gradient) in
  // between must not leak gradient into pruned positions on the sparse path.
  const std::uint64_t seed = 57;
  const double density = GENERATE(0.0, 0.05, 0.2, 0.5, 1.0);
  CAPTURE(seed, density);
  const Dataset data = clusters(seed, 100, 1000, 0.8f);
  Mlp base = small_net(seed);
  TrainOptions opt;
  opt.epochs = 1;
  opt.lr = 1e-2f;
  Rng s0(stream_key(seed, Purpose::shuffle, 1));
  train(base, data, opt, s0);
  mask_to_density(base, density);
  const std::vector<Matrix> masks = masks_of(base);
  for (std::size_t l = 0; l < base.num_layers(); ++l) {
    const double d = double(base.layer(l).active_weights()) / double(masks[l].size());
    CAPTURE(l, d);
    CHECK(std::abs(d - density) < 0.02);
    CHECK(base.layer(l).uses_sparse() == (d < kDefaultSparseCrossover));
  }

  std::vector<Mlp> nets;
  for (const KernelPath path : {KernelPath::sparse, KernelPath::dense}) {
    Mlp net = base;
    net.set_kernel_path(path);
    Rng shuffle(stream_key(seed, Purpose::shuffle, 2));
    gradient_scores(net, data, 3, 128, shuffle);
    opt.epochs = 2;
    REQUIRE(train(net, data, opt, shuffle).status == TrainStatus::ok);
    require_masks_hold(net, masks);
    nets.push_back(net);
  }
  for (std::size_t l = 0; l < base.num_layers(); ++l) {
    CAPTURE(l);
    const double diff = (nets[0].layer(l).weight() - nets[1].layer(l).weight()).cwiseAbs().maxCoeff();
    const double moved = (nets[0].layer(l).weight() - base.layer(l).weight()).cwiseAbs().maxCoeff();
    const double bdiff = (nets[0].layer(l).bias() - nets[1].layer(l).bias()).cwiseAbs().maxCoeff();
    const double bmoved = (nets[0].layer(l).bias() - base.layer(l).bias()).cwiseAbs().maxCoeff();
    CAPTURE(diff, moved, bdiff, bmoved);
    CHECK(diff < 1e-3 * std::max(moved, 1e-2));
    CHECK(bdiff < 1e-3 * std::max(bmoved, 1e-2));
    // Training moved the weights; at density 0 only the output bias has a
    // gradient (every hidden unit's path to the loss is masked).
    if (density > 0.0) CHECK(moved > 1e-3);
    if (density > 0.0 || l + 1 == base.num_layers()) CHECK(bmoved > 1e-3);
  }
}

TEST_CASE("train(): noise sigma forced to 0 during the call and restored after", "[training][noise]") {
  const std::uint64_t seed = 52;
  CAPTURE(seed);
  const Dataset data = clusters(seed, 100, 600, 0.8f);
  TrainOptions opt;
  opt.epochs = 2;
  Mlp a = small_net(seed), b = small_net(seed);
  a.modulation().noise_sigma = 0.7f;
  std::vector<float> sigmas;
  Rng sa(stream_key(seed, Purpose::shuffle)), sb(stream_key(seed, Purpose::shuffle));
  const TrainResult r = train(a, data, opt, sa, [&](int, double, float s) { sigmas.push_back(s); });
  CHECK(a.modulation().noise_sigma == 0.7f);
  CHECK(sigmas == std::vector<float>{0.0f, 0.0f});
  CHECK(r.epochs_done == 2);
  CHECK(r.steps == 2 * 5);  // 600 = 4 * 128 + 88: 5 batches an epoch
  CHECK(std::isfinite(r.last_epoch_loss));
  // Bit-identical to training a network whose sigma was 0 all along.
  train(b, data, opt, sb);
  CHECK(parameter_bytes(a) == parameter_bytes(b));
}

TEST_CASE("train_with_stress(): tapering schedule per epoch, sigma restored, noise really drawn",
          "[training][noise]") {
  const std::uint64_t seed = 53;
  CAPTURE(seed);
  const Dataset data = clusters(seed, 100, 600, 0.8f);
  TrainOptions opt;
  opt.epochs = 3;
  opt.lr = 1e-3f;
  Mlp a = small_net(seed), b = small_net(seed), c = small_net(seed);
  a.modulation().noise_sigma = 0.1f;
  std::vector<float> sigmas;
  Rng sa(stream_key(seed, Purpose::shuffle)), sb(stream_key(seed, Purpose::shuffle)),
      sc(stream_key(seed, Purpose::shuffle));
  NoiseSource na(stream_key(seed, Purpose::noise)), nc(stream_key(seed, Purpose::noise));
  const TrainResult r =
      train_with_stress(a, data, opt, 0.5f, sa, na, [&](int, double, float s) { sigmas.push_back(s); });
  CHECK(r.status == TrainStatus::ok);
  CHECK(a.modulation().noise_sigma == 0.1f);
  CHECK(sigmas == std::vector<float>{0.5f, 0.25f, 0.0f});
  // Same shuffles without noise: different weights (noise was injected).
  train(b, data, opt, sb);
  CHECK(parameter_bytes(a) != parameter_bytes(b));
  // Same keys: bit-identical.
  c.modulation().noise_sigma = 0.1f;
  train_with_stress(c, data, opt, 0.5f, sc, nc);
  CHECK(parameter_bytes(a) == parameter_bytes(c));
  // s0 = 0 is plain training.
  Mlp d = small_net(seed), e = small_net(seed);
  Rng sd(stream_key(seed, Purpose::shuffle)), se(stream_key(seed, Purpose::shuffle));
  NoiseSource nd(stream_key(seed, Purpose::noise));
  train_with_stress(d, data, opt, 0.0f, sd, nd);
  train(e, data, opt, se);
  CHECK(parameter_bytes(d) == parameter_bytes(e));
}

TEST_CASE("every training call starts a fresh Adam", "[training][adam]") {
  const std::uint64_t seed = 54;
  CAPTURE(seed);
  const Dataset data = clusters(seed, 100, 1000, 0.8f);  // 8 batches an epoch
  TrainOptions one;
  one.epochs = 1;
  TrainOptions two;
  two.epochs = 2;
  Mlp a = small_net(seed), b = small_net(seed);
  Rng sa(stream_key(seed, Purpose::shuffle)), sb(stream_key(seed, Purpose::shuffle));
  CHECK(train(a, data, one, sa).steps == 8);
  CHECK(train(a, data, one, sa).steps == 8);  // step count restarts: bias correction from t = 1
  CHECK(train(b, data, two, sb).steps == 16);
  // Same shuffles, same gradients in epoch 1; only the optimiser state at the
  // start of epoch 2 differs.
  CHECK(parameter_bytes(a) != parameter_bytes(b));
}

TEST_CASE("every training call starts from zero Adam moments: its one step moves each weight by lr",
          "[training][adam]") {
  // One batch per call (64 samples, batch 64): each call makes exactly one
  // Adam step. With zero moments and t = 1 that step is m^ = g, v^ = g^2, so
  // w -= lr g / (|g| + eps): every parameter moves by lr against the sign of
  // its gradient. Moments kept from the previous call (even with the step
  // count restarted) give m^ = 9 m_old + g and v^ = 999 v_old + g^2 instead,
  // tens of percent off for a gradient like the previous one.
  // Tolerance: lr (eps / |g| + 1e-5) for |g| > 1e-4 (eps = 1e-8; float betas
  // shift the t = 1 ratio by ~7e-6) plus float rounding of w (|w| < 1:
  // ~1.2e-7 per operation) -> lr * 2e-4 + 3e-7.
  const std::uint64_t seed = 58;
  CAPTURE(seed);
  const Dataset data = clusters(seed, 100, 64, 0.8f);
  TrainOptions single;
  single.epochs = 1;
  single.lr = 1e-2f;
  single.batch_size = 64;
  Mlp net = small_net(seed);
  Rng shuffle(stream_key(seed, Purpose::shuffle));
  for (int call = 0; call < 3; ++call) {
    CAPTURE(call);
    // The full-batch gradient at the current weights (the call's one batch
    // holds the same samples in shuffled order: the same sum up to rounding).
    Mlp probe = net;
    Matrix P, d;
    softmax_cross_entropy_forward(P, probe.forward(data.inputs, nullptr), data.labels);
    softmax_cross_entropy_backward(d, P, data.labels);
    probe.backward(d, GradientMode::masked);
    const Mlp before = net;
    REQUIRE(train(net, data, single, shuffle).steps == 1);
    long checked = 0;
    for (std::size_t l = 0; l < net.num_layers(); ++l) {
      const auto check_moves = [&](const float* w1, const float* w0, const float* g, Index n, const char* what) {
        for (Index k = 0; k < n; ++k) {
          if (std::abs(g[k]) <= 1e-4f) continue;
          CAPTURE(l, what, k, g[k]);
          const double expected = g[k] > 0.0f ? -single.lr : single.lr;
          REQUIRE(double(w1[k]) - double(w0[k]) == Approx(expected).margin(single.lr * 2e-4 + 3e-7));
          ++checked;
        }
      };
      check_moves(net.layer(l).weight().data(), before.layer(l).weight().data(),
                  probe.layer(l).weight_grad().data(), net.layer(l).weight().size(), "weight");
      check_moves(net.layer(l).bias().data(), before.layer(l).bias().data(), probe.layer(l).bias_grad().data(),
                  net.layer(l).bias().size(), "bias");
    }
    CAPTURE(checked, net.num_weights());
    CHECK(checked * 2 > net.num_weights());
  }
}

TEST_CASE("the paper network learns the cluster task: >= 99% after 2 epochs", "[training][paper]") {
  const std::uint64_t seed = 0;
  CAPTURE(seed);
  const Dataset train_set = clusters(seed, 100, 12000, 0.8f);
  const Dataset test_set = clusters(seed, 200, 4000, 0.8f);
  const Dataset clean_set = clusters(seed, 300, 2000, 0.0f);
  Mlp net({2, 512, 512, 256, 4});
  Rng init(stream_key(seed, Purpose::init));
  net.init(init);
  TrainOptions opt;
  opt.epochs = 2;
  opt.lr = 1e-3f;
  Rng shuffle(stream_key(seed, Purpose::shuffle));
  std::vector<double> losses;
  const TrainResult r = train(net, train_set, opt, shuffle, [&](int, double loss, float) { losses.push_back(loss); });
  REQUIRE(r.status == TrainStatus::ok);
  CHECK(r.steps == 2 * 94);
  REQUIRE(losses.size() == 2);
  CHECK(losses[1] < losses[0]);
  NoiseSource eval(stream_key(seed, Purpose::eval));
  const double standard = accuracy(net, test_set, EvalCondition{}, eval);
  const double clean = accuracy(net, clean_set, EvalCondition{}, eval);
  CAPTURE(standard, clean, losses[0], losses[1]);
  CHECK(standard >= 99.0);
  CHECK(clean == 100.0);
}

TEST_CASE("a diverging run returns TrainStatus::diverged instead of crashing", "[training][diverge]") {
  const std::uint64_t seed = 55;
  CAPTURE(seed);
  const Dataset data = clusters(seed, 100, 1000, 0.8f);
  SECTION("lr = 1e30") {
    Mlp net = small_net(seed);
    net.modulation().noise_sigma = 0.2f;
    TrainOptions opt;
    opt.epochs = 3;
    opt.lr = 1e30f;
    Rng shuffle(stream_key(seed, Purpose::shuffle));
    TrainResult r;
    REQUIRE_NOTHROW(r = train(net, data, opt, shuffle));
    CHECK(r.status == TrainStatus::diverged);
    CHECK(r.epochs_done < 3);
    CHECK(net.modulation().noise_sigma == 0.2f);  // restored on the early exit too
  }
  SECTION("NaN in the inputs") {
    Dataset bad = data;
    bad.inputs(17, 1) = std::numeric_limits<float>::quiet_NaN();
    Mlp net = small_net(seed);
    TrainOptions opt;
    Rng shuffle(stream_key(seed, Purpose::shuffle));
    TrainResult r;
    REQUIRE_NOTHROW(r = train(net, bad, opt, shuffle));
    CHECK(r.status == TrainStatus::diverged);
  }
}

TEST_CASE("accuracy(): hand-built classifier, chunking, noise, sigma restored", "[training][evaluate]") {
  // No hidden layer: logits_k = c_k . x for the four centres c_k. A point on
  // centre k scores 18 for class k, -18 for the opposite centre and 0 for
  // the two others: 100% on the clean set; with W negated, 0%.
  Mlp net({2, 4});
  Matrix W(4, 2);
  W << -3, -3, 3, 3, -3, 3, 3, -3;
  net.layer(0).set_weight(W);
  net.layer(0).bias().setZero();
  const Dataset clean = clusters(56, 300, 1000, 0.0f);
  NoiseSource noise(stream_key(56, Purpose::eval));
  CHECK(accuracy(net, clean, EvalCondition{}, noise) == 100.0);
  CHECK(accuracy(net, clean, EvalCondition{}, noise, 7) == 100.0);
  net.layer(0).set_weight(-W);
  CHECK(accuracy(net, clean, EvalCondition{}, noise) == 0.0);
  net.layer(0).set_weight(W);
  // Make exactly one point in 1000 wrong: accuracy 99.9.
  Dataset one_wrong = clean;
  one_wrong.labels[123] = (one_wrong.labels[123] + 1) % 4;
  CHECK(accuracy(net, one_wrong, EvalCondition{}, noise, 64) == Approx(99.9));
  // Input noise of sd 3 around centres 6 apart: roughly half the points
  // cross a boundary (each coordinate flips with P(N > 1) = 0.16).
  EvalCondition noisy;
  noisy.input_sigma = 3.0f;
  const double acc = accuracy(net, clean, noisy, noise);
  CAPTURE(acc);
  CHECK(acc > 55.0);
  CHECK(acc < 85.0);  // 0.84^2 = 70.6% expected
  // The network's own sigma is restored (evaluation sets internal_sigma).
  Mlp deep({2, 8, 4});
  Rng init(1);
  deep.init(init);
  deep.modulation().noise_sigma = 0.25f;
  EvalCondition internal;
  internal.internal_sigma = 1.0f;
  accuracy(deep, clean, internal, noise);
  CHECK(deep.modulation().noise_sigma == 0.25f);
}

TEST_CASE("sparse layer: compact master copy, dense view and direct writes stay consistent",
          "[training][sparse]") {
  using rewire_test::random_mask;
  using rewire_test::random_matrix;
  Rng rng(stream_key(21, Purpose::init));
  MaskedLinear layer(9, 7);
  layer.init_uniform(rng);
  Matrix M = random_mask(7, 9, rng, 0.6f);
  M(0, 0) = 1.0f;
  M(1, 2) = 1.0f;
  layer.set_mask(M);
  layer.set_kernel_path(KernelPath::sparse);
  REQUIRE(layer.uses_sparse());
  const Matrix W0 = layer.weight();
  const Matrix X = random_matrix(5, 9, rng), dY = random_matrix(5, 7, rng);
  const auto reference = [&](const Matrix& W) {  // X W^T + b, dense
    return Matrix((X * W.transpose()).rowwise() + layer.bias().transpose());
  };

  // Two Adam steps on the compact storage.
  std::vector<ParamRef> params;
  layer.append_parameters(params, 1);
  REQUIRE(params[0].offsets() != nullptr);
  Adam adam(AdamOptions{0.05f});
  Matrix Y;
  for (int s = 0; s < 2; ++s) {
    layer.forward(Y, X);
    layer.backward(nullptr, dY, X, GradientMode::masked);
    adam.step(params);
  }
  // The dense view shows the update, keeps masked entries at zero, and is
  // what the sparse kernels compute with.
  const Matrix W1 = static_cast<const MaskedLinear&>(layer).weight();
  for (Index k = 0; k < W1.size(); ++k) {
    if (M.data()[k] == 0.0f) REQUIRE(W1.data()[k] == 0.0f);
    else REQUIRE(W1.data()[k] != W0.data()[k]);
  }
  layer.forward(Y, X);
  CHECK((Y - reference(W1)).cwiseAbs().maxCoeff() < 1e-5);
  // The dense gradient view equals the masked dense gradient.
  Matrix dWref;
  Vector dbref;
  linear_backward_params(dWref, dbref, dY, X, &M);
  layer.backward(nullptr, dY, X, GradientMode::masked);
  CHECK((layer.weight_grad() - dWref).cwiseAbs().maxCoeff() < 1e-5);

  // A write through set_weight() reaches the kernels.
  Matrix W2 = W1;
  W2(1, 2) = 3.5f;
  layer.set_weight(W2);
  layer.forward(Y, X);
  CHECK((Y - reference(W2)).cwiseAbs().maxCoeff() < 1e-5);

  // Pruning after training keeps the trained values of the survivors.
  Matrix M2 = M;
  M2(0, 0) = 0.0f;
  layer.set_mask(M2);
  const Matrix W3 = layer.weight();
  CHECK(W3(0, 0) == 0.0f);
  for (Index k = 1; k < W3.size(); ++k)
    if (M2.data()[k] != 0.0f) REQUIRE(W3.data()[k] == W2.data()[k]);

  // Re-initialising a sparse layer whose compact copy is current replaces it.
  layer.forward(Y, X);
  Rng init2(99), init3(99);
  layer.init_uniform(init2);
  MaskedLinear fresh(9, 7);
  fresh.set_mask(M2);
  fresh.init_uniform(init3);
  CHECK(bitwise_equal(static_cast<const MaskedLinear&>(layer).weight(), fresh.weight()));
  layer.forward(Y, X);
  const Matrix Yfresh = (X * fresh.weight().transpose()).rowwise() + fresh.bias().transpose();
  CHECK((Y - Yfresh).cwiseAbs().maxCoeff() < 1e-5);
}
