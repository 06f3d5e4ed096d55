// rewire/train/lr_schedule.hpp - learning-rate schedules as plain functions
// of the step (or epoch) count t, in the closed forms of PyTorch's
// schedulers; pass the result to Adam::set_lr or Sgd::set_lr before a step.
// Computed in double and rounded once to float.
#pragma once

#include <rewire/core/error.hpp>

#include <algorithm>
#include <cmath>

namespace rewire {

/// StepLR: base * gamma^floor(t / step_size).
inline float step_lr(float base, long t, long step_size, float gamma) {
  detail::require(t >= 0 && step_size >= 1, "step_lr needs t >= 0 and step_size >= 1");
  detail::require_positive(gamma, "gamma");
  return float(double(base) * std::pow(double(gamma), double(t / step_size)));
}

/// CosineAnnealingLR (its closed form): eta_min + (base - eta_min) (1 +
/// cos(pi t / t_max)) / 2 for t in [0, t_max], eta_min after t_max.
inline float cosine_lr(float base, long t, long t_max, float eta_min = 0.0f) {
  detail::require(t >= 0 && t_max >= 1, "cosine_lr needs t >= 0 and t_max >= 1");
  const double pi = 3.14159265358979323846;
  const double tt = double(std::min(t, t_max));
  return float(double(eta_min) + (double(base) - double(eta_min)) * (1.0 + std::cos(pi * tt / double(t_max))) / 2.0);
}

/// LinearLR as a warm-up: base * (start_factor + (1 - start_factor) *
/// min(t, total) / total), from start_factor * base at t = 0 to base at t >= total.
inline float linear_warmup_lr(float base, long t, long total, float start_factor) {
  detail::require(t >= 0 && total >= 1, "linear_warmup_lr needs t >= 0 and total >= 1");
  detail::require_in_range(start_factor, 0.0, 1.0, "start_factor");
  const double f = double(start_factor) + (1.0 - double(start_factor)) * double(std::min(t, total)) / double(total);
  return float(double(base) * f);
}

}  // namespace rewire
