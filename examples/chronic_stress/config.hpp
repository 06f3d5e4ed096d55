// config.hpp - the TOML configuration of chronic_stress: parsing with full
// validation (TOML -> rewire::protocol::StudySpec), the canonical
// serialization (config.toml, the `config` of summary.json) and its hash.
//
// The schema mirrors StudySpec one to one; README.md documents it.
#pragma once

#include <rewire/protocol/study.hpp>

#include <nlohmann/json.hpp>

#include <charconv>
#include <cstdlib>
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

/// One step as the TOML schema spells it ({ op = "train", epochs = 15, lr
/// = 0.0005 }), as JSON in key order. Defined beside the step's reader.
nlohmann::ordered_json step_to_json(const rewire::protocol::Step& step);

/// One probe as the schema spells it ({ name = "off", activation = "relu",
/// damping = 1.0 }).
nlohmann::ordered_json probe_to_json(const rewire::protocol::Probe& probe);

/// The shortest decimal that reads back as `f` (std::to_chars guarantees
/// this), as a double: 5e-4f becomes 0.0005, which parses back to 5e-4f.
inline double short_float(float f) {
  char buffer[64];
  const auto end = std::to_chars(buffer, buffer + sizeof buffer, f).ptr;
  return std::strtod(std::string(buffer, end).c_str(), nullptr);
}

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
