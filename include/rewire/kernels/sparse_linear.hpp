// rewire/kernels/sparse_linear.hpp - the exact-mask sparse fully connected
// layer: forward, input gradient and weight gradient over the active weights.
//
// Same shapes and results (up to float rounding) as the masked kernels of
// kernels/linear.hpp (X (batch x in), W (out x in), Y = X W^T + b), but the
// work is proportional to the number of active weights. W is given by its
// pattern (kernels/sparse_pattern.hpp) and its values in CSC order, the one
// order a sparse layer stores them in:
//
//  - forward        Y(:,o)  = b[o] + sum_{i in row o}    W[o,i] * X(:,i)    (CSR walk)
//  - input gradient dX(:,i) =        sum_{o in column i} W[o,i] * dY(:,o)   (CSC walk)
//  - weight grad.   dW[o,i] = dY(:,o) . X(:,i) for active (o,i) only        (SDDMM)
//
// Why this layout works: activations are feature-major (core/types.hpp), so
// one active weight W[o,i] touches one contiguous column X(:, i) of the whole
// batch. The inner loop is therefore a broadcast-times-contiguous-vector FMA
// that GCC vectorises from plain code; batch-major layouts would need gathers
// (an order of magnitude slower: docs/performance.md, P12).
//
// No threads inside: rewire parallelises over independent simulations, and
// every result here is a fixed function of its inputs: the summation order
// is written in the code (kernels/sparse_tiles.hpp states it), so vector
// width, tile size and compiler flags do not change a bit. The *_reference
// functions (kernels/sparse_reference.hpp) spell the same order out as plain
// loops. The caller owns the one scratch buffer (SparseScratch): no hidden
// state.
//
// Each public kernel is its batch-block loop; the tile loops it calls
// (detail::axpy_lines, detail::sddmm_lines in kernels/sparse_tiles.hpp) hold
// the arithmetic.
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/core/types.hpp>
#include <rewire/core/isa.hpp>
#include <rewire/kernels/sparse_pattern.hpp>
#include <rewire/kernels/sparse_sddmm.hpp>
#include <rewire/kernels/sparse_tiles.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

namespace rewire {

/// Reusable buffer of the sparse kernels (one packed batch block). Owned by
/// the caller, e.g. one per layer: kernels that share one must not run at once.
template <typename T>
struct SparseScratch {
  std::vector<T> block;
};

namespace detail {

/// Source operand of one batch block [n0, n0+len): a pointer and its column
/// stride. The block is copied into `buf`, column by column at a stride
/// that keeps every column `align` bytes aligned, unless it can be read in
/// place. Why copy:
///  - with a long batch the columns of a block are `ld` values apart (4 KiB
///    for batch 1024), so all of them map to the same few cache sets and
///    the block stops fitting in L1/L2;
///  - the kernels load each column in whole vectors (64 bytes on AVX-512);
///    a column that starts between two cache lines costs two line reads per
///    load. Eigen aligns a matrix to the build's vector width only (32
///    bytes under -march=x86-64-v3, and a large allocation lands on an odd
///    multiple of 32), which made every load of the AVX-512 kernels split.
/// The copy is O(len*cols), small against the kernel, which reads every
/// column about reads/cols times (reads = active entries). With fewer reads
/// than columns (a narrow layer fed by a wide one, e.g. a 4-class readout
/// over a long sequence) the copy would cost more than it saves: such a
/// block is read in place. Either way the kernel sees the same numbers.
template <typename T>
struct Block {
  const T* data;
  Index ld;
};
template <typename T>
Block<T> pack_block(const T* src, Index ld, Index n0, Index len, Index cols, Index reads, std::vector<T>& buf,
                    std::size_t align) {
  const auto address = reinterpret_cast<std::uintptr_t>(src + n0);
  const bool aligned = address % align == 0 && (std::size_t(ld) * sizeof(T)) % align == 0;
  if (len == ld && aligned) return {src, ld};  // the whole batch, contiguous and aligned
  if (reads < cols) return {src + n0, ld};
  const Index per_line = Index(align / sizeof(T));  // values per aligned unit
  const Index stride = (len + per_line - 1) / per_line * per_line;
  buf.resize(static_cast<std::size_t>(stride * cols + per_line));
  const auto base = reinterpret_cast<std::uintptr_t>(buf.data());
  T* dst = buf.data() + Index((align - base % align) % align / sizeof(T));
  for (Index c = 0; c < cols; ++c)
    for (Index j = 0; j < len; ++j) dst[c * stride + j] = src[c * ld + n0 + j];
  return {dst, stride};
}

/// The alignment (bytes) the loads of `isa`'s kernels want of a column.
inline std::size_t block_alignment(Isa isa) { return isa == Isa::avx512 ? 64 : 32; }

/// One tile on the version `Target` names (see axpy_tile).
template <Isa Target, int T, bool Permuted, typename Scalar>
void run_axpy_tile(const AxpyTile<Scalar>& a) {
#if REWIRE_X86_KERNELS
  if constexpr (Target == Isa::avx512) return axpy_tile_avx512<T, Permuted>(a);
  if constexpr (Target == Isa::avx2) return axpy_tile_avx2<T, Permuted>(a);
#endif
  axpy_tile<T, Permuted>(a);
}

/// out(:, q) = init[q] + sum_{k in line q} val[k'] * src(:, idx[k]) for every
/// compressed line q (CSR row or CSC column), k' = perm[k] if perm is given,
/// else k; out and src have `ld` rows (batch); `e` is applied on the way out.
/// Batch blocks of Tile samples outermost: one packed block of src (at most
/// 128 x 512 floats = 256 KiB) stays in L2 while every line reuses it.
template <Isa Target, int Tile, typename T>
void sparse_axpy_tiles(T* out, const T* src, Index ld, Index src_cols, Index lines, const std::int32_t* ptr,
                       const std::int32_t* idx, const T* val, const std::int32_t* perm, const T* init,
                       const Epilogue<T>& e, SparseScratch<T>& scratch) {
  for (Index b0 = 0; b0 < ld; b0 += Tile) {
    const Index len = std::min<Index>(Tile, ld - b0);
    const Block<T> s =
        pack_block(src, ld, b0, len, src_cols, Index(ptr[lines]), scratch.block, block_alignment(Target));
    for_each_tile<Tile>(len, [&](auto tile, Index n0, int) {
      constexpr int kT = decltype(tile)::value;
      const AxpyTile<T> a{out + b0 + n0, ld, s.data + n0, s.ld, lines, ptr, idx, val, perm, init, e.shifted(b0 + n0)};
      if (perm != nullptr)  // two calls: the flag is a template argument, no branch in the hot loop
        run_axpy_tile<Target, kT, true>(a);
      else
        run_axpy_tile<Target, kT, false>(a);
    });
  }
}

/// sparse_axpy_tiles on `isa` (float; other types: the build's own code).
template <typename T>
void sparse_axpy(T* out, const T* src, Index ld, Index src_cols, Index lines, const std::int32_t* ptr,
                 const std::int32_t* idx, const T* val, const std::int32_t* perm, const T* init,
                 const Epilogue<T>& e, SparseScratch<T>& scratch, Isa isa) {
  // What the public kernels establish before they get here (a pattern's
  // line pointers start at 0 and never fall, its indices name columns of
  // src): checked wherever REWIRE_ASSERT is on, free where it is not.
  REWIRE_ASSERT(ld >= 0 && lines >= 0 && ptr[0] == 0);
  for (Index q = 0; q < lines; ++q) REWIRE_ASSERT(ptr[q] <= ptr[q + 1]);
  for (std::int32_t k = 0; k < ptr[lines]; ++k) REWIRE_ASSERT(idx[k] >= 0 && Index(idx[k]) < src_cols);
  if constexpr (std::is_same_v<T, float>) {
    if (isa == Isa::avx512)
      return sparse_axpy_tiles<Isa::avx512, kAvx512Tile>(out, src, ld, src_cols, lines, ptr, idx, val, perm, init, e,
                                                         scratch);
    if (isa == Isa::avx2)
      return sparse_axpy_tiles<Isa::avx2, kAvx2Tile>(out, src, ld, src_cols, lines, ptr, idx, val, perm, init, e,
                                                     scratch);
  }
  sparse_axpy_tiles<Isa::scalar, kSparseTile>(out, src, ld, src_cols, lines, ptr, idx, val, perm, init, e, scratch);
}

/// Checks shared by the forward and the input gradient (once per call):
/// the pattern (detail::require_pattern) and one value per active entry.
inline void require_pattern_values(const SparsePattern& p, std::size_t values, const char* what) {
  require_pattern(p, what);
  if (Index(values) != p.nnz())
    require(false, std::string(what) + ": " + std::to_string(values) + " values for a pattern of " +
                       std::to_string(p.nnz()) + " active entries");
}

}  // namespace detail

/// Y = X W^T + b with W given by (p, w_csc): X (batch x p.cols), b (p.rows),
/// w_csc[k] = W at CSC entry k (p.nnz() values). Y is resized to
/// (batch x p.rows). If `relu_out` is given it also receives max(Y, 0), fused
/// (no extra pass over Y). Equals linear_forward with the masked W.
/// Each CSR entry reads its value through p.csr_to_csc, so no CSR copy of
/// the values is ever built. The products run on `isa` (core/isa.hpp),
/// with the same bits on each. Throws std::invalid_argument on wrong shapes.
template <typename T>
void sparse_linear_forward(MatrixT<T>& Y, const MatrixT<T>& X, const SparsePattern& p,
                           const std::vector<T>& w_csc, const VectorT<T>& b, SparseScratch<T>& scratch,
                           MatrixT<T>* relu_out = nullptr, Isa isa = active_isa()) {
  detail::require_pattern_values(p, w_csc.size(), "sparse_linear_forward");
  require_isa(isa, "sparse_linear_forward");
  detail::require_shape(X.cols(), b.size(), p.cols, p.rows, "sparse_linear_forward: (input features, bias)");
  detail::require(&Y != &X && relu_out != &Y && relu_out != &X, "sparse_linear_forward: no in-place product");
  Y.resize(X.rows(), p.rows);
  if (relu_out != nullptr) relu_out->resize(X.rows(), p.rows);
  const detail::Epilogue<T> relu{relu_out ? relu_out->data() : nullptr, nullptr};
  detail::sparse_axpy(Y.data(), X.data(), X.rows(), p.cols, p.rows, p.row_ptr.data(), p.col_index.data(),
                      w_csc.data(), p.csr_to_csc.data(), b.data(), relu, scratch, isa);
}

/// dX = dY W with W given by (p, w_csc): dY (batch x p.rows); dX is resized
/// to (batch x p.cols). Equals linear_backward_input with the masked W.
/// If `relu_gate` (batch x p.cols) is given, dX is zeroed where the gate is
/// <= 0: the input gradient and ReLU's backward (gate = pre-activation Z) in
/// one pass, as relu_backward(dX, dX, Z) would do after it. The products run
/// on `isa` (core/isa.hpp), with the same bits on each.
template <typename T>
void sparse_linear_backward_input(MatrixT<T>& dX, const MatrixT<T>& dY, const SparsePattern& p,
                                  const std::vector<T>& w_csc, SparseScratch<T>& scratch,
                                  const MatrixT<T>* relu_gate = nullptr, Isa isa = active_isa()) {
  detail::require_pattern_values(p, w_csc.size(), "sparse_linear_backward_input");
  require_isa(isa, "sparse_linear_backward_input");
  detail::require(dY.cols() == p.rows, "sparse_linear_backward_input: dY has the wrong number of columns");
  detail::require(&dX != &dY && relu_gate != &dX, "sparse_linear_backward_input: no in-place product");
  if (relu_gate != nullptr)
    detail::require_shape(relu_gate->rows(), relu_gate->cols(), dY.rows(), p.cols,
                          "sparse_linear_backward_input: relu_gate");
  dX.resize(dY.rows(), p.cols);
  const detail::Epilogue<T> gate{nullptr, relu_gate ? relu_gate->data() : nullptr};
  detail::sparse_axpy(dX.data(), dY.data(), dY.rows(), p.rows, p.cols, p.col_ptr.data(), p.row_index.data(),
                      w_csc.data(), static_cast<const std::int32_t*>(nullptr), static_cast<const T*>(nullptr),
                      gate, scratch, isa);
}

/// The weight gradient at the active positions only (a sampled dense-dense
/// product, SDDMM) in CSC order, dw_csc[k] = dL/dW at CSC entry k (resized to
/// p.nnz()), and db = column sums of dY. dY (batch x p.rows), X (batch x p.cols).
/// Column by column (CSC), so dw_csc is written contiguously; in blocks of
/// detail::kReduceBlock samples, each packed block of dY serving all
/// columns; a block's sums are added to the stored value (the order is
/// stated in kernels/sparse_tiles.hpp and depends only on the batch size). With `add`, the results
/// are added to dw_csc and db as they are (which must have their sizes
/// already): the sum over several batches, e.g. the steps of a sequence.
/// The products run on `isa` (core/isa.hpp): the same bits on each.
template <typename T>
void sparse_linear_backward_params(std::vector<T>& dw_csc, VectorT<T>& db, const MatrixT<T>& dY,
                                   const MatrixT<T>& X, const SparsePattern& p, SparseScratch<T>& scratch,
                                   bool add = false, Isa isa = active_isa()) {
  detail::require_pattern(p, "sparse_linear_backward_params");
  require_isa(isa, "sparse_linear_backward_params");
  detail::require(dY.rows() == X.rows(), "sparse_linear_backward_params: dY and X have different batch sizes");
  detail::require_shape(dY.cols(), X.cols(), p.rows, p.cols, "sparse_linear_backward_params: (dY, X) columns");
  if (add) {
    detail::require(Index(dw_csc.size()) == p.nnz() && db.size() == p.rows,
                    "sparse_linear_backward_params: adding into gradients of the wrong size");
  } else {
    dw_csc.resize(std::size_t(p.nnz()));
    db.resize(p.rows);
  }
  const Index N = X.rows();
  if (N == 0) {  // no samples: the gradient is zero (the tile loops would not run)
    if (add) return;
    db.setZero();
    std::fill(dw_csc.begin(), dw_csc.end(), T(0));
    return;
  }
  for (Index b0 = 0; b0 < N; b0 += detail::kReduceBlock) {
    const Index len = std::min<Index>(detail::kReduceBlock, N - b0);
    const detail::Block<T> d =
        detail::pack_block(dY.data(), N, b0, len, p.rows, p.nnz(), scratch.block, detail::block_alignment(isa));
    const bool accumulate = add || b0 > 0;
    detail::lane_sums(db.data(), accumulate, d.data, d.ld, p.rows, len, isa);
    detail::sddmm_block(detail::SddmmBlock<T>{dw_csc.data(), accumulate, X.data() + b0, N, len, d.data, d.ld, p.cols,
                                              p.col_ptr.data(), p.row_index.data()},
                        isa);
  }
}

}  // namespace rewire
