// rewire/kernels/sparse_tiles.hpp - the inner loops of the sparse kernels
// (kernels/sparse_linear.hpp): one batch tile of products at a time, with
// compile-time tile sizes so that every accumulator lives in registers.
// Internal (namespace detail): call the public kernels instead.
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/core/types.hpp>

#include <cstdint>
#include <type_traits>

namespace rewire::detail {

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
  REWIRE_ASSERT(T > 0 || (t > 0 && t <= kMaxTail));  // a tail fits the accumulator below
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

}  // namespace rewire::detail
