// test_regrowth.cpp - gradient-guided regrowth (docs/protocol.md, "Regrowth"):
// of a layer's n pruned positions, the max(1, floor(fraction n)) with the
// largest scores are reopened (ties: in random order by default, or the
// lower column-major flat index) with fresh N(0, sd^2) values drawn in
// increasing flat-index order; biases and
// unpruned weights are untouched. Scores = sum over mini-batches of the FULL
// |dL/dW|, noise off.
#include <catch2/catch.hpp>
#include <rewire/rewire.hpp>

#include "test_helpers.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

using namespace rewire;
using rewire_test::bitwise_equal;

namespace {

/// 3x3 layer; mask (rows) [1 0 0; 0 1 0; 0 0 1]: pruned flat (column-major)
/// indices 1, 2, 3, 5, 6, 7; unpruned 0, 4, 8.
MaskedLinear hand_layer() {
  MaskedLinear l(3, 3);
  Matrix W(3, 3);
  W << 0.5f, -0.25f, 0.75f, 1.5f, -2.0f, 0.125f, -1.0f, 3.0f, 0.0625f;
  l.set_weight(W);
  l.bias() << 0.1f, -0.2f, 0.3f;
  Matrix M = Matrix::Identity(3, 3);
  l.set_mask(M);
  return l;
}

/// Scores by flat index; the unpruned positions get the largest scores,
/// which regrowth must ignore.
Matrix scores_from(std::initializer_list<float> flat) {
  Matrix S(3, 3);
  auto it = flat.begin();
  for (Index k = 0; k < 9; ++k) S.data()[k] = *it++;
  return S;
}

std::vector<Index> open_positions(const Matrix& mask) {
  std::vector<Index> out;
  for (Index k = 0; k < mask.size(); ++k)
    if (mask.data()[k] != 0.0f) out.push_back(k);
  return out;
}

}  // namespace

TEST_CASE("regrow_layer reopens exactly the highest-scoring pruned positions", "[regrowth][layer]") {
  constexpr RegrowTies kLowest = RegrowTies::lowest_index;  // exact positions below
  const std::uint64_t key = stream_key(0, Purpose::regrow);
  CAPTURE(key);
  SECTION("distinct scores") {
    MaskedLinear l = hand_layer();
    const Matrix W0 = l.weight();
    const Vector b0 = l.bias();
    // pruned: 1:0.5 2:0.9 3:0.2 5:0.8 6:0.7 7:0.1 -> floor(0.5 * 6) = 3 best: 2, 5, 6.
    const Matrix S = scores_from({100, 0.5f, 0.9f, 0.2f, 100, 0.8f, 0.7f, 0.1f, 100});
    Rng values(key);
    CHECK(regrow_layer(l, S, 0.5, 0.03f, values, kLowest) == 3);
    CHECK(open_positions(l.mask()) == std::vector<Index>{0, 2, 4, 5, 6, 8});
    // New values: 0.03 * normal(), drawn for 2, 5, 6 in that order.
    Rng ref(key);
    const float v2 = 0.03f * ref.normal(), v5 = 0.03f * ref.normal(), v6 = 0.03f * ref.normal();
    CHECK(l.weight().data()[2] == v2);
    CHECK(l.weight().data()[5] == v5);
    CHECK(l.weight().data()[6] == v6);
    CHECK(v2 != 0.0f);
    // Unpruned weights and biases untouched; still-pruned weights zero.
    for (const Index k : {0, 4, 8}) CHECK(l.weight().data()[k] == W0.data()[k]);
    for (const Index k : {1, 3, 7}) CHECK(l.weight().data()[k] == 0.0f);
    CHECK(bitwise_equal(l.bias(), b0));
  }
  SECTION("ties go to the lower flat index") {
    MaskedLinear l = hand_layer();
    // pruned: 1:0.5 2:0.9 3:0.5 5:0.9 6:0.5 7:0.1 -> 2 and 5, then the three
    // tied 0.5 at 1, 3, 6: index 1 wins.
    const Matrix S = scores_from({100, 0.5f, 0.9f, 0.5f, 100, 0.9f, 0.5f, 0.1f, 100});
    Rng values(key);
    CHECK(regrow_layer(l, S, 0.5, 0.03f, values, kLowest) == 3);
    CHECK(open_positions(l.mask()) == std::vector<Index>{0, 1, 2, 4, 5, 8});
    // All pruned scores equal: the three lowest indices 1, 2, 3.
    MaskedLinear m = hand_layer();
    Rng values2(key);
    CHECK(regrow_layer(m, scores_from({9, 1, 1, 1, 9, 1, 1, 1, 9}), 0.5, 0.03f, values2, kLowest) == 3);
    CHECK(open_positions(m.mask()) == std::vector<Index>{0, 1, 2, 3, 4, 8});
  }
  SECTION("at least one when fraction * n < 1; all when fraction = 1") {
    MaskedLinear l = hand_layer();
    Rng values(key);
    // floor(0.1 * 6) = 0 -> 1: the best, 0.9 at index 2 (tied with 5: lower index).
    CHECK(regrow_layer(l, scores_from({100, 0.5f, 0.9f, 0.2f, 100, 0.9f, 0.7f, 0.1f, 100}), 0.1, 0.03f, values, kLowest) == 1);
    CHECK(open_positions(l.mask()) == std::vector<Index>{0, 2, 4, 8});
    MaskedLinear m = hand_layer();
    CHECK(regrow_layer(m, scores_from({0, 0, 0, 0, 0, 0, 0, 0, 0}), 1.0, 0.03f, values, kLowest) == 6);
    CHECK(m.active_weights() == 9);
    // floor(0.5 * 5) = 2 with an odd count.
    MaskedLinear o = hand_layer();
    Matrix M = o.mask();
    M(0, 0) = 1.0f;
    M(1, 0) = 1.0f;  // flat 1 reopened by hand: pruned now 2, 3, 5, 6, 7
    o.set_mask(M);
    CHECK(regrow_layer(o, scores_from({0, 0, 1, 2, 0, 3, 4, 5, 0}), 0.5, 0.03f, values, kLowest) == 2);
    CHECK(open_positions(o.mask()) == std::vector<Index>{0, 1, 4, 6, 7, 8});
  }
  SECTION("nothing pruned: nothing regrown, nothing changed") {
    MaskedLinear l(4, 3);
    Rng init(1);
    l.init_uniform(init);
    const Matrix W0 = l.weight();
    Rng values(key);
    CHECK(regrow_layer(l, Matrix::Ones(3, 4), 0.5, 0.03f, values, kLowest) == 0);
    CHECK(bitwise_equal(l.weight(), W0));
    CHECK(l.mask() == Matrix::Ones(3, 4));
  }
  SECTION("NaN or infinite scores, a wrong shape or a bad fraction throw") {
    MaskedLinear l = hand_layer();
    Rng values(key);
    Matrix S = scores_from({0, 1, 2, 3, 4, 5, 6, 7, 8});
    S(1, 1) = std::numeric_limits<float>::quiet_NaN();
    CHECK_THROWS_AS(regrow_layer(l, S, 0.5, 0.03f, values, kLowest), std::invalid_argument);
    S(1, 1) = std::numeric_limits<float>::infinity();
    CHECK_THROWS_AS(regrow_layer(l, S, 0.5, 0.03f, values, kLowest), std::invalid_argument);
    CHECK_THROWS_AS(regrow_layer(l, Matrix::Zero(3, 4), 0.5, 0.03f, values, kLowest), std::invalid_argument);
    CHECK_THROWS_AS(regrow_layer(l, Matrix::Zero(3, 3), 1.5, 0.03f, values, kLowest), std::invalid_argument);
    CHECK_THROWS_AS(regrow_layer(l, Matrix::Zero(3, 3), -0.5, 0.03f, values, kLowest), std::invalid_argument);
    // ... and the layer is unchanged by the failed calls.
    CHECK(l.mask() == Matrix::Identity(3, 3));
  }
}

TEST_CASE("random ties: positive scores first, tied picks scattered, deterministic per key",
          "[regrowth][layer][ties]") {
  // A 64x64 layer with everything pruned; 200 positions score > 0, the rest
  // tie at 0 (the situation of dead units after heavy pruning).
  const Index n = 64;
  auto fresh = [n] {
    MaskedLinear l(n, n);
    l.set_mask(Matrix::Zero(n, n));
    return l;
  };
  Matrix S = Matrix::Zero(n, n);
  Rng pick(stream_key(11, Purpose::regrow, 5));
  for (int i = 0; i < 200; ++i) S.data()[pick.below(std::uint32_t(n * n))] = 1.0f + pick.uniform();
  const Index positive = Index((S.array() > 0.0f).count());
  const std::uint64_t key = stream_key(2, Purpose::regrow);
  CAPTURE(key, positive);

  MaskedLinear l = fresh();
  Rng values(key);
  const Index count = regrow_layer(l, S, 0.5, 0.03f, values, RegrowTies::random);
  REQUIRE(count == n * n / 2);
  // Every positive score is regrown before any tie.
  for (Index k = 0; k < S.size(); ++k)
    if (S.data()[k] > 0.0f) REQUIRE(l.mask().data()[k] == 1.0f);
  // The tied picks spread over the whole matrix: each quarter of the flat
  // index range holds about a quarter of them (lowest_index would put them
  // all in the first half).
  const Index tied_picks = count - positive;
  for (int quarter = 0; quarter < 4; ++quarter) {
    Index in_quarter = 0;
    for (Index k = quarter * S.size() / 4; k < (quarter + 1) * S.size() / 4; ++k)
      if (S.data()[k] == 0.0f && l.mask().data()[k] == 1.0f) ++in_quarter;
    CAPTURE(quarter, in_quarter, tied_picks);
    CHECK(std::abs(double(in_quarter) - tied_picks / 4.0) < 0.1 * tied_picks);
  }
  // Same key, same choice and values, bit for bit; another key, another choice.
  MaskedLinear again = fresh();
  Rng values_again(key);
  regrow_layer(again, S, 0.5, 0.03f, values_again, RegrowTies::random);
  CHECK(again.mask() == l.mask());
  CHECK(bitwise_equal(again.weight(), l.weight()));
  MaskedLinear other = fresh();
  Rng values_other(key + 1);
  regrow_layer(other, S, 0.5, 0.03f, values_other, RegrowTies::random);
  CHECK(other.mask() != l.mask());

  MaskedLinear lowest = fresh();
  Rng values_lowest(key);
  regrow_layer(lowest, S, 0.5, 0.03f, values_lowest, RegrowTies::lowest_index);
  // lowest_index: every tied pick precedes every tied position left pruned.
  Index last_pick = -1, first_left = S.size();
  for (Index k = 0; k < S.size(); ++k) {
    if (S.data()[k] != 0.0f) continue;
    if (lowest.mask().data()[k] == 1.0f) last_pick = k;
    else first_left = std::min(first_left, k);
  }
  CHECK(last_pick < first_left);
}

TEST_CASE("regrown values are N(0, sd^2) and deterministic per key", "[regrowth][layer]") {
  const auto regrow_all = [](std::uint64_t key) {
    MaskedLinear l(100, 100);
    l.set_mask(Matrix::Zero(100, 100));
    Rng values(key);
    Rng scores_rng(77);
    const Matrix S = rewire_test::random_matrix(100, 100, scores_rng, 0, 1);
    REQUIRE(regrow_layer(l, S, 1.0, 0.03f, values, RegrowTies::lowest_index) == 10000);  // no tie keys drawn
    return Matrix(l.weight());
  };
  const std::uint64_t key = stream_key(3, Purpose::regrow);
  CAPTURE(key);
  const Matrix W = regrow_all(key);
  const double mean = W.cast<double>().mean();
  const double sd = std::sqrt((W.cast<double>().array() - mean).square().mean());
  CAPTURE(mean, sd);
  CHECK(std::abs(mean) < 0.0015);         // SE 0.0003
  CHECK(std::abs(sd - 0.03) < 0.0015);    // SE 0.0002
  CHECK(bitwise_equal(regrow_all(key), W));
  const Matrix W2 = regrow_all(key + 1);
  CHECK((W2.array() != W.array()).count() > 9990);
  // Drawn in increasing flat-index order from the key's stream.
  Rng ref(key);
  for (Index k = 0; k < 50; ++k) REQUIRE(W.data()[k] == 0.03f * ref.normal());
}

namespace {

struct Fixture {
  Dataset data;
  Mlp net{std::vector<Index>{2, 16, 16, 4}};
};

Fixture make_fixture(std::uint64_t seed) {
  Fixture f;
  Rng data_rng(stream_key(seed, Purpose::data, 100));
  f.data = make_gaussian_clusters(512, 0.8f, data_rng);
  Rng init(stream_key(seed, Purpose::init));
  f.net.init(init);
  prune_to(f.net, 0.6);
  return f;
}

/// A double copy of a float network (same weights, biases, masks, modulation).
BasicMlp<double> to_double(const Mlp& net, const std::vector<Index>& widths) {
  BasicMlp<double> d(widths);
  for (std::size_t l = 0; l < net.num_layers(); ++l) {
    d.layer(l).set_weight(net.layer(l).weight().cast<double>());
    d.layer(l).bias() = net.layer(l).bias().cast<double>();
    d.layer(l).set_mask(net.layer(l).mask().cast<double>());
  }
  d.modulation().activation = net.modulation().activation;
  d.modulation().damping = net.modulation().damping;
  return d;
}

}  // namespace

TEST_CASE("gradient_scores = sum over batches of the full |dL/dW|, noise off", "[regrowth][scores]") {
  const std::uint64_t seed = 5;
  CAPTURE(seed);
  Fixture f = make_fixture(seed);
  f.net.modulation().noise_sigma = 0.4f;  // must be switched off (and restored)
  f.net.modulation().damping = 0.7f;
  // One batch holding the whole data set: the score is |full-batch gradient|,
  // recomputed here in double from a copy of the network.
  const Index n = f.data.size();
  Rng shuffle(stream_key(seed, Purpose::shuffle));
  const std::vector<Matrix> s1 = gradient_scores(f.net, f.data, 1, n, shuffle);
  CHECK(f.net.modulation().noise_sigma == 0.4f);
  BasicMlp<double> d = to_double(f.net, {2, 16, 16, 4});
  MatrixT<double> P, dl;
  softmax_cross_entropy_forward(P, d.forward(f.data.inputs.cast<double>(), nullptr), f.data.labels);
  softmax_cross_entropy_backward(dl, P, f.data.labels);
  d.backward(dl, GradientMode::full);
  long pruned_with_score = 0;
  for (std::size_t l = 0; l < f.net.num_layers(); ++l) {
    CAPTURE(l);
    const MatrixT<double> want = d.layer(l).weight_grad().cwiseAbs();
    REQUIRE(s1[l].rows() == want.rows());
    REQUIRE(s1[l].cols() == want.cols());
    const double scale = want.maxCoeff();
    REQUIRE(scale > 0);
    CHECK((s1[l].cast<double>() - want).cwiseAbs().maxCoeff() < 1e-5 * scale);
    for (Index k = 0; k < want.size(); ++k)
      pruned_with_score += f.net.layer(l).mask().data()[k] == 0.0f && s1[l].data()[k] > 0.0f;
  }
  // Full gradients: pruned positions are scored (not all: a unit whose
  // ReLU is dead for every sample gives exact zeros).
  CHECK(pruned_with_score > 50);
  // Two such batches: the sum, 2 |g| (the second pass reshuffles the order).
  const std::vector<Matrix> s2 = gradient_scores(f.net, f.data, 2, n, shuffle);
  for (std::size_t l = 0; l < f.net.num_layers(); ++l)
    CHECK((s2[l] - 2.0f * s1[l]).cwiseAbs().maxCoeff() < 1e-5f * s1[l].maxCoeff());
  // Same shuffle key, noise sigma 0 from the start: bit-identical scores.
  Fixture g = make_fixture(seed);
  g.net.modulation().damping = 0.7f;
  f.net.modulation().noise_sigma = 0.4f;
  Rng sa(stream_key(seed, Purpose::shuffle, 9)), sb(stream_key(seed, Purpose::shuffle, 9));
  const auto a = gradient_scores(f.net, f.data, 3, 100, sa);
  const auto b = gradient_scores(g.net, g.data, 3, 100, sb);
  for (std::size_t l = 0; l < a.size(); ++l) CHECK(bitwise_equal(a[l], b[l]));
}

namespace {

/// |full-batch dL/dW| of every layer, in double, from a double copy of `net`
/// (noise off): the score one whole-data-set batch contributes.
std::vector<MatrixT<double>> reference_full_batch_scores(const Mlp& net, const Dataset& data,
                                                         const std::vector<Index>& widths) {
  BasicMlp<double> d = to_double(net, widths);
  MatrixT<double> P, dl;
  softmax_cross_entropy_forward(P, d.forward(data.inputs.cast<double>(), nullptr), data.labels);
  softmax_cross_entropy_backward(dl, P, data.labels);
  d.backward(dl, GradientMode::full);
  std::vector<MatrixT<double>> out;
  for (std::size_t l = 0; l < d.num_layers(); ++l) out.push_back(d.layer(l).weight_grad().cwiseAbs());
  return out;
}

/// The pruned positions (flat index) regrowth should reopen, chosen by hand
/// from `scores`: one 64-bit tie key per pruned position drawn from `values`
/// in increasing flat-index order, then the max(1, floor(fraction n)) best by
/// (score descending, key ascending, index ascending); returned in
/// increasing index order. *gap: relative gap between the last chosen and
/// the first rejected positive score (1 when the cut falls among exact zeros
/// or nothing is rejected).
std::vector<Index> expected_regrowth(const Matrix& mask, const MatrixT<double>& scores, double fraction,
                                     Rng& values, double* gap) {
  struct Candidate {
    double score;
    std::uint64_t key;
    Index index;
  };
  std::vector<Candidate> c;
  for (Index k = 0; k < mask.size(); ++k)
    if (mask.data()[k] == 0.0f) c.push_back({scores.data()[k], 0, k});
  for (auto& x : c) x.key = values.next_u64();
  const std::size_t count = std::max<std::size_t>(1, std::size_t(std::floor(fraction * double(c.size()))));
  std::sort(c.begin(), c.end(), [](const Candidate& a, const Candidate& b) {
    if (a.score != b.score) return a.score > b.score;
    if (a.key != b.key) return a.key < b.key;
    return a.index < b.index;
  });
  *gap = 1.0;
  if (count < c.size() && c[count].score > 0.0)
    *gap = (c[count - 1].score - c[count].score) / c[count - 1].score;
  std::vector<Index> chosen;
  for (std::size_t q = 0; q < count; ++q) chosen.push_back(c[q].index);
  std::sort(chosen.begin(), chosen.end());
  return chosen;
}

}  // namespace

TEST_CASE("regrow_by_gradient: the positions and values chosen by hand from double-precision scores",
          "[regrowth][network]") {
  // Expected result computed without gradient_scores or regrow_layer: the
  // scores from a double copy of the network (one batch = the whole data
  // set, so the shuffled order does not matter: 3 batches score 3 |g|), the
  // choice and the values by the documented rule from a copy of the values
  // stream. Ties: dead units score exactly 0 in float and double alike.
  const std::uint64_t seed = 6;
  CAPTURE(seed);
  const std::vector<Index> widths{2, 16, 16, 4};
  Fixture f = make_fixture(seed);
  f.net.modulation().noise_sigma = 0.3f;  // switched off for scoring, then restored
  // Ten of the first hidden layer's 16 units dead (off for every sample), as
  // after heavy pruning: their weights in and out score exactly 0, so in
  // layers 1 and 2 more than half of the pruned positions tie at 0.
  for (Index j = 0; j < 10; ++j) f.net.layer(0).bias()[j] = -100.0f;
  const Mlp before = f.net;
  RegrowOptions opt;
  opt.batches = 3;
  opt.batch_size = f.data.size();
  REQUIRE(opt.ties == RegrowTies::random);
  REQUIRE(opt.fraction == 0.5);
  REQUIRE(opt.init_sd == 0.03f);
  const std::uint64_t values_key = stream_key(seed, Purpose::regrow);
  Rng shuffle(stream_key(seed, Purpose::shuffle)), values(values_key);
  const std::vector<Index> regrown = regrow_by_gradient(f.net, f.data, opt, shuffle, values);
  CHECK(f.net.modulation().noise_sigma == 0.3f);
  REQUIRE(regrown.size() == 3);

  const std::vector<MatrixT<double>> scores = reference_full_batch_scores(before, f.data, widths);
  Rng ref_values(values_key);  // per layer: the tie keys, then the new values
  long zero_scored_picks = 0;
  for (std::size_t l = 0; l < f.net.num_layers(); ++l) {
    CAPTURE(l);
    const auto& now = f.net.layer(l);
    const auto& old = before.layer(l);
    double gap = 0.0;
    const std::vector<Index> expect =
        expected_regrowth(old.mask(), double(opt.batches) * scores[l], opt.fraction, ref_values, &gap);
    CAPTURE(gap);
    REQUIRE(gap > 1e-4);  // float scores (rounded to ~1e-6) cannot swap the cut
    const Index n_pruned = old.weight().size() - old.active_weights();
    CHECK(regrown[l] == std::max<Index>(1, n_pruned / 2));
    CHECK(Index(expect.size()) == regrown[l]);
    CHECK(bitwise_equal(now.bias(), old.bias()));
    // Reopened exactly at the expected positions, with N(0, 0.03^2) values
    // drawn in increasing index order; the rest untouched or still pruned.
    std::vector<Index> opened;
    for (Index k = 0; k < now.mask().size(); ++k) {
      if (old.mask().data()[k] != 0.0f) {
        REQUIRE(now.mask().data()[k] == 1.0f);
        REQUIRE(std::memcmp(&now.weight().data()[k], &old.weight().data()[k], sizeof(float)) == 0);
      } else if (now.mask().data()[k] != 0.0f) {
        opened.push_back(k);
      } else {
        REQUIRE(now.weight().data()[k] == 0.0f);
      }
    }
    CHECK(opened == expect);
    for (const Index k : expect) {
      CAPTURE(k);
      CHECK(now.weight().data()[k] == 0.03f * ref_values.normal());
      zero_scored_picks += scores[l].data()[k] == 0.0;
    }
  }
  // Not vacuous: some picks were decided by the tie keys (score exactly 0).
  CHECK(zero_scored_picks > 0);
}

// Global regrowth (RegrowOptions::scope = PruneScope::global): one count
// over all layers' pruned positions, ranked together.
TEST_CASE("global regrowth ranks the pruned positions of all layers together", "[regrowth][global]") {
  constexpr RegrowTies kLowest = RegrowTies::lowest_index;
  const std::uint64_t key = stream_key(3, Purpose::regrow);
  SECTION("by score: a layer regrows as many as its scores earn") {
    MaskedLinear a = hand_layer(), b = hand_layer();
    // 12 pruned, floor(0.5 * 12) = 6: B1 0.95, A2 0.9, A5 0.8, A6 0.7, A1 0.5,
    // A3 0.2 -> A reopens 1, 2, 3, 5, 6 (5 of its 6), B only 1. Per layer it
    // would be 3 each.
    const Matrix Sa = scores_from({100, 0.5f, 0.9f, 0.2f, 100, 0.8f, 0.7f, 0.1f, 100});
    const Matrix Sb = scores_from({100, 0.95f, 0.05f, 0.04f, 100, 0.03f, 0.02f, 0.01f, 100});
    Rng values(key);
    const auto counts = detail::regrow_layers({&a, &b}, {&Sa, &Sb}, 0.5, 0.03f, values, kLowest, 0.0);
    CHECK(counts == std::vector<Index>{5, 1});
    CHECK(open_positions(a.mask()) == std::vector<Index>{0, 1, 2, 3, 4, 5, 6, 8});
    CHECK(open_positions(b.mask()) == std::vector<Index>{0, 1, 4, 8});
    // Values drawn in (layer, index) order: A1, A2, A3, A5, A6, then B1.
    Rng ref(key);
    for (const Index k : {1, 2, 3, 5, 6}) CHECK(a.weight().data()[k] == 0.03f * ref.normal());
    CHECK(b.weight().data()[1] == 0.03f * ref.normal());
    CHECK(b.weight().data()[2] == 0.0f);
    // The same scores per layer: 3 and 3.
    MaskedLinear c = hand_layer(), d = hand_layer();
    Rng values2(key);
    CHECK(regrow_layer(c, Sa, 0.5, 0.03f, values2, kLowest) == 3);
    CHECK(regrow_layer(d, Sb, 0.5, 0.03f, values2, kLowest) == 3);
  }
  SECTION("equal scores go to the lower layer, then the lower index") {
    MaskedLinear a = hand_layer(), b = hand_layer();
    const Matrix S = scores_from({1, 1, 1, 1, 1, 1, 1, 1, 1});
    Rng values(key);
    // floor(0.75 * 12) = 9: all six of A, then B1, B2, B3.
    CHECK(detail::regrow_layers({&a, &b}, {&S, &S}, 0.75, 0.03f, values, kLowest, 0.0) == std::vector<Index>{6, 3});
    CHECK(open_positions(a.mask()) == std::vector<Index>{0, 1, 2, 3, 4, 5, 6, 7, 8});
    CHECK(open_positions(b.mask()) == std::vector<Index>{0, 1, 2, 3, 4, 8});
  }
  SECTION("over one layer it is regrow_layer, bit for bit, random ties and sprouting included") {
    for (int trial = 0; trial < 10; ++trial) {
      CAPTURE(trial);
      Rng draw(stream_key(std::uint64_t(trial), Purpose::init));
      MaskedLinear one(9, 7), two(9, 7);  // (in, out): W is 7 x 9
      one.init_uniform(draw);
      Matrix mask(7, 9);
      for (Index k = 0; k < mask.size(); ++k) mask.data()[k] = draw.uniform() < 0.3 ? 1.0f : 0.0f;
      one.set_mask(mask);
      two.set_weight(one.weight());
      two.set_mask(one.mask());
      Matrix S(7, 9);
      for (Index k = 0; k < S.size(); ++k) S.data()[k] = float(draw.below(4));  // many ties
      Rng v1(key), v2(key);
      const Index n = regrow_layer(one, S, 0.4, 0.03f, v1, RegrowTies::random, 0.25);
      CHECK(detail::regrow_layers({&two}, {&S}, 0.4, 0.03f, v2, RegrowTies::random, 0.25) == std::vector<Index>{n});
      CHECK(bitwise_equal(one.weight(), two.weight()));
      CHECK(bitwise_equal(one.mask(), two.mask()));
      CHECK(v1.next_u64() == v2.next_u64());
    }
  }
}

TEST_CASE("regrow_by_gradient with a global scope: the network's count, the same bits for one layer",
          "[regrowth][global]") {
  Rng data_rng(stream_key(1, Purpose::data));
  const Dataset data = make_gaussian_clusters(256, 0.8f, data_rng);
  auto pruned_net = [](std::vector<Index> widths) {
    Mlp net(std::move(widths));
    Rng init(stream_key(1, Purpose::init));
    net.init(init);
    prune_to(net, 0.9);
    return net;
  };
  RegrowOptions o;
  o.batches = 2;
  o.fraction = 0.3;
  o.batch_size = 64;
  SECTION("the count is max(1, floor(fraction * the network's pruned positions))") {
    Mlp net = pruned_net({2, 16, 8, 4});
    Index pruned = 0;
    for (std::size_t l = 0; l < net.num_layers(); ++l) pruned += Index((net.layer(l).mask().array() == 0.0f).count());
    o.scope = PruneScope::global;
    Rng shuffle(stream_key(1, Purpose::shuffle)), values(stream_key(1, Purpose::regrow));
    const std::vector<Index> counts = regrow_by_gradient(net, data, o, shuffle, values);
    Index total = 0;
    for (const Index c : counts) total += c;
    CHECK(total == Index(std::floor(0.3 * double(pruned))));
    Index still = 0;
    for (std::size_t l = 0; l < net.num_layers(); ++l) still += Index((net.layer(l).mask().array() == 0.0f).count());
    CHECK(still == pruned - total);
  }
  SECTION("one layer: global equals per layer") {
    Mlp a = pruned_net({2, 4}), b = pruned_net({2, 4});
    Rng s1(stream_key(1, Purpose::shuffle)), v1(stream_key(1, Purpose::regrow));
    Rng s2(stream_key(1, Purpose::shuffle)), v2(stream_key(1, Purpose::regrow));
    o.fraction = 0.6;
    const auto per_layer = regrow_by_gradient(a, data, o, s1, v1);
    o.scope = PruneScope::global;
    CHECK(regrow_by_gradient(b, data, o, s2, v2) == per_layer);
    CHECK(bitwise_equal(a.layer(0).weight(), b.layer(0).weight()));
    CHECK(bitwise_equal(a.layer(0).mask(), b.layer(0).mask()));
  }
}
