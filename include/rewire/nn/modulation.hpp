// rewire/nn/modulation.hpp - the run-time state of a network's hidden
// units (which nonlinearity, how much internal noise, what damping), shared
// by every network kind so that a modulation step means the same thing for
// each, and a scope that switches the noise for the length of a call.
//
// The state is uniform (every unit alike: the fields activation, damping)
// or per unit (Modulation::units, one UnitModulation per hidden layer: a
// subset of units, a "cell type", modulated differently from the rest).
// Exactly one form is the master at any moment: while `units` is empty the
// uniform fields hold every unit's state; once it is filled it holds every
// unit's state and activation/damping are not read. modulate_units() is the
// one place where the form changes, and it returns to the uniform form as
// soon as every unit agrees again (so an unmodulated network always runs
// the uniform kernels).
//
// Where each quantity enters is the network's to state: the Mlp adds the
// noise after the activation (nn/mlp.hpp), the recurrent network inside it
// (nn/rnn.hpp); the damping multiplies the units' output in both.
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/core/types.hpp>
#include <rewire/kernels/activation.hpp>

#include <cmath>
#include <optional>
#include <string>
#include <vector>

namespace rewire {

/// One hidden layer's units, unit by unit: entry j is unit j's state.
struct UnitModulation {
  std::vector<unsigned char> tanh;  ///< (width): 1 where unit j computes tanh, 0 where ReLU
  std::vector<float> damping;       ///< (width): d_j, multiplies unit j's output, >= 0
  std::vector<float> noise_scale;   ///< (width): s_j, unit j's internal noise is noise_sigma * s_j, >= 0

  Index width() const { return Index(tanh.size()); }
  bool operator==(const UnitModulation& o) const {
    return tanh == o.tanh && damping == o.damping && noise_scale == o.noise_scale;
  }
  bool operator!=(const UnitModulation& o) const { return !(*this == o); }
};

/// Run-time state of the hidden units: which nonlinearity, how much internal
/// noise ("stress" sigma) and what damping factor ("inhibition"), for every
/// unit alike or unit by unit (see the top of this file).
struct Modulation {
  Activation activation = Activation::relu;  ///< every unit's, while `units` is empty
  float noise_sigma = 0.0f;                  ///< >= 0; 0 means no draws at all
  float damping = 1.0f;                      ///< multiplies every hidden output, >= 0, while `units` is empty
  /// Per hidden layer (Mlp: layers 1..L-1; Rnn: its recurrent units), every
  /// unit's own state; empty: the uniform state above.
  std::vector<UnitModulation> units{};

  bool per_unit() const { return !units.empty(); }

  bool operator==(const Modulation& o) const {
    return activation == o.activation && noise_sigma == o.noise_sigma && damping == o.damping && units == o.units;
  }
  bool operator!=(const Modulation& o) const { return !(*this == o); }

  /// Throws std::invalid_argument on a negative/NaN sigma or damping, a
  /// negative/NaN per-unit damping or noise scale, or per-unit vectors of
  /// unequal lengths.
  void validate() const {
    detail::require_non_negative(noise_sigma, "noise_sigma");
    detail::require_non_negative(damping, "damping");
    for (const UnitModulation& u : units) {
      detail::require(u.damping.size() == u.tanh.size() && u.noise_scale.size() == u.tanh.size() && !u.tanh.empty(),
                      "per-unit modulation: tanh, damping and noise_scale need one entry per unit");
      for (float d : u.damping) detail::require_non_negative(d, "per-unit damping");
      for (float s : u.noise_scale) detail::require_non_negative(s, "per-unit noise_scale");
    }
  }

  /// Throws std::invalid_argument unless the per-unit form (if any) fits a
  /// network whose hidden layers have `widths` units.
  void require_fits(const std::vector<Index>& widths) const {
    if (!per_unit()) return;
    detail::require(units.size() == widths.size(),
                    "per-unit modulation has " + std::to_string(units.size()) + " layers, the network " +
                        std::to_string(widths.size()) + " hidden layers");
    for (std::size_t l = 0; l < widths.size(); ++l)
      detail::require(units[l].width() == widths[l], "per-unit modulation of hidden layer " + std::to_string(l + 1) +
                                                         " has " + std::to_string(units[l].width()) +
                                                         " units, the layer " + std::to_string(widths[l]));
  }
};

/// What a modulation changes in the units it applies to; unset: unchanged.
struct UnitChange {
  std::optional<Activation> activation{};
  std::optional<float> damping{};      ///< >= 0
  std::optional<float> noise_scale{};  ///< >= 0: multiplies the internal noise sigma of the units
};

/// Which units of each hidden layer a modulation applies to: per layer, 1
/// for a chosen unit. Empty: every unit.
using UnitSelection = std::vector<std::vector<unsigned char>>;

namespace detail {
inline UnitModulation expand_uniform(const Modulation& m, Index width) {
  const std::size_t n = std::size_t(width);
  return {std::vector<unsigned char>(n, m.activation == Activation::tanh ? 1 : 0), std::vector<float>(n, m.damping),
          std::vector<float>(n, 1.0f)};
}

/// Back to the uniform form when every unit has one activation and damping
/// and no unit's noise is scaled.
inline void collapse_if_uniform(Modulation& m) {
  if (!m.per_unit()) return;
  const unsigned char tanh = m.units.front().tanh.front();
  const float d = m.units.front().damping.front();
  for (const UnitModulation& u : m.units)
    for (std::size_t j = 0; j < u.tanh.size(); ++j)
      if (u.tanh[j] != tanh || u.damping[j] != d || u.noise_scale[j] != 1.0f) return;
  m.activation = tanh ? Activation::tanh : Activation::relu;
  m.damping = d;
  m.units.clear();
}
}  // namespace detail

/// Applies `change` to the units `selected` (empty: all) of a network whose
/// hidden layers have `widths` units. Every unit alike stays (or becomes)
/// the uniform form; otherwise the per-unit form holds every unit. Throws
/// std::invalid_argument on a negative damping or noise scale, or a
/// selection that does not fit `widths`.
inline void modulate_units(Modulation& m, const std::vector<Index>& widths, const UnitChange& change,
                           const UnitSelection& selected = {}) {
  if (change.damping) detail::require_non_negative(*change.damping, "damping");
  if (change.noise_scale) detail::require_non_negative(*change.noise_scale, "noise_scale");
  m.require_fits(widths);
  const bool scaled = change.noise_scale && *change.noise_scale != 1.0f;
  if (selected.empty() && !m.per_unit() && !scaled) {  // the uniform form stays uniform
    if (change.activation) m.activation = *change.activation;
    if (change.damping) m.damping = *change.damping;
    return;
  }
  detail::require(selected.empty() || selected.size() == widths.size(),
                  "a unit selection needs one entry per hidden layer");
  if (!m.per_unit())
    for (Index w : widths) m.units.push_back(detail::expand_uniform(m, w));
  for (std::size_t l = 0; l < m.units.size(); ++l) {
    UnitModulation& u = m.units[l];
    detail::require(selected.empty() || Index(selected[l].size()) == u.width(),
                    "a unit selection needs one entry per unit of hidden layer " + std::to_string(l + 1));
    for (std::size_t j = 0; j < u.tanh.size(); ++j) {
      if (!selected.empty() && !selected[l][j]) continue;
      if (change.activation) u.tanh[j] = *change.activation == Activation::tanh ? 1 : 0;
      if (change.damping) u.damping[j] = *change.damping;
      if (change.noise_scale) u.noise_scale[j] = *change.noise_scale;
    }
  }
  detail::collapse_if_uniform(m);
}

/// Back to the state of a network never modulated: ReLU, damping 1, no
/// per-unit state (the noise sigma, set by training and evaluation, stays).
inline void reset_modulation(Modulation& m) {
  m.activation = Activation::relu;
  m.damping = 1.0f;
  m.units.clear();
}

/// Sets a network's internal noise sigma for a scope and restores the old
/// value when the scope ends, also when an exception leaves it. Works on any
/// network with a modulation() (Mlp, Rnn).
class ScopedNoiseSigma {
 public:
  template <class Net>
  ScopedNoiseSigma(Net& net, float sigma) : modulation_(net.modulation()), saved_(modulation_.noise_sigma) {
    set(sigma);
  }
  ~ScopedNoiseSigma() { modulation_.noise_sigma = saved_; }
  ScopedNoiseSigma(const ScopedNoiseSigma&) = delete;
  ScopedNoiseSigma& operator=(const ScopedNoiseSigma&) = delete;

  /// Changes the sigma within the scope.
  void set(float sigma) { modulation_.noise_sigma = sigma; }

 private:
  Modulation& modulation_;
  float saved_;
};

}  // namespace rewire
