// test_steps.cpp - protocol steps and the study's names and numbers: each
// step kind's operations (validate, describe, epochs, scaling, apply), epoch
// scaling that refuses to overflow, metric names of stress levels that cannot
// collide, the stream-key constants, error messages that say where, and a
// diverging baseline that is reported instead of passing as a normal run.
#include <rewire/protocol/study.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <set>
#include <string>
#include <vector>

namespace {

using namespace rewire;
using namespace rewire::protocol;
using Catch::Matchers::Contains;

// A study small enough to run in milliseconds: 2-8-4, a few dozen points.
StudySpec tiny_study() {
  StudySpec spec;
  spec.data = {64, 32, 32, 0.8f, 0.0f, 16, {}};
  spec.widths = {2, 8, 4};
  spec.baseline = {Train{2, 1e-2f}, PruneTo{0.5}};
  spec.measure = {1.0f, 0.5f, {0.0f, 1.5f}};
  spec.relapse.prune = {0.4, 0.99};
  spec.longitudinal = {1, {0.1, 1.0}, 80.0};
  ArmSpec arm;
  arm.name = "a";
  arm.treatment = {Train{1, 1e-3f}};
  arm.maintenance = {MaintenanceBlock{{Train{1, 1e-3f}}, {}}};
  arm.probes = {{"off", Modulate{Activation::relu, 1.0f}}};
  spec.arms = {arm};
  return spec;
}

}  // namespace

// ---- step kinds -------------------------------------------------------------

TEST_CASE("every step kind has its name, epochs and description", "[steps]") {
  // Expected texts written out by hand from each step's fields.
  RegrowOptions regrow;
  regrow.batches = 30;
  regrow.fraction = 0.5;
  regrow.init_sd = 0.03f;
  const std::vector<std::pair<Step, std::string>> cases{
      {Train{15, 5e-4f}, "train(15, lr 0.0005)"},
      {TrainWithStress{100, 1e-5f, 0.5f}, "train_with_stress(100, lr 0.00001, sigma0 0.5)"},
      {TrainWithNoise{20, 1e-4f, 0.25f}, "train_with_noise(20, lr 0.0001, sigma 0.25)"},
      {Regrow{regrow}, "regrow(30 batches, fraction 0.5, sd 0.03, ties random)"},
      {Modulate{Activation::tanh, 0.7f}, "modulate(activation tanh, damping 0.7)"},
      {Discontinue{}, "discontinue(activation relu, damping 1)"},
      {PruneTo{0.95}, "prune_to(0.95)"},
      {PruneRemaining{0.4, 0.99}, "prune_remaining(0.4, cap 0.99)"}};
  REQUIRE(cases.size() == std::variant_size_v<Step>);  // one case per kind
  const std::vector<int> epochs{15, 100, 20, 0, 0, 0, 0, 0};
  for (std::size_t k = 0; k < cases.size(); ++k) {
    CHECK(cases[k].first.index() == k);
    CHECK(describe(cases[k].first) == cases[k].second);
    CHECK(epochs_of(cases[k].first) == epochs[k]);
    CHECK(cases[k].second.rfind(std::string(step_name(cases[k].first)) + "(", 0) == 0);
    CHECK_NOTHROW(validate(cases[k].first));
  }
  static_assert(all_step_types<Step>::value);
  static_assert(!is_step_type<Modulation>::value, "a type without the step operations is not a step");
}

TEST_CASE("apply runs the operation of each step kind", "[steps]") {
  StudySpec spec = tiny_study();
  const StudyData data = make_study_data(spec.data, 3);
  Subject subject(Mlp(spec.widths), 3, 0);
  Rng init(11);
  subject.net.init(init);
  int epochs_seen = 0;
  const EpochCallback count = [&](int, double, float) { ++epochs_seen; };

  CHECK(apply(subject, Train{3, 1e-3f}, data.train, 16, count) == TrainStatus::ok);
  CHECK(epochs_seen == 3);
  CHECK(apply(subject, TrainWithStress{2, 1e-3f, 0.5f}, data.train, 16, count) == TrainStatus::ok);
  CHECK(epochs_seen == 5);

  CHECK(apply(subject, Modulate{Activation::tanh, 0.25f}, data.train, 16) == TrainStatus::ok);
  CHECK(subject.net.modulation().activation == Activation::tanh);
  CHECK(subject.net.modulation().damping == 0.25f);

  // 16 + 32 weights, half of each layer pruned: 24 of 48.
  apply(subject, PruneTo{0.5}, data.train, 16);
  CHECK(subject.net.sparsity() == Approx(0.5));
  // min(0.5 + 0.5 * 0.5, 0.6) = 0.6 of each layer: 9.6 -> 10 of 16, 19.2 -> 20 of 32 at most.
  apply(subject, PruneRemaining{0.5, 0.6}, data.train, 16);
  CHECK(subject.net.sparsity() == Approx(0.6).margin(1.0 / 48));
  CHECK(subject.net.sparsity() > 0.5);

  RegrowOptions all;
  all.batches = 1;
  all.fraction = 1.0;  // every pruned position comes back
  apply(subject, Regrow{all}, data.train, 16);
  CHECK(subject.net.sparsity() == 0.0);
  CHECK_FALSE(subject.diverged);
}

TEST_CASE("apply refuses an invalid step before touching the subject", "[steps][errors]") {
  StudySpec spec = tiny_study();
  const StudyData data = make_study_data(spec.data, 3);
  Subject subject(Mlp(spec.widths), 3, 0);
  CHECK_THROWS_WITH(apply(subject, Train{0, 1e-3f}, data.train, 16), Contains("epochs = 0"));
  CHECK_THROWS_WITH(apply(subject, PruneTo{1.5}, data.train, 16),
                    Contains("target = 1.5 is outside the allowed range: a number in [0, 1)"));
  CHECK(subject.net.sparsity() == 0.0);
}

// ---- epoch scaling ------------------------------------------------------------

TEST_CASE("scale_epochs rounds half away from zero, at least 1, training steps only", "[steps]") {
  StudySpec spec = tiny_study();
  spec.baseline = {Train{5, 1e-3f}, PruneTo{0.5}};
  spec.arms[0].treatment = {TrainWithStress{3, 1e-3f, 0.5f}, Modulate{Activation::tanh, {}}};
  spec.arms[0].maintenance = {MaintenanceBlock{{Train{1, 1e-3f}}, {}}};
  scale_epochs(spec, 0.5);
  // 5 * 0.5 = 2.5 -> 3; 3 * 0.5 = 1.5 -> 2; 1 * 0.5 = 0.5 -> 1 (and never below 1).
  CHECK(std::get<Train>(spec.baseline[0]).epochs == 3);
  CHECK(std::get<PruneTo>(spec.baseline[1]).target == 0.5);
  CHECK(std::get<TrainWithStress>(spec.arms[0].treatment[0]).epochs == 2);
  CHECK(std::get<Train>(spec.arms[0].maintenance[0].steps[0]).epochs == 1);
  scale_epochs(spec, 0.01);  // 3 * 0.01 = 0.03 -> 0 -> at least 1
  CHECK(std::get<Train>(spec.baseline[0]).epochs == 1);
}

TEST_CASE("scale_epochs refuses a count that does not fit an int and leaves the spec alone",
          "[steps][errors]") {
  StudySpec spec = tiny_study();
  spec.arms[0].treatment = {Train{100000, 1e-3f}};
  // 100000 * 1e6 = 1e11 > 2^31 - 1: as an int it would wrap to 1215752192.
  CHECK_THROWS_AS(scale_epochs(spec, 1e6), std::invalid_argument);
  CHECK_THROWS_WITH(scale_epochs(spec, 1e6),
                    Contains("arms[0].treatment[0]") && Contains("above the largest epoch count"));
  CHECK(std::get<Train>(spec.arms[0].treatment[0]).epochs == 100000);
  CHECK(std::get<Train>(spec.baseline[0]).epochs == 2);  // earlier steps are not half-scaled
  for (double bad : {0.0, -1.0, std::nan(""), std::numeric_limits<double>::infinity()})
    CHECK_THROWS_WITH(scale_epochs(spec, bad), Contains("epoch scale"));
  // The largest int itself is fine.
  spec.arms[0].treatment = {Train{std::numeric_limits<int>::max(), 1e-3f}};
  CHECK_NOTHROW(scale_epochs(spec, 1.0));
}

// ---- metric names ---------------------------------------------------------------

TEST_CASE("stress metric names: the paper's as before, others exact and distinct", "[steps][metrics]") {
  // The paper's levels keep their one-decimal names.
  CHECK(metric::stress(0.0f) == "stress_0.0");
  CHECK(metric::stress(0.5f) == "stress_0.5");
  CHECK(metric::stress(1.0f) == "stress_1.0");
  CHECK(metric::stress(1.5f) == "stress_1.5");
  CHECK(metric::stress(2.5f) == "stress_2.5");
  // Levels given with two decimals are named as written, not rounded to one
  // (0.25 -> "0.2", 0.75 -> "0.8", 0.35 -> "0.3" would lose the level).
  CHECK(metric::stress(0.25f) == "stress_0.25");
  CHECK(metric::stress(0.75f) == "stress_0.75");
  CHECK(metric::stress(0.35f) == "stress_0.35");
  CHECK(metric::stress(0.05f) == "stress_0.05");
  CHECK(metric::stress(-0.0f) == "stress_0.0");  // -0 and 0 are one level
  // k / 1000 for k = 0..3000: 3001 distinct floats, 3001 distinct names, each read back exactly.
  std::set<std::string> names;
  std::vector<std::string> not_read_back;
  for (int k = 0; k <= 3000; ++k) {
    const float sigma = float(k) / 1000.0f;
    const std::string name = metric::stress(sigma);
    names.insert(name);
    const auto back = metric::stress_level(name);
    if (!back || *back != sigma) not_read_back.push_back(name);
  }
  CHECK(names.size() == 3001);
  CHECK(not_read_back.empty());
}

TEST_CASE("stress_level reads only names that stress() writes", "[steps][metrics]") {
  CHECK(metric::stress_level("stress_2.5") == 2.5f);
  CHECK_FALSE(metric::stress_level("stress_9_combined"));  // a probe named "stress_9"
  CHECK_FALSE(metric::stress_level("stress_9"));           // stress() writes "stress_9.0"
  CHECK_FALSE(metric::stress_level("stress_0.50"));
  CHECK_FALSE(metric::stress_level("stress_"));
  CHECK_FALSE(metric::stress_level("combined"));
}

TEST_CASE("duplicate stress levels are refused, -0 and 0 included", "[steps][errors][metrics]") {
  MeasureSpec m{1.0f, 0.5f, {-0.0f, 0.0f}};
  CHECK_THROWS_WITH(m.validate(), Contains("stress_levels[1] = 0.0 repeats stress_levels[0] = -0.0"));
  m.stress_levels = {0.0f, 0.25f, 0.75f, 0.35f, 0.25f};
  CHECK_THROWS_WITH(m.validate(), Contains("stress_levels[4] = 0.25 repeats stress_levels[1]"));
  m.stress_levels = {0.0f, 0.25f, 0.75f, 0.35f};
  CHECK_NOTHROW(m.validate());
}

TEST_CASE("an arm records exactly the documented metric keys", "[steps][metrics]") {
  StudySpec spec = tiny_study();
  spec.measure.stress_levels = {0.0f, 0.25f, 1.5f};
  const StudyData data = make_study_data(spec.data, 1);
  const Subject depressed = run_baseline(spec, data, 1);
  const ArmResult r = run_arm(spec, 0, depressed, data);
  // Spelled out here as the result files' readers see them.
  const std::set<std::string> want{"sparsity",      "clean",         "standard",       "combined",
                                   "stress_0.0",    "stress_0.25",   "stress_1.5",     "relapse_before",
                                   "relapse_after", "relapse_drop",  "relapse_sparsity", "off_combined",
                                   "off_extreme",   "dose_l1",       "dose_l2",        "dose_turnover",
                                   "dose_sparsity_change", "pretreatment_combined"};
  std::set<std::string> got;
  for (const auto& [name, value] : r.metrics) got.insert(name);
  CHECK(got == want);
  // The library's list of an arm's metrics (what every reader checks against) is what run_arm records.
  const std::vector<std::string> listed = arm_metric_names(spec, spec.arms[0]);
  CHECK(std::set<std::string>(listed.begin(), listed.end()) == got);
  CHECK(listed.size() == got.size());
  CHECK(r.metrics.at("relapse_drop") == r.metrics.at("relapse_before") - r.metrics.at("relapse_after"));
  CHECK(r.cycle_accuracy.size() == 2);
}

// ---- stream keys ------------------------------------------------------------------

TEST_CASE("stream-key constants keep the study's numbering", "[steps][streams]") {
  // The study's program seeded its data sets s*1000+100, +200, +300.
  DataSpec d{40, 30, 20, 0.8f, 0.0f, 8, {}};
  const StudyData data = make_study_data(d, 7);
  Rng train_rng(stream_key(7100, Purpose::data));
  Rng standard_rng(stream_key(7200, Purpose::data));
  Rng clean_rng(stream_key(7300, Purpose::data));
  const Dataset train = make_gaussian_clusters(40, 0.8f, train_rng);
  const Dataset standard = make_gaussian_clusters(30, 0.8f, standard_rng);
  const Dataset clean = make_gaussian_clusters(20, 0.0f, clean_rng);
  CHECK(std::get<Dataset>(data.train).inputs == train.inputs);
  CHECK(std::get<Dataset>(data.train).labels == train.labels);
  CHECK(std::get<Dataset>(data.standard).inputs == standard.inputs);
  CHECK(std::get<Dataset>(data.clean).inputs == clean.inputs);
  // Lineages: baseline 0, arm a 1 + 2a, its relapse branch 2 + 2a.
  CHECK(kBaselineLineage == 0);
  CHECK(arm_lineage(0) == 1);
  CHECK(arm_lineage(3) == 7);
  CHECK(relapse_lineage(0) == 2);
  CHECK(relapse_lineage(3) == 8);
  // Evaluation streams: lineage * 1000003 + phase; phases 0, 1, 2, 10 + p, 100 + c.
  CHECK(eval_stream_index(3, kPhaseCycle + 8) == 3 * 1000003ull + 108);
  CHECK(kPhasePanel == 0);
  CHECK(kPhaseRelapseBefore == 1);
  CHECK(kPhaseRelapseAfter == 2);
  CHECK(kPhaseProbe == 10);
  CHECK(kPhaseCycle == 100);
  // The limits keep every (lineage, phase) pair apart.
  CHECK(kPhaseProbe + kMaxProbes - 1 < kPhaseCycle);
  CHECK(kPhaseCycle + std::uint64_t(kMaxCycles) < kLineageStride);
}

TEST_CASE("validate refuses probe and cycle counts that would share streams", "[steps][errors][streams]") {
  StudySpec spec = tiny_study();
  spec.arms[0].probes.assign(kMaxProbes + 1, Probe{"p", Modulate{Activation::relu, {}}});
  for (std::size_t p = 0; p < spec.arms[0].probes.size(); ++p) spec.arms[0].probes[p].name += std::to_string(p);
  CHECK_THROWS_WITH(spec.validate(), Contains("arms[0].probes has 91 entries: expected at most 90"));
  spec.arms[0].probes.resize(kMaxProbes);
  CHECK_NOTHROW(spec.validate());
  spec.longitudinal.cycles = limits::kCycles.hi + 1;
  CHECK_THROWS_WITH(spec.validate(), Contains("longitudinal.cycles = 1001 is outside the allowed range: an integer in [0, 1000]"));
}

// ---- where an error is --------------------------------------------------------------

// The key of a SpecError, or "" if `f` throws none.
template <class F>
std::string spec_error_key(F&& f) {
  try {
    f();
  } catch (const SpecError& e) {
    return e.key();
  }
  return "";
}

TEST_CASE("StudySpec::validate names the bad value by its key path", "[steps][errors]") {
  StudySpec spec = tiny_study();
  ArmSpec b;
  b.name = "b";
  b.maintenance = {MaintenanceBlock{{Train{1, 1e-3f}, TrainWithStress{2, 0.0f, 0.3f}}, {}}};
  spec.arms.push_back(b);
  CHECK(spec_error_key([&] { spec.validate(); }) == "arms[1].maintenance[0].steps[1].lr");
  CHECK_THROWS_WITH(spec.validate(), Contains("arms[1].maintenance[0].steps[1].lr = 0 is outside the allowed range"));
  spec.arms[1].maintenance[0].steps[1] = TrainWithStress{2, 1e-3f, 0.3f};
  spec.baseline[1] = PruneTo{2.0};
  CHECK(spec_error_key([&] { spec.validate(); }) == "baseline[1].target");
  spec.baseline[1] = PruneTo{0.5};
  spec.arms[0].probes[0].modulation.damping = std::nanf("");
  CHECK(spec_error_key([&] { spec.validate(); }) == "arms[0].probes[0].modulation.damping");
  spec.arms[0].probes[0].modulation.damping = -1.0f;  // a damping factor is >= 0 (it scales outputs)
  CHECK_THROWS_WITH(spec.validate(), Contains("arms[0].probes[0].modulation.damping = -1 is outside"));
  spec.arms[0].probes[0].modulation = Modulate{};  // neither an activation nor a damping: does nothing
  CHECK_THROWS_WITH(spec.validate(), Contains("arms[0].probes[0].modulation needs an activation"));
}

TEST_CASE("a SpecError refers to other keys, and a reader writes every key its own way", "[steps][errors]") {
  StudySpec spec = tiny_study();
  spec.arms.push_back(spec.arms[0]);  // the same name twice
  try {
    spec.validate();
    FAIL("a duplicate arm name was accepted");
  } catch (const SpecError& e) {
    CHECK(e.key() == "arms[1].name");
    CHECK(std::string(e.what()) == "rewire: arms[1].name = \"a\" is already used by arms[0]");
    CHECK(e.render([](const std::string& k) { return "<" + k + ">"; }) == "<arms[1].name> = \"a\" is already used by <arms[0]>");
  }
  const SpecError inner("stress_levels[1]", "{} repeats {stress_levels[0]}");
  const SpecError outer = inner.within("measure");
  CHECK(outer.key() == "measure.stress_levels[1]");
  CHECK(std::string(outer.what()) == "rewire: measure.stress_levels[1] repeats measure.stress_levels[0]");
  CHECK(SpecError("[2].name", "{}").within("arms").key() == "arms[2].name");
}

TEST_CASE("a probe whose metric name is taken by another metric of the arm is refused", "[steps][errors][metrics]") {
  StudySpec spec = tiny_study();
  // "pretreatment" gives "pretreatment_combined", the dose metric: one would overwrite the other.
  spec.arms[0].probes[0].name = "pretreatment";
  CHECK(spec_error_key([&] { spec.validate(); }) == "arms[0].probes[0].name");
  CHECK_THROWS_WITH(spec.validate(), Contains("gives the metric pretreatment_combined, which the arm records already"));
  spec.arms[0].probes[0].name = "relapse";  // relapse_before ... are not of the form <probe>_combined
  CHECK_NOTHROW(spec.validate());
}

TEST_CASE("follow-up settings of an arm without follow-up and empty blocks are refused", "[steps][errors]") {
  StudySpec spec = tiny_study();
  spec.arms[0].follow_up = false;
  CHECK_THROWS_WITH(spec.validate(), Contains("arms[0].maintenance has no effect when arms[0].follow_up = false"));
  spec = tiny_study();
  spec.arms[0].maintenance = {MaintenanceBlock{{}, {}}};
  CHECK(spec_error_key([&] { spec.validate(); }) == "arms[0].maintenance[0].steps");
}

TEST_CASE("the library's spec holds no study's numbers", "[steps][errors]") {
  // A default StudySpec states nothing: every size, width and level must come from the caller.
  const StudySpec none;
  CHECK(none.widths.empty());
  CHECK(none.measure.stress_levels.empty());
  CHECK(none.longitudinal.cycles == 0);
  CHECK(none.relapse.prune.fraction == 0.0);
  StudySpec spec = tiny_study();
  spec.data = DataSpec{};
  CHECK_THROWS_WITH(spec.validate(), Contains("data.train_size = 0 is outside the allowed range: an integer in [1, 10000000]"));
  spec.data = tiny_study().data;
  spec.data.batch_size = 0;
  CHECK_THROWS_WITH(spec.validate(), Contains("data.batch_size = 0 is outside the allowed range"));
}

// ---- divergence -----------------------------------------------------------------------

TEST_CASE("a diverging baseline is reported by run_baseline and by every arm", "[steps][divergence]") {
  StudySpec spec = tiny_study();
  ArmSpec untreated;
  untreated.name = "untreated";
  untreated.follow_up = false;
  spec.arms.push_back(untreated);
  StudyData data = make_study_data(spec.data, 2);

  SECTION("healthy data: nothing diverges") {
    const Subject depressed = run_baseline(spec, data, 2);
    CHECK_FALSE(depressed.diverged);
    for (std::size_t a = 0; a < spec.arms.size(); ++a) {
      const ArmResult r = run_arm(spec, a, depressed, data);
      CHECK_FALSE(r.diverged);
      CHECK_FALSE(r.baseline_diverged);
    }
  }
  SECTION("a NaN input makes the baseline's loss non-finite") {
    std::get<Dataset>(data.train).inputs(5, 0) = std::nanf("");
    const Subject depressed = run_baseline(spec, data, 2);
    CHECK(depressed.diverged);
    for (std::size_t a = 0; a < spec.arms.size(); ++a) {  // "untreated" does not train at all
      const ArmResult r = run_arm(spec, a, depressed, data);
      CHECK(r.diverged);
      CHECK(r.baseline_diverged);
    }
  }
}

TEST_CASE("a diverging treatment is reported by its arm alone", "[steps][divergence]") {
  StudySpec spec = tiny_study();
  const StudyData data = make_study_data(spec.data, 2);
  const Subject depressed = run_baseline(spec, data, 2);
  REQUIRE_FALSE(depressed.diverged);
  StudyData poisoned = data;
  std::get<Dataset>(poisoned.train).inputs(0, 1) = std::numeric_limits<float>::infinity();
  const ArmResult r = run_arm(spec, 0, depressed, poisoned);
  CHECK(r.diverged);
  CHECK_FALSE(r.baseline_diverged);
  CHECK_FALSE(depressed.diverged);  // the shared state is untouched
}
