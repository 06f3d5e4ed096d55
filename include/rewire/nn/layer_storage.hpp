// rewire/nn/layer_storage.hpp - the two forms in which a MaskedLinear
// (nn/masked_linear.hpp) holds its one copy of the weights and gradient, and
// the scratch its kernels compute in.
#pragma once

#include <rewire/core/types.hpp>
#include <rewire/kernels/dense_gemm.hpp>
#include <rewire/kernels/sparse_linear.hpp>
#include <rewire/kernels/sparse_pattern.hpp>

#include <vector>

namespace rewire {

namespace detail {

/// A layer's weights and gradient as full matrices (masked entries zero).
template <typename T>
struct DenseWeights {
  MatrixT<T> value;  // (out, in): W
  MatrixT<T> grad;   // (out, in): dL/dW of the last backward
};

/// A layer's active weights and their gradient, in CSC order of `pattern`.
template <typename T>
struct CompactWeights {
  SparsePattern pattern;  // index of the mask
  std::vector<T> value;   // W at the active entries
  std::vector<T> grad;    // dL/dW at the active entries
  /// The full (out x in) dL/dW after a GradientMode::full backward (regrowth
  /// scoring), empty after a masked one. `grad` is gathered from it in the
  /// same call, so the two cannot disagree.
  MatrixT<T> full_grad;
};

}  // namespace detail

/// The buffers a layer's forward and input gradient work in, owned by the
/// caller (one per thread; calls that share one must not run at once): the
/// sparse kernels' batch block and, for a sign-constrained layer, the
/// effective weights |W| .* s of the call (rebuilt on every call, so they
/// can never be stale: O(out * in) dense, O(active) compact, a small share
/// of the product itself).
template <typename T>
struct LayerScratch {
  SparseScratch<T> sparse;
  FixedGemmWorkspace<T> fixed;    // the fixed-order dense kernels'
  MatrixT<T> signed_dense;        // (out, in): |W| .* s on the dense path
  std::vector<T> signed_compact;  // (active): |W| .* s at the active entries, CSC order
};

// The dense path's products: the fixed-order kernels (kernels/dense_gemm.hpp),
// so a layer computes the same bits at every vector width, on every CPU and
// with any compiler flags (Eigen's GEMM, kernels/linear.hpp, picks its
// reduction order by vector width).

template <typename T>
inline void layer_dense_forward(MatrixT<T>& Y, const MatrixT<T>& X, const MatrixT<T>& W, const VectorT<T>& b,
                                LayerScratch<T>& s) {
  fixed_linear_forward(Y, X, W, b, s.fixed);
}

template <typename T>
inline void layer_dense_backward_input(MatrixT<T>& dX, const MatrixT<T>& dY, const MatrixT<T>& W,
                                       LayerScratch<T>& s) {
  fixed_linear_backward_input(dX, dY, W, s.fixed);
}

/// G += dY^T X, db += column sums of dY.
template <typename T>
inline void layer_dense_backward_params_add(MatrixT<T>& G, VectorT<T>& db, const MatrixT<T>& dY, const MatrixT<T>& X,
                                            LayerScratch<T>& s) {
  fixed_linear_backward_params_add(G, db, dY, X, s.fixed);
}

/// db += column sums of dY (a bias-only term: the input was zero).
template <typename T>
inline void layer_dense_bias_add(VectorT<T>& db, const MatrixT<T>& dY) {
  detail::fixed_column_sums(db, dY, true);
}

}  // namespace rewire
