// rewire/kernels/fixed_gemm_avx2.hpp - the AVX2+FMA version of the
// fixed-order product (kernels/fixed_gemm_core.hpp states the order).
//
// A tile is up to 16 rows (2 vectors of 8 lanes) by kGemmPanel columns of C,
// held in 12 of the 16 registers. Each step p loads the rows' A(r, p) (one
// contiguous column of A), broadcasts each column's B(p, j) from the packed
// panel and does one explicit FMA per accumulator: lanes run across rows,
// never across p, so each lane's sum has the scalar version's order.
// Compiled with a target attribute, so a build without -march flags
// contains it; call it only where the CPU has AVX2 and FMA (core/isa.hpp).
#pragma once

#include <rewire/kernels/fixed_gemm_core.hpp>
#include <rewire/core/isa.hpp>

#if REWIRE_X86_KERNELS
#include <immintrin.h>

#include <algorithm>
#include <vector>


namespace rewire::detail {

/// The first `left` lanes of one 8-lane vector (all of them for left >= 8),
/// as the all-ones lanes of an integer mask.
REWIRE_TARGET_AVX2 inline __m256i avx2_lanes(Index left) {
  const int n = int(std::clamp<Index>(left, 0, 8));
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/// A vector of 8 floats from `p`; Masked: only the lanes of `mk` are read
/// (the others are 0), so a tile may end anywhere.
template <bool Masked>
REWIRE_TARGET_AVX2 inline __m256 avx2_load(const float* p, __m256i mk) {
  if constexpr (Masked) return _mm256_maskload_ps(p, mk);
  (void)mk;
  return _mm256_loadu_ps(p);
}

template <bool Masked>
REWIRE_TARGET_AVX2 inline void avx2_store(float* p, __m256i mk, __m256 v) {
  if constexpr (Masked) _mm256_maskstore_ps(p, mk, v);
  else _mm256_storeu_ps(p, v);
  (void)mk;
}

/// One tile: rows [r0, r0 + 8*NV) (fewer if Masked) x columns [j0, j0 + NO).
/// Init is a template argument, so that the set-up of the accumulators has
/// no branches (with them GCC kept the accumulators in memory).
template <int NV, int NO, bool Masked, GemmInit Init>
REWIRE_TARGET_AVX2 inline void avx2_tile(const GemmArgs<float>& g, Index r0, Index j0, const float* panel) {
  __m256i mk[NV];
  REWIRE_UNROLL
  for (int v = 0; v < NV; ++v) mk[v] = avx2_lanes(g.m - r0 - 8 * v);
  float* c = g.c + r0 + j0 * g.ldc;
  __m256 acc[NV][NO];
  REWIRE_UNROLL
  for (int j = 0; j < NO; ++j)
    REWIRE_UNROLL
    for (int v = 0; v < NV; ++v) {
      if constexpr (Init == GemmInit::zero) acc[v][j] = _mm256_setzero_ps();
      else if constexpr (Init == GemmInit::column_value) acc[v][j] = _mm256_set1_ps(g.init_col[j0 + j]);
      else acc[v][j] = avx2_load<Masked>(c + j * g.ldc + 8 * v, mk[v]);
    }
  const float* a = g.a + r0;
  for (Index p = 0; p < g.k; ++p) {
    const float* ap = a + p * g.lda;
    __m256 av[NV];
    REWIRE_UNROLL
    for (int v = 0; v < NV; ++v) av[v] = avx2_load<Masked>(ap + 8 * v, mk[v]);
    const float* bp = panel + p * NO;
    REWIRE_UNROLL
    for (int j = 0; j < NO; ++j) {
      const __m256 bj = _mm256_set1_ps(bp[j]);
      REWIRE_UNROLL
      for (int v = 0; v < NV; ++v) acc[v][j] = _mm256_fmadd_ps(av[v], bj, acc[v][j]);
    }
  }
  REWIRE_UNROLL
  for (int j = 0; j < NO; ++j)
    REWIRE_UNROLL
    for (int v = 0; v < NV; ++v) avx2_store<Masked>(c + j * g.ldc + 8 * v, mk[v], acc[v][j]);
}

/// Rows r0..r0+7 of columns c0..c0+7 of the column-major m (leading
/// dimension ld), transposed in registers: t[r] = row r0+r of those columns.
REWIRE_TARGET_AVX2 inline void avx2_transpose_8x8(const float* m, Index ld, __m256 t[8]) {
  __m256 v[8];
  for (int c = 0; c < 8; ++c) v[c] = _mm256_loadu_ps(m + c * ld);
  for (int c = 0; c < 8; c += 2) {
    t[c] = _mm256_unpacklo_ps(v[c], v[c + 1]);
    t[c + 1] = _mm256_unpackhi_ps(v[c], v[c + 1]);
  }
  for (int c = 0; c < 8; c += 4) {
    v[c] = _mm256_shuffle_ps(t[c], t[c + 2], 0x44);
    v[c + 1] = _mm256_shuffle_ps(t[c], t[c + 2], 0xEE);
    v[c + 2] = _mm256_shuffle_ps(t[c + 1], t[c + 3], 0x44);
    v[c + 3] = _mm256_shuffle_ps(t[c + 1], t[c + 3], 0xEE);
  }
  // v[k] (k < 4) now holds row k of columns 0..3 in its low half and row
  // k+4 in its high half; v[k+4] the same of columns 4..7.
  for (int k = 0; k < 4; ++k) {
    t[k] = _mm256_permute2f128_ps(v[k], v[k + 4], 0x20);
    t[k + 4] = _mm256_permute2f128_ps(v[k], v[k + 4], 0x31);
  }
}

/// out (cols x rows, column-major) = the transpose of the (rows x cols)
/// matrix m, with sums[c] = sums[c] + m(0,c) + m(1,c) + ... in row order
/// when `sums` is given: the same result as transpose_into in
/// dense_gemm.hpp (moves are exact; each column's sum is one chain in row
/// order, eight columns side by side). Row blocks outside, so that blocks
/// of different columns are independent chains the CPU overlaps, and each
/// row of `out` is written in order.
REWIRE_TARGET_AVX2 inline void avx2_transpose(float* out, Index ldo, const float* m, Index rows, Index cols, float* sums) {
  const Index rows8 = rows - rows % 8, cols8 = cols - cols % 8;
  for (Index r0 = 0; r0 < rows8; r0 += 8)
    for (Index c0 = 0; c0 < cols8; c0 += 8) {
      __m256 t[8];
      avx2_transpose_8x8(m + r0 + c0 * rows, rows, t);
      for (int r = 0; r < 8; ++r) _mm256_storeu_ps(out + c0 + (r0 + r) * ldo, t[r]);
      if (sums == nullptr) continue;
      __m256 acc = _mm256_loadu_ps(sums + c0);
      for (int r = 0; r < 8; ++r) acc = _mm256_add_ps(acc, t[r]);
      _mm256_storeu_ps(sums + c0, acc);
    }
  // The edges element by element, each column's remaining rows in order.
  for (Index c = 0; c < cols; ++c)
    for (Index r = c < cols8 ? rows8 : 0; r < rows; ++r) {
      out[c + r * ldo] = m[r + c * rows];
      if (sums != nullptr) sums[c] = sums[c] + m[r + c * rows];
    }
}

/// All rows of columns [j0, j0 + NO): full 16-row tiles, then one masked
/// tile (one vector for up to 8 rows left, else two).
template <int NO, GemmInit Init>
REWIRE_TARGET_AVX2 inline void avx2_columns(const GemmArgs<float>& g, Index j0, const float* panel) {
  Index r0 = 0;
  for (; r0 + 16 <= g.m; r0 += 16) avx2_tile<2, NO, false, Init>(g, r0, j0, panel);
  if (r0 == g.m) return;
  if (g.m - r0 <= 8) avx2_tile<1, NO, true, Init>(g, r0, j0, panel);
  else avx2_tile<2, NO, true, Init>(g, r0, j0, panel);
}

template <GemmInit Init>
REWIRE_TARGET_AVX2 inline void avx2_panels(const GemmArgs<float>& g, std::vector<float>& panel) {
  for (Index j0 = 0; j0 < g.n; j0 += kGemmPanel) {
    const Index nb = std::min(kGemmPanel, g.n - j0);
    pack_gemm_panel(g, j0, nb, panel.data());
    switch (nb) {
      case 1: avx2_columns<1, Init>(g, j0, panel.data()); break;
      case 2: avx2_columns<2, Init>(g, j0, panel.data()); break;
      case 3: avx2_columns<3, Init>(g, j0, panel.data()); break;
      case 4: avx2_columns<4, Init>(g, j0, panel.data()); break;
      case 5: avx2_columns<5, Init>(g, j0, panel.data()); break;
      default: avx2_columns<6, Init>(g, j0, panel.data()); break;
    }
  }
}

/// C = init + A B (fixed_gemm_core.hpp), AVX2 and FMA. `panel`: the caller's
/// scratch for one packed panel of B.
inline void gemm_avx2(const GemmArgs<float>& g, std::vector<float>& panel) {
  panel.resize(std::size_t(std::max<Index>(g.k, 1) * kGemmPanel));
  switch (g.init) {
    case GemmInit::zero: return avx2_panels<GemmInit::zero>(g, panel);
    case GemmInit::column_value: return avx2_panels<GemmInit::column_value>(g, panel);
    case GemmInit::existing: return avx2_panels<GemmInit::existing>(g, panel);
  }
}

}  // namespace rewire::detail


#endif  // REWIRE_X86_KERNELS
