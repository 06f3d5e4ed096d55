// rewire/stats/distributions.hpp - the tail probabilities and quantiles that
// rewire's tests use: standard normal, chi-square with 1 degree of freedom
// and Student's t. The one owner of these functions in the library.
//
// Student's t goes through the regularized incomplete beta function
//   I_x(a, b) = B(x; a, b) / B(a, b),
// evaluated by its continued fraction (Numerical Recipes, 3rd ed., section
// 6.4, modified Lentz's method); for T ~ t(nu) and t >= 0
//   P(T > t) = I_{nu / (nu + t^2)}(nu / 2, 1 / 2) / 2.
// Quantiles invert the distribution function by bisection, so they are
// exactly as accurate as the distribution function itself.
#pragma once

#include <rewire/core/error.hpp>

#include <cmath>
#include <limits>

namespace rewire::stats {

/// P(Z > z) for Z standard normal: erfc(z / sqrt 2) / 2 (no cancellation in
/// either tail).
inline double normal_upper_tail(double z) { return 0.5 * std::erfc(z / std::sqrt(2.0)); }

/// P(Z <= z) for Z standard normal.
inline double normal_cdf(double z) { return normal_upper_tail(-z); }

/// Two-sided p-value of a z statistic: P(|Z| >= |z|) = erfc(|z| / sqrt 2).
inline double normal_two_sided_p(double z) { return std::erfc(std::fabs(z) / std::sqrt(2.0)); }

/// P(X > x) for X ~ chi-square with 1 degree of freedom: X = Z^2 with Z
/// standard normal, so P = 2 P(Z > sqrt(x)) = erfc(sqrt(x / 2)).
inline double chi2_1df_upper_tail(double x) { return std::erfc(std::sqrt(x / 2.0)); }

}  // namespace rewire::stats

namespace rewire::detail {

/// Continued fraction of I_x(a, b) (Numerical Recipes betacf): converges
/// quickly for x < (a + 1) / (a + b + 2). Modified Lentz: the fraction
/// 1 / (1 + d1 / (1 + d2 / ...)) with
///   d_{2m+1} = -(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1)),
///   d_{2m}   = m (b - m) x / ((a + 2m - 1)(a + 2m)).
/// NaN if it has not converged after 10,000 terms (never seen for a, b below
/// 1e6).
inline double incomplete_beta_fraction(double a, double b, double x) {
  const double tiny = 1e-300, eps = 2.0 * std::numeric_limits<double>::epsilon();
  double c = 1.0, d = 1.0 - (a + b) * x / (a + 1.0);
  if (std::fabs(d) < tiny) d = tiny;
  d = 1.0 / d;
  double h = d;
  for (int m = 1; m <= 10000; ++m) {
    for (int odd = 0; odd < 2; ++odd) {
      const double k = odd ? -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
                           : m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
      d = 1.0 + k * d;
      if (std::fabs(d) < tiny) d = tiny;
      c = 1.0 + k / c;
      if (std::fabs(c) < tiny) c = tiny;
      d = 1.0 / d;
      h *= d * c;
      if (odd && std::fabs(d * c - 1.0) < eps) return h;
    }
  }
  return std::numeric_limits<double>::quiet_NaN();
}

/// I_x(a, b) for a, b > 0, with y = 1 - x passed separately so that a value
/// of x close to 1 loses no digits: front factor x^a y^b / (a B(a, b)) times
/// the continued fraction, or 1 - I_y(b, a) by the symmetry
/// I_x(a, b) = 1 - I_{1-x}(b, a) where the fraction converges slowly.
/// (std::lgamma writes the global `signgam` under POSIX; the value returned
/// is unaffected.)
inline double regularized_incomplete_beta(double a, double b, double x, double y) {
  if (x <= 0.0) return 0.0;
  if (y <= 0.0) return 1.0;
  const double log_front =
      std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log(y);
  const double front = std::exp(log_front);
  if (x < (a + 1.0) / (a + b + 2.0)) return front * incomplete_beta_fraction(a, b, x) / a;
  return 1.0 - front * incomplete_beta_fraction(b, a, y) / b;
}

/// The x with f(x) = target for an increasing f, by bisection: the bracket
/// [lo, hi] grows by doubling until it holds the target, then halves until
/// its midpoint no longer moves (or 2000 halvings). -inf or +inf when the
/// answer lies beyond the largest double.
template <class Increasing>
double invert_increasing(const Increasing& f, double target) {
  double lo = -1.0, hi = 1.0;
  while (f(lo) > target && std::isfinite(lo)) lo *= 2.0;
  while (f(hi) < target && std::isfinite(hi)) hi *= 2.0;
  if (!std::isfinite(lo)) return lo;
  if (!std::isfinite(hi)) return hi;
  for (int i = 0; i < 2000; ++i) {
    const double mid = lo + (hi - lo) / 2.0;
    if (mid == lo || mid == hi) break;
    (f(mid) < target ? lo : hi) = mid;
  }
  return lo + (hi - lo) / 2.0;
}

}  // namespace rewire::detail

namespace rewire::stats {

/// P(T > t) for T ~ Student's t with `df` > 0 degrees of freedom (any real
/// df): I_{df/(df+t^2)}(df/2, 1/2) / 2 for t >= 0, 1 - P(T > -t) below 0.
/// Beyond |t| = 1e150 sqrt(df) the tail underflows (0, or a subnormal with
/// few digits).
inline double student_t_upper_tail(double t, double df) {
  detail::require_positive(df, "student_t: degrees of freedom df");
  if (std::isnan(t)) return t;
  if (std::isinf(t)) return t > 0 ? 0.0 : 1.0;
  // x = df / (df + t^2) and y = 1 - x without forming t^2, which overflows
  // for |t| > 1e154: with r = sqrt(df) / |t|, x = r^2 / (1 + r^2).
  const double r = std::sqrt(df) / std::fabs(t), s = std::fabs(t) / std::sqrt(df);
  const double x = r < 1 ? r * r / (1 + r * r) : 1 / (1 + s * s);
  const double y = r < 1 ? 1 / (1 + r * r) : s * s / (1 + s * s);
  const double tail = 0.5 * detail::regularized_incomplete_beta(df / 2.0, 0.5, x, y);
  return t >= 0 ? tail : 1.0 - tail;
}

/// P(T <= t) for T ~ Student's t with `df` degrees of freedom.
inline double student_t_cdf(double t, double df) { return student_t_upper_tail(-t, df); }

/// The p-quantile of Student's t with `df` degrees of freedom (0 < p < 1).
/// Above p = 1/2 it is minus the (1 - p)-quantile (symmetry; 1 - p is exact
/// there), so that the inverted probability is always a lower tail, which
/// has full relative precision.
inline double student_t_quantile(double p, double df) {
  detail::require(p > 0.0 && p < 1.0, "student_t_quantile: p must be in (0, 1)");
  detail::require_positive(df, "student_t_quantile: degrees of freedom df");
  if (p > 0.5) return -student_t_quantile(1.0 - p, df);
  return detail::invert_increasing([df](double t) { return student_t_cdf(t, df); }, p);
}

/// The p-quantile of the standard normal (0 < p < 1), e.g. 1.959964 for
/// p = 0.975; computed from the lower tail as student_t_quantile is.
inline double normal_quantile(double p) {
  detail::require(p > 0.0 && p < 1.0, "normal_quantile: p must be in (0, 1)");
  if (p > 0.5) return -normal_quantile(1.0 - p);
  return detail::invert_increasing([](double z) { return normal_cdf(z); }, p);
}

}  // namespace rewire::stats
