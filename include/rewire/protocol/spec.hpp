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

namespace detail {

using namespace rewire::detail;  // the checks of core/error.hpp

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

/// The network's first and last widths fit the task: its dimension and class count.
inline void validate_task_shape(const StudySpec& spec) {
  const ClusterCentres centres = spec.data.task_centres();
  const std::string origin = spec.data.centres.empty() ? "the paper's task" : "the task of {data.centres}";
  const std::size_t last = spec.widths.size() - 1;
  require_spec(spec.widths.front() == Index(centres.front().size()), "widths[0]",
               "{} = " + std::to_string(spec.widths.front()) + ": the input layer must have " +
                   std::to_string(centres.front().size()) + " units (the dimension of " + origin + ")");
  require_spec(spec.widths.back() == Index(centres.size()), indexed("widths", last),
               "{} = " + std::to_string(spec.widths.back()) + ": the output layer must have " +
                   std::to_string(centres.size()) + " units (the classes of " + origin + ")");
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

/// One arm: its name and steps, schedules, probes, and the metric names they give.
inline void validate_arm(const StudySpec& spec, const ArmSpec& arm) {
  validate_follow_up(arm);
  validate_steps(arm.treatment, "treatment");
  for (std::size_t b = 0; b < arm.maintenance.size(); ++b) {
    const std::string block = indexed("maintenance", b);
    in_spec(block + ".cycles", [&] { arm.maintenance[b].cycles.validate(spec.longitudinal.cycles); });
    require_spec(!arm.maintenance[b].steps.empty(), block + ".steps", "{} is empty: a block needs at least one step");
    validate_steps(arm.maintenance[b].steps, block + ".steps");
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
  }
  // A probe whose metric names another metric of the arm would overwrite it.
  const std::vector<std::string> names = arm_metric_names(spec, arm);
  for (std::size_t p = 0; p < arm.probes.size(); ++p)
    for (const std::string& m : {metric::probe_combined(arm.probes[p].name), metric::probe_extreme(arm.probes[p].name)})
      require_spec(std::count(names.begin(), names.end(), m) == 1, indexed("probes", p) + ".name",
                   "{} = \"" + arm.probes[p].name + "\" gives the metric " + m +
                       ", which the arm records already: choose another name");
}

}  // namespace detail

inline void StudySpec::validate_baseline() const {
  detail::require_in(limits::kSetSize, data.train_size, "data.train_size");
  detail::require_in(limits::kSetSize, data.standard_size, "data.standard_size");
  detail::require_in(limits::kSetSize, data.clean_size, "data.clean_size");
  detail::require_in(limits::kNonNegative, data.sigma, "data.sigma");
  detail::require_in(limits::kNonNegative, data.clean_sigma, "data.clean_sigma");
  detail::require_in(limits::kSetSize, data.batch_size, "data.batch_size");
  if (!data.centres.empty()) detail::validate_centres(data.centres, "data.centres");
  detail::require_count(limits::kLayers, widths.size(), "widths");
  for (std::size_t i = 0; i < widths.size(); ++i) detail::require_in(limits::kWidth, widths[i], detail::indexed("widths", i));
  detail::validate_task_shape(*this);
  detail::validate_steps(baseline, "baseline");
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
