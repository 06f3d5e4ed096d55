// results/files.hpp - what chronic_stress writes (docs/results-schema.md): one seed
// file per seed, the summary over the seeds of a run, the tidy CSV, all
// through the typed model of results_model.hpp. The summary and the CSV are
// computed from seed RECORDS only, so a seed reused from disk and a freshly
// computed one contribute exactly the same numbers.
#pragma once

#include "results/model.hpp"

#include <rewire/protocol/study.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace chronic_stress {

/// DIR/seeds/seed-NNN.json (at least three digits).
std::filesystem::path seed_path(const std::filesystem::path& out_dir, std::uint64_t seed);

/// What summary.json records about the run besides the statistics.
struct RunInfo {
  std::string config_hash;
  nlohmann::json config;  ///< config_to_json(spec)
  double epoch_scale = 1.0;
  unsigned threads = 1;
  double wall_seconds = 0.0;
};

/// The summary of the seed records of a run (records valid for `spec`, in
/// seed order).
Summary summarize(const rewire::protocol::StudySpec& spec, const std::vector<SeedRecord>& seeds, const RunInfo& info);

/// results.csv (`seed,arm,metric,cycle,value`, then one column per
/// covariate: `baseline.<measure>`, then `cohort.<key>`) from the seed records.
std::string results_csv(const rewire::protocol::StudySpec& spec, const std::vector<SeedRecord>& seeds);

/// Shortest text that reads back as exactly `v` ("" for non-finite).
std::string format_number(double v);

/// Parses JSON text; std::runtime_error naming `name` if it cannot (any
/// nlohmann error: a syntax error, or a number beyond double's range).
nlohmann::json parse_json_text(const std::string& text, const std::string& name);

/// Parses a JSON file; std::runtime_error naming the file if it cannot.
nlohmann::json read_json_file(const std::filesystem::path& path);

/// A seed file that is valid for `seed` of a run of `spec` (hash, version),
/// or std::nullopt with the reason in `why` (a malformed or foreign file).
std::optional<SeedRecord> read_seed_file(const std::filesystem::path& path, std::uint64_t seed,
                                         const std::string& config_hash, const std::string& library_version,
                                         const rewire::protocol::StudySpec& spec, std::string& why);

}  // namespace chronic_stress
