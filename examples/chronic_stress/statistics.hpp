// statistics.hpp - the statistics of a run: mean, population SD, min, max.
// stats() is the only place they are computed: summarize() writes them to
// summary.json and the report reads them back from there.
#pragma once

#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

namespace chronic_stress {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Statistics of n values; NaN (null in JSON) when n = 0.
struct Stat {
  double mean = kNaN, sd = kNaN, min = kNaN, max = kNaN;
  std::size_t n = 0;
  bool ok() const { return std::isfinite(mean); }
};

/// Mean, population SD (divide by n, as the published tables), min and max
/// of `values` (finite values; the caller leaves out nulls).
Stat stats(const std::vector<double>& values);

}  // namespace chronic_stress
