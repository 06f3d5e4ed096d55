// rewire/kernels/fixed_gemm_avx512.hpp - the AVX-512F version of the
// fixed-order product (kernels/fixed_gemm_core.hpp states the order).
//
// A tile is up to 64 rows (4 vectors of 16 lanes) by kGemmPanel columns of C,
// held in 24 accumulators. Each step p loads the rows' A(r, p) (one
// contiguous column of A), broadcasts each column's B(p, j) from the packed
// panel and does one explicit FMA per accumulator: lanes run across rows,
// never across p, so each lane's sum has the scalar version's order.
// Compiled with a target attribute, so a build without -march flags
// contains it; call it only where the CPU has AVX-512F (core/isa.hpp).
#pragma once

#include <rewire/kernels/fixed_gemm_core.hpp>
#include <rewire/core/isa.hpp>

#if REWIRE_X86_KERNELS
#include <immintrin.h>

#include <algorithm>
#include <vector>


namespace rewire::detail {

/// The first `left` lanes of one 16-lane vector (all of them for left >= 16).
REWIRE_TARGET_AVX512 inline __mmask16 avx512_lanes(Index left) {
  return left >= 16 ? __mmask16(0xFFFF) : left <= 0 ? __mmask16(0) : __mmask16((1u << unsigned(left)) - 1u);
}

/// A vector of 16 floats from `p`; Masked: only the lanes of `mk` are read
/// (the others are 0), so a tile may end anywhere.
template <bool Masked>
REWIRE_TARGET_AVX512 inline __m512 avx512_load(const float* p, __mmask16 mk) {
  if constexpr (Masked) return _mm512_maskz_loadu_ps(mk, p);
  (void)mk;
  return _mm512_loadu_ps(p);
}

template <bool Masked>
REWIRE_TARGET_AVX512 inline void avx512_store(float* p, __mmask16 mk, __m512 v) {
  if constexpr (Masked) _mm512_mask_storeu_ps(p, mk, v);
  else _mm512_storeu_ps(p, v);
  (void)mk;
}

/// One tile: rows [r0, r0 + 16*NV) (fewer if Masked) x columns [j0, j0 + NO).
/// Init is a template argument, so that the set-up of the accumulators has
/// no branches (with them GCC kept the accumulators in memory).
template <int NV, int NO, bool Masked, GemmInit Init>
REWIRE_TARGET_AVX512 inline void avx512_tile(const GemmArgs<float>& g, Index r0, Index j0, const float* panel) {
  __mmask16 mk[NV];
  REWIRE_UNROLL
  for (int v = 0; v < NV; ++v) mk[v] = avx512_lanes(g.m - r0 - 16 * v);
  float* c = g.c + r0 + j0 * g.ldc;
  __m512 acc[NV][NO];
  REWIRE_UNROLL
  for (int j = 0; j < NO; ++j)
    REWIRE_UNROLL
    for (int v = 0; v < NV; ++v) {
      if constexpr (Init == GemmInit::zero) acc[v][j] = _mm512_setzero_ps();
      else if constexpr (Init == GemmInit::column_value) acc[v][j] = _mm512_set1_ps(g.init_col[j0 + j]);
      else acc[v][j] = avx512_load<Masked>(c + j * g.ldc + 16 * v, mk[v]);
    }
  const float* a = g.a + r0;
  for (Index p = 0; p < g.k; ++p) {
    const float* ap = a + p * g.lda;
    __m512 av[NV];
    REWIRE_UNROLL
    for (int v = 0; v < NV; ++v) av[v] = avx512_load<Masked>(ap + 16 * v, mk[v]);
    const float* bp = panel + p * NO;
    REWIRE_UNROLL
    for (int j = 0; j < NO; ++j) {
      const __m512 bj = _mm512_set1_ps(bp[j]);
      REWIRE_UNROLL
      for (int v = 0; v < NV; ++v) acc[v][j] = _mm512_fmadd_ps(av[v], bj, acc[v][j]);
    }
  }
  REWIRE_UNROLL
  for (int j = 0; j < NO; ++j)
    REWIRE_UNROLL
    for (int v = 0; v < NV; ++v) avx512_store<Masked>(c + j * g.ldc + 16 * v, mk[v], acc[v][j]);
}

/// All rows of columns [j0, j0 + NO): full 64-row tiles, then one masked
/// tile (one vector for up to 16 rows left, else four).
template <int NO, GemmInit Init>
REWIRE_TARGET_AVX512 inline void avx512_columns(const GemmArgs<float>& g, Index j0, const float* panel) {
  Index r0 = 0;
  for (; r0 + 64 <= g.m; r0 += 64) avx512_tile<4, NO, false, Init>(g, r0, j0, panel);
  if (r0 == g.m) return;
  if (g.m - r0 <= 16) avx512_tile<1, NO, true, Init>(g, r0, j0, panel);
  else avx512_tile<4, NO, true, Init>(g, r0, j0, panel);
}

template <GemmInit Init>
REWIRE_TARGET_AVX512 inline void avx512_panels(const GemmArgs<float>& g, std::vector<float>& panel) {
  for (Index j0 = 0; j0 < g.n; j0 += kGemmPanel) {
    const Index nb = std::min(kGemmPanel, g.n - j0);
    pack_gemm_panel(g, j0, nb, panel.data());
    switch (nb) {
      case 1: avx512_columns<1, Init>(g, j0, panel.data()); break;
      case 2: avx512_columns<2, Init>(g, j0, panel.data()); break;
      case 3: avx512_columns<3, Init>(g, j0, panel.data()); break;
      case 4: avx512_columns<4, Init>(g, j0, panel.data()); break;
      case 5: avx512_columns<5, Init>(g, j0, panel.data()); break;
      default: avx512_columns<6, Init>(g, j0, panel.data()); break;
    }
  }
}

/// C = init + A B (fixed_gemm_core.hpp), AVX-512F. `panel`: the caller's
/// scratch for one packed panel of B.
inline void gemm_avx512(const GemmArgs<float>& g, std::vector<float>& panel) {
  panel.resize(std::size_t(std::max<Index>(g.k, 1) * kGemmPanel));
  switch (g.init) {
    case GemmInit::zero: return avx512_panels<GemmInit::zero>(g, panel);
    case GemmInit::column_value: return avx512_panels<GemmInit::column_value>(g, panel);
    case GemmInit::existing: return avx512_panels<GemmInit::existing>(g, panel);
  }
}

}  // namespace rewire::detail


#endif  // REWIRE_X86_KERNELS
