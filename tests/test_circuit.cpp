// test_circuit.cpp - the circuit measures of a pre-treatment network
// (rewire/protocol/circuit.hpp), feed-forward and recurrent, on hand-made
// masks, worked out in the comments.
#include <rewire/protocol/circuit.hpp>
#include <rewire/protocol/study.hpp>

#include <catch2/catch.hpp>

#include "require_invalid.hpp"

#include <cmath>
#include <string>
#include <vector>

using rewire::Matrix;
using rewire::Mlp;
using rewire::protocol::Metrics;
using Catch::Matchers::WithinAbs;
namespace k = rewire::protocol::circuit_key;

namespace {

Matrix rows(rewire::Index r, rewire::Index c, std::initializer_list<float> values) {
  Matrix M(r, c);
  auto it = values.begin();
  for (rewire::Index i = 0; i < r; ++i)
    for (rewire::Index j = 0; j < c; ++j) M(i, j) = *it++;
  return M;
}

// widths 2-3-2-2. Masks (out x in), units numbered from 0:
//   layer 1: h1u0 <- x0; h1u1 <- nothing; h1u2 <- x0, x1
//   layer 2: h2u0 <- h1u0; h2u1 <- h1u1          (h1u2 feeds nothing)
//   layer 3: y0 <- h2u0, h2u1; y1 <- h2u1
Mlp hand_made() {
  Mlp net({2, 3, 2, 2});
  net.layer(0).set_mask(rows(3, 2, {1, 0, 0, 0, 1, 1}));
  net.layer(0).set_weight(rows(3, 2, {1, 0, 0, 0, -2, 0.5f}));
  net.layer(1).set_mask(rows(2, 3, {1, 0, 0, 0, 1, 0}));
  net.layer(1).set_weight(rows(2, 3, {-1, 0, 0, 0, 3, 0}));
  net.layer(2).set_mask(rows(2, 2, {1, 1, 0, 1}));
  net.layer(2).set_weight(rows(2, 2, {0.25f, -0.5f, 0, 2}));
  return net;
}

}  // namespace

TEST_CASE("circuit structure of a hand-made pruned network", "[protocol][circuit]") {
  const Metrics m = rewire::protocol::circuit_structure(hand_made());
  // Surviving weights: layer 1 3 of 6, layer 2 2 of 6, layer 3 3 of 4; all 8 of 16.
  CHECK_THAT(m.at("surviving_weights.layer1"), WithinAbs(50.0, 1e-12));
  CHECK_THAT(m.at("surviving_weights.layer2"), WithinAbs(100.0 / 3.0, 1e-12));
  CHECK_THAT(m.at("surviving_weights.layer3"), WithinAbs(75.0, 1e-12));
  CHECK_THAT(m.at(k::surviving_weights), WithinAbs(50.0, 1e-12));
  // Dead (first order): h1u1 has no input, h1u2 no output; h2u0 (fed by
  // h1u0, read by y0) and h2u1 (fed by h1u1, read by y0 and y1) are not.
  CHECK(m.at("dead_units.hidden1") == 2);
  CHECK(m.at("dead_units.hidden2") == 0);
  CHECK(m.at(k::dead_units) == 2);
  // Disconnected: h1u1 and h1u2 (dead), and h2u1, whose only input is the
  // input-less h1u1; h1u0 -> h2u0 -> y0 is a whole path.
  CHECK(m.at(k::disconnected_units) == 3);
  // Paths: M1 1 = (1, 0, 2), M2 (1, 0, 2) = (1, 0), M3 (1, 0) = (1, 0):
  // one path of 2 * 3 * 2 * 2 = 24.
  CHECK_THAT(m.at(k::path_share), WithinAbs(100.0 / 24.0, 1e-12));
  // Norms of the unmasked weights: 1, -2, 0.5, -1, 3, 0.25, -0.5, 2.
  CHECK_THAT(m.at(k::weight_l1), WithinAbs(10.25, 1e-6));
  CHECK_THAT(m.at(k::weight_l2), WithinAbs(std::sqrt(1 + 4 + 0.25 + 1 + 9 + 0.0625 + 0.25 + 4), 1e-6));
}

TEST_CASE("a dense network has every weight, path and unit", "[protocol][circuit]") {
  Mlp net({3, 4, 5, 2});
  rewire::Rng rng(7);
  net.init(rng);
  const Metrics m = rewire::protocol::circuit_structure(net);
  CHECK(m.at(k::surviving_weights) == 100.0);
  CHECK(m.at(k::dead_units) == 0);
  CHECK(m.at(k::disconnected_units) == 0);
  CHECK_THAT(m.at(k::path_share), WithinAbs(100.0, 1e-12));
  // One hidden layer with every incoming weight pruned: all its units are
  // dead, the units above are cut off, no path is left.
  net.layer(1).set_mask(Matrix::Zero(5, 4));
  const Metrics cut = rewire::protocol::circuit_structure(net);
  CHECK(cut.at("dead_units.hidden1") == 4);  // no output
  CHECK(cut.at("dead_units.hidden2") == 5);  // no input
  CHECK(cut.at(k::disconnected_units) == 9);
  CHECK(cut.at(k::path_share) == 0.0);
  CHECK(cut.at("surviving_weights.layer2") == 0.0);
}

namespace {
// Two layers that do not chain (3 outputs, then 4 inputs).
struct NotAChain {
  std::vector<rewire::MaskedLinear> layers{rewire::MaskedLinear(2, 3), rewire::MaskedLinear(4, 2)};
  std::size_t num_layers() const { return layers.size(); }
  const rewire::MaskedLinear& layer(std::size_t l) const { return layers.at(l); }
};
}  // namespace

TEST_CASE("circuit structure refuses layers that do not chain", "[protocol][circuit]") {
  REQUIRE_INVALID(rewire::protocol::circuit_structure(NotAChain{}), "layer 2 does not read the outputs");
}

TEST_CASE("baseline measures: the documented names, their own stream, the network unchanged", "[protocol][circuit]") {
  using namespace rewire::protocol;
  DataSpec data_spec;
  data_spec.train_size = 64;
  data_spec.standard_size = 64;
  data_spec.clean_size = 32;
  data_spec.sigma = 0.8f;
  const StudyData data = make_study_data(data_spec, 3);
  StudySpec spec;
  spec.widths = {2, 8, 8, 4};
  Mlp net(spec.widths);
  rewire::Rng rng(11);
  net.init(rng);
  const Subject baseline(net, 3, kBaselineLineage);
  spec.measure.combined_input_sigma = 1.0f;
  spec.measure.combined_internal_sigma = 0.5f;
  spec.measure.stress_levels = {0.0f};
  const Metrics m = measure_baseline(spec, baseline, data);
  std::vector<std::string> keys;
  for (const auto& kv : m) keys.push_back(kv.first);
  CHECK(keys == baseline_measure_names(spec));
  // The accuracies are those of the baseline lineage's phase kPhaseBaseline.
  rewire::NoiseSource noise = baseline.eval_noise(kPhaseBaseline);
  CHECK(m.at(k::clean) == accuracy(baseline.net, data.clean, {}, noise));
  CHECK(m.at(k::standard) == accuracy(baseline.net, data.standard, {}, noise));
  CHECK(m.at(k::combined) == accuracy(baseline.net, data.standard, {1.0f, 0.5f}, noise));
  // Measuring again gives the same bits (nothing in the subject moved).
  CHECK(measure_baseline(spec, baseline, data) == m);
}

namespace {

// 2 inputs, 4 units, 2 outputs. Masks (to x from), units numbered from 0:
//   input:     u0 <- x0; u3 <- x1           (u1, u2 take no input)
//   recurrent: u1 <- u0; u2 <- u2 (itself); u0 <- u3
//   output:    y0 <- u1; y1 <- u2
// u0: fed by x0 and u3, read by u1: alive, x0 -> u0 -> u1 -> y0.
// u1: fed by u0, read by y0: alive. u3: fed by x1, read by u0: alive.
// u2: only itself feeds it: dead, and on no path from an input.
rewire::Rnn hand_made_rnn() {
  rewire::Rnn net(2, 4, 2);
  net.layer(rewire::RnnLayer::input).set_mask(rows(4, 2, {1, 0, 0, 0, 0, 0, 0, 1}));
  net.layer(rewire::RnnLayer::input).set_weight(rows(4, 2, {2, 0, 0, 0, 0, 0, 0, -1}));
  net.layer(rewire::RnnLayer::recurrent).set_mask(rows(4, 4, {0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0}));
  net.layer(rewire::RnnLayer::recurrent).set_weight(rows(4, 4, {0, 0, 0, 0.5f, -3, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0}));
  net.layer(rewire::RnnLayer::output).set_mask(rows(2, 4, {0, 1, 0, 0, 0, 0, 1, 0}));
  net.layer(rewire::RnnLayer::output).set_weight(rows(2, 4, {0, 0.25f, 0, 0, 0, 0, -2, 0}));
  return net;
}

}  // namespace

TEST_CASE("circuit structure of a hand-made recurrent network", "[protocol][circuit]") {
  const Metrics m = rewire::protocol::circuit_structure(rewire::protocol::Network(hand_made_rnn()));
  // Surviving: input 2 of 8, recurrent 3 of 16, output 2 of 8; all 7 of 32.
  CHECK_THAT(m.at("surviving_weights.input"), WithinAbs(25.0, 1e-12));
  CHECK_THAT(m.at("surviving_weights.recurrent"), WithinAbs(18.75, 1e-12));
  CHECK_THAT(m.at("surviving_weights.output"), WithinAbs(25.0, 1e-12));
  CHECK_THAT(m.at(k::surviving_weights), WithinAbs(100.0 * 7.0 / 32.0, 1e-12));
  CHECK(m.at(k::dead_units) == 1);          // u2
  CHECK(m.at(k::disconnected_units) == 1);  // u2: x1 -> u3 -> u0 -> u1 -> y0 carries u3
  CHECK(m.count(k::path_share) == 0);
  CHECK_THAT(m.at(k::weight_l1), WithinAbs(2 + 1 + 0.5 + 3 + 1 + 0.25 + 2, 1e-6));
  CHECK_THAT(m.at(k::weight_l2), WithinAbs(std::sqrt(4 + 1 + 0.25 + 9 + 1 + 0.0625 + 4), 1e-6));
  // Cut the readout of u1: u1 is then dead (no output, nothing else reads
  // it), and no unit reaches an output any more.
  rewire::Rnn cut = hand_made_rnn();
  cut.layer(rewire::RnnLayer::output).set_mask(rows(2, 4, {0, 0, 0, 0, 0, 0, 1, 0}));
  const Metrics c = rewire::protocol::circuit_structure(cut);
  CHECK(c.at(k::dead_units) == 2);          // u1 and u2
  CHECK(c.at(k::disconnected_units) == 4);  // u2 reaches y1 but no input reaches u2
}

TEST_CASE("baseline measures of a recurrent subject: the names of its kind", "[protocol][circuit]") {
  using namespace rewire::protocol;
  StudySpec spec;
  spec.network = NetworkKind::rnn;
  spec.task.kind = TaskKind::clusters_over_time;
  spec.rnn.units = 6;
  spec.data.train_size = 8;
  spec.data.standard_size = 16;
  spec.data.clean_size = 8;
  spec.data.sigma = 0.5f;
  spec.measure.combined_input_sigma = 0.5f;
  const StudyData data = make_study_data(spec, 5);
  Network net = make_network(spec);
  rewire::Rng rng(2);
  net.init(rng);
  const Subject baseline(net, 5, kBaselineLineage);
  const Metrics m = measure_baseline(spec, baseline, data);
  std::vector<std::string> keys;
  for (const auto& kv : m) keys.push_back(kv.first);
  CHECK(keys == baseline_measure_names(spec));
  CHECK(m.at(k::surviving_weights) == 100.0);
  CHECK(m.at(k::dead_units) == 0);
  rewire::NoiseSource noise = baseline.eval_noise(kPhaseBaseline);
  CHECK(m.at(k::clean) == accuracy(baseline.net, data.clean, {}, noise));
}
