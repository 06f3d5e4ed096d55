// rewire/train/train.hpp - mini-batch training calls.
//
// Every call builds a fresh Adam (zero moments, step count 0), as the study
// does. The internal noise sigma of each epoch comes from a schedule; plain
// training is the schedule "always 0". Whatever the schedule, the network's
// own noise sigma is restored when the call returns.
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/data/batches.hpp>
#include <rewire/data/trials.hpp>
#include <rewire/kernels/loss.hpp>
#include <rewire/nn/mlp.hpp>
#include <rewire/nn/rnn.hpp>
#include <rewire/train/adam.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <optional>

namespace rewire {

/// What one training call does.
struct TrainOptions {
  int epochs = 1;          ///< >= 1
  float lr = 1e-3f;        ///< Adam learning rate, > 0
  Index batch_size = 128;  ///< > 0

  void validate() const {
    detail::require(epochs >= 1, "epochs = " + std::to_string(epochs) + " must be >= 1");
    detail::require_positive(lr, "lr");
    detail::require(batch_size > 0, "batch_size must be > 0");
  }
};

/// Noise sigma for epoch e of E.
using NoiseSchedule = std::function<float(int epoch, int epochs)>;

/// The SSRI-like taper: s0 in the first epoch, falling linearly to exactly 0
/// in the last: s0 * (1 - e / max(E - 1, 1)).
inline float tapering_sigma(float s0, int epoch, int epochs) {
  return s0 * (1.0f - float(epoch) / float(std::max(epochs - 1, 1)));
}

/// Outcome of a training call. `diverged`: a non-finite loss was met; the
/// call stopped at once (the network holds the weights of that step).
enum class TrainStatus { ok, diverged };

struct TrainResult {
  TrainStatus status = TrainStatus::ok;
  int epochs_done = 0;
  long steps = 0;
  double last_epoch_loss = 0.0;  ///< mean over the batches of the last epoch
};

/// Called after each epoch: (epoch index, its mean loss, its sigma).
using EpochCallback = std::function<void(int epoch, double loss, float sigma)>;

namespace detail {

/// The loop of every training call, whatever the network kind: per epoch
/// the scheduled sigma and a reshuffle, then `batch_step(sampler)` until it
/// returns no loss (the epoch is over). batch_step runs the next batch's
/// forward and loss, and its backward when the loss is finite; the loop
/// then takes one Adam step, or stops at a non-finite loss (diverged).
template <class Net, class Sampler, class BatchStep>
TrainResult train_loop(Net& net, Sampler& sampler, const TrainOptions& options, const NoiseSchedule& sigma_at,
                       Rng& shuffle, NoiseSource* noise, const EpochCallback& on_epoch, BatchStep&& batch_step) {
  ScopedNoiseSigma sigma_scope(net, net.modulation().noise_sigma);  // restored on any exit
  Adam adam(AdamOptions{options.lr});
  // The views stay valid for the whole call (no mask changes in between);
  // taking them once also spares the per-step refresh of dense caches.
  const std::vector<ParamRef> params = net.parameters();
  TrainResult result;
  for (int epoch = 0; epoch < options.epochs; ++epoch) {
    const float sigma = sigma_at(epoch, options.epochs);
    require_non_negative(sigma, "scheduled noise sigma");
    require(sigma == 0.0f || noise != nullptr, "a noisy schedule needs a NoiseSource");
    sigma_scope.set(sigma);
    sampler.start_epoch(shuffle);
    double loss_sum = 0.0;
    Index batches = 0;
    while (const std::optional<double> loss = batch_step(sampler)) {
      if (!std::isfinite(*loss)) {
        result.status = TrainStatus::diverged;
        return result;
      }
      adam.step(params);
      loss_sum += *loss;
      ++batches;
    }
    result.epochs_done = epoch + 1;
    result.steps = adam.steps();
    result.last_epoch_loss = loss_sum / double(batches);
    if (on_epoch) on_epoch(epoch, result.last_epoch_loss, sigma);
  }
  return result;
}

}  // namespace detail

/// Trains with a per-epoch noise schedule. `noise` may be null only if the
/// schedule is 0 everywhere.
inline TrainResult train_scheduled(Mlp& net, const Dataset& data, const TrainOptions& options,
                                   const NoiseSchedule& sigma_at, Rng& shuffle,
                                   NoiseSource* noise, const EpochCallback& on_epoch = {}) {
  options.validate();
  BatchSampler sampler(data, options.batch_size);
  Matrix X, P, dlogits;  // batch inputs, probabilities, dL/dlogits
  Labels y;
  auto batch_step = [&](BatchSampler& batches) -> std::optional<double> {
    if (!batches.next(X, y)) return std::nullopt;
    const double loss = softmax_cross_entropy_forward(P, net.forward(X, noise), y);
    if (std::isfinite(loss)) {
      softmax_cross_entropy_backward(dlogits, P, y);
      net.backward(dlogits, GradientMode::masked);
    }
    return loss;
  };
  return detail::train_loop(net, sampler, options, sigma_at, shuffle, noise, on_epoch, batch_step);
}

/// The same for a recurrent network on trials: mini-batches of trials, the
/// loss on their response steps (sequence_cross_entropy_forward), backprop
/// through time. Throws std::invalid_argument if the trials do not fit the
/// network (require_fits).
inline TrainResult train_scheduled(Rnn& net, const TrialSet& data, const TrainOptions& options,
                                   const NoiseSchedule& sigma_at, Rng& shuffle, NoiseSource* noise,
                                   const EpochCallback& on_epoch = {}) {
  options.validate();
  require_fits(net, data);
  TrialBatchSampler sampler(data, options.batch_size);
  Matrix X, P, dlogits;  // batch sequence (steps * batch rows), probabilities, dL/dy
  Labels y;
  auto batch_step = [&](TrialBatchSampler& batches) -> std::optional<double> {
    if (!batches.next(X, y)) return std::nullopt;
    const double loss = sequence_cross_entropy_forward(P, net.forward(X, data.steps(), noise), y, data.response);
    if (std::isfinite(loss)) {
      sequence_cross_entropy_backward(dlogits, P, y, data.response);
      net.backward(dlogits, GradientMode::masked);
    }
    return loss;
  };
  return detail::train_loop(net, sampler, options, sigma_at, shuffle, noise, on_epoch, batch_step);
}

namespace detail {
// train and train_with_stress for every network kind (the schedule, once).
template <class Net, class Data>
TrainResult train_without_noise(Net& net, const Data& data, const TrainOptions& options, Rng& shuffle,
                                const EpochCallback& on_epoch) {
  return train_scheduled(
      net, data, options, [](int, int) { return 0.0f; }, shuffle, nullptr, on_epoch);
}
template <class Net, class Data>
TrainResult train_tapering(Net& net, const Data& data, const TrainOptions& options, float sigma0, Rng& shuffle,
                           NoiseSource& noise, const EpochCallback& on_epoch) {
  require_non_negative(sigma0, "sigma0");
  return train_scheduled(
      net, data, options, [sigma0](int e, int E) { return tapering_sigma(sigma0, e, E); }, shuffle, &noise,
      on_epoch);
}
}  // namespace detail

/// Plain training: noise sigma 0 for the whole call (activation and damping
/// stay as set).
inline TrainResult train(Mlp& net, const Dataset& data, const TrainOptions& options, Rng& shuffle,
                         const EpochCallback& on_epoch = {}) {
  return detail::train_without_noise(net, data, options, shuffle, on_epoch);
}
inline TrainResult train(Rnn& net, const TrialSet& data, const TrainOptions& options, Rng& shuffle,
                         const EpochCallback& on_epoch = {}) {
  return detail::train_without_noise(net, data, options, shuffle, on_epoch);
}

/// Training under tapering internal noise (see tapering_sigma).
inline TrainResult train_with_stress(Mlp& net, const Dataset& data, const TrainOptions& options, float sigma0,
                                     Rng& shuffle, NoiseSource& noise, const EpochCallback& on_epoch = {}) {
  return detail::train_tapering(net, data, options, sigma0, shuffle, noise, on_epoch);
}
inline TrainResult train_with_stress(Rnn& net, const TrialSet& data, const TrainOptions& options, float sigma0,
                                     Rng& shuffle, NoiseSource& noise, const EpochCallback& on_epoch = {}) {
  return detail::train_tapering(net, data, options, sigma0, shuffle, noise, on_epoch);
}

}  // namespace rewire
