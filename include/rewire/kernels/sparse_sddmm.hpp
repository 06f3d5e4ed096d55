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
  const __m256 x = _mm256_add_ps(_mm256_add_ps(acc[0], acc[2]), _mm256_add_ps(acc[1], acc[3]));  // w = 16, 8
  return fold8_avx2(x);
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

/// lane_dot on AVX-512F for a block of 16 (Count - 1) + 1..16 samples:
/// vector v (samples 16v..16v+15) feeds chains 16 (v mod 2) + 0..15, so
/// acc[0] holds chains 0-15 and acc[1] chains 16-31. The shared operand is
/// given as Count vectors `av` (zero past the block), kept in registers
/// across the line's entries; the partner's last vector is read with the
/// block's mask (a masked-off lane reads 0: fma(0, 0, chain) = chain).
/// Count is a template argument so that every vector index is a constant
/// (a runtime index would put the vectors in memory).
template <int Count>
REWIRE_TARGET_AVX512 inline float lane_dot_avx512(const __m512 (&av)[Count], __mmask16 last, const float* b) {
  __m512 acc[2] = {_mm512_setzero_ps(), _mm512_setzero_ps()};
  for (int v = 0; v < Count; ++v) {
    const __m512 bv = v + 1 == Count ? _mm512_maskz_loadu_ps(last, b + 16 * v) : _mm512_loadu_ps(b + 16 * v);
    acc[v % 2] = _mm512_fmadd_ps(av[v], bv, acc[v % 2]);
  }
  // The fold within 512-bit registers (lanes moved down by zero-masked
  // shuffles: the 256- and 128-bit casts and extracts trip GCC 12's
  // -Wmaybe-uninitialized inside its own header, GCC bug 105593).
  __m512 z = _mm512_add_ps(acc[0], acc[1]);                              // w = 16
  z = _mm512_add_ps(z, _mm512_maskz_shuffle_f32x4(0xFFFF, z, z, 0xEE));  // w = 8: lanes 8..15 down
  z = _mm512_add_ps(z, _mm512_maskz_shuffle_f32x4(0xFFFF, z, z, 0x55));  // w = 4: lanes 4..7 down
  z = _mm512_add_ps(z, _mm512_maskz_permute_ps(0xFFFF, z, 0xEE));        // w = 2: lanes 2, 3 down
  z = _mm512_add_ps(z, _mm512_maskz_permute_ps(0xFFFF, z, 0x55));        // w = 1: lane 1 down
  return _mm512_cvtss_f32(z);
}

template <int Count>
REWIRE_TARGET_AVX512 inline void sddmm_lines_avx512(const SddmmBlock<float>& g) {
  const __mmask16 last = avx512_lanes(g.len - 16 * (Count - 1));
  for (Index q = 0; q < g.lines; ++q) {
    const float* aq = g.a + q * g.lda;
    const bool skip = zero_line(aq, g.len);
    __m512 av[Count];
    for (int v = 0; v < Count; ++v)
      av[v] = v + 1 == Count ? _mm512_maskz_loadu_ps(last, aq + 16 * v) : _mm512_loadu_ps(aq + 16 * v);
    for (std::int32_t k = g.ptr[q]; k < g.ptr[q + 1]; ++k) {
      const float s = skip ? 0.0f : lane_dot_avx512<Count>(av, last, g.b + Index(g.idx[k]) * g.ld);
      g.w[k] = g.accumulate ? g.w[k] + s : s;
    }
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

}  // namespace rewire::detail
