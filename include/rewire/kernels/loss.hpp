// rewire/kernels/loss.hpp - fused softmax + cross-entropy, and accuracy.
//
// The loss owns the batch normalisation: L = (1/B) sum_n -log p[n, y_n], so
// its gradient is dL/dlogits = (P - onehot(y)) / B.
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/core/types.hpp>

#include <cmath>

namespace rewire {

/// P = softmax(logits) row by row (max-subtracted, so exp never overflows);
/// returns the mean cross-entropy over the batch. Labels must be in
/// [0, classes).
template <typename T>
inline double softmax_cross_entropy_forward(MatrixT<T>& P, const MatrixT<T>& logits, const Labels& y) {
  const Index batch = logits.rows(), classes = logits.cols();
  detail::require(y.size() == batch, "labels: one label per sample is required");
  P.resize(batch, classes);
  double total = 0.0;
  for (Index n = 0; n < batch; ++n) {
    detail::require(y[n] >= 0 && y[n] < classes, "label out of range [0, classes)");
    const T max = logits.row(n).maxCoeff();
    double sum = 0.0;
    for (Index c = 0; c < classes; ++c) {
      P(n, c) = std::exp(logits(n, c) - max);
      sum += P(n, c);
    }
    for (Index c = 0; c < classes; ++c) P(n, c) = T(double(P(n, c)) / sum);
    // -log p_y = log(sum) - (z_y - max), computed without log(p) underflow.
    total += std::log(sum) - double(logits(n, y[n]) - max);
  }
  return batch > 0 ? total / double(batch) : 0.0;
}

/// dlogits = (P - onehot(y)) / B.
template <typename T>
inline void softmax_cross_entropy_backward(MatrixT<T>& dlogits, const MatrixT<T>& P, const Labels& y) {
  const Index batch = P.rows();
  detail::require(y.size() == batch, "labels: one label per sample is required");
  for (Index n = 0; n < batch; ++n)
    detail::require(y[n] >= 0 && y[n] < P.cols(), "label out of range [0, classes)");
  dlogits = P / T(batch);
  for (Index n = 0; n < batch; ++n) dlogits(n, y[n]) -= T(1) / T(batch);
}

/// The predicted class of row n: its arg-max logit, the first maximum on ties.
template <typename T>
inline Index predicted_class(const MatrixT<T>& logits, Index n) {
  Index best = 0;
  for (Index c = 1; c < logits.cols(); ++c)
    if (logits(n, c) > logits(n, best)) best = c;
  return best;
}

/// Number of rows whose predicted class (predicted_class) equals the label.
template <typename T>
inline Index count_correct(const MatrixT<T>& logits, const Labels& y) {
  detail::require(y.size() == logits.rows(), "labels: one label per sample is required");
  Index correct = 0;
  for (Index n = 0; n < logits.rows(); ++n) {
    detail::require(y[n] >= 0 && y[n] < logits.cols(), "label out of range [0, classes)");
    correct += (predicted_class(logits, n) == y[n]);
  }
  return correct;
}

}  // namespace rewire
