// rewire/protocol/study.hpp - a multi-arm pruning study as data, and the two
// runners that execute it for one seed: the shared baseline (train, prune:
// the "depressed" state) and one treatment arm from a copy of that state
// (treatment, post-treatment panel, acute relapse, probes, longitudinal
// cycles of pruning and maintenance).
//
// Arms of one seed are independent once the baseline exists: run them in any
// order or in parallel; every arm has its own random streams (Subject).
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/core/float_env.hpp>
#include <rewire/data/clusters.hpp>
#include <rewire/protocol/measure.hpp>
#include <rewire/protocol/steps.hpp>
#include <rewire/protocol/subject.hpp>

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

namespace rewire::protocol {

/// Sizes and noise of the seed's data sets.
struct DataSpec {
  Index train_size = 12000;
  Index standard_size = 4000;
  Index clean_size = 2000;
  float sigma = 0.8f;        ///< cluster sigma of the training and standard sets
  float clean_sigma = 0.0f;  ///< cluster sigma of the clean set
  Index batch_size = 128;
};

/// A temporary change of modulation under which a subject is measured
/// (combined and extreme stress), then restored. Metrics: "<name>_combined",
/// "<name>_extreme".
struct Probe {
  std::string name;
  Modulate modulation;
};

/// One treatment arm.
struct ArmSpec {
  std::string name;
  std::vector<Step> treatment;    ///< applied to a copy of the depressed state
  bool follow_up = true;          ///< acute relapse, probes and longitudinal cycles
  std::vector<Step> maintenance;  ///< after each longitudinal pruning
  std::vector<Probe> probes;
};

/// The acute relapse test: prune a share of the surviving weights once.
struct RelapseSpec {
  PruneRemaining prune{0.40, 0.99, PruneScope::per_layer};
};

/// Chronic stress: `cycles` rounds of (prune, maintenance, measure).
struct LongitudinalSpec {
  int cycles = 8;
  PruneRemaining prune{0.10, 1.0, PruneScope::per_layer};
  double threshold = 80.0;  ///< combined accuracy (%) below which a cycle counts as relapse
};

/// The whole study.
struct StudySpec {
  DataSpec data;
  std::vector<Index> widths{2, 512, 512, 256, 4};
  std::vector<Step> baseline;  ///< from a fresh network to the shared pre-treatment state
  MeasureSpec measure;
  RelapseSpec relapse;
  LongitudinalSpec longitudinal;
  std::vector<ArmSpec> arms;
  /// Flush subnormal floats to zero while run_baseline/run_arm compute
  /// (core/float_env.hpp): about 1.7x faster dense training, values change
  /// only below 1.2e-38. Part of the protocol's identity, since results differ.
  bool flush_denormals = true;

  /// Throws std::invalid_argument naming the first bad value.
  void validate() const {
    detail::require(data.train_size > 0 && data.standard_size > 0 && data.clean_size > 0,
                    "data set sizes must be > 0");
    detail::require_non_negative(data.sigma, "data sigma");
    detail::require_non_negative(data.clean_sigma, "data clean_sigma");
    detail::require(data.batch_size > 0, "batch_size must be > 0");
    detail::require(widths.size() >= 2, "network widths need at least input and output");
    for (Index w : widths) detail::require(w > 0, "network widths must be > 0");
    detail::require(widths.back() >= 2, "the output layer needs at least 2 classes");
    for (const auto& s : baseline) validate_step(s);
    measure.validate();
    validate_step(relapse.prune);
    detail::require(longitudinal.cycles >= 0, "longitudinal cycles must be >= 0");
    validate_step(longitudinal.prune);
    detail::require_in_range(longitudinal.threshold, 0.0, 100.0, "relapse threshold");
    detail::require(!arms.empty(), "a study needs at least one arm");
    for (std::size_t a = 0; a < arms.size(); ++a) {
      detail::require(!arms[a].name.empty(), "every arm needs a name");
      for (std::size_t b = 0; b < a; ++b)
        detail::require(arms[a].name != arms[b].name, "arm name '" + arms[a].name + "' is used twice");
      for (const auto& s : arms[a].treatment) validate_step(s);
      for (const auto& s : arms[a].maintenance) validate_step(s);
    }
  }

  /// Training epochs of arm `a` for one seed: treatment plus all cycles of
  /// maintenance (for progress reports and scheduling).
  long arm_epochs(std::size_t a) const {
    const ArmSpec& arm = arms.at(a);
    long n = 0;
    for (const auto& s : arm.treatment) n += epochs_of(s);
    if (arm.follow_up)
      for (const auto& s : arm.maintenance) n += long(longitudinal.cycles) * epochs_of(s);
    return n;
  }

  /// Training epochs one seed runs in total (for progress reports).
  long epochs_per_seed() const {
    long n = 0;
    for (const auto& s : baseline) n += epochs_of(s);
    for (std::size_t a = 0; a < arms.size(); ++a) n += arm_epochs(a);
    return n;
  }

 private:
  static void validate_step(const Step& s) { protocol::validate(s); }
};

/// Multiplies every epoch count by `factor`, rounded, at least 1 (quick
/// exploratory runs).
inline void scale_epochs(StudySpec& spec, double factor) {
  detail::require_positive(factor, "epoch scale");
  auto scale = [factor](std::vector<Step>& steps) {
    for (auto& s : steps) {
      int* epochs = nullptr;
      if (auto* t = std::get_if<Train>(&s)) epochs = &t->epochs;
      if (auto* t = std::get_if<TrainWithStress>(&s)) epochs = &t->epochs;
      if (epochs) *epochs = std::max(1, int(std::lround(*epochs * factor)));
    }
  };
  scale(spec.baseline);
  for (auto& arm : spec.arms) {
    scale(arm.treatment);
    scale(arm.maintenance);
  }
}

/// The seed's data sets. Stream keys follow the study's program: data
/// streams seeded s*1000 + 100 (train), + 200 (standard), + 300 (clean).
inline StudyData make_study_data(const DataSpec& spec, std::uint64_t seed) {
  Rng train_rng(stream_key(seed * 1000 + 100, Purpose::data));
  Rng standard_rng(stream_key(seed * 1000 + 200, Purpose::data));
  Rng clean_rng(stream_key(seed * 1000 + 300, Purpose::data));
  return {make_gaussian_clusters(spec.train_size, spec.sigma, train_rng),
          make_gaussian_clusters(spec.standard_size, spec.sigma, standard_rng),
          make_gaussian_clusters(spec.clean_size, spec.clean_sigma, clean_rng)};
}

/// Builds and initialises the network, then applies the baseline steps.
/// The result (lineage 0) is the shared pre-treatment state of every arm.
inline Subject run_baseline(const StudySpec& spec, const StudyData& data, std::uint64_t seed,
                            const EpochCallback& on_epoch = {}) {
  const ScopedFlushDenormals float_mode(spec.flush_denormals);
  Mlp net(spec.widths);
  Rng init(stream_key(seed, Purpose::init));
  net.init(init);
  Subject subject(std::move(net), seed, 0);
  for (const auto& step : spec.baseline) apply(subject, step, data.train, spec.data.batch_size, on_epoch);
  subject.net.release_buffers();  // every arm copies this state; the copies need no buffers
  return subject;
}

/// Everything measured for one arm of one seed.
struct ArmResult {
  std::string arm;
  Metrics metrics;                     ///< post-treatment panel, relapse and probe metrics (%)
  std::vector<double> cycle_sparsity;  ///< cycles 0..C (%), cycle 0 = post-treatment
  std::vector<double> cycle_accuracy;  ///< combined accuracy per cycle (%)
  std::optional<int> relapse_cycle;    ///< first cycle below the threshold, if any
  bool diverged = false;               ///< some training step met a non-finite loss
};

// Evaluation phases: each measurement draws from its own stream.
inline constexpr std::uint64_t kPhasePanel = 0, kPhaseRelapseBefore = 1, kPhaseRelapseAfter = 2,
                               kPhaseProbe = 10, kPhaseCycle = 100;

/// Runs arm `arm_index` of `spec` from a copy of the pre-treatment state.
inline ArmResult run_arm(const StudySpec& spec, std::size_t arm_index, const Subject& depressed,
                         const StudyData& data, const EpochCallback& on_epoch = {}) {
  const ScopedFlushDenormals float_mode(spec.flush_denormals);
  const ArmSpec& arm = spec.arms.at(arm_index);
  const MeasureSpec& m = spec.measure;
  const Index batch = spec.data.batch_size;
  ArmResult result;
  result.arm = arm.name;
  Subject subject = depressed.branch(1 + 2 * arm_index);  // odd lineages: arms
  auto run_steps = [&](Subject& s, const std::vector<Step>& steps) {
    for (const auto& step : steps)
      if (apply(s, step, data.train, batch, on_epoch) == TrainStatus::diverged) result.diverged = true;
  };
  run_steps(subject, arm.treatment);
  result.metrics = measure_panel(subject, data, m, kPhasePanel);
  if (!arm.follow_up) return result;

  // Acute relapse, on a branch (even lineage) so the main line is untouched.
  Subject relapse = subject.branch(2 + 2 * arm_index);
  const double before = combined_accuracy(relapse, data, m, kPhaseRelapseBefore);
  apply(relapse, spec.relapse.prune, data.train, batch);
  const double after = combined_accuracy(relapse, data, m, kPhaseRelapseAfter);
  result.metrics["relapse_before"] = before;
  result.metrics["relapse_after"] = after;
  result.metrics["relapse_drop"] = before - after;
  result.metrics["relapse_sparsity"] = 100.0 * relapse.net.sparsity();

  // Probes: a temporary change of modulation, restored afterwards.
  const float extreme = *std::max_element(m.stress_levels.begin(), m.stress_levels.end());
  for (std::size_t p = 0; p < arm.probes.size(); ++p) {
    const Modulation saved = subject.net.modulation();
    apply(subject, arm.probes[p].modulation, data.train, batch);
    NoiseSource noise = subject.eval_noise(kPhaseProbe + p);
    const std::string& name = arm.probes[p].name;
    result.metrics[name + "_combined"] =
        accuracy(subject.net, data.standard, {m.combined_input_sigma, m.combined_internal_sigma}, noise);
    result.metrics[name + "_extreme"] = accuracy(subject.net, data.standard, {0.0f, extreme}, noise);
    subject.net.modulation() = saved;
  }

  // Longitudinal: cycle 0 is the post-treatment state, measured afresh.
  const LongitudinalSpec& L = spec.longitudinal;
  for (int c = 0; c <= L.cycles; ++c) {
    if (c > 0) {
      apply(subject, L.prune, data.train, batch);
      run_steps(subject, arm.maintenance);
    }
    const double acc = combined_accuracy(subject, data, m, kPhaseCycle + std::uint64_t(c));
    result.cycle_sparsity.push_back(100.0 * subject.net.sparsity());
    result.cycle_accuracy.push_back(acc);
    if (!result.relapse_cycle && acc < L.threshold) result.relapse_cycle = c;
  }
  return result;
}

}  // namespace rewire::protocol
