// rewire/kernels/activation.hpp - ReLU and tanh, each forward beside its backward.
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/core/types.hpp>
#include <rewire/kernels/fixed_math.hpp>

#include <cmath>
#include <string>
#include <type_traits>

namespace rewire {

/// Hidden-unit nonlinearity.
enum class Activation { relu, tanh };

/// "relu" / "tanh".
inline const char* to_string(Activation a) { return a == Activation::relu ? "relu" : "tanh"; }

/// Parses "relu" / "tanh"; throws std::invalid_argument otherwise.
inline Activation parse_activation(const std::string& name) {
  if (name == "relu") return Activation::relu;
  if (name == "tanh") return Activation::tanh;
  detail::require(false, "activation '" + name + "' is unknown (allowed: relu, tanh)");
  return Activation::relu;
}

/// A = max(Z, 0). A NaN in Z stays NaN (as in the fused sparse kernel), so a
/// diverging network reaches the loss as non-finite instead of being masked.
template <typename T>
inline void relu_forward(MatrixT<T>& A, const MatrixT<T>& Z) {
  A = (Z.array() < T(0)).select(T(0), Z.array()).matrix();
}

/// dZ = dA * [Z > 0]. (ReLU'(0) = 0, as in PyTorch.)
template <typename T>
inline void relu_backward(MatrixT<T>& dZ, const MatrixT<T>& dA, const MatrixT<T>& Z) {
  detail::require_shape(dA.rows(), dA.cols(), Z.rows(), Z.cols(), "relu_backward: dA (the shape of Z)");
  dZ = (Z.array() > T(0)).select(dA, T(0));
}

namespace detail {
/// out[i] = tanh(in[i]) for i < n. float (what trains): tanh_fixed, the same
/// bits on every CPU and compiler (kernels/fixed_math.hpp; Eigen's tanh
/// depends on the vector width). double is the reference type of the
/// finite-difference gradient checks: std::tanh, in a plain loop.
template <typename T>
inline void tanh_array(T* out, const T* in, Index n) {
  if constexpr (std::is_same_v<T, float>) {
    tanh_fixed(out, in, n);
  } else {
    for (Index i = 0; i < n; ++i) out[i] = std::tanh(in[i]);
  }
}
}  // namespace detail

/// A = tanh(Z) (detail::tanh_array: our own tanh for float). A may be Z.
template <typename T>
inline void tanh_forward(MatrixT<T>& A, const MatrixT<T>& Z) {
  A.resize(Z.rows(), Z.cols());
  detail::tanh_array(A.data(), Z.data(), Z.size());
}

/// dZ = dA * (1 - A^2), with A = tanh(Z) saved by the forward.
template <typename T>
inline void tanh_backward(MatrixT<T>& dZ, const MatrixT<T>& dA, const MatrixT<T>& A) {
  detail::require_shape(dA.rows(), dA.cols(), A.rows(), A.cols(), "tanh_backward: dA (the shape of A)");
  dZ = (dA.array() * (T(1) - A.array().square())).matrix();
}

/// A = f(Z) for the chosen activation.
template <typename T>
inline void activation_forward(Activation f, MatrixT<T>& A, const MatrixT<T>& Z) {
  if (f == Activation::relu)
    relu_forward(A, Z);
  else
    tanh_forward(A, Z);
}

/// dZ = dA * f'(Z); needs the forward's Z (ReLU) or A (tanh).
template <typename T>
inline void activation_backward(Activation f, MatrixT<T>& dZ, const MatrixT<T>& dA, const MatrixT<T>& Z,
                                const MatrixT<T>& A) {
  if (f == Activation::relu)
    relu_backward(dZ, dA, Z);
  else
    tanh_backward(dZ, dA, A);
}

}  // namespace rewire
