// rewire/nn/parameter_access.hpp - the definitions of BasicParamRef's
// accessors (declared in nn/parameter.hpp), which read a BasicMaskedLinear's
// storage: which form (dense or compact) holds the values, gradients and
// mask right now. Included at the end of nn/masked_linear.hpp, where the
// layer is complete; include that header, not this one.
#pragma once

#include <rewire/nn/masked_linear.hpp>

namespace rewire {

template <typename T>
typename BasicParamRef<T>::Values BasicParamRef<T>::values() const {
  if (layer_ == nullptr) return Values(stored_values(), nullptr, raw_.mask);
  return Values(stored_values(), kind_ == Kind::weight ? layer_ : nullptr, nullptr);
}

template <typename T>
void BasicParamRef<T>::zero_masked(BasicMaskedLinear<T>* layer, const T* raw_mask, T* values, Index size) {
  if (layer != nullptr)
    layer->zero_masked_weights();
  else if (raw_mask != nullptr)
    detail::zero_where_masked(values, raw_mask, size);
}

template <typename T>
Eigen::Map<typename BasicParamRef<T>::Array> BasicParamRef<T>::stored_values() const {
  if (layer_ == nullptr) return {raw_.values, raw_.size};
  if (kind_ == Kind::bias) return {layer_->bias_.data(), layer_->bias_.size()};
  if (auto* c = layer_->compact()) return {c->value.data(), Index(c->value.size())};
  auto* d = layer_->dense();
  return {d->value.data(), d->value.size()};
}

template <typename T>
Eigen::Map<const typename BasicParamRef<T>::Array> BasicParamRef<T>::grads() const {
  if (layer_ == nullptr) return {raw_.grads, raw_.size};
  if (kind_ == Kind::bias) return {layer_->bias_grad_.data(), layer_->bias_grad_.size()};
  if (const auto* c = layer_->compact()) return {c->grad.data(), Index(c->grad.size())};
  const auto* d = layer_->dense();
  return {d->grad.data(), d->grad.size()};
}

template <typename T>
const T* BasicParamRef<T>::mask() const {
  if (layer_ == nullptr) return raw_.mask;
  if (kind_ == Kind::bias || layer_->uses_sparse() || layer_->unmasked()) return nullptr;
  return layer_->mask_.data();
}

template <typename T>
const std::vector<std::int32_t>* BasicParamRef<T>::offsets() const {
  if (layer_ == nullptr) return raw_.offsets;
  if (kind_ == Kind::bias) return nullptr;
  const auto* c = layer_->compact();
  return c != nullptr ? &c->pattern.csc_offset : nullptr;
}

template <typename T>
std::uint64_t BasicParamRef<T>::layout_version() const {
  return (layer_ == nullptr || kind_ == Kind::bias) ? 0 : layer_->layout_version_;
}

}  // namespace rewire
