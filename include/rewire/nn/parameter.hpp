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
/// stay valid until the owning network is resized, moved or destroyed, or
/// a mask changes (the compact arrays are rebuilt then).
/// (A view, like a pointer, is mutable through a const ParamRef.)
template <typename T>
struct BasicParamRef {
  std::string name;                  ///< e.g. "layer2.weight"
  T* value = nullptr;                ///< the parameter itself, `size` entries
  T* grad = nullptr;                 ///< dL/d(value) from the last backward, `size` entries
  Index size = 0;
  const MatrixT<T>* mask = nullptr;  ///< 0/1 mask of `size` entries, or nullptr (biases; weights with nothing masked)

  /// Optional compressed storage of the unmasked entries (sparse layers).
  /// When `compact_offset` is set, entry q of `compact_value` / `compact_grad`
  /// is the entry at flat offset (*compact_offset)[q] (ascending) of the
  /// weight, and it is the master copy: an optimiser updates the compact
  /// arrays only (contiguous, vectorisable), and `value` / `grad` are then
  /// caches the owner refreshes when they are read through it (e.g.
  /// MaskedLinear::weight()), current when the view was handed out.
  T* compact_value = nullptr;
  const T* compact_grad = nullptr;
  const std::vector<std::int32_t>* compact_offset = nullptr;

  /// Number of compact entries (0 without compact storage).
  Index compact_size() const { return compact_offset ? Index(compact_offset->size()) : 0; }

  /// The values and the gradient as Eigen arrays.
  Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>> values() const { return {value, size}; }
  Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>> grads() const { return {grad, size}; }
};

/// The parameter view of float networks.
using ParamRef = BasicParamRef<float>;

}  // namespace rewire
