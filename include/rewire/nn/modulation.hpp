// rewire/nn/modulation.hpp - the run-time state of a network's hidden
// units (which nonlinearity, how much internal noise, what damping), shared
// by every network kind so that a modulation step means the same thing for
// each, and a scope that switches the noise for the length of a call.
//
// Where each quantity enters is the network's to state: the Mlp adds the
// noise after the activation (nn/mlp.hpp), the recurrent network inside it
// (nn/rnn.hpp); the damping multiplies the units' output in both.
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/kernels/activation.hpp>

#include <cmath>

namespace rewire {

/// Run-time state of the hidden units: which nonlinearity, how much internal
/// noise ("stress" sigma) and what damping factor ("inhibition").
struct Modulation {
  Activation activation = Activation::relu;
  float noise_sigma = 0.0f;  ///< >= 0; 0 means no draws at all
  float damping = 1.0f;      ///< multiplies every hidden output, >= 0

  /// Throws std::invalid_argument on a negative/NaN sigma or damping.
  void validate() const {
    detail::require_non_negative(noise_sigma, "noise_sigma");
    detail::require_non_negative(damping, "damping");
  }
};

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
