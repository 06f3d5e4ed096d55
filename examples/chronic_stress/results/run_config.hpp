// results/run_config.hpp - the configuration of a finished run, as summary.json
// records it, and whether it is the paper's protocol.
//
// The report compares with the published values only when the effective
// configuration (after --epoch-scale) is exactly the built-in paper.toml:
// both are brought to their canonical form (config_to_json, the form the
// config hash covers) and compared value by value, so any changed value -
// a pruning target, a sigma, an epoch count, a set size - turns the
// comparison off.
#pragma once

#include "results/model.hpp"

#include <rewire/protocol/study.hpp>

#include <string>
#include <vector>

namespace chronic_stress {

/// The configuration `summary.config` describes. Throws ResultsError unless it
/// reads as a valid configuration, is in the canonical form chronic_stress
/// writes, and hashes to `summary.config_hash`.
rewire::protocol::StudySpec spec_of_summary(const Summary& summary);

/// Where `spec` differs from the built-in paper.toml, one entry per value,
/// e.g. "baseline.steps[1].target = 0.9 (paper: 0.95)"; empty if `spec` is
/// the paper's protocol.
std::vector<std::string> paper_differences(const rewire::protocol::StudySpec& spec);

}  // namespace chronic_stress
