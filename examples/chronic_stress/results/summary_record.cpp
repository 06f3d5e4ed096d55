// results/summary_record.cpp - summary.json: JSON both ways and the check of a
// summary against its configuration.
#include "results/inference.hpp"
#include "results/json_read.hpp"
#include "results/model.hpp"

#include <rewire/protocol/circuit.hpp>

#include <algorithm>
#include <cmath>
#include <set>

namespace chronic_stress {

using nlohmann::json;
using namespace detail;
using rewire::protocol::StudySpec;

namespace {

constexpr const char* kStatKeys[] = {"mean", "sd", "min", "max"};

json stat_json(const Stat& s) {
  if (s.n == 0)
    return {{"mean", nullptr}, {"sd", nullptr}, {"min", nullptr}, {"max", nullptr}, {"n", 0}, {"ci95", nullptr}};
  return {{"mean", s.mean}, {"sd", s.sd}, {"min", s.min}, {"max", s.max}, {"n", s.n},
          {"ci95", interval_json(s.ci_lo, s.ci_hi)}};
}

// Per-cycle statistics as parallel lists: {"mean": [...], "sd": [...], ...}.
json cycle_stats_json(const std::vector<Stat>& cycles) {
  json out = json::object();
  for (const char* k : {"mean", "sd", "min", "max", "n", "ci95"}) out[k] = json::array();
  for (const Stat& s : cycles) {
    const json one = stat_json(s);
    for (const char* k : {"mean", "sd", "min", "max", "n", "ci95"}) out[k].push_back(one[k]);
  }
  return out;
}

// n = 0 with every value null, or n > 0 with every value a number (the
// interval too: a summary holds one beside every mean).
Stat stat_of(const json& mean, const json& sd, const json& min, const json& max, const json& n, const json& ci95,
             const std::string& path) {
  Stat s;
  s.n = count(n, at(path, "n"));
  const json* in[] = {&mean, &sd, &min, &max};
  double* out[] = {&s.mean, &s.sd, &s.min, &s.max};
  for (std::size_t i = 0; i < 4; ++i) {
    if (s.n == 0 && !in[i]->is_null()) bad(at(path, kStatKeys[i]), "is not null although n = 0");
    if (s.n > 0) *out[i] = number(*in[i], at(path, kStatKeys[i]));
  }
  if (s.n == 0 && !ci95.is_null()) bad(at(path, "ci95"), "is not null although n = 0");
  if (s.n > 0 && ci95.is_null()) bad(at(path, "ci95"), "is null although n > 0");
  interval_from(ci95, at(path, "ci95"), s.ci_lo, s.ci_hi);
  return s;
}

Stat stat_from(const json& j, const std::string& path) {
  object(j, path, {"mean", "sd", "min", "max", "n", "ci95"});
  return stat_of(j.at("mean"), j.at("sd"), j.at("min"), j.at("max"), j.at("n"), j.at("ci95"), path);
}

std::vector<Stat> cycle_stats_from(const json& j, const std::string& path) {
  object(j, path, {"mean", "sd", "min", "max", "n", "ci95"});
  const std::size_t size = array(j.at("mean"), at(path, "mean")).size();
  for (const char* k : {"sd", "min", "max", "n", "ci95"})
    if (array(j.at(k), at(path, k)).size() != size) bad(at(path, k), "is not as long as " + at(path, "mean"));
  std::vector<Stat> out;
  for (std::size_t c = 0; c < size; ++c)
    out.push_back(
        stat_of(j["mean"][c], j["sd"][c], j["min"][c], j["max"][c], j["n"][c], j["ci95"][c], at(path, c)));
  return out;
}

json cycle_summary_json(const CycleSummary& L) {
  json cycles = json::array();
  for (const auto& rc : L.relapse_cycles) cycles.push_back(rc ? json(*rc) : json(nullptr));
  return {{"threshold", L.threshold},
          {"accuracy", cycle_stats_json(L.accuracy)},
          {"sparsity", cycle_stats_json(L.sparsity)},
          {"total_drop", stat_json(L.total_drop)},
          {"relapse_cycles", cycles},
          {"relapsed", L.relapsed},
          {"relapse_cycle", stat_json(L.relapse_cycle)}};
}

CycleSummary cycle_summary_from(const json& j, const std::string& path) {
  object(j, path, {"threshold", "accuracy", "sparsity", "total_drop", "relapse_cycles", "relapsed", "relapse_cycle"});
  CycleSummary L;
  L.threshold = number(j.at("threshold"), at(path, "threshold"));
  L.accuracy = cycle_stats_from(j.at("accuracy"), at(path, "accuracy"));
  L.sparsity = cycle_stats_from(j.at("sparsity"), at(path, "sparsity"));
  L.total_drop = stat_from(j.at("total_drop"), at(path, "total_drop"));
  const std::string rpath = at(path, "relapse_cycles");
  for (std::size_t i = 0; i < array(j.at("relapse_cycles"), rpath).size(); ++i) {
    const json& rc = j["relapse_cycles"][i];
    L.relapse_cycles.push_back(rc.is_null() ? std::nullopt : std::optional<int>(int(count(rc, at(rpath, i)))));
  }
  L.relapsed = count(j.at("relapsed"), at(path, "relapsed"));
  L.relapse_cycle = stat_from(j.at("relapse_cycle"), at(path, "relapse_cycle"));
  return L;
}

// ---- the clinical sections: outcomes, survival, paired, dose (the tests and
// models: inference_record.cpp) -------------------------------------------------

json clinical_json(const ClinicalSummary& c, json& doc) {
  json outcomes = json::object(), survival = json::object(), paired = json::object(), dose = json::object();
  for (const auto& [arm, o] : c.outcomes)
    outcomes[arm] = {{"responders", o.responders}, {"non_responders", o.non_responders}, {"relapsed", o.relapsed},
                     {"sustained", o.sustained},   {"first_crossing", o.first_crossing}, {"excluded", o.excluded}};
  for (const auto& [arm, k] : c.survival) {
    json estimate = json::array();
    for (double e : k.estimate) estimate.push_back(number_or_null(e));
    survival[arm] = {{"cycle", k.cycle},       {"at_risk", k.at_risk}, {"events", k.events},
                     {"censored", k.censored}, {"estimate", estimate}};
  }
  for (const auto& [a, bs] : c.paired)
    for (const auto& [b, ms] : bs)
      for (const auto& [m, d] : ms)
        paired[a][b][m] = {{"mean", number_or_null(d.mean)}, {"ci95", interval_json(d.ci_lo, d.ci_hi)}, {"n", d.n}};
  for (const auto& [arm, entries] : c.dose)
    for (const auto& [k, st] : entries) dose[arm][k] = stat_json(st);
  doc["outcomes"] = outcomes;
  doc["survival"] = survival;
  doc["paired"] = paired;
  doc["dose"] = dose;
  return doc;
}

std::vector<std::size_t> counts_from(const json& j, const std::string& path) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < array(j, path).size(); ++i) out.push_back(count(j[i], at(path, i)));
  return out;
}

SurvivalSummary survival_from(const json& j, const std::string& path) {
  object(j, path, {"cycle", "at_risk", "events", "censored", "estimate"});
  SurvivalSummary k;
  for (std::size_t c : counts_from(j.at("cycle"), at(path, "cycle"))) k.cycle.push_back(int(std::min<std::size_t>(c, 1 << 30)));
  k.at_risk = counts_from(j.at("at_risk"), at(path, "at_risk"));
  k.events = counts_from(j.at("events"), at(path, "events"));
  k.censored = counts_from(j.at("censored"), at(path, "censored"));
  for (std::size_t i = 0; i < array(j.at("estimate"), at(path, "estimate")).size(); ++i)
    k.estimate.push_back(number_from(j["estimate"][i], at(at(path, "estimate"), i)));
  const std::size_t n = k.cycle.size();
  if (k.at_risk.size() != n || k.events.size() != n || k.censored.size() != n || k.estimate.size() != n)
    bad(path, "holds lists of different lengths");
  return k;
}

ClinicalSummary clinical_from(const json& doc) {
  ClinicalSummary c;
  for (const auto& [arm, o] : named_object(doc.at("outcomes"), "outcomes").items()) {
    const std::string path = "outcomes." + arm;
    object(o, path, {"responders", "non_responders", "relapsed", "sustained", "first_crossing", "excluded"});
    OutcomeSummary& x = c.outcomes[arm];
    std::size_t* out[] = {&x.responders, &x.non_responders, &x.relapsed, &x.sustained, &x.first_crossing, &x.excluded};
    const char* keys[] = {"responders", "non_responders", "relapsed", "sustained", "first_crossing", "excluded"};
    for (std::size_t i = 0; i < 6; ++i) *out[i] = count(o.at(keys[i]), at(path, keys[i]));
  }
  for (const auto& [arm, k] : named_object(doc.at("survival"), "survival").items())
    c.survival[arm] = survival_from(k, "survival." + arm);
  for (const auto& [a, bs] : named_object(doc.at("paired"), "paired").items())
    for (const auto& [b, ms] : named_object(bs, "paired." + a).items())
      for (const auto& [m, d] : named_object(ms, "paired." + a + "." + b).items()) {
        if (m == kCycleAccuracy) continue;  // lists per cycle: inference_from
        const std::string path = "paired." + a + "." + b + "." + m;
        object(d, path, {"mean", "ci95", "n"});
        PairedSummary& x = c.paired[a][b][m];
        x.mean = number_from(d.at("mean"), at(path, "mean"));
        x.n = count(d.at("n"), at(path, "n"));
        interval_from(d.at("ci95"), at(path, "ci95"), x.ci_lo, x.ci_hi);
      }
  for (const auto& [arm, entries] : named_object(doc.at("dose"), "dose").items())
    for (const auto& [k, st] : named_object(entries, "dose." + arm).items())
      c.dose[arm][k] = stat_from(st, "dose." + arm + "." + k);
  return c;
}

std::vector<std::uint64_t> seed_list(const json& j, const std::string& path) {
  std::vector<std::uint64_t> out;
  for (std::size_t i = 0; i < array(j, path).size(); ++i) out.push_back(count(j[i], at(path, i)));
  return out;
}

}  // namespace

json to_json(const Summary& s) {
  json baseline = json::object(), arms = json::object(), longitudinal = json::object(), diverged = json::object();
  for (const auto& [m, stat] : s.baseline) baseline[m] = stat_json(stat);
  for (const auto& [arm, metrics] : s.arms) {
    json& a = arms[arm] = json::object();
    for (const auto& [m, stat] : metrics) a[m] = stat_json(stat);
  }
  for (const auto& [arm, L] : s.longitudinal) longitudinal[arm] = cycle_summary_json(L);
  for (const auto& [arm, seeds] : s.diverged) diverged[arm] = seeds;
  json doc = {{"schema", kSummarySchema},   {"library_version", s.library_version}, {"config_hash", s.config_hash},
              {"config", s.config},         {"epoch_scale", s.epoch_scale},         {"seeds", s.seeds},
              {"threads", s.threads},       {"wall_seconds", s.wall_seconds},       {"baseline", baseline},
              {"arms", arms},               {"longitudinal", longitudinal},         {"diverged", diverged}};
  clinical_json(s.clinical, doc);
  inference_json(s.clinical, doc);
  return doc;
}

Summary summary_from_json(const json& doc) {
  if (!doc.is_object() || doc.value("schema", json()) != kSummarySchema)
    bad("schema", "is " + (doc.is_object() ? doc.value("schema", json()).dump() : "missing") + ", expected \"" +
                      kSummarySchema + "\"");
  object(doc, "", {"schema", "library_version", "config_hash", "config", "epoch_scale", "seeds", "threads",
                   "wall_seconds", "baseline", "arms", "longitudinal", "diverged", "outcomes", "survival", "logrank",
                   "logrank_stratified", "paired", "dose", "cox", "logistic", "equivalence"});
  Summary s;
  s.library_version = string(doc.at("library_version"), "library_version");
  s.config_hash = string(doc.at("config_hash"), "config_hash");
  if (!doc.at("config").is_object()) bad("config", "is not an object");
  s.config = doc.at("config");
  s.epoch_scale = number(doc.at("epoch_scale"), "epoch_scale");
  s.seeds = seed_list(doc.at("seeds"), "seeds");
  s.threads = unsigned(count(doc.at("threads"), "threads"));
  s.wall_seconds = number(doc.at("wall_seconds"), "wall_seconds");
  for (const auto& [m, stat] : named_object(doc.at("baseline"), "baseline").items())
    s.baseline[m] = stat_from(stat, "baseline." + m);
  for (const auto& [arm, metrics] : named_object(doc.at("arms"), "arms").items())
    for (const auto& [m, stat] : named_object(metrics, "arms." + arm).items())
      s.arms[arm][m] = stat_from(stat, "arms." + arm + "." + m);
  for (const auto& [arm, L] : named_object(doc.at("longitudinal"), "longitudinal").items())
    s.longitudinal[arm] = cycle_summary_from(L, "longitudinal." + arm);
  for (const auto& [arm, seeds] : named_object(doc.at("diverged"), "diverged").items())
    s.diverged[arm] = seed_list(seeds, "diverged." + arm);
  s.clinical = clinical_from(doc);
  inference_from(doc, s.clinical);
  return s;
}

namespace {

std::string cycles_mismatch(const CycleSummary& L, const StudySpec& spec, std::size_t seeds, const std::string& path) {
  const std::size_t points = std::size_t(spec.longitudinal.cycles) + 1;
  if (L.accuracy.size() != points || L.sparsity.size() != points)
    return path + ".accuracy/.sparsity do not hold one entry per cycle 0-" + std::to_string(spec.longitudinal.cycles);
  if (L.relapse_cycles.size() != seeds) return path + ".relapse_cycles does not hold one entry per seed";
  std::size_t relapsed = 0;
  for (const auto& rc : L.relapse_cycles) {
    if (rc && *rc > spec.longitudinal.cycles) return path + ".relapse_cycles holds " + std::to_string(*rc);
    relapsed += rc.has_value();
  }
  if (L.relapsed != relapsed) return path + ".relapsed is not the number of relapse cycles";
  if (L.threshold != spec.longitudinal.threshold) return path + ".threshold is not the configuration's";
  return "";
}

std::string clinical_mismatch(const ClinicalSummary& c, const StudySpec& spec, std::size_t seeds) {
  std::set<std::string> all, follow;
  for (const auto& arm : spec.arms) {
    all.insert(arm.name);
    if (arm.follow_up) follow.insert(arm.name);
  }
  for (const auto& why : {unknown_arm(c.outcomes, follow, "outcomes"), unknown_arm(c.survival, follow, "survival"),
                          unknown_arm(c.paired, all, "paired"), unknown_arm(c.dose, all, "dose")})
    if (!why.empty()) return why;
  for (const auto& [a, bs] : c.paired) {
    if (auto why = unknown_arm(bs, all, "paired." + a); !why.empty()) return why;
    for (const auto& [b, ms] : bs)
      for (const auto& [m, d] : ms) {
        const bool known = m == kFinalAccuracy || std::find(paired_metrics().begin(), paired_metrics().end(), m) !=
                                                      paired_metrics().end();
        if (!known || d.n > seeds) return "paired." + a + "." + b + "." + m + " is not a paired difference of this run";
      }
  }
  for (const auto& arm : spec.arms) {
    const auto d = c.dose.find(arm.name);
    if (d == c.dose.end() || !d->second.count("gain") || !d->second.count("efficacy"))
      return "dose." + arm.name + " is missing or incomplete";
    for (const auto& [k, st] : d->second)
      if (std::find(dose_entries().begin(), dose_entries().end(), k) == dose_entries().end())
        return "dose." + arm.name + "." + k + " is not a dose entry";
    if (!arm.follow_up) continue;
    const auto o = c.outcomes.find(arm.name);
    const auto k = c.survival.find(arm.name);
    if (o == c.outcomes.end() || k == c.survival.end()) return "outcomes or survival lacks " + arm.name;
    const OutcomeSummary& x = o->second;
    if (x.responders + x.non_responders + x.excluded != seeds || x.relapsed + x.sustained != x.responders ||
        x.first_crossing > seeds)
      return "outcomes." + arm.name + " does not add up to the run's seeds";
    if (k->second.cycle.size() != std::size_t(spec.longitudinal.cycles))
      return "survival." + arm.name + " does not hold one entry per cycle 1-" +
             std::to_string(spec.longitudinal.cycles);
    for (std::size_t i = 0; i < k->second.cycle.size(); ++i)
      if (k->second.cycle[i] != int(i) + 1) return "survival." + arm.name + ".cycle is not 1, 2, ...";
  }
  return inference_mismatch(c, spec, seeds);
}

}  // namespace

std::string summary_mismatch(const Summary& s, const StudySpec& spec) {
  if (s.seeds.empty()) return "seeds is empty";
  if (!(s.epoch_scale > 0) || s.threads < 1) return "epoch_scale or threads is not positive";
  const std::vector<std::string> measures = rewire::protocol::baseline_measure_names(spec);
  if (s.baseline.size() != measures.size() ||
      !std::all_of(measures.begin(), measures.end(), [&](const std::string& m) { return s.baseline.count(m) > 0; }))
    return "baseline does not hold exactly the baseline measures of this network";
  std::set<std::string> names;
  for (const auto& arm : spec.arms) names.insert(arm.name);
  for (const auto& [arm, m] : s.arms)
    if (!names.count(arm)) return "arms." + arm + " is not an arm of the configuration";
  for (const auto& [arm, seeds] : s.diverged)
    if (!names.count(arm)) return "diverged." + arm + " is not an arm of the configuration";
  for (const auto& [arm, L] : s.longitudinal)
    if (!names.count(arm)) return "longitudinal." + arm + " is not an arm of the configuration";
  for (const auto& arm : spec.arms) {
    const auto a = s.arms.find(arm.name);
    if (a == s.arms.end() || !s.diverged.count(arm.name)) return "arms or diverged lacks " + arm.name;
    for (const auto& m : rewire::protocol::arm_metric_names(spec, arm))
      if (!a->second.count(m)) return "arms." + arm.name + "." + m + " is missing";
    if (a->second.size() != rewire::protocol::arm_metric_names(spec, arm).size()) return "arms." + arm.name + " has unknown metrics";
    const auto L = s.longitudinal.find(arm.name);
    if ((L != s.longitudinal.end()) != arm.follow_up)
      return "longitudinal." + arm.name + (arm.follow_up ? " is missing" : " exists, but the arm has no follow-up");
    if (L == s.longitudinal.end()) continue;
    if (auto why = cycles_mismatch(L->second, spec, s.seeds.size(), "longitudinal." + arm.name); !why.empty())
      return why;
  }
  return clinical_mismatch(s.clinical, spec, s.seeds.size());
}

}  // namespace chronic_stress
