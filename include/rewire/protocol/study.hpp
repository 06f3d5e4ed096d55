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
#include <rewire/protocol/dose.hpp>
#include <rewire/protocol/measure.hpp>
#include <rewire/protocol/metric_keys.hpp>
#include <rewire/protocol/schedule.hpp>
#include <rewire/protocol/steps.hpp>
#include <rewire/protocol/stream_keys.hpp>
#include <rewire/protocol/subject.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace rewire::protocol {

/// Sizes and noise of the seed's data sets. No defaults: a study states them
/// (validate() refuses the zero sizes left unset).
struct DataSpec {
  Index train_size = 0;
  Index standard_size = 0;
  Index clean_size = 0;
  float sigma = 0.0f;        ///< cluster sigma of the training and standard sets
  float clean_sigma = 0.0f;  ///< cluster sigma of the clean set
  Index batch_size = 0;      ///< mini-batch size of every training and regrowth step
  ClusterCentres centres;    ///< one per class; empty: paper_centres() (2-D, 4 classes)

  /// The class centres the data sets are drawn around.
  ClusterCentres task_centres() const { return centres.empty() ? paper_centres() : centres; }
};

/// A temporary change of modulation under which a subject is measured
/// (combined and extreme stress), then restored. Metrics:
/// metric::probe_combined(name), metric::probe_extreme(name).
struct Probe {
  std::string name;
  Modulate modulation;
};

/// One treatment arm.
struct ArmSpec {
  std::string name;
  std::vector<Step> treatment;    ///< applied to a copy of the depressed state
  bool follow_up = true;                     ///< acute relapse, probes and longitudinal cycles
  std::vector<MaintenanceBlock> maintenance;  ///< after each cycle's stressor, by cycle (schedule.hpp)
  std::vector<StressBlock> stress;            ///< the arm's own stressor in some cycles (schedule.hpp)
  std::vector<Probe> probes;                  ///< at most kMaxProbes
};

/// The acute relapse test: prune a share of the surviving weights once.
/// The default removes nothing.
struct RelapseSpec {
  PruneRemaining prune;
};

/// Chronic stress: `cycles` rounds of (prune, maintenance, measure). The
/// defaults run no cycle and prune nothing.
struct LongitudinalSpec {
  int cycles = 0;  ///< at most kMaxCycles
  PruneRemaining prune;
  double threshold = 0.0;  ///< combined accuracy (%) below which a cycle counts as relapse
};

/// The whole study. The library holds no study's numbers: every size, noise
/// level, schedule and arm comes from the caller (the chronic_stress example
/// reads them from paper.toml).
struct StudySpec {
  DataSpec data;
  std::vector<Index> widths;   ///< layer widths, input first (at least 2)
  std::vector<Step> baseline;  ///< from a fresh network to the shared pre-treatment state
  MeasureSpec measure;
  RelapseSpec relapse;
  LongitudinalSpec longitudinal;
  std::vector<ArmSpec> arms;
  /// Flush subnormal floats to zero while run_baseline/run_arm compute
  /// (core/float_env.hpp): about 1.7x faster dense training, values change
  /// only below 1.2e-38. Part of the protocol's identity, since results differ.
  bool flush_denormals = true;

  /// Throws std::invalid_argument naming the first bad value and where it
  /// is (e.g. "arms[1] (ketamine).treatment[0]: lr = 0 ...").
  void validate() const {
    validate_baseline();
    detail::in_context("measure", [&] { measure.validate(); });
    detail::in_context("relapse.prune", [&] { relapse.prune.validate(); });
    detail::require(longitudinal.cycles >= 0 && longitudinal.cycles <= kMaxCycles,
                    "longitudinal cycles = " + std::to_string(longitudinal.cycles) + " must be in [0, " +
                        std::to_string(kMaxCycles) + "]");
    detail::in_context("longitudinal.prune", [&] { longitudinal.prune.validate(); });
    detail::require_in_range(longitudinal.threshold, 0.0, 100.0, "relapse threshold");
    detail::require(!arms.empty(), "a study needs at least one arm");
    for (std::size_t a = 0; a < arms.size(); ++a) validate_arm(a);
  }

  /// What run_baseline needs: data sizes, widths and the baseline steps.
  void validate_baseline() const {
    validate_data();
    detail::require(widths.size() >= 2, "network widths need at least input and output");
    for (Index w : widths) detail::require(w > 0, "network widths must be > 0");
    detail::require(widths.back() >= 2, "the output layer needs at least 2 classes");
    const ClusterCentres centres = data.task_centres();
    detail::require(widths.front() == Index(centres.front().size()),
                    "network widths[0] = " + std::to_string(widths.front()) + " but the data have " +
                        std::to_string(centres.front().size()) + " input dimensions");
    detail::require(widths.back() == Index(centres.size()), "network widths[last] = " +
                                                                std::to_string(widths.back()) + " but the data have " +
                                                                std::to_string(centres.size()) + " classes");
    validate_steps(baseline, "baseline");
  }

  /// Training epochs of arm `a` for one seed: treatment plus all cycles of
  /// maintenance (for progress reports and scheduling).
  long arm_epochs(std::size_t a) const {
    const ArmSpec& arm = arms.at(a);
    long n = 0;
    for (const auto& s : arm.treatment) n += epochs_of(s);
    if (arm.follow_up)
      for (int c = 1; c <= longitudinal.cycles; ++c)
        for (const auto& s : steps_in_cycle(arm.maintenance, c)) n += epochs_of(s);
    return n;
  }

  /// Training epochs one seed runs in total (for progress reports).
  long epochs_per_seed() const {
    long n = 0;
    for (const auto& s : baseline) n += epochs_of(s);
    for (std::size_t a = 0; a < arms.size(); ++a) n += arm_epochs(a);
    return n;
  }

  /// Where arm `a` is, for messages: "arms[1] (ketamine)".
  std::string arm_path(std::size_t a) const {
    return "arms[" + std::to_string(a) + "] (" + arms.at(a).name + ")";
  }

 private:
  void validate_data() const {
    const auto positive = [](Index v, const char* name) {
      detail::require(v > 0, std::string("data.") + name + " = " + std::to_string(v) + " must be > 0");
    };
    positive(data.train_size, "train_size");
    positive(data.standard_size, "standard_size");
    positive(data.clean_size, "clean_size");
    positive(data.batch_size, "batch_size");
    detail::require_non_negative(data.sigma, "data.sigma");
    detail::require_non_negative(data.clean_sigma, "data.clean_sigma");
    if (!data.centres.empty()) detail::in_context("data.centres", [&] { validate_centres(data.centres); });
  }

  static void validate_steps(const std::vector<Step>& steps, const std::string& where) {
    for (std::size_t i = 0; i < steps.size(); ++i)
      detail::in_context(where + "[" + std::to_string(i) + "]", [&] { protocol::validate(steps[i]); });
  }

  void validate_arm(std::size_t a) const {
    const ArmSpec& arm = arms[a];
    detail::require(!arm.name.empty(), "arms[" + std::to_string(a) + "] needs a name");
    for (std::size_t b = 0; b < a; ++b)
      detail::require(arm.name != arms[b].name, "arm name '" + arm.name + "' is used twice");
    const std::string where = arm_path(a);
    validate_steps(arm.treatment, where + ".treatment");
    for (std::size_t b = 0; b < arm.maintenance.size(); ++b) {
      const std::string block = where + ".maintenance[" + std::to_string(b) + "]";
      detail::in_context(block, [&] { arm.maintenance[b].cycles.validate(longitudinal.cycles); });
      validate_steps(arm.maintenance[b].steps, block + ".steps");
    }
    for (std::size_t b = 0; b < arm.stress.size(); ++b)
      detail::in_context(where + ".stress[" + std::to_string(b) + "]", [&] {
        arm.stress[b].cycles.validate(longitudinal.cycles);
        arm.stress[b].prune.validate();
      });
    detail::require(arm.probes.size() <= kMaxProbes, where + " has " + std::to_string(arm.probes.size()) +
                                                         " probes, at most " + std::to_string(kMaxProbes) +
                                                         " are allowed");
    for (std::size_t p = 0; p < arm.probes.size(); ++p) {
      const std::string at = where + ".probes[" + std::to_string(p) + "]";
      detail::require(!arm.probes[p].name.empty(), at + " needs a name");
      for (std::size_t q = 0; q < p; ++q)
        detail::require(arm.probes[p].name != arm.probes[q].name,
                        at + ": probe name '" + arm.probes[p].name + "' is used twice");
      detail::in_context(at, [&] { arm.probes[p].modulation.validate(); });
    }
  }
};

/// Multiplies every epoch count by `factor`, rounded half away from zero, at
/// least 1 (quick exploratory runs). Throws std::invalid_argument naming the
/// step, and leaves `spec` unchanged, if `factor` is not finite and > 0 or a
/// count would exceed the largest int.
inline void scale_epochs(StudySpec& spec, double factor) {
  detail::require_positive(factor, "epoch scale");
  StudySpec scaled = spec;
  auto scale = [factor](std::vector<Step>& steps, const std::string& where) {
    for (std::size_t i = 0; i < steps.size(); ++i)
      detail::in_context(where + "[" + std::to_string(i) + "]", [&] { scale_epochs(steps[i], factor); });
  };
  scale(scaled.baseline, "baseline");
  for (std::size_t a = 0; a < scaled.arms.size(); ++a) {
    scale(scaled.arms[a].treatment, scaled.arm_path(a) + ".treatment");
    auto& blocks = scaled.arms[a].maintenance;
    for (std::size_t b = 0; b < blocks.size(); ++b)
      scale(blocks[b].steps, scaled.arm_path(a) + ".maintenance[" + std::to_string(b) + "].steps");
  }
  spec = std::move(scaled);
}

/// The seed's data sets, each from its own stream (stream_keys.hpp).
inline StudyData make_study_data(const DataSpec& spec, std::uint64_t seed) {
  Rng train_rng(stream_key(data_stream_seed(seed, kTrainDataOffset), Purpose::data));
  Rng standard_rng(stream_key(data_stream_seed(seed, kStandardDataOffset), Purpose::data));
  Rng clean_rng(stream_key(data_stream_seed(seed, kCleanDataOffset), Purpose::data));
  const ClusterCentres centres = spec.task_centres();
  return {make_gaussian_clusters(spec.train_size, spec.sigma, train_rng, centres),
          make_gaussian_clusters(spec.standard_size, spec.sigma, standard_rng, centres),
          make_gaussian_clusters(spec.clean_size, spec.clean_sigma, clean_rng, centres)};
}

/// Builds and initialises the network, then applies the baseline steps.
/// The result (kBaselineLineage) is the shared pre-treatment state of every
/// arm; its `diverged` says whether some baseline training met a non-finite
/// loss (every arm branched from it inherits the flag).
inline Subject run_baseline(const StudySpec& spec, const StudyData& data, std::uint64_t seed,
                            const EpochCallback& on_epoch = {}) {
  spec.validate_baseline();  // unset or impossible values fail here, by name
  const ScopedFlushDenormals float_mode(spec.flush_denormals);
  Mlp net(spec.widths);
  Rng init(stream_key(seed, Purpose::init));
  net.init(init);
  Subject subject(std::move(net), seed, kBaselineLineage);
  for (const auto& step : spec.baseline) apply(subject, step, data.train, spec.data.batch_size, on_epoch);
  subject.net.release_buffers();  // every arm copies this state; the copies need no buffers
  return subject;
}

/// Everything measured for one arm of one seed.
struct ArmResult {
  std::string arm;
  Metrics metrics;                     ///< post-treatment panel, relapse and probe metrics (%), metric_keys.hpp
  std::vector<double> cycle_sparsity;  ///< cycles 0..C (%), cycle 0 = post-treatment
  std::vector<double> cycle_accuracy;  ///< combined accuracy per cycle (%)
  std::optional<int> relapse_cycle;    ///< first cycle below the threshold, if any
  bool diverged = false;               ///< some training of this arm or of its baseline met a non-finite loss
  bool baseline_diverged = false;      ///< the shared baseline did (then `diverged` is set too)
};

/// The acute relapse test of arm `arm_index` (run_arm), on a branch of the
/// treated subject so its main line is untouched: relapse metrics.
inline void measure_relapse(const StudySpec& spec, std::size_t arm_index, const Subject& treated,
                            const StudyData& data, ArmResult& result) {
  Subject relapse = treated.branch(relapse_lineage(arm_index));
  const double before = combined_accuracy(relapse, data, spec.measure, kPhaseRelapseBefore);
  apply(relapse, spec.relapse.prune, data.train, spec.data.batch_size);
  const double after = combined_accuracy(relapse, data, spec.measure, kPhaseRelapseAfter);
  result.metrics[metric::relapse_before] = before;
  result.metrics[metric::relapse_after] = after;
  result.metrics[metric::relapse_drop] = before - after;
  result.metrics[metric::relapse_sparsity] = 100.0 * relapse.net.sparsity();
  result.diverged = result.diverged || relapse.diverged;
}

/// The probes of `arm` (run_arm): each a temporary change of modulation,
/// restored afterwards: probe metrics.
inline void measure_probes(const StudySpec& spec, const ArmSpec& arm, Subject& subject, const StudyData& data,
                           ArmResult& result) {
  const MeasureSpec& m = spec.measure;
  const float extreme = *std::max_element(m.stress_levels.begin(), m.stress_levels.end());
  for (std::size_t p = 0; p < arm.probes.size(); ++p) {
    const Modulation saved = subject.net.modulation();
    apply(subject, arm.probes[p].modulation, data.train, spec.data.batch_size);
    NoiseSource noise = subject.eval_noise(kPhaseProbe + p);
    const std::string& name = arm.probes[p].name;
    result.metrics[metric::probe_combined(name)] =
        accuracy(subject.net, data.standard, {m.combined_input_sigma, m.combined_internal_sigma}, noise);
    result.metrics[metric::probe_extreme(name)] = accuracy(subject.net, data.standard, {0.0f, extreme}, noise);
    subject.net.modulation() = saved;
  }
}

/// Longitudinal cycle c >= 1 of `arm` (run_arm): the cycle's stressor, then
/// every maintenance step scheduled for the cycle.
inline void run_cycle(const StudySpec& spec, const ArmSpec& arm, int cycle, Subject& subject, const StudyData& data,
                      const EpochCallback& on_epoch) {
  const Index batch = spec.data.batch_size;
  apply(subject, stressor_in_cycle(arm.stress, spec.longitudinal.prune, cycle), data.train, batch);
  for (const auto& block : arm.maintenance)
    if (block.cycles.selects(cycle))
      for (const auto& step : block.steps) apply(subject, step, data.train, batch, on_epoch);
}

/// Where a running arm stands at a checkpoint: its subject (network and
/// streams), what it has measured so far, and the next longitudinal cycle.
/// `next_cycle` -1: nothing is done yet (a fresh arm); 0: treatment, panel,
/// relapse and probes are done; c: cycles
/// 0..c-1 are done too; cycles + 1: the arm is finished (an arm without
/// follow-up is finished after its panel).
struct ArmState {
  Subject subject;
  ArmResult result;
  int next_cycle = 0;
};

/// Called by run_arm at the end of the treatment part and of every cycle
/// (e.g. to save the state so an interrupted run can resume mid-arm).
using ArmCheckpoint = std::function<void(const ArmState&)>;

/// Runs arm `arm_index` of `spec` from a copy of the pre-treatment state or,
/// given `resume` (a state an ArmCheckpoint received for this spec, arm and
/// seed), from there on: the result is bit-identical to an uninterrupted run.
inline ArmResult run_arm(const StudySpec& spec, std::size_t arm_index, const Subject& depressed,
                         const StudyData& data, const EpochCallback& on_epoch = {},
                         const ArmCheckpoint& on_checkpoint = {}, std::optional<ArmState> resume = {}) {
  spec.validate();
  const ScopedFlushDenormals float_mode(spec.flush_denormals);
  const ArmSpec& arm = spec.arms.at(arm_index);
  const Index batch = spec.data.batch_size;
  const LongitudinalSpec& L = spec.longitudinal;
  ArmState state = resume ? std::move(*resume) : ArmState{depressed.branch(arm_lineage(arm_index)), {}, -1};
  detail::require(state.next_cycle >= -1 && state.next_cycle <= L.cycles + 1, "run_arm: the resumed state's cycle is out of range");
  ArmResult& result = state.result;
  Subject& subject = state.subject;
  if (state.next_cycle < 0) {
    result.arm = arm.name;
    result.baseline_diverged = depressed.diverged;
    const DoseReference pretreatment = dose_reference(subject, data, spec.measure);
    for (const auto& step : arm.treatment) apply(subject, step, data.train, batch, on_epoch);
    result.metrics = measure_panel(subject, data, spec.measure, kPhasePanel);
    add_dose_metrics(result.metrics, pretreatment, subject.net);
    result.diverged = subject.diverged;
    if (arm.follow_up) {
      measure_relapse(spec, arm_index, subject, data, result);
      measure_probes(spec, arm, subject, data, result);
    }
    state.next_cycle = arm.follow_up ? 0 : L.cycles + 1;
    if (on_checkpoint) on_checkpoint(state);
  }
  if (!arm.follow_up) return result;

  // Longitudinal: cycle 0 is the post-treatment state, measured afresh.
  for (int c = state.next_cycle; c <= L.cycles; ++c) {
    if (c > 0) run_cycle(spec, arm, c, subject, data, on_epoch);
    const double acc = combined_accuracy(subject, data, spec.measure, kPhaseCycle + std::uint64_t(c));
    result.cycle_sparsity.push_back(100.0 * subject.net.sparsity());
    result.cycle_accuracy.push_back(acc);
    if (!result.relapse_cycle && acc < L.threshold) result.relapse_cycle = c;
    state.next_cycle = c + 1;
    if (on_checkpoint) on_checkpoint(state);
  }
  result.diverged = result.diverged || subject.diverged;
  return result;
}

}  // namespace rewire::protocol
