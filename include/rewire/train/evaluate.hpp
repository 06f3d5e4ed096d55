// rewire/train/evaluate.hpp - accuracy under input and internal noise, and
// predictions, of a feed-forward or a recurrent network.
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/data/clusters.hpp>
#include <rewire/data/trials.hpp>
#include <rewire/kernels/loss.hpp>
#include <rewire/nn/mlp.hpp>
#include <rewire/nn/rnn.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

namespace rewire {

/// The noise an evaluation runs under. Both draws are fresh on every call.
struct EvalCondition {
  float input_sigma = 0.0f;     ///< N(0, input_sigma^2) added to every input coordinate (of every step)
  float internal_sigma = 0.0f;  ///< hidden-unit noise sigma during the pass
};

namespace detail {

/// Checks an evaluation's arguments; returns the network's modulation with
/// the condition's internal sigma in place of its own.
inline Modulation eval_modulation(const Modulation& own, const EvalCondition& condition, Index chunk) {
  require_non_negative(condition.input_sigma, "input_sigma");
  require_non_negative(condition.internal_sigma, "internal_sigma");
  require(chunk > 0, "chunk must be > 0");
  Modulation modulation = own;
  modulation.noise_sigma = condition.internal_sigma;
  return modulation;
}

/// Throws std::invalid_argument naming the first row of X that holds NaN or
/// an infinity: its logits would be NaN, which have no arg-max, so the row
/// would be predicted as class 0 and scored without a sign of trouble.
inline void require_finite_inputs(const Matrix& X, const std::string& what) {
  if (X.allFinite()) return;
  for (Index n = 0; n < X.rows(); ++n)
    if (!X.row(n).allFinite())
      require(false, what + ": input row " + std::to_string(n) + " holds NaN or infinite values");
}

/// Runs `net` over `set` in chunks of `chunk` trials under `modulation`,
/// with N(0, input_sigma^2) added to every input of every step of a chunk
/// before its pass (drawn from `noise`, which also serves the internal
/// noise); calls f(first trial, labels, readout (steps * count rows)).
template <class F>
void for_each_trial_chunk(const Rnn& net, const TrialSet& set, Index chunk, float input_sigma, NoiseSource* noise,
                          const Modulation& modulation, F&& f) {
  require_fits(net, set);
  Rnn::Buffers buffers;
  Matrix X;  // (steps * count, channels): a chunk's sequence, plus input noise
  Labels y;
  std::vector<Index> rows;
  for (Index start = 0; start < set.trials(); start += chunk) {
    const Index count = std::min(chunk, set.trials() - start);
    rows.resize(std::size_t(count));
    std::iota(rows.begin(), rows.end(), start);
    gather_trials(X, y, set, rows.data(), count);
    if (input_sigma > 0.0f) noise->add_normal(X.data(), X.size(), input_sigma);
    f(start, y, net.forward(buffers, X, set.steps(), noise, modulation));
  }
}

}  // namespace detail

/// Accuracy in percent of `net` on `data` (no training), under the
/// network's activation and damping and `condition`'s noise (its internal
/// sigma replaces the network's own for this call). Runs in chunks of
/// `chunk` samples to bound memory (the default, the study's batch size,
/// needs no larger buffers than training). Changes nothing in `net`: a const
/// network can be evaluated from several threads, each with its own `noise`.
/// Throws std::invalid_argument naming the first input row that holds NaN or
/// an infinity (a recurrent network's trials are refused alike).
inline double accuracy(const Mlp& net, const Dataset& data, const EvalCondition& condition, NoiseSource& noise,
                       Index chunk = 128) {
  const Modulation modulation = detail::eval_modulation(net.modulation(), condition, chunk);
  detail::require(data.size() > 0, "cannot evaluate on an empty data set");
  detail::require(data.labels.size() == data.size(), "the data set needs one label per input row");
  detail::require_finite_inputs(data.inputs, "accuracy");
  Mlp::Buffers buffers;
  Matrix X;  // (chunk, in): inputs, plus input noise
  Labels y;
  Index correct = 0;
  for (Index start = 0; start < data.size(); start += chunk) {
    const Index count = std::min(chunk, data.size() - start);
    X = data.inputs.middleRows(start, count);
    y = data.labels.segment(start, count);
    if (condition.input_sigma > 0.0f) noise.add_normal(X.data(), X.size(), condition.input_sigma);
    correct += count_correct(net.forward(buffers, X, &noise, modulation), y);
  }
  return 100.0 * double(correct) / double(data.size());
}

/// Accuracy in percent of a recurrent network on trials: a trial is correct
/// when its decision, the arg-max of the readout summed over the response
/// steps with their weights (response_readout), is its label. Noise as for
/// the Mlp, drawn from `noise` per chunk of `chunk` trials: first the input
/// noise of the whole chunk (every channel of every step), then the
/// internal noise step by step during the pass. Throws
/// std::invalid_argument if the trials do not fit the network.
inline double accuracy(const Rnn& net, const TrialSet& data, const EvalCondition& condition, NoiseSource& noise,
                       Index chunk = 128) {
  const Modulation modulation = detail::eval_modulation(net.modulation(), condition, chunk);
  Index correct = 0;
  Matrix decision;  // (count, classes): the response readout
  detail::for_each_trial_chunk(net, data, chunk, condition.input_sigma, &noise, modulation,
                               [&](Index, const Labels& y, const Matrix& readout) {
                                 response_readout(decision, readout, data.response);
                                 correct += count_correct(decision, y);
                               });
  return 100.0 * double(correct) / double(data.trials());
}

/// Noise-free accuracy in percent (activation and damping as set).
inline double accuracy(const Mlp& net, const Dataset& data) {
  NoiseSource unused(0);  // never drawn from: both sigmas are 0
  return accuracy(net, data, EvalCondition{}, unused);
}
inline double accuracy(const Rnn& net, const TrialSet& data) {
  NoiseSource unused(0);  // never drawn from: both sigmas are 0
  return accuracy(net, data, EvalCondition{}, unused);
}

/// The predicted class of every row of X (the first arg-max logit), without
/// noise, under the network's activation and damping. Throws
/// std::invalid_argument naming the first row of X that is not finite.
inline Labels predict(const Mlp& net, const Matrix& X) {
  detail::require_finite_inputs(X, "predict");
  Modulation modulation = net.modulation();
  modulation.noise_sigma = 0.0f;
  Mlp::Buffers buffers;
  const Matrix& logits = net.forward(buffers, X, nullptr, modulation);
  Labels out(logits.rows());
  for (Index n = 0; n < logits.rows(); ++n) out[n] = std::int32_t(predicted_class(logits, n));
  return out;
}

/// The readout of every step of every trial without noise ((steps *
/// trials) x classes, step-major like the inputs), under the network's
/// activation and damping.
inline Matrix readout(const Rnn& net, const TrialSet& data, Index chunk = 128) {
  const Modulation modulation = detail::eval_modulation(net.modulation(), EvalCondition{}, chunk);
  Matrix out(data.steps() * data.trials(), net.out_features());
  detail::for_each_trial_chunk(net, data, chunk, 0.0f, nullptr, modulation,
                               [&](Index first, const Labels& y, const Matrix& r) {
                                 for (Index t = 0; t < data.steps(); ++t)
                                   out.middleRows(t * data.trials() + first, y.size()) = r.middleRows(t * y.size(), y.size());
                               });
  return out;
}

/// The decision of every trial without noise (the arg-max of the response
/// readout, as accuracy() scores it).
inline Labels predict(const Rnn& net, const TrialSet& data) {
  Matrix decision;
  response_readout(decision, readout(net, data), data.response);
  Labels out(decision.rows());
  for (Index n = 0; n < decision.rows(); ++n) out[n] = std::int32_t(predicted_class(decision, n));
  return out;
}

/// A reaction-time-like readout: per trial, the first step t >= `from` at
/// which the largest softmax probability of the noise-free readout y_t
/// reaches `threshold` (in (0, 1]), or -1 if no step does. Meaningful for a
/// network trained to answer while the evidence comes in (a response
/// period that covers the stimulus).
inline std::vector<Index> decision_times(const Rnn& net, const TrialSet& data, double threshold, Index from = 0) {
  detail::require(threshold > 0.0 && threshold <= 1.0, "threshold = " + std::to_string(threshold) +
                                                           " is outside the allowed range (0, 1]");
  detail::require(from >= 0 && from < data.steps(), "from = " + std::to_string(from) + " is outside the trial's steps");
  const Matrix y = readout(net, data);
  Matrix P(1, y.cols());
  std::vector<Index> times(std::size_t(data.trials()), -1);
  for (Index n = 0; n < data.trials(); ++n)
    for (Index t = from; t < data.steps() && times[std::size_t(n)] < 0; ++t) {
      detail::softmax_row(P, Matrix(y.row(t * data.trials() + n)), 0, 0);
      if (double(P.maxCoeff()) >= threshold) times[std::size_t(n)] = t;
    }
  return times;
}

}  // namespace rewire
