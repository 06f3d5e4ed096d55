// results/inference.hpp - internal to the results room: the per-seed views
// that statistics.cpp and inference.cpp share, the regressions, equivalence
// tests and Holm's adjustment of a run (inference.cpp), and their JSON
// (inference_record.cpp). The types are in statistics.hpp.
#pragma once

#include "results/statistics.hpp"

#include <rewire/stats/outcomes.hpp>
#include <rewire/stats/survival.hpp>

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace chronic_stress::detail {

/// The values of metric `name` per seed (empty if the arm has no such metric).
const std::vector<double>& metric_of(const ArmSeries& s, const std::string& name);

/// One outcome per seed, in seed order; nullopt for a seed whose series
/// holds a null (divergence), which the outcome statistics leave out.
using SeedOutcomes = std::vector<std::optional<rewire::stats::Outcome>>;
SeedOutcomes seed_outcomes(const ArmSeries& s, double threshold);

/// The relapse-free time of each responder: its relapse cycle, or censored
/// at the last cycle C; its stratum is its seed's index in seed order.
std::vector<rewire::stats::TimeToEvent> responder_times(const SeedOutcomes& outcomes);

/// Combined accuracy of every seed at cycle c (NaN where there is none).
std::vector<double> at_cycle(const ArmSeries& s, std::size_t c);

// ---- inference.cpp -------------------------------------------------------------

/// cox.<arm> and logistic.<arm> of every arm in `outcomes` (the follow-up
/// arms) on regression_covariates(spec).
void add_regressions(ClinicalSummary& out, const rewire::protocol::StudySpec& spec,
                     const std::map<std::string, SeedOutcomes>& outcomes,
                     const Covariates& covariates);

/// equivalence.<A>.<B>.<metric> of every pair of arms (final_accuracy: both
/// with follow-up).
void add_equivalence(ClinicalSummary& out, const rewire::protocol::StudySpec& spec,
                     const std::map<std::string, ArmSeries>& series);

/// Sets every p_holm of holm_family(out).
void adjust_holm(ClinicalSummary& out);

// ---- inference_record.cpp ------------------------------------------------------

/// Writes logrank, logrank_stratified, paired.<A>.<B>.cycle_accuracy, cox,
/// logistic and equivalence into `doc`.
void inference_json(const ClinicalSummary& c, nlohmann::json& doc);
/// Reads them back (ResultsError naming the field).
void inference_from(const nlohmann::json& doc, ClinicalSummary& c);
/// Why they do not fit `spec` and `seeds` seeds, or "".
std::string inference_mismatch(const ClinicalSummary& c, const rewire::protocol::StudySpec& spec, std::size_t seeds);

}  // namespace chronic_stress::detail
