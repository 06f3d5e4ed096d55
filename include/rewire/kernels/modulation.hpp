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

#include <type_traits>

namespace rewire {

/// H += sigma * N(0,1), one fresh draw per entry; no draws when sigma == 0.
template <typename T>
inline void noise_forward(MatrixT<T>& H, float sigma, NoiseSource& source) {
  if (!(sigma > 0.0f)) return;
  if constexpr (std::is_same_v<T, float>) {
    source.add_normal(H.data(), H.size(), sigma);
  } else {  // the generator is float; draw, then widen
    Matrix draws = Matrix::Zero(H.rows(), H.cols());
    source.add_normal(draws.data(), draws.size(), sigma);
    H += draws.cast<T>();
  }
}

/// H *= d.
template <typename T>
inline void damping_forward(MatrixT<T>& H, float d) {
  if (d != 1.0f) H *= T(d);
}

/// dA = d * dH (in place: dH becomes dA).
template <typename T>
inline void damping_backward(MatrixT<T>& dH, float d) {
  if (d != 1.0f) dH *= T(d);
}

}  // namespace rewire
