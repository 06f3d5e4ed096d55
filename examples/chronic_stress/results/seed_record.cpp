// results/seed_record.cpp - seed files: records of computed seeds, JSON both ways,
// and the check of a record against the configuration (resume, report).
#include "config/config.hpp"
#include "results/json_read.hpp"
#include "results/model.hpp"

#include <rewire/protocol/circuit.hpp>
#include <rewire/protocol/metric_keys.hpp>
#include <rewire/version.hpp>

#include <algorithm>
#include <cmath>

namespace chronic_stress {

using nlohmann::json;
using namespace detail;
using rewire::protocol::ArmResult;
using rewire::protocol::ArmSpec;
using rewire::protocol::StudySpec;
namespace metric = rewire::protocol::metric;

bool is_valid_name(const std::string& name) {
  return !name.empty() && name.size() <= 80 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == '-';
  });
}

namespace {

Value finite_or_null(double v) { return std::isfinite(v) ? Value(v) : std::nullopt; }

std::vector<Value> values(const std::vector<double>& xs) {
  std::vector<Value> out;
  for (double x : xs) out.push_back(finite_or_null(x));
  return out;
}

json series_json(const std::vector<Value>& xs) {
  json out = json::array();
  for (const auto& x : xs) out.push_back(value_json(x));
  return out;
}

std::vector<Value> series_from(const json& j, const std::string& path) {
  std::vector<Value> out;
  for (std::size_t i = 0; i < array(j, path).size(); ++i) out.push_back(value(j[i], at(path, i)));
  return out;
}

ArmRecord arm_from(const json& j, const std::string& path) {
  object(j, path, {"diverged", "metrics", "longitudinal"});
  ArmRecord a;
  a.diverged = boolean(j.at("diverged"), at(path, "diverged"));
  const std::string mpath = at(path, "metrics");
  for (const auto& [name, v] : named_object(j.at("metrics"), mpath).items())
    a.metrics[name] = value(v, at(mpath, name));
  const json& L = j.at("longitudinal");
  if (L.is_null()) return a;
  const std::string lpath = at(path, "longitudinal");
  const bool doses = L.is_object() && L.contains("doses_taken");  // arms with an adherence below 1 only
  if (doses) object(L, lpath, {"sparsity", "accuracy", "relapse_cycle", "doses_taken"});
  else object(L, lpath, {"sparsity", "accuracy", "relapse_cycle"});
  CycleSeries c;
  if (doses) {
    const std::string dpath = at(lpath, "doses_taken");
    for (std::size_t i = 0; i < array(L.at("doses_taken"), dpath).size(); ++i) {
      const std::uint64_t n = count(L.at("doses_taken")[i], at(dpath, i));
      if (n > 100000) bad(at(dpath, i), "is " + std::to_string(n) + ", not a count of doses");
      c.doses_taken.push_back(int(n));
    }
  }
  c.sparsity = series_from(L.at("sparsity"), at(lpath, "sparsity"));
  c.accuracy = series_from(L.at("accuracy"), at(lpath, "accuracy"));
  const json& rc = L.at("relapse_cycle");
  if (!rc.is_null()) {
    const std::uint64_t cycle = count(rc, at(lpath, "relapse_cycle"));
    if (cycle > 100000) bad(at(lpath, "relapse_cycle"), "is " + rc.dump() + ", not a cycle");
    c.relapse_cycle = int(cycle);
  }
  a.longitudinal = std::move(c);
  return a;
}

// The baseline object: exactly the measures of a network of `widths`; a
// null only where the baseline diverged, which every arm then reports.
std::string baseline_mismatch(const SeedRecord& r, const StudySpec& spec) {
  const std::vector<std::string> want = rewire::protocol::baseline_measure_names(spec);
  for (const auto& m : want)
    if (!r.baseline.count(m)) return "baseline." + m + " is missing";
  const bool all_diverged =
      std::all_of(r.arms.begin(), r.arms.end(), [](const auto& kv) { return kv.second.diverged; });
  for (const auto& [name, v] : r.baseline) {
    if (std::find(want.begin(), want.end(), name) == want.end())
      return "baseline." + name + " is not a baseline measure of this network";
    if (!v && !all_diverged) return "baseline." + name + " is null but the arms did not all diverge";
  }
  return "";
}

std::string series_mismatch(const std::vector<Value>& xs, bool diverged, int cycles, const std::string& path) {
  if (xs.size() != std::size_t(cycles) + 1)
    return path + " has " + std::to_string(xs.size()) + " values, expected " + std::to_string(cycles + 1) +
           ", one per cycle 0-" + std::to_string(cycles);
  for (std::size_t c = 0; c < xs.size(); ++c)
    if (!xs[c] && !diverged) return at(path, c) + " is null but the arm did not diverge";
  return "";
}

std::string arm_mismatch(const ArmRecord& a, const StudySpec& spec, const ArmSpec& arm) {
  const std::string path = "arms." + arm.name;
  const std::vector<std::string> want = arm_metric_names(spec, arm);
  for (const auto& m : want)
    if (!a.metrics.count(m)) return path + ".metrics." + m + " is missing";
  for (const auto& [name, v] : a.metrics) {
    if (std::find(want.begin(), want.end(), name) == want.end())
      return path + ".metrics." + name + " is not a metric of this arm";
    if (!v && !a.diverged) return path + ".metrics." + name + " is null but the arm did not diverge";
  }
  if (!arm.follow_up)
    return a.longitudinal ? path + ".longitudinal is not null, but the arm has no follow-up" : "";
  if (!a.longitudinal) return path + ".longitudinal is null, but the arm has follow-up cycles";
  const int C = spec.longitudinal.cycles;
  for (const auto& [key, xs] : {std::pair{"sparsity", &a.longitudinal->sparsity},
                                std::pair{"accuracy", &a.longitudinal->accuracy}})
    if (auto why = series_mismatch(*xs, a.diverged, C, path + ".longitudinal." + key); !why.empty()) return why;
  if (const auto& rc = a.longitudinal->relapse_cycle; rc && *rc > C)
    return path + ".longitudinal.relapse_cycle is " + std::to_string(*rc) + ", expected null or a cycle 0-" +
           std::to_string(C);
  return "";
}

// The doses an arm with partial adherence took are a function of the seed
// (rewire::protocol::doses_taken): the record must hold exactly those.
std::string doses_mismatch(const ArmRecord& a, const StudySpec& spec, std::size_t arm_index, std::uint64_t seed) {
  const ArmSpec& arm = spec.arms[arm_index];
  if (!a.longitudinal) return "";
  const std::string path = "arms." + arm.name + ".longitudinal.doses_taken";
  const std::vector<int>& got = a.longitudinal->doses_taken;
  if (!rewire::protocol::has_partial_adherence(arm.maintenance))
    return got.empty() ? "" : path + " is present, but every maintenance block of the arm has adherence 1";
  if (got.empty()) return path + " is missing, but a maintenance block of the arm has an adherence below 1";
  const std::vector<int> want = rewire::protocol::doses_per_cycle(arm.maintenance, seed, arm_index, spec.longitudinal.cycles);
  if (got.size() != want.size())
    return path + " has " + std::to_string(got.size()) + " values, expected " + std::to_string(want.size()) +
           ", one per cycle 0-" + std::to_string(spec.longitudinal.cycles);
  for (std::size_t c = 0; c < want.size(); ++c)
    if (got[c] != want[c])
      return at(path, c) + " is " + std::to_string(got[c]) + ", but the seed's adherence draws give " +
             std::to_string(want[c]);
  return "";
}

}  // namespace

SeedRecord seed_record(std::uint64_t seed, const std::string& config_hash, double seconds,
                       const rewire::protocol::Metrics& baseline, const std::map<std::string, double>& cohort,
                       const std::vector<ArmResult>& arms) {
  SeedRecord r{seed, config_hash, rewire::version, std::round(seconds * 1000.0) / 1000.0, {}, cohort, {}};
  for (const auto& [name, v] : baseline) r.baseline[name] = finite_or_null(v);
  for (const auto& result : arms) {
    ArmRecord& a = r.arms[result.arm];
    a.diverged = result.diverged;
    for (const auto& [name, v] : result.metrics) a.metrics[name] = finite_or_null(v);
    if (result.cycle_accuracy.empty()) continue;  // no follow-up
    a.longitudinal = CycleSeries{values(result.cycle_sparsity), values(result.cycle_accuracy), result.relapse_cycle,
                                 result.doses_taken};
  }
  return r;
}

json to_json(const SeedRecord& r) {
  json baseline = json::object();
  for (const auto& [m, v] : r.baseline) baseline[m] = value_json(v);
  json cohort = json::object();  // only a cohort's seeds have one
  for (const auto& [k, v] : r.cohort) cohort[k] = v;
  json arms = json::object();
  for (const auto& [name, a] : r.arms) {
    json metrics = json::object();
    for (const auto& [m, v] : a.metrics) metrics[m] = value_json(v);
    json L = nullptr;
    if (a.longitudinal) {
      const auto& rc = a.longitudinal->relapse_cycle;
      L = {{"sparsity", series_json(a.longitudinal->sparsity)},
           {"accuracy", series_json(a.longitudinal->accuracy)},
           {"relapse_cycle", rc ? json(*rc) : json(nullptr)}};
      if (!a.longitudinal->doses_taken.empty()) L["doses_taken"] = a.longitudinal->doses_taken;
    }
    arms[name] = {{"diverged", a.diverged}, {"metrics", metrics}, {"longitudinal", L}};
  }
  json doc = {{"schema", kSeedSchema},       {"seed", r.seed},       {"config_hash", r.config_hash},
              {"library_version", r.library_version}, {"seconds", r.seconds}, {"baseline", baseline},
              {"arms", arms}};
  if (!cohort.empty()) doc["cohort"] = cohort;
  doc["checksum"] = seed_checksum(doc);
  return doc;
}

std::string seed_checksum(const json& doc) {
  json body = doc;
  body.erase("checksum");
  // Compact, keys sorted (nlohmann's object is a std::map), numbers in their
  // shortest round-trip form: the same record always gives the same text.
  return "fnv1a64:" + fnv1a64_hex(body.dump());
}

SeedRecord seed_from_json(const json& doc) {
  // The schema first: a file of another kind should be named as such.
  if (!doc.is_object() || doc.value("schema", json()) != kSeedSchema)
    bad("schema", "is " + (doc.is_object() ? doc.value("schema", json()).dump() : "missing") + ", expected \"" +
                      kSeedSchema + "\"");
  json fields = doc;  // the checksum is optional and checked by seed_file_mismatch
  fields.erase("checksum");
  const bool has_cohort = fields.contains("cohort");  // optional: a cohort's seeds only
  const json cohort = has_cohort ? fields["cohort"] : json::object();
  fields.erase("cohort");
  object(fields, "", {"schema", "seed", "config_hash", "library_version", "seconds", "baseline", "arms"});
  SeedRecord r;
  r.seed = count(doc.at("seed"), "seed");
  r.config_hash = string(doc.at("config_hash"), "config_hash");
  r.library_version = string(doc.at("library_version"), "library_version");
  r.seconds = number(doc.at("seconds"), "seconds");
  if (!(r.seconds >= 0)) bad("seconds", "is negative");
  if (has_cohort && (!cohort.is_object() || cohort.empty()))
    bad("cohort", "is not an object of cohort keys and their values");
  for (const auto& [key, v] : cohort.items()) r.cohort[key] = number(v, "cohort." + shown(key));
  for (const auto& [name, v] : named_object(doc.at("baseline"), "baseline").items())
    r.baseline[name] = value(v, "baseline." + name);
  for (const auto& [name, a] : named_object(doc.at("arms"), "arms").items()) r.arms[name] = arm_from(a, "arms." + name);
  return r;
}


std::string checksum_mismatch(const json& doc) {
  // Files written before seed files had a checksum (and hand-written test
  // files) have none: the full validation of the record still applies.
  if (!doc.is_object() || !doc.contains("checksum")) return "";
  const json& c = doc.at("checksum");
  if (!c.is_string() || c.get<std::string>() != seed_checksum(doc))
    return "checksum does not match the record: the file was changed or damaged";
  return "";
}

std::string seed_mismatch(const SeedRecord& r, std::uint64_t seed, const std::string& config_hash,
                          const std::string& library_version, const StudySpec& spec) {
  if (r.seed != seed) return "it holds seed " + std::to_string(r.seed);
  if (r.config_hash != config_hash)
    return "it was computed with config " + shown(r.config_hash) + ", this run's is " + config_hash;
  if (r.library_version != library_version)
    return "it was computed by rewire " + shown(r.library_version) + ", this is rewire " + library_version;
  for (const auto& entry : r.arms) {
    const std::string& name = entry.first;  // not a structured binding: clang 14 cannot capture one
    if (std::none_of(spec.arms.begin(), spec.arms.end(), [&](const ArmSpec& arm) { return arm.name == name; }))
      return "arms." + name + " is not an arm of this configuration";
  }
  for (std::size_t i = 0; i < spec.arms.size(); ++i) {
    const ArmSpec& arm = spec.arms[i];
    const auto it = r.arms.find(arm.name);
    if (it == r.arms.end()) return "arms." + arm.name + " is missing";
    if (auto why = arm_mismatch(it->second, spec, arm); !why.empty()) return why;
    if (auto why = doses_mismatch(it->second, spec, i, seed); !why.empty()) return why;
  }
  if (r.cohort.size() != spec.cohort.size() ||
      !std::all_of(spec.cohort.begin(), spec.cohort.end(), [&](const auto& c) { return r.cohort.count(c.key) > 0; }))
    return "cohort does not hold exactly the configuration's cohort keys";
  return baseline_mismatch(r, spec);
}

}  // namespace chronic_stress
