// rewire/data/tasks.hpp - trial generators of three tasks for recurrent
// networks (docs/recurrent.md): clusters over time, working memory of a
// cluster, and a random-dot-motion-like perceptual decision.
//
// Every generator draws from one Rng the caller keys (same key, same
// trials, whatever else runs, on any thread) and takes its noise level as
// an argument, so that a study can draw a training, a standard and a clean
// set from one task description. Inputs: the task's stimulus channels, then
// one fixation channel that is 1 until the response period begins and 0
// during it (the go cue). The decision of a trial is read from the readout
// over the response period (train/evaluate.hpp).
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/core/types.hpp>
#include <rewire/data/clusters.hpp>
#include <rewire/data/trials.hpp>
#include <rewire/random/rng.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace rewire {

/// Most steps a trial may have (keeps sizes and step counts in range).
inline constexpr Index kMaxTrialSteps = 100000;

/// The phases of a trial, in steps, in this order: fixation, stimulus,
/// delay, response. The response period is the last `response` steps.
struct TrialTiming {
  Index fixation = 0;  ///< >= 0: inputs show only the fixation channel
  Index stimulus = 1;  ///< >= 1: the stimulus is shown
  Index delay = 0;     ///< >= 0: between stimulus and response
  Index response = 1;  ///< >= 1: the steps whose readout counts

  Index steps() const { return fixation + stimulus + delay + response; }
  Index response_start() const { return fixation + stimulus + delay; }

  /// Throws std::invalid_argument naming the first bad phase.
  void validate() const {
    auto at_least = [](Index v, Index lo, const char* name) {
      detail::require(v >= lo && v <= kMaxTrialSteps, std::string("timing.") + name + " = " + std::to_string(v) +
                                                          " is outside the allowed range [" + std::to_string(lo) +
                                                          ", " + std::to_string(kMaxTrialSteps) + "]");
    };
    at_least(fixation, 0, "fixation");
    at_least(stimulus, 1, "stimulus");
    at_least(delay, 0, "delay");
    at_least(response, 1, "response");
    detail::require(steps() <= kMaxTrialSteps, "a trial of " + std::to_string(steps()) + " steps is longer than " +
                                                   std::to_string(kMaxTrialSteps));
  }
};

/// The cluster tasks: a point of the static cluster task (drawn once per
/// trial around its class centre, like make_gaussian_clusters) shown at
/// every step of its stimulus period with fresh per-step noise.
struct ClusterTaskSpec {
  TrialTiming timing{2, 8, 0, 4};
  float step_sigma = 0.0f;  ///< >= 0: sd of the fresh noise on each shown coordinate at each step
  ClusterCentres centres;   ///< one per class; empty: paper_centres() (2-D, 4 classes)

  ClusterCentres task_centres() const { return centres.empty() ? paper_centres() : centres; }
};

/// The perceptual decision task: two evidence channels, one per choice.
struct DecisionTaskSpec {
  TrialTiming timing{2, 15, 0, 4};
  float coherence = 0.2f;  ///< in [0, 1]: how much the true choice's channel leads
};

namespace detail {

inline void require_trial_count(Index trials) {
  require(trials > 0, "trials = " + std::to_string(trials) + " must be > 0");
}

/// Trials of the cluster tasks; the point is shown from the end of fixation
/// up to (not including) step `shown_until`.
inline TrialSet cluster_trials(Index trials, float sigma, const ClusterTaskSpec& spec, Rng& rng, Index shown_until) {
  const ClusterCentres centres = spec.task_centres();
  const TrialTiming& tm = spec.timing;
  const Index dims = Index(centres.front().size()), T = tm.steps();
  TrialSet set;
  set.inputs = Matrix::Zero(T * trials, dims + 1);  // stimulus channels, then fixation
  set.labels.resize(trials);
  set.response = response_period(T, tm.response_start(), tm.response);
  std::vector<float> point(std::size_t(dims), 0.0f);
  for (Index n = 0; n < trials; ++n) {
    const auto label = rng.below(std::uint32_t(centres.size()));
    set.labels[n] = std::int32_t(label);
    for (Index j = 0; j < dims; ++j)
      point[std::size_t(j)] = centres[label][std::size_t(j)] + (sigma > 0.0f ? sigma * rng.normal() : 0.0f);
    for (Index t = tm.fixation; t < shown_until; ++t)
      for (Index j = 0; j < dims; ++j)
        set.inputs(t * trials + n, j) =
            point[std::size_t(j)] + (spec.step_sigma > 0.0f ? spec.step_sigma * rng.normal() : 0.0f);
    for (Index t = 0; t < tm.response_start(); ++t) set.inputs(t * trials + n, dims) = 1.0f;
  }
  return set;
}

inline void validate_cluster_task(Index trials, float sigma, const ClusterTaskSpec& spec) {
  require_trial_count(trials);
  require_non_negative(sigma, "sigma");
  require_non_negative(spec.step_sigma, "step_sigma");
  spec.timing.validate();
  validate_centres(spec.task_centres());
}

}  // namespace detail

/// Clusters over time, the recurrent twin of the static cluster task.
/// Timing: fixation; then the point, shown from the stimulus period to the
/// end of the trial (timing.delay must be 0: nothing has to be remembered);
/// the class is reported in the last timing.response steps. `sigma` is the
/// point's scatter around its centre (as in make_gaussian_clusters: 0 puts
/// it on the centre). Classes: one per centre. Draws, trial by trial: the
/// label, the point's coordinates, then the step noise (step by step,
/// coordinate by coordinate; none when a sigma is 0).
inline TrialSet make_cluster_trials(Index trials, float sigma, const ClusterTaskSpec& spec, Rng& rng) {
  detail::validate_cluster_task(trials, sigma, spec);
  detail::require(spec.timing.delay == 0, "timing.delay = " + std::to_string(spec.timing.delay) +
                                              ": the clusters task shows its point to the end and has no delay "
                                              "(make_memory_trials hides the point during a delay)");
  return detail::cluster_trials(trials, sigma, spec, rng, spec.timing.steps());
}

/// Working memory: the same point as make_cluster_trials, shown during the
/// stimulus period only; the inputs are blank (fixation only) during the
/// delay, and the class is reported after it, in the response period, so
/// the network must hold it for timing.delay steps (the difficulty knob).
/// Same draws as make_cluster_trials.
inline TrialSet make_memory_trials(Index trials, float sigma, const ClusterTaskSpec& spec, Rng& rng) {
  detail::validate_cluster_task(trials, sigma, spec);
  return detail::cluster_trials(trials, sigma, spec, rng, spec.timing.fixation + spec.timing.stimulus);
}

/// Perceptual decision (random-dot-motion-like): two evidence channels, one
/// per choice; during the stimulus period the true choice's channel has
/// mean (1 + coherence) / 2, the other (1 - coherence) / 2, each with fresh
/// N(0, sigma^2) noise at every step, so the evidence must be integrated
/// over time; after the delay (blank) the choice is reported. Two classes,
/// chance 50 %. Draws, trial by trial: the label, then per stimulus step
/// the noise of channel 0 and of channel 1 (none when sigma is 0).
inline TrialSet make_decision_trials(Index trials, float sigma, const DecisionTaskSpec& spec, Rng& rng) {
  detail::require_trial_count(trials);
  detail::require_non_negative(sigma, "sigma");
  detail::require_in_range(spec.coherence, 0.0, 1.0, "coherence");
  const TrialTiming& tm = spec.timing;
  tm.validate();
  const Index T = tm.steps();
  TrialSet set;
  set.inputs = Matrix::Zero(T * trials, 3);  // evidence for choice 0, for choice 1, fixation
  set.labels.resize(trials);
  set.response = response_period(T, tm.response_start(), tm.response);
  for (Index n = 0; n < trials; ++n) {
    const auto label = std::int32_t(rng.below(2));
    set.labels[n] = label;
    for (Index t = tm.fixation; t < tm.fixation + tm.stimulus; ++t)
      for (Index k = 0; k < 2; ++k) {
        const float mean = 0.5f * (1.0f + (k == label ? spec.coherence : -spec.coherence));
        set.inputs(t * trials + n, k) = mean + (sigma > 0.0f ? sigma * rng.normal() : 0.0f);
      }
    for (Index t = 0; t < tm.response_start(); ++t) set.inputs(t * trials + n, 2) = 1.0f;
  }
  return set;
}

}  // namespace rewire
