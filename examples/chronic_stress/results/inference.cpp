// results/inference.cpp - the tests and models of a run beyond its
// descriptive statistics: Cox and logistic regressions of each arm's
// outcomes on the seeds' baseline covariates, equivalence tests between
// arms, and Holm's adjustment of every p-value of the run (statistics.hpp).
#include "results/inference.hpp"

#include <rewire/protocol/circuit.hpp>
#include <rewire/protocol/metric_keys.hpp>
#include <rewire/stats/cox.hpp>
#include <rewire/stats/equivalence.hpp>
#include <rewire/stats/holm.hpp>
#include <rewire/stats/logistic.hpp>

#include <cmath>

namespace chronic_stress {

namespace rs = rewire::stats;
namespace metric = rewire::protocol::metric;
using rewire::protocol::StudySpec;

std::vector<std::string> regression_covariates(const StudySpec& spec) {
  namespace k = rewire::protocol::circuit_key;
  std::vector<std::string> names{std::string("baseline.") + k::combined, std::string("baseline.") + k::dead_units};
  for (const auto& c : spec.cohort) names.push_back("cohort." + c.key);
  return names;
}

std::vector<std::pair<double*, double*>> holm_family(ClinicalSummary& c) {
  std::vector<std::pair<double*, double*>> family;
  for (auto* tests : {&c.logrank, &c.logrank_stratified})
    for (auto& [a, bs] : *tests)
      for (auto& [b, r] : bs) family.push_back({&r.p, &r.p_holm});
  for (auto* models : {&c.cox, &c.logistic}) {
    const std::size_t first = models == &c.logistic ? 1 : 0;  // not the intercept
    for (auto& [arm, r] : *models)
      for (std::size_t j = first; j < r.p.size(); ++j) family.push_back({&r.p[j], &r.p_holm[j]});
  }
  for (auto& [a, bs] : c.equivalence)
    for (auto& [b, ms] : bs)
      for (auto& [m, e] : ms) family.push_back({&e.p, &e.p_holm});
  return family;
}

namespace detail {
namespace {

// Seed `i` has a finite value of every covariate `names`.
bool has_covariates(const Covariates& x, const std::vector<std::string>& names, std::size_t i) {
  for (const auto& name : names) {
    const auto it = x.find(name);
    if (it == x.end() || i >= it->second.size() || !std::isfinite(it->second[i])) return false;
  }
  return true;
}

// (seeds, covariates): row r holds the covariates of seed seeds[r].
Eigen::MatrixXd design(const Covariates& x, const std::vector<std::string>& names, const std::vector<std::size_t>& seeds) {
  Eigen::MatrixXd X(Eigen::Index(seeds.size()), Eigen::Index(names.size()));
  for (std::size_t r = 0; r < seeds.size(); ++r)
    for (std::size_t j = 0; j < names.size(); ++j) X(Eigen::Index(r), Eigen::Index(j)) = x.at(names[j])[seeds[r]];
  return X;
}

// A fit as summary.json holds it: numbers only when it was fitted.
RegressionSummary summary_of(const rs::RegressionFit& fit, const std::vector<std::string>& terms) {
  RegressionSummary r;
  r.status = rs::status_name(fit.status);
  r.n = fit.n;
  r.events = fit.events;
  if (!fit.fitted()) return r;
  r.terms = terms;
  for (const rs::TermEstimate& t : fit.terms) {
    r.coef.push_back(t.coef);
    r.se.push_back(t.se);
    r.ratio.push_back(t.ratio);
    r.ci_lo.push_back(t.ci95.lo);
    r.ci_hi.push_back(t.ci95.hi);
    r.p.push_back(t.p);
    r.p_holm.push_back(kNaN);
  }
  return r;
}

EquivalenceSummary equivalence_of(const std::vector<double>& a, const std::vector<double>& b) {
  const rs::Equivalence e = rs::paired_equivalence(a, b, kEquivalenceMargin);
  return {e.margin, e.mean, e.ci.lo, e.ci.hi, e.p, kNaN, e.n, e.equivalent};
}

}  // namespace

void add_regressions(ClinicalSummary& out, const StudySpec& spec, const std::map<std::string, SeedOutcomes>& outcomes,
                     const Covariates& covariates) {
  const std::vector<std::string> terms = regression_covariates(spec);
  std::vector<std::string> logistic_terms{"(intercept)"};
  logistic_terms.insert(logistic_terms.end(), terms.begin(), terms.end());
  for (const auto& [arm, per_seed] : outcomes) {
    // Time to relapse of the responders (the stratum of a time is its seed).
    std::vector<rs::TimeToEvent> responders;
    std::vector<std::size_t> rows;
    for (const rs::TimeToEvent& t : responder_times(per_seed))
      if (has_covariates(covariates, terms, std::size_t(t.stratum))) {
        responders.push_back(t);
        rows.push_back(std::size_t(t.stratum));
      }
    out.cox[arm] = summary_of(rs::fit_cox(responders, design(covariates, terms, rows)), terms);
    // Non-response (1) against response (0) of every classified seed.
    std::vector<int> non_response;
    rows.clear();
    for (std::size_t i = 0; i < per_seed.size(); ++i)
      if (per_seed[i] && has_covariates(covariates, terms, i)) {
        non_response.push_back(per_seed[i]->responder ? 0 : 1);
        rows.push_back(i);
      }
    out.logistic[arm] = summary_of(rs::fit_logistic(non_response, design(covariates, terms, rows)), logistic_terms);
  }
}

void add_equivalence(ClinicalSummary& out, const StudySpec& spec, const std::map<std::string, ArmSeries>& series) {
  const std::size_t last = std::size_t(spec.longitudinal.cycles);
  for (std::size_t a = 0; a < spec.arms.size(); ++a)
    for (std::size_t b = a + 1; b < spec.arms.size(); ++b) {
      const std::string& A = spec.arms[a].name;
      const std::string& B = spec.arms[b].name;
      const ArmSeries& x = series.at(A);
      const ArmSeries& y = series.at(B);
      const auto& combined_a = metric_of(x, metric::combined);
      const auto& combined_b = metric_of(y, metric::combined);
      if (!combined_a.empty() && !combined_b.empty())
        out.equivalence[A][B][metric::combined] = equivalence_of(combined_a, combined_b);
      if (spec.arms[a].follow_up && spec.arms[b].follow_up)
        out.equivalence[A][B][kFinalAccuracy] = equivalence_of(at_cycle(x, last), at_cycle(y, last));
    }
}

void adjust_holm(ClinicalSummary& out) {
  const auto family = holm_family(out);
  std::vector<double> p;
  for (const auto& [raw, adjusted] : family) p.push_back(*raw);
  const std::vector<double> q = rs::holm_adjust(p);
  for (std::size_t i = 0; i < family.size(); ++i) *family[i].second = q[i];
}

}  // namespace detail
}  // namespace chronic_stress
