// rewire/protocol/measure.hpp - the measurements a study takes of a subject:
// accuracy on clean, standard and combined-stress test sets, and a sweep of
// internal noise levels.
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/data/clusters.hpp>
#include <rewire/protocol/subject.hpp>
#include <rewire/train/evaluate.hpp>

#include <cstdio>
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

/// What "combined stress" and the stress sweep mean.
struct MeasureSpec {
  float combined_input_sigma = 1.0f;     ///< input noise of the combined condition
  float combined_internal_sigma = 0.5f;  ///< internal noise of the combined condition
  std::vector<float> stress_levels{0.0f, 0.5f, 1.0f, 1.5f, 2.5f};  ///< internal sigmas swept

  void validate() const {
    detail::require_non_negative(combined_input_sigma, "combined_input_sigma");
    detail::require_non_negative(combined_internal_sigma, "combined_internal_sigma");
    detail::require(!stress_levels.empty(), "stress_levels must not be empty");
    for (float s : stress_levels) detail::require_non_negative(s, "stress level");
  }
};

/// Metric name of a stress level: "stress_0.0", "stress_2.5" (one decimal).
inline std::string stress_metric_name(float sigma) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "stress_%.1f", double(sigma));
  return buffer;
}

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
  m["sparsity"] = 100.0 * subject.net.sparsity();
  m["clean"] = accuracy(subject.net, data.clean, {}, noise);
  m["standard"] = accuracy(subject.net, data.standard, {}, noise);
  m["combined"] = accuracy(subject.net, data.standard,
                           {spec.combined_input_sigma, spec.combined_internal_sigma}, noise);
  for (float sigma : spec.stress_levels)
    m[stress_metric_name(sigma)] = accuracy(subject.net, data.standard, {0.0f, sigma}, noise);
  return m;
}

}  // namespace rewire::protocol
