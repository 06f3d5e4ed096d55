// rewire/kernels/sparse_reference.hpp - the sparse kernels' summation
// contract (kernels/sparse_tiles.hpp) written out as plain loops, one output
// at a time: no tiles, no blocks of packed operands, no epilogues, no
// skipped zero columns. tests/test_sparse_contract.cpp checks that the fast
// kernels of kernels/sparse_linear.hpp give exactly these bits.
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/core/types.hpp>
#include <rewire/kernels/sparse_pattern.hpp>
#include <rewire/kernels/sparse_sddmm.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

namespace rewire {

/// Y(n, o) = b[o], then fma(W[o, i], X(n, i), .) over the row's active
/// inputs i in increasing order (the CSR order of p).
template <typename T>
void sparse_linear_forward_reference(MatrixT<T>& Y, const MatrixT<T>& X, const SparsePattern& p,
                                     const std::vector<T>& w_csc, const VectorT<T>& b) {
  detail::require_shape(X.cols(), b.size(), p.cols, p.rows, "sparse_linear_forward_reference: (inputs, bias)");
  Y.resize(X.rows(), p.rows);
  for (Index n = 0; n < X.rows(); ++n)
    for (Index o = 0; o < p.rows; ++o) {
      T acc = b[o];
      for (std::int32_t k = p.row_ptr[std::size_t(o)]; k < p.row_ptr[std::size_t(o) + 1]; ++k)
        acc = std::fma(w_csc[std::size_t(p.csr_to_csc[std::size_t(k)])], X(n, p.col_index[std::size_t(k)]), acc);
      Y(n, o) = acc;
    }
}

/// dX(n, i) = 0, then fma(W[o, i], dY(n, o), .) over the column's active
/// outputs o in increasing order (the CSC order of p).
template <typename T>
void sparse_linear_backward_input_reference(MatrixT<T>& dX, const MatrixT<T>& dY, const SparsePattern& p,
                                            const std::vector<T>& w_csc) {
  detail::require(dY.cols() == p.rows, "sparse_linear_backward_input_reference: dY has the wrong number of columns");
  dX.resize(dY.rows(), p.cols);
  for (Index n = 0; n < dY.rows(); ++n)
    for (Index i = 0; i < p.cols; ++i) {
      T acc = T(0);
      for (std::int32_t k = p.col_ptr[std::size_t(i)]; k < p.col_ptr[std::size_t(i) + 1]; ++k)
        acc = std::fma(w_csc[std::size_t(k)], dY(n, p.row_index[std::size_t(k)]), acc);
      dX(n, i) = acc;
    }
}

namespace detail {
/// One reduction over samples n in [0, N) of term(n), in the contract's
/// order: blocks of kReduceBlock samples; in a block, sample j feeds chain
/// j mod kLanes through step(chain, n); chains folded pairwise; each block's
/// result added to `out` (or stored, for the first block when !add).
template <typename T, class Step>
void reduce_reference(T& out, bool add, Index N, Step step) {
  for (Index b0 = 0; b0 < N; b0 += kReduceBlock) {
    std::vector<T> chain(std::size_t(kLanes), T(0));
    for (Index n = b0; n < std::min(N, b0 + kReduceBlock); ++n) {
      T& c = chain[std::size_t((n - b0) % kLanes)];
      c = step(c, n);
    }
    for (int width = kLanes / 2; width >= 1; width /= 2)
      for (int l = 0; l < width; ++l) chain[std::size_t(l)] = chain[std::size_t(l)] + chain[std::size_t(l + width)];
    out = (add || b0 > 0) ? out + chain[0] : chain[0];
  }
}
}  // namespace detail

/// dw_csc[k] = sum_n dY(n, o) X(n, i) at every active (o, i) and db[o] =
/// sum_n dY(n, o), each in the reduction order of the contract; with `add`
/// the sums are added to the given values. N = 0 gives zeros (or, with
/// `add`, the given values).
template <typename T>
void sparse_linear_backward_params_reference(std::vector<T>& dw_csc, VectorT<T>& db, const MatrixT<T>& dY,
                                             const MatrixT<T>& X, const SparsePattern& p, bool add = false) {
  detail::require(dY.rows() == X.rows() && dY.cols() == p.rows && X.cols() == p.cols,
                  "sparse_linear_backward_params_reference: shapes of dY and X");
  if (!add) {
    dw_csc.assign(std::size_t(p.nnz()), T(0));
    db = VectorT<T>::Zero(p.rows);
  }
  const Index N = X.rows();
  for (Index i = 0; i < p.cols; ++i)
    for (std::int32_t k = p.col_ptr[std::size_t(i)]; k < p.col_ptr[std::size_t(i) + 1]; ++k) {
      const Index o = p.row_index[std::size_t(k)];
      detail::reduce_reference(dw_csc[std::size_t(k)], add, N,
                               [&](T c, Index n) { return std::fma(X(n, i), dY(n, o), c); });
    }
  for (Index o = 0; o < p.rows; ++o)
    detail::reduce_reference(db[o], add, N, [&](T c, Index n) { return c + dY(n, o); });
}

}  // namespace rewire
