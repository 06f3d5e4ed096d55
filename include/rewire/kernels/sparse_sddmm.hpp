// rewire/kernels/sparse_sddmm.hpp - the reductions over samples of the sparse
// weight gradient (kernels/sparse_linear.hpp): the weight gradient at the
// active positions (a sampled dense-dense product, SDDMM) and the bias
// gradient. Internal (namespace detail): call the public kernel instead.
//
//   SUMMATION CONTRACT. The batch is cut into blocks of kReduceBlock (128)
//   samples. Within a block, sample j feeds chain j mod kLanes (32 chains,
//   each starting at +0: chain = fma(a_j, b_j, chain) for a product, chain =
//   chain + d_j for a sum, in increasing j). The chains are then folded
//   pairwise, lane l = lane l + lane l+w for w = 16, 8, 4, 2, 1, and lane 0
//   is the block's sum s. The stored value becomes s for the first block
//   (unless accumulating) and value + s for every later one.
//
// The constants are the code's, not a vector width's: 32 chains are 4
// vectors of 8 lanes (AVX2), 2 of 16 (AVX-512) or 32 scalars, and the fold is
// the same tree in all of them. So the scalar version (plain C++ with
// std::fma), the AVX2+FMA and the AVX-512F version (target attributes, chosen
// at run time like the dense kernels: core/isa.hpp) give identical bits;
// kernels/sparse_reference.hpp writes the contract out as plain loops and
// tests/test_sparse_contract.cpp compares every version with it.
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/core/types.hpp>
#include <rewire/core/isa.hpp>

#include <cmath>
#include <cstdint>
#include <type_traits>

#if REWIRE_X86_KERNELS
#include <rewire/kernels/fixed_gemm_avx2.hpp>    // avx2_lanes
#include <rewire/kernels/fixed_gemm_avx512.hpp>  // avx512_lanes
#include <immintrin.h>
#endif

namespace rewire::detail {

/// Interleaved chains of a reduction over samples (the contract above).
inline constexpr int kLanes = 32;
/// Samples per block of a reduction over samples (the contract above).
inline constexpr Index kReduceBlock = 128;

/// The fold of the contract: lane l += lane l + w for w = 16, 8, 4, 2, 1.
template <typename Scalar>
inline Scalar fold_lanes(Scalar (&acc)[kLanes]) {
  for (int w = kLanes / 2; w >= 1; w /= 2)
    for (int l = 0; l < w; ++l) acc[l] = acc[l] + acc[l + w];
  return acc[0];
}

/// sum_{j < len} d[j] in the contract's order (len <= kReduceBlock). The
/// last partial chunk is copied into zero padding: + 0 leaves a chain as it
/// is (a chain that starts at +0 is never -0).
template <typename Scalar>
inline Scalar lane_sum(const Scalar* d, Index len) {
  Scalar acc[kLanes] = {};
  Scalar tail[kLanes] = {};
  Index j = 0;
  for (; j + kLanes <= len; j += kLanes)
    for (int l = 0; l < kLanes; ++l) acc[l] = acc[l] + d[j + l];
  for (int l = 0; j + l < len; ++l) tail[l] = d[j + l];
  for (int l = 0; l < kLanes; ++l) acc[l] = acc[l] + tail[l];
  return fold_lanes(acc);
}

/// The scalar version: sum_j a[j] b[j] in the contract's order (len <=
/// kReduceBlock), by plain loops with constant indices into `acc`.
template <typename Scalar>
inline Scalar lane_dot(const Scalar* a, const Scalar* b, Index len) {
  Scalar acc[kLanes] = {};
  Index j = 0;
  for (; j + kLanes <= len; j += kLanes)
    for (int l = 0; l < kLanes; ++l) acc[l] = std::fma(a[j + l], b[j + l], acc[l]);
  if (j < len) {  // a padded lane adds fma(0, 0, chain) = chain + 0: no change
    Scalar ta[kLanes] = {}, tb[kLanes] = {};
    for (int l = 0; j + l < len; ++l) ta[l] = a[j + l], tb[l] = b[j + l];
    for (int l = 0; l < kLanes; ++l) acc[l] = std::fma(ta[l], tb[l], acc[l]);
  }
  return fold_lanes(acc);
}

/// The arguments of one SDDMM block: for every line q < lines and k in
/// [ptr[q], ptr[q+1]), w[k] = (accumulate ? w[k] + s : s) with s = sum_j
/// a(q, j) b(idx[k], j) over the block's len samples, a(q, j) = a[q*lda + j],
/// b(i, j) = b[i*ld + j] (w: the compact CSC-order gradient).
template <typename Scalar>
struct SddmmBlock {
  Scalar* w;
  bool accumulate;
  const Scalar* a;
  Index lda;
  Index len;
  const Scalar* b;
  Index ld;
  Index lines;
  const std::int32_t* ptr;
  const std::int32_t* idx;
};

/// True when a(q, :) of the block is all exact zeros: the input of a ReLU
/// unit that is off for the whole block (without internal noise 25-63% of
/// the hidden units per layer of the paper's network after 95% pruning).
/// The line's products are then skipped: every chain is +0 (fma(0, x, +0) =
/// +0 for finite x), so s = +0 is stored as the products would have stored
/// it, for finite partner values (an infinite or NaN one would have given
/// NaN instead).
template <typename Scalar>
inline bool zero_line(const Scalar* aq, Index len) {
  int nonzero = 0;
  for (Index j = 0; j < len; ++j) nonzero |= (aq[j] != Scalar(0));
  return nonzero == 0;
}

// Each version below is the same loop over lines and entries with its own
// lane_dot, written out in each so that the dot products inline (a call
// into a function of another target cannot).

/// The scalar version of one block.
template <typename Scalar>
inline void sddmm_block_scalar(const SddmmBlock<Scalar>& g) {
  for (Index q = 0; q < g.lines; ++q) {
    const Scalar* aq = g.a + q * g.lda;
    const bool skip = zero_line(aq, g.len);
    for (std::int32_t k = g.ptr[q]; k < g.ptr[q + 1]; ++k) {
      const Scalar s = skip ? Scalar(0) : lane_dot(aq, g.b + Index(g.idx[k]) * g.ld, g.len);
      g.w[k] = g.accumulate ? g.w[k] + s : s;
    }
  }
}

#if REWIRE_X86_KERNELS

/// Lanes 0-7 of the contract's fold, from lane 0..3 on: the 4-2-1 steps
/// within one 8-lane vector (x = lanes 0..7 after the 16 and 8 steps).
REWIRE_TARGET_AVX2 inline float fold8_avx2(__m256 x) {
  __m128 v = _mm_add_ps(_mm256_castps256_ps128(x), _mm256_extractf128_ps(x, 1));  // w = 4
  v = _mm_add_ps(v, _mm_movehl_ps(v, v));                                           // w = 2
  v = _mm_add_ss(v, _mm_shuffle_ps(v, v, 1));                                       // w = 1
  return _mm_cvtss_f32(v);
}

/// The contract's fold of 32 chains held as acc[v] = chains 8v..8v+7.
REWIRE_TARGET_AVX2 inline float fold32_avx2(const __m256 (&acc)[4]) {
  const __m256 x = _mm256_add_ps(_mm256_add_ps(acc[0], acc[2]), _mm256_add_ps(acc[1], acc[3]));  // w = 16, 8
  return fold8_avx2(x);
}

/// lane_dot on AVX2+FMA: chains 8v..8v+7 in acc[v]; the partial last chunk
/// by masked loads (a masked-off lane reads 0: fma(0, 0, chain) = chain).
REWIRE_TARGET_AVX2 inline float lane_dot_avx2(const float* a, const float* b, Index len) {
  __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
  Index j = 0;
  for (; j + kLanes <= len; j += kLanes)
    for (int v = 0; v < 4; ++v)
      acc[v] = _mm256_fmadd_ps(_mm256_loadu_ps(a + j + 8 * v), _mm256_loadu_ps(b + j + 8 * v), acc[v]);
  for (int v = 0; v < 4 && j + 8 * v < len; ++v) {
    const __m256i mk = avx2_lanes(len - j - 8 * v);
    acc[v] = _mm256_fmadd_ps(_mm256_maskload_ps(a + j + 8 * v, mk), _mm256_maskload_ps(b + j + 8 * v, mk), acc[v]);
  }
  return fold32_avx2(acc);
}

/// The bias gradient's sums on AVX2: db[o] = (accumulate ? db[o] + s : s),
/// s = lane_sum(d + o*ld, len), for o < lines; chains as in lane_dot_avx2.
REWIRE_TARGET_AVX2 inline void lane_sums_avx2(float* db, bool accumulate, const float* d, Index ld, Index lines,
                                              Index len) {
  for (Index o = 0; o < lines; ++o) {
    const float* x = d + o * ld;
    // Vector v = samples 8v..8v+7; a masked-off lane reads +0 (chain + 0 =
    // chain). No lambda for the load: it would not have this target.
    __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    for (Index j = 0; j < len; j += 32)
      for (int v = 0; v < 4 && j + 8 * v < len; ++v) {
        const Index j0 = j + 8 * v;
        const __m256 xv = j0 + 8 <= len ? _mm256_loadu_ps(x + j0) : _mm256_maskload_ps(x + j0, avx2_lanes(len - j0));
        acc[v] = _mm256_add_ps(acc[v], xv);
      }
    const float s = fold32_avx2(acc);
    db[o] = accumulate ? db[o] + s : s;
  }
}

REWIRE_TARGET_AVX2 inline void sddmm_block_avx2(const SddmmBlock<float>& g) {
  for (Index q = 0; q < g.lines; ++q) {
    const float* aq = g.a + q * g.lda;
    const bool skip = zero_line(aq, g.len);
    for (std::int32_t k = g.ptr[q]; k < g.ptr[q + 1]; ++k) {
      const float s = skip ? 0.0f : lane_dot_avx2(aq, g.b + Index(g.idx[k]) * g.ld, g.len);
      g.w[k] = g.accumulate ? g.w[k] + s : s;
    }
  }
}

/// The contract's fold of 32 chains held as acc0 (chains 0-15) and acc1
/// (chains 16-31), done within 512-bit registers (lanes moved down by
/// zero-masked shuffles: the 256- and 128-bit casts and extracts trip GCC 12's
/// -Wmaybe-uninitialized inside its own header, GCC bug 105593).
REWIRE_TARGET_AVX512 inline float fold32_avx512(__m512 acc0, __m512 acc1) {
  __m512 z = _mm512_add_ps(acc0, acc1);                                  // w = 16
  z = _mm512_add_ps(z, _mm512_maskz_shuffle_f32x4(0xFFFF, z, z, 0xEE));  // w = 8: lanes 8..15 down
  z = _mm512_add_ps(z, _mm512_maskz_shuffle_f32x4(0xFFFF, z, z, 0x55));  // w = 4: lanes 4..7 down
  z = _mm512_add_ps(z, _mm512_maskz_permute_ps(0xFFFF, z, 0xEE));        // w = 2: lanes 2, 3 down
  z = _mm512_add_ps(z, _mm512_maskz_permute_ps(0xFFFF, z, 0x55));        // w = 1: lane 1 down
  return _mm512_cvtss_f32(z);
}

/// The same fold for four reductions at once, i = 0..3 held as
/// (acc0[i], acc1[i]); the sums go to lanes 0..3 of s (zero-masked
/// shuffles and permutes for the reason given above). Every lane adds the operands
/// fold32_avx512 adds (lane l + lane l + w of the same reduction), so the
/// bits are the same; four folds share each shuffle and add, which at high
/// sparsity is a large part of the weight gradient's work.
REWIRE_TARGET_AVX512 inline void fold32x4_avx512(const __m512 (&acc0)[4], const __m512 (&acc1)[4], __m512& s) {
  __m512 z[4];
  for (int i = 0; i < 4; ++i) z[i] = _mm512_add_ps(acc0[i], acc1[i]);  // w = 16
  // w = 8: 128-bit blocks [z0.0 z0.1 z1.0 z1.1] + [z0.2 z0.3 z1.2 z1.3]
  const __m512 y01 = _mm512_add_ps(_mm512_maskz_shuffle_f32x4(0xFFFF, z[0], z[1], 0x44),
                                   _mm512_maskz_shuffle_f32x4(0xFFFF, z[0], z[1], 0xEE));
  const __m512 y23 = _mm512_add_ps(_mm512_maskz_shuffle_f32x4(0xFFFF, z[2], z[3], 0x44),
                                   _mm512_maskz_shuffle_f32x4(0xFFFF, z[2], z[3], 0xEE));
  // w = 4: block i of x = lanes 0..3 + lanes 4..7 of reduction i
  __m512 x = _mm512_add_ps(_mm512_maskz_shuffle_f32x4(0xFFFF, y01, y23, 0x88),
                           _mm512_maskz_shuffle_f32x4(0xFFFF, y01, y23, 0xDD));
  x = _mm512_add_ps(x, _mm512_maskz_permute_ps(0xFFFF, x, 0xEE));  // w = 2, within each block
  x = _mm512_add_ps(x, _mm512_maskz_permute_ps(0xFFFF, x, 0x55));  // w = 1
  const __m512i firsts = _mm512_setr_epi32(0, 4, 8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
  s = _mm512_maskz_permutexvar_ps(0xFFFF, firsts, x);  // lane 4i -> lane i
}

/// The products of lane_dot on AVX-512F for a block of 16 (Count - 1) +
/// 1..16 samples: vector v (samples 16v..16v+15) feeds chains 16 (v mod 2) +
/// 0..15, so acc0 holds chains 0-15 and acc1 chains 16-31. The shared
/// operand is given as Count vectors `av` (zero past the block), kept in
/// registers across the line's entries; the partner's last vector is read
/// with the block's mask (a masked-off lane reads 0: fma(0, 0, chain) =
/// chain). Count is a template argument so that every vector index is a
/// constant (a runtime index would put the vectors in memory).
template <int Count>
REWIRE_TARGET_AVX512 REWIRE_ALWAYS_INLINE void dot_chains_avx512(const __m512 (&av)[Count], __mmask16 last,
                                                                  const float* b, __m512& acc0, __m512& acc1) {
  acc0 = _mm512_setzero_ps();
  acc1 = _mm512_setzero_ps();
  for (int v = 0; v < Count; ++v) {
    const __m512 bv = v + 1 == Count ? _mm512_maskz_loadu_ps(last, b + 16 * v) : _mm512_loadu_ps(b + 16 * v);
    if (v % 2 == 0)
      acc0 = _mm512_fmadd_ps(av[v], bv, acc0);
    else
      acc1 = _mm512_fmadd_ps(av[v], bv, acc1);
  }
}

/// Line q's entries [k0, k1) of an SDDMM block on AVX-512F: four entries at
/// a time (their chains interleave, their folds share instructions), then
/// one at a time.
template <int Count>
REWIRE_TARGET_AVX512 REWIRE_ALWAYS_INLINE void sddmm_entries_avx512(const SddmmBlock<float>& g,
                                                                     const __m512 (&av)[Count], __mmask16 last,
                                                                     std::int32_t k0, std::int32_t k1) {
  std::int32_t k = k0;
  for (; k + 4 <= k1; k += 4) {
    __m512 acc0[4], acc1[4], s;
    for (int i = 0; i < 4; ++i) dot_chains_avx512<Count>(av, last, g.b + Index(g.idx[k + i]) * g.ld, acc0[i], acc1[i]);
    fold32x4_avx512(acc0, acc1, s);
    if (g.accumulate) s = _mm512_add_ps(_mm512_maskz_loadu_ps(0x000F, g.w + k), s);
    _mm512_mask_storeu_ps(g.w + k, 0x000F, s);
  }
  for (; k < k1; ++k) {
    __m512 acc0, acc1;
    dot_chains_avx512<Count>(av, last, g.b + Index(g.idx[k]) * g.ld, acc0, acc1);
    const float s = fold32_avx512(acc0, acc1);
    g.w[k] = g.accumulate ? g.w[k] + s : s;
  }
}

/// The bias gradient's sums on AVX-512F: db[o] = (accumulate ? db[o] + s :
/// s), s = lane_sum(d + o*ld, len), for o < lines; vector v feeds chains
/// 16 (v mod 2) + 0..15, as in dot_chains_avx512.
REWIRE_TARGET_AVX512 inline void lane_sums_avx512(float* db, bool accumulate, const float* d, Index ld, Index lines,
                                                  Index len) {
  for (Index o = 0; o < lines; ++o) {
    const float* x = d + o * ld;
    // Vector v = samples 16v..16v+15; a masked-off lane reads +0 (chain + 0
    // = chain). No lambda for the load: it would not have this target.
    __m512 acc[2] = {_mm512_setzero_ps(), _mm512_setzero_ps()};
    for (Index j = 0; j < len; j += 32)
      for (int v = 0; v < 2 && j + 16 * v < len; ++v) {
        const Index j0 = j + 16 * v;
        const __m512 xv =
            j0 + 16 <= len ? _mm512_loadu_ps(x + j0) : _mm512_maskz_loadu_ps(avx512_lanes(len - j0), x + j0);
        acc[v] = _mm512_add_ps(acc[v], xv);
      }
    const float s = fold32_avx512(acc[0], acc[1]);
    db[o] = accumulate ? db[o] + s : s;
  }
}

template <int Count>
REWIRE_TARGET_AVX512 inline void sddmm_lines_avx512(const SddmmBlock<float>& g) {
  const __mmask16 last = avx512_lanes(g.len - 16 * (Count - 1));
  for (Index q = 0; q < g.lines; ++q) {
    const float* aq = g.a + q * g.lda;
    if (zero_line(aq, g.len)) {
      for (std::int32_t k = g.ptr[q]; k < g.ptr[q + 1]; ++k) g.w[k] = g.accumulate ? g.w[k] + 0.0f : 0.0f;
      continue;
    }
    __m512 av[Count];
    for (int v = 0; v < Count; ++v)
      av[v] = v + 1 == Count ? _mm512_maskz_loadu_ps(last, aq + 16 * v) : _mm512_loadu_ps(aq + 16 * v);
    sddmm_entries_avx512<Count>(g, av, last, g.ptr[q], g.ptr[q + 1]);
  }
}

/// One block (1 <= len <= kReduceBlock) with its vector count as a constant.
REWIRE_TARGET_AVX512 inline void sddmm_block_avx512(const SddmmBlock<float>& g) {
  static_assert(kReduceBlock == 8 * 16, "one case per 16-lane vector of a block below");
  switch ((g.len + 15) / 16) {
    case 1: return sddmm_lines_avx512<1>(g);
    case 2: return sddmm_lines_avx512<2>(g);
    case 3: return sddmm_lines_avx512<3>(g);
    case 4: return sddmm_lines_avx512<4>(g);
    case 5: return sddmm_lines_avx512<5>(g);
    case 6: return sddmm_lines_avx512<6>(g);
    case 7: return sddmm_lines_avx512<7>(g);
    default: return sddmm_lines_avx512<8>(g);
  }
}
#endif

/// One SDDMM block (len <= kReduceBlock) on `isa` (float) or the scalar
/// version (other types, other architectures).
template <typename Scalar>
inline void sddmm_block(const SddmmBlock<Scalar>& g, Isa isa) {
  REWIRE_ASSERT(g.len >= 0 && g.len <= kReduceBlock);
  if (g.len == 0) return;  // no samples: the caller handles an empty batch
  if (g.len == 1) {
    // One sample (a batch of 1, or a block's last): chain 0 = fma(a, b, +0)
    // and 31 chains of +0, whose fold adds +0 to it: the whole contract is
    // this one fma, in every version.
    for (Index q = 0; q < g.lines; ++q)
      for (std::int32_t k = g.ptr[q]; k < g.ptr[q + 1]; ++k) {
        const Scalar s = std::fma(g.a[q * g.lda], g.b[Index(g.idx[k]) * g.ld], Scalar(0));
        g.w[k] = g.accumulate ? g.w[k] + s : s;
      }
    return;
  }
#if REWIRE_X86_KERNELS
  if constexpr (std::is_same_v<Scalar, float>) {
    if (isa == Isa::avx512) return sddmm_block_avx512(g);
    if (isa == Isa::avx2) return sddmm_block_avx2(g);
  }
#endif
  (void)isa;
  sddmm_block_scalar(g);
}

/// The bias gradient of one block on `isa` (float) or the scalar version:
/// db[o] = (accumulate ? db[o] + s : s), s = lane_sum(d + o*ld, len), for
/// every line o < lines (len <= kReduceBlock).
template <typename Scalar>
inline void lane_sums(Scalar* db, bool accumulate, const Scalar* d, Index ld, Index lines, Index len, Isa isa) {
  REWIRE_ASSERT(len >= 0 && len <= kReduceBlock);
#if REWIRE_X86_KERNELS
  if constexpr (std::is_same_v<Scalar, float>) {
    if (isa == Isa::avx512) return lane_sums_avx512(db, accumulate, d, ld, lines, len);
    if (isa == Isa::avx2) return lane_sums_avx2(db, accumulate, d, ld, lines, len);
  }
#endif
  (void)isa;
  for (Index o = 0; o < lines; ++o) {
    const Scalar s = lane_sum(d + o * ld, len);
    db[o] = accumulate ? db[o] + s : s;
  }
}

}  // namespace rewire::detail
