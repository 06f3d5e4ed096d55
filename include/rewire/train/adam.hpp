// rewire/train/adam.hpp - Adam (Kingma & Ba 2015) in PyTorch's form.
//
//   t += 1                                (once per step, for all tensors)
//   m = b1 m + (1 - b1) g
//   v = b2 v + (1 - b2) g^2
//   w -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
//
// The optimiser owns its moments by parameter slot (the index in the list
// passed to step), sizes them on the first step, and counts steps itself.
// After each step, masks are re-applied so pruned weights stay exactly 0.
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/nn/parameter.hpp>

#include <cmath>
#include <vector>

namespace rewire {

/// Adam hyper-parameters (PyTorch defaults, no weight decay).
struct AdamOptions {
  float lr = 1e-3f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float eps = 1e-8f;

  /// Throws std::invalid_argument naming the first bad value.
  void validate() const {
    detail::require_positive(lr, "lr");
    detail::require_in_range(beta1, 0.0, 0.999999, "beta1");
    detail::require_in_range(beta2, 0.0, 0.999999999, "beta2");
    detail::require_positive(eps, "eps");
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
    t_ = 0;
  }

  /// Steps taken since construction or the last reset().
  long steps() const { return t_; }
  const AdamOptions& options() const { return options_; }

  /// One update of every parameter in `params` (same list, same order each step).
  void step(const std::vector<ParamRef>& params) {
    if (m_.empty()) {
      for (const auto& p : params) {
        m_.push_back(Eigen::ArrayXf::Zero(p.size));
        v_.push_back(Eigen::ArrayXf::Zero(p.size));
      }
    }
    detail::require(m_.size() == params.size(), "Adam::step: the parameter list changed size");
    ++t_;
    // Bias corrections in double: b^t underflows gracefully and 1 - b2^t is
    // tiny for small t, where float would lose digits.
    const double bc1 = 1.0 - std::pow(double(options_.beta1), double(t_));
    const double bc2 = 1.0 - std::pow(double(options_.beta2), double(t_));
    const float step_size = float(double(options_.lr) / bc1);
    const float inv_sqrt_bc2 = float(1.0 / std::sqrt(bc2));
    for (std::size_t k = 0; k < params.size(); ++k) {
      const ParamRef& p = params[k];
      detail::require(m_[k].size() == p.size, "Adam::step: a parameter changed size");
      float* w = p.value;
      const float* g = p.grad;
      if (p.active != nullptr) {
        for (const std::int32_t j : *p.active) update(k, w, g, j, step_size, inv_sqrt_bc2);
      } else {
        for (Index j = 0; j < p.size; ++j) update(k, w, g, j, step_size, inv_sqrt_bc2);
        if (p.mask != nullptr) {
          const float* mask = p.mask->data();
          for (Index j = 0; j < p.size; ++j) w[j] *= mask[j];
        }
      }
    }
  }

 private:
  void update(std::size_t k, float* w, const float* grad, Index j, float step_size,
              float inv_sqrt_bc2) {
    const float g = grad[j];
    float& m = m_[k][j];
    float& v = v_[k][j];
    m = options_.beta1 * m + (1.0f - options_.beta1) * g;
    v = options_.beta2 * v + (1.0f - options_.beta2) * g * g;
    // PyTorch: denom = sqrt(v) / sqrt(bc2) + eps; w -= (lr / bc1) * m / denom.
    w[j] -= step_size * m / (std::sqrt(v) * inv_sqrt_bc2 + options_.eps);
  }

  AdamOptions options_;
  std::vector<Eigen::ArrayXf> m_;  // per slot: first moment
  std::vector<Eigen::ArrayXf> v_;  // per slot: second moment
  long t_ = 0;
};

}  // namespace rewire
