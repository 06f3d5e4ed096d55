// test_mechanisms.cpp - the mechanisms a study can add to the paper's
// protocol: cell-type-specific modulation (a modulate step's unit choice,
// protocol/cell_types.hpp), maladaptive sprouting (regrowth's random_share,
// prune/regrow.hpp) and adherence (a maintenance block's adherence,
// protocol/schedule.hpp). Expected draws are recomputed here from the
// documented streams (stream_keys.hpp), independently of the code under test.
#include <catch2/catch.hpp>
#include <rewire/rewire.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <set>
#include <vector>

using namespace rewire;
using namespace rewire::protocol;
using Catch::Matchers::Contains;

namespace {

constexpr std::uint64_t kSeed = 5;

StudySpec tiny_spec(int cycles) {
  StudySpec s;
  s.data = {200, 100, 50, 0.8f, 0.0f, 50, {}};
  s.widths = {2, 24, 16, 4};
  s.baseline = {Train{2, 1e-2f}, PruneTo{0.5}};
  s.measure = {0.5f, 0.3f, {0.0f, 1.0f}};
  s.longitudinal.cycles = cycles;
  s.longitudinal.prune = PruneRemaining{0.1, 1.0};
  s.longitudinal.threshold = 50.0;
  ArmSpec a;
  a.name = "a";
  s.arms = {a};
  return s;
}

/// The flat indices whose mask entry is 1.
std::set<Index> open_positions(const Matrix& mask) {
  std::set<Index> out;
  for (Index k = 0; k < mask.size(); ++k)
    if (mask.data()[k] != 0.0f) out.insert(k);
  return out;
}

/// A 6 x 5 layer with every other position pruned and distinct scores.
MaskedLinear sparse_layer(Matrix& scores) {
  MaskedLinear l(5, 6);
  Rng rng(3);
  l.init_uniform(rng);
  Matrix mask = Matrix::Ones(6, 5);
  scores = Matrix::Zero(6, 5);
  for (Index k = 0; k < mask.size(); ++k) {
    if (k % 2 == 0) mask.data()[k] = 0.0f;
    scores.data()[k] = float(k % 7) + 0.01f * float(k);  // distinct
  }
  l.set_mask(mask);
  return l;
}

}  // namespace

// ---- sprouting ------------------------------------------------------------------

TEST_CASE("sprouting: the top count - r by gradient, r at random, drawn as documented", "[mechanisms][sprouting]") {
  Matrix S;
  MaskedLinear layer = sparse_layer(S);
  const std::set<Index> before = open_positions(layer.mask());
  std::vector<Index> pruned;
  for (Index k = 0; k < S.size(); ++k)
    if (!before.count(k)) pruned.push_back(k);
  REQUIRE(pruned.size() == 15);
  // fraction 0.6: count = floor(0.6 * 15) = 9; share 0.25: r = round(2.25) = 2, 7 by gradient.
  const std::uint64_t key = stream_key(9, Purpose::regrow, 1);
  Rng values(key);
  CHECK(regrow_layer(layer, S, 0.6, 0.03f, values, RegrowTies::lowest_index, 0.25) == 9);

  // By hand: the 7 best scores, then 2 draws of a partial Fisher-Yates over
  // the other 8 in flat-index order, then the values in flat-index order.
  std::vector<Index> order = pruned;
  std::sort(order.begin(), order.end(), [&](Index a, Index b) { return S.data()[a] > S.data()[b]; });
  std::set<Index> want(order.begin(), order.begin() + 7);
  std::vector<Index> rest(order.begin() + 7, order.end());
  std::sort(rest.begin(), rest.end());
  Rng ref(key);
  for (std::size_t i = 0; i < 2; ++i) std::swap(rest[i], rest[i + ref.below(std::uint32_t(rest.size() - i))]);
  want.insert(rest[0]);
  want.insert(rest[1]);
  std::set<Index> opened;
  for (Index k : open_positions(layer.mask()))
    if (!before.count(k)) opened.insert(k);
  CHECK(opened == want);
  for (Index k : opened) CHECK(layer.weight().data()[k] == 0.03f * ref.normal());
}

TEST_CASE("sprouting: the same count for every share, share 0 as before", "[mechanisms][sprouting]") {
  Matrix S;
  const MaskedLinear original = sparse_layer(S);
  const auto run = [&](double share) {
    MaskedLinear l = original;
    Rng values(stream_key(1, Purpose::regrow));
    const Index n = regrow_layer(l, S, 0.5, 0.03f, values, RegrowTies::random, share);
    return std::pair<Index, MaskedLinear>(n, l);
  };
  const auto [n_default, by_default] = [&] {
    MaskedLinear l = original;
    Rng values(stream_key(1, Purpose::regrow));
    const Index n = regrow_layer(l, S, 0.5, 0.03f, values, RegrowTies::random);
    return std::pair<Index, MaskedLinear>(n, l);
  }();
  const auto [n0, share0] = run(0.0);
  CHECK(n0 == n_default);
  CHECK(share0.mask() == by_default.mask());
  CHECK(share0.weight() == by_default.weight());
  for (double share : {0.25, 0.5, 1.0}) {
    CAPTURE(share);
    const auto [n, l] = run(share);
    CHECK(n == n_default);
    CHECK(l.active_weights() == by_default.active_weights());
  }
  CHECK_THROWS_AS(run(1.5), std::invalid_argument);
}

TEST_CASE("sprouting at share 1 reopens every pruned position equally often", "[mechanisms][sprouting]") {
  // 15 pruned positions, 3 reopened per draw (fraction 0.2): over 3000 keys
  // each position is expected 600 times, SD sqrt(3000 * 0.2 * 0.8) ~ 22.
  Matrix S;
  const MaskedLinear original = sparse_layer(S);
  std::map<Index, int> times;
  for (std::uint64_t k = 0; k < 3000; ++k) {
    MaskedLinear l = original;
    Rng values(stream_key(k, Purpose::regrow));
    regrow_layer(l, S, 0.2, 0.03f, values, RegrowTies::random, 1.0);
    for (Index p : open_positions(l.mask())) times[p] += 1;
  }
  for (const auto& [p, n] : times) {
    if (n == 3000) continue;  // open from the start
    INFO("position " << p);
    CHECK(std::abs(n - 600) < 110);  // 5 SD
  }
}

// ---- cell types -----------------------------------------------------------------

TEST_CASE("a unit fraction: round(f * width) units per layer, keyed by the seed, nested", "[mechanisms][cell_types]") {
  const Network net = Mlp({2, 24, 16, 4});
  const UnitSelection a = select_units(net, 7, UnitChoice{{}, 0.3});
  const UnitSelection b = select_units(net, 7, UnitChoice{{}, 0.3});
  const UnitSelection wide = select_units(net, 7, UnitChoice{{}, 0.6});
  const UnitSelection other = select_units(net, 8, UnitChoice{{}, 0.3});
  REQUIRE(a.size() == 2);
  CHECK(a == b);
  CHECK(a != other);
  CHECK(std::count(a[0].begin(), a[0].end(), 1) == 7);  // round(7.2)
  CHECK(std::count(a[1].begin(), a[1].end(), 1) == 5);  // round(4.8)
  for (std::size_t l = 0; l < 2; ++l)
    for (std::size_t j = 0; j < a[l].size(); ++j)
      if (a[l][j]) CHECK(wide[l][j]);
  // By hand: layer 0's first 7 units of a Fisher-Yates order from the documented stream.
  std::vector<Index> order(24);
  std::iota(order.begin(), order.end(), Index(0));
  Rng rng(stream_key(7, Purpose::units, unit_order_index(0)));
  for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.below(std::uint32_t(i))]);
  std::vector<unsigned char> want(24, 0);
  for (int k = 0; k < 7; ++k) want[std::size_t(order[std::size_t(k)])] = 1;
  CHECK(a[0] == want);
  CHECK(select_units(net, 7, UnitChoice{}).empty());  // every unit
  CHECK_THROWS_AS(select_units(net, 7, UnitChoice{{}, 0.0}), std::invalid_argument);
}

TEST_CASE("populations: the excitatory and inhibitory units of a Dale network", "[mechanisms][cell_types]") {
  const Network dale = Rnn(3, 8, 2, RnnOptions{0.2f, true, 0.75});  // 6 excitatory, 2 inhibitory
  const UnitSelection e = select_units(dale, 1, UnitChoice{Population::excitatory, {}});
  const UnitSelection i = select_units(dale, 1, UnitChoice{Population::inhibitory, {}});
  CHECK(e == UnitSelection{{1, 1, 1, 1, 1, 1, 0, 0}});
  CHECK(i == UnitSelection{{0, 0, 0, 0, 0, 0, 1, 1}});
  CHECK_THROWS_WITH(select_units(Network(Mlp({2, 4, 2})), 1, UnitChoice{Population::inhibitory, {}}),
                    Contains("Dale's law"));
  CHECK_THROWS_WITH(select_units(Network(Rnn(3, 8, 2)), 1, UnitChoice{Population::excitatory, {}}),
                    Contains("Dale's law"));
}

TEST_CASE("a modulate step reaches its units only, the arms of a seed share them, discontinue ends it",
          "[mechanisms][cell_types]") {
  StudySpec spec = tiny_spec(0);
  const StudyData data = make_study_data(spec.data, kSeed);
  const Subject depressed = run_baseline(spec, data, kSeed);
  Modulate step{Activation::tanh, 0.7f, std::nullopt, UnitChoice{{}, 0.5}};
  CHECK(describe(Step{step}) == "modulate(activation tanh, damping 0.7, unit_fraction 0.5)");
  Subject a = depressed.branch(arm_lineage(0)), b = depressed.branch(arm_lineage(3));
  apply(a, step, data.train, 50);
  apply(b, step, data.train, 50);
  const Modulation& m = a.net.modulation();
  REQUIRE(m.per_unit());
  CHECK(m == b.net.modulation());  // a cell type belongs to the seed's network, not to the arm
  const UnitSelection chosen = select_units(a.net, kSeed, step.units);
  for (std::size_t l = 0; l < m.units.size(); ++l)
    for (std::size_t j = 0; j < m.units[l].tanh.size(); ++j) {
      CHECK(m.units[l].tanh[j] == chosen[l][j]);
      CHECK(m.units[l].damping[j] == (chosen[l][j] ? 0.7f : 1.0f));
    }
  // The subset changes the function (some units still ReLU), the measurement runs.
  NoiseSource noise(1);
  CHECK(accuracy(a.net, data.standard, {}, noise) >= 0.0);
  apply(a, Discontinue{}, data.train, 50);
  CHECK(a.net.modulation() == depressed.net.modulation());
}

TEST_CASE("unit choices are checked by key", "[mechanisms][cell_types][errors]") {
  StudySpec spec = tiny_spec(1);
  Modulate both{Activation::tanh, {}, {}, UnitChoice{Population::inhibitory, 0.5}};
  spec.arms[0].treatment = {both};
  try {
    spec.validate();
    FAIL("both a population and a fraction were accepted");
  } catch (const SpecError& e) {
    CHECK(e.key() == "arms[0].treatment[0].units.population");
  }
  spec.arms[0].treatment = {Modulate{Activation::tanh, {}, {}, UnitChoice{Population::inhibitory, {}}}};
  try {
    spec.validate();
    FAIL("a population of a network without one was accepted");
  } catch (const SpecError& e) {
    CHECK(e.key() == "arms[0].treatment[0].units.population");
    CHECK_THAT(e.what(), Contains("Dale's law"));
  }
  spec.arms[0].treatment = {Modulate{{}, {}, -0.5f, {}}};
  CHECK_THROWS_AS(spec.validate(), SpecError);
}

// ---- adherence ------------------------------------------------------------------

TEST_CASE("doses are taken as the documented stream draws them", "[mechanisms][adherence]") {
  MaintenanceBlock every{{Train{1, 1e-3f}}, {}, 0.6};
  MaintenanceBlock odd{{Train{1, 1e-3f}}, {1, 9, 2, {}}, 0.3};
  MaintenanceBlock always{{Train{1, 1e-3f}}, {}, 1.0};
  const std::vector<MaintenanceBlock> blocks{every, odd, always};
  for (int c = 1; c <= 9; ++c) {
    Rng ref(stream_key(4, Purpose::adherence, adherence_stream_index(2, c)));
    const double u0 = ref.uniform(), u1 = ref.uniform();
    const std::vector<bool> want{u0 < 0.6, c % 2 == 1 && u1 < 0.3, true};
    CHECK(doses_taken(blocks, 4, 2, c) == want);
  }
  // A block's doses do not depend on another block's adherence.
  std::vector<MaintenanceBlock> changed = blocks;
  changed[0].adherence = 0.1;
  for (int c = 1; c <= 9; ++c) CHECK(doses_taken(changed, 4, 2, c)[1] == doses_taken(blocks, 4, 2, c)[1]);
  CHECK(doses_per_cycle(blocks, 4, 2, 3).front() == 0);
  CHECK(doses_per_cycle(blocks, 4, 2, 3).size() == 4);
}

TEST_CASE("adherence p takes a share p of the doses, 0 none, 1 all", "[mechanisms][adherence]") {
  for (double p : {0.0, 0.4, 0.7, 1.0}) {
    CAPTURE(p);
    const std::vector<MaintenanceBlock> blocks{{{Train{1, 1e-3f}}, {}, p}};
    int taken = 0;
    for (std::uint64_t seed = 0; seed < 20; ++seed) {
      const std::vector<int> d = doses_per_cycle(blocks, seed, 0, 200);
      taken += std::accumulate(d.begin(), d.end(), 0);
    }
    // 4000 doses: SD <= sqrt(4000 / 4) ~ 32, i.e. 0.8 points of share.
    CHECK(std::abs(double(taken) / 4000.0 - p) < 0.04);
    if (p == 0.0) CHECK(taken == 0);
    if (p == 1.0) CHECK(taken == 4000);
  }
}

TEST_CASE("an arm whose doses are all missed equals the arm without them, and records them", "[mechanisms][adherence]") {
  StudySpec spec = tiny_spec(3);
  spec.measure = {0.0f, 0.0f, {0.0f}};  // no noise: an accuracy is a function of the weights
  spec.arms[0].maintenance = {MaintenanceBlock{{Train{3, 2e-2f}}, {}, 0.0}};
  ArmSpec without = spec.arms[0];
  without.name = "b";
  without.maintenance.clear();
  ArmSpec full = spec.arms[0];
  full.name = "c";
  full.maintenance[0].adherence = 1.0;
  ArmSpec half = spec.arms[0];
  half.name = "d";
  half.maintenance[0].adherence = 0.5;
  spec.arms = {spec.arms[0], without, full, half};
  const StudyData data = make_study_data(spec.data, kSeed);
  const Subject depressed = run_baseline(spec, data, kSeed);
  // Maintenance is the only training of these arms, and no measurement
  // draws noise: with every dose missed, arm 0 computes what arm 1 (no
  // maintenance at all) does, cycle by cycle; arm 2 (every dose) differs.
  const ArmResult missed = run_arm(spec, 0, depressed, data);
  const ArmResult none = run_arm(spec, 1, depressed, data);
  CHECK(missed.doses_taken == std::vector<int>{0, 0, 0, 0});
  CHECK(none.doses_taken.empty());
  CHECK(missed.cycle_sparsity == none.cycle_sparsity);
  CHECK(missed.cycle_accuracy == none.cycle_accuracy);
  const ArmResult all = run_arm(spec, 2, depressed, data);
  CHECK(all.doses_taken.empty());  // adherence 1: nothing to record
  CHECK(all.cycle_accuracy != none.cycle_accuracy);
  const ArmResult some = run_arm(spec, 3, depressed, data);
  CHECK(some.doses_taken == doses_per_cycle(spec.arms[3].maintenance, kSeed, 3, 3));
  spec.arms[3].maintenance[0].adherence = 1.5;
  try {
    spec.validate();
    FAIL("adherence 1.5 was accepted");
  } catch (const SpecError& e) {
    CHECK(e.key() == "arms[3].maintenance[0].adherence");
  }
}
