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
