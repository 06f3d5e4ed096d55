// test_rnn.cpp - the recurrent network as an object: construction and its
// refusals, Dale's unit rule, the two kernel paths in float, masks that
// keep pruned weights at exactly zero through training, a const evaluation
// that changes nothing, parameter names, and Dale's law through training,
// pruning and regrowth.
#include <catch2/catch.hpp>
#include <rewire/rewire.hpp>

#include "require_invalid.hpp"
#include "test_helpers.hpp"

#include <cmath>
#include <string>

using namespace rewire;
using rewire_test::dale_violations;
using rewire_test::random_mask;
using rewire_test::random_matrix;

namespace {

/// A small clusters-over-time task: 3 channels, 4 classes, 10 steps.
TrialSet small_trials(Index n, std::uint64_t key, float sigma = 0.8f) {
  ClusterTaskSpec spec;
  spec.timing = TrialTiming{1, 6, 0, 3};
  spec.step_sigma = 0.3f;
  Rng rng(key);
  return make_cluster_trials(n, sigma, spec, rng);
}

Rnn small_net(RnnOptions options = {}, std::uint64_t key = 1) {
  Rnn net(3, 24, 4, options);
  Rng init(key);
  net.init(init);
  return net;
}

}  // namespace

TEST_CASE("rnn construction refuses bad sizes and options, naming them", "[rnn][errors]") {
  REQUIRE_INVALID(Rnn(3, 0, 4), "units = 0");
  REQUIRE_INVALID(Rnn(0, 8, 4), "inputs = 0");
  REQUIRE_INVALID(Rnn(3, 8, 0), "outputs = 0");
  for (float alpha : {0.0f, -0.1f, 1.5f, std::nanf("")})
    REQUIRE_INVALID(Rnn(3, 8, 4, RnnOptions{alpha, false, 0.8}), "alpha");
  for (double f : {-0.1, 1.01, double(std::nanf(""))}) {
    REQUIRE_INVALID(Rnn(3, 8, 4, RnnOptions{0.2f, true, f}), "excitatory_fraction");
    REQUIRE_INVALID(Rnn(3, 8, 4, RnnOptions{0.2f, false, f}), "excitatory_fraction");
  }
  CHECK_NOTHROW(Rnn(3, 8, 4, RnnOptions{1.0f, true, 0.0}));
  CHECK_NOTHROW(Rnn(3, 8, 4, RnnOptions{1.0f, true, 1.0}));
  Rnn empty;
  REQUIRE_INVALID(empty.num_weights(), "default-constructed");
  REQUIRE_INVALID(empty.parameters(), "default-constructed");
  REQUIRE_INVALID(empty.set_kernel_path(KernelPath::sparse), "default-constructed");
  REQUIRE_INVALID(prune_to(empty, 0.5), "default-constructed");
}

TEST_CASE("rnn forward and backward refuse mismatched inputs", "[rnn][errors]") {
  Rnn net = small_net();
  const TrialSet s = small_trials(5, 3);
  REQUIRE_INVALID(net.backward(Matrix::Zero(50, 4)), "forward pass first");
  REQUIRE_INVALID(net.forward(Matrix::Zero(50, 2), 10, nullptr), "channels");
  REQUIRE_INVALID(net.forward(s.inputs, 7, nullptr), "steps * batch");
  REQUIRE_INVALID(net.forward(s.inputs, 0, nullptr), "steps * batch");
  net.modulation().noise_sigma = 0.5f;
  REQUIRE_INVALID(net.forward(s.inputs, s.steps(), nullptr), "NoiseSource");
  net.modulation().noise_sigma = 0.0f;
  net.forward(s.inputs, s.steps(), nullptr);
  REQUIRE_INVALID(net.backward(Matrix::Zero(49, 4)), "shape");
  // A task whose width is not the network's.
  Rnn wide(5, 8, 4);
  Rng shuffle(1);
  REQUIRE_INVALID(train(wide, s, {}, shuffle), "input channels");
  Rnn two(3, 8, 2);
  REQUIRE_INVALID(accuracy(two, s), "outside the network's classes");
}

TEST_CASE("Dale's law: the first round(f * units) units are excitatory", "[rnn][dale]") {
  for (const auto& [units, fraction, want] :
       std::vector<std::tuple<Index, double, Index>>{{10, 0.8, 8}, {5, 0.5, 3}, {7, 0.0, 0}, {7, 1.0, 7}, {3, 0.5, 2}}) {
    CAPTURE(units, fraction);
    Rnn net(2, units, 2, RnnOptions{0.5f, true, fraction});
    CHECK(net.excitatory_units() == want);
    REQUIRE(net.unit_signs().size() == units);
    for (Index j = 0; j < units; ++j) CHECK(net.unit_signs()[j] == (j < want ? 1.0f : -1.0f));
    CHECK(net.layer(RnnLayer::recurrent).input_signs() == net.unit_signs());
    CHECK(net.layer(RnnLayer::output).input_signs() == net.unit_signs());
    CHECK_FALSE(net.layer(RnnLayer::input).sign_constrained());
  }
  CHECK(Rnn(2, 5, 2).unit_signs().size() == 0);
  // The balanced start: every unit's expected recurrent input is zero, so
  // the inhibitory columns' magnitudes are n_E / n_I times larger on average.
  Rnn net = small_net(RnnOptions{0.2f, true, 0.75});
  const Matrix W = net.layer(RnnLayer::recurrent).effective_weight();
  const double excitatory = W.leftCols(18).sum(), inhibitory = W.rightCols(6).sum();
  CHECK(excitatory > 0.0);
  CHECK(inhibitory < 0.0);
  CHECK(std::abs(excitatory + inhibitory) < 0.2 * excitatory);
  CHECK(dale_violations(net) == 0);
}

TEST_CASE("rnn parameters: names, order and counts", "[rnn]") {
  Rnn net = small_net();
  const auto params = net.parameters();
  const std::vector<std::string> want{"rnn.input.weight",     "rnn.input.bias",  "rnn.recurrent.weight",
                                      "rnn.recurrent.bias",  "rnn.output.weight", "rnn.output.bias"};
  REQUIRE(params.size() == want.size());
  for (std::size_t k = 0; k < want.size(); ++k) CHECK(params[k].name() == want[k]);
  CHECK(net.num_weights() == 3 * 24 + 24 * 24 + 24 * 4);
  CHECK(net.num_active_weights() == net.num_weights());
  CHECK(net.sparsity() == 0.0);
  CHECK(net.layer_name(1) == "rnn.recurrent");
}

TEST_CASE("rnn dense and sparse kernel paths compute the same function in float", "[rnn][sparse]") {
  for (bool dale : {false, true}) {
    for (Activation f : {Activation::relu, Activation::tanh}) {
      CAPTURE(dale, to_string(f));
      Rnn dense = small_net(RnnOptions{0.3f, dale, 0.8});
      prune_to(dense, 0.8);
      dense.modulation() = Modulation{f, 0.4f, 0.8f};
      dense.set_kernel_path(KernelPath::dense);
      Rnn sparse = dense;
      sparse.set_kernel_path(KernelPath::sparse);
      REQUIRE(sparse.layer(RnnLayer::recurrent).uses_sparse());
      REQUIRE_FALSE(dense.layer(RnnLayer::recurrent).uses_sparse());
      const TrialSet s = small_trials(20, 4);
      NoiseSource n1(5), n2(5);
      const Matrix y1 = dense.forward(s.inputs, s.steps(), &n1);
      const Matrix y2 = sparse.forward(s.inputs, s.steps(), &n2);
      CHECK((y1 - y2).cwiseAbs().maxCoeff() < 1e-4f * (1.0f + y1.cwiseAbs().maxCoeff()));
      // Training: a few epochs on each path end at nearly the same weights.
      Rng sh1(6), sh2(6);
      NoiseSource t1(7), t2(7);
      train_with_stress(dense, s, {3, 1e-3f, 8}, 0.3f, sh1, t1);
      train_with_stress(sparse, s, {3, 1e-3f, 8}, 0.3f, sh2, t2);
      for (std::size_t l = 0; l < dense.num_layers(); ++l)
        CHECK((dense.layer(l).weight() - sparse.layer(l).weight()).cwiseAbs().maxCoeff() < 1e-4f);
    }
  }
}

TEST_CASE("rnn masked weights get exactly zero gradient and stay exactly zero", "[rnn][masks]") {
  for (KernelPath path : {KernelPath::dense, KernelPath::sparse}) {
    Rnn net = small_net(RnnOptions{0.25f, true, 0.8});
    Rng rng(8);
    for (std::size_t l = 0; l < net.num_layers(); ++l)
      net.layer(l).set_mask(random_mask(net.layer(l).out_features(), net.layer(l).in_features(), rng, 0.6f));
    net.set_kernel_path(path);
    const TrialSet s = small_trials(30, 9);
    Matrix P, dY;
    sequence_cross_entropy_forward(P, net.forward(s.inputs, s.steps(), nullptr), s.labels, s.response);
    sequence_cross_entropy_backward(dY, P, s.labels, s.response);
    net.backward(dY, GradientMode::masked);
    long nonzero_grad = 0, some_grad = 0;
    for (std::size_t l = 0; l < net.num_layers(); ++l) {
      const Matrix g = net.layer(l).weight_grad(), m = net.layer(l).mask();
      nonzero_grad += ((m.array() == 0.0f) && (g.array() != 0.0f)).count();
      some_grad += ((m.array() == 1.0f) && (g.array() != 0.0f)).count();
    }
    CHECK(nonzero_grad == 0);
    CHECK(some_grad > 100);
    Rng shuffle(10);
    NoiseSource noise(11);
    train_with_stress(net, s, {4, 1e-2f, 10}, 0.5f, shuffle, noise);
    long moved_masked = 0;
    for (std::size_t l = 0; l < net.num_layers(); ++l)
      moved_masked += ((net.layer(l).mask().array() == 0.0f) && (net.layer(l).weight().array() != 0.0f)).count();
    CHECK(moved_masked == 0);
  }
}

TEST_CASE("a const rnn evaluation changes nothing and matches the training forward", "[rnn]") {
  Rnn net = small_net();
  const TrialSet s = small_trials(12, 12);
  const auto before = rewire_test::parameter_bytes(net);
  Rnn::Buffers b;
  const Matrix y_const = net.forward(b, s.inputs, s.steps(), nullptr, net.modulation());
  CHECK(rewire_test::parameter_bytes(net) == before);
  const Matrix y_train = net.forward(s.inputs, s.steps(), nullptr);
  CHECK(rewire_test::bitwise_equal(y_const, y_train));
  // Chunked evaluation puts every trial's rows in their places (products
  // over other batch sizes may round differently, hence the tolerance).
  const Matrix y_chunks = readout(net, s, 5);
  REQUIRE(y_chunks.rows() == y_train.rows());
  CHECK((y_chunks - y_train).cwiseAbs().maxCoeff() < 1e-5f * (1.0f + y_train.cwiseAbs().maxCoeff()));
  CHECK(rewire_test::bitwise_equal(readout(net, s, 12), y_train));  // one chunk: the same computation
}

TEST_CASE("Dale's law holds through training, pruning and regrowth", "[rnn][dale]") {
  for (KernelPath path : {KernelPath::dense, KernelPath::automatic}) {
    CAPTURE(path == KernelPath::dense ? "dense" : "automatic");
    Rnn net = small_net(RnnOptions{0.25f, true, 0.7}, 13);
    net.set_kernel_path(path);
    const TrialSet s = small_trials(64, 14);
    Rng shuffle(15), values(16);
    NoiseSource noise(17);
    CHECK(dale_violations(net) == 0);
    train_with_stress(net, s, {5, 5e-2f, 16}, 0.5f, shuffle, noise);  // a large rate moves many weights through 0
    CHECK(dale_violations(net) == 0);
    prune_to(net, 0.9, PruneScope::global);
    CHECK(net.sparsity() == Approx(0.9).margin(0.01));
    CHECK(dale_violations(net) == 0);
    RegrowOptions o;
    o.batches = 3;
    o.batch_size = 16;
    o.init_sd = 0.3f;
    const Matrix before_mask = net.layer(RnnLayer::recurrent).mask();
    const auto regrown = regrow_by_gradient(net, s, o, shuffle, values);
    REQUIRE(regrown.size() == 3);
    CHECK(regrown[1] > 0);
    CHECK(dale_violations(net) == 0);
    // Regrown weights exist with both raw signs, and their effective sign is the unit's.
    const Matrix raw = net.layer(RnnLayer::recurrent).weight();
    long negative_raw_from_excitatory = 0;
    for (Index j = 0; j < net.excitatory_units(); ++j)
      for (Index o2 = 0; o2 < raw.rows(); ++o2)
        negative_raw_from_excitatory += before_mask(o2, j) == 0.0f && raw(o2, j) < 0.0f;
    CHECK(negative_raw_from_excitatory > 0);
    train(net, s, {3, 5e-2f, 16}, shuffle);
    CHECK(dale_violations(net) == 0);
    // The function uses the effective weights: an unconstrained copy holding
    // them computes the same readout.
    Rnn free(3, 24, 4, RnnOptions{0.25f, false, 0.7});
    for (std::size_t l = 0; l < net.num_layers(); ++l) {
      free.layer(l).set_weight(net.layer(l).effective_weight());
      free.layer(l).bias() = net.layer(l).bias();
    }
    const Matrix y = net.forward(s.inputs, s.steps(), nullptr), y_free = free.forward(s.inputs, s.steps(), nullptr);
    CHECK((y - y_free).cwiseAbs().maxCoeff() < 1e-5f * (1.0f + y.cwiseAbs().maxCoeff()));
  }
}
