// rewire/kernels/linear.hpp - the dense (masked) fully connected layer kernels.
//
// Shapes follow core/types.hpp: X (batch x in), W (out x in), b (out),
// Y (batch x out). Each forward has its backward right below it.
//
// Masking convention: a masked layer keeps the invariant W == W .* M (pruned
// weights are exactly zero), so the forward needs no mask. Only the weight
// gradient is masked, so that the optimiser never moves a pruned weight.
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/core/types.hpp>

namespace rewire {

/// Y = X W^T + b.
template <typename T>
inline void linear_forward(MatrixT<T>& Y, const MatrixT<T>& X, const MatrixT<T>& W, const VectorT<T>& b) {
  detail::require(X.cols() == W.cols(), "linear_forward: X has the wrong number of columns (in features)");
  detail::require(b.size() == W.rows(), "linear_forward: b has the wrong size (out features)");
  Y.resize(X.rows(), W.rows());
  Y.noalias() = X * W.transpose();
  Y.rowwise() += b.transpose();
}

/// dX = dY W: the gradient of the loss with respect to the layer input.
/// (dL/dX[n,i] = sum_o dL/dY[n,o] * W[o,i].)
template <typename T>
inline void linear_backward_input(MatrixT<T>& dX, const MatrixT<T>& dY, const MatrixT<T>& W) {
  detail::require(dY.cols() == W.rows(), "linear_backward_input: dY has the wrong number of columns (out features)");
  dX.resize(dY.rows(), W.cols());
  dX.noalias() = dY * W;
}

/// dW = dY^T X (then .* M when `mask` is given), db = column sums of dY.
/// (dL/dW[o,i] = sum_n dL/dY[n,o] * X[n,i];  dL/db[o] = sum_n dL/dY[n,o].)
/// With `mask == nullptr` (the default) the full, unmasked gradient is
/// produced: regrowth needs it to score pruned positions.
template <typename T>
inline void linear_backward_params(MatrixT<T>& dW, VectorT<T>& db, const MatrixT<T>& dY, const MatrixT<T>& X,
                                   const detail::NonDeduced<MatrixT<T>>* mask = nullptr) {
  detail::require(dY.rows() == X.rows(), "linear_backward_params: dY and X have different batch sizes");
  if (mask != nullptr)
    detail::require_shape(mask->rows(), mask->cols(), dY.cols(), X.cols(), "linear_backward_params: mask");
  dW.resize(dY.cols(), X.cols());
  dW.noalias() = dY.transpose() * X;
  if (mask != nullptr) dW.array() *= mask->array();
  db = dY.colwise().sum().transpose();
}

/// dW += dY^T X, db += column sums of dY (dW, db of the right shape): the
/// sum of linear_backward_params' unmasked results over several batches
/// that share the weights (the steps of a sequence).
template <typename T>
inline void linear_backward_params_add(MatrixT<T>& dW, VectorT<T>& db, const MatrixT<T>& dY, const MatrixT<T>& X) {
  detail::require(dY.rows() == X.rows(), "linear_backward_params_add: dY and X have different batch sizes");
  detail::require_shape(dW.rows(), dW.cols(), dY.cols(), X.cols(), "linear_backward_params_add: dW");
  detail::require(db.size() == dY.cols(), "linear_backward_params_add: db has the wrong size");
  dW.noalias() += dY.transpose() * X;
  db += dY.colwise().sum().transpose();
}

/// Plain-loop reference of linear_forward (tests compare every fast path
/// against it). O(batch * out * in), no blocking, no vectorisation tricks.
template <typename T>
inline void linear_forward_naive(MatrixT<T>& Y, const MatrixT<T>& X, const MatrixT<T>& W, const VectorT<T>& b) {
  Y.resize(X.rows(), W.rows());
  for (Index n = 0; n < X.rows(); ++n)
    for (Index o = 0; o < W.rows(); ++o) {
      double acc = double(b[o]);
      for (Index i = 0; i < W.cols(); ++i) acc += double(X(n, i)) * double(W(o, i));
      Y(n, o) = T(acc);
    }
}

/// Plain-loop reference of linear_backward_input.
template <typename T>
inline void linear_backward_input_naive(MatrixT<T>& dX, const MatrixT<T>& dY, const MatrixT<T>& W) {
  dX.resize(dY.rows(), W.cols());
  for (Index n = 0; n < dY.rows(); ++n)
    for (Index i = 0; i < W.cols(); ++i) {
      double acc = 0;
      for (Index o = 0; o < W.rows(); ++o) acc += double(dY(n, o)) * double(W(o, i));
      dX(n, i) = T(acc);
    }
}

/// Plain-loop reference of linear_backward_params.
template <typename T>
inline void linear_backward_params_naive(MatrixT<T>& dW, VectorT<T>& db, const MatrixT<T>& dY,
                                         const MatrixT<T>& X, const MatrixT<T>* mask) {
  dW.resize(dY.cols(), X.cols());
  db.resize(dY.cols());
  for (Index o = 0; o < dY.cols(); ++o) {
    double bacc = 0;
    for (Index n = 0; n < dY.rows(); ++n) bacc += double(dY(n, o));
    db[o] = T(bacc);
    for (Index i = 0; i < X.cols(); ++i) {
      double acc = 0;
      for (Index n = 0; n < dY.rows(); ++n) acc += double(dY(n, o)) * double(X(n, i));
      dW(o, i) = (mask != nullptr && (*mask)(o, i) == T(0)) ? T(0) : T(acc);
    }
  }
}

}  // namespace rewire
