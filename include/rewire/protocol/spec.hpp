// rewire/protocol/spec.hpp - a multi-arm pruning study as data (StudySpec),
// its checks and the metrics it records.
//
// Every rule about a study's values is here (with the ranges of
// limits.hpp): validate() throws SpecError with the dotted key of the first
// bad value ("arms[1].treatment[0].lr", "measure.stress_levels[2]"), so a
// reader of study files need not repeat any rule to point at a line.
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

}  // namespace rewire::protocol

namespace rewire::detail {

using protocol::ArmSpec;
using protocol::StudySpec;
using protocol::TaskKind;
using protocol::NetworkKind;
using protocol::Step;
using protocol::TaskSpec;
namespace limits = protocol::limits;
namespace metric = protocol::metric;

inline std::string indexed(const std::string& key, std::size_t i) { return key + "[" + std::to_string(i) + "]"; }

inline void validate_steps(const std::vector<Step>& steps, const std::string& key) {
  for (std::size_t i = 0; i < steps.size(); ++i) in_spec(indexed(key, i), [&] { protocol::validate(steps[i]); });
}

/// Class centres: the class count, one dimension for all, finite coordinates.
inline void validate_centres(const ClusterCentres& centres, const std::string& key) {
  require_count(limits::kClasses, centres.size(), key);
  for (std::size_t k = 0; k < centres.size(); ++k) {
    const std::string at = indexed(key, k);
    require_count(limits::kDimensions, centres[k].size(), at);
    require_spec(centres[k].size() == centres[0].size(), at,
                 "{} has " + std::to_string(centres[k].size()) + " coordinates, {" + indexed(key, 0) + "} has " +
                     std::to_string(centres[0].size()) + ": every centre needs the same dimension");
    for (std::size_t j = 0; j < centres[k].size(); ++j) require_in(limits::kFinite, centres[k][j], indexed(at, j));
  }
}

/// An Mlp's first and last widths fit the task: its dimension and class count.
inline void validate_mlp_shape(const StudySpec& spec) {
  require_count(limits::kLayers, spec.widths.size(), "widths");
  for (std::size_t i = 0; i < spec.widths.size(); ++i) require_in(limits::kWidth, spec.widths[i], indexed("widths", i));
  const std::string origin = spec.data.centres.empty() ? "the paper's task" : "the task of {data.centres}";
  const std::size_t last = spec.widths.size() - 1;
  require_spec(spec.widths.front() == spec.task_inputs(), "widths[0]",
               "{} = " + std::to_string(spec.widths.front()) + ": the input layer must have " +
                   std::to_string(spec.task_inputs()) + " units (the dimension of " + origin + ")");
  require_spec(spec.widths.back() == spec.task_classes(), indexed("widths", last),
               "{} = " + std::to_string(spec.widths.back()) + ": the output layer must have " +
                   std::to_string(spec.task_classes()) + " units (the classes of " + origin + ")");
}

/// The network kind and the task fit each other; each has its own keys.
inline void validate_network(const StudySpec& spec) {
  const bool rnn = spec.network == NetworkKind::rnn;
  require_spec(rnn == spec.task.in_time(), "task.kind",
               "{} = " + std::string(to_string(spec.task.kind)) +
                   (rnn ? " is the static task of a feed-forward network: a recurrent one ({network} = rnn) needs "
                          "clusters_over_time, memory or decision"
                        : " is a task in time: it needs a recurrent network ({network} = rnn)"));
  if (!rnn) return validate_mlp_shape(spec);
  require_spec(spec.widths.empty(), "widths",
               "{} has no effect with {network} = rnn (its size is {rnn.units}; inputs and outputs follow the task)");
  require_in(limits::kWidth, spec.rnn.units, "rnn.units");
  require_in(limits::kAlpha, spec.rnn.alpha, "rnn.alpha");
  require_in(limits::kFraction, spec.rnn.excitatory_fraction, "rnn.excitatory_fraction");
}

/// A task in time: its timing, noise and difficulty.
inline void validate_task(const StudySpec& spec) {
  const TaskSpec& t = spec.task;
  if (!t.in_time()) return;
  const TrialTiming& tm = t.timing;
  require_in(limits::kPhaseSteps, tm.fixation, "task.timing.fixation");
  require_in(IntRange{1, limits::kPhaseSteps.hi}, tm.stimulus, "task.timing.stimulus");
  require_in(limits::kPhaseSteps, tm.delay, "task.timing.delay");
  require_in(IntRange{1, limits::kPhaseSteps.hi}, tm.response, "task.timing.response");
  require_spec(t.kind != TaskKind::clusters_over_time || tm.delay == 0, "task.timing.delay",
               "{} = " + std::to_string(tm.delay) +
                   ": clusters_over_time shows the point until the answer; a delay needs {task.kind} = memory");
  require_in(limits::kNonNegative, t.step_sigma, "task.step_sigma");
  require_in(limits::kFraction, t.coherence, "task.coherence");
  require_spec(t.kind != TaskKind::decision || spec.data.centres.empty(), "data.centres",
               "{} has no effect with {task.kind} = decision (two evidence channels, two classes)");
}

/// A name of an arm or probe (limits::kNameRule), unique among `others`.
inline void validate_name(const std::string& name, const std::string& key, const std::vector<std::string>& others,
                          const std::string& others_key) {
  require_spec(limits::is_valid_name(name), key,
               "{} = \"" + name + "\" is not allowed: expected " + limits::kNameRule);
  for (std::size_t j = 0; j < others.size(); ++j)
    require_spec(others[j] != name, key, "{} = \"" + name + "\" is already used by {" + indexed(others_key, j) + "}");
}

/// Follow-up settings of an arm without follow-up would be silently ignored.
inline void validate_follow_up(const ArmSpec& arm) {
  const std::pair<const char*, bool> settings[] = {
      {"maintenance", !arm.maintenance.empty()}, {"stress", !arm.stress.empty()}, {"probes", !arm.probes.empty()}};
  for (const auto& [key, given] : settings)
    require_spec(arm.follow_up || !given, key, "{} has no effect when {follow_up} = false; remove it");
}

/// Without cycles (longitudinal.cycles = 0) a schedule never runs. Said of
/// the whole list: a plain list of steps is one block to the library, with
/// no cycles of its own to name. The study's key is plain text, not {...}:
/// the message is seen from the arm, which would prefix it.
inline void validate_cycles_exist(const StudySpec& spec, const ArmSpec& arm) {
  const std::pair<const char*, bool> schedules[] = {{"maintenance", !arm.maintenance.empty()},
                                                    {"stress", !arm.stress.empty()}};
  for (const auto& [key, given] : schedules)
    require_spec(spec.longitudinal.cycles > 0 || !given, key,
                 "{} never runs: the study has no longitudinal cycles (longitudinal.cycles = 0); remove it or give "
                 "the study cycles");
}

/// A named population needs a network that has it (cell_types.hpp).
inline void validate_population(const StudySpec& spec, const protocol::UnitChoice& units, const std::string& key) {
  if (!units.population) return;
  require_spec(spec.network == NetworkKind::rnn && spec.rnn.dale, key,
               "{} = \"" + std::string(to_string(*units.population)) +
                   "\" names a population the network does not have: it needs a recurrent network (network kind "
                   "rnn) with Dale's law (dale = true), whose units are excitatory or inhibitory");
}

/// The unit choices of the modulate steps among `steps`.
inline void validate_unit_choices(const StudySpec& spec, const std::vector<Step>& steps, const std::string& key) {
  for (std::size_t i = 0; i < steps.size(); ++i)
    if (const auto* m = std::get_if<protocol::Modulate>(&steps[i]))
      validate_population(spec, m->units, indexed(key, i) + ".units.population");
}

/// One arm: its name and steps, schedules, probes, and the metric names they give.
inline void validate_arm(const StudySpec& spec, const ArmSpec& arm) {
  validate_follow_up(arm);
  validate_cycles_exist(spec, arm);
  validate_steps(arm.treatment, "treatment");
  validate_unit_choices(spec, arm.treatment, "treatment");
  for (std::size_t b = 0; b < arm.maintenance.size(); ++b) {
    const std::string block = indexed("maintenance", b);
    in_spec(block + ".cycles", [&] { arm.maintenance[b].cycles.validate(spec.longitudinal.cycles); });
    require_spec(!arm.maintenance[b].steps.empty(), block + ".steps", "{} is empty: a block needs at least one step");
    validate_steps(arm.maintenance[b].steps, block + ".steps");
    validate_unit_choices(spec, arm.maintenance[b].steps, block + ".steps");
    require_in(limits::kFraction, arm.maintenance[b].adherence, block + ".adherence");
  }
  for (std::size_t b = 0; b < arm.stress.size(); ++b) {
    in_spec(indexed("stress", b) + ".cycles", [&] { arm.stress[b].cycles.validate(spec.longitudinal.cycles); });
    in_spec(indexed("stress", b) + ".prune", [&] { arm.stress[b].prune.validate(); });
  }
  require_count(limits::kProbes, arm.probes.size(), "probes");
  std::vector<std::string> probe_names;
  for (std::size_t p = 0; p < arm.probes.size(); ++p) {
    const std::string at = indexed("probes", p);
    validate_name(arm.probes[p].name, at + ".name", probe_names, "probes");
    probe_names.push_back(arm.probes[p].name);
    in_spec(at + ".modulation", [&] { arm.probes[p].modulation.validate(); });
    validate_population(spec, arm.probes[p].modulation.units, at + ".modulation.units.population");
  }
  // A probe whose metric names another metric of the arm would overwrite it.
  const std::vector<std::string> names = arm_metric_names(spec, arm);
  for (std::size_t p = 0; p < arm.probes.size(); ++p)
    for (const std::string& m : {metric::probe_combined(arm.probes[p].name), metric::probe_extreme(arm.probes[p].name)})
      require_spec(std::count(names.begin(), names.end(), m) == 1, indexed("probes", p) + ".name",
                   "{} = \"" + arm.probes[p].name + "\" gives the metric " + m +
                       ", which the arm records already: choose another name");
}

}  // namespace rewire::detail

namespace rewire::protocol {

inline void StudySpec::validate_baseline() const {
  detail::require_in(limits::kSetSize, data.train_size, "data.train_size");
  detail::require_in(limits::kSetSize, data.standard_size, "data.standard_size");
  detail::require_in(limits::kSetSize, data.clean_size, "data.clean_size");
  detail::require_in(limits::kNonNegative, data.sigma, "data.sigma");
  detail::require_in(limits::kNonNegative, data.clean_sigma, "data.clean_sigma");
  detail::require_in(limits::kSetSize, data.batch_size, "data.batch_size");
  if (!data.centres.empty()) detail::validate_centres(data.centres, "data.centres");
  detail::validate_task(*this);
  detail::validate_network(*this);
  detail::validate_steps(baseline, "baseline");
  detail::validate_unit_choices(*this, baseline, "baseline");
}

inline void StudySpec::validate() const {
  validate_baseline();
  detail::in_spec("measure", [&] { measure.validate(); });
  detail::in_spec("relapse.prune", [&] { relapse.prune.validate(); });
  detail::require_in(limits::kCycles, longitudinal.cycles, "longitudinal.cycles");
  detail::in_spec("longitudinal.prune", [&] { longitudinal.prune.validate(); });
  detail::require_in(limits::kPercent, longitudinal.threshold, "longitudinal.threshold");
  detail::require_count(limits::kArms, arms.size(), "arms");
  std::vector<std::string> names;
  for (std::size_t a = 0; a < arms.size(); ++a) {
    detail::validate_name(arms[a].name, detail::indexed("arms", a) + ".name", names, "arms");
    names.push_back(arms[a].name);
    detail::in_spec(detail::indexed("arms", a), [&] { detail::validate_arm(*this, arms[a]); });
  }
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
