// rewire/protocol/metric_keys.hpp - the names of the measurements a study
// records (the keys of ArmResult::metrics), named once. Result files, the
// report and any reader of them should use these instead of spelling the
// strings again.
#pragma once

#include <charconv>
#include <locale>
#include <optional>
#include <sstream>
#include <string>

namespace rewire::protocol::metric {

// Post-treatment panel (measure_panel), all in percent.
inline constexpr const char* sparsity = "sparsity";  ///< share of pruned weights
inline constexpr const char* clean = "clean";        ///< accuracy on the clean set, no noise
inline constexpr const char* standard = "standard";  ///< accuracy on the standard set, no noise
inline constexpr const char* combined = "combined";  ///< standard set, input and internal noise

// Acute relapse (run_arm), on a branch of the treated subject.
inline constexpr const char* relapse_before = "relapse_before";      ///< combined accuracy before
inline constexpr const char* relapse_after = "relapse_after";        ///< combined accuracy after
inline constexpr const char* relapse_drop = "relapse_drop";          ///< before - after (points)
inline constexpr const char* relapse_sparsity = "relapse_sparsity";  ///< sparsity after the pruning

// Dose of the treatment (dose.hpp): how far it moved the weights from the
// pre-treatment (pruned) state, and the accuracy it started from.
inline constexpr const char* dose_l1 = "dose_l1";  ///< 100 ||W_after - W_before||_1 / ||W_before||_1
inline constexpr const char* dose_l2 = "dose_l2";  ///< the same with the L2 (Frobenius) norm
inline constexpr const char* dose_turnover = "dose_turnover";  ///< % of surviving weights changed > 10 %
inline constexpr const char* dose_sparsity_change = "dose_sparsity_change";  ///< sparsity after - before (points)
inline constexpr const char* pretreatment_combined = "pretreatment_combined";  ///< combined accuracy before treatment

/// Prefix of the stress-sweep metrics: stress_<sigma>.
inline constexpr const char* stress_prefix = "stress_";

/// Internal sigma as the shortest decimal that reads back as the same float
/// ("0.25", not "0.2" or "0.25000000372"), fixed notation, at least one
/// decimal ("0.0", "1.0", "2.5"). Distinct floats give distinct texts; -0
/// is written as 0.
inline std::string sigma_text(float sigma) {
  char buffer[64];
  const float value = sigma + 0.0f;  // -0 + 0 = +0: one name for the level 0
  const auto end = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed).ptr;
  std::string text(buffer, end);
  if (text.find('.') == std::string::npos && text.find_first_of("ni") == std::string::npos) text += ".0";
  return text;
}

/// Metric of the stress sweep at internal sigma `sigma`: "stress_0.0",
/// "stress_2.5", "stress_0.25".
inline std::string stress(float sigma) { return stress_prefix + sigma_text(sigma); }

/// The sigma of a stress-sweep metric name, or nothing if `name` is not
/// exactly stress(sigma) for some sigma (so "stress_9_combined", the metric
/// of a probe named "stress_9", is not a stress level).
inline std::optional<float> stress_level(const std::string& name) {
  const std::string prefix = stress_prefix;
  if (name.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
  // Read with the classic locale (a decimal point whatever the user's
  // locale), then accept only the exact text stress() writes for the value.
  std::istringstream in(name.substr(prefix.size()));
  in.imbue(std::locale::classic());
  float sigma = 0;
  if (!(in >> sigma) || stress(sigma) != name) return std::nullopt;
  return sigma;
}

/// Suffixes of a probe's metrics: "<probe>_combined", "<probe>_extreme".
inline constexpr const char* probe_combined_suffix = "_combined";
inline constexpr const char* probe_extreme_suffix = "_extreme";

/// Combined-stress accuracy under probe `probe`'s modulation.
inline std::string probe_combined(const std::string& probe) { return probe + probe_combined_suffix; }

/// Accuracy at the largest stress level under probe `probe`'s modulation.
inline std::string probe_extreme(const std::string& probe) { return probe + probe_extreme_suffix; }

}  // namespace rewire::protocol::metric
