// test_ownership.cpp - one owner per weight: what a user's own code sees
// through the public API. A plain SGD loop over Mlp::parameters() trains a
// pruned (sparse-path) network exactly as the dense path does, handles taken
// before pruning stay valid, a stale optimiser state is refused, reads are
// copies that cannot go stale, const networks evaluate without changing, and
// misuse (an empty network, impossible arguments) gets a clear error.
#include <catch2/catch.hpp>
#include <rewire/rewire.hpp>

#include "test_helpers.hpp"

#include <cmath>
#include <filesystem>
#include <limits>
#include <thread>
#include <vector>

using namespace rewire;

namespace {

Dataset clusters(std::uint64_t key, Index n) {
  Rng rng(stream_key(key, Purpose::data));
  return make_gaussian_clusters(n, 0.8f, rng);
}

/// A fresh {2, 64, 64, 4} network (the same weights for the same seed).
Mlp fresh_net(std::uint64_t seed) {
  Mlp net({2, 64, 64, 4});
  Rng init(stream_key(seed, Purpose::init));
  net.init(init);
  return net;
}

/// `steps` plain SGD steps, w -= lr * dL/dw, written the way a user would:
/// through the parameter handles, on mini-batches in data order.
void sgd(Mlp& net, const std::vector<ParamRef>& params, const Dataset& data, int steps, float lr) {
  Matrix P, dlogits;
  for (int s = 0; s < steps; ++s) {
    const Index start = (Index(s) * 64) % (data.size() - 64);
    const Matrix X = data.inputs.middleRows(start, 64);
    const Labels y = data.labels.segment(start, 64);
    softmax_cross_entropy_forward(P, net.forward(X, nullptr), y);
    softmax_cross_entropy_backward(dlogits, P, y);
    net.backward(dlogits);
    for (const ParamRef& p : params) p.values() -= lr * p.grads();
  }
}

double max_abs_diff(const Mlp& a, const Mlp& b) {
  double worst = 0.0;
  for (std::size_t l = 0; l < a.num_layers(); ++l)
    worst = std::max(worst, double((a.layer(l).weight() - b.layer(l).weight()).cwiseAbs().maxCoeff()));
  return worst;
}

/// Entries of `net`'s weights that are non-zero where the mask prunes them.
Index nonzero_where_pruned(const Mlp& net) {
  Index n = 0;
  for (std::size_t l = 0; l < net.num_layers(); ++l)
    n += ((net.layer(l).mask().array() == 0.0f) && (net.layer(l).weight().array() != 0.0f)).count();
  return n;
}

}  // namespace

TEST_CASE("a user's SGD loop trains a pruned network on either kernel path", "[ownership]") {
  const Dataset train_set = clusters(1, 2048), test_set = clusters(2, 1024);
  Mlp on_dense = fresh_net(3);
  Mlp on_sparse = fresh_net(3);
  // Handles taken BEFORE pruning: they must follow the layers' new storage.
  const std::vector<ParamRef> pd = on_dense.parameters(), ps = on_sparse.parameters();
  on_dense.set_kernel_path(KernelPath::dense);
  on_sparse.set_kernel_path(KernelPath::sparse);
  prune_to(on_dense, 0.9);
  prune_to(on_sparse, 0.9);
  REQUIRE_FALSE(on_dense.layer(1).uses_sparse());
  REQUIRE(on_sparse.layer(1).uses_sparse());
  REQUIRE(ps[2].offsets() != nullptr);  // layer2.weight: compact storage
  REQUIRE(ps[2].size() == on_sparse.layer(1).active_weights());
  const double before = accuracy(on_sparse, test_set);
  const Matrix W1 = on_sparse.layer(0).weight();
  const std::vector<Matrix> masks{on_sparse.layer(0).mask(), on_sparse.layer(1).mask(), on_sparse.layer(2).mask()};

  sgd(on_dense, pd, train_set, 300, 0.2f);
  sgd(on_sparse, ps, train_set, 300, 0.2f);

  // The sparse path trained: layer 1 moved and the accuracy rose far above
  // chance (an update lost on the way would leave both where they were).
  CHECK((on_sparse.layer(0).weight() - W1).cwiseAbs().maxCoeff() > 1e-2);
  const double after_sparse = accuracy(on_sparse, test_set), after_dense = accuracy(on_dense, test_set);
  CAPTURE(before, after_sparse, after_dense);
  CHECK(after_sparse > before + 20.0);
  CHECK(after_sparse > 80.0);
  // ... exactly as the dense path: same weights up to float rounding (the
  // paths sum in different orders; 300 steps of lr 0.2 amplify 1e-7 to ~1e-5).
  CHECK(max_abs_diff(on_dense, on_sparse) < 1e-3);
  CHECK(std::abs(after_sparse - after_dense) < 0.5);
  // Pruned weights stayed exactly zero on both paths (a masked gradient is zero there).
  for (std::size_t l = 0; l < 3; ++l) {
    CHECK(on_sparse.layer(l).mask() == masks[l]);
    CHECK((on_sparse.layer(l).weight().array() * (1.0f - masks[l].array())).isZero(0.0f));
    CHECK((on_dense.layer(l).weight().array() * (1.0f - masks[l].array())).isZero(0.0f));
  }
}

TEST_CASE("parameter handles follow pruning and regrowth, and Adam refuses a stale state", "[ownership]") {
  const Dataset data = clusters(4, 512);
  Mlp net = fresh_net(5);
  const std::vector<ParamRef> params = net.parameters();
  REQUIRE(params.size() == 6);
  CHECK(params[0].name() == "layer1.weight");
  CHECK(params[5].name() == "layer3.bias");
  const auto v0 = params[2].layout_version();
  CHECK(params[2].size() == 64 * 64);

  Adam adam;
  Matrix P, dlogits;
  const Matrix X = data.inputs.topRows(64);
  const Labels y = data.labels.head(64);
  softmax_cross_entropy_forward(P, net.forward(X, nullptr), y);
  softmax_cross_entropy_backward(dlogits, P, y);
  net.backward(dlogits);
  adam.step(params);

  prune_to(net, 0.8);  // sparse path now: the handles see the compact entries
  CHECK(params[2].layout_version() != v0);
  CHECK(params[2].size() == net.layer(1).active_weights());
  CHECK(params[2].mask() == nullptr);
  CHECK_THROWS_WITH(adam.step(params), Catch::Contains("layer1.weight") && Catch::Contains("fresh Adam"));

  // Regrowth too changes the layout, and writes through a handle reach the
  // forward (no stale copy inside the layer).
  Rng shuffle(6), values(7);
  regrow_by_gradient(net, data, RegrowOptions{2, 0.25, 0.03f, 64, RegrowTies::random}, shuffle, values);
  CHECK(params[2].size() == net.layer(1).active_weights());
  const Matrix W3 = net.layer(2).weight();
  const Matrix logits_before = net.forward(X, nullptr);
  params[4].values() *= 2.0f;  // layer3.weight, wherever it is stored
  CHECK(rewire_test::bitwise_equal(net.layer(2).weight(), Matrix(2.0f * W3)));
  const Matrix logits_after = net.forward(X, nullptr);
  CHECK_FALSE(rewire_test::bitwise_equal(logits_before, logits_after));
}

TEST_CASE("writes through a handle keep pruned weights at zero on the dense path", "[ownership]") {
  // Density 0.7 is above the crossover: every layer stores its full matrix,
  // and values() is all of it, pruned entries included.
  Mlp net({16, 16, 16, 4});
  Rng init(21);
  net.init(init);
  prune_to(net, 0.3);
  for (std::size_t l = 0; l < net.num_layers(); ++l) REQUIRE_FALSE(net.layer(l).uses_sparse());
  const double sparsity = net.sparsity();
  const std::vector<ParamRef> params = net.parameters();
  REQUIRE(params[2].mask() != nullptr);  // layer2.weight: some entries are masked

  for (const ParamRef& p : params) p.values() += 0.5f;  // a whole-array write
  CHECK(nonzero_where_pruned(net) == 0);
  {  // a write scope held in a variable, through single entries
    auto w = params[2].values();
    for (Index k = 0; k < w.size(); ++k) w(k) = k % 2 == 0 ? 3.0f : std::numeric_limits<float>::quiet_NaN();
  }
  for (Index k = 0; k < params[2].size(); ++k)
    if (params[2].mask()[k] != 0.0f) params[2].values()(k) = 0.25f * float(k % 7) - 0.5f;  // active: finite again
  CHECK(nonzero_where_pruned(net) == 0);
  CHECK(net.sparsity() == sparsity);
  CHECK(net.layer(1).weight().allFinite());

  // Both kernel paths, and a saved and loaded copy, compute the same function.
  Rng data(22);
  const Matrix X = rewire_test::random_matrix(32, 16, data);
  const Matrix dense = net.forward(X, nullptr);
  net.set_kernel_path(KernelPath::sparse);
  const Matrix sparse = net.forward(X, nullptr);
  CHECK((dense - sparse).cwiseAbs().maxCoeff() < 1e-5f);
  net.set_kernel_path(KernelPath::automatic);
  CHECK(rewire_test::bitwise_equal(Matrix(net.forward(X, nullptr)), dense));
  const auto file = std::filesystem::temp_directory_path() / "rewire_test_ownership_handle.npz";
  io::save(file, net);
  io::Checkpoint back = io::load(file);
  std::filesystem::remove(file);
  CHECK(rewire_test::bitwise_equal(Matrix(back.net.forward(X, nullptr)), dense));

  // A caller's own tensor with a mask: its masked entries stay zero too.
  std::vector<float> values{1, 2, 3, 4}, grads(4, 0.0f), mask{1, 0, 1, 0};
  const ParamRef raw("raw", values.data(), grads.data(), 4, mask.data());
  raw.values() += 1.0f;
  CHECK(values == std::vector<float>{2, 0, 4, 0});
}

TEST_CASE("weight() is a copy, and set_weight is the one way in and keeps the mask", "[ownership]") {
  for (const KernelPath path : {KernelPath::dense, KernelPath::sparse}) {
    CAPTURE(path == KernelPath::sparse ? "sparse" : "dense");
    Rng rng(11);
    MaskedLinear layer(6, 5);
    layer.init_uniform(rng);
    Matrix M = rewire_test::random_mask(5, 6, rng, 0.5f);
    M(0, 0) = 0.0f;
    layer.set_mask(M);
    layer.set_kernel_path(path);
    Matrix W = layer.weight();
    W(0, 0) = 9.0f;  // a masked position: the mask wins
    W(1, 1) = 4.0f;
    layer.set_weight(W);
    CHECK(layer.weight()(0, 0) == 0.0f);
    CHECK(layer.weight()(1, 1) == (M(1, 1) != 0.0f ? 4.0f : 0.0f));
    // The forward computes with what set_weight stored.
    const Matrix X = rewire_test::random_matrix(3, 6, rng);
    Matrix Y, Yref;
    layer.forward(Y, X);
    linear_forward(Yref, X, Matrix(layer.weight()), layer.bias());
    CHECK((Y - Yref).cwiseAbs().maxCoeff() < 1e-6);
    // Wrong shapes and non-finite values are refused, and nothing changes.
    const Matrix kept = layer.weight();
    CHECK_THROWS_AS(layer.set_weight(Matrix::Zero(6, 5)), std::invalid_argument);
    Matrix bad = kept;
    bad(2, 2) = std::numeric_limits<float>::infinity();
    CHECK_THROWS_AS(layer.set_weight(bad), std::invalid_argument);
    CHECK(rewire_test::bitwise_equal(layer.weight(), kept));
    CHECK_THROWS_AS(layer.forward(Y, Matrix::Zero(3, 5)), std::invalid_argument);  // 5 features for 6 inputs
  }
}

TEST_CASE("a const network evaluates from several threads without changing", "[ownership][threads]") {
  const Dataset data = clusters(8, 1024);
  Mlp net = fresh_net(9);
  Rng shuffle(10);
  train(net, data, TrainOptions{2, 1e-2f, 64}, shuffle);
  prune_to(net, 0.7);
  const Mlp& frozen = net;
  const EvalCondition noisy{0.5f, 0.5f};
  NoiseSource n0(stream_key(1, Purpose::eval));
  const double serial = accuracy(frozen, data, noisy, n0);
  double a = -1.0, b = -1.0;
  std::thread t1([&] {
    NoiseSource n(stream_key(1, Purpose::eval));
    a = accuracy(frozen, data, noisy, n);
  });
  std::thread t2([&] {
    NoiseSource n(stream_key(1, Purpose::eval));
    b = accuracy(frozen, data, noisy, n);
  });
  t1.join();
  t2.join();
  CHECK(a == serial);
  CHECK(b == serial);
  CHECK(net.modulation().noise_sigma == 0.0f);
  // predict: the arg-max class of each row, noise-free.
  const Labels predicted = predict(frozen, data.inputs);
  Index correct = 0;
  for (Index n = 0; n < data.size(); ++n) correct += predicted[n] == data.labels[n];
  CHECK(100.0 * double(correct) / double(data.size()) == accuracy(frozen, data));
}

TEST_CASE("misuse gets a clear error: empty network, impossible arguments", "[ownership][errors]") {
  Mlp empty;
  const Dataset data = clusters(12, 64);
  Rng rng(13);
  CHECK_THROWS_WITH(empty.in_features(), Catch::Contains("no layers"));
  CHECK_THROWS_WITH(empty.forward(data.inputs, nullptr), Catch::Contains("no layers"));
  CHECK_THROWS_WITH(accuracy(empty, data), Catch::Contains("no layers"));
  CHECK_THROWS_WITH(train(empty, data, TrainOptions{}, rng), Catch::Contains("no layers"));
  CHECK_THROWS_WITH(empty.sparsity(), Catch::Contains("no layers"));
  // Nothing on an empty network returns as if it had done its work.
  CHECK_THROWS_WITH(empty.parameters(), Catch::Contains("no layers"));
  CHECK_THROWS_WITH(prune_to(empty, 0.5), Catch::Contains("no layers"));
  CHECK_THROWS_WITH(prune_to(empty, 0.5, PruneScope::global), Catch::Contains("no layers"));
  CHECK_THROWS_WITH(empty.set_kernel_path(KernelPath::sparse), Catch::Contains("no layers"));
  CHECK_THROWS_WITH(empty.layer(0), Catch::Contains("no layers"));
  Adam adam;
  CHECK_THROWS_WITH(adam.step(std::vector<ParamRef>{}), Catch::Contains("no parameters"));
  CHECK(adam.steps() == 0);
  CHECK_THROWS_WITH(rng.below(0), Catch::Contains("below"));
  // Regrowing a fraction 0 reopens nothing.
  Mlp net = fresh_net(14);
  prune_to(net, 0.9);
  const Index active = net.num_active_weights();
  Rng shuffle(15), values(16);
  const auto regrown =
      regrow_by_gradient(net, data, RegrowOptions{1, 0.0, 0.03f, 32, RegrowTies::random}, shuffle, values);
  for (const Index n : regrown) CHECK(n == 0);
  CHECK(net.num_active_weights() == active);
}
