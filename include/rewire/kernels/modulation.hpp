// rewire/kernels/modulation.hpp - what happens to a hidden layer's output
// after its activation: Gaussian noise injection ("stress"), then damping
// ("tonic inhibition"). Order: activation -> noise -> damping.
//
//   H = d * (A + sigma * N),  N ~ N(0, 1) fresh per unit and per sample.
//
// Backward: noise is additive and independent of the parameters, so it
// passes the gradient unchanged; damping scales it: dL/dA = d * dL/dH.
//
// Per unit (cell-type-specific modulation, nn/modulation.hpp): unit j (a
// column of the (batch, width) buffers) has its own activation f_j, noise
// scale s_j and damping d_j:
//
//   A[:, j] = f_j(Z[:, j]),  H[:, j] = d_j (A[:, j] + sigma s_j N[:, j])
//
// Backward, column by column: dL/dA[:, j] = d_j dL/dH[:, j], then
// dL/dZ[:, j] = dL/dA[:, j] * f_j'(Z[:, j]) (ReLU: [Z > 0]; tanh: 1 - A^2).
// The per-unit kernels are plain loops over columns; the uniform ones above
// are their fast path (tests/test_unit_modulation.cpp: they agree).
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/core/types.hpp>
#include <rewire/kernels/activation.hpp>
#include <rewire/random/noise_source.hpp>

#include <type_traits>
#include <vector>

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

// ---- per unit ---------------------------------------------------------------

/// A[:, j] = f_j(Z[:, j]): tanh where tanh[j] (detail::tanh_array, as
/// tanh_forward), else ReLU (NaN stays NaN). A must not be Z.
template <typename T>
inline void unit_activation_forward(MatrixT<T>& A, const MatrixT<T>& Z, const std::vector<unsigned char>& tanh) {
  detail::require(Index(tanh.size()) == Z.cols(), "unit_activation_forward: one activation per column of Z");
  A.resize(Z.rows(), Z.cols());
  for (Index j = 0; j < Z.cols(); ++j) {
    if (tanh[std::size_t(j)])
      detail::tanh_array(A.col(j).data(), Z.col(j).data(), Z.rows());  // columns are contiguous
    else
      A.col(j) = (Z.col(j).array() < T(0)).select(T(0), Z.col(j).array()).matrix();
  }
}

/// dZ[:, j] = dA[:, j] * f_j'(Z[:, j]): [Z > 0] for a ReLU unit, 1 - A^2 for
/// a tanh unit (A = tanh(Z) from the forward). In place (dZ = dA) is fine.
template <typename T>
inline void unit_activation_backward(MatrixT<T>& dZ, const MatrixT<T>& dA, const MatrixT<T>& Z, const MatrixT<T>& A,
                                     const std::vector<unsigned char>& tanh) {
  detail::require_shape(dA.rows(), dA.cols(), Z.rows(), Z.cols(), "unit_activation_backward: dA (the shape of Z)");
  detail::require_shape(A.rows(), A.cols(), Z.rows(), Z.cols(), "unit_activation_backward: A (the shape of Z)");
  detail::require(Index(tanh.size()) == Z.cols(), "unit_activation_backward: one activation per column of Z");
  dZ.resize(Z.rows(), Z.cols());
  for (Index j = 0; j < Z.cols(); ++j) {
    if (tanh[std::size_t(j)])
      dZ.col(j) = (dA.col(j).array() * (T(1) - A.col(j).array().square())).matrix();
    else
      dZ.col(j) = (Z.col(j).array() > T(0)).select(dA.col(j).array(), T(0)).matrix();
  }
}

/// H[:, j] += sigma * s_j * N[:, j]. The draws are those noise_forward would
/// make for the whole matrix (one per entry, in the same order), so a unit's
/// noise does not depend on the other units' scales; no draws when sigma == 0.
template <typename T>
inline void unit_noise_forward(MatrixT<T>& H, float sigma, const std::vector<float>& scale, NoiseSource& source) {
  if (!(sigma > 0.0f)) return;
  detail::require(Index(scale.size()) == H.cols(), "unit_noise_forward: one noise scale per column");
  Matrix draws = Matrix::Zero(H.rows(), H.cols());  // (rows, width): sigma * N
  source.add_normal(draws.data(), draws.size(), sigma);
  for (Index j = 0; j < H.cols(); ++j) H.col(j) += draws.col(j).template cast<T>() * T(scale[std::size_t(j)]);
}

/// H[:, j] *= d_j.
template <typename T>
inline void unit_damping_forward(MatrixT<T>& H, const std::vector<float>& d) {
  detail::require(Index(d.size()) == H.cols(), "unit_damping_forward: one damping per column");
  for (Index j = 0; j < H.cols(); ++j) H.col(j) *= T(d[std::size_t(j)]);
}

/// dA[:, j] = d_j * dH[:, j] (in place: dH becomes dA).
template <typename T>
inline void unit_damping_backward(MatrixT<T>& dH, const std::vector<float>& d) {
  unit_damping_forward(dH, d);
}

}  // namespace rewire
