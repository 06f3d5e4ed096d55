// rewire/protocol/measure.hpp - the measurements a study takes of a subject:
// accuracy on clean, standard and combined-stress test sets, and a sweep of
// internal noise levels.
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/data/clusters.hpp>
#include <rewire/protocol/limits.hpp>
#include <rewire/protocol/metric_keys.hpp>
#include <rewire/protocol/network.hpp>
#include <rewire/protocol/subject.hpp>
#include <rewire/train/evaluate.hpp>

#include <map>
#include <string>
#include <vector>

namespace rewire::protocol {

/// The data of one seed: a training set and the two test sets, points or
/// trials (network.hpp) as the task has them.
struct StudyData {
  TaskSet train;     ///< training set
  TaskSet standard;  ///< test set drawn like the training set
  TaskSet clean;     ///< test set with every point on its class centre (clean_sigma)
};

/// What "combined stress" and the stress sweep mean. The defaults are
/// neutral (no noise, no levels): a study states its own.
struct MeasureSpec {
  float combined_input_sigma = 0.0f;     ///< input noise of the combined condition
  float combined_internal_sigma = 0.0f;  ///< internal noise of the combined condition
  std::vector<float> stress_levels;      ///< internal sigmas swept, distinct, at least one

  /// Throws SpecError naming the first bad value by its field.
  void validate() const {
    detail::require_in(limits::kNonNegative, combined_input_sigma, "combined_input_sigma");
    detail::require_in(limits::kNonNegative, combined_internal_sigma, "combined_internal_sigma");
    detail::require_count(limits::kStressLevels, stress_levels.size(), "stress_levels");
    // Each level is one metric (stress_<sigma>): == also takes -0 and 0 as one.
    const auto text = [](float v) {
      const std::string t = shortest_text(v);
      return t.find_first_of(".e") == std::string::npos ? t + ".0" : t;
    };
    for (std::size_t i = 0; i < stress_levels.size(); ++i) {
      const std::string key = "stress_levels[" + std::to_string(i) + "]";
      detail::require_in(limits::kNonNegative, stress_levels[i], key);
      for (std::size_t j = 0; j < i; ++j)
        detail::require_spec(stress_levels[j] != stress_levels[i], key,
                             "{} = " + text(stress_levels[i]) + " repeats {stress_levels[" + std::to_string(j) +
                                 "]} = " + text(stress_levels[j]) + ": every stress level must be distinct");
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
