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
template <typename T>
struct BasicParamRef {
  std::string name;                  ///< e.g. "layer2.weight"
  T* value = nullptr;                ///< the parameter itself, `size` entries
  T* grad = nullptr;                 ///< dL/d(value) from the last backward, `size` entries
  Index size = 0;
  const MatrixT<T>* mask = nullptr;  ///< 0/1 mask of `size` entries, or nullptr (biases)
  /// Optional: ascending flat offsets of the unmasked entries. When set, the
  /// gradient is only defined there and an optimiser may update only those
  /// entries (masked entries stay exactly zero either way).
  const std::vector<std::int32_t>* active = nullptr;

  /// The values and the gradient as Eigen arrays.
  Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>> values() const { return {value, size}; }
  Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>> grads() const { return {grad, size}; }
};

/// The parameter view of float networks.
using ParamRef = BasicParamRef<float>;

}  // namespace rewire
