// rewire/protocol/spec.hpp - a multi-arm pruning study as data (StudySpec),
// its checks and the metrics it records.
//
// Every rule about a study's values is here or in spec_checks.hpp (with
// the ranges of limits.hpp): validate() throws SpecError with the dotted
// key of the first bad value ("arms[1].treatment[0].lr",
// "measure.stress_levels[2]"), so a reader of study files need not repeat
// any rule to point at a line.
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/data/clusters.hpp>
#include <rewire/data/tasks.hpp>
#include <rewire/protocol/cohort.hpp>
#include <rewire/protocol/limits.hpp>
#include <rewire/protocol/measure.hpp>
#include <rewire/protocol/metric_keys.hpp>
#include <rewire/protocol/schedule.hpp>
#include <rewire/protocol/steps.hpp>

#include <algorithm>
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

/// The tasks a study can train on: the paper's static clusters (points, for
/// a feed-forward network) and three tasks in time (trials, for a recurrent
/// one; data/tasks.hpp has their timing and accuracy measure).
enum class TaskKind { clusters, clusters_over_time, memory, decision };

inline const char* to_string(TaskKind k) {
  switch (k) {
    case TaskKind::clusters: return "clusters";
    case TaskKind::clusters_over_time: return "clusters_over_time";
    case TaskKind::memory: return "memory";
    case TaskKind::decision: return "decision";
  }
  return "clusters";
}

/// The task and, for a task in time, its trials. The data sets' sizes and
/// noise (`sigma`: the point's scatter, or the evidence noise of decision)
/// are DataSpec's; the classes are the centres' (decision: 2).
struct TaskSpec {
  TaskKind kind = TaskKind::clusters;
  TrialTiming timing{2, 8, 0, 4};  ///< fixation, stimulus, delay, response steps (tasks in time)
  float step_sigma = 0.0f;         ///< clusters_over_time, memory: fresh input noise per shown step, >= 0
  float coherence = 0.2f;          ///< decision: how much the true choice's channel leads, in [0, 1]

  bool in_time() const { return kind != TaskKind::clusters; }
};

/// The kinds of network a study can train.
enum class NetworkKind { mlp, rnn };

inline const char* to_string(NetworkKind k) { return k == NetworkKind::mlp ? "mlp" : "rnn"; }

/// A recurrent network's shape and dynamics (nn/rnn.hpp); its inputs and
/// outputs follow from the task.
struct RnnSpec {
  Index units = 0;                   ///< recurrent units
  float alpha = 0.2f;                ///< dt / tau, in (0, 1]
  bool dale = false;                 ///< Dale's law on the recurrent units
  double excitatory_fraction = 0.8;  ///< share of excitatory units under Dale's law, in [0, 1]
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
  std::vector<Step> treatment;                ///< applied to a copy of the depressed state
  bool follow_up = true;                      ///< acute relapse, probes and longitudinal cycles
  std::vector<MaintenanceBlock> maintenance;  ///< after each cycle's stressor, by cycle (schedule.hpp)
  std::vector<StressBlock> stress;            ///< the arm's own stressor in some cycles (schedule.hpp)
  std::vector<Probe> probes;                  ///< at most limits::kProbes
};

/// The acute relapse test: prune a share of the surviving weights once.
/// The default removes nothing.
struct RelapseSpec {
  PruneRemaining prune;
};

/// Chronic stress: `cycles` rounds of (prune, maintenance, measure). The
/// defaults run no cycle and prune nothing.
struct LongitudinalSpec {
  int cycles = 0;  ///< limits::kCycles
  PruneRemaining prune;
  double threshold = 0.0;  ///< combined accuracy (%) below which a cycle counts as relapse
};

/// The whole study. The library holds no study's numbers: every size, noise
/// level, schedule and arm comes from the caller (the chronic_stress example
/// reads them from paper.toml).
struct StudySpec {
  DataSpec data;
  TaskSpec task;                            ///< the paper's static clusters by default
  NetworkKind network = NetworkKind::mlp;   ///< the kind of network trained
  std::vector<Index> widths;                ///< Mlp: layer widths, input first (at least 2); Rnn: empty
  RnnSpec rnn;                              ///< Rnn: its shape and dynamics
  std::vector<Step> baseline;  ///< from a fresh network to the shared pre-treatment state
  MeasureSpec measure;
  RelapseSpec relapse;
  LongitudinalSpec longitudinal;
  std::vector<ArmSpec> arms;
  /// Flush subnormal floats to zero while run_baseline/run_arm compute
  /// (core/float_env.hpp): about 1.7x faster dense training, values change
  /// only below 1.2e-38. Part of the protocol's identity, since results differ.
  bool flush_denormals = true;
  /// Virtual patients: per seed, values of these keys of the caller's
  /// configuration drawn from their distributions (cohort.hpp). The library
  /// only draws; the caller applies the values (its key paths) and checks
  /// each patient's study. Empty: every seed runs this study as it is.
  std::vector<CohortParameter> cohort;

  /// Throws SpecError with the key of the first bad value, e.g.
  /// "arms[1].treatment[0].lr", "widths[0]", "measure.stress_levels[2]".
  void validate() const;

  /// What run_baseline needs: data sizes, widths and the baseline steps.
  void validate_baseline() const;

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

  /// Input channels of the task: the centres' dimension (+ 1 fixation
  /// channel for a task in time), or 3 for decision.
  Index task_inputs() const {
    if (task.kind == TaskKind::decision) return 3;
    return Index(data.task_centres().front().size()) + (task.in_time() ? 1 : 0);
  }
  /// Classes of the task: one per centre, or 2 for decision.
  Index task_classes() const {
    return task.kind == TaskKind::decision ? 2 : Index(data.task_centres().size());
  }
  /// Weight matrices of the network (each pruned on its own per layer): one
  /// per layer of an MLP, three (input, recurrent, readout) of an RNN.
  std::size_t weight_matrices() const {
    return network == NetworkKind::rnn ? 3 : (widths.empty() ? 0 : widths.size() - 1);
  }

  /// Where arm `a` is, for messages: "arms[1] (ketamine)".
  std::string arm_path(std::size_t a) const {
    return "arms[" + std::to_string(a) + "] (" + arms.at(a).name + ")";
  }
};

/// The names of the metrics run_arm records for `arm` (the keys of its
/// ArmResult::metrics), in this order: the post-treatment panel, the stress
/// sweep, the dose, and with follow-up the relapse test and each probe's two.
/// The one list every reader of results checks records against.
inline std::vector<std::string> arm_metric_names(const StudySpec& spec, const ArmSpec& arm) {
  std::vector<std::string> names{metric::sparsity, metric::clean, metric::standard, metric::combined};
  for (float s : spec.measure.stress_levels) names.push_back(metric::stress(s));
  for (const char* m : {metric::dose_l1, metric::dose_l2, metric::dose_turnover, metric::dose_sparsity_change,
                        metric::pretreatment_combined})
    names.push_back(m);
  if (!arm.follow_up) return names;
  for (const char* m : {metric::relapse_before, metric::relapse_after, metric::relapse_drop, metric::relapse_sparsity})
    names.push_back(m);
  for (const auto& p : arm.probes)
    names.insert(names.end(), {metric::probe_combined(p.name), metric::probe_extreme(p.name)});
  return names;
}

/// Multiplies every epoch count by `factor`, rounded half away from zero, at
/// least 1 (quick exploratory runs). Throws std::invalid_argument naming the
/// step, and leaves `spec` unchanged, if `factor` is not finite and > 0 or a
/// count would exceed the largest int.
inline void scale_epochs(StudySpec& spec, double factor) {
  detail::require_positive(factor, "epoch scale");
  StudySpec scaled = spec;
  auto scale = [factor](std::vector<Step>& steps, const std::string& where) {
    for (std::size_t i = 0; i < steps.size(); ++i)
      detail::in_spec(detail::indexed(where, i), [&] { scale_epochs(steps[i], factor); });
  };
  scale(scaled.baseline, "baseline");
  for (std::size_t a = 0; a < scaled.arms.size(); ++a) {
    const std::string arm = detail::indexed("arms", a);
    scale(scaled.arms[a].treatment, arm + ".treatment");
    auto& blocks = scaled.arms[a].maintenance;
    for (std::size_t b = 0; b < blocks.size(); ++b) scale(blocks[b].steps, detail::indexed(arm + ".maintenance", b) + ".steps");
  }
  spec = std::move(scaled);
}

}  // namespace rewire::protocol

// The rules behind validate(), one function per part of the study, and
// validate() itself: they need the complete StudySpec.
#include <rewire/protocol/spec_checks.hpp>
