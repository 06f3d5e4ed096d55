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
// every result here is a fixed function of its inputs (the summation order
// depends on nothing but the batch size and the compile flags). The caller
// owns the one scratch buffer (SparseScratch): no hidden state.
//
// Each public kernel is its batch-block loop; the tile loops it calls
// (detail::axpy_lines, detail::sddmm_lines) hold the arithmetic.
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/core/types.hpp>
#include <rewire/kernels/sparse_pattern.hpp>

#include <algorithm>
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

// Batch tile of the kernels = 8 to 16 vector registers of accumulators: enough
// independent FMA chains to hide the FMA latency, few enough that the whole tile
// stays in registers (a spilled tile costs a load+store per FMA). AVX-512 targets
// have 32 vector registers, AVX 16 ymm, SSE 16 xmm.
#if defined(__AVX512F__)
inline constexpr int kSparseTile = 128;
#elif defined(__AVX__)
inline constexpr int kSparseTile = 64;
#else
inline constexpr int kSparseTile = 32;
#endif

template <int T>
using TileSize = std::integral_constant<int, T>;

/// Splits [0, len) into tiles with compile-time sizes, so that every hot loop has
/// a constant trip count and a register-resident accumulator: full kSparseTile
/// tiles, then at most one tile each of 64, 32, 16 and 8 (binary decomposition),
/// then f(TileSize<0>, n0, t) for the last t < 8 samples (runtime length).
/// Calls f(TileSize<T>, n0, t) with t == T for the fixed-size tiles.
template <class F>
inline void for_each_tile(Index len, F&& f) {
  Index n0 = 0;
  for (; n0 + kSparseTile <= len; n0 += kSparseTile) f(TileSize<kSparseTile>{}, n0, kSparseTile);
  if constexpr (kSparseTile > 64) {
    if (n0 + 64 <= len) {
      f(TileSize<64>{}, n0, 64);
      n0 += 64;
    }
  }
  if constexpr (kSparseTile > 32) {
    if (n0 + 32 <= len) {
      f(TileSize<32>{}, n0, 32);
      n0 += 32;
    }
  }
  if (n0 + 16 <= len) {
    f(TileSize<16>{}, n0, 16);
    n0 += 16;
  }
  if (n0 + 8 <= len) {
    f(TileSize<8>{}, n0, 8);
    n0 += 8;
  }
  if (n0 < len) f(TileSize<0>{}, n0, int(len - n0));
}

// Two GCC-specific choices for the tile kernels below (other compilers skip the
// pragmas and compile the same plain loops, with the same results up to rounding):
//
// 1. no-loop-unroll-and-jam. GCC's -O3 unroll-and-jam pass unrolls each k loop
//    by 2 and fuses the two copies of the inner j loop; the fused loop is then
//    left scalar and only the odd remainder nonzero runs vectorised (visible in
//    the generated assembly of GCC 12; docs/performance.md, P12).
//    `#pragma GCC unroll 1` on the k loop does not stop it.
//
// 2. associative-math (dot products and sums only, not the axpy kernel). With
//    strict IEEE order a dot product is one serial chain of dependent adds, and
//    a hand-split sum (lanes of partial sums folded pairwise) is turned by GCC
//    into ~30 scalar shuffles+adds per nonzero instead of vector adds. With
//    associative-math GCC keeps vector partial sums and
//    ends with a 4-step vector horizontal add. The order is still fixed at
//    compile time (same inputs and flags, same bits); only the rounding differs
//    from a serial sum. no-signed-zeros and no-trapping-math are required for
//    associative-math to take effect.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC optimize("no-loop-unroll-and-jam", "associative-math", "no-signed-zeros", \
                     "no-trapping-math")
#endif

/// sum_{k in [begin,end)} val[k'] * src[idx[k]*ld] (k' = perm[k] if
/// Permuted, else k): one sample of a sparse product, for batch tails of
/// fewer than 8 samples (batch 1 mostly). Reassociated, it runs as vector
/// gathers: 1.4x (95% sparse) to 2.5x (dense) faster than the serial sum.
template <bool Permuted, typename Scalar>
inline Scalar gather_dot(const Scalar* val, const std::int32_t* perm, const Scalar* src, Index ld,
                        const std::int32_t* idx, std::int32_t begin, std::int32_t end) {
  Scalar sum = 0;
  for (std::int32_t k = begin; k < end; ++k) sum += (Permuted ? val[perm[k]] : val[k]) * src[Index(idx[k]) * ld];
  return sum;
}

/// SDDMM on one batch tile of t samples (t == T if T > 0), line by line: for
/// every line q < lines and k in [ptr[q], ptr[q+1]),
///   w[k] (+)= sum_j a[q*lda + j] * b[idx[k]*ld + j]
/// (w: the compact CSC-order gradient).
/// The loop over lines is inside so that the short per-line loops of very
/// sparse layers do not pay a call each.
template <int T, typename Scalar>
inline void sddmm_lines(Scalar* w, bool accumulate, const Scalar* a, Index lda, int t,
                        const Scalar* b, Index ld, Index lines,
                        const std::int32_t* ptr, const std::int32_t* idx) {
  for (Index q = 0; q < lines; ++q) {
    const Scalar* aq = a + q * lda;
    if constexpr (T > 0) {
      // The shared operand as a local copy: GCC then keeps it in T/VL registers
      // instead of reloading it for every nonzero (loads, not FMAs, are the
      // limit: 16 vector loads per nonzero without the copy, 8 with it).
      Scalar at[T];
      for (int j = 0; j < T; ++j) at[j] = aq[j];
      int nonzero = 0;
      for (int j = 0; j < T; ++j) nonzero |= (at[j] != Scalar(0));
      if (nonzero == 0) {
        // The shared operand is a column of exact zeros: the input of a ReLU
        // unit that is off for the whole tile. Without internal noise that is
        // common (25-63% of the hidden units per layer of the paper's network
        // after 95% pruning or the ketamine-like regrowth): every product is
        // zero, so the dot products are skipped. Exact up to the sign of zero
        // for finite partner values (an infinite or NaN one would have given
        // NaN there instead of 0).
        if (!accumulate)
          for (std::int32_t k = ptr[q]; k < ptr[q + 1]; ++k) w[k] = Scalar(0);
        continue;
      }
      for (std::int32_t k = ptr[q]; k < ptr[q + 1]; ++k) {
        const Scalar* s = b + Index(idx[k]) * ld;
        Scalar sum = 0;
        for (int j = 0; j < T; ++j) sum += at[j] * s[j];
        Scalar& dst = w[k];
        dst = accumulate ? dst + sum : sum;
      }
    } else {
      // < 8 samples: one pass per sample, so the inner loop is a plain
      // gather-multiply-store without a short runtime-length reduction.
      for (int j = 0; j < t; ++j) {
        const bool add = accumulate || j > 0;
        for (std::int32_t k = ptr[q]; k < ptr[q + 1]; ++k) {
          const Scalar prod = aq[j] * b[Index(idx[k]) * ld + j];
          Scalar& dst = w[k];
          dst = add ? dst + prod : prod;
        }
      }
    }
  }
}

/// sum_{j < t} d[j] (t == T if T > 0), reassociated like sddmm_lines.
template <int T, typename Scalar>
inline Scalar sum_tile(const Scalar* d, int t) {
  const int n = T > 0 ? T : t;
  Scalar sum = 0;
  for (int j = 0; j < n; ++j) sum += d[j];
  return sum;
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#pragma GCC push_options
#pragma GCC optimize("no-loop-unroll-and-jam")  // see above
#endif

/// Largest batch tail handled sample by sample (tiles below 8 samples).
inline constexpr int kMaxTail = 8;

/// What the axpy kernels do with each finished output value as it leaves the
/// registers. Fusing these saves a whole pass over an activation matrix per
/// layer and step, which at 95% sparsity is not small against the product.
/// Both pointers address matrices of the output's shape and leading dimension,
/// positioned like the output (the kernels offset them alike).
///  - relu: also store max(value, 0) there (a NaN stays NaN, so that a
///    diverging network is still seen as diverged);
///  - gate: store the value where gate > 0 and 0 elsewhere, instead of the
///    value itself: ReLU's backward, dZ = dH * [Z > 0], with gate = Z.
template <typename Scalar>
struct Epilogue {
  Scalar* relu = nullptr;
  const Scalar* gate = nullptr;

  /// Stores line q of a tile (t == T values if T > 0) at out + q*ldo.
  template <int T>
  void store(Scalar* out, Index ldo, Index q, const Scalar* acc, int t) const {
    const int n = T > 0 ? T : t;
    Scalar* o = out + q * ldo;
    if (gate != nullptr) {
      const Scalar* g = gate + q * ldo;
      for (int j = 0; j < n; ++j) o[j] = g[j] > Scalar(0) ? acc[j] : Scalar(0);
    } else {
      for (int j = 0; j < n; ++j) o[j] = acc[j];
    }
    if (relu != nullptr) {
      Scalar* h = relu + q * ldo;
      for (int j = 0; j < n; ++j) h[j] = acc[j] < Scalar(0) ? Scalar(0) : acc[j];
    }
  }

  /// True when a gate is set and closed (<= 0, or NaN) for all samples of the
  /// line at `offset` (t == T samples if T > 0): the stored line is then all
  /// zeros whatever the products, so the kernel skips them. After heavy
  /// pruning many ReLU units are off for a whole batch (25-63% per hidden
  /// layer of the paper's network), so this is frequent, and the check reads
  /// only what the store reads anyway.
  template <int T>
  bool gate_closed(Index offset, int t) const {
    if (gate == nullptr) return false;
    const int n = T > 0 ? T : t;
    const Scalar* g = gate + offset;
    int open = 0;
    for (int j = 0; j < n; ++j) open |= (g[j] > Scalar(0));
    return open == 0;
  }

  /// The same epilogue for the block starting at sample n0 of the output.
  Epilogue shifted(Index n0) const {
    return {relu ? relu + n0 : nullptr, gate ? gate + n0 : nullptr};
  }
};

/// One batch tile of t samples (t == T if T > 0), line by line: for every line
/// q < lines, out[q*ldo + j] = init[q] + sum_{k in [ptr[q], ptr[q+1])}
/// val[k'] * src[idx[k]*ld + j], with k' = perm[k] if Permuted, else k; the
/// epilogue `e` then post-processes each value as it leaves the registers.
/// For T > 0 `acc` becomes T/VL vector registers; T == 0 (t < 8 samples) runs
/// one gather_dot per sample.
template <int T, bool Permuted, typename Scalar>
inline void axpy_lines(Scalar* out, Index ldo, int t, const Scalar* src, Index ld, Index lines,
                       const std::int32_t* ptr, const std::int32_t* idx, const Scalar* val,
                       const std::int32_t* perm, const Scalar* init, const Epilogue<Scalar>& e) {
  for (Index q = 0; q < lines; ++q) {
    const Scalar b = init ? init[q] : Scalar(0);
    Scalar acc[T > 0 ? T : kMaxTail];
    if (e.template gate_closed<T>(q * ldo, t)) {
      for (int j = 0; j < (T > 0 ? T : t); ++j) acc[j] = Scalar(0);  // stored as zeros anyway
    } else if constexpr (T > 0) {
      for (int j = 0; j < T; ++j) acc[j] = b;
      for (std::int32_t k = ptr[q]; k < ptr[q + 1]; ++k) {
        const Scalar v = Permuted ? val[perm[k]] : val[k];
        const Scalar* s = src + Index(idx[k]) * ld;
        for (int j = 0; j < T; ++j) acc[j] += v * s[j];
      }
    } else {
      for (int j = 0; j < t; ++j)
        acc[j] = b + gather_dot<Permuted>(val, perm, src + j, ld, idx, ptr[q], ptr[q + 1]);
    }
    e.template store<T>(out, ldo, q, acc, t);
  }
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif

/// Source operand of one batch block [n0, n0+len): a pointer and its column
/// stride. When the batch is longer than one tile the block is copied into a
/// contiguous (len x cols) buffer first. Why: with a long batch the columns of
/// a block are `ld` values apart (4 KiB for batch 1024), so all of them map to
/// the same few cache sets and the block stops fitting in L1/L2.
/// The copy is O(len*cols), small against the kernel, which reads every column
/// about nnz/cols times.
template <typename T>
struct Block {
  const T* data;
  Index ld;
};
template <typename T>
Block<T> pack_block(const T* src, Index ld, Index n0, Index len, Index cols, std::vector<T>& buf) {
  if (len == ld) return {src, ld};  // the whole batch is one block: already contiguous
  buf.resize(static_cast<std::size_t>(len * cols));
  for (Index c = 0; c < cols; ++c)
    for (Index j = 0; j < len; ++j) buf[c * len + j] = src[c * ld + n0 + j];
  return {buf.data(), len};
}

/// out(:, q) = init[q] + sum_{k in line q} val[k'] * src(:, idx[k]) for every
/// compressed line q (CSR row or CSC column), k' = perm[k] if perm is given,
/// else k; out and src have `ld` rows (batch); `e` is applied on the way out.
/// Batch blocks outermost: one packed block of src (at most 128 x 512 floats =
/// 256 KiB) stays in L2 while every line reuses it.
template <typename T>
void sparse_axpy(T* out, const T* src, Index ld, Index src_cols, Index lines, const std::int32_t* ptr,
                 const std::int32_t* idx, const T* val, const std::int32_t* perm, const T* init,
                 const Epilogue<T>& e, SparseScratch<T>& scratch) {
  for (Index b0 = 0; b0 < ld; b0 += kSparseTile) {
    const Index len = std::min<Index>(kSparseTile, ld - b0);
    const Block<T> s = pack_block(src, ld, b0, len, src_cols, scratch.block);
    for_each_tile(len, [&](auto tile, Index n0, int t) {
      constexpr int kT = decltype(tile)::value;
      const Epilogue<T> tile_e = e.shifted(b0 + n0);
      if (perm != nullptr)  // two calls: the flag is a template argument, no branch in the hot loop
        axpy_lines<kT, true>(out + b0 + n0, ld, t, s.data + n0, s.ld, lines, ptr, idx, val, perm, init, tile_e);
      else
        axpy_lines<kT, false>(out + b0 + n0, ld, t, s.data + n0, s.ld, lines, ptr, idx, val, perm, init, tile_e);
    });
  }
}

/// Shape checks shared by the three kernels (once per call, every build type).
inline void require_pattern_values(const SparsePattern& p, std::size_t values, const char* what) {
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
/// the values is ever built. Throws std::invalid_argument on wrong shapes.
template <typename T>
void sparse_linear_forward(MatrixT<T>& Y, const MatrixT<T>& X, const SparsePattern& p,
                           const std::vector<T>& w_csc, const VectorT<T>& b, SparseScratch<T>& scratch,
                           MatrixT<T>* relu_out = nullptr) {
  detail::require_pattern_values(p, w_csc.size(), "sparse_linear_forward");
  detail::require_shape(X.cols(), b.size(), p.cols, p.rows, "sparse_linear_forward: (input features, bias)");
  detail::require(&Y != &X && relu_out != &Y && relu_out != &X, "sparse_linear_forward: no in-place product");
  Y.resize(X.rows(), p.rows);
  if (relu_out != nullptr) relu_out->resize(X.rows(), p.rows);
  const detail::Epilogue<T> relu{relu_out ? relu_out->data() : nullptr, nullptr};
  detail::sparse_axpy(Y.data(), X.data(), X.rows(), p.cols, p.rows, p.row_ptr.data(), p.col_index.data(),
                      w_csc.data(), p.csr_to_csc.data(), b.data(), relu, scratch);
}

/// dX = dY W with W given by (p, w_csc): dY (batch x p.rows); dX is resized
/// to (batch x p.cols). Equals linear_backward_input with the masked W.
/// If `relu_gate` (batch x p.cols) is given, dX is zeroed where the gate is
/// <= 0: the input gradient and ReLU's backward (gate = pre-activation Z) in
/// one pass, as relu_backward(dX, dX, Z) would do after it.
template <typename T>
void sparse_linear_backward_input(MatrixT<T>& dX, const MatrixT<T>& dY, const SparsePattern& p,
                                  const std::vector<T>& w_csc, SparseScratch<T>& scratch,
                                  const MatrixT<T>* relu_gate = nullptr) {
  detail::require_pattern_values(p, w_csc.size(), "sparse_linear_backward_input");
  detail::require(dY.cols() == p.rows, "sparse_linear_backward_input: dY has the wrong number of columns");
  detail::require(&dX != &dY && relu_gate != &dX, "sparse_linear_backward_input: no in-place product");
  if (relu_gate != nullptr)
    detail::require_shape(relu_gate->rows(), relu_gate->cols(), dY.rows(), p.cols,
                          "sparse_linear_backward_input: relu_gate");
  dX.resize(dY.rows(), p.cols);
  const detail::Epilogue<T> gate{nullptr, relu_gate ? relu_gate->data() : nullptr};
  detail::sparse_axpy(dX.data(), dY.data(), dY.rows(), p.rows, p.cols, p.col_ptr.data(), p.row_index.data(),
                      w_csc.data(), static_cast<const std::int32_t*>(nullptr), static_cast<const T*>(nullptr),
                      gate, scratch);
}

/// The weight gradient at the active positions only (a sampled dense-dense
/// product, SDDMM) in CSC order, dw_csc[k] = dL/dW at CSC entry k (resized to
/// p.nnz()), and db = column sums of dY. dY (batch x p.rows), X (batch x p.cols).
/// Column by column (CSC), so dw_csc is written contiguously; blocked like
/// the forward: each packed block of dY serves all columns. With several
/// tiles the per-tile partial sums are added to the stored value, so the
/// summation order depends only on the batch size.
template <typename T>
void sparse_linear_backward_params(std::vector<T>& dw_csc, VectorT<T>& db, const MatrixT<T>& dY,
                                   const MatrixT<T>& X, const SparsePattern& p, SparseScratch<T>& scratch) {
  detail::require(dY.rows() == X.rows(), "sparse_linear_backward_params: dY and X have different batch sizes");
  detail::require_shape(dY.cols(), X.cols(), p.rows, p.cols, "sparse_linear_backward_params: (dY, X) columns");
  dw_csc.resize(std::size_t(p.nnz()));
  db.resize(p.rows);
  const Index N = X.rows();
  if (N == 0) {  // no samples: the gradient is zero (the tile loops would not run)
    db.setZero();
    std::fill(dw_csc.begin(), dw_csc.end(), T(0));
    return;
  }
  for (Index b0 = 0; b0 < N; b0 += detail::kSparseTile) {
    const Index len = std::min<Index>(detail::kSparseTile, N - b0);
    const detail::Block<T> d = detail::pack_block(dY.data(), N, b0, len, p.rows, scratch.block);
    detail::for_each_tile(len, [&](auto tile, Index n0, int t) {
      constexpr int kT = decltype(tile)::value;
      const bool accumulate = b0 + n0 > 0;
      for (Index o = 0; o < p.rows; ++o) {
        const T s = detail::sum_tile<kT>(d.data + o * d.ld + n0, t);
        db[o] = accumulate ? db[o] + s : s;
      }
      detail::sddmm_lines<kT>(dw_csc.data(), accumulate, X.data() + b0 + n0, N, t, d.data + n0, d.ld, p.cols,
                              p.col_ptr.data(), p.row_index.data());
    });
  }
}

}  // namespace rewire
