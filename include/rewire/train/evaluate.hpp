// rewire/train/evaluate.hpp - accuracy under input and internal noise.
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/data/clusters.hpp>
#include <rewire/kernels/loss.hpp>
#include <rewire/nn/mlp.hpp>

#include <algorithm>
#include <cstdint>

namespace rewire {

/// The noise an evaluation runs under. Both draws are fresh on every call.
struct EvalCondition {
  float input_sigma = 0.0f;     ///< N(0, input_sigma^2) added to every input coordinate
  float internal_sigma = 0.0f;  ///< hidden-unit noise sigma during the pass
};

/// Accuracy in percent of `net` on `data` (no training), under the
/// network's activation and damping and `condition`'s noise (its internal
/// sigma replaces the network's own for this call). Runs in chunks of
/// `chunk` samples to bound memory (the default, the study's batch size,
/// needs no larger buffers than training). Changes nothing in `net`: a const
/// network can be evaluated from several threads, each with its own `noise`.
inline double accuracy(const Mlp& net, const Dataset& data, const EvalCondition& condition, NoiseSource& noise,
                       Index chunk = 128) {
  detail::require_non_negative(condition.input_sigma, "input_sigma");
  detail::require_non_negative(condition.internal_sigma, "internal_sigma");
  detail::require(chunk > 0, "chunk must be > 0");
  detail::require(data.size() > 0, "cannot evaluate on an empty data set");
  detail::require(data.labels.size() == data.size(), "the data set needs one label per input row");
  Modulation modulation = net.modulation();
  modulation.noise_sigma = condition.internal_sigma;
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

/// Noise-free accuracy in percent (activation and damping as set).
inline double accuracy(const Mlp& net, const Dataset& data) {
  NoiseSource unused(0);  // never drawn from: both sigmas are 0
  return accuracy(net, data, EvalCondition{}, unused);
}

/// The predicted class of every row of X (the first arg-max logit), without
/// noise, under the network's activation and damping.
inline Labels predict(const Mlp& net, const Matrix& X) {
  Modulation modulation = net.modulation();
  modulation.noise_sigma = 0.0f;
  Mlp::Buffers buffers;
  const Matrix& logits = net.forward(buffers, X, nullptr, modulation);
  Labels out(logits.rows());
  for (Index n = 0; n < logits.rows(); ++n) out[n] = std::int32_t(predicted_class(logits, n));
  return out;
}

}  // namespace rewire
