// rewire/kernels/fixed_gemm_core.hpp - the one product behind the
// fixed-order dense kernels (kernels/dense_gemm.hpp), its operand
// description, the panel packing and the plain C++ (scalar) version.
//
// C (m x n) = init + A (m x k) B (k x n), computed per element as
//
//     acc = init(r, j);  for p = 0, 1, ..., k-1:  acc = fma(A(r,p), B(p,j), acc);  C(r,j) = acc
//
// The vector versions (fixed_gemm_avx2.hpp, fixed_gemm_avx512.hpp) put
// consecutive rows r (independent outputs) in the lanes of a register and
// walk p in the same order, so every version rounds the same operations in
// the same order: the same bits. An accumulator may be stored to memory and
// reloaded between two steps (a float round-trips exactly), which is how
// the scalar version works.
#pragma once

#include <rewire/core/types.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

// Fully unrolls a loop over a tile's registers (bounds are template
// arguments). Without it GCC 12 kept a tile's accumulator array in memory
// for the set-up and the final stores (zeroed by a rep stos), which cost
// more than the products when the sum is short (a 4-output layer).
#if defined(__clang__)
#define REWIRE_UNROLL _Pragma("unroll")
#elif defined(__GNUC__)
#define REWIRE_UNROLL _Pragma("GCC unroll 16")
#else
#define REWIRE_UNROLL
#endif

namespace rewire::detail {

/// Where each accumulator starts.
enum class GemmInit {
  zero,          // 0
  column_value,  // init_col[j] (the bias of output j)
  existing       // C(r, j) as it is (dW += ...)
};

/// Operands of one product. Strides in elements; all pointers valid for
/// the shapes given (A and B may be anything m*k, k*n can reach).
template <typename T>
struct GemmArgs {
  Index m = 0, n = 0, k = 0;  // C is m x n, the sum runs over k
  const T* a = nullptr;       // A(r, p) = a[r + p * lda]: columns contiguous
  Index lda = 0;
  const T* b = nullptr;  // B(p, j) = b[p * b_k + j * b_j]
  Index b_k = 0, b_j = 0;
  T* c = nullptr;  // C(r, j) = c[r + j * ldc]
  Index ldc = 0;
  GemmInit init = GemmInit::zero;
  const T* init_col = nullptr;  // GemmInit::column_value: n values
};

/// Columns of C per micro-kernel call (accumulators per lane group): 6
/// columns x 4 AVX-512 vectors = 24 of the 32 registers, 6 x 2 AVX2
/// vectors = 12 of 16; enough independent chains to hide the FMA latency.
inline constexpr Index kGemmPanel = 6;

/// Copies B(:, j0 .. j0+nb) into `out` as out[p * nb + j]: the values one
/// step p of the micro-kernel broadcasts, side by side.
template <typename T>
inline void pack_gemm_panel(const GemmArgs<T>& g, Index j0, Index nb, T* out) {
  for (Index p = 0; p < g.k; ++p)
    for (Index j = 0; j < nb; ++j) out[p * nb + j] = g.b[p * g.b_k + (j0 + j) * g.b_j];
}

/// The scalar version: one column of C at a time, the running sums kept in
/// C itself, each step p an independent std::fma per row (so the row loop
/// may be vectorised by the compiler without changing any sum's order).
template <typename T>
inline void gemm_scalar(const GemmArgs<T>& g) {
  for (Index j = 0; j < g.n; ++j) {
    T* cj = g.c + j * g.ldc;
    if (g.init == GemmInit::zero) std::fill(cj, cj + g.m, T(0));
    if (g.init == GemmInit::column_value) std::fill(cj, cj + g.m, g.init_col[j]);
    for (Index p = 0; p < g.k; ++p) {
      const T* ap = g.a + p * g.lda;
      const T bpj = g.b[p * g.b_k + j * g.b_j];
      for (Index r = 0; r < g.m; ++r) cj[r] = std::fma(ap[r], bpj, cj[r]);
    }
  }
}

}  // namespace rewire::detail
