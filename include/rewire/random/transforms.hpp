// rewire/random/transforms.hpp - bits -> uniform -> normal, in our own code.
//
// Box-Muller needs log, sqrt, sin and cos. We evaluate log and sin/cos with
// our own short polynomials instead of <cmath> so that (a) the same code runs
// in scalar and vectorised loops (GCC cannot vectorise libm calls without
// -ffast-math), and (b) the numbers do not depend on the platform's libm.
// Accuracy: relative error below 1e-6 over the whole input range, far below
// what a noise model needs. Inputs are 24-bit uniforms, so normal draws are
// bounded by sqrt(-2 ln 2^-24) ~ 5.77 (tails beyond that are cut).
#pragma once

#include <rewire/core/isa.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>

namespace rewire::detail {

/// 24 random bits -> float in [0, 1).
inline float unit_from_bits(std::uint32_t bits24) { return float(bits24) * 0x1.0p-24f; }

/// Natural log of a normal (non-subnormal) float x in [2^-126, 1]; the
/// Box-Muller inputs are >= 2^-24. x = m 2^e with m in [sqrt(1/2), sqrt(2)),
/// ln m = 2 atanh(s), s = (m-1)/(m+1), |s| < 0.1716, odd series to s^9.
REWIRE_ALWAYS_INLINE float log_unit(float x) {
  std::int32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  // Shift the mantissa range so that m lands in [sqrt(1/2), sqrt(2)).
  const std::int32_t shifted = bits - 0x3F3504F3;  // 0x3F3504F3 = bits of sqrt(1/2)
  const std::int32_t e = shifted >> 23;            // arithmetic shift: floor
  const std::int32_t mbits = bits - e * (1 << 23);  // e < 0 is common: no shift of negatives (UB)
  float m;
  std::memcpy(&m, &mbits, sizeof m);
  const float s = (m - 1.0f) / (m + 1.0f);
  const float s2 = s * s;
  const float series =
      s * (2.0f + s2 * (2.0f / 3.0f + s2 * (2.0f / 5.0f + s2 * (2.0f / 7.0f + s2 * (2.0f / 9.0f)))));
  return float(e) * 0.693147180559945309f + series;
}

/// sin and cos of phi in [0, pi/2] by Taylor polynomials (error < 1e-7).
REWIRE_ALWAYS_INLINE void sincos_quarter(float phi, float& s, float& c) {
  const float p2 = phi * phi;
  s = phi * (1.0f + p2 * (-1.0f / 6 + p2 * (1.0f / 120 + p2 * (-1.0f / 5040 + p2 * (1.0f / 362880 +
                                                                                  p2 * (-1.0f / 39916800))))));
  c = 1.0f + p2 * (-0.5f + p2 * (1.0f / 24 + p2 * (-1.0f / 720 + p2 * (1.0f / 40320 +
                                                                     p2 * (-1.0f / 3628800 +
                                                                           p2 * (1.0f / 479001600))))));
}

/// Box-Muller: two 24-bit uniforms -> two independent standard normals.
/// u1 = (a + 1) 2^-24 lies in (0, 1], so the log is finite. The angle
/// 2 pi b 2^-24 is split into a quadrant (top 2 bits of b) and a fraction of
/// a quarter turn (low 22 bits), so the polynomials only see [0, pi/2).
/// Branch-free (selects only), so loops over it vectorise.
REWIRE_ALWAYS_INLINE void box_muller(std::uint32_t a, std::uint32_t b, float& z0, float& z1) {
  const float u1 = float(a + 1) * 0x1.0p-24f;
  const float r = std::sqrt(-2.0f * log_unit(u1));
  const float phi = float(b & 0x3FFFFFu) * (0x1.0p-22f * 1.57079632679489662f);
  float s, c;
  sincos_quarter(phi, s, c);
  // Rotate (cos, sin) by quadrant * 90 degrees: an odd quadrant swaps the
  // pair (cos(x + 90) = -sin x, sin(x + 90) = cos x), quadrants 2 and 3 negate.
  const bool odd = (b >> 22) & 1u;
  const bool half = (b >> 23) & 1u;
  float cr = odd ? -s : c;
  float sr = odd ? c : s;
  cr = half ? -cr : cr;
  sr = half ? -sr : sr;
  z0 = r * cr;
  z1 = r * sr;
}

}  // namespace rewire::detail
