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

/// A = max(Z, 0).
inline void relu_forward(Matrix& A, const Matrix& Z) { A = Z.cwiseMax(0.0f); }

/// dZ = dA * [Z > 0]. (ReLU'(0) = 0, as in PyTorch.)
inline void relu_backward(Matrix& dZ, const Matrix& dA, const Matrix& Z) {
  REWIRE_ASSERT(dA.rows() == Z.rows() && dA.cols() == Z.cols());
  dZ = (Z.array() > 0.0f).select(dA, 0.0f);
}

/// A = tanh(Z) (Eigen's vectorised tanh: a std::tanh loop is ~50x slower).
inline void tanh_forward(Matrix& A, const Matrix& Z) { A = Z.array().tanh().matrix(); }

/// dZ = dA * (1 - A^2), with A = tanh(Z) saved by the forward.
inline void tanh_backward(Matrix& dZ, const Matrix& dA, const Matrix& A) {
  REWIRE_ASSERT(dA.rows() == A.rows() && dA.cols() == A.cols());
  dZ = (dA.array() * (1.0f - A.array().square())).matrix();
}

/// A = f(Z) for the chosen activation.
inline void activation_forward(Activation f, Matrix& A, const Matrix& Z) {
  if (f == Activation::relu)
    relu_forward(A, Z);
  else
    tanh_forward(A, Z);
}

/// dZ = dA * f'(Z); needs the forward's Z (ReLU) or A (tanh).
inline void activation_backward(Activation f, Matrix& dZ, const Matrix& dA, const Matrix& Z,
                                const Matrix& A) {
  if (f == Activation::relu)
    relu_backward(dZ, dA, Z);
  else
    tanh_backward(dZ, dA, A);
}

}  // namespace rewire
