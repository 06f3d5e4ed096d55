// rewire/data/clusters.hpp - the Gaussian-cluster classification task, in any
// input dimension and with any number of classes (one centre per class).
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/core/types.hpp>
#include <rewire/random/rng.hpp>

#include <cmath>
#include <string>
#include <vector>

namespace rewire {

/// Inputs (n x dims) and their labels.
struct Dataset {
  Matrix inputs;  // (n, dims): one sample per row
  Labels labels;  // (n): class of each row
  Index size() const { return inputs.rows(); }
};

/// Class centres: centres[k] is the centre of class k; all have one dimension.
using ClusterCentres = std::vector<std::vector<float>>;

/// The study's four class centres in the plane: class k sits at centres[k].
inline ClusterCentres paper_centres() { return {{-3.0f, -3.0f}, {3.0f, 3.0f}, {-3.0f, 3.0f}, {3.0f, -3.0f}}; }

/// Throws std::invalid_argument unless `centres` has at least one centre,
/// all of the same dimension >= 1, with finite coordinates.
inline void validate_centres(const ClusterCentres& centres) {
  detail::require(!centres.empty(), "at least one class centre is needed");
  const std::size_t dims = centres.front().size();
  detail::require(dims >= 1, "a class centre needs at least one coordinate");
  for (std::size_t k = 0; k < centres.size(); ++k) {
    detail::require(centres[k].size() == dims, "centre " + std::to_string(k) + " has " +
                                                   std::to_string(centres[k].size()) +
                                                   " coordinates, centre 0 has " + std::to_string(dims));
    for (float x : centres[k])
      detail::require(std::isfinite(x), "centre " + std::to_string(k) + " has a non-finite coordinate");
  }
}

/// n points: for each, a label drawn uniformly from the classes, then
/// centre[label] + sigma * N(0, I), one normal draw per coordinate in order.
/// sigma = 0 puts every point exactly on its centre (no normal draws are
/// made then). The draws do not depend on the dimension beyond their count,
/// so the 2-D paper task gives the same points as it always did.
inline Dataset make_gaussian_clusters(Index n, float sigma, Rng& rng,
                                      const ClusterCentres& centres = paper_centres()) {
  detail::require(n > 0, "a data set needs at least one point");
  detail::require_non_negative(sigma, "sigma");
  validate_centres(centres);
  const Index dims = Index(centres.front().size());
  Dataset d;
  d.inputs.resize(n, dims);
  d.labels.resize(n);
  for (Index k = 0; k < n; ++k) {
    const auto label = rng.below(std::uint32_t(centres.size()));
    d.labels[k] = std::int32_t(label);
    const std::vector<float>& c = centres[label];
    if (dims == 2) {
      // The plane keeps its fixed two-coordinate loop: compilers may fuse
      // c + sigma * z into one FMA (GCC does by default, -ffp-contract=fast)
      // depending on the loop's shape, so this shape keeps the paper task's
      // points bit for bit what they were.
      for (int j = 0; j < 2; ++j) d.inputs(k, j) = c[std::size_t(j)] + (sigma > 0.0f ? sigma * rng.normal() : 0.0f);
    } else {
      for (Index j = 0; j < dims; ++j)
        d.inputs(k, j) = c[std::size_t(j)] + (sigma > 0.0f ? sigma * rng.normal() : 0.0f);
    }
  }
  return d;
}

}  // namespace rewire
