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
class Adam;
class Sgd;

namespace detail {
/// Sets v[k] = +0 wherever mask[k] == 0 and v[k] is not already zero (a -0
/// an update left there stays: it is zero, and no write happens when
/// nothing needs one). n entries each.
template <typename T>
void zero_where_masked(T* v, const T* mask, Index n) {
  for (Index k = 0; k < n; ++k)
    if (mask[k] == T(0) && v[k] != T(0)) v[k] = T(0);  // NaN != 0: zeroed too
}
}  // namespace detail

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
/// A write may reach masked entries (`p.values() += 0.5f` on the dense
/// path): values() returns a write scope (Values) that sets them back to
/// zero when it ends, at the end of the statement for a temporary, so
/// pruned weights are exactly zero again before anything else reads them
/// and both kernel paths and a checkpoint see the same network. Keep a
/// named scope (`auto w = p.values();`) no longer than the writes: a forward
/// inside it would compute with whatever it holds at masked entries.
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

  /// The stored values as an Eigen::Map (read and write them like one) that
  /// zeroes the masked entries (mask()) when it is destroyed, whatever was
  /// written there; a copy does the same. Copying it into a plain
  /// Eigen::Map would leave the scope: use `auto`.
  class Values : public Eigen::Map<Array> {
   public:
    using Base = Eigen::Map<Array>;
    using Base::operator=;
    Values(const Values&) = default;
    Values& operator=(const Values& other) {  // copies the values, as Eigen::Map's does
      Base::operator=(other);
      return *this;
    }
    ~Values() { zero_masked(layer_, raw_mask_, this->data(), this->size()); }

   private:
    friend class BasicParamRef;
    Values(Base stored, BasicMaskedLinear<T>* layer, const T* raw_mask)
        : Base(stored), layer_(layer), raw_mask_(raw_mask) {}
    BasicMaskedLinear<T>* layer_;  // a layer's weight: re-read when the scope ends
    const T* raw_mask_;            // a caller's tensor with a mask
  };

  /// The stored values (see the class comment for their layout), as a
  /// write scope that keeps masked entries at zero.
  Values values() const;
  /// dL/d(values) of the last backward, same layout.
  Eigen::Map<const Array> grads() const;
  /// Number of stored values.
  Index size() const { return stored_values().size(); }
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
  // The optimisers zero masked entries in their own update loops (one pass
  // over the weights, not two), so they write to the stored array without a scope.
  friend class Adam;
  friend class Sgd;
  Eigen::Map<Array> stored_values() const;
  static void zero_masked(BasicMaskedLinear<T>* layer, const T* raw_mask, T* values, Index size);

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
