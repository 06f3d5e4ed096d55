// rewire/kernels/dense_gemm.hpp - the dense layer products in a fixed
// summation order: the same bits on every CPU, at every vector width.
//
// Same shapes and meaning as kernels/linear.hpp (X (batch x in), W (out x
// in), b (out), Y (batch x out), column-major). Eigen's products there
// choose register blocks and reduction orders by vector width, so AVX2 and
// AVX-512 builds round differently. These kernels follow one contract:
//
//   SUMMATION CONTRACT. Every output element is one chain
//       acc = start;  for t = 0, 1, ..., K-1 (the reduced index, increasing):
//                         acc = fma(u_t, v_t, acc)   (one rounding per term)
//       out = acc
//   where `start` is 0, except: the forward starts at the bias b[o] (the
//   bias is the first addend, not added afterwards), and the accumulating
//   weight gradient starts at the dW(o,i) it is given. Bias gradients are
//   plain sums in the same order (acc = 0 or db[o]; acc = acc + dY(n,o)).
//   Vector lanes only ever hold independent outputs (rows of the batch,
//   outputs, inputs), never several terms of one sum; blocking, packing
//   and the instruction set change nothing but the speed.
//
// The scalar (std::fma), AVX2+FMA and AVX-512F versions therefore give
// identical bits, in any build (no -march flag needed: core/isa.hpp),
// as long as the floating-point environment is the same (rounding mode,
// flush-to-zero: core/float_env.hpp). The *_reference functions below write
// the contract out as plain loops; tests/test_dense_gemm.cpp compares every
// version with them bit for bit. float has all three versions, double the
// scalar one. No threads; the caller owns the scratch (FixedGemmWorkspace):
// kernels sharing one workspace must not run at once.
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/core/types.hpp>
#include <rewire/kernels/fixed_gemm_avx2.hpp>
#include <rewire/kernels/fixed_gemm_avx512.hpp>
#include <rewire/kernels/fixed_gemm_core.hpp>
#include <rewire/core/isa.hpp>

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>

namespace rewire {

/// Scratch of the fixed-order kernels: one packed panel of the broadcast
/// operand, one transposed copy of an activation matrix and, for a narrow
/// layer's weight gradient, its transpose. Reused from call to call (grows
/// to the largest shapes seen).
template <typename T>
struct FixedGemmWorkspace {
  std::vector<T> panel;
  std::vector<T> transposed;
  std::vector<T> staging;
};

namespace detail {

/// Runs the product on `isa` (float) or the scalar version (other types).
template <typename T>
inline void run_fixed_gemm(const GemmArgs<T>& g, FixedGemmWorkspace<T>& ws, Isa isa) {
  if constexpr (std::is_same_v<T, float>) {
#if REWIRE_X86_KERNELS
    if (isa == Isa::avx512) return gemm_avx512(g, ws.panel);
    if (isa == Isa::avx2) return gemm_avx2(g, ws.panel);
#endif
  }
  (void)ws;
  (void)isa;
  gemm_scalar(g);
}

/// out (cols x rows, column-major) = the transpose of the (rows x cols)
/// matrix m, and, with `sums`, sums[c] = sums[c] + m(0,c) + m(1,c) + ... in
/// row order (the bias gradient, read on the way). In strips of 16 columns
/// of m, so that each write fills one cache line: column by column, the
/// writes would be `cols` floats apart (2 KiB for 512) and all fall into the
/// same few cache sets.
template <typename T>
inline void transpose_into(std::vector<T>& out, const T* m, Index rows, Index cols, T* sums, Isa isa, Index ldo = -1) {
  if (ldo < 0) ldo = cols;
  out.resize(std::size_t(rows * ldo));
  if constexpr (std::is_same_v<T, float>) {
#if REWIRE_X86_KERNELS
    // Every AVX-512 CPU the dispatch accepts has AVX2 (core/isa.hpp).
    if (isa != Isa::scalar) return avx2_transpose(out.data(), ldo, m, rows, cols, sums);
#endif
  }
  (void)isa;
  constexpr Index kStrip = 16;
  for (Index c0 = 0; c0 < cols; c0 += kStrip) {
    const Index width = std::min(cols - c0, kStrip);
    T acc[kStrip] = {};
    if (sums != nullptr) std::copy(sums + c0, sums + c0 + width, acc);
    for (Index r = 0; r < rows; ++r)
      for (Index c = 0; c < width; ++c) {
        const T v = m[r + (c0 + c) * rows];
        out[std::size_t(c0 + c + r * ldo)] = v;
        acc[c] = acc[c] + v;
      }
    if (sums != nullptr) std::copy(acc, acc + width, sums + c0);
  }
}

/// db[o] = start + dY(0,o) + dY(1,o) + ... in row order (start 0, or db[o]
/// when `add`). Eight columns at a time: eight independent chains.
template <typename T>
inline void fixed_column_sums(VectorT<T>& db, const MatrixT<T>& dY, bool add) {
  const Index n = dY.rows(), cols = dY.cols();
  if (!add) db.setZero(cols);
  constexpr Index kStep = 8;
  Index o0 = 0;
  for (; o0 + kStep <= cols; o0 += kStep) {
    T acc[kStep];
    for (Index u = 0; u < kStep; ++u) acc[u] = db[o0 + u];
    for (Index r = 0; r < n; ++r)
      for (Index u = 0; u < kStep; ++u) acc[u] = acc[u] + dY(r, o0 + u);
    for (Index u = 0; u < kStep; ++u) db[o0 + u] = acc[u];
  }
  for (; o0 < cols; ++o0) {
    T acc = db[o0];
    for (Index r = 0; r < n; ++r) acc = acc + dY(r, o0);
    db[o0] = acc;
  }
}

/// The leading dimension of a transposed copy with `rows` rows: one cache
/// line more than a multiple of 256 floats (1 KiB), so that the kernel's
/// walk along a row does not land on the same few cache sets.
inline Index padded_stride(Index rows) { return rows % 256 == 0 ? rows + 16 : rows; }

/// dW (+)= dY^T X and db (+)= column sums of dY (dW, db of the right
/// shape). Lanes run over outputs o (A = dY transposed, db summed during
/// the transposition) or, for a narrow layer (few outputs, more inputs),
/// over inputs i (dW^T = X^T dY, then transposed back): the same sums.
template <typename T>
inline void fixed_weight_product(MatrixT<T>& dW, VectorT<T>& db, const MatrixT<T>& dY, const MatrixT<T>& X,
                                 bool add, FixedGemmWorkspace<T>& ws, Isa isa) {
  const Index n = dY.rows(), outs = dY.cols(), ins = X.cols();
  if (!add) db.setZero(outs);
  GemmArgs<T> g;
  g.k = n;
  g.init = add ? GemmInit::existing : GemmInit::zero;
  if (outs >= 64 || outs >= ins) {
    const Index ld = padded_stride(outs);
    transpose_into(ws.transposed, dY.data(), n, outs, db.data(), isa, ld);  // A(o, n) = dY(n, o)
    g.m = outs, g.n = ins, g.a = ws.transposed.data(), g.lda = ld;
    g.b = X.data(), g.b_k = 1, g.b_j = n;  // B(n, i) = X(n, i)
    g.c = dW.data(), g.ldc = outs;
    return run_fixed_gemm(g, ws, isa);
  }
  fixed_column_sums(db, dY, true);
  std::vector<T>& wt = ws.staging;  // dW^T
  if (add) transpose_into(wt, dW.data(), outs, ins, static_cast<T*>(nullptr), isa);
  else wt.resize(std::size_t(ins * outs));
  const Index ld = padded_stride(ins);
  transpose_into(ws.transposed, X.data(), n, ins, static_cast<T*>(nullptr), isa, ld);  // A(i, n) = X(n, i)
  g.m = ins, g.n = outs, g.a = ws.transposed.data(), g.lda = ld;
  g.b = dY.data(), g.b_k = 1, g.b_j = n;  // B(n, o) = dY(n, o)
  g.c = wt.data(), g.ldc = ins;
  run_fixed_gemm(g, ws, isa);
  for (Index i = 0; i < ins; ++i)
    for (Index o = 0; o < outs; ++o) dW(o, i) = wt[std::size_t(i + o * ins)];
}

}  // namespace detail

/// Y = X W^T + b, each Y(n,o) = fma chain over i = 0..in-1 starting at b[o]
/// (the summation contract above). Same result on every `isa` the CPU has.
template <typename T>
inline void fixed_linear_forward(MatrixT<T>& Y, const MatrixT<T>& X, const MatrixT<T>& W, const VectorT<T>& b,
                                 FixedGemmWorkspace<T>& ws, Isa isa = active_isa()) {
  detail::require(X.cols() == W.cols(), "fixed_linear_forward: X has the wrong number of columns (in features)");
  detail::require(b.size() == W.rows(), "fixed_linear_forward: b has the wrong size (out features)");
  require_isa(isa, "fixed_linear_forward");
  Y.resize(X.rows(), W.rows());
  detail::GemmArgs<T> g;
  g.m = X.rows(), g.n = W.rows(), g.k = X.cols();
  g.a = X.data(), g.lda = X.rows();
  g.b = W.data(), g.b_k = W.rows(), g.b_j = 1;  // B(i, o) = W(o, i)
  g.c = Y.data(), g.ldc = Y.rows();
  g.init = detail::GemmInit::column_value, g.init_col = b.data();
  detail::run_fixed_gemm(g, ws, isa);
}

/// dX = dY W, each dX(n,i) = fma chain over o = 0..out-1 starting at 0.
template <typename T>
inline void fixed_linear_backward_input(MatrixT<T>& dX, const MatrixT<T>& dY, const MatrixT<T>& W,
                                        FixedGemmWorkspace<T>& ws, Isa isa = active_isa()) {
  detail::require(dY.cols() == W.rows(),
                  "fixed_linear_backward_input: dY has the wrong number of columns (out features)");
  require_isa(isa, "fixed_linear_backward_input");
  dX.resize(dY.rows(), W.cols());
  detail::GemmArgs<T> g;
  g.m = dY.rows(), g.n = W.cols(), g.k = W.rows();
  g.a = dY.data(), g.lda = dY.rows();
  g.b = W.data(), g.b_k = 1, g.b_j = W.rows();  // B(o, i) = W(o, i)
  g.c = dX.data(), g.ldc = dX.rows();
  detail::run_fixed_gemm(g, ws, isa);
}

/// dW = dY^T X (then .* mask when given, as linear_backward_params), db =
/// column sums of dY; each dW(o,i) = fma chain over n = 0..batch-1 from 0,
/// each db[o] = sum over n in order from 0.
template <typename T>
inline void fixed_linear_backward_params(MatrixT<T>& dW, VectorT<T>& db, const MatrixT<T>& dY, const MatrixT<T>& X,
                                         FixedGemmWorkspace<T>& ws,
                                         const detail::NonDeduced<MatrixT<T>>* mask = nullptr,
                                         Isa isa = active_isa()) {
  detail::require(dY.rows() == X.rows(), "fixed_linear_backward_params: dY and X have different batch sizes");
  if (mask != nullptr)
    detail::require_shape(mask->rows(), mask->cols(), dY.cols(), X.cols(), "fixed_linear_backward_params: mask");
  require_isa(isa, "fixed_linear_backward_params");
  dW.resize(dY.cols(), X.cols());
  detail::fixed_weight_product(dW, db, dY, X, false, ws, isa);
  if (mask != nullptr) dW.array() *= mask->array();
}

/// dW += dY^T X, db += column sums of dY: each dW(o,i) continues its chain
/// from the value given (fma over n in order), each db[o] likewise.
template <typename T>
inline void fixed_linear_backward_params_add(MatrixT<T>& dW, VectorT<T>& db, const MatrixT<T>& dY,
                                             const MatrixT<T>& X, FixedGemmWorkspace<T>& ws,
                                             Isa isa = active_isa()) {
  detail::require(dY.rows() == X.rows(), "fixed_linear_backward_params_add: dY and X have different batch sizes");
  detail::require_shape(dW.rows(), dW.cols(), dY.cols(), X.cols(), "fixed_linear_backward_params_add: dW");
  detail::require(db.size() == dY.cols(), "fixed_linear_backward_params_add: db has the wrong size");
  require_isa(isa, "fixed_linear_backward_params_add");
  detail::fixed_weight_product(dW, db, dY, X, true, ws, isa);
}

// ---- the contract as plain loops (what every version must equal, bit for bit) ----

template <typename T>
inline void fixed_linear_forward_reference(MatrixT<T>& Y, const MatrixT<T>& X, const MatrixT<T>& W,
                                           const VectorT<T>& b) {
  Y.resize(X.rows(), W.rows());
  for (Index n = 0; n < X.rows(); ++n)
    for (Index o = 0; o < W.rows(); ++o) {
      T acc = b[o];
      for (Index i = 0; i < W.cols(); ++i) acc = std::fma(X(n, i), W(o, i), acc);
      Y(n, o) = acc;
    }
}

template <typename T>
inline void fixed_linear_backward_input_reference(MatrixT<T>& dX, const MatrixT<T>& dY, const MatrixT<T>& W) {
  dX.resize(dY.rows(), W.cols());
  for (Index n = 0; n < dY.rows(); ++n)
    for (Index i = 0; i < W.cols(); ++i) {
      T acc = 0;
      for (Index o = 0; o < W.rows(); ++o) acc = std::fma(dY(n, o), W(o, i), acc);
      dX(n, i) = acc;
    }
}

/// `add`: dW and db hold the values to continue from (the _add kernel).
template <typename T>
inline void fixed_linear_backward_params_reference(MatrixT<T>& dW, VectorT<T>& db, const MatrixT<T>& dY,
                                                   const MatrixT<T>& X, const detail::NonDeduced<MatrixT<T>>* mask,
                                                   bool add = false) {
  if (!add) {
    dW.setZero(dY.cols(), X.cols());
    db.setZero(dY.cols());
  }
  for (Index o = 0; o < dY.cols(); ++o) {
    T bacc = db[o];
    for (Index n = 0; n < dY.rows(); ++n) bacc = bacc + dY(n, o);
    db[o] = bacc;
    for (Index i = 0; i < X.cols(); ++i) {
      T acc = dW(o, i);
      for (Index n = 0; n < dY.rows(); ++n) acc = std::fma(dY(n, o), X(n, i), acc);
      dW(o, i) = mask != nullptr ? acc * (*mask)(o, i) : acc;
    }
  }
}

}  // namespace rewire
