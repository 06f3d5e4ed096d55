// results.hpp - what chronic_stress writes (docs/results-schema.md): one JSON
// document per seed, the summary over the seeds of a run, the tidy CSV. The
// summary and the CSV are computed from seed DOCUMENTS only (never from
// in-memory results), so a seed reused from disk and a freshly computed one
// contribute exactly the same numbers.
#pragma once

#include <rewire/protocol/study.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace chronic_stress {

inline constexpr const char* kSeedSchema = "rewire.chronic_stress.seed/1";
inline constexpr const char* kSummarySchema = "rewire.chronic_stress.summary/1";

/// DIR/seeds/seed-NNN.json (at least three digits).
std::filesystem::path seed_path(const std::filesystem::path& out_dir, std::uint64_t seed);

/// The seed document. Non-finite values are written as null. `seconds` is
/// the thread time spent on the seed (baseline + every arm).
nlohmann::json seed_to_json(std::uint64_t seed, const std::string& config_hash, double seconds,
                            const std::vector<rewire::protocol::ArmResult>& arms);

/// The metrics every seed file holds for `arm` (docs/results-schema.md).
std::vector<std::string> expected_metrics(const rewire::protocol::StudySpec& spec,
                                          const rewire::protocol::ArmSpec& arm);

/// Why `doc` cannot stand for `seed` in a run of `spec` with `config_hash`,
/// naming the first offending field (wrong schema, seed, config or library
/// version; an arm or metric missing or not of this configuration; a value
/// that is not a number, or null in an arm that did not diverge; a cycle
/// series of the wrong length), or "" if it can.
std::string seed_mismatch(const nlohmann::json& doc, std::uint64_t seed, const std::string& config_hash,
                          const rewire::protocol::StudySpec& spec);

/// What summary.json records about the run besides the statistics.
struct RunInfo {
  std::string config_hash;
  nlohmann::json config;  ///< config_to_json(spec)
  double epoch_scale = 1.0;
  unsigned threads = 1;
  double wall_seconds = 0.0;
};

/// summary.json from the seed documents of the run, in seed order.
nlohmann::json summarize(const rewire::protocol::StudySpec& spec, const std::vector<nlohmann::json>& seeds,
                         const RunInfo& info);

/// results.csv (`seed,arm,metric,cycle,value`) from the seed documents.
std::string results_csv(const rewire::protocol::StudySpec& spec, const std::vector<nlohmann::json>& seeds);

/// Shortest text that reads back as exactly `v` ("" for non-finite).
std::string format_number(double v);

/// Parses a JSON file; std::runtime_error naming the file if it cannot.
nlohmann::json read_json_file(const std::filesystem::path& path);

/// Every seeds/seed-NNN.json listed in DIR/summary.json, in its seed order
/// (for tools that work on a finished run, e.g. chronic_stress_report).
std::vector<nlohmann::json> read_seed_files(const std::filesystem::path& out_dir, const nlohmann::json& summary);

}  // namespace chronic_stress
