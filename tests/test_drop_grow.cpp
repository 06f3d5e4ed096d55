// test_drop_grow.cpp - dynamic sparsity at constant density (prune/drop_grow.hpp):
// a step drops the k = floor(fraction * active) active weights of smallest
// |W| and grows k inactive positions (by score, or at random) at weight 0;
// a position dropped and grown again keeps its weight; the active count is
// unchanged; the same step from the same state and streams gives the same bits.
#include <catch2/catch.hpp>
#include <rewire/rewire.hpp>

#include "test_helpers.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

using namespace rewire;
using rewire_test::bitwise_equal;

namespace {

/// 3x4 layer, flat (column-major) weights 1..12 scaled, 8 of 12 active:
/// inactive flat indices 1, 4, 7, 10.
MaskedLinear hand_layer() {
  MaskedLinear l(4, 3);  // in 4, out 3: W is 3 x 4
  Matrix W(3, 4), M = Matrix::Ones(3, 4);
  const float flat[12] = {0.9f, 5.0f, -0.1f, 0.4f, 5.0f, 0.3f, -0.7f, 5.0f, 0.2f, 0.3f, 5.0f, -1.1f};
  for (Index k = 0; k < 12; ++k) W.data()[k] = flat[k];
  for (Index k : {1, 4, 7, 10}) M.data()[k] = 0.0f;
  l.set_weight(W);
  l.set_mask(M);
  return l;
}

std::vector<Index> active_positions(const MaskedLinear& l) {
  std::vector<Index> out;
  for (Index k = 0; k < l.mask().size(); ++k)
    if (l.mask().data()[k] != 0.0f) out.push_back(k);
  return out;
}

Matrix flat_scores(std::initializer_list<float> flat) {
  Matrix S(3, 4);
  auto it = flat.begin();
  for (Index k = 0; k < 12; ++k) S.data()[k] = *it++;
  return S;
}

bool pruned_weights_are_zero(const MaskedLinear& l) {
  const Matrix W = l.weight();
  for (Index k = 0; k < W.size(); ++k)
    if (l.mask().data()[k] == 0.0f && W.data()[k] != 0.0f) return false;
  return true;
}

}  // namespace

TEST_CASE("drop_and_grow_layer drops the weakest and grows the best-scoring inactive positions", "[drop_grow]") {
  MaskedLinear l = hand_layer();
  const Matrix before = l.weight();
  // Active |W| ascending: 2 (0.1), 8 (0.2), 5 (0.3), 9 (0.3: tie, higher index), 3 (0.4), 6, 0, 11.
  // fraction 0.4 of 8 active: k = 3, dropped {2, 5, 8}.
  // Scores: inactive after the drop are {1, 2, 4, 5, 7, 8, 10}; the best three
  // are 5 (9.0, just dropped: keeps 0.3), 10 (8.0) and 1 (7.0, tie with 7: lower index).
  const Matrix S = flat_scores({0, 7, 1, 99, 2, 9, 99, 7, 3, 99, 8, 99});
  Rng unused(1);
  REQUIRE(drop_and_grow_layer(l, 0.4, GrowBy::gradient, S, unused) == 3);
  CHECK(active_positions(l) == std::vector<Index>{0, 1, 3, 5, 6, 9, 10, 11});
  const Matrix W = l.weight();
  CHECK(W.data()[1] == 0.0f);   // grown: starts at 0
  CHECK(W.data()[10] == 0.0f);  // grown: starts at 0
  CHECK(W.data()[5] == before.data()[5]);  // dropped and grown again: kept
  for (Index k : {0, 3, 6, 9, 11}) CHECK(W.data()[k] == before.data()[k]);  // untouched
  CHECK(W.data()[2] == 0.0f);
  CHECK(W.data()[8] == 0.0f);
  CHECK(pruned_weights_are_zero(l));
  CHECK(unused.next_u64() == Rng(1).next_u64());  // the gradient rule draws nothing
}

TEST_CASE("drop_and_grow_layer at random grows a keyed Fisher-Yates choice of the inactive positions",
          "[drop_grow]") {
  const std::uint64_t key = stream_key(3, Purpose::regrow);
  MaskedLinear l = hand_layer();
  Rng rng(key);
  REQUIRE(drop_and_grow_layer(l, 0.4, GrowBy::random, Matrix(), rng) == 3);
  // The reference: the inactive positions after the drop, in increasing
  // order, then three draws of a partial Fisher-Yates from the same stream.
  std::vector<Index> candidates{1, 2, 4, 5, 7, 8, 10};
  Rng ref(key);
  for (std::size_t i = 0; i < 3; ++i)
    std::swap(candidates[i], candidates[i + ref.below(std::uint32_t(candidates.size() - i))]);
  std::vector<Index> expected{0, 3, 6, 9, 11};
  expected.insert(expected.end(), candidates.begin(), candidates.begin() + 3);
  std::sort(expected.begin(), expected.end());
  CHECK(active_positions(l) == expected);
  CHECK(rng.next_u64() == ref.next_u64());  // exactly three draws
  CHECK(pruned_weights_are_zero(l));
}

TEST_CASE("drop_and_grow_layer refuses bad input by name", "[drop_grow]") {
  MaskedLinear l = hand_layer();
  Rng rng(1);
  CHECK_THROWS_WITH(drop_and_grow_layer(l, 1.5, GrowBy::random, Matrix(), rng),
                    Catch::Contains("drop-and-grow fraction"));
  CHECK_THROWS_WITH(drop_and_grow_layer(l, 0.5, GrowBy::gradient, Matrix(2, 2), rng),
                    Catch::Contains("drop-and-grow scores"));
  Matrix S = Matrix::Zero(3, 4);
  S(0, 1) = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS_WITH(drop_and_grow_layer(l, 0.5, GrowBy::gradient, S, rng), Catch::Contains("NaN"));
  CHECK_THROWS_WITH(parse_grow_by("magnitude"), Catch::Contains("grow rule 'magnitude' is unknown"));
  CHECK(active_positions(hand_layer()).size() == 8);
  CHECK(drop_and_grow_layer(l, 0.0, GrowBy::random, Matrix(), rng) == 0);  // k = 0: nothing to do
}

TEST_CASE("a RigL-style loop keeps every layer's density exactly and reproduces bit for bit", "[drop_grow]") {
  Rng data_rng(stream_key(0, Purpose::data));
  const Dataset data = make_gaussian_clusters(256, 1.0f, data_rng);
  auto run = [&](GrowBy grow, KernelPath path) {
    Mlp net({2, 32, 32, 4});
    Rng init(stream_key(0, Purpose::init));
    net.init(init);
    prune_to(net, 0.9);
    net.set_kernel_path(path);
    std::vector<Index> active;
    for (std::size_t l = 0; l < net.num_layers(); ++l) active.push_back(net.layer(l).active_weights());
    Rng shuffle(stream_key(0, Purpose::shuffle)), rng(stream_key(0, Purpose::regrow));
    TrainOptions train_options;
    train_options.epochs = 10;
    train_options.lr = 1e-2f;
    train_options.batch_size = 64;
    DropGrowOptions step;
    step.grow = grow;
    step.fraction = 0.3;
    for (int round = 0; round < 4; ++round) {
      train(net, data, train_options, shuffle);
      std::vector<Matrix> masks;
      for (std::size_t l = 0; l < net.num_layers(); ++l) masks.push_back(net.layer(l).mask());
      const std::vector<Index> k = drop_and_grow(net, data, step, shuffle, rng);
      for (std::size_t l = 0; l < net.num_layers(); ++l) {
        CHECK(net.layer(l).mask() != masks[l]);  // connections moved
        CHECK(net.layer(l).active_weights() == active[l]);
        CHECK(k[l] == Index(std::floor(0.3 * double(active[l]))));
        CHECK(pruned_weights_are_zero(net.layer(l)));
      }
    }
    return net;
  };
  for (GrowBy grow : {GrowBy::gradient, GrowBy::random}) {
    CAPTURE(to_string(grow));
    const Mlp a = run(grow, KernelPath::dense), b = run(grow, KernelPath::dense);
    for (std::size_t l = 0; l < a.num_layers(); ++l) {
      CHECK(bitwise_equal(a.layer(l).weight(), b.layer(l).weight()));
      CHECK(bitwise_equal(a.layer(l).mask(), b.layer(l).mask()));
    }
    CHECK(accuracy(a, data) > 90.0);  // four well-separated clusters: the sparse network still learns them
    run(grow, KernelPath::sparse);      // the same invariants on the sparse kernels
  }
}

namespace {

/// 2x2 layer with the given flat weights; `inactive` flat positions masked (their weights become 0).
MaskedLinear layer2x2(std::initializer_list<float> flat, Index inactive) {
  MaskedLinear l(2, 2);
  Matrix W(2, 2), M = Matrix::Ones(2, 2);
  auto it = flat.begin();
  for (Index k = 0; k < 4; ++k) W.data()[k] = *it++;
  M.data()[inactive] = 0.0f;
  l.set_weight(W);
  l.set_mask(M);
  return l;
}

Matrix flat2x2(std::initializer_list<float> flat) {
  Matrix S(2, 2);
  auto it = flat.begin();
  for (Index k = 0; k < 4; ++k) S.data()[k] = *it++;
  return S;
}

}  // namespace

TEST_CASE("global drop-and-grow ranks all layers together, where per layer each keeps its own count",
          "[drop_grow]") {
  // Layer A: |W| 0.5, 0.6, 0.7 active at flat 0, 1, 2; flat 3 inactive.
  // Layer B: |W| 0.1, 0.2 at flat 0, 1 and 4.0 at flat 3; flat 2 inactive.
  // Scores: A 5.0 at flat 3; B 0.3, 1.0, 2.0 at flat 0, 1, 2 (0 elsewhere).
  const std::vector<Matrix> scores{flat2x2({0, 0, 0, 5}), flat2x2({0.3f, 1, 2, 0})};
  Rng unused(1);
  // Per layer, fraction 0.4 of 3 active: k = 1 each. A drops flat 0 (0.5) and grows
  // flat 3 (5.0 > 0.0 of the just-dropped flat 0); B drops flat 0 (0.1) and grows
  // flat 2 (2.0 > 0.3). Both layers keep 3 active: {1, 2, 3}.
  MaskedLinear a = layer2x2({0.5f, 0.6f, 0.7f, 0.8f}, 3), b = layer2x2({0.1f, -0.2f, 3.0f, 4.0f}, 2);
  CHECK(drop_and_grow_layer(a, 0.4, GrowBy::gradient, scores[0], unused) == 1);
  CHECK(drop_and_grow_layer(b, 0.4, GrowBy::gradient, scores[1], unused) == 1);
  CHECK(active_positions(a) == std::vector<Index>{1, 2, 3});
  CHECK(active_positions(b) == std::vector<Index>{1, 2, 3});
  // Globally, k = floor(0.4 * 6) = 2: the two weakest of all are B's flat 0 (0.1) and
  // flat 1 (0.2); A drops nothing. The two best inactive: A's flat 3 (5.0), B's flat 2
  // (2.0). A ends with 4 active, B with 2 ({2, 3}); 6 in all.
  MaskedLinear ga = layer2x2({0.5f, 0.6f, 0.7f, 0.8f}, 3), gb = layer2x2({0.1f, -0.2f, 3.0f, 4.0f}, 2);
  CHECK(drop_and_grow_global({&ga, &gb}, 0.4, GrowBy::gradient, scores, unused) == std::vector<Index>{0, 2});
  CHECK(active_positions(ga) == std::vector<Index>{0, 1, 2, 3});
  CHECK(active_positions(gb) == std::vector<Index>{2, 3});
  CHECK(bitwise_equal(ga.weight(), flat2x2({0.5f, 0.6f, 0.7f, 0.0f})));  // grown at 0
  CHECK(bitwise_equal(gb.weight(), flat2x2({0.0f, 0.0f, 0.0f, 4.0f})));
  CHECK(unused.next_u64() == Rng(1).next_u64());  // the gradient rule draws nothing
}

TEST_CASE("global drop-and-grow breaks ties by (layer, index) and keeps a regrown dropped weight", "[drop_grow]") {
  // As above, but A's flat 3 and B's flat 1 and 2 all score 2.0: the two grown are
  // A's flat 3 (lower layer) and B's flat 1 (lower index than flat 2), which was
  // just dropped and so keeps its weight -0.2.
  const std::vector<Matrix> scores{flat2x2({0, 0, 0, 2}), flat2x2({0.3f, 2, 2, 0})};
  MaskedLinear a = layer2x2({0.5f, 0.6f, 0.7f, 0.8f}, 3), b = layer2x2({0.1f, -0.2f, 3.0f, 4.0f}, 2);
  Rng unused(1);
  CHECK(drop_and_grow_global({&a, &b}, 0.4, GrowBy::gradient, scores, unused) == std::vector<Index>{0, 2});
  CHECK(active_positions(a) == std::vector<Index>{0, 1, 2, 3});
  CHECK(active_positions(b) == std::vector<Index>{1, 3});
  CHECK(bitwise_equal(b.weight(), flat2x2({0.0f, -0.2f, 0.0f, 4.0f})));
  // Equal magnitudes across layers drop the lower layer first.
  MaskedLinear c = layer2x2({0.3f, 0.9f, 0.9f, 0.9f}, 3), d = layer2x2({0.3f, 0.9f, 0.9f, 0.9f}, 3);
  drop_and_grow_global({&c, &d}, 0.2, GrowBy::gradient, {flat2x2({0, 0, 0, 0}), flat2x2({0, 0, 0, 1})}, unused);
  CHECK(active_positions(c) == std::vector<Index>{1, 2});
  CHECK(active_positions(d) == std::vector<Index>{0, 1, 2, 3});
}

TEST_CASE("global drop-and-grow over one layer is the per-layer step, bit for bit", "[drop_grow]") {
  Rng values(stream_key(2, Purpose::data));
  for (GrowBy grow : {GrowBy::gradient, GrowBy::random}) {
    for (int trial = 0; trial < 20; ++trial) {
      CAPTURE(to_string(grow), trial);
      MaskedLinear per_layer(12, 16);
      per_layer.set_weight(rewire_test::random_matrix(16, 12, values));
      per_layer.set_mask(rewire_test::random_mask(16, 12, values, 0.8f));
      MaskedLinear global = per_layer;
      // Few distinct scores and magnitudes, so that ties are common.
      Matrix scores = rewire_test::random_matrix(16, 12, values, 0.0f, 4.0f).array().floor();
      const double fraction = double(values.uniform());
      Rng r1(stream_key(trial, Purpose::regrow)), r2(stream_key(trial, Purpose::regrow));
      const Index k = drop_and_grow_layer(per_layer, fraction, grow, scores, r1);
      CHECK(drop_and_grow_global({&global}, fraction, grow, {scores}, r2) == std::vector<Index>{k});
      CHECK(bitwise_equal(per_layer.mask(), global.mask()));
      CHECK(bitwise_equal(per_layer.weight(), global.weight()));
      CHECK(r1.next_u64() == r2.next_u64());
    }
  }
}

TEST_CASE("global drop-and-grow refuses bad input by name", "[drop_grow]") {
  MaskedLinear a = layer2x2({0.5f, 0.6f, 0.7f, 0.8f}, 3);
  Rng rng(1);
  CHECK_THROWS_WITH(drop_and_grow_global({}, 0.5, GrowBy::random, {}, rng), Catch::Contains("at least one layer"));
  CHECK_THROWS_WITH(drop_and_grow_global({&a}, 0.5, GrowBy::gradient, {}, rng),
                    Catch::Contains("0 matrices given for 1 layers"));
  CHECK_THROWS_WITH(drop_and_grow_global({&a}, 0.5, GrowBy::gradient, {Matrix(3, 3)}, rng),
                    Catch::Contains("drop-and-grow scores has shape 3x3"));
  CHECK_THROWS_WITH(drop_and_grow_global({&a}, -0.1, GrowBy::random, {}, rng),
                    Catch::Contains("drop-and-grow fraction"));
  CHECK(active_positions(a) == std::vector<Index>{0, 1, 2});  // unchanged
}

TEST_CASE("a global RigL loop keeps the network's active count exactly and reproduces bit for bit",
          "[drop_grow]") {
  Rng data_rng(stream_key(0, Purpose::data));
  const Dataset data = make_gaussian_clusters(256, 1.0f, data_rng);
  auto run = [&](GrowBy grow, PruneScope scope) {
    Mlp net({2, 32, 32, 4});
    Rng init(stream_key(0, Purpose::init));
    net.init(init);
    prune_to(net, 0.9);
    const Index total = net.num_active_weights();
    Rng shuffle(stream_key(0, Purpose::shuffle)), rng(stream_key(0, Purpose::regrow));
    DropGrowOptions step;
    step.grow = grow;
    step.scope = scope;
    for (int round = 0; round < 4; ++round) {
      train(net, data, {3, 1e-2f, 64}, shuffle);
      const std::vector<Index> dropped = drop_and_grow(net, data, step, shuffle, rng);
      CHECK(net.num_active_weights() == total);
      if (scope == PruneScope::global)
        CHECK(std::accumulate(dropped.begin(), dropped.end(), Index(0)) == Index(std::floor(0.3 * double(total))));
      for (std::size_t l = 0; l < net.num_layers(); ++l) CHECK(pruned_weights_are_zero(net.layer(l)));
    }
    return net;
  };
  for (GrowBy grow : {GrowBy::gradient, GrowBy::random}) {
    CAPTURE(to_string(grow));
    const Mlp a = run(grow, PruneScope::global), b = run(grow, PruneScope::global);
    const Mlp c = run(grow, PruneScope::per_layer);
    bool same_counts = true;
    for (std::size_t l = 0; l < a.num_layers(); ++l) {
      CHECK(bitwise_equal(a.layer(l).weight(), b.layer(l).weight()));
      CHECK(bitwise_equal(a.layer(l).mask(), b.layer(l).mask()));
      same_counts = same_counts && a.layer(l).active_weights() == c.layer(l).active_weights();
    }
    CHECK_FALSE(same_counts);  // weights moved between layers
  }
}

TEST_CASE("drop_and_grow with one layer or on an Rnn: global scope as documented", "[drop_grow]") {
  Rng data_rng(stream_key(1, Purpose::data));
  const Dataset data = make_gaussian_clusters(256, 1.0f, data_rng);
  auto one_layer = [&](PruneScope scope) {
    Mlp net({2, 4});
    Rng init(stream_key(1, Purpose::init)), shuffle(stream_key(1, Purpose::shuffle)), rng(1);
    net.init(init);
    prune_to(net, 0.5);
    DropGrowOptions step;
    step.scope = scope;
    drop_and_grow(net, data, step, shuffle, rng);
    return net;
  };
  const Mlp g = one_layer(PruneScope::global), p = one_layer(PruneScope::per_layer);
  CHECK(bitwise_equal(g.layer(0).mask(), p.layer(0).mask()));
  CHECK(bitwise_equal(g.layer(0).weight(), p.layer(0).weight()));

  Rng trial_rng(stream_key(1, Purpose::data));
  const TrialSet trials = make_cluster_trials(64, 0.8f, ClusterTaskSpec{}, trial_rng);
  Rnn rnn(3, 16, 4);
  Rng init(stream_key(1, Purpose::init)), shuffle(stream_key(1, Purpose::shuffle)), rng(2);
  rnn.init(init);
  prune_to(rnn, 0.7);
  const Index total = rnn.num_active_weights();
  DropGrowOptions step;
  step.scope = PruneScope::global;
  step.batch_size = 32;
  const std::vector<Index> dropped = drop_and_grow(rnn, trials, step, shuffle, rng);
  CHECK(rnn.num_active_weights() == total);
  CHECK(std::accumulate(dropped.begin(), dropped.end(), Index(0)) == Index(std::floor(0.3 * double(total))));
}
