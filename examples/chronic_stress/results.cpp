// results.cpp - seed documents, summary.json and results.csv
// (docs/results-schema.md).
#include "results.hpp"

#include <common/atomic_file.hpp>
#include <rewire/version.hpp>

#include <algorithm>
#include <charconv>
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

bool numbers_or_nulls(const json& a, std::size_t size) {
  if (!a.is_array() || a.size() != size) return false;
  return std::all_of(a.begin(), a.end(), [](const json& v) { return v.is_number() || v.is_null(); });
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

std::string seed_mismatch(const json& doc, std::uint64_t seed, const std::string& config_hash,
                          const StudySpec& spec) {
  if (!doc.is_object() || doc.value("schema", json()) != kSeedSchema)
    return std::string("it is not a ") + kSeedSchema + " document";
  if (doc.value("seed", json()) != seed) return "it holds another seed";
  const std::string hash = doc.value("config_hash", json()).is_string() ? doc["config_hash"].get<std::string>() : "?";
  if (hash != config_hash) return "it was computed with config " + hash + ", this run's is " + config_hash;
  const json version = doc.value("library_version", json());
  if (version != rewire::version)
    return "it was computed by rewire " + version.dump() + ", this is rewire " + rewire::version;
  if (!doc.value("seconds", json()).is_number() || !doc.value("arms", json()).is_object())
    return "it lacks 'seconds' or 'arms'";
  const std::size_t points = std::size_t(spec.longitudinal.cycles) + 1;
  for (const auto& arm : spec.arms) {
    const json a = doc["arms"].value(arm.name, json());
    if (!a.is_object() || !a.value("diverged", json()).is_boolean() || !a.value("metrics", json()).is_object())
      return "arm '" + arm.name + "' is missing or malformed";
    for (const auto& [k, v] : a["metrics"].items())
      if (!v.is_number() && !v.is_null()) return "metric '" + k + "' of arm '" + arm.name + "' is not a number";
    const json L = a.value("longitudinal", json());
    if (!arm.follow_up) {
      if (!L.is_null()) return "arm '" + arm.name + "' has cycles it should not have";
      continue;
    }
    const json rc = L.is_object() ? L.value("relapse_cycle", json()) : json();
    if (!L.is_object() || !numbers_or_nulls(L.value("sparsity", json()), points) ||
        !numbers_or_nulls(L.value("accuracy", json()), points) ||
        !(rc.is_null() || (rc.is_number_integer() && rc.get<long>() >= 0 && rc.get<long>() < long(points))))
      return "the cycles of arm '" + arm.name + "' are missing or malformed";
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
