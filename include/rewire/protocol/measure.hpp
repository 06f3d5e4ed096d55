// rewire/protocol/measure.hpp - the measurements a study takes of a subject:
// accuracy on clean, standard and combined-stress test sets, and a sweep of
// internal noise levels.
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/data/clusters.hpp>
#include <rewire/protocol/metric_keys.hpp>
#include <rewire/protocol/subject.hpp>
#include <rewire/train/evaluate.hpp>

#include <map>
#include <string>
#include <vector>

namespace rewire::protocol {

/// The data of one seed: a training set and the two test sets.
struct StudyData {
  Dataset train;     ///< training set
  Dataset standard;  ///< test set drawn like the training set
  Dataset clean;     ///< test set with every point on its class centre
};

/// What "combined stress" and the stress sweep mean. The defaults are
/// neutral (no noise, no levels): a study states its own.
struct MeasureSpec {
  float combined_input_sigma = 0.0f;     ///< input noise of the combined condition
  float combined_internal_sigma = 0.0f;  ///< internal noise of the combined condition
  std::vector<float> stress_levels;      ///< internal sigmas swept, distinct, at least one

  /// Throws std::invalid_argument naming the first bad value.
  void validate() const {
    detail::require_non_negative(combined_input_sigma, "combined_input_sigma");
    detail::require_non_negative(combined_internal_sigma, "combined_internal_sigma");
    detail::require(!stress_levels.empty(), "stress_levels must not be empty");
    for (std::size_t i = 0; i < stress_levels.size(); ++i) {
      const std::string at = "stress_levels[" + std::to_string(i) + "]";
      detail::require_non_negative(stress_levels[i], at.c_str());
      for (std::size_t j = 0; j < i; ++j)  // == also takes -0 and 0 as one level
        detail::require(stress_levels[j] != stress_levels[i],
                        at + " = " + metric::sigma_text(stress_levels[i]) + " repeats stress_levels[" +
                            std::to_string(j) + "]: every level must be distinct");
    }
  }
};

/// Named measurements in percent, ordered by name.
using Metrics = std::map<std::string, double>;

/// Combined-stress accuracy (standard set, input and internal noise).
inline double combined_accuracy(Subject& subject, const StudyData& data, const MeasureSpec& spec,
                                std::uint64_t phase) {
  NoiseSource noise = subject.eval_noise(phase);
  return accuracy(subject.net, data.standard,
                  {spec.combined_input_sigma, spec.combined_internal_sigma}, noise);
}

/// The full post-treatment panel: sparsity, clean, standard, combined and
/// every stress level. All values in percent.
inline Metrics measure_panel(Subject& subject, const StudyData& data, const MeasureSpec& spec,
                             std::uint64_t phase) {
  Metrics m;
  NoiseSource noise = subject.eval_noise(phase);
  m[metric::sparsity] = 100.0 * subject.net.sparsity();
  m[metric::clean] = accuracy(subject.net, data.clean, {}, noise);
  m[metric::standard] = accuracy(subject.net, data.standard, {}, noise);
  m[metric::combined] = accuracy(subject.net, data.standard,
                           {spec.combined_input_sigma, spec.combined_internal_sigma}, noise);
  for (float sigma : spec.stress_levels)
    m[metric::stress(sigma)] = accuracy(subject.net, data.standard, {0.0f, sigma}, noise);
  return m;
}

}  // namespace rewire::protocol
