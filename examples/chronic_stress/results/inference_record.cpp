// results/inference_record.cpp - the tests and models of summary.json
// (log-rank plain and stratified, the paired differences per cycle, Cox,
// logistic, equivalence): JSON both ways, and their check against the
// configuration and against Holm's adjustment of their own p-values.
#include "results/inference.hpp"
#include "results/json_read.hpp"

#include <rewire/stats/regression.hpp>

#include <algorithm>
#include <cmath>
#include <set>
#include <utility>

namespace chronic_stress::detail {

namespace {

constexpr const char* kHazardRatio = "hazard_ratio";
constexpr const char* kOddsRatio = "odds_ratio";

json logrank_json(const PairMap<LogRankSummary>& tests) {
  json out = json::object();
  for (const auto& [a, bs] : tests)
    for (const auto& [b, r] : bs)
      out[a][b] = {{"chi2", number_or_null(r.chi2)}, {"p", number_or_null(r.p)}, {"p_holm", number_or_null(r.p_holm)}};
  return out;
}

PairMap<LogRankSummary> logrank_from(const json& j, const std::string& section) {
  PairMap<LogRankSummary> out;
  for (const auto& [a, bs] : named_object(j, section).items())
    for (const auto& [b, r] : named_object(bs, at(section, a)).items()) {
      const std::string path = section + "." + a + "." + b;
      object(r, path, {"chi2", "p", "p_holm"});
      out[a][b] = {number_from(r.at("chi2"), at(path, "chi2")), number_from(r.at("p"), at(path, "p")),
                   number_from(r.at("p_holm"), at(path, "p_holm"))};
    }
  return out;
}

json cycles_json(const std::vector<PairedSummary>& cycles) {
  json mean = json::array(), ci95 = json::array(), n = json::array();
  for (const PairedSummary& d : cycles) {
    mean.push_back(number_or_null(d.mean));
    ci95.push_back(interval_json(d.ci_lo, d.ci_hi));
    n.push_back(d.n);
  }
  return {{"mean", mean}, {"ci95", ci95}, {"n", n}};
}

std::vector<PairedSummary> cycles_from(const json& j, const std::string& path) {
  object(j, path, {"mean", "ci95", "n"});
  const std::size_t size = array(j.at("mean"), at(path, "mean")).size();
  for (const char* k : {"ci95", "n"})
    if (array(j.at(k), at(path, k)).size() != size) bad(at(path, k), "is not as long as " + at(path, "mean"));
  std::vector<PairedSummary> out(size);
  for (std::size_t c = 0; c < size; ++c) {
    out[c].mean = number_from(j["mean"][c], at(at(path, "mean"), c));
    out[c].n = count(j["n"][c], at(at(path, "n"), c));
    interval_from(j["ci95"][c], at(at(path, "ci95"), c), out[c].ci_lo, out[c].ci_hi);
  }
  return out;
}

json numbers_json(const std::vector<double>& xs) {
  json out = json::array();
  for (double x : xs) out.push_back(number_or_null(x));
  return out;
}

json regression_json(const RegressionSummary& r, const char* ratio) {
  json ci95 = json::array();
  for (std::size_t j = 0; j < r.ci_lo.size(); ++j) ci95.push_back(interval_json(r.ci_lo[j], r.ci_hi[j]));
  return {{"status", r.status},           {"terms", r.terms},   {"coef", numbers_json(r.coef)},
          {"se", numbers_json(r.se)},     {ratio, numbers_json(r.ratio)}, {"ci95", ci95},
          {"p", numbers_json(r.p)},       {"p_holm", numbers_json(r.p_holm)}, {"n", r.n},
          {"events", r.events}};
}

// A per-term list of `terms` numbers (`nullable`: null reads as NaN).
std::vector<double> term_numbers(const json& j, const std::string& path, std::size_t terms, bool nullable) {
  if (array(j, path).size() != terms) bad(path, "does not hold one value per term");
  std::vector<double> out;
  for (std::size_t t = 0; t < terms; ++t) out.push_back(nullable ? number_from(j[t], at(path, t)) : number(j[t], at(path, t)));
  return out;
}

bool known_status(const std::string& s) {
  using rewire::stats::FitStatus;
  for (FitStatus f : {FitStatus::fitted, FitStatus::no_events, FitStatus::constant_outcome, FitStatus::too_few_subjects,
                      FitStatus::constant_covariate, FitStatus::collinear_covariates, FitStatus::monotone_likelihood,
                      FitStatus::separation, FitStatus::singular_information, FitStatus::not_converged})
    if (s == rewire::stats::status_name(f)) return true;
  return false;
}

RegressionSummary regression_from(const json& j, const std::string& path, const char* ratio) {
  object(j, path, {"status", "terms", "coef", "se", ratio, "ci95", "p", "p_holm", "n", "events"});
  RegressionSummary r;
  r.status = string(j.at("status"), at(path, "status"));
  if (!known_status(r.status)) bad(at(path, "status"), "is not a fit status");
  const json& terms = array(j.at("terms"), at(path, "terms"));
  for (std::size_t t = 0; t < terms.size(); ++t) r.terms.push_back(string(terms[t], at(at(path, "terms"), t)));
  if ((r.status == "fitted") == r.terms.empty()) bad(at(path, "terms"), "must list the terms exactly when fitted");
  const std::size_t n = r.terms.size();
  r.coef = term_numbers(j.at("coef"), at(path, "coef"), n, false);
  r.se = term_numbers(j.at("se"), at(path, "se"), n, false);
  r.ratio = term_numbers(j.at(ratio), at(path, ratio), n, false);
  r.p = term_numbers(j.at("p"), at(path, "p"), n, false);
  r.p_holm = term_numbers(j.at("p_holm"), at(path, "p_holm"), n, true);
  if (array(j.at("ci95"), at(path, "ci95")).size() != n) bad(at(path, "ci95"), "does not hold one interval per term");
  r.ci_lo.assign(n, kNaN);
  r.ci_hi.assign(n, kNaN);
  // A fitted term's interval is null when a bound of its ratio is beyond
  // double's range (exp of a large coefficient, near separation): the
  // writer's encoding of a non-finite bound, shown as "—" (NaN here).
  for (std::size_t t = 0; t < n; ++t)
    if (!j["ci95"][t].is_null()) interval_from(j["ci95"][t], at(at(path, "ci95"), t), r.ci_lo[t], r.ci_hi[t]);
  r.n = count(j.at("n"), at(path, "n"));
  r.events = count(j.at("events"), at(path, "events"));
  return r;
}

json equivalence_json(const EquivalenceSummary& e) {
  return {{"margin", e.margin},
          {"mean", number_or_null(e.mean)},
          {"ci90", interval_json(e.ci_lo, e.ci_hi)},
          {"p", number_or_null(e.p)},
          {"p_holm", number_or_null(e.p_holm)},
          {"n", e.n},
          {"equivalent", e.equivalent}};
}

EquivalenceSummary equivalence_from(const json& j, const std::string& path) {
  object(j, path, {"margin", "mean", "ci90", "p", "p_holm", "n", "equivalent"});
  EquivalenceSummary e;
  e.margin = number(j.at("margin"), at(path, "margin"));
  e.mean = number_from(j.at("mean"), at(path, "mean"));
  interval_from(j.at("ci90"), at(path, "ci90"), e.ci_lo, e.ci_hi);
  e.p = number_from(j.at("p"), at(path, "p"));
  e.p_holm = number_from(j.at("p_holm"), at(path, "p_holm"));
  e.n = count(j.at("n"), at(path, "n"));
  e.equivalent = boolean(j.at("equivalent"), at(path, "equivalent"));
  return e;
}

}  // namespace

void inference_json(const ClinicalSummary& c, json& doc) {
  doc["logrank"] = logrank_json(c.logrank);
  doc["logrank_stratified"] = logrank_json(c.logrank_stratified);
  for (const auto& [a, bs] : c.paired_cycles)
    for (const auto& [b, cycles] : bs) doc["paired"][a][b][kCycleAccuracy] = cycles_json(cycles);
  json cox = json::object(), logistic = json::object(), equivalence = json::object();
  for (const auto& [arm, r] : c.cox) cox[arm] = regression_json(r, kHazardRatio);
  for (const auto& [arm, r] : c.logistic) logistic[arm] = regression_json(r, kOddsRatio);
  for (const auto& [a, bs] : c.equivalence)
    for (const auto& [b, ms] : bs)
      for (const auto& [m, e] : ms) equivalence[a][b][m] = equivalence_json(e);
  doc["cox"] = cox;
  doc["logistic"] = logistic;
  doc["equivalence"] = equivalence;
}

void inference_from(const json& doc, ClinicalSummary& c) {
  c.logrank = logrank_from(doc.at("logrank"), "logrank");
  c.logrank_stratified = logrank_from(doc.at("logrank_stratified"), "logrank_stratified");
  for (const auto& [a, bs] : doc.at("paired").items())  // names checked by clinical_from
    for (const auto& [b, ms] : bs.items())
      if (ms.is_object() && ms.contains(kCycleAccuracy))
        c.paired_cycles[a][b] = cycles_from(ms.at(kCycleAccuracy), "paired." + a + "." + b + "." + kCycleAccuracy);
  for (const auto& [arm, r] : named_object(doc.at("cox"), "cox").items())
    c.cox[arm] = regression_from(r, "cox." + arm, kHazardRatio);
  for (const auto& [arm, r] : named_object(doc.at("logistic"), "logistic").items())
    c.logistic[arm] = regression_from(r, "logistic." + arm, kOddsRatio);
  for (const auto& [a, bs] : named_object(doc.at("equivalence"), "equivalence").items())
    for (const auto& [b, ms] : named_object(bs, "equivalence." + a).items())
      for (const auto& [m, e] : named_object(ms, "equivalence." + a + "." + b).items())
        c.equivalence[a][b][m] = equivalence_from(e, "equivalence." + a + "." + b + "." + m);
}

namespace {

using PairSet = std::set<std::pair<std::string, std::string>>;

// The pairs (A, B) of a section: exactly `want`.
template <class T>
std::string pairs_mismatch(const PairMap<T>& m, const PairSet& want, const std::string& section) {
  PairSet have;
  for (const auto& [a, bs] : m)
    for (const auto& kv : bs) have.insert({a, kv.first});
  if (have == want) return "";
  return section + " does not hold exactly one entry per pair of arms" +
         (section == "equivalence" ? "" : " with follow-up") + ", in configuration order";
}

std::string regression_mismatch(const std::map<std::string, RegressionSummary>& models, const std::set<std::string>& arms,
                                const std::vector<std::string>& terms, std::size_t seeds, const std::string& section) {
  if (models.size() != arms.size() || !unknown_arm(models, arms, section).empty())
    return section + " does not hold exactly the arms with follow-up";
  for (const auto& [arm, r] : models)
    if ((!r.terms.empty() && r.terms != terms) || r.n > seeds || r.events > r.n)
      return section + "." + arm + " is not a fit of this run's covariates and seeds";
  return "";
}

std::string equivalence_mismatch(const ClinicalSummary& c, const std::set<std::string>& follow, std::size_t seeds) {
  for (const auto& [a, bs] : c.equivalence)
    for (const auto& [b, ms] : bs) {
      std::set<std::string> want(equivalence_metrics().begin(), equivalence_metrics().end());
      if (!follow.count(a) || !follow.count(b)) want.erase(kFinalAccuracy);
      std::set<std::string> have;
      for (const auto& [m, e] : ms) {
        have.insert(m);
        if (e.margin != kEquivalenceMargin || e.n > seeds || e.equivalent != (e.p < 0.05))
          return "equivalence." + a + "." + b + "." + m + " is not an equivalence test of this run";
      }
      if (have != want) return "equivalence." + a + "." + b + " does not hold exactly its metrics";
    }
  return "";
}

bool same(double x, double y) { return x == y || (std::isnan(x) && std::isnan(y)); }

}  // namespace

std::string inference_mismatch(const ClinicalSummary& c, const rewire::protocol::StudySpec& spec, std::size_t seeds) {
  std::set<std::string> follow;
  PairSet all_pairs, follow_pairs;
  for (std::size_t a = 0; a < spec.arms.size(); ++a) {
    if (spec.arms[a].follow_up) follow.insert(spec.arms[a].name);
    for (std::size_t b = a + 1; b < spec.arms.size(); ++b) {
      all_pairs.insert({spec.arms[a].name, spec.arms[b].name});
      if (spec.arms[a].follow_up && spec.arms[b].follow_up) follow_pairs.insert({spec.arms[a].name, spec.arms[b].name});
    }
  }
  const std::vector<std::string> terms = regression_covariates(spec);
  std::vector<std::string> logistic_terms{"(intercept)"};
  logistic_terms.insert(logistic_terms.end(), terms.begin(), terms.end());
  for (const auto& why : {pairs_mismatch(c.logrank, follow_pairs, "logrank"),
                          pairs_mismatch(c.logrank_stratified, follow_pairs, "logrank_stratified"),
                          pairs_mismatch(c.paired_cycles, follow_pairs, "paired.<A>.<B>.cycle_accuracy"),
                          pairs_mismatch(c.equivalence, all_pairs, "equivalence"),
                          regression_mismatch(c.cox, follow, terms, seeds, "cox"),
                          regression_mismatch(c.logistic, follow, logistic_terms, seeds, "logistic"),
                          equivalence_mismatch(c, follow, seeds)})
    if (!why.empty()) return why;
  for (const auto& [a, bs] : c.paired_cycles)
    for (const auto& [b, cycles] : bs) {
      const std::string path = "paired." + a + "." + b + ".";
      if (cycles.size() != std::size_t(spec.longitudinal.cycles) + 1)
        return path + kCycleAccuracy + " does not hold one entry per cycle 0-" + std::to_string(spec.longitudinal.cycles);
      const PairedSummary* last = nullptr;
      if (const auto pa = c.paired.find(a); pa != c.paired.end())
        if (const auto pb = pa->second.find(b); pb != pa->second.end())
          if (const auto f = pb->second.find(kFinalAccuracy); f != pb->second.end()) last = &f->second;
      if (!last || !same(last->mean, cycles.back().mean) || last->n != cycles.back().n)
        return path + kFinalAccuracy + " is not the last cycle of " + path + kCycleAccuracy;
    }
  // p_holm must be Holm's adjustment of the p-values the summary holds.
  ClinicalSummary adjusted = c, as_read = c;
  adjust_holm(adjusted);
  const auto want = holm_family(adjusted);
  const auto have = holm_family(as_read);
  for (std::size_t i = 0; i < want.size(); ++i)
    if (!same(*want[i].second, *have[i].second)) return "a p_holm is not Holm's adjustment of the run's p-values";
  return "";
}

}  // namespace chronic_stress::detail
