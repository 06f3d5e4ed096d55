// test_pruning.cpp - magnitude pruning (docs/protocol.md, "Masks and pruning"):
// threshold = the target-quantile of |W| over ALL entries of a matrix (zeros
// included), numpy's linear interpolation; keep |W| >= threshold; never
// reopen a pruned weight. Expected values are worked out by hand in the
// comments (numpy.quantile gives the same numbers).
#include <catch2/catch.hpp>
#include <rewire/rewire.hpp>

#include "test_helpers.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

using namespace rewire;

namespace {

Matrix mat(Index rows, Index cols, std::initializer_list<float> row_major) {
  Matrix M(rows, cols);
  auto it = row_major.begin();
  for (Index r = 0; r < rows; ++r)
    for (Index c = 0; c < cols; ++c) M(r, c) = *it++;
  return M;
}

MaskedLinear layer_with(const Matrix& W) {
  MaskedLinear layer(W.cols(), W.rows());
  layer.set_weight(W);
  layer.bias() = Vector::Constant(W.rows(), 0.25f);
  return layer;
}

Index pruned_count(const MaskedLinear& layer) { return layer.weight().size() - layer.active_weights(); }

}  // namespace

TEST_CASE("quantile_linear reproduces numpy.quantile (linear method)", "[pruning][quantile]") {
  const auto q = [](std::vector<float> v, double p) { return quantile_linear(v, p); };
  // {0, 0, 1, 2, 3}, q = 0.5: position 0.5 * 4 = 2 -> sorted[2] = 1.
  CHECK(q({0, 0, 1, 2, 3}, 0.5) == 1.0f);
  // 0..9, q = 0.95: position 8.55 -> 8 + 0.55 * (9 - 8) = 8.55.
  CHECK(q({0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 0.95) == Approx(8.55).epsilon(1e-7));
  // Unsorted input {4, 1, 3, 2}, q = 0.25: position 0.75 -> 1 + 0.75 * (2 - 1) = 1.75.
  CHECK(q({4, 1, 3, 2}, 0.25) == 1.75f);
  // q = 0 -> minimum, q = 1 -> maximum.
  CHECK(q({4, 1, 3, 2}, 0.0) == 1.0f);
  CHECK(q({4, 1, 3, 2}, 1.0) == 4.0f);
  // Ties: {1, 1, 1, 1} -> 1 for any q; {0, 0, 0, 5}, q = 0.5: position 1.5 -> 0.
  CHECK(q({1, 1, 1, 1}, 0.37) == 1.0f);
  CHECK(q({0, 0, 0, 5}, 0.5) == 0.0f);
  // {0, 0, 0, 5}, q = 0.9: position 2.7 -> 0 + 0.7 * 5 = 3.5.
  CHECK(q({0, 0, 0, 5}, 0.9) == Approx(3.5).epsilon(1e-7));
  // {2, 7}, q = 0.3: 2 + 0.3 * 5 = 3.5; q = 0.8: 7 - 0.2 * 5 = 6.
  CHECK(q({2, 7}, 0.3) == Approx(3.5).epsilon(1e-7));
  CHECK(q({2, 7}, 0.8) == Approx(6.0).epsilon(1e-7));
  // One element.
  CHECK(q({3}, 0.5) == 3.0f);
  // Exact at both ends of an interval even for huge spreads: q such that
  // the position is an integer gives the order statistic itself.
  CHECK(q({0, 1e30f, 3, 1e-30f, 2}, 0.5) == 2.0f);
}

TEST_CASE("prune_layer_to on hand-made matrices", "[pruning][layer]") {
  SECTION("distinct magnitudes, target 0.5") {
    // |W| = {0.1, 0.5, 0.3, 0, 0.2, 0.4}, sorted 0, 0.1, 0.2, 0.3, 0.4, 0.5;
    // position 0.5 * 5 = 2.5 -> threshold 0.25: keep 0.3, 0.4, 0.5.
    MaskedLinear l = layer_with(mat(2, 3, {0.1f, -0.5f, 0.3f, 0.0f, 0.2f, -0.4f}));
    prune_layer_to(l, 0.5);
    CHECK(l.mask() == mat(2, 3, {0, 1, 1, 0, 0, 1}));
    CHECK(l.weight() == mat(2, 3, {0, -0.5f, 0.3f, 0, 0, -0.4f}));
    CHECK(l.bias() == Vector::Constant(2, 0.25f));  // biases never pruned
  }
  SECTION("ties at the threshold are all kept") {
    // |W| = {1, 1, 1, 1, 2, 2}, target 0.5: position 2.5 between 1 and 1 ->
    // threshold 1, every |W| >= 1: nothing pruned although the target is 0.5.
    MaskedLinear l = layer_with(mat(2, 3, {1, -1, 2, 1, -2, -1}));
    prune_layer_to(l, 0.5);
    CHECK(pruned_count(l) == 0);
    // target 0.7: position 3.5 between 1 and 2 -> 1.5: the four 1s go.
    prune_layer_to(l, 0.7);
    CHECK(l.mask() == mat(2, 3, {0, 0, 1, 0, 1, 0}));
  }
  SECTION("zeros count as entries (and |0| >= threshold 0 keeps them)") {
    // |W| = {0, 0, 0, 1, 2, 3} with an all-ones mask. target 0.3: position
    // 1.5 between 0 and 0 -> threshold 0 -> everything kept, zeros included
    // (the mask is |W| >= threshold, exactly as in the study's program).
    MaskedLinear l = layer_with(mat(2, 3, {0, 1, 0, 2, 0, -3}));
    prune_layer_to(l, 0.3);
    CHECK(l.mask() == Matrix::Ones(2, 3));
    // target 0.7: position 3.5 between 1 and 2 -> threshold 1.5: keep 2 and 3.
    prune_layer_to(l, 0.7);
    CHECK(l.mask() == mat(2, 3, {0, 0, 0, 1, 0, 1}));
  }
  SECTION("target 0 keeps everything") {
    MaskedLinear l = layer_with(mat(2, 2, {0.5f, -1e-30f, 3, 0.001f}));
    prune_layer_to(l, 0.0);
    CHECK(l.mask() == Matrix::Ones(2, 2));
    CHECK(l.weight() == mat(2, 2, {0.5f, -1e-30f, 3, 0.001f}));
  }
  SECTION("target 1 is refused: the quantile rule would keep the largest weights") {
    MaskedLinear l = layer_with(mat(2, 2, {1, -3, 3, 2}));
    CHECK_THROWS_WITH(prune_layer_to(l, 1.0), Catch::Contains("target sparsity") && Catch::Contains("[0, 1)"));
    CHECK(l.mask() == Matrix::Ones(2, 2));  // untouched
    Mlp net({2, 2});
    CHECK_THROWS_AS(prune_to(net, 1.0), std::invalid_argument);
    CHECK_THROWS_AS(prune_to(net, 1.0, PruneScope::global), std::invalid_argument);
  }
  SECTION("non-finite weights are refused, naming the problem") {
    MaskedLinear l = layer_with(mat(2, 2, {1, -3, 3, 2}));
    CHECK_THROWS_WITH(l.set_weight(mat(2, 2, {1, std::nanf(""), 3, 2})), Catch::Contains("finite"));
    CHECK(l.weight() == mat(2, 2, {1, -3, 3, 2}));  // nothing half-written
    // A NaN reaches the weights the way a diverging update would: through
    // the parameter values. Its quantile would be NaN and prune everything.
    Mlp net({2, 3, 2});
    Rng rng(5);
    net.init(rng);
    net.parameters()[2].values()(1) = std::numeric_limits<float>::quiet_NaN();  // layer2.weight
    CHECK_THROWS_WITH(prune_to(net, 0.5), Catch::Contains("NaN") && Catch::Contains("cannot prune"));
    CHECK_THROWS_WITH(prune_to(net, 0.5, PruneScope::global), Catch::Contains("layer 2"));
    CHECK(net.layer(1).active_weights() == 6);  // no mask changed
  }
  SECTION("targets near 1") {
    // 0..9 (as magnitudes), target 0.99: position 8.91 -> 8.91: only 9 kept.
    MaskedLinear l = layer_with(mat(2, 5, {0, 1, 2, 3, 4, -5, 6, -7, 8, -9}));
    prune_layer_to(l, 0.99);
    CHECK(l.active_weights() == 1);
    CHECK(l.mask()(1, 4) == 1.0f);
    // target 0.85 on 0..9: position 7.65 -> 7.65: keep 8 and 9.
    MaskedLinear m = layer_with(mat(2, 5, {0, 1, 2, 3, 4, -5, 6, -7, 8, -9}));
    prune_layer_to(m, 0.85);
    CHECK(m.mask() == mat(2, 5, {0, 0, 0, 0, 0, 0, 0, 0, 1, 1}));
    // target 0.999999 on 1000 distinct values: position 998.999 -> keep 1.
    Matrix W(10, 100);
    for (Index k = 0; k < W.size(); ++k) W.data()[k] = float(k + 1) * (k % 2 ? -1.0f : 1.0f);
    MaskedLinear n = layer_with(W);
    prune_layer_to(n, 0.999999);
    CHECK(n.active_weights() == 1);
    CHECK(n.mask().data()[999] == 1.0f);
  }
}

TEST_CASE("pruning never reopens a pruned weight", "[pruning][layer]") {
  Rng rng(41);
  MaskedLinear l(20, 10);
  l.init_uniform(rng);
  prune_layer_to(l, 0.9);
  const Matrix mask90 = l.mask();
  const Matrix w90 = l.weight();
  CHECK(pruned_count(l) == 180);  // 200 distinct values: position 179.1 -> keep 200 - 180
  prune_layer_to(l, 0.5);  // a lower target: the threshold is 0 (zeros fill the bottom half)
  CHECK(l.mask() == mask90);
  CHECK(rewire_test::bitwise_equal(l.weight(), w90));
  // A large value written at a pruned position is stored as zero (the mask
  // wins), and a new pruning keeps the position pruned: new mask = old mask
  // AND (|W| >= t).
  const Index k0 = [&] {
    for (Index k = 0; k < mask90.size(); ++k)
      if (mask90.data()[k] == 0.0f) return k;
    return Index(-1);
  }();
  REQUIRE(k0 >= 0);
  Matrix W = l.weight();
  W.data()[k0] = 100.0f;
  l.set_weight(W);
  CHECK(l.weight().data()[k0] == 0.0f);
  prune_layer_to(l, 0.0);
  CHECK(l.mask() == mask90);
  CHECK(l.weight().data()[k0] == 0.0f);
}

TEST_CASE("prune_to: per_layer vs global on layers of different scales", "[pruning][network]") {
  // Layer 1 magnitudes {10, 20, 30, 40}, layer 2 magnitudes {1, 2, 3, 4}.
  // per_layer, target 0.5: each layer's position 1.5 -> keeps its top 2.
  // global, target 0.5: all 8 sorted 1, 2, 3, 4, 10, 20, 30, 40: position
  //   3.5 -> threshold 7: layer 1 keeps all 4, layer 2 loses all 4.
  const auto make = [] {
    Mlp net({2, 2, 2});
    net.layer(0).set_weight(mat(2, 2, {10, -20, 30, -40}));
    net.layer(1).set_weight(mat(2, 2, {-1, 2, -3, 4}));
    return net;
  };
  Mlp a = make(), b = make();
  prune_to(a, 0.5);  // default scope: per layer (the study's)
  CHECK(a.layer(0).mask() == mat(2, 2, {0, 0, 1, 1}));
  CHECK(a.layer(1).mask() == mat(2, 2, {0, 0, 1, 1}));
  CHECK(a.sparsity() == 0.5);
  prune_to(b, 0.5, PruneScope::global);
  CHECK(b.layer(0).mask() == Matrix::Ones(2, 2));
  CHECK(b.layer(1).mask() == Matrix::Zero(2, 2));
  CHECK(b.sparsity() == 0.5);
  Mlp c = make();
  prune_to(c, 0.5, PruneScope::per_layer);
  CHECK(c.layer(1).mask() == a.layer(1).mask());
  CHECK(parse_prune_scope("per_layer") == PruneScope::per_layer);
  CHECK(parse_prune_scope("global") == PruneScope::global);
}

TEST_CASE("sparsity() counts weights only", "[pruning][network]") {
  Mlp net({2, 3, 2});  // 6 + 6 weights, 3 + 2 biases
  Rng rng(42);
  net.init(rng);
  CHECK(net.num_weights() == 12);
  CHECK(net.sparsity() == 0.0);
  Matrix M = Matrix::Ones(3, 2);
  M(0, 0) = M(1, 1) = M(2, 0) = 0.0f;
  net.layer(0).set_mask(M);
  CHECK(net.num_active_weights() == 9);
  CHECK(net.sparsity() == 0.25);
  // Zero biases are not pruned weights, and zero weights with a mask of 1 are
  // not pruned either.
  net.layer(0).bias().setZero();
  net.layer(1).bias().setZero();
  net.layer(1).set_weight(Matrix::Zero(2, 3));
  CHECK(net.sparsity() == 0.25);
}

TEST_CASE("sparsity_after_removing: s + (1 - s) f, capped", "[pruning]") {
  CHECK(sparsity_after_removing(0.5, 0.1) == Approx(0.55));
  CHECK(sparsity_after_removing(0.95, 0.4, 0.99) == Approx(0.97));        // 0.95 + 0.05 * 0.4
  CHECK(sparsity_after_removing(0.99, 0.4, 0.99) == Approx(0.99));        // capped
  CHECK(sparsity_after_removing(0.985, 0.4, 0.99) == Approx(0.99));       // 0.991 -> 0.99
  CHECK(sparsity_after_removing(0.0, 0.0) == 0.0);
  CHECK(sparsity_after_removing(0.3, 1.0) == Approx(1.0));
}

TEST_CASE("paper sizes: per-layer prune to 0.95 keeps exactly the quantile-rule counts", "[pruning][paper]") {
  // Rule: n entries, target q: position p = q (n - 1) between sorted[floor p]
  // and sorted[floor p + 1]; with distinct magnitudes there, exactly the
  // n - (floor p + 1) largest survive.
  //   2 x 512 and 4 x 256 (n = 1024):  p = 971.85   -> keep 1024 - 972 = 52
  //   512 x 512 (n = 262144):          p = 249035.85 -> keep 262144 - 249036 = 13108
  //   256 x 512 (n = 131072):          p = 124517.45 -> keep 131072 - 124518 = 6554
  // Total pruned 972 + 249036 + 124518 + 972 = 375498 of 395264: 0.949992...
  // Regrowth with fraction 0.5 reopens floor(n / 2) of each layer's pruned:
  //   486 + 124518 + 62259 + 486 = 187749, leaving 187749 pruned: 0.474995...
  //   (the published 47.5%).
  const std::uint64_t seed = 0;
  CAPTURE(seed);
  Mlp net({2, 512, 512, 256, 4});
  Rng init(stream_key(seed, Purpose::init));
  net.init(init);
  const Index expect_keep[4] = {52, 13108, 6554, 52};
  // Precondition on the data (not on the code under test): the two order
  // statistics around each threshold are distinct and more than two ulps
  // apart, so the interpolated threshold lies strictly between them.
  for (std::size_t l = 0; l < 4; ++l) {
    const Matrix& W = net.layer(l).weight();
    std::vector<float> m(W.data(), W.data() + W.size());
    for (auto& v : m) v = std::abs(v);
    std::sort(m.begin(), m.end());
    const std::size_t lo = std::size_t(std::floor(0.95 * double(m.size() - 1)));
    CAPTURE(l, lo, m[lo], m[lo + 1]);
    REQUIRE(m.size() - (lo + 1) == std::size_t(expect_keep[l]));
    REQUIRE(std::nextafter(std::nextafter(m[lo], 1.0f), 1.0f) < m[lo + 1]);
  }
  prune_to(net, 0.95);
  Index pruned_total = 0;
  for (std::size_t l = 0; l < 4; ++l) {
    CAPTURE(l);
    CHECK(net.layer(l).active_weights() == expect_keep[l]);
    pruned_total += net.layer(l).weight().size() - net.layer(l).active_weights();
  }
  CHECK(pruned_total == 375498);
  CHECK(net.num_weights() == 395264);
  CHECK(net.sparsity() == Approx(375498.0 / 395264.0).epsilon(1e-12));
  CHECK(std::abs(net.sparsity() - 0.95) < 1e-3);

  // Regrowth of half of each layer's pruned positions (scores: any finite
  // values; here uniform random).
  Rng score_rng(stream_key(seed, Purpose::regrow, 1));
  Rng values(stream_key(seed, Purpose::regrow));
  const Index expect_regrown[4] = {486, 124518, 62259, 486};
  for (std::size_t l = 0; l < 4; ++l) {
    CAPTURE(l);
    auto& layer = net.layer(l);
    const Matrix scores = rewire_test::random_matrix(layer.out_features(), layer.in_features(), score_rng, 0, 1);
    CHECK(regrow_layer(layer, scores, 0.5, 0.03f, values) == expect_regrown[l]);
  }
  CHECK(net.sparsity() == Approx(187749.0 / 395264.0).epsilon(1e-12));
  CHECK(std::abs(net.sparsity() - 0.475) < 1e-3);

  // The longitudinal schedule from here (docs/protocol.md, "Reference values
  // not printed in the paper", sparsity by cycle of the ketamine-like arm):
  // prune_to(s + (1 - s) 0.1) eight times. Published:
  // 47.5, 52.7, 57.5, 61.7, 65.6, 69.0, 72.1, 74.9, 77.4 (+-0.1%).
  const double published[9] = {47.5, 52.7, 57.5, 61.7, 65.6, 69.0, 72.1, 74.9, 77.4};
  for (int cycle = 1; cycle <= 8; ++cycle) {
    prune_to(net, sparsity_after_removing(net.sparsity(), 0.1));
    CAPTURE(cycle, net.sparsity());
    CHECK(std::abs(100.0 * net.sparsity() - published[cycle]) <= 0.1);
  }
}

TEST_CASE("paper sizes: the 95% arms' cycle sparsities", "[pruning][paper]") {
  // SSRI / neurosteroid arms from 95%: published 95.0, 95.5, 95.9, 96.4,
  // 96.7, 97.0, 97.3, 97.6, 97.8 (+-0.1%). Acute relapse: min(s + (1-s) 0.4, 0.99) = 97.0%.
  Mlp net({2, 512, 512, 256, 4});
  Rng init(stream_key(1, Purpose::init));
  net.init(init);
  prune_to(net, 0.95);
  Mlp relapse = net;
  prune_to(relapse, sparsity_after_removing(relapse.sparsity(), 0.4, 0.99));
  CHECK(std::abs(relapse.sparsity() - 0.97) < 1e-3);
  const double published[9] = {95.0, 95.5, 95.9, 96.4, 96.7, 97.0, 97.3, 97.6, 97.8};
  CHECK(std::abs(100.0 * net.sparsity() - published[0]) <= 0.1);
  for (int cycle = 1; cycle <= 8; ++cycle) {
    prune_to(net, sparsity_after_removing(net.sparsity(), 0.1));
    CAPTURE(cycle, net.sparsity());
    CHECK(std::abs(100.0 * net.sparsity() - published[cycle]) <= 0.1);
  }
}

TEST_CASE("global scope on a fresh paper network hits the target overall", "[pruning][paper]") {
  Mlp net({2, 512, 512, 256, 4});
  Rng init(stream_key(2, Purpose::init));
  net.init(init);
  prune_to(net, 0.95, PruneScope::global);
  // 395264 entries: position 375499.85 -> 395264 - 375500 = 19764 kept
  // (barring ties at the threshold, which a fresh 24-bit init may have: +-2).
  CHECK(std::abs(double(net.num_active_weights()) - 19764.0) <= 2.0);
  // Fan-in 2 weights are ~U(-0.71, 0.71), fan-in 512 ones ~U(-0.044, 0.044):
  // globally, the first layer keeps far more than 5%.
  CHECK(net.layer(0).active_weights() > 500);
  CHECK(net.layer(1).active_weights() < 13108);
}
