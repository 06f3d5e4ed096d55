// rewire/kernels/sparse_tiles.hpp - the inner loops of the sparse forward and
// input gradient (kernels/sparse_linear.hpp): one batch tile of products at a
// time, with compile-time tile sizes so that every accumulator lives in
// registers.
// Internal (namespace detail): call the public kernels instead.
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/core/types.hpp>
#include <rewire/core/isa.hpp>

#include <cmath>
#include <cstdint>
#include <type_traits>

namespace rewire::detail {

// Batch tile of the kernels = 8 to 16 vector registers of accumulators: enough
// independent FMA chains to hide the FMA latency, few enough that the whole tile
// stays in registers (a spilled tile costs a load+store per FMA). AVX-512 has 32
// vector registers of 16 floats, AVX2 16 of 8, SSE 16 of 4. kSparseTile is the
// tile of the build's own target; the AVX2 and AVX-512 versions chosen at run
// time (kernels/sparse_linear.hpp) use kAvx2Tile and kAvx512Tile.
inline constexpr int kAvx2Tile = 64;
inline constexpr int kAvx512Tile = 128;
#if defined(__AVX512F__)
inline constexpr int kSparseTile = kAvx512Tile;
#elif defined(__AVX__)
inline constexpr int kSparseTile = kAvx2Tile;
#else
inline constexpr int kSparseTile = 32;
#endif

template <int T>
using TileSize = std::integral_constant<int, T>;

/// Splits [0, len) into tiles with compile-time sizes, so that every hot loop has
/// a constant trip count and a register-resident accumulator: full Tile-sample
/// tiles, then at most one tile each of 64, 32, 16 and 8 (binary decomposition),
/// then one tile of the last t < 8 samples. Calls f(TileSize<T>, n0, t) with
/// t == T.
template <int Tile, class F>
inline void for_each_tile(Index len, F&& f) {
  static_assert(Tile == 32 || Tile == 64 || Tile == 128, "a tile of 32, 64 or 128 samples");
  Index n0 = 0;
  for (; n0 + Tile <= len; n0 += Tile) f(TileSize<Tile>{}, n0, Tile);
  if constexpr (Tile > 64) {
    if (n0 + 64 <= len) {
      f(TileSize<64>{}, n0, 64);
      n0 += 64;
    }
  }
  if constexpr (Tile > 32) {
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
  switch (len - n0) {  // the last t < 8 samples: compile-time sizes too
    case 1: f(TileSize<1>{}, n0, 1); break;
    case 2: f(TileSize<2>{}, n0, 2); break;
    case 3: f(TileSize<3>{}, n0, 3); break;
    case 4: f(TileSize<4>{}, n0, 4); break;
    case 5: f(TileSize<5>{}, n0, 5); break;
    case 6: f(TileSize<6>{}, n0, 6); break;
    case 7: f(TileSize<7>{}, n0, 7); break;
    default: break;
  }
}

// The summation contract of the sparse kernels: the same bits at every
// vector width and with any compiler flags, because every multiply-add is an
// explicit std::fma (one rounding; no contraction left for a compiler to
// choose) and every sum has an order written here, not chosen by a
// vectoriser:
//
//  - axpy (forward, input gradient): each output value is one chain
//        acc = init[q] (or 0);  for k in the line's order: acc = fma(w_k, x_k, acc)
//    Vectors run across samples, which are independent outputs, so the tile
//    size (by vector width) changes nothing but the speed. In
//    the pattern's order (increasing input index in a CSR row, increasing
//    output index in a CSC column) this is the chain of the fixed-order
//    dense kernels (kernels/dense_gemm.hpp): a sparse layer computes the
//    bits of the dense one with its masked weights.
//  - reductions over samples (weight gradient, bias gradient) have their
//    own order, stated in kernels/sparse_sddmm.hpp.
//
// GCC only: no-loop-unroll-and-jam. GCC's -O3 unroll-and-jam pass unrolls
// each k loop by 2 and fuses the two copies of the inner j loop; the fused
// loop is then left scalar and only the odd remainder nonzero runs vectorised
// (visible in the generated assembly of GCC 12; docs/performance.md, P12).
// `#pragma GCC unroll 1` on the k loop does not stop it.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC optimize("no-loop-unroll-and-jam")
#endif

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

  /// Stores line q of a tile (T values) at out + q*ldo.
  template <int T>
  REWIRE_ALWAYS_INLINE void store(Scalar* out, Index ldo, Index q, const Scalar* acc) const {
    constexpr int n = T;
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
  /// line at `offset` (T samples): the stored line is then all
  /// zeros whatever the products, so the kernel skips them. After heavy
  /// pruning many ReLU units are off for a whole batch (25-63% per hidden
  /// layer of the paper's network), so this is frequent, and the check reads
  /// only what the store reads anyway.
  template <int T>
  REWIRE_ALWAYS_INLINE bool gate_closed(Index offset) const {
    if (gate == nullptr) return false;
    constexpr int n = T;
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

/// One batch tile of T samples, line by line: for every line q < lines,
/// out[q*ldo + j] = the chain init[q] (or 0), then
/// fma(val[k'], src[idx[k]*ld + j], .) for k in [ptr[q], ptr[q+1]) in order,
/// with k' = perm[k] if Permuted, else k; the epilogue `e` then
/// post-processes each value as it leaves the registers. `acc` becomes
/// T/VL vector registers.
template <int T, bool Permuted, typename Scalar>
REWIRE_ALWAYS_INLINE void axpy_lines(Scalar* out, Index ldo, const Scalar* src, Index ld, Index lines, const std::int32_t* ptr,
                       const std::int32_t* idx, const Scalar* val, const std::int32_t* perm, const Scalar* init,
                       const Epilogue<Scalar>& e) {
  static_assert(T > 0, "a tile has a compile-time size (for_each_tile)");
  for (Index q = 0; q < lines; ++q) {
    const Scalar b = init ? init[q] : Scalar(0);
    Scalar acc[T];
    if (e.template gate_closed<T>(q * ldo)) {
      for (int j = 0; j < T; ++j) acc[j] = Scalar(0);  // stored as zeros anyway
    } else {
      for (int j = 0; j < T; ++j) acc[j] = b;
      for (std::int32_t k = ptr[q]; k < ptr[q + 1]; ++k) {
        const Scalar v = Permuted ? val[perm[k]] : val[k];
        const Scalar* s = src + Index(idx[k]) * ld;
        for (int j = 0; j < T; ++j) acc[j] = std::fma(v, s[j], acc[j]);
      }
    }
    e.template store<T>(out, ldo, q, acc);
  }
}

/// The arguments of the tile loop axpy_lines, for one tile.
template <typename T>
struct AxpyTile {
  T* out;
  Index ldo;
  const T* src;
  Index ld;
  Index lines;
  const std::int32_t* ptr;
  const std::int32_t* idx;
  const T* val;
  const std::int32_t* perm;
  const T* init;
  Epilogue<T> e;
};

/// axpy_lines on one tile, compiled for the build's own target (Target ==
/// Isa::scalar) or, for float, inside a function with the AVX2+FMA or
/// AVX-512F target attribute: axpy_lines is always inlined, so its std::fma
/// and vector loops are compiled for that target whatever the build's
/// -march. The same source, hence the same order and bits
/// (tests/test_sparse_contract.cpp checks every version). Defined here,
/// inside the GCC optimize region above: an inlined body is optimised with
/// its caller's options, and unroll-and-jam would leave it scalar.
template <int T, bool Permuted, typename Scalar>
void axpy_tile(const AxpyTile<Scalar>& a) {
  axpy_lines<T, Permuted>(a.out, a.ldo, a.src, a.ld, a.lines, a.ptr, a.idx, a.val, a.perm, a.init, a.e);
}
#if REWIRE_X86_KERNELS
template <int T, bool Permuted>
REWIRE_TARGET_AVX2 void axpy_tile_avx2(const AxpyTile<float>& a) {
  axpy_lines<T, Permuted>(a.out, a.ldo, a.src, a.ld, a.lines, a.ptr, a.idx, a.val, a.perm, a.init, a.e);
}
template <int T, bool Permuted>
REWIRE_TARGET_AVX512 void axpy_tile_avx512(const AxpyTile<float>& a) {
  axpy_lines<T, Permuted>(a.out, a.ldo, a.src, a.ld, a.lines, a.ptr, a.idx, a.val, a.perm, a.init, a.e);
}
#endif

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif

}  // namespace rewire::detail
