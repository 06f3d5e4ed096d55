// rewire/kernels/fixed_math.hpp - exp, tanh and log in our own code, with
// results that are a pure function of the input bits.
//
// Why: Eigen's vectorised tanh computes its packets and its scalar tail
// differently, and the packet width follows -march; libm's exp and log
// differ between libraries and between a library's run-time variants. So
// the same network gave other bits on another CPU or compiler.
//
// THE CONTRACT (what makes the bits the same on every IEEE-754 machine, in
// scalar and vectorised code alike):
// - every multiply-add is an explicit std::fma (one rounding), so neither
//   fp-contraction (-ffp-contract=fast, GCC's default) nor its absence can
//   change a result. A plain product never feeds an addition or subtraction
//   unless it is exact (a product by a power of two, or ln2_hi below);
// - everything else is a single IEEE operation (+ - * / with round to
//   nearest), an integer bit operation on the representation (std::memcpy),
//   an exact float <-> integer conversion, a comparison or a select;
// - branch-free (selects only), so loops over these functions vectorise
//   (GCC 12, -O3 -march=x86-64-v3 -fno-math-errno) and every lane takes
//   the same path as the scalar code.
// Assumed: round to nearest even and no flush-to-zero (the default
// floating-point environment). Accuracy (tests/test_fixed_math.cpp):
// exp_fixed and tanh_fixed within 2 ulp of the correctly rounded result
// for every float, log_fixed within 1 ulp for every positive double.
#pragma once

#include <rewire/core/isa.hpp>
#include <rewire/core/types.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

namespace rewire::detail {

/// The float with the given bits (std::memcpy: the defined way to pun).
REWIRE_ALWAYS_INLINE float float_from_bits(std::uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

/// The bits of a float.
REWIRE_ALWAYS_INLINE std::uint32_t bits_of(float f) {
  std::uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  return bits;
}

/// c ? a : b as bit arithmetic (a mask), not as a conditional: GCC sinks
/// the work of a ternary's arm into a branch, and under -ftrapping-math
/// (its default) it then cannot turn the branch back into a select, so the
/// loop would not vectorise. Both arms are always computed.
REWIRE_ALWAYS_INLINE float select(bool c, float a, float b) {
  const std::uint32_t mask = 0u - std::uint32_t(c);
  return float_from_bits((bits_of(a) & mask) | (bits_of(b) & ~mask));
}

/// 2^k for an integer k in [-126, 127] (a normal float), built from its bits.
REWIRE_ALWAYS_INLINE float pow2_float(std::int32_t k) { return float_from_bits(std::uint32_t(k + 127) << 23); }

/// Range reduction of exp: y = n ln2 + r with n = round(y / ln2) (returned
/// as an integral float) and |r| <= ln2/2 (plus rounding). Needs |y| < 2^22.
/// ln2 = kLn2Hi + kLn2Lo with kLn2Hi = 355/512 (9 bits), so n kLn2Hi is
/// exact and y - n kLn2Hi is exact (Cody and Waite); only the second step
/// rounds.
REWIRE_ALWAYS_INLINE float exp_reduce(float y, float& r) {
  constexpr float kLog2e = 1.44269504088896341f;
  constexpr float kRound = 0x1.8p23f;  // adding it rounds to an integer (|v| < 2^22)
  constexpr float kLn2Hi = 0x1.63p-1f;  // 0.693359375
  constexpr float kLn2Lo = -2.12194440e-4f;  // ln2 - kLn2Hi
  const float n = std::fma(y, kLog2e, kRound) - kRound;
  r = std::fma(-n, kLn2Lo, std::fma(-n, kLn2Hi, y));
  return n;
}

/// q with e^r - 1 = q r for |r| <= 0.35: the Taylor polynomial of e^r to
/// r^7 (truncation below 6e-9 relative), Horner with fma. Callers form
/// e^r = fma(q, r, 1), or keep e^r - 1 = q r apart from the 1 (tanh needs
/// its low bits).
REWIRE_ALWAYS_INLINE float exp_poly(float r) {
  float q = std::fma(r, 1.0f / 5040, 1.0f / 720);
  q = std::fma(q, r, 1.0f / 120);
  q = std::fma(q, r, 1.0f / 24);
  q = std::fma(q, r, 1.0f / 6);
  q = std::fma(q, r, 0.5f);
  return std::fma(q, r, 1.0f);
}

/// e^x for a float. Within 2 ulp of the correctly rounded value, subnormal
/// results included (measured: 1 ulp, tests/test_fixed_math.cpp). Special cases:
/// exp(-inf) = 0 and results below half the smallest subnormal (x below
/// about -103.97) are +0; exp(+inf) = +inf and x above about 88.72
/// overflows to +inf; NaN returns the NaN.
REWIRE_ALWAYS_INLINE float exp_fixed(float x) {
  // Clamp into [-104, 89] (exp of either end rounds to 0 / overflows), so the
  // integer work below stays in range; NaN takes -104 here (the comparison
  // is false), restored at the end. The clamps are ternaries on values (max
  // and min instructions); the choice of the result is a mask (select): as
  // a ternary, GCC 12 (under its default -ftrapping-math) sank the work into
  // a branch and did not vectorise the loop.
  const bool nan = (bits_of(x) & 0x7FFFFFFFu) > 0x7F800000u;
  float xc = x > -104.0f ? x : -104.0f;
  xc = xc < 89.0f ? xc : 89.0f;
  float r;
  const float n = exp_reduce(xc, r);
  const float p = std::fma(exp_poly(r), r, 1.0f);  // e^r in [0.70, 1.42]
  // 2^n with n in [-150, 128] as two factors in [-75, 64]: p 2^n1 is exact
  // (normal), and the second product rounds once, into the subnormals or
  // to infinity where the result lies.
  const std::int32_t ni = std::int32_t(n);
  const std::int32_t n1 = ni >> 1;  // arithmetic shift (floor)
  const float result = (p * pow2_float(n1)) * pow2_float(ni - n1);
  return select(nan, x, result);
}

/// tanh x for a float. Within 2 ulp of the correctly rounded value
/// (measured: 1 ulp, tests/test_fixed_math.cpp). tanh(+-0) = +-0 (the sign is
/// kept), tiny |x| give x, |x| >= 9.0109 (and +-inf) give exactly +-1, NaN
/// returns the NaN.
/// - |x| < 0.625: x + x^3 P(x^2), P of degree 5 fitted to
///   (tanh(s) - s) / s^3 on [0, 0.625] (Chebyshev fit, mpmath 1.3.0
///   chebyfit; below 1e-9 relative, below 1e-8 with the coefficients
///   rounded to float).
/// - otherwise: 1 - 2 / (e^(2|x|) + 1) = 1 - 2 / (m + 2) with m = e^(2|x|) - 1
///   computed from the reduced polynomial without losing its low bits.
REWIRE_ALWAYS_INLINE float tanh_fixed(float x) {
  const std::uint32_t sign = bits_of(x) & 0x80000000u;
  const std::uint32_t abits = bits_of(x) & 0x7FFFFFFFu;  // selects on bits: see exp_fixed
  const float a = float_from_bits(abits);
  // Small |x|: odd polynomial.
  const float z = a * a;
  float q = std::fma(z, 0.002292744815f, -0.008343945257f);
  q = std::fma(q, z, 0.02176891826f);
  q = std::fma(q, z, -0.05395925790f);
  q = std::fma(q, z, 0.1333330423f);
  q = std::fma(q, z, -0.3333333433f);
  const float small = std::fma(a * z, q, a);
  // Large |x|: clamp at 10 (tanh(10) rounds to 1; NaN takes 10 here, restored
  // at the end), m = 2^n (1 + pm) - 1 = 2^n pm + (2^n - 1) with one rounding.
  const std::uint32_t kTen = 0x41200000u;  // bits of 10.0f
  const float ac = float_from_bits(abits < kTen ? abits : kTen);  // an integer min
  float r;
  const float n = exp_reduce(2.0f * ac, r);  // n in [0, 29]
  const float scale = pow2_float(std::int32_t(n));
  const float pm = exp_poly(r) * r;  // e^r - 1; a multiplicand below, so no contraction
  const float m = std::fma(scale, pm, scale - 1.0f);
  const float large = 1.0f - 2.0f / (m + 2.0f);
  const float t = select(abits < bits_of(0.625f), small, large);
  const float result = float_from_bits(bits_of(t) | sign);
  return select(abits > 0x7F800000u, x, result);  // NaN
}

/// Natural log of a double. Within 1 ulp for every positive double
/// (subnormals included; measured on samples: tests/test_fixed_math.cpp). Special cases: log(+-0) = -inf, log(+inf) = +inf,
/// a negative x gives a quiet NaN, NaN returns the NaN.
/// x = 2^e (1 + f) with 1 + f in [sqrt(1/2), sqrt(2)) (f exact);
/// log(1 + f) = 2 atanh(s) = f - s (f - R), s = f / (2 + f),
/// R = sum_k 2 s^(2k) / (2k + 1) to k = 10 (Taylor; truncation below 2^-60
/// relative). e ln2 + f is summed with its rounding error kept (Fast2Sum),
/// so only the final addition rounds at the result's scale.
inline double log_fixed(double x) {
  // Specials are replaced by 1 for the bit work and selected at the end.
  const bool regular = x > 0.0 && x < std::numeric_limits<double>::infinity();
  double xs = regular ? x : 1.0;
  const bool subnormal = xs < 0x1p-1022;
  xs = subnormal ? xs * 0x1p54 : xs;  // exact: now normal
  std::int64_t bits;
  std::memcpy(&bits, &xs, sizeof bits);
  const std::int64_t shifted = bits - 0x3FE6A09E667F3BCDll;  // bits of sqrt(1/2): positive operands, no overflow
  const std::int64_t e = (shifted >> 52) - (subnormal ? 54 : 0);  // arithmetic shift: floor
  const std::int64_t mbits = bits - (shifted >> 52) * (std::int64_t(1) << 52);  // no shift of a negative (UB)
  double mant;
  std::memcpy(&mant, &mbits, sizeof mant);
  const double f = mant - 1.0;  // exact (Sterbenz)
  const double s = f / (2.0 + f);
  const double z = s * s;  // only a multiplicand below
  double p = std::fma(z, 2.0 / 21, 2.0 / 19);
  p = std::fma(p, z, 2.0 / 17);
  p = std::fma(p, z, 2.0 / 15);
  p = std::fma(p, z, 2.0 / 13);
  p = std::fma(p, z, 2.0 / 11);
  p = std::fma(p, z, 2.0 / 9);
  p = std::fma(p, z, 2.0 / 7);
  p = std::fma(p, z, 2.0 / 5);
  p = std::fma(p, z, 2.0 / 3);
  const double f_minus_r = std::fma(-z, p, f);  // f - R
  constexpr double kLn2Hi = 0x1.62e42feep-1;  // low 21 mantissa bits zero: e kLn2Hi is exact
  constexpr double kLn2Lo = 0x1.a39ef35793c76p-33;  // ln2 - kLn2Hi
  const double dk = double(e);
  const double a = dk * kLn2Hi;  // exact, so a contraction with it changes nothing
  const double hi = a + f;
  const double err = (a - hi) + f;  // exact error of hi (|a| >= |f| or a = 0)
  const double low = std::fma(dk, kLn2Lo, std::fma(-s, f_minus_r, err));
  double result = hi + low;
  result = x == std::numeric_limits<double>::infinity() ? x : result;
  result = x == 0.0 ? -std::numeric_limits<double>::infinity() : result;
  result = x < 0.0 ? std::numeric_limits<double>::quiet_NaN() : result;
  return x == x ? result : x;
}

// The array versions. The float functions above are always inlined, so a
// loop over them is vectorised for the target of the function it is in:
// the build's own (Isa::scalar) or, on x86-64, AVX2+FMA or AVX-512F, chosen
// at run time like the kernels (core/isa.hpp). Branch-free with explicit
// fma, they give the same bits in every one (tests/test_fixed_math.cpp).
REWIRE_ALWAYS_INLINE void exp_loop(float* out, const float* in, Index n) {
  for (Index i = 0; i < n; ++i) out[i] = exp_fixed(in[i]);
}
REWIRE_ALWAYS_INLINE void tanh_loop(float* out, const float* in, Index n) {
  for (Index i = 0; i < n; ++i) out[i] = tanh_fixed(in[i]);
}
#if REWIRE_X86_KERNELS
REWIRE_TARGET_AVX2 inline void exp_loop_avx2(float* out, const float* in, Index n) { exp_loop(out, in, n); }
REWIRE_TARGET_AVX512 inline void exp_loop_avx512(float* out, const float* in, Index n) { exp_loop(out, in, n); }
REWIRE_TARGET_AVX2 inline void tanh_loop_avx2(float* out, const float* in, Index n) { tanh_loop(out, in, n); }
REWIRE_TARGET_AVX512 inline void tanh_loop_avx512(float* out, const float* in, Index n) { tanh_loop(out, in, n); }
#endif

/// out[i] = exp_fixed(in[i]) for i < n (out == in is allowed), on `isa`
/// (throws std::invalid_argument if this CPU lacks it).
inline void exp_fixed(float* out, const float* in, Index n, Isa isa = active_isa()) {
  require_isa(isa, "exp_fixed");
#if REWIRE_X86_KERNELS
  if (isa == Isa::avx512) return exp_loop_avx512(out, in, n);
  if (isa == Isa::avx2) return exp_loop_avx2(out, in, n);
#endif
  (void)isa;
  exp_loop(out, in, n);
}

/// out[i] = tanh_fixed(in[i]) for i < n (out == in is allowed), on `isa`
/// (throws std::invalid_argument if this CPU lacks it).
inline void tanh_fixed(float* out, const float* in, Index n, Isa isa = active_isa()) {
  require_isa(isa, "tanh_fixed");
#if REWIRE_X86_KERNELS
  if (isa == Isa::avx512) return tanh_loop_avx512(out, in, n);
  if (isa == Isa::avx2) return tanh_loop_avx2(out, in, n);
#endif
  (void)isa;
  tanh_loop(out, in, n);
}

}  // namespace rewire::detail
