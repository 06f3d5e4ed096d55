// results/model.hpp - the typed results model of chronic_stress: what a seed
// file and summary.json hold (docs/results-schema.md), with to/from JSON.
// The writer (runner, summarize) and the reader (resume, the report) share
// it, so both agree on every field.
//
// Reading validates: *_from_json checks the structure and types (throws
// ResultsError naming the field, e.g. "arms.ssri.metrics.combined is not a
// number"); *_mismatch checks a record against the configuration it claims
// to belong to. Names read from a file (arms, metrics) must match
// is_valid_name(), so nothing read from a file can smuggle quotes, backquotes
// or newlines into a script or a terminal.
#pragma once

#include "results/statistics.hpp"

#include <rewire/protocol/study.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace chronic_stress {

inline constexpr const char* kSeedSchema = "rewire.chronic_stress.seed/2";
inline constexpr const char* kSummarySchema = "rewire.chronic_stress.summary/2";

/// A result file that does not hold what it must; the message names the field.
struct ResultsError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// 1-80 characters from [A-Za-z0-9_.-]: every arm, probe and metric name the
/// configuration allows (docs/results-schema.md).
bool is_valid_name(const std::string& name);

/// A measured value; nullopt = non-finite (null in JSON, only after divergence).
using Value = std::optional<double>;

// ---- seed files --------------------------------------------------------------

struct CycleSeries {
  std::vector<Value> sparsity, accuracy;  ///< cycles 0..C
  std::optional<int> relapse_cycle;       ///< first cycle below the threshold
  std::vector<int> doses_taken{};         ///< maintenance doses taken per cycle 0..C; empty unless a block's adherence < 1
};

struct ArmRecord {
  bool diverged = false;
  std::map<std::string, Value> metrics;
  std::optional<CycleSeries> longitudinal;  ///< arms with follow-up only
};

struct SeedRecord {
  std::uint64_t seed = 0;
  std::string config_hash, library_version;
  double seconds = 0.0;  ///< thread time of the seed, rounded to ms
  /// The circuit measures of the pre-treatment network (rewire/protocol/
  /// circuit.hpp): the seed's covariates, shared by every arm.
  std::map<std::string, Value> baseline;
  /// The values the seed drew of the configuration's [cohort] keys (key ->
  /// value; empty without a cohort): covariates too.
  std::map<std::string, double> cohort;
  std::map<std::string, ArmRecord> arms;
};

/// The record of a freshly computed seed (library version: this build's):
/// `baseline` from measure_baseline, `cohort` the seed's draws, one result per arm.
SeedRecord seed_record(std::uint64_t seed, const std::string& config_hash, double seconds,
                       const rewire::protocol::Metrics& baseline, const std::map<std::string, double>& cohort,
                       const std::vector<rewire::protocol::ArmResult>& arms);

/// The record as JSON, with "checksum" (seed_checksum) last.
nlohmann::json to_json(const SeedRecord& record);
/// Reads a record; "checksum" is optional here (checksum_mismatch checks it).
SeedRecord seed_from_json(const nlohmann::json& doc);

/// "fnv1a64:<hex>" of the record `doc` without its "checksum" field.
std::string seed_checksum(const nlohmann::json& doc);
/// Why the checksum of a seed file's document `doc` is wrong ("" if it is
/// right or absent: older and hand-written files have none).
std::string checksum_mismatch(const nlohmann::json& doc);

/// Why `record` cannot stand for `seed` of a run of `spec` (config hash,
/// library version): wrong seed, hash or version; a cohort key missing or
/// not of this configuration; a baseline measure, an
/// arm or a metric missing or not of this configuration; null in an arm
/// that did not diverge (or in the baseline while some arm did not); a
/// cycle series of the wrong length. "" if it can.
std::string seed_mismatch(const SeedRecord& record, std::uint64_t seed, const std::string& config_hash,
                          const std::string& library_version, const rewire::protocol::StudySpec& spec);

// ---- summary.json ------------------------------------------------------------

/// Per-arm follow-up statistics (arms with follow-up only).
struct CycleSummary {
  double threshold = 0.0;
  std::vector<Stat> accuracy, sparsity;  ///< per cycle 0..C
  Stat total_drop;                       ///< cycle 0 minus last cycle
  std::vector<std::optional<int>> relapse_cycles;  ///< per seed, in seed order
  std::size_t relapsed = 0;                        ///< non-null relapse_cycles
  Stat relapse_cycle;                              ///< over the relapsed seeds
};

struct Summary {
  std::string library_version, config_hash;
  nlohmann::json config;  ///< the effective configuration (config_to_json)
  double epoch_scale = 1.0;
  std::vector<std::uint64_t> seeds;
  unsigned threads = 1;
  double wall_seconds = 0.0;
  std::map<std::string, Stat> baseline;                      ///< baseline measure -> statistics over the seeds
  std::map<std::string, std::map<std::string, Stat>> arms;  ///< arm -> metric -> statistics
  std::map<std::string, CycleSummary> longitudinal;
  std::map<std::string, std::vector<std::uint64_t>> diverged;  ///< arm -> seeds
  ClinicalSummary clinical;  ///< outcomes, survival, logrank, paired, dose
};

nlohmann::json to_json(const Summary& summary);
Summary summary_from_json(const nlohmann::json& doc);

/// Why `summary` does not fit `spec` (arms, metrics, cycles, one relapse
/// entry per seed), or "".
std::string summary_mismatch(const Summary& summary, const rewire::protocol::StudySpec& spec);

}  // namespace chronic_stress
