// results.cpp - seed documents, summary.json and results.csv
// (docs/results-schema.md).
#include "results.hpp"

#include <common/atomic_file.hpp>
#include <rewire/version.hpp>

#include <algorithm>
#include <charconv>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <set>
#include <stdexcept>

namespace chronic_stress {

using nlohmann::json;
using rewire::protocol::ArmResult;
using rewire::protocol::StudySpec;

namespace {

// JSON has no NaN/inf: a diverged arm's non-finite value becomes null and
// is left out of the statistics (their `n` says how many values remain).
json number_or_null(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

// mean, population SD (divide by n, as the published tables), min, max, n.
json stats(const std::vector<double>& xs) {
  if (xs.empty()) return {{"mean", nullptr}, {"sd", nullptr}, {"min", nullptr}, {"max", nullptr}, {"n", 0}};
  double sum = 0;
  for (double x : xs) sum += x;
  const double mean = sum / double(xs.size());
  double ss = 0;
  for (double x : xs) ss += (x - mean) * (x - mean);
  return {{"mean", mean},
          {"sd", std::sqrt(ss / double(xs.size()))},
          {"min", *std::min_element(xs.begin(), xs.end())},
          {"max", *std::max_element(xs.begin(), xs.end())},
          {"n", xs.size()}};
}

// Per-cycle statistics as parallel lists: {"mean": [...], "sd": [...], ...}.
json cycle_stats(const std::vector<json>& seeds, const std::string& arm, const char* series, int cycles) {
  json out = {{"mean", json::array()}, {"sd", json::array()}, {"min", json::array()},
              {"max", json::array()}, {"n", json::array()}};
  for (int c = 0; c <= cycles; ++c) {
    std::vector<double> xs;
    for (const auto& doc : seeds) {
      const json& v = doc.at("arms").at(arm).at("longitudinal").at(series).at(std::size_t(c));
      if (v.is_number()) xs.push_back(v.get<double>());
    }
    const json s = stats(xs);
    for (const char* k : {"mean", "sd", "min", "max", "n"}) out[k].push_back(s[k]);
  }
  return out;
}

}  // namespace

std::filesystem::path seed_path(const std::filesystem::path& out_dir, std::uint64_t seed) {
  char name[48];
  std::snprintf(name, sizeof name, "seed-%03llu.json", static_cast<unsigned long long>(seed));
  return out_dir / "seeds" / name;
}

json seed_to_json(std::uint64_t seed, const std::string& config_hash, double seconds,
                  const std::vector<ArmResult>& arms) {
  json arms_json = json::object();
  for (const auto& r : arms) {
    json metrics = json::object();
    for (const auto& [name, value] : r.metrics) metrics[name] = number_or_null(value);
    json longitudinal = nullptr;  // arms without follow-up have no cycles
    if (!r.cycle_accuracy.empty()) {
      json sparsity = json::array(), accuracy = json::array();
      for (double v : r.cycle_sparsity) sparsity.push_back(number_or_null(v));
      for (double v : r.cycle_accuracy) accuracy.push_back(number_or_null(v));
      longitudinal = {{"sparsity", sparsity},
                      {"accuracy", accuracy},
                      {"relapse_cycle", r.relapse_cycle ? json(*r.relapse_cycle) : json(nullptr)}};
    }
    arms_json[r.arm] = {{"diverged", r.diverged}, {"metrics", metrics}, {"longitudinal", longitudinal}};
  }
  return {{"schema", kSeedSchema},
          {"seed", seed},
          {"config_hash", config_hash},
          {"library_version", rewire::version},
          {"seconds", std::round(seconds * 1000.0) / 1000.0},
          {"arms", arms_json}};
}

std::vector<std::string> expected_metrics(const StudySpec& spec, const rewire::protocol::ArmSpec& arm) {
  std::vector<std::string> names{"sparsity", "clean", "standard", "combined"};
  for (float s : spec.measure.stress_levels) names.push_back(rewire::protocol::stress_metric_name(s));
  if (!arm.follow_up) return names;
  for (const char* m : {"relapse_before", "relapse_after", "relapse_drop", "relapse_sparsity"}) names.push_back(m);
  for (const auto& p : arm.probes) names.insert(names.end(), {p.name + "_combined", p.name + "_extreme"});
  return names;
}

namespace {

// A key read from a file, as shown in a message: itself if it is a plain
// name, else JSON-quoted (so control characters cannot reach the terminal).
std::string shown(const std::string& key) {
  const bool plain = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
  return plain ? key : json(key).dump();
}

// A value of a diverged arm may be null (non-finite); any other must be a number.
std::string value_problem(const json& v, bool diverged, const std::string& path) {
  if (v.is_number()) return "";
  if (v.is_null()) return diverged ? "" : path + " is null but the arm did not diverge";
  return path + " is not a number";
}

std::string series_problem(const json& L, const char* key, bool diverged, int cycles, const std::string& path) {
  const std::string at = path + "." + key;
  const json& a = L.at(key);
  if (!a.is_array()) return at + " is not an array";
  if (a.size() != std::size_t(cycles) + 1)
    return at + " has " + std::to_string(a.size()) + " values, expected " + std::to_string(cycles + 1) +
           ", one per cycle 0-" + std::to_string(cycles);
  for (std::size_t c = 0; c < a.size(); ++c)
    if (auto why = value_problem(a[c], diverged, at + "[" + std::to_string(c) + "]"); !why.empty()) return why;
  return "";
}

std::string longitudinal_problem(const json& L, bool diverged, int cycles, const std::string& path) {
  if (!L.is_object()) return path + " is missing, but the arm has follow-up cycles";
  for (const auto& [k, v] : L.items())
    if (k != "sparsity" && k != "accuracy" && k != "relapse_cycle") return path + "." + shown(k) + " is not a field";
  for (const char* k : {"sparsity", "accuracy", "relapse_cycle"})
    if (!L.contains(k)) return path + "." + k + " is missing";
  for (const char* k : {"sparsity", "accuracy"})
    if (auto why = series_problem(L, k, diverged, cycles, path); !why.empty()) return why;
  const json& rc = L.at("relapse_cycle");
  if (!(rc.is_null() || (rc.is_number_integer() && rc.get<long long>() >= 0 && rc.get<long long>() <= cycles)))
    return path + ".relapse_cycle is " + rc.dump() + ", expected null or a cycle 0-" + std::to_string(cycles);
  return "";
}

std::string arm_problem(const json& a, const StudySpec& spec, const rewire::protocol::ArmSpec& arm) {
  const std::string path = "arms." + arm.name;
  if (!a.is_object()) return path + " is not an object";
  for (const auto& [k, v] : a.items())
    if (k != "diverged" && k != "metrics" && k != "longitudinal") return path + "." + shown(k) + " is not a field";
  if (!a.contains("diverged") || !a.at("diverged").is_boolean()) return path + ".diverged is missing or not true/false";
  const bool diverged = a.at("diverged").get<bool>();
  if (!a.contains("metrics") || !a.at("metrics").is_object()) return path + ".metrics is missing or not an object";
  const json& metrics = a.at("metrics");
  const std::vector<std::string> want = expected_metrics(spec, arm);
  for (const auto& m : want)
    if (!metrics.contains(m)) return path + ".metrics." + m + " is missing";
  for (const auto& [k, v] : metrics.items()) {
    if (std::find(want.begin(), want.end(), k) == want.end())
      return path + ".metrics." + shown(k) + " is not a metric of this arm";
    if (auto why = value_problem(v, diverged, path + ".metrics." + k); !why.empty()) return why;
  }
  const json L = a.value("longitudinal", json());
  if (!arm.follow_up) return L.is_null() ? "" : path + ".longitudinal is not null, but the arm has no follow-up";
  return longitudinal_problem(L, diverged, spec.longitudinal.cycles, path + ".longitudinal");
}

}  // namespace

std::string seed_mismatch(const json& doc, std::uint64_t seed, const std::string& config_hash,
                          const StudySpec& spec) {
  if (!doc.is_object()) return "it is not a JSON object";
  for (const auto& [k, v] : doc.items())
    if (k != "schema" && k != "seed" && k != "config_hash" && k != "library_version" && k != "seconds" && k != "arms")
      return shown(k) + " is not a field of a seed file";
  if (doc.value("schema", json()) != kSeedSchema)
    return "schema is " + doc.value("schema", json()).dump() + ", expected \"" + kSeedSchema + "\"";
  const json id = doc.value("seed", json());
  if (!id.is_number_unsigned()) return "seed is " + id.dump() + ", not a seed number";
  if (id.get<std::uint64_t>() != seed) return "it holds seed " + id.dump();
  const json hash = doc.value("config_hash", json());
  if (!hash.is_string() || hash != config_hash)
    return "it was computed with config " + (hash.is_string() ? shown(hash.get<std::string>()) : hash.dump()) +
           ", this run's is " + config_hash;
  const json version = doc.value("library_version", json());
  if (version != rewire::version)
    return "it was computed by rewire " + version.dump() + ", this is rewire " + rewire::version;
  const json seconds = doc.value("seconds", json());
  if (!seconds.is_number() || seconds.get<double>() < 0) return "seconds is missing or not a number >= 0";
  const json arms = doc.value("arms", json());
  if (!arms.is_object()) return "arms is missing or not an object";
  for (const auto& [name, a] : arms.items())
    if (std::none_of(spec.arms.begin(), spec.arms.end(), [&](const auto& arm) { return arm.name == name; }))
      return "arms." + shown(name) + " is not an arm of this configuration";
  for (const auto& arm : spec.arms) {
    if (!arms.contains(arm.name)) return "arms." + arm.name + " is missing";
    if (auto why = arm_problem(arms.at(arm.name), spec, arm); !why.empty()) return why;
  }
  return "";
}

json summarize(const StudySpec& spec, const std::vector<json>& seeds, const RunInfo& info) {
  json seed_list = json::array();
  for (const auto& doc : seeds) seed_list.push_back(doc.at("seed"));
  json arms = json::object(), longitudinal = json::object(), diverged = json::object();
  for (const auto& arm : spec.arms) {
    std::set<std::string> names;  // the union over seeds (a diverged seed may lack none, but be safe)
    json& div = diverged[arm.name] = json::array();
    for (const auto& doc : seeds) {
      const json& a = doc.at("arms").at(arm.name);
      for (const auto& [k, v] : a.at("metrics").items()) names.insert(k);
      if (a.at("diverged").get<bool>()) div.push_back(doc.at("seed"));
    }
    json& metrics = arms[arm.name] = json::object();
    for (const auto& name : names) {
      std::vector<double> xs;
      for (const auto& doc : seeds) {
        const json v = doc.at("arms").at(arm.name).at("metrics").value(name, json());
        if (v.is_number()) xs.push_back(v.get<double>());
      }
      metrics[name] = stats(xs);
    }
    if (!arm.follow_up) continue;
    const int C = spec.longitudinal.cycles;
    json relapse_cycles = json::array();
    std::vector<double> drops, relapse_at;
    for (const auto& doc : seeds) {
      const json& L = doc.at("arms").at(arm.name).at("longitudinal");
      const json& first = L.at("accuracy").at(0);
      const json& last = L.at("accuracy").at(std::size_t(C));
      if (first.is_number() && last.is_number()) drops.push_back(first.get<double>() - last.get<double>());
      relapse_cycles.push_back(L.at("relapse_cycle"));
      if (!L.at("relapse_cycle").is_null()) relapse_at.push_back(L.at("relapse_cycle").get<double>());
    }
    longitudinal[arm.name] = {{"threshold", spec.longitudinal.threshold},
                              {"accuracy", cycle_stats(seeds, arm.name, "accuracy", C)},
                              {"sparsity", cycle_stats(seeds, arm.name, "sparsity", C)},
                              {"total_drop", stats(drops)},
                              {"relapse_cycles", relapse_cycles},
                              {"relapsed", relapse_at.size()},
                              {"relapse_cycle", stats(relapse_at)}};
  }
  return {{"schema", kSummarySchema},
          {"library_version", rewire::version},
          {"config_hash", info.config_hash},
          {"config", info.config},
          {"epoch_scale", info.epoch_scale},
          {"seeds", seed_list},
          {"threads", info.threads},
          {"wall_seconds", std::round(info.wall_seconds * 1000.0) / 1000.0},
          {"arms", arms},
          {"longitudinal", longitudinal},
          {"diverged", diverged}};
}

std::string format_number(double v) {
  if (!std::isfinite(v)) return "";
  char buffer[64];
  return std::string(buffer, std::to_chars(buffer, buffer + sizeof buffer, v).ptr);
}

std::string results_csv(const StudySpec& spec, const std::vector<json>& seeds) {
  std::string out = "seed,arm,metric,cycle,value\n";
  auto value = [](const json& v) { return v.is_number() ? format_number(v.get<double>()) : std::string(); };
  for (const auto& doc : seeds) {
    const std::string seed = std::to_string(doc.at("seed").get<std::uint64_t>());
    for (const auto& arm : spec.arms) {
      const json& a = doc.at("arms").at(arm.name);
      for (const auto& [k, v] : a.at("metrics").items())
        out += seed + "," + arm.name + "," + k + ",," + value(v) + "\n";
      if (a.at("longitudinal").is_null()) continue;
      for (const auto& [metric, series] : {std::pair{"combined", "accuracy"}, std::pair{"sparsity", "sparsity"}}) {
        const json& xs = a.at("longitudinal").at(series);
        for (std::size_t c = 0; c < xs.size(); ++c)
          out += seed + "," + arm.name + "," + metric + "," + std::to_string(c) + "," + value(xs[c]) + "\n";
      }
    }
  }
  return out;
}

json read_json_file(const std::filesystem::path& path) {
  const std::string text = examples::read_file(path);
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    throw std::runtime_error("'" + path.string() + "' is not valid JSON: " + e.what());
  }
}

std::vector<json> read_seed_files(const std::filesystem::path& out_dir, const json& summary) {
  std::vector<json> docs;
  for (const auto& s : summary.at("seeds")) docs.push_back(read_json_file(seed_path(out_dir, s.get<std::uint64_t>())));
  return docs;
}

}  // namespace chronic_stress
