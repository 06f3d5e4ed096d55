// statistics.cpp - see statistics.hpp.
#include "statistics.hpp"

#include <algorithm>

namespace chronic_stress {

Stat stats(const std::vector<double>& xs) {
  Stat s;
  if (xs.empty()) return s;
  double sum = 0;
  for (double x : xs) sum += x;
  s.mean = sum / double(xs.size());
  double ss = 0;
  for (double x : xs) ss += (x - s.mean) * (x - s.mean);
  s.sd = std::sqrt(ss / double(xs.size()));
  s.min = *std::min_element(xs.begin(), xs.end());
  s.max = *std::max_element(xs.begin(), xs.end());
  s.n = xs.size();
  return s;
}

}  // namespace chronic_stress
