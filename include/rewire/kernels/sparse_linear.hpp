// rewire/kernels/sparse_linear.hpp - exact-mask sparse fully connected layer kernels.
//
// Same shapes and results as kernels/linear.hpp (X (batch x in), W (out x in),
// Y = X W^T + b), but the work is proportional to the number of active weights.
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

#include <cstdint>
#include <limits>
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
  std::vector<std::int32_t> next(p.row_ptr.begin(), p.row_ptr.end() - 1);
  for (Index i = 0; i < C; ++i)
    for (std::int32_t k = p.col_ptr[i]; k < p.col_ptr[i + 1]; ++k) {
      const std::int32_t dst = next[p.row_index[k]]++;
      p.col_index[dst] = static_cast<std::int32_t>(i);
      p.csr_offset[dst] = p.csc_offset[k];
    }
  return p;
}

/// Weight values gathered from the dense W in both orders (cheap: O(nnz) per step).
struct SparseValues {
  std::vector<float> csr, csc;
};

/// Fills v.csr / v.csc with W at the pattern's positions. W must be (p.rows x p.cols).
inline void gather_values(SparseValues& v, const Matrix& W, const SparsePattern& p) {
  REWIRE_ASSERT(W.rows() == p.rows && W.cols() == p.cols);
  const float* w = W.data();
  const std::size_t nnz = p.csr_offset.size();
  v.csr.resize(nnz);
  v.csc.resize(nnz);
  for (std::size_t k = 0; k < nnz; ++k) v.csr[k] = w[p.csr_offset[k]];
  for (std::size_t k = 0; k < nnz; ++k) v.csc[k] = w[p.csc_offset[k]];
}

namespace detail {

// Batch tile of the axpy kernels = 8 to 16 vector registers of accumulators:
// enough independent FMA chains to hide the FMA latency, few enough that the
// whole tile stays in registers (a spilled tile costs a load+store per FMA).
// AVX-512 targets have 32 vector registers (GCC's generic tuning uses 16 ymm
// of them here), AVX 16 ymm, SSE 16 xmm.
#if defined(__AVX512F__)
inline constexpr int kSparseTile = 128;
#elif defined(__AVX__)
inline constexpr int kSparseTile = 64;
#else
inline constexpr int kSparseTile = 32;
#endif

// GCC's -O3 unroll-and-jam pass (-floop-unroll-and-jam) unrolls the k loop below
// by 2 and fuses the two copies of the j loop; the fused loop is then left scalar
// and only the odd remainder nonzero runs vectorised: 6-8x slower (measured,
// cpu-measurements.md section 2 'CSR FM alt'). `#pragma GCC unroll 1` on the k
// loop does not stop it, so the pass is switched off for this one function.
// This changes no other optimisation option; other compilers ignore it.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC optimize("no-loop-unroll-and-jam")
#endif
/// out[j] = init + sum_{k in [begin,end)} val[k] * src[idx[k]*ld + j], j < T.
/// T is a compile-time constant so that `acc` becomes T/VL vector registers.
template <int T>
inline void axpy_tile(float* out, const float* src, Index ld, const std::int32_t* idx,
                      const float* val, std::int32_t begin, std::int32_t end, float init) {
  float acc[T];
  for (int j = 0; j < T; ++j) acc[j] = init;
  for (std::int32_t k = begin; k < end; ++k) {
    const float v = val[k];
    const float* s = src + Index(idx[k]) * ld;
    for (int j = 0; j < T; ++j) acc[j] += v * s[j];
  }
  for (int j = 0; j < T; ++j) out[j] = acc[j];
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif

/// The remainder (< 8 samples) with a runtime length; scalar, rarely hot.
inline void axpy_tail(float* out, int len, const float* src, Index ld, const std::int32_t* idx,
                      const float* val, std::int32_t begin, std::int32_t end, float init) {
  float acc[8];
  for (int j = 0; j < len; ++j) acc[j] = init;
  for (std::int32_t k = begin; k < end; ++k) {
    const float v = val[k];
    const float* s = src + Index(idx[k]) * ld;
    for (int j = 0; j < len; ++j) acc[j] += v * s[j];
  }
  for (int j = 0; j < len; ++j) out[j] = acc[j];
}

/// For every batch tile [n0, n0+T) of T samples: for every compressed line q
/// (CSR row or CSC column), out(n0.., q) = init[q] + sum_k val[k] * src(n0.., idx[k]).
/// Tiles are the outer loop so that one tile of `src` (T x features, at most
/// 128 x 512 floats = 256 KiB) stays in L2 while all lines use it, for any batch.
template <int T>
inline void axpy_lines(float* out, const float* src, Index ld, Index n0, Index lines,
                       const std::int32_t* ptr, const std::int32_t* idx, const float* val,
                       const float* init) {
  for (Index q = 0; q < lines; ++q)
    axpy_tile<T>(out + q * ld + n0, src + n0, ld, idx, val, ptr[q], ptr[q + 1],
                 init ? init[q] : 0.0f);
}

/// Runs the axpy kernel over the whole batch `ld`: full tiles of kSparseTile,
/// then halving tiles down to 8, then the scalar tail.
inline void sparse_axpy(float* out, const float* src, Index ld, Index lines,
                        const std::int32_t* ptr, const std::int32_t* idx, const float* val,
                        const float* init) {
  Index n0 = 0;
  for (; n0 + kSparseTile <= ld; n0 += kSparseTile)
    axpy_lines<kSparseTile>(out, src, ld, n0, lines, ptr, idx, val, init);
  // At most one tile of each smaller size, largest first (binary decomposition).
  if constexpr (kSparseTile > 64)
    if (n0 + 64 <= ld) axpy_lines<64>(out, src, ld, n0, lines, ptr, idx, val, init), n0 += 64;
  if constexpr (kSparseTile > 32)
    if (n0 + 32 <= ld) axpy_lines<32>(out, src, ld, n0, lines, ptr, idx, val, init), n0 += 32;
  if (n0 + 16 <= ld) axpy_lines<16>(out, src, ld, n0, lines, ptr, idx, val, init), n0 += 16;
  if (n0 + 8 <= ld) axpy_lines<8>(out, src, ld, n0, lines, ptr, idx, val, init), n0 += 8;
  if (n0 < ld)
    for (Index q = 0; q < lines; ++q)
      axpy_tail(out + q * ld + n0, int(ld - n0), src + n0, ld, idx, val, ptr[q], ptr[q + 1],
                init ? init[q] : 0.0f);
}

// Lanes of the dot-product accumulators: 4 vector registers of independent
// partial sums (the reduction is strict IEEE, so a single accumulator would be
// one serial chain at FMA latency).
inline constexpr int kDotLanes = 32;

/// sum_n a[n]*b[n] over n < len, as kDotLanes partial sums reduced pairwise.
/// The summation order depends only on len (and the compile flags).
inline float dot(const float* a, const float* b, Index len) {
  float acc[kDotLanes] = {};
  Index n = 0;
  for (; n + kDotLanes <= len; n += kDotLanes)
    for (int j = 0; j < kDotLanes; ++j) acc[j] += a[n + j] * b[n + j];
  for (int j = 0; n + j < len; ++j) acc[j] += a[n + j] * b[n + j];
  // Pairwise tree: each level is one vectorisable elementwise add, so the
  // reduction costs log2(kDotLanes) steps instead of kDotLanes serial adds.
  for (int w = kDotLanes / 2; w > 0; w /= 2)
    for (int j = 0; j < w; ++j) acc[j] += acc[j + w];
  return acc[0];
}

}  // namespace detail

/// Y = X W^T + b with W given by (p, v). X (batch x p.cols), b (p.rows); Y is
/// resized to (batch x p.rows). Equals linear_forward with the masked W.
inline void sparse_linear_forward(Matrix& Y, const Matrix& X, const SparsePattern& p,
                                  const SparseValues& v, const Vector& b) {
  REWIRE_ASSERT(X.cols() == p.cols && b.size() == p.rows);
  REWIRE_ASSERT(Index(v.csr.size()) == p.nnz());
  Y.resize(X.rows(), p.rows);
  detail::sparse_axpy(Y.data(), X.data(), X.rows(), p.rows, p.row_ptr.data(),
                      p.col_index.data(), v.csr.data(), b.data());
}

/// dX = dY W with W given by (p, v). dY (batch x p.rows); dX is resized to
/// (batch x p.cols). Equals linear_backward_input with the masked W.
inline void sparse_linear_backward_input(Matrix& dX, const Matrix& dY, const SparsePattern& p,
                                         const SparseValues& v) {
  REWIRE_ASSERT(dY.cols() == p.rows);
  REWIRE_ASSERT(Index(v.csc.size()) == p.nnz());
  dX.resize(dY.rows(), p.cols);
  detail::sparse_axpy(dX.data(), dY.data(), dY.rows(), p.cols, p.col_ptr.data(),
                      p.row_index.data(), v.csc.data(), nullptr);
}

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
  db.resize(p.rows);
  const Index N = X.rows();
  const std::vector<float> ones(static_cast<std::size_t>(N), 1.0f);
  float* dw = dW.data();
  for (Index o = 0; o < p.rows; ++o) {
    const float* d = dY.data() + o * N;
    // Column sum through the same dot kernel: vectorised, and the same
    // summation order as the weight entries.
    db[o] = detail::dot(d, ones.data(), N);
    for (std::int32_t k = p.row_ptr[o]; k < p.row_ptr[o + 1]; ++k)
      dw[p.csr_offset[k]] = detail::dot(d, X.data() + Index(p.col_index[k]) * N, N);
  }
}

}  // namespace rewire
