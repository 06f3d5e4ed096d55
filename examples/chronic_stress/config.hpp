// config.hpp - the TOML configuration of chronic_stress: parsing with full
// validation (TOML -> rewire::protocol::StudySpec), the canonical
// serialization (config.toml, the `config` of summary.json) and its hash.
//
// The schema mirrors StudySpec one to one; README.md documents it.
#pragma once

#include <rewire/protocol/study.hpp>

#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>
#include <string_view>

namespace chronic_stress {

/// A configuration the program refuses. The message names the source, the
/// key as a dotted path (e.g. `arms[2].treatment[0].epochs`) and what is
/// allowed there.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The text of paper.toml, embedded into the binary at build time.
std::string_view paper_config();

/// Name of the embedded config in messages.
inline constexpr const char* kPaperConfigName = "<built-in paper.toml>";

/// Parses and validates a whole configuration. `source` names it in messages.
/// Refuses unknown keys, wrong types and out-of-range values (ConfigError):
/// whatever this accepts, the library accepts too.
rewire::protocol::StudySpec parse_config(std::string_view toml_text, const std::string& source);

/// The spec as JSON mirroring the TOML schema, in TOML order, every optional
/// key spelled out. Floats are the shortest decimals that read back to the
/// same float (so 1e-3f is 0.001, not 0.0010000000474974513).
nlohmann::ordered_json config_to_json(const rewire::protocol::StudySpec& spec);

/// Canonical TOML of the spec: config.toml's body and what the hash covers.
/// parse_config(canonical_toml(s)) gives back a spec with the same canonical
/// text (tested).
std::string canonical_toml(const rewire::protocol::StudySpec& spec);

/// FNV-1a 64 of `text` as 16 lowercase hex digits.
std::string fnv1a64_hex(std::string_view text);

/// The config hash of a spec: fnv1a64_hex(canonical_toml(spec)).
inline std::string config_hash(const rewire::protocol::StudySpec& spec) {
  return fnv1a64_hex(canonical_toml(spec));
}

}  // namespace chronic_stress
