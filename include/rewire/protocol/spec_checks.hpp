// rewire/protocol/spec_checks.hpp - StudySpec::validate() and the checks
// it runs, one function per part of a study (network, task, arms, steps, unit
// choices), each throwing SpecError with the dotted key of the first bad
// value. Included by protocol/spec.hpp once StudySpec is complete; include
// that header, not this one.
#pragma once

#include <rewire/protocol/spec.hpp>

namespace rewire::detail {

using protocol::ArmSpec;
using protocol::StudySpec;
using protocol::TaskKind;
using protocol::NetworkKind;
using protocol::Step;
using protocol::TaskSpec;
namespace limits = protocol::limits;
namespace metric = protocol::metric;

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

}  // namespace rewire::protocol
