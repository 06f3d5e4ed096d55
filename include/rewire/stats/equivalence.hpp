// rewire/stats/equivalence.hpp - equivalence of two measurements of the same
// subjects: two one-sided paired t-tests (TOST; Schuirmann, J. Pharmacokin.
// Biopharm. 1987) against a symmetric margin +-delta.
//
// With the n differences d_i = a_i - b_i, their mean m, SD s (n - 1 in the
// denominator), se = s / sqrt(n) and T ~ t(n - 1):
//   H0 lower: mu <= -delta   t_lower = (m + delta) / se   p_lower = P(T > t_lower)
//   H0 upper: mu >= +delta   t_upper = (m - delta) / se   p_upper = P(T < t_upper)
//   p = max(p_lower, p_upper); equivalent (|mu| < delta shown) when p < alpha,
// which is the same as the (1 - 2 alpha) interval m -+ t_{1-alpha, n-1} se
// lying inside (-delta, delta) (the 90 % interval for alpha = 0.05). R:
//   t.test(a, b, paired = TRUE, mu = -delta, alternative = "greater")  # p_lower
//   t.test(a, b, paired = TRUE, mu = +delta, alternative = "less")     # p_upper
//   t.test(a, b, paired = TRUE, conf.level = 1 - 2 * alpha)$conf.int  # ci
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/stats/distributions.hpp>
#include <rewire/stats/interval.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

namespace rewire::stats {

/// The result of paired_equivalence; NaN statistics (and equivalent =
/// false) when there is no test: fewer than 2 pairs, or differences that
/// are all equal (se = 0; R's t.test refuses such data too).
struct Equivalence {
  double margin = std::numeric_limits<double>::quiet_NaN();  ///< delta
  double alpha = 0.05;
  std::size_t n = 0;  ///< pairs used (both values finite)
  double mean = std::numeric_limits<double>::quiet_NaN();  ///< of the differences a - b
  double sd = std::numeric_limits<double>::quiet_NaN();    ///< with n - 1 in the denominator
  double se = std::numeric_limits<double>::quiet_NaN();    ///< sd / sqrt(n)
  double df = std::numeric_limits<double>::quiet_NaN();    ///< n - 1
  double t_lower = std::numeric_limits<double>::quiet_NaN(), p_lower = std::numeric_limits<double>::quiet_NaN();
  double t_upper = std::numeric_limits<double>::quiet_NaN(), p_upper = std::numeric_limits<double>::quiet_NaN();
  double p = std::numeric_limits<double>::quiet_NaN();  ///< max(p_lower, p_upper)
  Interval ci;              ///< (1 - 2 alpha) interval of the mean difference
  bool equivalent = false;  ///< p < alpha
};

/// TOST of the mean of a - b against +-margin, over the subjects where both
/// a[i] and b[i] are finite (a subject missing from one side is dropped
/// from the pairs). Throws std::invalid_argument unless a and b have the
/// same size, margin > 0 and 0 < alpha < 0.5.
inline Equivalence paired_equivalence(const std::vector<double>& a, const std::vector<double>& b, double margin,
                                      double alpha = 0.05) {
  detail::require(a.size() == b.size(), "paired_equivalence: a and b must hold one value per subject");
  detail::require_positive(margin, "paired_equivalence: margin");
  detail::require(alpha > 0.0 && alpha < 0.5, "paired_equivalence: alpha must be in (0, 0.5)");
  Equivalence e;
  e.margin = margin;
  e.alpha = alpha;
  std::vector<double> d;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::isfinite(a[i]) && std::isfinite(b[i])) d.push_back(a[i] - b[i]);
  e.n = d.size();
  if (e.n < 2) return e;
  double sum = 0.0, squares = 0.0;
  for (double x : d) sum += x;
  e.mean = sum / double(e.n);
  for (double x : d) squares += (x - e.mean) * (x - e.mean);
  e.sd = std::sqrt(squares / double(e.n - 1));
  e.se = e.sd / std::sqrt(double(e.n));
  e.df = double(e.n - 1);
  if (!(e.se > 0)) return e;
  e.t_lower = (e.mean + margin) / e.se;
  e.t_upper = (e.mean - margin) / e.se;
  e.p_lower = student_t_upper_tail(e.t_lower, e.df);
  e.p_upper = student_t_cdf(e.t_upper, e.df);
  e.p = std::max(e.p_lower, e.p_upper);
  const double t = student_t_quantile(1.0 - alpha, e.df);
  e.ci = {e.mean - t * e.se, e.mean + t * e.se};
  e.equivalent = e.p < alpha;
  return e;
}

}  // namespace rewire::stats
