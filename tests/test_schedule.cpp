// test_schedule.cpp - cycle-dependent schedules (protocol/schedule.hpp), the
// steps train_with_noise and discontinue, and the cluster task in any shape.
//
// Which steps run in which cycle is observed through sparsity: maintenance
// made only of prune_remaining steps changes the sparsity of a cycle by a
// known factor, (1 - s') = (1 - s)(1 - f) per step, worked out here from the
// measured sparsity of the cycle before; a cycle where nothing runs keeps
// the sparsity exactly. Everything runs on a {2, 64, 64, 4} network (4480 weights) in well under
// a second.
#include <catch2/catch.hpp>
#include <rewire/rewire.hpp>

#include <cmath>
#include <vector>

using namespace rewire;
using namespace rewire::protocol;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;

namespace {

constexpr std::uint64_t kSeed = 5;

StudySpec tiny_spec(int cycles) {
  StudySpec s;
  s.data = {200, 100, 50, 0.8f, 0.0f, 50, {}};
  s.widths = {2, 64, 64, 4};
  s.baseline = {Train{2, 1e-2f}, PruneTo{0.2}};
  s.measure = {0.0f, 0.0f, {0.0f}};
  s.longitudinal.cycles = cycles;
  s.longitudinal.prune = PruneRemaining{0.0, 1.0};  // no study stress unless a test sets it
  s.longitudinal.threshold = 50.0;
  return s;
}

ArmSpec arm_with(std::vector<MaintenanceBlock> maintenance, std::vector<StressBlock> stress = {}) {
  ArmSpec a;
  a.name = "a";
  a.maintenance = std::move(maintenance);
  a.stress = std::move(stress);
  return a;
}

CycleSelector range(int from, int to, int every = 1) { return {from, to, every, {}}; }
CycleSelector at(std::vector<int> cycles) {
  CycleSelector s;
  s.at = std::move(cycles);
  return s;
}
MaintenanceBlock remove(double fraction, CycleSelector when) {
  return {{PruneRemaining{fraction, 1.0}}, std::move(when)};
}

/// Sparsity (%) after removing each of `fractions` of the survivors of `s` (%).
double after_removing(double s, const std::vector<double>& fractions) {
  double alive = 1.0 - s / 100.0;
  for (double f : fractions) alive *= 1.0 - f;
  return 100.0 * (1.0 - alive);
}

/// The key of the SpecError `f` throws ("" if it throws none).
template <class F>
std::string spec_key(F&& f) {
  try {
    f();
  } catch (const SpecError& e) {
    return e.key();
  }
  return "";
}

ArmResult run_one(const StudySpec& spec) {
  const StudyData data = make_study_data(spec.data, kSeed);
  return run_arm(spec, 0, run_baseline(spec, data, kSeed), data);
}

}  // namespace

TEST_CASE("a cycle selector selects the listed cycles or every k-th of a range", "[schedule]") {
  const auto selected = [](const CycleSelector& s) {
    std::vector<int> out;
    for (int c = 0; c <= 10; ++c)
      if (s.selects(c)) out.push_back(c);
    return out;
  };
  CHECK(selected(CycleSelector{}) == std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  CHECK(selected(range(2, 7, 2)) == std::vector<int>{2, 4, 6});
  CHECK(selected(range(3, 10, 4)) == std::vector<int>{3, 7});
  CHECK(selected(range(4, 4)) == std::vector<int>{4});
  CHECK(selected(at({1, 5, 9})) == std::vector<int>{1, 5, 9});
  CHECK(CycleSelector{}.every_cycle(8));
  CHECK(range(1, 8).every_cycle(8));
  CHECK_FALSE(range(1, 7).every_cycle(8));
  CHECK_FALSE(range(1, 8, 2).every_cycle(8));
}

TEST_CASE("each cycle runs exactly the maintenance blocks that select it, in list order", "[schedule]") {
  StudySpec spec = tiny_spec(6);
  // cycle: 1 -> A, 2 -> B, 3 -> A, 4 -> C, 5 -> A B C, 6 -> C
  spec.arms = {arm_with({remove(0.2, range(1, 6, 2)), remove(0.5, at({2, 5})), remove(0.1, range(4, 6))})};
  const std::vector<std::vector<double>> runs = {{0.2}, {0.5}, {0.2}, {0.1}, {0.2, 0.5, 0.1}, {0.1}};
  const ArmResult r = run_one(spec);
  REQUIRE(r.cycle_sparsity.size() == 7);
  for (int c = 1; c <= 6; ++c) {
    CAPTURE(c, r.cycle_sparsity[c - 1], r.cycle_sparsity[c]);
    // Per-layer rounding of the pruned counts: within 1.5 of 4480 weights per step.
    CHECK(r.cycle_sparsity[c] == Approx(after_removing(r.cycle_sparsity[c - 1], runs[c - 1])).margin(0.15));
  }
  CHECK(steps_in_cycle(spec.arms[0].maintenance, 5).size() == 3);
  CHECK(steps_in_cycle(spec.arms[0].maintenance, 0).empty());  // cycle 0: the post-treatment measurement
}

TEST_CASE("an arm's stress blocks replace the study's stressor where they select, first match wins",
          "[schedule]") {
  StudySpec spec = tiny_spec(6);
  spec.longitudinal.prune = PruneRemaining{0.3, 1.0};
  // cycle 2: stress-free; cycles 4 and 6: 0.6 (not the later 0.05 block); 5: 0.05; 1 and 3: the study's 0.3.
  const std::vector<StressBlock> stress = {{at({2}), PruneRemaining{0.0, 1.0}},
                                           {range(4, 6, 2), PruneRemaining{0.6, 1.0}},
                                           {range(4, 6), PruneRemaining{0.05, 1.0}}};
  spec.arms = {arm_with({}, stress)};
  const std::vector<double> expected = {0.3, 0.0, 0.3, 0.6, 0.05, 0.6};
  const ArmResult r = run_one(spec);
  REQUIRE(r.cycle_sparsity.size() == 7);
  CHECK(r.cycle_sparsity[2] == r.cycle_sparsity[1]);  // nothing at all ran in cycle 2
  for (int c = 1; c <= 6; ++c) {
    CAPTURE(c);
    CHECK(r.cycle_sparsity[c] ==
          Approx(after_removing(r.cycle_sparsity[c - 1], {expected[std::size_t(c - 1)]})).margin(0.15));
  }
}

TEST_CASE("training epochs follow the schedule: arm_epochs and the epochs actually run agree", "[schedule]") {
  StudySpec spec = tiny_spec(5);
  ArmSpec a = arm_with({{{Train{2, 1e-3f}}, range(1, 5, 3)}, {{TrainWithNoise{1, 1e-3f, 0.2f}}, at({2})}});
  a.treatment = {Train{3, 1e-3f}};
  spec.arms = {a};
  // By hand: treatment 3, cycles 1 and 4 train 2 each, cycle 2 trains 1.
  CHECK(spec.arm_epochs(0) == 3 + 2 + 2 + 1);
  const StudyData data = make_study_data(spec.data, kSeed);
  const Subject depressed = run_baseline(spec, data, kSeed);
  int epochs = 0;
  std::vector<float> sigmas;
  run_arm(spec, 0, depressed, data, [&](int, double, float sigma) {
    ++epochs;
    sigmas.push_back(sigma);
  });
  CHECK(epochs == 8);
  // Order: treatment (3), cycle 1 (2), cycle 2 (the noisy epoch), cycle 4 (2).
  CHECK(sigmas == std::vector<float>{0, 0, 0, 0, 0, 0.2f, 0, 0});
}

TEST_CASE("train_with_noise keeps sigma constant, and with sigma 0 is plain training", "[schedule][steps]") {
  StudySpec spec = tiny_spec(0);
  const StudyData data = make_study_data(spec.data, kSeed);
  const Subject depressed = run_baseline(spec, data, kSeed);
  Subject a = depressed.branch(7), b = depressed.branch(7), c = depressed.branch(7);
  std::vector<float> sigmas;
  apply(a, TrainWithNoise{4, 1e-3f, 0.3f}, data.train, 50, [&](int, double, float s) { sigmas.push_back(s); });
  CHECK(sigmas == std::vector<float>(4, 0.3f));
  CHECK(a.net.modulation().noise_sigma == 0.0f);  // restored after training
  apply(b, TrainWithNoise{2, 1e-3f, 0.0f}, data.train, 50);
  apply(c, Train{2, 1e-3f}, data.train, 50);
  for (std::size_t l = 0; l < b.net.mlp()->num_layers(); ++l) {
    CHECK(b.net.mlp()->layer(l).weight() == c.net.mlp()->layer(l).weight());
    CHECK(b.net.mlp()->layer(l).bias() == c.net.mlp()->layer(l).bias());
  }
}

TEST_CASE("discontinue returns the network to ReLU and damping 1", "[schedule][steps]") {
  StudySpec spec = tiny_spec(0);
  const StudyData data = make_study_data(spec.data, kSeed);
  Subject s = run_baseline(spec, data, kSeed);
  apply(s, Modulate{Activation::tanh, 0.7f}, data.train, 50);
  REQUIRE(s.net.modulation().activation == Activation::tanh);
  apply(s, Discontinue{}, data.train, 50);
  CHECK(s.net.modulation().activation == Activation::relu);
  CHECK(s.net.modulation().damping == 1.0f);
  CHECK(describe(Step{Discontinue{}}) == "discontinue(activation relu, damping 1)");
}

TEST_CASE("the cluster task in any dimension, the 2-D default drawing as it always did", "[schedule][data]") {
  // The generator as it was for the plane, written out: label, then x, then y.
  Rng ref(11), rng(11);
  const ClusterCentres paper = paper_centres();
  const Dataset d = make_gaussian_clusters(64, 0.8f, rng);
  for (Index k = 0; k < 64; ++k) {
    const auto label = ref.below(4);
    REQUIRE(d.labels[k] == std::int32_t(label));
    for (int j = 0; j < 2; ++j) REQUIRE(d.inputs(k, j) == paper[label][std::size_t(j)] + 0.8f * ref.normal());
  }
  // Three classes in 5 dimensions, sigma 0: every point sits on its centre.
  ClusterCentres c3 = {{1, 0, 0, 0, 0}, {0, 2, 0, 0, 0}, {0, 0, 0, 0, -3}};
  Rng r3(12);
  const Dataset e = make_gaussian_clusters(30, 0.0f, r3, c3);
  REQUIRE(e.inputs.cols() == 5);
  for (Index k = 0; k < 30; ++k)
    for (Index j = 0; j < 5; ++j) CHECK(e.inputs(k, j) == c3[std::size_t(e.labels[k])][std::size_t(j)]);
}

TEST_CASE("a study on a 5-D, 3-class task runs, and shapes that do not fit are refused", "[schedule][data]") {
  StudySpec spec = tiny_spec(1);
  spec.data.centres = {{4, 0, 0, 0, 0}, {0, 4, 0, 0, 0}, {0, 0, 4, 0, 0}};
  spec.widths = {5, 32, 3};
  spec.baseline = {Train{10, 1e-2f}};
  spec.arms = {arm_with({})};
  const ArmResult r = run_one(spec);
  CHECK(r.metrics.at(metric::clean) > 90.0);  // the centres are 4 * sqrt(2) apart, trained on sigma 0.8
  spec.widths = {2, 32, 3};
  CHECK_THROWS_WITH(spec.validate(), Contains("widths[0] = 2: the input layer must have 5 units"));
  spec.widths = {5, 32, 4};
  CHECK_THROWS_WITH(spec.validate(), Contains("widths[2] = 4: the output layer must have 3 units"));
  spec.widths = {5, 32, 3};
  spec.data.centres[1] = {0, 4};
  CHECK_THROWS_WITH(spec.validate(), Contains("data.centres[1] has 2 coordinates, data.centres[0] has 5"));
}

TEST_CASE("schedule errors name the arm, the block and the key", "[schedule][errors]") {
  StudySpec spec = tiny_spec(6);
  spec.arms = {arm_with({remove(0.1, {}), remove(0.1, at({2, 9}))})};
  CHECK_THROWS_WITH(spec.validate(),
                    Contains("arms[0].maintenance[1].cycles.at[1] = 9 is outside the allowed range: an integer in [1, 6]"));
  spec.arms[0].maintenance[1].cycles = range(7, 9);
  CHECK_THROWS_WITH(spec.validate(),
                    Contains("arms[0].maintenance[1].cycles.from = 7 is outside the allowed range: an integer in [1, 6]"));
  spec.arms[0].maintenance[1].cycles = range(2, 4, 0);
  CHECK_THROWS_WITH(spec.validate(), Contains("arms[0].maintenance[1].cycles.every = 0 is outside the allowed range"));
  spec.arms[0].maintenance[1] = {{Train{0, 1e-3f}}, range(2, 4)};
  CHECK_THROWS_WITH(spec.validate(), Contains("arms[0].maintenance[1].steps[0].epochs = 0"));
  spec.arms[0].maintenance.pop_back();
  spec.arms[0].stress = {{range(5, 2), PruneRemaining{0.1, 1.0}}};
  CHECK_THROWS_WITH(spec.validate(), Contains("arms[0].stress[0].cycles.to = 2 is outside the allowed range: an integer in [5, 6]"));
  spec.arms[0].stress = {{range(1, 2), PruneRemaining{1.5, 1.0}}};
  CHECK_THROWS_WITH(spec.validate(), Contains("arms[0].stress[0].prune.fraction = 1.5 is outside"));
}

TEST_CASE("a range of cycles beyond the study's last cycle is refused as a listed cycle is", "[schedule][errors]") {
  StudySpec spec = tiny_spec(6);
  spec.arms = {arm_with({remove(0.1, range(4, 9))})};
  CHECK(spec_key([&] { spec.validate(); }) == "arms[0].maintenance[0].cycles.to");
  CHECK_THROWS_WITH(spec.validate(),
                    Contains("arms[0].maintenance[0].cycles.to = 9 is outside the allowed range: an integer in [4, 6]"));
  spec.arms = {arm_with({}, {{range(2, 7), PruneRemaining{0.0, 1.0}}})};
  CHECK_THROWS_WITH(spec.validate(),
                    Contains("arms[0].stress[0].cycles.to = 7 is outside the allowed range: an integer in [2, 6]"));
  spec.arms = {arm_with({remove(0.1, range(4, 6)), remove(0.1, range(6, 6))})};  // up to the last cycle: fine
  CHECK_NOTHROW(spec.validate());
  spec.arms = {arm_with({remove(0.1, CycleSelector{})})};  // the default: every cycle there is
  CHECK_NOTHROW(spec.validate());
}

TEST_CASE("without cycles a schedule is refused as never running, not by an empty range", "[schedule][errors]") {
  StudySpec spec = tiny_spec(0);
  spec.arms = {arm_with({remove(0.1, at({2}))})};
  CHECK(spec_key([&] { spec.validate(); }) == "arms[0].maintenance");
  CHECK_THROWS_WITH(spec.validate(), Contains("arms[0].maintenance never runs: the study has no longitudinal cycles "
                                              "(longitudinal.cycles = 0)"));
  spec.arms = {arm_with({}, {{CycleSelector{}, PruneRemaining{0.0, 1.0}}})};
  CHECK_THROWS_WITH(spec.validate(), Contains("arms[0].stress never runs"));
  spec.arms = {arm_with({})};
  CHECK_NOTHROW(spec.validate());
  // The selector alone says the same, never "an integer in [1, 1]".
  CHECK_THROWS_WITH(at({1}).validate(0), Equals("rewire: at selects no cycle: there are no longitudinal cycles (0)"));
  CHECK_THROWS_WITH(range(1, 3).validate(0), Equals("rewire: range selects no cycle: there are no longitudinal cycles (0)"));
}
