// rewire/data/trials.hpp - trials of a task that unfolds in time: inputs per
// step, one class label per trial and the steps whose readout counts; and
// their mini-batches.
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/core/types.hpp>
#include <rewire/data/batches.hpp>
#include <rewire/random/rng.hpp>

#include <cmath>
#include <string>

namespace rewire {

/// Trials of one timing (every trial has the same steps). Inputs are a
/// sequence in the layout of core/types.hpp: row t * trials() + n is trial n's
/// input at step t.
struct TrialSet {
  Matrix inputs;    // (steps * trials, channels): step-major rows
  Labels labels;    // (trials): the class each trial must report
  Vector response;  // (steps): weight of each step's readout in the loss and the decision, 0 = not counted

  Index steps() const { return response.size(); }
  Index trials() const { return labels.size(); }
  Index channels() const { return inputs.cols(); }

  /// Throws std::invalid_argument unless the set is consistent: at least one
  /// step and one trial, (steps * trials) input rows, finite inputs, response
  /// weights finite and >= 0 with at least one > 0.
  void validate() const {
    detail::require(steps() >= 1, "a trial set needs at least one step (response has no entries)");
    detail::require(trials() >= 1, "a trial set needs at least one trial");
    detail::require(inputs.rows() == steps() * trials(),
                    "trial inputs have " + std::to_string(inputs.rows()) + " rows, expected steps * trials = " +
                        std::to_string(steps() * trials()));
    detail::require(inputs.allFinite(), "trial inputs must be finite");
    detail::require(response.allFinite() && (response.array() >= 0.0f).all(),
                    "response weights must be finite and >= 0");
    detail::require(response.sum() > 0.0f, "the response period is empty (every response weight is 0)");
  }
};

/// Throws std::invalid_argument unless `set` is valid (TrialSet::validate)
/// and fits `net` (an Rnn): one input channel per network input, and every
/// label one of the network's classes.
template <class Net>
void require_fits(const Net& net, const TrialSet& set) {
  set.validate();
  detail::require(set.channels() == net.in_features(),
                  "the trials have " + std::to_string(set.channels()) + " input channels but the network has " +
                      std::to_string(net.in_features()) + " inputs");
  for (Index n = 0; n < set.trials(); ++n)
    detail::require(set.labels[n] >= 0 && set.labels[n] < net.out_features(),
                    "trial label " + std::to_string(set.labels[n]) + " is outside the network's classes [0, " +
                        std::to_string(net.out_features()) + ")");
}

/// Response weights for a trial of `steps` steps: 1 at the `count` steps
/// from `first` on, 0 elsewhere. Throws std::invalid_argument if that
/// period is empty or does not lie inside the trial.
inline Vector response_period(Index steps, Index first, Index count) {
  detail::require(steps >= 1, "a trial needs at least one step (steps = " + std::to_string(steps) + ")");
  detail::require(count >= 1, "the response period needs at least one step (count = " + std::to_string(count) + ")");
  detail::require(first >= 0 && first + count <= steps,
                  "response period [" + std::to_string(first) + ", " + std::to_string(first + count) +
                      ") lies outside the trial of " + std::to_string(steps) + " steps [0, " +
                      std::to_string(steps) + ")");
  Vector w = Vector::Zero(steps);
  w.segment(first, count).setOnes();
  return w;
}

/// Copies trials rows[0..count) of `set` into the sequence X ((steps *
/// count) x channels, step-major) and their labels into y.
inline void gather_trials(Matrix& X, Labels& y, const TrialSet& set, const Index* rows, Index count) {
  const Index T = set.steps(), N = set.trials();
  X.resize(T * count, set.channels());
  y.resize(count);
  for (Index k = 0; k < count; ++k) {
    detail::require(rows[k] >= 0 && rows[k] < N, "trial index out of range");
    y[k] = set.labels[rows[k]];
  }
  for (Index c = 0; c < X.cols(); ++c)
    for (Index t = 0; t < T; ++t)
      for (Index k = 0; k < count; ++k) X(t * count + k, c) = set.inputs(t * N + rows[k], c);
}

/// Iterates one trial set in mini-batches of trials, reshuffled every epoch
/// by the same draws as BatchSampler (BatchOrder).
class TrialBatchSampler {
 public:
  TrialBatchSampler(const TrialSet& set, Index batch_size) : set_(&set), order_(checked(set).trials(), batch_size) {}

  Index batches_per_epoch() const { return order_.batches_per_epoch(); }
  void start_epoch(Rng& rng) { order_.start_epoch(rng); }

  /// Copies the next batch's sequence into X and its labels into y; false
  /// when the epoch is exhausted.
  bool next(Matrix& X, Labels& y) {
    const Index* rows = nullptr;
    Index count = 0;
    if (!order_.next(rows, count)) return false;
    gather_trials(X, y, *set_, rows, count);
    return true;
  }

 private:
  static const TrialSet& checked(const TrialSet& set) {
    set.validate();
    return set;
  }
  const TrialSet* set_;
  BatchOrder order_;
};

}  // namespace rewire
