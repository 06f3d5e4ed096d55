// summary_record.cpp - summary.json: JSON both ways and the check of a
// summary against its configuration.
#include "json_read.hpp"
#include "results_model.hpp"

#include <algorithm>
#include <set>

namespace chronic_stress {

using nlohmann::json;
using namespace json_read;
using rewire::protocol::StudySpec;

namespace {

constexpr const char* kStatKeys[] = {"mean", "sd", "min", "max"};

json stat_json(const Stat& s) {
  if (s.n == 0) return {{"mean", nullptr}, {"sd", nullptr}, {"min", nullptr}, {"max", nullptr}, {"n", 0}};
  return {{"mean", s.mean}, {"sd", s.sd}, {"min", s.min}, {"max", s.max}, {"n", s.n}};
}

// Per-cycle statistics as parallel lists: {"mean": [...], "sd": [...], ...}.
json cycle_stats_json(const std::vector<Stat>& cycles) {
  json out = json::object();
  for (const char* k : kStatKeys) out[k] = json::array();
  out["n"] = json::array();
  for (const Stat& s : cycles) {
    const json one = stat_json(s);
    for (const char* k : {"mean", "sd", "min", "max", "n"}) out[k].push_back(one[k]);
  }
  return out;
}

// n = 0 with every value null, or n > 0 with every value a number.
Stat stat_of(const json& mean, const json& sd, const json& min, const json& max, const json& n,
             const std::string& path) {
  Stat s;
  s.n = count(n, at(path, "n"));
  const json* in[] = {&mean, &sd, &min, &max};
  double* out[] = {&s.mean, &s.sd, &s.min, &s.max};
  for (std::size_t i = 0; i < 4; ++i) {
    if (s.n == 0 && !in[i]->is_null()) bad(at(path, kStatKeys[i]), "is not null although n = 0");
    if (s.n > 0) *out[i] = number(*in[i], at(path, kStatKeys[i]));
  }
  return s;
}

Stat stat_from(const json& j, const std::string& path) {
  object(j, path, {"mean", "sd", "min", "max", "n"});
  return stat_of(j.at("mean"), j.at("sd"), j.at("min"), j.at("max"), j.at("n"), path);
}

std::vector<Stat> cycle_stats_from(const json& j, const std::string& path) {
  object(j, path, {"mean", "sd", "min", "max", "n"});
  const std::size_t size = array(j.at("mean"), at(path, "mean")).size();
  for (const char* k : {"sd", "min", "max", "n"})
    if (array(j.at(k), at(path, k)).size() != size) bad(at(path, k), "is not as long as " + at(path, "mean"));
  std::vector<Stat> out;
  for (std::size_t c = 0; c < size; ++c)
    out.push_back(stat_of(j["mean"][c], j["sd"][c], j["min"][c], j["max"][c], j["n"][c], at(path, c)));
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

std::vector<std::uint64_t> seed_list(const json& j, const std::string& path) {
  std::vector<std::uint64_t> out;
  for (std::size_t i = 0; i < array(j, path).size(); ++i) out.push_back(count(j[i], at(path, i)));
  return out;
}

}  // namespace

json to_json(const Summary& s) {
  json arms = json::object(), longitudinal = json::object(), diverged = json::object();
  for (const auto& [arm, metrics] : s.arms) {
    json& a = arms[arm] = json::object();
    for (const auto& [m, stat] : metrics) a[m] = stat_json(stat);
  }
  for (const auto& [arm, L] : s.longitudinal) longitudinal[arm] = cycle_summary_json(L);
  for (const auto& [arm, seeds] : s.diverged) diverged[arm] = seeds;
  return {{"schema", kSummarySchema},   {"library_version", s.library_version}, {"config_hash", s.config_hash},
          {"config", s.config},         {"epoch_scale", s.epoch_scale},         {"seeds", s.seeds},
          {"threads", s.threads},       {"wall_seconds", s.wall_seconds},       {"arms", arms},
          {"longitudinal", longitudinal}, {"diverged", diverged}};
}

Summary summary_from_json(const json& doc) {
  if (!doc.is_object() || doc.value("schema", json()) != kSummarySchema)
    bad("schema", "is " + (doc.is_object() ? doc.value("schema", json()).dump() : "missing") + ", expected \"" +
                      kSummarySchema + "\"");
  object(doc, "", {"schema", "library_version", "config_hash", "config", "epoch_scale", "seeds", "threads",
                   "wall_seconds", "arms", "longitudinal", "diverged"});
  Summary s;
  s.library_version = string(doc.at("library_version"), "library_version");
  s.config_hash = string(doc.at("config_hash"), "config_hash");
  if (!doc.at("config").is_object()) bad("config", "is not an object");
  s.config = doc.at("config");
  s.epoch_scale = number(doc.at("epoch_scale"), "epoch_scale");
  s.seeds = seed_list(doc.at("seeds"), "seeds");
  s.threads = unsigned(count(doc.at("threads"), "threads"));
  s.wall_seconds = number(doc.at("wall_seconds"), "wall_seconds");
  for (const auto& [arm, metrics] : named_object(doc.at("arms"), "arms").items())
    for (const auto& [m, stat] : named_object(metrics, "arms." + arm).items())
      s.arms[arm][m] = stat_from(stat, "arms." + arm + "." + m);
  for (const auto& [arm, L] : named_object(doc.at("longitudinal"), "longitudinal").items())
    s.longitudinal[arm] = cycle_summary_from(L, "longitudinal." + arm);
  for (const auto& [arm, seeds] : named_object(doc.at("diverged"), "diverged").items())
    s.diverged[arm] = seed_list(seeds, "diverged." + arm);
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

}  // namespace

std::string summary_mismatch(const Summary& s, const StudySpec& spec) {
  if (s.seeds.empty()) return "seeds is empty";
  if (!(s.epoch_scale > 0) || s.threads < 1) return "epoch_scale or threads is not positive";
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
    for (const auto& m : expected_metrics(spec, arm))
      if (!a->second.count(m)) return "arms." + arm.name + "." + m + " is missing";
    if (a->second.size() != expected_metrics(spec, arm).size()) return "arms." + arm.name + " has unknown metrics";
    const auto L = s.longitudinal.find(arm.name);
    if ((L != s.longitudinal.end()) != arm.follow_up)
      return "longitudinal." + arm.name + (arm.follow_up ? " is missing" : " exists, but the arm has no follow-up");
    if (L == s.longitudinal.end()) continue;
    if (auto why = cycles_mismatch(L->second, spec, s.seeds.size(), "longitudinal." + arm.name); !why.empty())
      return why;
  }
  return "";
}

}  // namespace chronic_stress
