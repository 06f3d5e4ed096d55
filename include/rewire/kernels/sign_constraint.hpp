// rewire/kernels/sign_constraint.hpp - weights whose sign is fixed by their
// input unit (Dale's law: a unit is excitatory or inhibitory for every
// connection it makes). Forward beside backward.
//
// Parametrisation (the usual one): the layer stores a free parameter W and
// multiplies by the effective weight
//
//   W_eff[o,i] = |W[o,i]| * s[i],     s[i] = +1 (excitatory) or -1 (inhibitory),
//
// so no update of W can give a connection the wrong sign. Backward, by the
// chain rule through |.|:
//
//   dL/dW[o,i] = dL/dW_eff[o,i] * s[i] * sgn(W[o,i]),
//
// with sgn(0) taken as +1 (a subgradient of |.| at 0). Why +1 and not 0: at
// a pruned position (W = 0) the gradient is then dL/dW_eff * s[i], whose
// magnitude |dL/dW_eff| is what regrowth ranks by; a regrown weight that
// starts at exactly 0 can still move. Masked gradients are zeroed by the
// mask as usual. The sign factor is +-1, so |dL/dW| = |dL/dW_eff| everywhere.
//
// Shapes follow core/types.hpp: W (out x in), s (in); compact weights are
// the active entries in CSC order of a SparsePattern.
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/core/types.hpp>
#include <rewire/kernels/sparse_pattern.hpp>

#include <cmath>
#include <vector>

namespace rewire {

namespace detail {
/// sgn with sgn(0) = sgn(-0) = +1 (see the file comment).
template <typename T>
inline T sign_or_plus(T w) {
  return w < T(0) ? T(-1) : T(1);
}
}  // namespace detail

/// W_eff = |W| .* s, s broadcast along each column (s[i] scales column i).
template <typename T>
inline void signed_weight_forward(MatrixT<T>& W_eff, const MatrixT<T>& W, const VectorT<T>& s) {
  detail::require(s.size() == W.cols(), "signed_weight_forward: one sign per input unit is needed");
  W_eff.resize(W.rows(), W.cols());
  for (Index i = 0; i < W.cols(); ++i) W_eff.col(i) = W.col(i).cwiseAbs() * s[i];
}

/// dW = dW_eff .* s[i] .* sgn(W), in place (dW_eff becomes dW).
template <typename T>
inline void signed_weight_backward(MatrixT<T>& dW, const MatrixT<T>& W, const VectorT<T>& s) {
  detail::require_shape(dW.rows(), dW.cols(), W.rows(), W.cols(), "signed_weight_backward: dW (the shape of W)");
  detail::require(s.size() == W.cols(), "signed_weight_backward: one sign per input unit is needed");
  for (Index i = 0; i < W.cols(); ++i)
    for (Index o = 0; o < W.rows(); ++o) dW(o, i) *= s[i] * detail::sign_or_plus(W(o, i));
}

/// The same over compact values: w_eff[k] = |w[k]| * s[column of CSC entry k].
template <typename T>
inline void signed_weight_forward(std::vector<T>& w_eff, const std::vector<T>& w, const SparsePattern& p,
                                  const VectorT<T>& s) {
  detail::require(Index(w.size()) == p.nnz() && s.size() == p.cols,
                  "signed_weight_forward: values or signs do not fit the pattern");
  w_eff.resize(w.size());
  for (Index i = 0; i < p.cols; ++i)
    for (std::int32_t k = p.col_ptr[std::size_t(i)]; k < p.col_ptr[std::size_t(i) + 1]; ++k)
      w_eff[std::size_t(k)] = std::abs(w[std::size_t(k)]) * s[i];
}

/// dw[k] *= s[column of k] * sgn(w[k]) over compact values, in place.
template <typename T>
inline void signed_weight_backward(std::vector<T>& dw, const std::vector<T>& w, const SparsePattern& p,
                                   const VectorT<T>& s) {
  detail::require(Index(w.size()) == p.nnz() && dw.size() == w.size() && s.size() == p.cols,
                  "signed_weight_backward: values, gradients or signs do not fit the pattern");
  for (Index i = 0; i < p.cols; ++i)
    for (std::int32_t k = p.col_ptr[std::size_t(i)]; k < p.col_ptr[std::size_t(i) + 1]; ++k)
      dw[std::size_t(k)] *= s[i] * detail::sign_or_plus(w[std::size_t(k)]);
}

}  // namespace rewire
