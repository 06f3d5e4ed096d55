// rewire/data/clusters.hpp - the Gaussian-cluster classification task.
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/core/types.hpp>
#include <rewire/random/rng.hpp>

#include <array>
#include <vector>

namespace rewire {

/// Inputs (n x dims) and their labels.
struct Dataset {
  Matrix inputs;  // (n, dims): one sample per row
  Labels labels;  // (n): class of each row
  Index size() const { return inputs.rows(); }
};

/// The study's four class centres: class k sits at centres[k].
inline std::vector<std::array<float, 2>> paper_centres() {
  return {{-3.0f, -3.0f}, {3.0f, 3.0f}, {-3.0f, 3.0f}, {3.0f, -3.0f}};
}

/// n points: for each, a label drawn uniformly from the classes, then
/// centre[label] + sigma * N(0, I2). sigma = 0 puts every point exactly on
/// its centre (no normal draws are made then).
inline Dataset make_gaussian_clusters(Index n, float sigma, Rng& rng,
                                      const std::vector<std::array<float, 2>>& centres =
                                          paper_centres()) {
  detail::require(n > 0, "a data set needs at least one point");
  detail::require_non_negative(sigma, "sigma");
  detail::require(!centres.empty(), "at least one class centre is needed");
  Dataset d;
  d.inputs.resize(n, 2);
  d.labels.resize(n);
  for (Index k = 0; k < n; ++k) {
    const auto label = rng.below(std::uint32_t(centres.size()));
    d.labels[k] = std::int32_t(label);
    for (int j = 0; j < 2; ++j)
      d.inputs(k, j) = centres[label][j] + (sigma > 0.0f ? sigma * rng.normal() : 0.0f);
  }
  return d;
}

}  // namespace rewire
