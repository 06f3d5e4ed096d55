// rewire/kernels/modulation.hpp - what happens to a hidden layer's output
// after its activation: Gaussian noise injection ("stress"), then damping
// ("tonic inhibition"). Order: activation -> noise -> damping.
//
//   H = d * (A + sigma * N),  N ~ N(0, 1) fresh per unit and per sample.
//
// Backward: noise is additive and independent of the parameters, so it
// passes the gradient unchanged; damping scales it: dL/dA = d * dL/dH.
#pragma once

#include <rewire/core/types.hpp>
#include <rewire/random/noise_source.hpp>

namespace rewire {

/// H += sigma * N(0,1), one fresh draw per entry; no draws when sigma == 0.
inline void noise_forward(Matrix& H, float sigma, NoiseSource& source) {
  if (sigma > 0.0f) source.add_normal(H.data(), H.size(), sigma);
}

/// H *= d.
inline void damping_forward(Matrix& H, float d) {
  if (d != 1.0f) H *= d;
}

/// dA = d * dH (in place: dH becomes dA).
inline void damping_backward(Matrix& dH, float d) {
  if (d != 1.0f) dH *= d;
}

}  // namespace rewire
