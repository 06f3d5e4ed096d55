// report/published.hpp - the published reference values of the study (paper Tables
// 1-4, and docs/protocol.md for values the paper does not print), embedded at
// build time from examples/chronic_stress/published.json (see
// CMakeLists.txt), so that no binary reads the source tree at run time.
#pragma once

#include "report/comparison.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>
#include <initializer_list>

namespace chronic_stress {

/// The text of published.json, exactly as in the source tree at build time.
std::string_view published_json_text() noexcept;

/// Typed access to published.json. Missing entries read as absent (a Ref
/// that is not ok(), std::nullopt).
class Published {
 public:
  Published();  ///< parses the embedded text; std::logic_error if it does not parse

  int n() const { return n_; }  ///< seeds behind the published values (10)
  /// The paper's name of an arm ("Ketamine-like"), or the arm's own name.
  std::string label(const std::string& arm) const;
  Ref metric(const std::string& arm, const std::string& metric) const;
  /// Published value of `series` ("accuracy", "sparsity") at `cycle`.
  Ref cycle(const std::string& arm, const char* series, std::size_t cycle) const;
  Ref total_drop(const std::string& arm) const;
  Ref final_accuracy(const std::string& arm) const;
  std::optional<double> relapsed(const std::string& arm) const;
  /// The cycle at relapse of each relapsed seed.
  std::vector<int> relapse_cycles(const std::string& arm) const;
  /// The mean cycle at relapse; nullopt inside when none relapsed ("N/A").
  std::optional<std::optional<double>> mean_relapse_cycle(const std::string& arm) const;
  std::optional<std::pair<double, double>> range(const std::string& arm, std::size_t cycle) const;
  /// A second run of the original program (calibration of the flag rule).
  const nlohmann::json& second_run() const { return second_run_; }

 private:
  const nlohmann::json* find(std::initializer_list<const char*> path) const;
  nlohmann::json doc_, second_run_;
  int n_ = 10;
};

/// A Ref from a published entry: a number or {"mean", "sd"}.
Ref ref_of(const nlohmann::json* entry);

/// The whole numbers of a JSON list (others and non-lists left out).
std::vector<int> int_list(const nlohmann::json* list);

}  // namespace chronic_stress
