// rewire/stats/holm.hpp - Holm's step-down adjustment of a family of
// p-values for multiple comparisons (Holm, Scand. J. Statist. 1979).
//
// With the m finite p-values sorted, p_(1) <= ... <= p_(m), the adjusted
// value of the i-th smallest is
//   q_(i) = min(1, max_{j <= i} (m - j + 1) p_(j)),
// and q is returned in the input's order. Rejecting where q <= alpha
// controls the family-wise error rate at alpha under any dependence. R:
// p.adjust(p, method = "holm"), which also leaves NA out of the family.
#pragma once

#include <rewire/core/error.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace rewire::stats {

/// Holm-adjusted p-values, in the order of `p`. A NaN p-value (a test that
/// has no statistic) stays NaN and is not counted in the family: m is the
/// number of non-NaN values. Throws std::invalid_argument on a value outside
/// [0, 1].
inline std::vector<double> holm_adjust(const std::vector<double>& p) {
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (std::isnan(p[i])) continue;
    detail::require(p[i] >= 0.0 && p[i] <= 1.0, "holm_adjust: every p-value must be in [0, 1] (or NaN)");
    order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(), [&p](std::size_t a, std::size_t b) { return p[a] < p[b]; });
  std::vector<double> q = p;
  const double m = double(order.size());
  double running = 0.0;  // max over j <= i of (m - j + 1) p_(j)
  for (std::size_t i = 0; i < order.size(); ++i) {
    running = std::max(running, (m - double(i)) * p[order[i]]);
    q[order[i]] = std::min(1.0, running);
  }
  return q;
}

}  // namespace rewire::stats
