// rewire/nn/parameter.hpp - the one view through which everything that walks
// a network's parameters (an optimiser, gradient checks, a user's own update
// rule) sees them.
#pragma once

#include <rewire/core/types.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace rewire {

template <typename T>
class BasicMaskedLinear;

/// A handle to one parameter tensor of a layer: its weight or its bias.
///
/// values() is always the parameter's one stored copy (its owner, not a
/// cache), so writing through it changes what the next forward computes:
///  - a bias, or a weight on the dense kernel path: every entry of the
///    (out x in) matrix, column-major; mask() is the 0/1 mask over those
///    entries when any is masked (else nullptr);
///  - a weight on the sparse kernel path: only the active entries, in CSC
///    order; offsets() gives each one's column-major offset in the matrix,
///    and nothing there is masked (mask() is nullptr).
/// grads() has the same length and order and holds dL/d(values) from the
/// last backward.
///
/// The handle re-reads the layer on every call, so it stays valid across
/// pruning and regrowth (which change values().size() and layout_version());
/// it does not survive the layer: a network that is copied, moved or
/// destroyed needs new handles (Mlp::parameters()).
///
/// A ParamRef can also view a caller's own arrays (the second constructor),
/// so that an optimiser written for networks serves any tensor.
template <typename T>
class BasicParamRef {
 public:
  using Array = Eigen::Array<T, Eigen::Dynamic, 1>;
  enum class Kind { weight, bias };

  /// The weight or bias of `layer` (see MaskedLinear::append_parameters).
  BasicParamRef(std::string name, BasicMaskedLinear<T>* layer, Kind kind)
      : name_(std::move(name)), layer_(layer), kind_(kind) {}

  /// A caller-owned tensor of `size` values with its gradient, an optional
  /// 0/1 mask over them and optional offsets (see offsets()); all must
  /// outlive the view. Its layout_version() is always 0.
  BasicParamRef(std::string name, T* values, const T* grads, Index size, const T* mask = nullptr,
                const std::vector<std::int32_t>* offsets = nullptr)
      : name_(std::move(name)), kind_(Kind::weight), raw_{values, grads, size, mask, offsets} {}

  /// E.g. "layer2.weight".
  const std::string& name() const { return name_; }
  Kind kind() const { return kind_; }

  /// The stored values (see the class comment for their layout).
  Eigen::Map<Array> values() const;
  /// dL/d(values) of the last backward, same layout.
  Eigen::Map<const Array> grads() const;
  /// Number of stored values.
  Index size() const { return values().size(); }
  /// 0/1 mask over values(), or nullptr when none of them is masked.
  const T* mask() const;
  /// Column-major offsets of values() in the full matrix when only the active
  /// entries are stored (sparse path), else nullptr.
  const std::vector<std::int32_t>* offsets() const;
  /// Changes whenever the layout of values() changes (a new mask or kernel
  /// path): per-entry state kept beside a parameter (e.g. Adam's moments) is
  /// valid only while this stays the same.
  std::uint64_t layout_version() const;

 private:
  struct Raw {  // a caller-owned tensor (layer_ == nullptr)
    T* values = nullptr;
    const T* grads = nullptr;
    Index size = 0;
    const T* mask = nullptr;
    const std::vector<std::int32_t>* offsets = nullptr;
  };
  std::string name_;
  BasicMaskedLinear<T>* layer_ = nullptr;
  Kind kind_;
  Raw raw_;
};

/// The parameter view of float networks.
using ParamRef = BasicParamRef<float>;

}  // namespace rewire
