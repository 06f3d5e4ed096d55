// config/schema.hpp - what read_study.cpp (steps, sections, the whole study),
// read_arms.cpp (arms, their schedules and probes) and sweep_points.cpp share.
// Internal to the room; config.hpp is its front door.
#pragma once

#include "config/error.hpp"

#include <rewire/protocol/study.hpp>
#include "config/toml_reader.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chronic_stress::detail {

/// The TOML text as a table; a ConfigError names the source, line:column and
/// the problem (non-ASCII outside comments is refused first: toml_guard.hpp).
toml::table parse_toml(std::string_view toml_text, const std::string& source);

/// A whole study from a parsed file (parse_config after the parse): the
/// nodes' positions are what messages quote, so a tree assembled from the
/// nodes of one file (a sweep point) is refused at that file's lines.
rewire::protocol::StudySpec read_config_tree(const toml::table& root, const std::string& source);

/// The array of steps under `key` of `t` (empty if absent and not required).
std::vector<rewire::protocol::Step> read_steps(const Table& t, std::string_view key, bool required);

/// One step table at `path`.
rewire::protocol::Step read_step(const std::string& src, const toml::node& n, const std::string& path);

/// The activation/damping pair of a modulate step or a probe.
rewire::protocol::Modulate read_modulation(const Table& t);

/// The prune of [relapse], [longitudinal] or an arm's stress block: the keys
/// remove_fraction, cap, scope. `fallback` supplies omitted fraction and cap.
rewire::protocol::PruneRemaining read_removal(const Table& t,
                                              const rewire::protocol::PruneRemaining* fallback);

// The library has no study defaults; the schema's are the built-in
// paper.toml's: a key a file omits takes the paper's value. `paper` is null
// while paper.toml itself is read, and then those keys are required.
template <class S, class T>
std::optional<T> paper_value(const S* paper, T S::*field) {
  if (!paper) return std::nullopt;
  return paper->*field;
}

// The sections (read_sections.cpp); `paper` as for paper_value.
void read_data(const Table& t, rewire::protocol::DataSpec& d, const rewire::protocol::DataSpec* paper);
void read_task(const Table& t, rewire::protocol::TaskSpec& task);
void read_network(const Table& t, rewire::protocol::StudySpec& spec, bool required);
void read_evaluation(const Table& t, rewire::protocol::MeasureSpec& m, const rewire::protocol::MeasureSpec* paper);
void read_longitudinal(const Table& t, rewire::protocol::LongitudinalSpec& L,
                       const rewire::protocol::LongitudinalSpec* paper);

/// The [cohort] of the top-level table, checked against the study `spec`
/// read from the same file (read_cohort.cpp); empty without one.
std::vector<rewire::protocol::CohortParameter> read_cohort(const Table& top, const rewire::protocol::StudySpec& spec);

/// The [[arms]] of the top-level table.
std::vector<rewire::protocol::ArmSpec> read_arms(const Table& top);

/// Throws ConfigError for what the library refused of a spec read from the
/// file `top`: its message with every key in the file's spelling
/// (toml_key), at the line and column of the value it names (or of the
/// nearest table that holds it, when the file leaves the value out).
[[noreturn]] void fail_at(const Table& top, const rewire::SpecError& error);

/// The key of the study file that holds the spec's value `key` (a
/// StudySpec field path, as SpecError gives it): "measure.stress_levels[2]"
/// is "evaluation.stress_levels[2]", "baseline[1].target" is
/// "baseline.steps[1].target". `root` tells a maintenance block from a plain
/// list of steps.
std::string toml_key(const std::string& key, const toml::table& root);

}  // namespace chronic_stress::detail
