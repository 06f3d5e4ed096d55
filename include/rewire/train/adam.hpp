// rewire/train/adam.hpp - Adam (Kingma & Ba 2015) and AdamW (Loshchilov &
// Hutter 2019) in PyTorch's form.
//
//   t += 1                                (once per step, for all tensors)
//   g = g + wd w          (weight_decay, coupled: torch.optim.Adam)
//   w = w (1 - lr wd)     (weight_decay, decoupled: torch.optim.AdamW)
//   m = b1 m + (1 - b1) g
//   v = b2 v + (1 - b2) g^2
//   w -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
//
// The optimiser owns its moments by parameter slot (the index in the list
// passed to step), sizes them on the first step, and counts steps itself.
// Masked entries of dense-stored weights are zeroed in the same loop, so
// pruned weights stay exactly 0.
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/nn/parameter.hpp>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace rewire {

/// Adam hyper-parameters (PyTorch defaults, no weight decay).
struct AdamOptions {
  float lr = 1e-3f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float eps = 1e-8f;
  float weight_decay = 0.0f;            ///< >= 0; 0 leaves the update exactly plain Adam
  bool decoupled_weight_decay = false;  ///< true: AdamW's decay of the weights, false: L2 in the gradient

  /// Throws std::invalid_argument naming the first bad value.
  void validate() const {
    detail::require_positive(lr, "lr");
    detail::require_in_range(beta1, 0.0, 0.999999, "beta1");
    detail::require_in_range(beta2, 0.0, 0.999999999, "beta2");
    detail::require_positive(eps, "eps");
    detail::require_non_negative(weight_decay, "weight_decay");
  }
};

/// Adam with explicit state: construct (or reset()) for a fresh optimiser.
class Adam {
 public:
  explicit Adam(AdamOptions options = {}) : options_(options) { options_.validate(); }

  /// Zero moments and step count.
  void reset() {
    m_.clear();
    v_.clear();
    layout_.clear();
    t_ = 0;
  }

  /// Steps taken since construction or the last reset().
  long steps() const { return t_; }
  const AdamOptions& options() const { return options_; }
  /// Sets the learning rate of the next steps (a schedule, lr_schedule.hpp).
  void set_lr(float lr) {
    detail::require_positive(lr, "lr");
    options_.lr = lr;
  }

  /// One update of every parameter in `params` (same list, same order each
  /// step). Each parameter is updated where it is stored (ParamRef::values):
  /// on a sparse layer that is its active entries only, with moments per
  /// active entry: on a 95%-sparse layer 20x less state to stream, in
  /// contiguous arrays the compiler vectorises. Throws std::invalid_argument
  /// for an empty list (nothing to update: an empty network?) and if a
  /// parameter's layout changed since the first step (a mask change: the
  /// moments would belong to other entries; start a fresh Adam).
  void step(const std::vector<ParamRef>& params) {
    detail::require(!params.empty(), "Adam::step: no parameters to update (the list is empty: an empty network?)");
    if (m_.empty()) {
      for (const auto& p : params) {
        m_.push_back(Eigen::ArrayXf::Zero(p.size()));
        v_.push_back(Eigen::ArrayXf::Zero(p.size()));
        layout_.push_back(p.layout_version());
      }
    }
    detail::require(m_.size() == params.size(), "Adam::step: the parameter list changed size");
    ++t_;
    // Bias corrections in double: b^t underflows gracefully and 1 - b2^t is
    // tiny for small t, where float would lose digits.
    const double bc1 = 1.0 - std::pow(double(options_.beta1), double(t_));
    const double bc2 = 1.0 - std::pow(double(options_.beta2), double(t_));
    const Coefficients c{options_.beta1, options_.beta2, options_.eps,
                         float(double(options_.lr) / bc1), float(1.0 / std::sqrt(bc2)), options_.weight_decay,
                         float(1.0 - double(options_.lr) * double(options_.weight_decay))};
    const Decay decay = options_.weight_decay == 0.0f       ? Decay::none
                        : options_.decoupled_weight_decay ? Decay::decoupled
                                                          : Decay::coupled;
    for (std::size_t k = 0; k < params.size(); ++k) {
      const ParamRef& p = params[k];
      auto w = p.stored_values();  // a Map: writes go to the parameter; masked entries zeroed below
      const auto g = p.grads();
      if (p.layout_version() != layout_[k] || w.size() != m_[k].size())  // (no message built on the hot path)
        detail::require(false, "Adam::step: the layout of " + p.name() +
                                   " changed since the first step (a new mask?); use a fresh Adam");
      update(decay, c, w.data(), g.data(), m_[k].data(), v_[k].data(), w.size(), p.mask());
    }
  }

  /// Moments per parameter slot, in the layout of ParamRef::values() at the
  /// last step (checkpoints: see io/checkpoint.hpp for a layout-free form).
  struct State {
    long step = 0;
    std::vector<Eigen::ArrayXf> m, v;
  };
  State state() const { return {t_, m_, v_}; }

  /// Continues from `s` for `params` (the list step() will get): each
  /// moment must have its parameter's size. Throws std::invalid_argument
  /// otherwise and leaves the optimiser unchanged.
  void restore(const std::vector<ParamRef>& params, State s) {
    detail::require(s.step >= 0, "Adam::restore: negative step count");
    detail::require(s.m.size() == params.size() && s.v.size() == params.size(),
                    "Adam::restore: the state has " + std::to_string(s.m.size()) + " moments for " +
                        std::to_string(params.size()) + " parameters");
    std::vector<std::uint64_t> layout;
    for (std::size_t k = 0; k < params.size(); ++k) {
      detail::require(s.m[k].size() == params[k].size() && s.v[k].size() == params[k].size(),
                      "Adam::restore: the moments of " + params[k].name() + " have the wrong size");
      layout.push_back(params[k].layout_version());
    }
    if (s.step == 0) {  // a fresh optimiser: it sizes its moments on the first step
      s.m.clear();
      s.v.clear();
      layout.clear();
    }
    m_ = std::move(s.m);
    v_ = std::move(s.v);
    layout_ = std::move(layout);
    t_ = s.step;
  }

 private:
  struct Coefficients {
    float beta1, beta2, eps;
    float step_size;     // lr / (1 - b1^t)
    float inv_sqrt_bc2;  // 1 / sqrt(1 - b2^t)
    float weight_decay;
    float decay_factor;  // 1 - lr wd (decoupled)
  };
  enum class Decay { none, coupled, decoupled };

  /// The loop for this decay rule and mask (compile-time choices, so the
  /// plain update is the same code, and bits, as without weight decay).
  static void update(Decay decay, const Coefficients& c, float* w, const float* g, float* m, float* v, Index n,
                     const float* mask) {
    switch (decay) {
      case Decay::none:
        return mask ? update_all<true, Decay::none>(c, w, g, m, v, n, mask)
                    : update_all<false, Decay::none>(c, w, g, m, v, n, nullptr);
      case Decay::coupled:
        return mask ? update_all<true, Decay::coupled>(c, w, g, m, v, n, mask)
                    : update_all<false, Decay::coupled>(c, w, g, m, v, n, nullptr);
      case Decay::decoupled:
        return mask ? update_all<true, Decay::decoupled>(c, w, g, m, v, n, mask)
                    : update_all<false, Decay::decoupled>(c, w, g, m, v, n, nullptr);
    }
  }

  /// The update of n entries, then (Masked) w *= mask in the same loop: one
  /// pass over the weights instead of two (the dense update streams its
  /// arrays from memory, so a pass costs about a third of it). The arrays
  /// never overlap (restrict lets the compiler vectorise the loop, sqrt and
  /// division included, without run-time alias checks).
  template <bool Masked, Decay D>
  static void update_all(const Coefficients& c, float* __restrict w, const float* __restrict g,
                         float* __restrict m, float* __restrict v, Index n, const float* __restrict mask) {
    for (Index j = 0; j < n; ++j) {
      const float gj = D == Decay::coupled ? g[j] + c.weight_decay * w[j] : g[j];
      const float wj = D == Decay::decoupled ? w[j] * c.decay_factor : w[j];
      m[j] = c.beta1 * m[j] + (1.0f - c.beta1) * gj;
      v[j] = c.beta2 * v[j] + (1.0f - c.beta2) * gj * gj;
      // PyTorch: denom = sqrt(v) / sqrt(bc2) + eps; w -= (lr / bc1) * m / denom.
      const float updated = wj - c.step_size * m[j] / (std::sqrt(v[j]) * c.inv_sqrt_bc2 + c.eps);
      w[j] = Masked ? updated * mask[j] : updated;
    }
  }

  AdamOptions options_;
  std::vector<Eigen::ArrayXf> m_;  // per slot: first moment (per compact entry if compact storage)
  std::vector<Eigen::ArrayXf> v_;  // per slot: second moment (same layout)
  std::vector<std::uint64_t> layout_;  // per slot: the parameter's layout_version at the first step
  long t_ = 0;
};

}  // namespace rewire
