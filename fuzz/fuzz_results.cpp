// fuzz_results - libFuzzer target for the readers of chronic_stress's result
// files, as resume and the report use them: JSON text, then both the seed-file
// reader (seed_from_json, seed_mismatch against the built-in paper.toml,
// checksum_mismatch) and the summary reader (summary_from_json,
// spec_of_summary, summary_mismatch). Every input must end in a record or a
// named error (ResultsError, or the std::runtime_error of parse_json_text,
// which read_json_file uses); anything else (another exception, a crash, a
// sanitizer report) is a finding.
#include "config/config.hpp"
#include "results/results.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace {

void read_seed(const nlohmann::json& doc) {
  static const rewire::protocol::StudySpec paper =
      chronic_stress::parse_config(chronic_stress::paper_config(), chronic_stress::kPaperConfigName);
  try {
    const chronic_stress::SeedRecord r = chronic_stress::seed_from_json(doc);
    // The file's own hash and version, so a well-formed record reaches the
    // per-arm checks against the paper's protocol.
    if (chronic_stress::seed_mismatch(r, r.seed, r.config_hash, r.library_version, paper).empty())
      (void)chronic_stress::checksum_mismatch(doc);
  } catch (const chronic_stress::ResultsError&) {
  }
}

void read_summary(const nlohmann::json& doc) {
  try {
    const chronic_stress::Summary s = chronic_stress::summary_from_json(doc);
    const rewire::protocol::StudySpec spec = chronic_stress::spec_of_summary(s);
    (void)chronic_stress::summary_mismatch(s, spec);
  } catch (const chronic_stress::ResultsError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  nlohmann::json doc;
  try {
    doc = chronic_stress::parse_json_text(std::string(reinterpret_cast<const char*>(data), size), "fuzz.json");
  } catch (const std::runtime_error&) {
    return 0;
  }
  read_seed(doc);
  read_summary(doc);
  return 0;
}
