// rewire/stats/bootstrap.hpp - percentile bootstrap confidence intervals of
// a mean, and of the mean paired difference of two measurements of the same
// subjects, once or at every cycle of a follow-up.
//
// Resamples are drawn from rewire's own keyed generator (Rng::below), never
// from std:: distributions, so an interval is the same on every platform:
// the same values and the same key always give the same interval. Callers
// key the stream by what identifies the statistic (e.g. the configuration's
// hash and the statistic's name: text_key()).
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/core/hash.hpp>
#include <rewire/random/rng.hpp>
#include <rewire/stats/interval.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>
#include <vector>

namespace rewire::stats {

inline constexpr int kBootstrapResamples = 10000;

/// FNV-1a 64 of `text` (rewire/core/hash.hpp): a stream key from a name.
inline std::uint64_t text_key(std::string_view text) { return fnv1a64(text); }

/// The p-quantile (0 <= p <= 1) of sorted values, interpolating linearly
/// between order statistics (Hyndman & Fan type 7, R's default).
inline double quantile_sorted(const std::vector<double>& sorted, double p) {
  detail::require(!sorted.empty(), "quantile of no value");
  const double h = (double(sorted.size()) - 1.0) * p;
  const auto i = std::size_t(std::floor(h));
  if (i + 1 >= sorted.size()) return sorted.back();
  return sorted[i] + (h - double(i)) * (sorted[i + 1] - sorted[i]);
}

/// Percentile bootstrap interval of the mean of `values` at `level`: the
/// (1 - level) / 2 and (1 + level) / 2 quantiles of the means of
/// `resamples` resamples (n draws with replacement each) from Rng(key).
/// No value: NaN bounds; one value x: [x, x].
inline Interval bootstrap_mean_ci(const std::vector<double>& values, std::uint64_t key,
                                  int resamples = kBootstrapResamples, double level = 0.95) {
  detail::require(resamples > 0, "bootstrap needs at least one resample");
  detail::require(level > 0 && level < 1, "bootstrap level must be in (0, 1)");
  Interval out;
  if (values.empty()) return out;
  detail::require(values.size() <= std::numeric_limits<std::uint32_t>::max(), "bootstrap: too many values");
  const auto n = std::uint32_t(values.size());
  Rng rng(key);
  std::vector<double> means(static_cast<std::size_t>(resamples));
  for (double& m : means) {
    double sum = 0.0;
    for (std::uint32_t i = 0; i < n; ++i) sum += values[rng.below(n)];
    m = sum / double(n);
  }
  std::sort(means.begin(), means.end());
  out.lo = quantile_sorted(means, (1.0 - level) / 2.0);
  out.hi = quantile_sorted(means, (1.0 + level) / 2.0);
  return out;
}

/// Mean of a - b over the subjects where both are finite, with its bootstrap
/// interval (the pairs are resampled together). A subject missing from one
/// side (NaN there) is dropped from the pairs: a[i] and b[i] are the same
/// subject, e.g. the same seed in two arms.
struct PairedDifference {
  double mean = std::numeric_limits<double>::quiet_NaN();
  Interval ci;
  std::size_t n = 0;  ///< pairs used
};

inline PairedDifference paired_difference(const std::vector<double>& a, const std::vector<double>& b,
                                          std::uint64_t key, int resamples = kBootstrapResamples,
                                          double level = 0.95) {
  detail::require(a.size() == b.size(), "paired_difference: a and b must hold one value per subject");
  std::vector<double> d;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::isfinite(a[i]) && std::isfinite(b[i])) d.push_back(a[i] - b[i]);
  PairedDifference out;
  out.n = d.size();
  if (d.empty()) return out;
  double sum = 0.0;
  for (double x : d) sum += x;
  out.mean = sum / double(d.size());
  out.ci = bootstrap_mean_ci(d, key, resamples, level);
  return out;
}

/// Paired differences at every cycle of a follow-up: element c of the
/// result is paired_difference(a[c], b[c], keys[c], ...), so each cycle has
/// its own bootstrap stream and its own pairs (a subject missing at one
/// cycle, NaN in a[c] or b[c], is dropped at that cycle only, and n may
/// differ between cycles). a[c][i] and b[c][i] are subject i at cycle c;
/// a, b and keys have one entry per cycle 0..C. Keys that name the cycle,
/// e.g. text_key(config hash + "/paired.A.B.cycle_accuracy[" + c + "]"),
/// make each interval reproducible on its own.
inline std::vector<PairedDifference> paired_difference_per_cycle(const std::vector<std::vector<double>>& a,
                                                                 const std::vector<std::vector<double>>& b,
                                                                 const std::vector<std::uint64_t>& keys,
                                                                 int resamples = kBootstrapResamples,
                                                                 double level = 0.95) {
  detail::require(a.size() == keys.size() && b.size() == keys.size(),
                  "paired_difference_per_cycle: a, b and keys must have one entry per cycle");
  std::vector<PairedDifference> out;
  for (std::size_t c = 0; c < keys.size(); ++c) out.push_back(paired_difference(a[c], b[c], keys[c], resamples, level));
  return out;
}

}  // namespace rewire::stats
