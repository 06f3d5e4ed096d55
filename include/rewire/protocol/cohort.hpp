// rewire/protocol/cohort.hpp - virtual patient cohorts: each seed of a
// study (a "patient") draws its own value of some numeric parameters from a
// declared distribution, so that inter-seed variance models patient
// heterogeneity and the drawn values can serve as the seed's covariates.
//
// Every draw comes from its own stream, keyed by (seed, parameter key):
//   stream_key(seed, Purpose::cohort, text_key(key))
// so a patient's values do not depend on the other patients, on the order
// the seeds run in, or on threads, ranks or shards, and adding a parameter
// to the cohort changes no other parameter's draws.
//
// Distributions (parameters as in the config's [cohort] section):
//   uniform   {low, high}          low + (high - low) u, u in [0, 1) with 53 bits
//   normal    {mean, sd, clip?}    mean + sd z, z standard normal (Rng::normal);
//                                  clip = [lo, hi] clamps the value into [lo, hi]
//   lognormal {mu, sigma}          exp(mu + sigma z)
//   choice    {values, weights?}   values[i] with probability weights[i] / sum
//                                  (equal weights when none are given)
// The support (the values a draw can take) is what a caller checks against
// the parameter's allowed range before running: support(). It is finite for
// every kind: Rng::normal's Box-Muller radius is sqrt(-2 ln u1) with u1 >=
// 2^-24, so |z| <= sqrt(48 ln 2) = 5.7682 (kMaxNormal bounds it).
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/core/hash.hpp>
#include <rewire/random/rng.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace rewire::protocol {

/// A bound of |Rng::normal()| (see above; test_cohort checks the largest draw).
inline constexpr double kMaxNormal = 5.77;

enum class DistributionKind { uniform, normal, lognormal, choice };

inline const char* to_string(DistributionKind k) {
  switch (k) {
    case DistributionKind::uniform: return "uniform";
    case DistributionKind::normal: return "normal";
    case DistributionKind::lognormal: return "lognormal";
    default: return "choice";
  }
}

/// One parameter's distribution. Only the fields of its kind are read.
struct Distribution {
  DistributionKind kind = DistributionKind::uniform;
  double low = 0.0, high = 1.0;   ///< uniform
  double mean = 0.0, sd = 1.0;    ///< normal
  bool clipped = false;           ///< normal: clamp into [clip_lo, clip_hi]
  double clip_lo = 0.0, clip_hi = 0.0;
  double mu = 0.0, sigma = 1.0;   ///< lognormal (of the log)
  std::vector<double> values;     ///< choice
  std::vector<double> weights;    ///< choice: empty (equal) or one >= 0 per value, sum > 0

  /// Throws SpecError naming the bad parameter (key "low", "sd", "weights[1]", ...).
  void validate() const {
    using detail::require_spec;
    const auto finite = [](double v, const std::string& key) {
      require_spec(std::isfinite(v), key, "{} = " + shortest_text(v) + " is not a finite number");
    };
    switch (kind) {
      case DistributionKind::uniform:
        finite(low, "low");
        finite(high, "high");
        require_spec(low < high, "high", "{} = " + shortest_text(high) + " must be above {low} = " + shortest_text(low));
        break;
      case DistributionKind::normal:
        finite(mean, "mean");
        finite(sd, "sd");
        require_spec(sd > 0, "sd", "{} = " + shortest_text(sd) + " must be > 0");
        if (clipped) {
          finite(clip_lo, "clip[0]");
          finite(clip_hi, "clip[1]");
          require_spec(clip_lo < clip_hi, "clip", "{} = [" + shortest_text(clip_lo) + ", " + shortest_text(clip_hi) +
                                                      "] must have lo < hi");
        }
        break;
      case DistributionKind::lognormal:
        finite(mu, "mu");
        finite(sigma, "sigma");
        require_spec(sigma > 0, "sigma", "{} = " + shortest_text(sigma) + " must be > 0");
        break;
      case DistributionKind::choice: {
        require_spec(!values.empty(), "values", "{} is empty: name at least one value");
        for (std::size_t i = 0; i < values.size(); ++i) finite(values[i], "values[" + std::to_string(i) + "]");
        if (weights.empty()) break;
        require_spec(weights.size() == values.size(), "weights",
                     "{} has " + std::to_string(weights.size()) + " entries: expected one per value (" +
                         std::to_string(values.size()) + ")");
        double sum = 0;
        for (std::size_t i = 0; i < weights.size(); ++i) {
          const std::string key = "weights[" + std::to_string(i) + "]";
          finite(weights[i], key);
          require_spec(weights[i] >= 0, key, "{} = " + shortest_text(weights[i]) + " must be >= 0");
          sum += weights[i];
        }
        require_spec(sum > 0, "weights", "{} are all 0: give some value a positive weight");
        break;
      }
    }
  }

  /// The values a draw can take, as the points a caller checks against the
  /// parameter's range: [low, high] of a uniform; the clip of a normal, or
  /// mean -+ kMaxNormal sd without one; exp(mu -+ kMaxNormal sigma) of a
  /// lognormal; every value of a choice.
  std::vector<double> support() const {
    switch (kind) {
      case DistributionKind::uniform: return {low, high};
      case DistributionKind::normal:
        if (clipped) return {clip_lo, clip_hi};
        return {mean - kMaxNormal * sd, mean + kMaxNormal * sd};
      case DistributionKind::lognormal: return {std::exp(mu - kMaxNormal * sigma), std::exp(mu + kMaxNormal * sigma)};
      default: return values;
    }
  }
};

/// One parameter of a cohort: its key (a dotted path, as the caller's
/// configuration spells it) and distribution.
struct CohortParameter {
  std::string key;
  Distribution distribution;
};

/// The stream of parameter `key` of patient `seed`.
inline std::uint64_t cohort_stream(std::uint64_t seed, const std::string& key) {
  return stream_key(seed, Purpose::cohort, fnv1a64(key));
}

/// The value of `key` for patient `seed` (d is validated first).
inline double draw(const Distribution& d, std::uint64_t seed, const std::string& key) {
  d.validate();
  Rng rng(cohort_stream(seed, key));
  const auto unit = [&rng] { return double(rng.next_u64() >> 11) * 0x1.0p-53; };  // [0, 1), 53 bits
  switch (d.kind) {
    case DistributionKind::uniform: return d.low + (d.high - d.low) * unit();
    case DistributionKind::normal: {
      const double v = d.mean + d.sd * double(rng.normal());
      return d.clipped ? std::clamp(v, d.clip_lo, d.clip_hi) : v;
    }
    case DistributionKind::lognormal: return std::exp(d.mu + d.sigma * double(rng.normal()));
    default: {
      if (d.weights.empty()) return d.values[rng.below(std::uint32_t(d.values.size()))];
      double sum = 0;
      for (double w : d.weights) sum += w;
      const double u = unit() * sum;
      double below = 0;
      for (std::size_t i = 0; i < d.values.size(); ++i) {
        below += d.weights[i];
        if (u < below && d.weights[i] > 0) return d.values[i];
      }
      for (std::size_t i = d.values.size(); i-- > 0;)  // u rounded up to the sum: the last weighted value
        if (d.weights[i] > 0) return d.values[i];
      return d.values.back();
    }
  }
}

}  // namespace rewire::protocol
