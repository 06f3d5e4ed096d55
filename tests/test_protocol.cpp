// test_protocol.cpp - the study's own logic (protocol/study.hpp): run_arm and
// run_baseline on a tiny study (a {2, 48, 48, 4} network, a few hundred
// samples, one to five cycles; well under a second in all).
//
// Expected values are computed here independently of run_arm: treatments
// made of pruning steps only (no random stream involved) are re-applied by
// hand to a copy of the baseline network, and measurements without any
// noise (combined condition sigma 0) are recomputed with accuracy(); the
// relapse target min(s + (1 - s) 0.4, 0.99) and the first cycle below the
// threshold are worked out in the test itself. Where training or noisy
// measurements are involved, runs are compared with runs of a variant spec
// that must (or must not) give the same numbers.
#include <catch2/catch.hpp>
#include <rewire/rewire.hpp>

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <utility>
#include <vector>

using namespace rewire;
using namespace rewire::protocol;

namespace {

constexpr std::uint64_t kSeed = 3;

/// Baseline: train, then prune to 50%; arms are set by each test. The
/// measurement, relapse and cycle rules are the study's (paper.toml): the
/// library has no defaults for them.
StudySpec tiny_spec() {
  StudySpec s;
  s.data.train_size = 400;
  s.data.standard_size = 300;
  s.data.clean_size = 100;
  s.data.batch_size = 50;
  s.data.sigma = 0.8f;
  s.data.clean_sigma = 0.0f;
  s.widths = {2, 48, 48, 4};
  s.baseline = {Train{4, 1e-2f}, PruneTo{0.5}};
  s.measure.combined_input_sigma = 1.0f;
  s.measure.combined_internal_sigma = 0.5f;
  s.measure.stress_levels = {0.0f, 0.5f, 1.0f, 1.5f, 2.5f};
  s.relapse.prune = PruneRemaining{0.40, 0.99, PruneScope::per_layer};
  s.longitudinal.cycles = 2;
  s.longitudinal.prune = PruneRemaining{0.10, 1.0, PruneScope::per_layer};
  s.longitudinal.threshold = 80.0;
  return s;
}

/// Combined condition without noise (and only sigma 0 in the stress sweep):
/// every measurement is then accuracy() on the standard set, reproducible
/// here without knowing which noise stream run_arm gives it.
void noiseless_measurements(StudySpec& s) {
  s.measure.combined_input_sigma = 0.0f;
  s.measure.combined_internal_sigma = 0.0f;
  s.measure.stress_levels = {0.0f};
}

/// An arm with follow-up (relapse, probes, cycles).
ArmSpec make_arm(const std::string& name, std::vector<Step> treatment, std::vector<Step> maintenance = {},
                 std::vector<Probe> probes = {}) {
  ArmSpec a;
  a.name = name;
  a.treatment = std::move(treatment);
  a.follow_up = true;
  if (!maintenance.empty()) a.maintenance = {MaintenanceBlock{std::move(maintenance), {}}};  // every cycle
  a.probes = std::move(probes);
  return a;
}

double metric_of(const ArmResult& r, const std::string& name) {
  const auto it = r.metrics.find(name);
  INFO("metric " << name);
  REQUIRE(it != r.metrics.end());
  return it->second;
}

/// Accuracy (%) on `data` without any noise, under the study's float mode.
double clean_accuracy(Mlp net, const Dataset& data, const StudySpec& spec) {
  const ScopedFlushDenormals float_mode(spec.flush_denormals);
  NoiseSource unused(0);
  return accuracy(net, data, EvalCondition{}, unused);
}

/// The metrics without those whose name starts with `prefix`.
Metrics without(Metrics m, const std::string& prefix) {
  for (auto it = m.begin(); it != m.end();)
    it = it->first.rfind(prefix, 0) == 0 ? m.erase(it) : std::next(it);
  return m;
}

}  // namespace

TEST_CASE("the acute relapse: drop = before - after, sparsity min(s + (1 - s) 0.4, 0.99)", "[protocol][relapse]") {
  StudySpec spec = tiny_spec();
  noiseless_measurements(spec);
  spec.longitudinal.cycles = 1;
  // s = 0.75: target 0.85, where the tiny network loses accuracy (so the
  // sign of the drop shows). s ~ 0.985: 0.991 is capped at 0.99 (which
  // keeps more weights of the 2,304 of the middle layer).
  const double targets[2] = {0.75, 0.985};
  spec.arms = {make_arm("steep", {PruneTo{targets[0]}}), make_arm("capped", {PruneTo{targets[1]}})};
  const StudyData data = make_study_data(spec.data, kSeed);
  const Subject depressed = run_baseline(spec, data, kSeed);

  for (std::size_t a = 0; a < spec.arms.size(); ++a) {
    CAPTURE(spec.arms[a].name);
    const ArmResult r = run_arm(spec, a, depressed, data);
    CHECK_FALSE(r.diverged);
    // By hand: the treatment, then the relapse pruning on a copy.
    Mlp treated = *depressed.net.mlp();
    prune_to(treated, targets[a]);
    const double s = treated.sparsity();
    const double relapse_target = std::min(s + (1.0 - s) * 0.4, 0.99);
    Mlp relapsed = treated;
    prune_to(relapsed, relapse_target);
    const double before = clean_accuracy(treated, std::get<Dataset>(data.standard), spec);
    const double after = clean_accuracy(relapsed, std::get<Dataset>(data.standard), spec);
    CAPTURE(s, relapse_target, before, after);

    CHECK(metric_of(r, "sparsity") == 100.0 * s);
    CHECK(metric_of(r, "relapse_before") == before);
    CHECK(metric_of(r, "relapse_after") == after);
    CHECK(metric_of(r, "relapse_drop") == before - after);
    CHECK(metric_of(r, "relapse_sparsity") == 100.0 * relapsed.sparsity());
    // Per-layer rounding leaves the sparsity within one weight per layer of
    // the target.
    CHECK(std::abs(metric_of(r, "relapse_sparsity") / 100.0 - relapse_target) <=
          double(treated.num_layers()) / double(treated.num_weights()));
    if (a == 0) REQUIRE(before - after > 5.0);  // a sign error in the drop would show
    if (a == 1) {
      REQUIRE(s + (1.0 - s) * 0.4 > 0.99);  // the cap decides here ...
      Mlp uncapped = treated;
      prune_to(uncapped, s + (1.0 - s) * 0.4);
      CHECK(uncapped.sparsity() != relapsed.sparsity());  // ... and changes the result
    }
    // Cycle 0 is the post-treatment state, not the relapsed one.
    CHECK(r.cycle_sparsity.at(0) == 100.0 * s);
    CHECK(r.cycle_accuracy.at(0) == before);
  }
}

TEST_CASE("the relapse branch leaves the main line untouched", "[protocol][relapse]") {
  // Same arm, two relapse rules: everything but the relapse metrics must be
  // identical (noisy measurements and training included), bit for bit.
  StudySpec spec = tiny_spec();
  spec.arms = {make_arm("a", {Train{1, 1e-2f}}, {Train{1, 1e-2f}})};
  StudySpec harsher = spec;
  harsher.relapse.prune = PruneRemaining{0.9, 0.99, PruneScope::per_layer};
  const StudyData data = make_study_data(spec.data, kSeed);
  const Subject depressed = run_baseline(spec, data, kSeed);
  const ArmResult r = run_arm(spec, 0, depressed, data);
  const ArmResult h = run_arm(harsher, 0, depressed, data);
  CHECK(metric_of(h, "relapse_sparsity") > metric_of(r, "relapse_sparsity") + 10.0);
  CHECK(without(r.metrics, "relapse_") == without(h.metrics, "relapse_"));
  CHECK(r.cycle_sparsity == h.cycle_sparsity);
  CHECK(r.cycle_accuracy == h.cycle_accuracy);
  CHECK(r.cycle_sparsity.at(0) == metric_of(r, "sparsity"));
}

TEST_CASE("each probe measures under its modulation, which is restored afterwards", "[protocol][probes]") {
  // Probes run in order; a probe that leaked its modulation would change the
  // next probe and every later cycle (maintenance trains under it, cycles
  // are measured under it).
  StudySpec spec = tiny_spec();
  noiseless_measurements(spec);
  const ArmSpec arm = make_arm("a", {PruneTo{0.6}}, {Train{1, 1e-2f}});
  const Probe mute{"mute", Modulate{std::nullopt, 0.0f}};  // damping 0: hidden outputs all 0
  const Probe tanh{"tanh", Modulate{Activation::tanh, std::nullopt}};
  const Probe noop{"noop", Modulate{Activation::relu, std::nullopt}};  // the arm's own activation: changes nothing
  StudySpec with_mute = spec, with_noop = spec, no_probes = spec;
  with_mute.arms = {arm};
  with_mute.arms[0].probes = {mute, tanh};
  with_noop.arms = {arm};
  with_noop.arms[0].probes = {noop, tanh};
  no_probes.arms = {arm};
  const StudyData data = make_study_data(spec.data, kSeed);
  const Subject depressed = run_baseline(spec, data, kSeed);
  const ArmResult p = run_arm(with_mute, 0, depressed, data);
  const ArmResult q = run_arm(with_noop, 0, depressed, data);
  const ArmResult r = run_arm(no_probes, 0, depressed, data);

  // By hand. Damping 0: the logits are the output bias for every sample (the
  // treatment prunes weights only), so the accuracy is the share of the
  // class the bias favours.
  Mlp treated = *depressed.net.mlp();
  prune_to(treated, 0.6);
  const Vector& b = treated.layer(treated.num_layers() - 1).bias();
  Index favoured = 0;
  for (Index c = 1; c < b.size(); ++c)
    if (b[c] > b[favoured]) favoured = c;
  const Dataset& standard = std::get<Dataset>(data.standard);
  const double share = 100.0 * double((standard.labels.array() == std::int32_t(favoured)).count()) /
                       double(standard.size());
  Mlp as_tanh = treated;
  as_tanh.modulation().activation = Activation::tanh;
  const double relu_acc = clean_accuracy(treated, std::get<Dataset>(data.standard), spec);
  const double tanh_acc = clean_accuracy(as_tanh, std::get<Dataset>(data.standard), spec);
  CAPTURE(share, relu_acc, tanh_acc);
  REQUIRE(std::abs(tanh_acc - share) > 1.0);  // a leaked damping 0 would show

  CHECK(metric_of(p, "mute_combined") == share);
  CHECK(metric_of(p, "mute_extreme") == share);
  CHECK(metric_of(p, "tanh_combined") == tanh_acc);
  CHECK(metric_of(q, "tanh_combined") == tanh_acc);
  CHECK(metric_of(q, "noop_combined") == relu_acc);
  CHECK(metric_of(p, "combined") == relu_acc);
  // Later cycles and the rest of the panel as without any probe.
  for (const ArmResult* x : {&p, &q}) {
    CHECK(without(without(without(x->metrics, "mute_"), "tanh_"), "noop_") == r.metrics);
    CHECK(x->cycle_sparsity == r.cycle_sparsity);
    CHECK(x->cycle_accuracy == r.cycle_accuracy);
  }
}

TEST_CASE("relapse_cycle is the first cycle whose accuracy falls below the threshold", "[protocol][threshold]") {
  // Heavy pruning each cycle (half the survivors) and no maintenance:
  // accuracy stays high at cycle 0 and falls later. The threshold is chosen
  // from the run's own series as a value between cycle 0 and the lowest
  // later cycle; the expected cycle is then found here.
  StudySpec spec = tiny_spec();
  spec.longitudinal.cycles = 5;
  spec.longitudinal.prune = PruneRemaining{0.5, 1.0, PruneScope::per_layer};
  spec.arms = {make_arm("a", {})};
  spec.longitudinal.threshold = 0.0;  // nothing is below 0%
  const StudyData data = make_study_data(spec.data, kSeed);
  const Subject depressed = run_baseline(spec, data, kSeed);
  const ArmResult base = run_arm(spec, 0, depressed, data);
  CHECK_FALSE(base.relapse_cycle.has_value());
  const std::vector<double>& acc = base.cycle_accuracy;
  REQUIRE(acc.size() == 6);
  const double lowest_later = *std::min_element(acc.begin() + 1, acc.end());
  CAPTURE(acc[0], acc[1], acc[2], acc[3], acc[4], acc[5]);
  REQUIRE(acc[0] - lowest_later > 5.0);

  for (const double fraction : {0.1, 0.25, 0.5, 0.95}) {
    const double threshold = lowest_later + fraction * (acc[0] - lowest_later);
    int expected = -1;
    for (std::size_t c = 0; c < acc.size() && expected < 0; ++c)
      if (acc[c] < threshold) expected = int(c);
    CAPTURE(fraction, threshold, expected);
    REQUIRE(expected >= 1);  // above the threshold at cycle 0 by construction
    StudySpec t = spec;
    t.longitudinal.threshold = threshold;
    const ArmResult r = run_arm(t, 0, depressed, data);
    CHECK(r.cycle_accuracy == acc);  // the threshold only reads the series
    REQUIRE(r.relapse_cycle.has_value());
    CHECK(*r.relapse_cycle == expected);
  }
  // A threshold above cycle 0's accuracy: relapse from cycle 0.
  StudySpec t = spec;
  t.longitudinal.threshold = std::min(100.0, acc[0] + 1.0);
  if (acc[0] < t.longitudinal.threshold) {
    const ArmResult r = run_arm(t, 0, depressed, data);
    REQUIRE(r.relapse_cycle.has_value());
    CHECK(*r.relapse_cycle == 0);
  }
}

TEST_CASE("arms draw their own random streams: same arm same numbers, twin arms different ones", "[protocol][streams]") {
  StudySpec spec = tiny_spec();
  spec.longitudinal.cycles = 1;
  const ArmSpec twin = make_arm("a", {Train{1, 1e-2f}}, {Train{1, 1e-2f}});
  spec.arms = {twin, twin};
  spec.arms[1].name = "b";
  const StudyData data = make_study_data(spec.data, kSeed);
  const Subject depressed = run_baseline(spec, data, kSeed);
  const ArmResult b = run_arm(spec, 1, depressed, data);  // order does not matter
  const ArmResult a = run_arm(spec, 0, depressed, data);
  const ArmResult a2 = run_arm(spec, 0, depressed, data);
  CHECK(a.metrics == a2.metrics);
  CHECK(a.cycle_accuracy == a2.cycle_accuracy);
  CHECK(a.cycle_sparsity == a2.cycle_sparsity);
  // Identical steps, different streams (mini-batch order, evaluation noise).
  CHECK(a.metrics != b.metrics);
  CHECK(a.cycle_accuracy != b.cycle_accuracy);
  // The baseline is a function of the seed.
  const Subject again = run_baseline(spec, data, kSeed);
  for (std::size_t l = 0; l < depressed.net.mlp()->num_layers(); ++l) {
    CHECK(again.net.mlp()->layer(l).weight() == depressed.net.mlp()->layer(l).weight());
    CHECK(again.net.mlp()->layer(l).mask() == depressed.net.mlp()->layer(l).mask());
  }
  CHECK(again.net.sparsity() == Approx(0.5).margin(0.01));
}
