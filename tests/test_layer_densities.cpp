// test_layer_densities.cpp - Erdos-Renyi (ERK) per-layer densities with
// RigL's cap at 1 (prune/layer_densities.hpp): hand-worked counts, the exact
// total, capped layers made dense and the rest redistributed, and random
// masks that realise the counts, the same bits from the same stream.
#include <catch2/catch.hpp>
#include <rewire/rewire.hpp>

#include "test_helpers.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

using namespace rewire;
using rewire_test::bitwise_equal;

namespace {

/// The layers of Mlp({2, 8, 8, 4}): out x in = 8x2, 8x8, 4x8 (16 + 64 + 32 = 112 weights).
/// (n_in + n_out) per layer: 10, 16, 12 (sum 38); (n_in + n_out) / (n_in n_out): 0.625, 0.25, 0.375.
const std::vector<LayerShape> kSmall{{8, 2}, {8, 8}, {4, 8}};

Index count_ones(const Matrix& m) { return Index((m.array() != 0.0f).count()); }

}  // namespace

TEST_CASE("erk_densities: a hand-worked example without capping", "[layer_densities]") {
  // d = 0.5: 56 active of 112. epsilon = 56 / 38 = 1.47368; the largest density
  // 0.625 * 1.47368 = 0.921 <= 1, so no layer is capped. Real counts
  // epsilon * (n_in + n_out): 10 * 56/38 = 14.737, 16 * 56/38 = 23.579,
  // 12 * 56/38 = 17.684. Floors 14 + 23 + 17 = 54, 2 missing: they go to the two
  // largest fractional parts, layer 1 (0.737) and layer 3 (0.684): 15, 23, 18.
  const LayerDensities d = erk_densities(kSmall, 0.5);
  CHECK(d.epsilon == Approx(56.0 / 38.0).epsilon(1e-12));
  CHECK(d.active == std::vector<Index>{15, 23, 18});
  CHECK(d.sizes == std::vector<Index>{16, 64, 32});
  CHECK(d.dense == std::vector<bool>{false, false, false});
  CHECK(d.densities[0] == 15.0 / 16.0);
  CHECK(d.ideal[1] == Approx(0.25 * 56.0 / 38.0).epsilon(1e-12));
  CHECK(d.total_active() == 56);
}

TEST_CASE("erk_densities: a layer whose density would exceed 1 is dense, the rest redistributed",
          "[layer_densities]") {
  // d = 0.6: 67.2 of 112, target round(67.2) = 67. Round 1: epsilon = 67.2 / 38 =
  // 1.768; layer 1 would get 0.625 * 1.768 = 1.105 > 1: dense (16). Round 2:
  // rhs = 0.6 * 96 - 0.4 * 16 = 51.2 over (n_in + n_out) 16 + 12 = 28: epsilon =
  // 1.828571; layer 3: 0.375 * 1.828571 = 0.686 <= 1, done. Real counts
  // 16 * 1.828571 = 29.257 and 12 * 1.828571 = 21.943; floors 16 + 29 + 21 = 66,
  // 1 missing: to layer 3 (fraction 0.943 > 0.257). Counts 16, 29, 22.
  const LayerDensities d = erk_densities(kSmall, 0.6);
  CHECK(d.dense == std::vector<bool>{true, false, false});
  CHECK(d.epsilon == Approx(51.2 / 28.0).epsilon(1e-12));
  CHECK(d.active == std::vector<Index>{16, 29, 22});
  CHECK(d.ideal[0] == 1.0);
  CHECK(d.total_active() == 67);
}

TEST_CASE("erk_densities iterates the cap until no density exceeds 1", "[layer_densities]") {
  // Mlp({2, 4, 64, 2}): 4x2, 64x4, 2x64 = 8 + 256 + 128 = 392 weights; (n_in + n_out)
  // 6, 68, 66; ratios 0.75, 0.2656, 0.5156. d = 0.8: 313.6, target 314.
  // Round 1: epsilon = 313.6 / 140 = 2.24; layer 1: 0.75 * 2.24 = 1.68 > 1: dense.
  // Round 2: rhs = 0.8 * 384 - 0.2 * 8 = 305.6 over 134: epsilon = 2.2806; layer 3:
  // 0.5156 * 2.2806 = 1.176 > 1: dense. Round 3: rhs = 0.8 * 256 - 0.2 * 136 = 177.6
  // over 68: epsilon = 2.6118; layer 2: 0.2656 * 2.6118 = 0.694 <= 1, done.
  // Counts 8, floor(177.6) = 177, 128: 313, 1 missing, to layer 2: 8, 178, 128.
  const LayerDensities d = erk_densities(std::vector<LayerShape>{{4, 2}, {64, 4}, {2, 64}}, 0.8);
  CHECK(d.dense == std::vector<bool>{true, false, true});
  CHECK(d.epsilon == Approx(177.6 / 68.0).epsilon(1e-12));
  CHECK(d.active == std::vector<Index>{8, 178, 128});
}

TEST_CASE("erk_densities: the total is exact and the non-dense layers follow epsilon over many shapes",
          "[layer_densities]") {
  Rng rng(stream_key(7, Purpose::data));
  for (int trial = 0; trial < 300; ++trial) {
    std::vector<LayerShape> shapes;
    const auto layers = 1 + rng.below(5);
    for (std::uint32_t l = 0; l < layers; ++l) shapes.push_back({Index(1 + rng.below(300)), Index(1 + rng.below(300))});
    const double density = rng.below(4) == 0 ? double(rng.below(11)) / 10.0 : double(rng.uniform());
    CAPTURE(trial, density);
    const LayerDensities d = erk_densities(shapes, density);
    const Index total = std::accumulate(d.sizes.begin(), d.sizes.end(), Index(0));
    CHECK(d.total_active() == Index(std::llround(density * double(total))));
    for (std::size_t l = 0; l < shapes.size(); ++l) {
      CHECK(d.active[l] >= 0);
      CHECK(d.active[l] <= d.sizes[l]);
      if (d.dense[l]) {
        CHECK(d.active[l] == d.sizes[l]);
      } else {
        const double ratio = double(shapes[l].out + shapes[l].in) / double(d.sizes[l]);
        CHECK(d.ideal[l] == Approx(d.epsilon * ratio).epsilon(1e-12));
        CHECK(d.ideal[l] <= 1.0);
        CHECK(std::fabs(double(d.active[l]) - d.ideal[l] * double(d.sizes[l])) < 1.0);  // rounded by at most 1
      }
    }
  }
}

TEST_CASE("erk_densities at the ends and on bad input", "[layer_densities]") {
  const LayerDensities full = erk_densities(kSmall, 1.0);
  CHECK(full.active == full.sizes);
  CHECK(erk_densities(kSmall, 0.0).active == std::vector<Index>{0, 0, 0});
  CHECK_THROWS_WITH(erk_densities(kSmall, 1.5), Catch::Contains("overall density"));
  CHECK_THROWS_WITH(erk_densities(std::vector<LayerShape>{{3, 0}}, 0.5), Catch::Contains("layer shape 3x0"));
  CHECK_THROWS_WITH(erk_densities(std::vector<LayerShape>{}, 0.5), Catch::Contains("at least one layer"));
  CHECK_THROWS_WITH(erk_densities(Mlp(), 0.5), Catch::Contains("Mlp"));
}

TEST_CASE("erk_densities of a network uses its weight matrices' shapes", "[layer_densities]") {
  CHECK(erk_densities(Mlp({2, 8, 8, 4}), 0.5).active == std::vector<Index>{15, 23, 18});
  const Rnn rnn(3, 24, 4);  // input 24x3, recurrent 24x24, output 4x24
  const LayerDensities d = erk_densities(rnn, 0.3);
  CHECK(d.sizes == std::vector<Index>{72, 576, 96});
  CHECK(d.active == erk_densities(std::vector<LayerShape>{{24, 3}, {24, 24}, {4, 24}}, 0.3).active);
}

TEST_CASE("random_mask draws a keyed partial Fisher-Yates of exactly the count", "[layer_densities]") {
  const std::uint64_t key = stream_key(5, Purpose::init, 1);
  Rng rng(key);
  const Matrix mask = random_mask(6, 5, 11, rng);
  std::vector<Index> positions(30);
  std::iota(positions.begin(), positions.end(), Index(0));
  Rng ref(key);
  for (std::size_t i = 0; i < 11; ++i) std::swap(positions[i], positions[i + ref.below(std::uint32_t(30 - i))]);
  Matrix expected = Matrix::Zero(6, 5);
  for (std::size_t i = 0; i < 11; ++i) expected.data()[positions[i]] = 1.0f;
  CHECK(bitwise_equal(mask, expected));
  CHECK(rng.next_u64() == ref.next_u64());  // exactly 11 draws
  CHECK_THROWS_WITH(random_mask(2, 2, 5, rng), Catch::Contains("5 active of 4 positions"));
}

TEST_CASE("apply_erk sets masks of exactly the counts, keeps the active weights and reproduces bit for bit",
          "[layer_densities]") {
  auto run = [](std::uint64_t mask_seed) {
    Mlp net({2, 64, 64, 4});
    Rng init(stream_key(0, Purpose::init));
    net.init(init);
    const Mlp dense = net;
    Rng masks(stream_key(mask_seed, Purpose::init, 1));
    const LayerDensities d = apply_erk(net, 0.1, masks);
    for (std::size_t l = 0; l < net.num_layers(); ++l) {
      CHECK(net.layer(l).active_weights() == d.active[l]);
      const Matrix M = net.layer(l).mask(), W = net.layer(l).weight(), W0 = dense.layer(l).weight();
      Index kept = 0;
      for (Index k = 0; k < W.size(); ++k) kept += (M.data()[k] != 0.0f ? W.data()[k] == W0.data()[k] : W.data()[k] == 0.0f);
      CHECK(kept == W.size());  // active weights as initialised, the others 0
    }
    CHECK(net.num_active_weights() == Index(std::llround(0.1 * double(net.num_weights()))));
    return net;
  };
  const Mlp a = run(0), b = run(0), c = run(1);
  bool all_same_as_c = true;
  for (std::size_t l = 0; l < a.num_layers(); ++l) {
    CHECK(bitwise_equal(a.layer(l).mask(), b.layer(l).mask()));
    CHECK(bitwise_equal(a.layer(l).weight(), b.layer(l).weight()));
    all_same_as_c = all_same_as_c && bitwise_equal(a.layer(l).mask(), c.layer(l).mask());
  }
  CHECK_FALSE(all_same_as_c);  // another stream, other masks
}

TEST_CASE("apply_erk on a recurrent network, and densities of another network refused", "[layer_densities]") {
  Rnn net(3, 32, 4);
  Rng init(stream_key(0, Purpose::init));
  net.init(init);
  Rng masks(stream_key(0, Purpose::init, 1));
  const LayerDensities d = apply_erk(net, 0.2, masks);
  for (std::size_t l = 0; l < net.num_layers(); ++l) CHECK(count_ones(net.layer(l).mask()) == d.active[l]);
  CHECK(d.total_active() == Index(std::llround(0.2 * double(net.num_weights()))));
  Mlp mlp({2, 8, 4});
  CHECK_THROWS_WITH(apply_layer_densities(mlp, d, masks), Catch::Contains("for 3 layers given to a network of 2"));
}
