// rewire/nn/parameter.hpp - the one seam through which everything that walks
// a network's parameters (optimiser, pruning, regrowth, gradient checks,
// serialisation) sees them.
#pragma once

#include <rewire/core/types.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace rewire {

/// A view of one parameter tensor: its values, its gradient and, for masked
/// weights, its mask (same shape). Views are flat (column-major order) and
/// stay valid until the owning network is resized, moved or destroyed.
/// (A view, like a pointer, is mutable through a const ParamRef.)
struct ParamRef {
  std::string name;              ///< e.g. "layer2.weight"
  float* value = nullptr;        ///< the parameter itself, `size` floats
  float* grad = nullptr;         ///< dL/d(value) from the last backward, `size` floats
  Index size = 0;
  const Matrix* mask = nullptr;  ///< 0/1 mask of `size` entries, or nullptr (biases)
  /// Optional: ascending flat offsets of the unmasked entries. When set, the
  /// gradient is only defined there and an optimiser may update only those
  /// entries (masked entries stay exactly zero either way).
  const std::vector<std::int32_t>* active = nullptr;

  /// The values and the gradient as Eigen arrays.
  Eigen::Map<Eigen::ArrayXf> values() const { return {value, size}; }
  Eigen::Map<Eigen::ArrayXf> grads() const { return {grad, size}; }
};

}  // namespace rewire
