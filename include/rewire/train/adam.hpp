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

  /// One update of every parameter in `params` (same list, same order each
  /// step). A parameter with an `active` list keeps its moments compactly,
  /// one per active entry: on a 95%-sparse layer that is 20x less state to
  /// stream than full-size moments at scattered offsets.
  void step(const std::vector<ParamRef>& params) {
    if (m_.empty()) {
      for (const auto& p : params) {
        const Index n = p.active != nullptr ? Index(p.active->size()) : p.size;
        m_.push_back(Eigen::ArrayXf::Zero(n));
        v_.push_back(Eigen::ArrayXf::Zero(n));
      }
    }
    detail::require(m_.size() == params.size(), "Adam::step: the parameter list changed size");
    ++t_;
    // Bias corrections in double: b^t underflows gracefully and 1 - b2^t is
    // tiny for small t, where float would lose digits.
    const double bc1 = 1.0 - std::pow(double(options_.beta1), double(t_));
    const double bc2 = 1.0 - std::pow(double(options_.beta2), double(t_));
    const Coefficients c{options_.beta1, options_.beta2, options_.eps,
                         float(double(options_.lr) / bc1), float(1.0 / std::sqrt(bc2))};
    for (std::size_t k = 0; k < params.size(); ++k) {
      const ParamRef& p = params[k];
      float* m = m_[k].data();
      float* v = v_[k].data();
      if (p.active != nullptr) {
        const std::vector<std::int32_t>& active = *p.active;
        detail::require(m_[k].size() == Index(active.size()),
                        "Adam::step: the active entries of " + p.name + " changed");
        for (std::size_t q = 0; q < active.size(); ++q)
          update(c, p.value[active[q]], p.grad[active[q]], m[q], v[q]);
      } else {
        detail::require(m_[k].size() == p.size, "Adam::step: " + p.name + " changed size");
        for (Index j = 0; j < p.size; ++j) update(c, p.value[j], p.grad[j], m[j], v[j]);
        if (p.mask != nullptr) {
          const float* mask = p.mask->data();
          for (Index j = 0; j < p.size; ++j) p.value[j] *= mask[j];
        }
      }
    }
  }

 private:
  struct Coefficients {
    float beta1, beta2, eps;
    float step_size;     // lr / (1 - b1^t)
    float inv_sqrt_bc2;  // 1 / sqrt(1 - b2^t)
  };

  static void update(const Coefficients& c, float& w, float g, float& m, float& v) {
    m = c.beta1 * m + (1.0f - c.beta1) * g;
    v = c.beta2 * v + (1.0f - c.beta2) * g * g;
    // PyTorch: denom = sqrt(v) / sqrt(bc2) + eps; w -= (lr / bc1) * m / denom.
    w -= c.step_size * m / (std::sqrt(v) * c.inv_sqrt_bc2 + c.eps);
  }

  AdamOptions options_;
  std::vector<Eigen::ArrayXf> m_;  // per slot: first moment (per active entry if `active`)
  std::vector<Eigen::ArrayXf> v_;  // per slot: second moment (same layout)
  long t_ = 0;
};

}  // namespace rewire
