// rewire/kernels/loss.hpp - fused softmax + cross-entropy, and accuracy.
//
// The loss owns the batch normalisation: L = (1/B) sum_n -log p[n, y_n], so
// its gradient is dL/dlogits = (P - onehot(y)) / B.
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/core/types.hpp>
#include <rewire/kernels/fixed_math.hpp>

#include <cmath>
#include <cstdint>
#include <string>
#include <type_traits>

namespace rewire {

namespace detail {

/// e^x: for float (what trains) exp_fixed, the same bits on every CPU and
/// compiler (kernels/fixed_math.hpp; libm's exp is not); for double, the
/// reference type of the finite-difference gradient checks, std::exp.
template <typename T>
inline T softmax_exp(T x) {
  if constexpr (std::is_same_v<T, float>)
    return exp_fixed(x);
  else
    return std::exp(x);
}

/// P.row(r) = softmax(logits.row(r)) (max-subtracted); returns -log P[r, label].
/// The log of the sum is log_fixed (libm's log differs between libraries).
template <typename T>
inline double softmax_row(MatrixT<T>& P, const MatrixT<T>& logits, Index r, std::int32_t label) {
  const Index classes = logits.cols();
  const T max = logits.row(r).maxCoeff();
  double sum = 0.0;
  for (Index c = 0; c < classes; ++c) {
    P(r, c) = softmax_exp(T(logits(r, c) - max));
    sum += P(r, c);
  }
  for (Index c = 0; c < classes; ++c) P(r, c) = T(double(P(r, c)) / sum);
  // -log p_y = log(sum) - (z_y - max), computed without log(p) underflow.
  return log_fixed(sum) - double(logits(r, label) - max);
}

}  // namespace detail

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
    total += detail::softmax_row(P, logits, n, y[n]);
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

// --- a loss on chosen steps of a sequence ----------------------------------
//
// Logits of a sequence are step-major (core/types.hpp): row t*N + n is
// sample n at step t. Step t counts with weight w_t >= 0 (the response
// period: 1 on its steps, 0 elsewhere), and the loss is the weighted mean
// over the counted (step, sample) pairs:
//
//   L = (1 / (N W)) sum_t w_t sum_n -log P[t*N + n, y_n],   W = sum_t w_t,
//
// so dL/dlogits[t*N + n] = w_t (P[t*N + n] - onehot(y_n)) / (N W), and zero
// at the steps that do not count.

namespace detail {
/// Checks (logits, labels, weights) of a sequence; returns sum_t w_t.
template <typename T>
inline double require_sequence(const MatrixT<T>& logits, const Labels& y, const VectorT<T>& w) {
  require(w.size() >= 1 && y.size() >= 1 && logits.rows() == w.size() * y.size(),
          "sequence logits have " + std::to_string(logits.rows()) + " rows, expected steps * samples = " +
              std::to_string(w.size()) + " * " + std::to_string(y.size()));
  require(w.allFinite() && (w.array() >= T(0)).all(), "step weights must be finite and >= 0");
  const double total = double(w.template cast<double>().sum());
  require(total > 0.0, "no step counts (every step weight is 0)");
  for (Index n = 0; n < y.size(); ++n) require(y[n] >= 0 && y[n] < logits.cols(), "label out of range [0, classes)");
  return total;
}
}  // namespace detail

/// P = softmax of the rows of the counted steps (rows of the other steps are
/// 0); returns L above. `logits` (steps*N, classes), `y` (N), `w` (steps).
template <typename T>
inline double sequence_cross_entropy_forward(MatrixT<T>& P, const MatrixT<T>& logits, const Labels& y,
                                             const VectorT<T>& w) {
  const double W = detail::require_sequence(logits, y, w);
  const Index N = y.size();
  P = MatrixT<T>::Zero(logits.rows(), logits.cols());
  double total = 0.0;
  for (Index t = 0; t < w.size(); ++t) {
    if (w[t] == T(0)) continue;
    double step = 0.0;
    for (Index n = 0; n < N; ++n) step += detail::softmax_row(P, logits, t * N + n, y[n]);
    total += double(w[t]) * step;
  }
  return total / (double(N) * W);
}

/// dlogits[t*N + n] = w_t (P[t*N + n] - onehot(y_n)) / (N W); 0 where w_t = 0.
template <typename T>
inline void sequence_cross_entropy_backward(MatrixT<T>& dlogits, const MatrixT<T>& P, const Labels& y,
                                            const VectorT<T>& w) {
  const double W = detail::require_sequence(P, y, w);
  const Index N = y.size();
  dlogits = MatrixT<T>::Zero(P.rows(), P.cols());
  for (Index t = 0; t < w.size(); ++t) {
    if (w[t] == T(0)) continue;
    const T scale = T(double(w[t]) / (double(N) * W));
    for (Index n = 0; n < N; ++n) {
      dlogits.row(t * N + n) = scale * P.row(t * N + n);
      dlogits(t * N + n, y[n]) -= scale;
    }
  }
}

/// The readout a sequence's decision is read from: out.row(n) = sum_t w_t
/// logits.row(t*N + n), (N x classes) for N = logits.rows() / w.size(). Its
/// arg-max (predicted_class) is the decision over the counted steps.
template <typename T>
inline void response_readout(MatrixT<T>& out, const MatrixT<T>& logits, const VectorT<T>& w) {
  detail::require(w.size() >= 1 && logits.rows() % w.size() == 0,
                  "response_readout: the logits' rows are not a whole number of steps");
  const Index N = logits.rows() / w.size();
  out = MatrixT<T>::Zero(N, logits.cols());
  for (Index t = 0; t < w.size(); ++t)
    if (w[t] != T(0)) out += w[t] * logits.middleRows(t * N, N);
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
