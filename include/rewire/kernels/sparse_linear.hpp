// rewire/kernels/sparse_linear.hpp - exact-mask sparse fully connected layer kernels.
//
// Same shapes and results (up to float rounding) as the masked kernels of
// kernels/linear.hpp (X (batch x in), W (out x in), Y = X W^T + b), but the work
// is proportional to the number of active weights.
//
// Why this layout works (cpu-measurements.md section 2): activations are
// feature-major (core/types.hpp), so one active weight W[o,i] touches one
// contiguous column X(:, i) of the whole batch. The inner loop is therefore a
// broadcast-times-contiguous-vector FMA that GCC vectorises from plain code;
// batch-major layouts would need gathers and are 12-43x slower.
//
//  - forward        Y(:,o)  = b[o] + sum_{i in row o}    W[o,i] * X(:,i)    (CSR)
//  - input gradient dX(:,i) =        sum_{o in column i} W[o,i] * dY(:,o)   (CSC)
//  - weight grad.   dW[o,i] = dY(:,o) . X(:,i) for active (o,i) only        (SDDMM)
//
// No threads inside: rewire parallelises over independent simulations, and every
// result here is a fixed function of its inputs (summation order does not depend
// on anything but the compile flags).
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/core/types.hpp>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

namespace rewire {

/// Compressed index of a 0/1 mask (out x in): CSR by output row for the forward and
/// the weight gradient, CSC by input column for the input gradient. Rebuilt only
/// when the mask changes (pruning, regrowth), never per step. Within each row
/// (column) the column (row) indices are ascending.
struct SparsePattern {
  Index rows = 0, cols = 0;
  std::vector<std::int32_t> row_ptr, col_index;  // CSR (size rows+1, nnz)
  std::vector<std::int32_t> col_ptr, row_index;  // CSC (size cols+1, nnz)
  std::vector<std::int32_t> csr_offset;  // per CSR entry: o + i*rows, its offset in column-major W
  std::vector<std::int32_t> csc_offset;  // per CSC entry: same, ascending (= column-major order)
  std::vector<std::int32_t> csr_to_csc;  // per CSR entry: its position in the CSC arrays

  /// Number of active positions.
  Index nnz() const { return static_cast<Index>(col_index.size()); }
  /// nnz / (rows*cols); 0 for an empty matrix.
  double density() const {
    return rows * cols == 0 ? 0.0 : static_cast<double>(nnz()) / static_cast<double>(rows * cols);
  }
};

/// Builds the CSR and CSC index of `mask` (entries != 0 are active). O(rows*cols).
/// Throws std::invalid_argument if the matrix is too large for 32-bit offsets.
inline SparsePattern make_sparse_pattern(const Matrix& mask) {
  const Index R = mask.rows(), C = mask.cols();
  // 32-bit indices halve the index bandwidth of the hot loops; offsets o + i*R
  // must therefore fit in int32.
  detail::require(R * C <= Index(std::numeric_limits<std::int32_t>::max()),
                  "make_sparse_pattern: mask has more than 2^31-1 entries");
  SparsePattern p;
  p.rows = R;
  p.cols = C;
  p.row_ptr.assign(static_cast<std::size_t>(R) + 1, 0);
  p.col_ptr.assign(static_cast<std::size_t>(C) + 1, 0);
  // CSC and the per-row counts in one column-major pass (= memory order of mask).
  for (Index i = 0; i < C; ++i) {
    for (Index o = 0; o < R; ++o)
      if (mask(o, i) != 0.0f) {
        p.row_index.push_back(static_cast<std::int32_t>(o));
        p.csc_offset.push_back(static_cast<std::int32_t>(o + i * R));
        ++p.row_ptr[static_cast<std::size_t>(o) + 1];
      }
    p.col_ptr[static_cast<std::size_t>(i) + 1] = static_cast<std::int32_t>(p.row_index.size());
  }
  for (Index o = 0; o < R; ++o) p.row_ptr[o + 1] += p.row_ptr[o];
  // CSR by a counting sort of the CSC entries; scanning columns in order keeps
  // the column indices of each row ascending.
  const std::size_t nnz = p.row_index.size();
  p.col_index.resize(nnz);
  p.csr_offset.resize(nnz);
  p.csr_to_csc.resize(nnz);
  std::vector<std::int32_t> next(p.row_ptr.begin(), p.row_ptr.end() - 1);
  for (Index i = 0; i < C; ++i)
    for (std::int32_t k = p.col_ptr[i]; k < p.col_ptr[i + 1]; ++k) {
      const std::int32_t dst = next[p.row_index[k]]++;
      p.col_index[dst] = static_cast<std::int32_t>(i);
      p.csr_offset[dst] = p.csc_offset[k];
      p.csr_to_csc[dst] = k;
    }
  return p;
}

/// Weight values gathered from the dense W in both orders (cheap: O(nnz) per step).
struct SparseValues {
  std::vector<float> csr, csc;
};

/// compact[k] = dense[p.csc_offset[k]] for the p.nnz() active entries, read
/// in ascending memory order (dense: column-major, p.rows x p.cols).
inline void gather_csc(float* compact, const float* dense, const SparsePattern& p) {
  const std::int32_t* offset = p.csc_offset.data();
  for (std::size_t k = 0; k < p.csc_offset.size(); ++k) compact[k] = dense[offset[k]];
}

/// dense[p.csc_offset[k]] = compact[k] (the inverse of gather_csc; entries
/// outside the pattern are not touched).
inline void scatter_csc(float* dense, const float* compact, const SparsePattern& p) {
  const std::int32_t* offset = p.csc_offset.data();
  for (std::size_t k = 0; k < p.csc_offset.size(); ++k) dense[offset[k]] = compact[k];
}

/// v.csr = v.csc permuted into CSR order (v.csc must hold p.nnz() values).
inline void csr_from_csc(SparseValues& v, const SparsePattern& p) {
  REWIRE_ASSERT(Index(v.csc.size()) == p.nnz());
  const std::size_t nnz = v.csc.size();
  v.csr.resize(nnz);
  const float* csc = v.csc.data();
  const std::int32_t* to_csc = p.csr_to_csc.data();
  float* csr = v.csr.data();
  for (std::size_t k = 0; k < nnz; ++k) csr[k] = csc[to_csc[k]];
}

/// Fills v.csr / v.csc with W at the pattern's positions. W must be (p.rows x p.cols).
inline void gather_values(SparseValues& v, const Matrix& W, const SparsePattern& p) {
  REWIRE_ASSERT(W.rows() == p.rows && W.cols() == p.cols);
  v.csc.resize(p.csc_offset.size());
  // CSC first: ascending offsets, so W is streamed in memory order. The CSR
  // copy is then permuted from the compact CSC array (nnz floats, cache
  // resident) instead of hopping through W with a stride of 4*rows bytes:
  // about 2x cheaper at 75-95% sparsity (measured, 512x512: 13 vs 24 us at 95%).
  gather_csc(v.csc.data(), W.data(), p);
  csr_from_csc(v, p);
}

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
//    left scalar and only the odd remainder nonzero runs vectorised: 6-8x slower
//    (seen in the asm here, and cpu-measurements.md section 2 'CSR FM alt').
//    `#pragma GCC unroll 1` on the k loop does not stop it.
//
// 2. associative-math (dot products and sums only, not the axpy kernel). With
//    strict IEEE order a dot product is one serial chain of dependent adds, and
//    a hand-split sum (lanes of partial sums folded pairwise) is turned by GCC
//    into ~30 scalar shuffles+adds per nonzero: the weight gradient ran 2x
//    slower that way. With associative-math GCC keeps vector partial sums and
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
template <bool Permuted>
inline float gather_dot(const float* val, const std::int32_t* perm, const float* src, Index ld,
                        const std::int32_t* idx, std::int32_t begin, std::int32_t end) {
  float sum = 0.0f;
  for (std::int32_t k = begin; k < end; ++k) sum += (Permuted ? val[perm[k]] : val[k]) * src[Index(idx[k]) * ld];
  return sum;
}

/// SDDMM on one batch tile of t samples (t == T if T > 0), line by line: for
/// every line q < lines and k in [ptr[q], ptr[q+1]),
///   w[off[k]] (+)= sum_j a[q*lda + j] * b[idx[k]*ld + j]
/// (w[k] instead when Compact: the output is the compressed array itself).
/// The loop over lines is inside so that the short per-line loops of very
/// sparse layers do not pay a call each.
template <int T, bool Compact>
inline void sddmm_lines(float* w, const std::int32_t* off, bool accumulate, const float* a,
                        Index lda, int t, const float* b, Index ld, Index lines,
                        const std::int32_t* ptr, const std::int32_t* idx) {
  for (Index q = 0; q < lines; ++q) {
    const float* aq = a + q * lda;
    if constexpr (T > 0) {
      // The shared operand as a local copy: GCC then keeps it in T/VL registers
      // instead of reloading it for every nonzero (loads, not FMAs, are the
      // limit: 16 vector loads per nonzero without the copy, 8 with it).
      float at[T];
      for (int j = 0; j < T; ++j) at[j] = aq[j];
      int nonzero = 0;
      for (int j = 0; j < T; ++j) nonzero |= (at[j] != 0.0f);
      if (nonzero == 0) {
        // The shared operand is a column of exact zeros: the input of a ReLU
        // unit that is off for the whole tile. Without internal noise that is
        // common (25-63% of the hidden units per layer of the paper's network
        // after 95% pruning or the ketamine-like regrowth): every product is
        // zero, so the dot products are skipped. Exact up to the sign of zero
        // for finite partner values (an infinite or NaN one would have given
        // NaN there instead of 0).
        if (!accumulate)
          for (std::int32_t k = ptr[q]; k < ptr[q + 1]; ++k) (Compact ? w[k] : w[off[k]]) = 0.0f;
        continue;
      }
      for (std::int32_t k = ptr[q]; k < ptr[q + 1]; ++k) {
        const float* s = b + Index(idx[k]) * ld;
        float sum = 0.0f;
        for (int j = 0; j < T; ++j) sum += at[j] * s[j];
        float& dst = Compact ? w[k] : w[off[k]];
        dst = accumulate ? dst + sum : sum;
      }
    } else {
      // < 8 samples: one pass per sample, so the inner loop is a plain
      // gather-multiply-store without a short runtime-length reduction.
      for (int j = 0; j < t; ++j) {
        const bool add = accumulate || j > 0;
        for (std::int32_t k = ptr[q]; k < ptr[q + 1]; ++k) {
          const float prod = aq[j] * b[Index(idx[k]) * ld + j];
          float& dst = Compact ? w[k] : w[off[k]];
          dst = add ? dst + prod : prod;
        }
      }
    }
  }
}

/// sum_{j < t} d[j] (t == T if T > 0), reassociated like sddmm_lines.
template <int T>
inline float sum_tile(const float* d, int t) {
  const int n = T > 0 ? T : t;
  float sum = 0.0f;
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
struct Epilogue {
  float* relu = nullptr;
  const float* gate = nullptr;

  /// Stores line q of a tile (t == T values if T > 0) at out + q*ldo.
  template <int T>
  void store(float* out, Index ldo, Index q, const float* acc, int t) const {
    const int n = T > 0 ? T : t;
    float* o = out + q * ldo;
    if (gate != nullptr) {
      const float* g = gate + q * ldo;
      for (int j = 0; j < n; ++j) o[j] = g[j] > 0.0f ? acc[j] : 0.0f;
    } else {
      for (int j = 0; j < n; ++j) o[j] = acc[j];
    }
    if (relu != nullptr) {
      float* h = relu + q * ldo;
      for (int j = 0; j < n; ++j) h[j] = acc[j] < 0.0f ? 0.0f : acc[j];
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
    const float* g = gate + offset;
    int open = 0;
    for (int j = 0; j < n; ++j) open |= (g[j] > 0.0f);
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
template <int T, bool Permuted>
inline void axpy_lines(float* out, Index ldo, int t, const float* src, Index ld, Index lines,
                       const std::int32_t* ptr, const std::int32_t* idx, const float* val,
                       const std::int32_t* perm, const float* init, const Epilogue& e) {
  for (Index q = 0; q < lines; ++q) {
    const float b = init ? init[q] : 0.0f;
    float acc[T > 0 ? T : kMaxTail];
    if (e.gate_closed<T>(q * ldo, t)) {
      for (int j = 0; j < (T > 0 ? T : t); ++j) acc[j] = 0.0f;  // stored as zeros anyway
    } else if constexpr (T > 0) {
      for (int j = 0; j < T; ++j) acc[j] = b;
      for (std::int32_t k = ptr[q]; k < ptr[q + 1]; ++k) {
        const float v = Permuted ? val[perm[k]] : val[k];
        const float* s = src + Index(idx[k]) * ld;
        for (int j = 0; j < T; ++j) acc[j] += v * s[j];
      }
    } else {
      for (int j = 0; j < t; ++j)
        acc[j] = b + gather_dot<Permuted>(val, perm, src + j, ld, idx, ptr[q], ptr[q + 1]);
    }
    e.store<T>(out, ldo, q, acc, t);
  }
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif

/// Source operand of one batch block [n0, n0+len): a pointer and its column
/// stride. When the batch is longer than one tile the block is copied into a
/// contiguous (len x cols) buffer first. Why: with a long batch the columns of
/// a block are `ld` floats apart (4 KiB for batch 1024), so all of them map to
/// the same few cache sets and the block stops fitting in L1/L2 (forward at
/// batch 1024 measured 1.4-1.7x slower without the copy at 50-95% sparsity).
/// The copy is O(len*cols), small against the kernel, which reads every column
/// about nnz/cols times.
struct Block {
  const float* data;
  Index ld;
};
inline Block pack_block(const float* src, Index ld, Index n0, Index len, Index cols,
                        std::vector<float>& buf) {
  if (len == ld) return {src, ld};  // the whole batch is one block: already contiguous
  buf.resize(static_cast<std::size_t>(len * cols));
  for (Index c = 0; c < cols; ++c)
    for (Index j = 0; j < len; ++j) buf[c * len + j] = src[c * ld + n0 + j];
  return {buf.data(), len};
}

/// Runs `block(n0, len, Block)` over the batch in blocks of at most kSparseTile
/// samples, each with its `src` columns packed (see pack_block).
template <class F>
inline void for_each_block(const float* src, Index ld, Index cols, F&& block) {
  // One buffer per thread, reused across calls: no allocation per step, and
  // independent simulations on different threads never share it.
  thread_local std::vector<float> buf;
  for (Index n0 = 0; n0 < ld; n0 += kSparseTile) {
    const Index len = std::min<Index>(kSparseTile, ld - n0);
    block(n0, len, pack_block(src, ld, n0, len, cols, buf));
  }
}

/// out(:, q) = init[q] + sum_{k in line q} val[k'] * src(:, idx[k]) for every
/// compressed line q (CSR row or CSC column), k' = perm[k] if perm is given,
/// else k; out and src have `ld` rows (batch); `e` is applied on the way out.
inline void sparse_axpy(float* out, const float* src, Index ld, Index src_cols, Index lines,
                        const std::int32_t* ptr, const std::int32_t* idx, const float* val,
                        const std::int32_t* perm, const float* init, const Epilogue& e) {
  // Batch blocks outermost: one packed block of src (at most 128 x 512 floats =
  // 256 KiB) stays in L2 while every line reuses it.
  for_each_block(src, ld, src_cols, [&](Index b0, Index len, Block s) {
    for_each_tile(len, [&](auto T, Index n0, int t) {
      constexpr int kT = decltype(T)::value;
      const Epilogue tile_e = e.shifted(b0 + n0);
      if (perm != nullptr)
        axpy_lines<kT, true>(out + b0 + n0, ld, t, s.data + n0, s.ld, lines, ptr, idx, val, perm, init, tile_e);
      else
        axpy_lines<kT, false>(out + b0 + n0, ld, t, s.data + n0, s.ld, lines, ptr, idx, val, perm, init, tile_e);
    });
  });
}

/// Y = X W^T + b over the CSR pattern of p, with value k of CSR entry k read
/// as val[perm[k]] (perm: CSC-order values) or val[k] (perm null: CSR-order
/// values); relu_out, if given, receives max(Y, 0). The one body of both
/// public forwards.
inline void sparse_forward(Matrix& Y, const Matrix& X, const SparsePattern& p, const float* val,
                           const std::int32_t* perm, const Vector& b, Matrix* relu_out) {
  REWIRE_ASSERT(X.cols() == p.cols && b.size() == p.rows);
  REWIRE_ASSERT(&Y != &X && relu_out != &Y && relu_out != &X);  // no in-place product
  Y.resize(X.rows(), p.rows);
  if (relu_out != nullptr) relu_out->resize(X.rows(), p.rows);
  const Epilogue relu{relu_out ? relu_out->data() : nullptr, nullptr};
  sparse_axpy(Y.data(), X.data(), X.rows(), p.cols, p.rows, p.row_ptr.data(), p.col_index.data(), val, perm,
              b.data(), relu);
}

}  // namespace detail

/// Y = X W^T + b with W given by (p, v). X (batch x p.cols), b (p.rows); Y is
/// resized to (batch x p.rows). Equals linear_forward with the masked W.
/// If `relu_out` is given it also receives max(Y, 0) (fused: no extra pass).
inline void sparse_linear_forward(Matrix& Y, const Matrix& X, const SparsePattern& p,
                                  const SparseValues& v, const Vector& b, Matrix* relu_out = nullptr) {
  REWIRE_ASSERT(Index(v.csr.size()) == p.nnz());
  detail::sparse_forward(Y, X, p, v.csr.data(), nullptr, b, relu_out);
}

/// The same product from the values in CSC order only (csc_values[k] = W at
/// CSC entry k, p.nnz() of them: the compact master copy a sparse layer keeps
/// for its optimiser). Each CSR entry reads its value through p.csr_to_csc, so
/// no CSR copy of the values is built per step. Same summation order as
/// sparse_linear_forward, hence bit-identical results.
inline void sparse_linear_forward_from_csc(Matrix& Y, const Matrix& X, const SparsePattern& p,
                                           const float* csc_values, const Vector& b,
                                           Matrix* relu_out = nullptr) {
  detail::sparse_forward(Y, X, p, csc_values, p.csr_to_csc.data(), b, relu_out);
}

/// dX = dY W with W given by its values in CSC order (csc_values[k] = W at
/// CSC entry k; v.csc of SparseValues). dY (batch x p.rows); dX is resized to
/// (batch x p.cols). Equals linear_backward_input with the masked W.
/// If `relu_gate` (batch x p.cols) is given, dX is zeroed where the gate is
/// <= 0: the input gradient and ReLU's backward (gate = pre-activation Z) in
/// one pass, as relu_backward(dX, dX, Z) would do after it.
inline void sparse_linear_backward_input(Matrix& dX, const Matrix& dY, const SparsePattern& p,
                                         const float* csc_values, const Matrix* relu_gate = nullptr) {
  REWIRE_ASSERT(dY.cols() == p.rows);
  REWIRE_ASSERT(&dX != &dY && relu_gate != &dX);  // no in-place product
  REWIRE_ASSERT(relu_gate == nullptr || (relu_gate->rows() == dY.rows() && relu_gate->cols() == p.cols));
  dX.resize(dY.rows(), p.cols);
  const detail::Epilogue gate{nullptr, relu_gate ? relu_gate->data() : nullptr};
  detail::sparse_axpy(dX.data(), dY.data(), dY.rows(), p.rows, p.cols, p.col_ptr.data(), p.row_index.data(),
                      csc_values, nullptr, nullptr, gate);
}

/// dX = dY W with W given by (p, v) (uses v.csc); see the overload above.
inline void sparse_linear_backward_input(Matrix& dX, const Matrix& dY, const SparsePattern& p,
                                         const SparseValues& v, const Matrix* relu_gate = nullptr) {
  REWIRE_ASSERT(Index(v.csc.size()) == p.nnz());
  sparse_linear_backward_input(dX, dY, p, v.csc.data(), relu_gate);
}

namespace detail {

/// The SDDMM weight gradient and db (see sparse_linear_backward_params); with
/// Compact, dw is the compressed CSC-order array, else the dense column-major dW.
template <bool Compact>
inline void sddmm_backward_params(float* dw, Vector& db, const Matrix& dY, const Matrix& X,
                                  const SparsePattern& p) {
  db.resize(p.rows);
  const Index N = X.rows();
  const float* x = X.data();
  // Column by column (CSC): the entries of one column of the column-major dW are
  // written in ascending memory order. CSR order would scatter every write to a
  // new cache line 4*rows bytes away, which costs more than the arithmetic at
  // small batches. Blocked like the axpy kernels: each packed block of dY serves
  // all columns. With several tiles the per-tile partial sums are added to the
  // stored value, so the summation order depends only on the batch size.
  for_each_block(dY.data(), N, p.rows, [&](Index b0, Index len, Block d) {
    for_each_tile(len, [&](auto T, Index n0, int t) {
      constexpr int kT = decltype(T)::value;
      const bool accumulate = b0 + n0 > 0;
      for (Index o = 0; o < p.rows; ++o) {
        const float s = sum_tile<kT>(d.data + o * d.ld + n0, t);
        db[o] = accumulate ? db[o] + s : s;
      }
      sddmm_lines<kT, Compact>(dw, p.csc_offset.data(), accumulate, x + b0 + n0, N, t,
                               d.data + n0, d.ld, p.cols, p.col_ptr.data(), p.row_index.data());
    });
  });
  if (N == 0) {  // no samples: the gradient is zero (the tile loops never ran)
    db.setZero();
    for (std::size_t k = 0; k < p.csc_offset.size(); ++k) dw[Compact ? k : std::size_t(p.csc_offset[k])] = 0.0f;
  }
}

}  // namespace detail

/// Weight gradient only at active positions (sampled dense-dense product, SDDMM),
/// written into the dense dW at those positions; positions outside the pattern are NOT
/// touched (the caller keeps them zero). db = column sums of dY (all outputs).
/// dY (batch x p.rows), X (batch x p.cols). If dW does not have the shape
/// (p.rows x p.cols) it is resized and zero-filled first (so the result is still
/// the masked gradient); otherwise it is updated in place.
inline void sparse_linear_backward_params(Matrix& dW, Vector& db, const Matrix& dY,
                                          const Matrix& X, const SparsePattern& p) {
  REWIRE_ASSERT(dY.rows() == X.rows() && dY.cols() == p.rows && X.cols() == p.cols);
  if (dW.rows() != p.rows || dW.cols() != p.cols) dW.setZero(p.rows, p.cols);
  detail::sddmm_backward_params<false>(dW.data(), db, dY, X, p);
}

/// The same weight gradient in compressed form: dw_csc[k] = dL/dW at the k-th
/// CSC entry (ascending column-major offset p.csc_offset[k]); dw_csc is
/// resized to p.nnz(). Contiguous writes: what an optimiser over the active
/// entries wants, with no dense matrix touched.
inline void sparse_linear_backward_params_compact(std::vector<float>& dw_csc, Vector& db,
                                                  const Matrix& dY, const Matrix& X,
                                                  const SparsePattern& p) {
  REWIRE_ASSERT(dY.rows() == X.rows() && dY.cols() == p.rows && X.cols() == p.cols);
  dw_csc.resize(std::size_t(p.nnz()));
  detail::sddmm_backward_params<true>(dw_csc.data(), db, dY, X, p);
}

}  // namespace rewire
