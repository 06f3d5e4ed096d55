// rewire/stats/interval.hpp - a confidence interval, the one type that the
// bootstrap, the regressions and the equivalence test report intervals in.
#pragma once

#include <limits>

namespace rewire::stats {

/// A confidence interval; NaN bounds when there is no value.
struct Interval {
  double lo = std::numeric_limits<double>::quiet_NaN();
  double hi = std::numeric_limits<double>::quiet_NaN();
};

}  // namespace rewire::stats
