// rewire/protocol/steps.hpp - the vocabulary of an experimental protocol.
//
// A protocol is a sequence of steps applied to a Subject (a network with its
// own random streams): train, train under a tapering noise schedule, regrow,
// modulate the hidden units, prune to a sparsity, or prune a fraction of the
// surviving weights. Treatments, maintenance and stress are all just lists
// of steps, so a new protocol needs data, not code.
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/kernels/activation.hpp>
#include <rewire/prune/magnitude.hpp>
#include <rewire/prune/regrow.hpp>
#include <rewire/protocol/subject.hpp>
#include <rewire/train/train.hpp>

#include <cmath>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace rewire::protocol {

/// `train(epochs, lr)`: plain training, internal noise off.
struct Train {
  int epochs = 1;
  float lr = 1e-3f;
};

/// `train_with_stress(epochs, lr, sigma0)`: noise tapering from sigma0 to 0.
struct TrainWithStress {
  int epochs = 1;
  float lr = 1e-3f;
  float sigma0 = 0.0f;
};

/// Gradient-guided regrowth (prune/regrow.hpp).
struct Regrow {
  RegrowOptions options;
};

/// Sets the activation and/or damping; they stay until changed again.
struct Modulate {
  std::optional<Activation> activation;
  std::optional<float> damping;
};

/// Magnitude pruning to an absolute sparsity target.
struct PruneTo {
  double target = 0.0;
  PruneScope scope = PruneScope::per_layer;
};

/// Removes `fraction` of the surviving weights: prune_to(min(s + (1 - s) f, cap)).
struct PruneRemaining {
  double fraction = 0.0;
  double cap = 1.0;
  PruneScope scope = PruneScope::per_layer;
};

/// One protocol step.
using Step = std::variant<Train, TrainWithStress, Regrow, Modulate, PruneTo, PruneRemaining>;

/// Throws std::invalid_argument naming the first bad value of `step`.
inline void validate(const Step& step) {
  struct {
    void operator()(const Train& s) const {
      TrainOptions{s.epochs, s.lr, 1}.validate();
    }
    void operator()(const TrainWithStress& s) const {
      TrainOptions{s.epochs, s.lr, 1}.validate();
      detail::require_non_negative(s.sigma0, "sigma0");
    }
    void operator()(const Regrow& s) const { s.options.validate(); }
    void operator()(const Modulate& s) const {
      if (s.damping) detail::require(std::isfinite(*s.damping), "damping must be finite");
    }
    void operator()(const PruneTo& s) const {
      detail::require_in_range(s.target, 0.0, 1.0, "target sparsity");
    }
    void operator()(const PruneRemaining& s) const {
      detail::require_in_range(s.fraction, 0.0, 1.0, "fraction of remaining weights");
      detail::require_in_range(s.cap, 0.0, 1.0, "sparsity cap");
    }
  } visitor;
  std::visit(visitor, step);
}

/// Short human-readable description, e.g. "train(15, 0.0005)".
inline std::string describe(const Step& step);

/// Epochs of training a step runs (0 for non-training steps).
inline int epochs_of(const Step& step) {
  if (const auto* t = std::get_if<Train>(&step)) return t->epochs;
  if (const auto* t = std::get_if<TrainWithStress>(&step)) return t->epochs;
  return 0;
}

/// Applies one step to `subject`, training on `train_set` with `batch_size`.
/// `on_epoch` is called after every training epoch. Returns the training
/// status (ok for steps that do not train).
inline TrainStatus apply(Subject& subject, const Step& step, const Dataset& train_set,
                         Index batch_size, const EpochCallback& on_epoch = {}) {
  validate(step);
  Mlp& net = subject.net;
  if (const auto* s = std::get_if<Train>(&step)) {
    return train(net, train_set, {s->epochs, s->lr, batch_size}, subject.shuffle, on_epoch).status;
  }
  if (const auto* s = std::get_if<TrainWithStress>(&step)) {
    return train_with_stress(net, train_set, {s->epochs, s->lr, batch_size}, s->sigma0,
                             subject.shuffle, subject.train_noise, on_epoch)
        .status;
  }
  if (const auto* s = std::get_if<Regrow>(&step)) {
    RegrowOptions options = s->options;
    options.batch_size = batch_size;
    regrow_by_gradient(net, train_set, options, subject.shuffle, subject.regrow_values);
  } else if (const auto* s = std::get_if<Modulate>(&step)) {
    if (s->activation) net.modulation().activation = *s->activation;
    if (s->damping) net.modulation().damping = *s->damping;
  } else if (const auto* s = std::get_if<PruneTo>(&step)) {
    prune_to(net, s->target, s->scope);
  } else if (const auto* s = std::get_if<PruneRemaining>(&step)) {
    prune_to(net, sparsity_after_removing(net.sparsity(), s->fraction, s->cap), s->scope);
  }
  return TrainStatus::ok;
}

inline std::string describe(const Step& step) {
  auto num = [](double v) {
    std::string s = std::to_string(v);
    s.erase(s.find_last_not_of('0') + 1);
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
  };
  if (const auto* s = std::get_if<Train>(&step))
    return "train(" + std::to_string(s->epochs) + ", lr " + num(s->lr) + ")";
  if (const auto* s = std::get_if<TrainWithStress>(&step))
    return "train_with_stress(" + std::to_string(s->epochs) + ", lr " + num(s->lr) + ", sigma0 " +
           num(s->sigma0) + ")";
  if (const auto* s = std::get_if<Regrow>(&step))
    return "regrow(" + std::to_string(s->options.batches) + " batches, fraction " +
           num(s->options.fraction) + ", sd " + num(s->options.init_sd) + ", ties " +
           to_string(s->options.ties) + ")";
  if (const auto* s = std::get_if<Modulate>(&step)) {
    std::string out = "modulate(";
    if (s->activation) out += std::string("activation ") + to_string(*s->activation);
    if (s->activation && s->damping) out += ", ";
    if (s->damping) out += "damping " + num(*s->damping);
    return out + ")";
  }
  if (const auto* s = std::get_if<PruneTo>(&step)) return "prune_to(" + num(s->target) + ")";
  const auto& s = std::get<PruneRemaining>(step);
  return "prune_remaining(" + num(s.fraction) + ", cap " + num(s.cap) + ")";
}

}  // namespace rewire::protocol
