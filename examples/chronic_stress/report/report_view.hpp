// report/report_view.hpp - what the report's tables and figures read: the run's
// configuration, summary and seed records, the labels of the paper's arms,
// and the published values when (and only when) the run is the paper's
// protocol. Every statistic comes from the summary (one place per
// statistic); the seed records only give single-seed points.
#pragma once

#include "report/published.hpp"
#include "report/inputs.hpp"

#include <string>
#include <vector>

namespace chronic_stress {

class RunView {
 public:
  explicit RunView(const ReportInputs& in);

  const rewire::protocol::StudySpec& spec;
  const Summary& summary;
  const std::vector<SeedRecord>& seeds;

  /// Differences of the configuration from the built-in paper.toml; empty
  /// exactly when the run is the paper's protocol.
  const std::vector<std::string>& differences() const { return differences_; }
  /// Compare with the published values (the paper's protocol only).
  bool comparing() const { return differences_.empty(); }
  const Published& published() const { return published_; }
  int n() const { return int(summary.seeds.size()); }
  /// compare() of this run's statistic with a published value: each mean's
  /// standard error over its own seeds (ours n(), the paper's published().n()).
  Verdict verdict(const Stat& ours, const Ref& pub, Kind kind) const {
    return compare(ours, pub, kind, n(), published_.n());
  }

  std::string label(const std::string& arm) const { return published_.label(arm); }
  const Stat& stat(const std::string& arm, const std::string& metric) const;
  const CycleSummary& cycles(const std::string& arm) const { return summary.longitudinal.at(arm); }
  /// Published values; absent (not ok()) unless comparing().
  Ref ref(const std::string& arm, const std::string& metric) const;
  Ref cycle_ref(const std::string& arm, const char* series, std::size_t cycle) const;

  std::vector<std::string> arms() const;            ///< in configuration order
  std::vector<std::string> follow_up_arms() const;  ///< arms with cycles
  /// The configuration's stress levels in increasing order, with their metric names.
  std::vector<std::pair<float, std::string>> stress_levels() const;
  std::string seed_name(std::size_t i) const { return std::to_string(summary.seeds.at(i)); }

 private:
  Published published_;
  std::vector<std::string> differences_;
};

}  // namespace chronic_stress
