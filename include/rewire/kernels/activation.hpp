// rewire/kernels/activation.hpp - ReLU and tanh, each forward beside its backward.
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/core/types.hpp>

#include <string>

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

/// A = tanh(Z) (Eigen's vectorised tanh; a std::tanh loop does not vectorise).
template <typename T>
inline void tanh_forward(MatrixT<T>& A, const MatrixT<T>& Z) { A = Z.array().tanh().matrix(); }

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
