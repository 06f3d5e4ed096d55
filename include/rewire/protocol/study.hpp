// rewire/protocol/study.hpp - the two runners that execute a study
// (spec.hpp) for one seed: the shared baseline (train, prune: the
// "depressed" state) and one treatment arm from a copy of that state
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
#include <rewire/protocol/spec.hpp>
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

/// The seed's data sets for the study's task: points (make_study_data
/// above) or, for a task in time, trials drawn from the same streams with
/// the same sizes and noise levels (data/tasks.hpp).
inline StudyData make_study_data(const StudySpec& spec, std::uint64_t seed) {
  if (!spec.task.in_time()) return make_study_data(spec.data, seed);
  const DataSpec& d = spec.data;
  const TaskSpec& t = spec.task;
  const auto trials = [&](Index n, float sigma, std::uint64_t offset) {
    Rng rng(stream_key(data_stream_seed(seed, offset), Purpose::data));
    const ClusterTaskSpec clusters{t.timing, t.step_sigma, d.centres};
    switch (t.kind) {
      case TaskKind::memory: return make_memory_trials(n, sigma, clusters, rng);
      case TaskKind::decision: return make_decision_trials(n, sigma, DecisionTaskSpec{t.timing, t.coherence}, rng);
      default: return make_cluster_trials(n, sigma, clusters, rng);
    }
  };
  return {trials(d.train_size, d.sigma, kTrainDataOffset), trials(d.standard_size, d.sigma, kStandardDataOffset),
          trials(d.clean_size, d.clean_sigma, kCleanDataOffset)};
}

/// A fresh network of the study's kind and shape (not initialised).
inline Network make_network(const StudySpec& spec) {
  if (spec.network == NetworkKind::mlp) return Mlp(spec.widths);
  const RnnSpec& r = spec.rnn;
  return Rnn(spec.task_inputs(), r.units, spec.task_classes(), RnnOptions{r.alpha, r.dale, r.excitatory_fraction});
}

/// Builds and initialises the network, then applies the baseline steps.
/// The result (kBaselineLineage) is the shared pre-treatment state of every
/// arm; its `diverged` says whether some baseline training met a non-finite
/// loss (every arm branched from it inherits the flag).
inline Subject run_baseline(const StudySpec& spec, const StudyData& data, std::uint64_t seed,
                            const EpochCallback& on_epoch = {}) {
  spec.validate_baseline();  // unset or impossible values fail here, by name
  const ScopedFlushDenormals float_mode(spec.flush_denormals);
  Network net = make_network(spec);
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
  std::vector<double> cycle_sparsity;  ///< cycles 0..C (%), cycle 0 right after treatment
  std::vector<double> cycle_accuracy;  ///< combined accuracy per cycle (%)
  std::optional<int> relapse_cycle;    ///< first cycle below the threshold, if any
  std::vector<int> doses_taken;        ///< maintenance doses taken per cycle 0..C; only when some block's adherence < 1
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

/// Longitudinal cycle c >= 1 of arm `arm_index` (run_arm): the cycle's
/// stressor, then the steps of every maintenance block whose dose is taken
/// in the cycle (doses_taken: scheduled, and drawn under its adherence).
inline void run_cycle(const StudySpec& spec, std::size_t arm_index, int cycle, Subject& subject,
                      const StudyData& data, const EpochCallback& on_epoch) {
  const ArmSpec& arm = spec.arms.at(arm_index);
  const Index batch = spec.data.batch_size;
  apply(subject, stressor_in_cycle(arm.stress, spec.longitudinal.prune, cycle), data.train, batch);
  const std::vector<bool> taken = doses_taken(arm.maintenance, subject.seed, arm_index, cycle);
  for (std::size_t b = 0; b < arm.maintenance.size(); ++b)
    if (taken[b])
      for (const auto& step : arm.maintenance[b].steps) apply(subject, step, data.train, batch, on_epoch);
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
    if (c > 0) run_cycle(spec, arm_index, c, subject, data, on_epoch);
    const double acc = combined_accuracy(subject, data, spec.measure, kPhaseCycle + std::uint64_t(c));
    result.cycle_sparsity.push_back(100.0 * subject.net.sparsity());
    result.cycle_accuracy.push_back(acc);
    if (!result.relapse_cycle && acc < L.threshold) result.relapse_cycle = c;
    state.next_cycle = c + 1;
    if (on_checkpoint) on_checkpoint(state);
  }
  result.diverged = result.diverged || subject.diverged;
  if (has_partial_adherence(arm.maintenance))  // a function of the seed alone: also right after a resume
    result.doses_taken = doses_per_cycle(arm.maintenance, subject.seed, arm_index, L.cycles);
  return result;
}

}  // namespace rewire::protocol
