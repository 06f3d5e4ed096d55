// config/config.hpp - front door of the config room: study files (TOML) to a
// checked rewire::protocol::StudySpec, their canonical text and hash, sweeps
// expanded to one study per point, and the memory a run of them needs.
//
// Every rule about values lives in the library (StudySpec::validate and the
// ranges it checks); this room reads types and structure and puts the file
// position in front of what the library refuses. The schema mirrors
// StudySpec one to one; examples/chronic_stress/README.md documents it.
#pragma once

#include "config/error.hpp"
#include "config/memory_estimate.hpp"

#include <rewire/protocol/study.hpp>

#include <nlohmann/json.hpp>

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace chronic_stress {

// ---- reading -----------------------------------------------------------------

/// The text of paper.toml, embedded into the binary at build time.
std::string_view paper_config();

/// Name of the embedded config in messages.
inline constexpr const char* kPaperConfigName = "<built-in paper.toml>";

/// A configuration as a front end hands it over, before any check.
struct ConfigInput {
  std::string source;  ///< the file's path, or kPaperConfigName (messages name it)
  std::string text;    ///< the TOML text
};

/// Reads the study file `path`, or takes the built-in paper.toml when `path`
/// is empty: every front end reads its configuration here, so its messages
/// and config hash are the same. Throws ConfigError if the file cannot be read.
ConfigInput read_config(const std::string& path);

/// Parses and validates a whole configuration. `source` names it in messages.
/// Refuses unknown keys, wrong types and out-of-range values (ConfigError):
/// whatever this accepts, the library accepts too.
rewire::protocol::StudySpec parse_config(std::string_view toml_text, const std::string& source);

/// A configuration checked and ready to run: the spec after the epoch scale,
/// its canonical TOML and that text's hash (the run's identity).
struct PreparedStudy {
  rewire::protocol::StudySpec spec;
  std::string canonical;  ///< canonical TOML: config.toml's body
  std::string hash;       ///< fnv1a64_hex(canonical)
  double epoch_scale = 1.0;
};

/// Parses `toml_text` (`source` names it in messages), multiplies every
/// epoch count by `epoch_scale` and validates the result. Throws ConfigError
/// naming the source and the key; creates nothing.
PreparedStudy prepare_study(const std::string& toml_text, const std::string& source, double epoch_scale);

/// The same for a spec parse_config (or a reader like it) made of `source`.
PreparedStudy prepare_spec(rewire::protocol::StudySpec spec, const std::string& source, double epoch_scale);

/// config.toml's text: a comment header (not hashed) over the canonical body.
std::string config_file_text(const PreparedStudy& study);

// ---- cohorts ------------------------------------------------------------------
// A `[cohort]` table names config keys by dotted path (as sweeps do) and,
// for each, a distribution: every seed (a virtual patient) runs the study
// with its own draw of those values (config/read_cohort.cpp).

/// One seed's study and the values it drew (key -> value, as the study
/// holds it: a float key keeps a float's digits).
struct Patient {
  rewire::protocol::StudySpec spec;  ///< without a cohort of its own
  std::map<std::string, double> values;
};

/// The study seed `seed` runs: `spec` with the seed's draw of every cohort
/// key set (spec itself, no values, without a cohort). `spec` must be a
/// checked study (parse_config / prepare_study), whose cohort was checked.
Patient cohort_patient(const rewire::protocol::StudySpec& spec, std::uint64_t seed);

// ---- sweeps ------------------------------------------------------------------
// A `[sweep]` table names config keys by dotted path (e.g.
// "longitudinal.remove_fraction", "arms[1].maintenance[0].every") and, for
// each, a list of values. Every point of the grid (all combinations, the
// first key varying slowest) is a configuration of its own: the study file
// with the point's values set, read as the file itself is read, so its
// messages quote the lines of the file (a swept value: its line in [sweep]).

/// One swept key's value at a point.
struct SweepValue {
  std::string key;               ///< the dotted path, as [sweep] spells it
  std::size_t index = 0;         ///< which element of the key's value list
  std::string text;              ///< the value as TOML text (labels, messages)
  nlohmann::ordered_json value;  ///< the value typed (sweep.json): integer, float, boolean, string;
                                 ///< arrays and tables as JSON; inf, nan and dates as their TOML text
};

/// One point of a sweep: its values, in key order.
struct SweepPoint {
  std::vector<SweepValue> values;
  std::string dir;  ///< "point-00", ...
};

/// True if the study file has a [sweep] table (ConfigError if it is not TOML).
bool has_sweep(const std::string& toml_text, const std::string& source);

/// The points of the file's [sweep] (at most 256). Throws ConfigError naming
/// `sweep."<key>"` for a key that names nothing, a value list that is not a
/// non-empty array or that holds a value twice (4 and 4.0 count as one).
std::vector<SweepPoint> expand_sweep(const std::string& toml_text, const std::string& source);

/// How messages name a point: "sweep point-01 (key = value, ...)".
std::string sweep_point_label(const SweepPoint& point);

/// Every point of `points` (expand_sweep of `input`) read, checked and
/// prepared as prepare_study prepares a study. A refused point throws
/// ConfigError "FILE[:LINE:COLUMN]: sweep point-NN (key = value): what is
/// wrong", FILE being input.source and the line one of that file; two points
/// that make the same study (the same config hash, e.g. two spellings of
/// one key, or values that read as one 32-bit float) are refused by name.
std::vector<PreparedStudy> prepare_sweep(const ConfigInput& input, const std::vector<SweepPoint>& points,
                                         double epoch_scale);

// ---- the canonical form ------------------------------------------------------

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
