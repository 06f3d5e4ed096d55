// rewire/train/sgd.hpp - stochastic gradient descent with momentum, in
// PyTorch's form (torch.optim.SGD):
//
//   d = g + weight_decay * w                 (L2 penalty in the gradient)
//   b = d                                    (first step)
//   b = momentum * b + (1 - dampening) * d   (later steps)
//   d = d + momentum * b   (nesterov)   or   d = b   (plain momentum)
//   w = w - lr * d
//
// With momentum 0 there is no buffer and d is used directly. As in Adam,
// the optimiser owns its buffers by parameter slot, and masked entries of
// dense-stored weights are zeroed in the same loop, so pruned weights stay
// exactly 0.
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/nn/parameter.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace rewire {

/// SGD hyper-parameters (PyTorch's defaults but for lr, which PyTorch requires).
struct SgdOptions {
  float lr = 1e-2f;
  float momentum = 0.0f;
  float dampening = 0.0f;
  bool nesterov = false;
  float weight_decay = 0.0f;  ///< L2 penalty added to the gradient (coupled, as in torch.optim.SGD)

  /// Throws std::invalid_argument naming the first bad value.
  void validate() const {
    detail::require_positive(lr, "lr");
    detail::require_non_negative(momentum, "momentum");
    detail::require_in_range(dampening, 0.0, 1.0, "dampening");
    detail::require_non_negative(weight_decay, "weight_decay");
    detail::require(!nesterov || (momentum > 0.0f && dampening == 0.0f),
                    "nesterov momentum needs momentum > 0 and dampening = 0");
  }
};

/// SGD with explicit state: construct (or reset()) for a fresh optimiser.
class Sgd {
 public:
  explicit Sgd(SgdOptions options = {}) : options_(options) { options_.validate(); }

  /// Drops the momentum buffers and the step count.
  void reset() {
    buffers_.clear();
    layout_.clear();
    t_ = 0;
  }

  long steps() const { return t_; }
  const SgdOptions& options() const { return options_; }
  /// Sets the learning rate of the next steps (a schedule, lr_schedule.hpp).
  void set_lr(float lr) {
    detail::require_positive(lr, "lr");
    options_.lr = lr;
  }

  /// One update of every parameter in `params` (same list, same order each
  /// step), where it is stored (ParamRef::values). Throws
  /// std::invalid_argument if a parameter's layout changed since the first
  /// step (a mask change: the buffers would belong to other entries; reset()).
  void step(const std::vector<ParamRef>& params) {
    detail::require(!params.empty(), "Sgd::step: no parameters (an empty network?)");
    if (layout_.empty()) {
      for (const auto& p : params) {
        buffers_.push_back(Eigen::ArrayXf::Zero(options_.momentum > 0.0f ? p.size() : 0));
        layout_.push_back(p.layout_version());
      }
    }
    detail::require(layout_.size() == params.size(), "Sgd::step: the parameter list changed size");
    const bool first = t_ == 0;
    ++t_;
    for (std::size_t k = 0; k < params.size(); ++k) {
      const ParamRef& p = params[k];
      auto w = p.stored_values();  // writes go to the parameter; masked entries zeroed in update()
      const auto g = p.grads();
      if (p.layout_version() != layout_[k] || (options_.momentum > 0.0f && w.size() != buffers_[k].size()))
        detail::require(false, "Sgd::step: the layout of " + p.name() +
                                   " changed since the first step (a new mask?); reset() the optimiser");
      update(w.data(), g.data(), buffers_[k].data(), w.size(), p.mask(), first);
    }
  }

 private:
  void update(float* __restrict w, const float* __restrict g, float* __restrict b, Index n,
              const float* __restrict mask, bool first) const {
    const SgdOptions& o = options_;
    for (Index j = 0; j < n; ++j) {
      float d = o.weight_decay != 0.0f ? g[j] + o.weight_decay * w[j] : g[j];
      if (o.momentum > 0.0f) {
        b[j] = first ? d : o.momentum * b[j] + (1.0f - o.dampening) * d;
        d = o.nesterov ? d + o.momentum * b[j] : b[j];
      }
      const float updated = w[j] - o.lr * d;
      w[j] = mask ? updated * mask[j] : updated;
    }
  }

  SgdOptions options_;
  std::vector<Eigen::ArrayXf> buffers_;  // per slot: momentum buffer (empty without momentum)
  std::vector<std::uint64_t> layout_;    // per slot: the parameter's layout_version at the first step
  long t_ = 0;
};

}  // namespace rewire
