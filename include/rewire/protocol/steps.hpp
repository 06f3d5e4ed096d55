// rewire/protocol/steps.hpp - the vocabulary of an experimental protocol.
//
// A protocol is a sequence of steps applied to a Subject (a network with its
// own random streams): train, train under tapering or constant noise,
// regrow, modulate the hidden units or end a modulation, prune to a sparsity,
// or prune a fraction of the surviving weights. Treatments, maintenance and
// stress are all just lists of steps, so a new protocol needs data, not code.
//
// Each step type carries all of its operations (the StepType interface
// below); the free functions over `Step` only forward to them through
// std::visit. A new kind of step is therefore one struct plus one entry in
// the `Step` variant, and a step type that lacks an operation does not
// compile.
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/kernels/activation.hpp>
#include <rewire/protocol/cell_types.hpp>
#include <rewire/protocol/limits.hpp>
#include <rewire/prune/magnitude.hpp>
#include <rewire/prune/regrow.hpp>
#include <rewire/protocol/subject.hpp>
#include <rewire/train/train.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace rewire::protocol {

/// What a step may use besides its subject.
struct StepInputs {
  const TaskSet& train_set;       ///< training data (points or trials, as the subject's network takes)
  Index batch_size;               ///< mini-batch size of training and regrowth
  const EpochCallback& on_epoch;  ///< called after every training epoch
};

}  // namespace rewire::protocol

namespace rewire::detail {

/// A number as a step description shows it: "0.0005", "15", "0.5".
inline std::string short_number(double v) {
  std::string s = std::to_string(v);
  s.erase(s.find_last_not_of('0') + 1);
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

/// `epochs * factor`, rounded half away from zero, at least 1. Throws
/// std::invalid_argument if the factor is not a finite number > 0 or the
/// count would not fit an int (it would wrap).
inline int scaled_epochs(int epochs, double factor) {
  require_positive(factor, "epoch scale");
  const double scaled = std::round(double(epochs) * factor);
  if (!(scaled <= double(std::numeric_limits<int>::max()))) {
    require(false, "epochs = " + std::to_string(epochs) + " times epoch scale " +
                                       short_number(factor) + " is " + short_number(scaled) +
                                       ", above the largest epoch count " +
                                       std::to_string(std::numeric_limits<int>::max()));
  }
  return std::max(1, int(scaled));
}

}  // namespace rewire::detail

namespace rewire::protocol {

// Every step type has:
//   static constexpr const char* name;       its name in descriptions and configs
//   void validate() const;                   throws SpecError naming a bad value by its field (core/error.hpp)
//   int training_epochs() const;             epochs it trains (0 if it does not train)
//   void scale_epochs(double factor);        multiplies its epochs (no-op if it does not train)
//   std::string describe() const;            e.g. "train(15, lr 0.0005)"
//   TrainStatus apply(Subject&, const StepInputs&) const;

/// `train(epochs, lr)`: plain training, internal noise off.
struct Train {
  static constexpr const char* name = "train";
  int epochs = 1;
  float lr = 1e-3f;  ///< Adam's customary learning rate

  void validate() const {
    detail::require_in(limits::kEpochs, epochs, "epochs");
    detail::require_in(limits::kLearningRate, lr, "lr");
  }
  int training_epochs() const { return epochs; }
  void scale_epochs(double factor) { epochs = detail::scaled_epochs(epochs, factor); }
  std::string describe() const {
    return std::string(name) + "(" + std::to_string(epochs) + ", lr " + detail::short_number(lr) + ")";
  }
  TrainStatus apply(Subject& subject, const StepInputs& in) const {
    return with_data(subject.net, in.train_set,
                     [&](auto& net, const auto& data) {
                       return train(net, data, {epochs, lr, in.batch_size}, subject.shuffle, in.on_epoch);
                     })
        .status;
  }
};

/// `train_with_stress(epochs, lr, sigma0)`: noise tapering from sigma0 to 0.
struct TrainWithStress {
  static constexpr const char* name = "train_with_stress";
  int epochs = 1;
  float lr = 1e-3f;  ///< Adam's customary learning rate
  float sigma0 = 0.0f;

  void validate() const {
    Train{epochs, lr}.validate();
    detail::require_in(limits::kNonNegative, sigma0, "sigma0");
  }
  int training_epochs() const { return epochs; }
  void scale_epochs(double factor) { epochs = detail::scaled_epochs(epochs, factor); }
  std::string describe() const {
    return std::string(name) + "(" + std::to_string(epochs) + ", lr " + detail::short_number(lr) + ", sigma0 " +
           detail::short_number(sigma0) + ")";
  }
  TrainStatus apply(Subject& subject, const StepInputs& in) const {
    return with_data(subject.net, in.train_set,
                     [&](auto& net, const auto& data) {
                       return train_with_stress(net, data, {epochs, lr, in.batch_size}, sigma0, subject.shuffle,
                                                subject.train_noise, in.on_epoch);
                     })
        .status;
  }
};

/// `train_with_noise(epochs, lr, sigma)`: internal noise of constant sigma in
/// every epoch (a steady stressor, beside the tapering train_with_stress).
struct TrainWithNoise {
  static constexpr const char* name = "train_with_noise";
  int epochs = 1;
  float lr = 1e-3f;  ///< Adam's customary learning rate
  float sigma = 0.0f;

  void validate() const {
    Train{epochs, lr}.validate();
    detail::require_in(limits::kNonNegative, sigma, "sigma");
  }
  int training_epochs() const { return epochs; }
  void scale_epochs(double factor) { epochs = detail::scaled_epochs(epochs, factor); }
  std::string describe() const {
    return std::string(name) + "(" + std::to_string(epochs) + ", lr " + detail::short_number(lr) + ", sigma " +
           detail::short_number(sigma) + ")";
  }
  TrainStatus apply(Subject& subject, const StepInputs& in) const {
    const float s = sigma;
    return with_data(subject.net, in.train_set,
                     [&](auto& net, const auto& data) {
                       return train_scheduled(net, data, {epochs, lr, in.batch_size}, [s](int, int) { return s; },
                                              subject.shuffle, &subject.train_noise, in.on_epoch);
                     })
        .status;
  }
};

/// Gradient-guided regrowth (prune/regrow.hpp). Its batch size is the study's.
struct Regrow {
  static constexpr const char* name = "regrow";
  RegrowOptions options;

  void validate() const {
    detail::require_in(limits::kEpochs, options.batches, "options.batches");
    detail::require_in(limits::kFraction, options.fraction, "options.fraction");
    detail::require_in(limits::kNonNegative, options.init_sd, "options.init_sd");
    detail::require_in(limits::kFraction, options.random_share, "options.random_share");
  }
  int training_epochs() const { return 0; }
  void scale_epochs(double) {}
  std::string describe() const {
    return std::string(name) + "(" + std::to_string(options.batches) + " batches, fraction " +
           detail::short_number(options.fraction) + ", sd " + detail::short_number(options.init_sd) +
           ", ties " + to_string(options.ties) +
           (options.random_share > 0 ? ", random_share " + detail::short_number(options.random_share) : "") +
           (options.scope == PruneScope::global ? ", global" : "") + ")";
  }
  TrainStatus apply(Subject& subject, const StepInputs& in) const {
    RegrowOptions o = options;
    o.batch_size = in.batch_size;
    with_data(subject.net, in.train_set, [&](auto& net, const auto& data) {
      regrow_by_gradient(net, data, o, subject.shuffle, subject.regrow_values);
    });
    return TrainStatus::ok;
  }
};

/// Sets the activation, damping and/or noise scale of the units `units`
/// names (every unit by default: cell_types.hpp); they stay until changed
/// again.
struct Modulate {
  static constexpr const char* name = "modulate";
  std::optional<Activation> activation;
  std::optional<float> damping;
  std::optional<float> noise_scale{};  ///< multiplies the internal noise sigma of the units, >= 0
  UnitChoice units{};                  ///< which hidden units; default all

  void validate() const {
    detail::require_spec(activation || damping || noise_scale, "",
                         "{} needs an activation (relu, tanh), a damping or a noise_scale (" +
                             limits::kNonNegative.describe() + ")");
    if (damping) detail::require_in(limits::kNonNegative, *damping, "damping");
    if (noise_scale) detail::require_in(limits::kNonNegative, *noise_scale, "noise_scale");
    if (units.fraction) detail::require_in(limits::kUnitFraction, *units.fraction, "units.fraction");
    detail::require_spec(!(units.fraction && units.population), "units.population",
                         "{} cannot be combined with {units.fraction}: a step modulates a population or a share of "
                         "the units");
  }
  int training_epochs() const { return 0; }
  void scale_epochs(double) {}
  std::string describe() const {
    std::vector<std::string> parts;
    if (activation) parts.push_back(std::string("activation ") + to_string(*activation));
    if (damping) parts.push_back("damping " + detail::short_number(*damping));
    if (noise_scale) parts.push_back("noise_scale " + detail::short_number(*noise_scale));
    if (units.population) parts.push_back(std::string("population ") + to_string(*units.population));
    if (units.fraction) parts.push_back("unit_fraction " + detail::short_number(*units.fraction));
    std::string out = std::string(name) + "(";
    for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? ", " : "") + parts[i];
    return out + ")";
  }
  TrainStatus apply(Subject& subject, const StepInputs&) const {
    const UnitSelection selected = select_units(subject.net, subject.seed, units);
    const std::vector<Index> widths = subject.net.visit([](const auto& n) { return n.hidden_widths(); });
    modulate_units(subject.net.modulation(), widths, UnitChange{activation, damping, noise_scale}, selected);
    return TrainStatus::ok;
  }
};

/// Ends a modulating treatment: back to ReLU and damping 1 for every unit
/// (the state of a network never modulated). Stays until changed again.
struct Discontinue {
  static constexpr const char* name = "discontinue";

  void validate() const {}
  int training_epochs() const { return 0; }
  void scale_epochs(double) {}
  std::string describe() const { return std::string(name) + "(activation relu, damping 1)"; }
  TrainStatus apply(Subject& subject, const StepInputs&) const {
    reset_modulation(subject.net.modulation());
    return TrainStatus::ok;
  }
};

/// Magnitude pruning to an absolute sparsity target.
struct PruneTo {
  static constexpr const char* name = "prune_to";
  double target = 0.0;
  PruneScope scope = PruneScope::per_layer;

  void validate() const { detail::require_in(limits::kSparsity, target, "target"); }
  int training_epochs() const { return 0; }
  void scale_epochs(double) {}
  std::string describe() const { return std::string(name) + "(" + detail::short_number(target) + ")"; }
  TrainStatus apply(Subject& subject, const StepInputs&) const {
    subject.net.visit([this](auto& net) { prune_to(net, target, scope); });
    return TrainStatus::ok;
  }
};

/// Removes `fraction` of the surviving weights: prune_to(min(s + (1 - s) f, cap)).
/// The defaults remove nothing and set no cap.
struct PruneRemaining {
  static constexpr const char* name = "prune_remaining";
  double fraction = 0.0;
  double cap = 1.0;
  PruneScope scope = PruneScope::per_layer;

  void validate() const {
    detail::require_in(limits::kSparsity, fraction, "fraction");
    detail::require_in(limits::kCap, cap, "cap");
  }
  int training_epochs() const { return 0; }
  void scale_epochs(double) {}
  std::string describe() const {
    return std::string(name) + "(" + detail::short_number(fraction) + ", cap " + detail::short_number(cap) + ")";
  }
  TrainStatus apply(Subject& subject, const StepInputs&) const {
    const double to = sparsity_after_removing(subject.net.sparsity(), fraction, cap);
    subject.net.visit([&](auto& net) { prune_to(net, to, scope); });
    return TrainStatus::ok;
  }
};

/// One protocol step.
using Step =
    std::variant<Train, TrainWithStress, TrainWithNoise, Regrow, Modulate, Discontinue, PruneTo, PruneRemaining>;

/// True if `S` has every operation of a step type (the list above).
template <class S, class = void>
struct is_step_type : std::false_type {};
template <class S>
struct is_step_type<
    S, std::void_t<decltype(std::string(S::name)), decltype(std::declval<const S&>().validate()),
                   decltype(int(std::declval<const S&>().training_epochs())),
                   decltype(std::declval<S&>().scale_epochs(1.0)),
                   decltype(std::string(std::declval<const S&>().describe())),
                   decltype(TrainStatus(std::declval<const S&>().apply(std::declval<Subject&>(),
                                                                       std::declval<const StepInputs&>())))>>
    : std::true_type {};

template <class V>
struct all_step_types;
template <class... S>
struct all_step_types<std::variant<S...>> : std::conjunction<is_step_type<S>...> {};
static_assert(all_step_types<Step>::value,
              "every alternative of Step must define name, validate, training_epochs, scale_epochs, "
              "describe and apply (see the list above Train)");

/// The name of the step's kind, e.g. "train".
inline const char* step_name(const Step& step) {
  return std::visit([](const auto& s) -> const char* { return s.name; }, step);
}

/// Throws SpecError naming the first bad value of `step` by its field.
inline void validate(const Step& step) {
  std::visit([](const auto& s) { s.validate(); }, step);
}

/// Short human-readable description, e.g. "train(15, lr 0.0005)".
inline std::string describe(const Step& step) {
  return std::visit([](const auto& s) { return s.describe(); }, step);
}

/// Epochs of training a step runs (0 for non-training steps).
inline int epochs_of(const Step& step) {
  return std::visit([](const auto& s) { return s.training_epochs(); }, step);
}

/// Multiplies the step's epoch count by `factor`, rounded half away from
/// zero, at least 1 (no-op for non-training steps). Throws
/// std::invalid_argument (and leaves the step unchanged) if the factor is
/// not finite and > 0 or the count would exceed the largest int.
inline void scale_epochs(Step& step, double factor) {
  std::visit([factor](auto& s) { s.scale_epochs(factor); }, step);
}

/// Applies one step to `subject`, training on `train_set` with `batch_size`.
/// `on_epoch` is called after every training epoch. Returns the training
/// status (ok for steps that do not train); a diverged one also sets
/// `subject.diverged`.
inline TrainStatus apply(Subject& subject, const Step& step, const TaskSet& train_set, Index batch_size,
                         const EpochCallback& on_epoch = {}) {
  validate(step);
  const StepInputs inputs{train_set, batch_size, on_epoch};
  const TrainStatus status = std::visit([&](const auto& s) { return s.apply(subject, inputs); }, step);
  if (status == TrainStatus::diverged) subject.diverged = true;
  return status;
}

}  // namespace rewire::protocol
