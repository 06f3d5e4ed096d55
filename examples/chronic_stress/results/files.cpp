// results/files.cpp - summary and results.csv from seed records; reading seed files.
#include "results/files.hpp"

#include <rewire/io/files.hpp>
#include <rewire/protocol/circuit.hpp>
#include <rewire/protocol/metric_keys.hpp>
#include <rewire/version.hpp>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <set>
#include <stdexcept>

namespace chronic_stress {

using nlohmann::json;
using rewire::protocol::StudySpec;
namespace metric = rewire::protocol::metric;

std::filesystem::path seed_path(const std::filesystem::path& out_dir, std::uint64_t seed) {
  char name[48];
  std::snprintf(name, sizeof name, "seed-%03llu.json", static_cast<unsigned long long>(seed));
  return out_dir / "seeds" / name;
}

namespace {

const CycleSeries& cycles_of(const SeedRecord& r, const std::string& arm) {
  const auto& L = r.arms.at(arm).longitudinal;
  if (!L) throw std::logic_error("seed " + std::to_string(r.seed) + ", arm " + arm + ": no cycles");
  return *L;
}

// Per-cycle statistics of one series over the seeds (nulls left out);
// `path` names the series for its bootstrap streams.
std::vector<Stat> cycle_stats(const std::vector<SeedRecord>& seeds, const std::string& arm,
                              std::vector<Value> CycleSeries::*series, int cycles, const std::string& hash,
                              const std::string& path) {
  std::vector<Stat> out;
  for (int c = 0; c <= cycles; ++c) {
    std::vector<double> xs;
    for (const auto& r : seeds)
      if (const Value& v = (cycles_of(r, arm).*series).at(std::size_t(c))) xs.push_back(*v);
    out.push_back(stats(xs, bootstrap_key(hash, path + "[" + std::to_string(c) + "]")));
  }
  return out;
}

CycleSummary cycle_summary(const StudySpec& spec, const std::vector<SeedRecord>& seeds, const std::string& arm,
                           const std::string& hash) {
  const int C = spec.longitudinal.cycles;
  const std::string path = "longitudinal." + arm;
  CycleSummary L;
  L.threshold = spec.longitudinal.threshold;
  L.accuracy = cycle_stats(seeds, arm, &CycleSeries::accuracy, C, hash, path + ".accuracy");
  L.sparsity = cycle_stats(seeds, arm, &CycleSeries::sparsity, C, hash, path + ".sparsity");
  std::vector<double> drops, relapse_at;
  for (const auto& r : seeds) {
    const CycleSeries& s = cycles_of(r, arm);
    const Value& first = s.accuracy.at(0);
    const Value& last = s.accuracy.at(std::size_t(C));
    if (first && last) drops.push_back(*first - *last);
    L.relapse_cycles.push_back(s.relapse_cycle);
    if (s.relapse_cycle) relapse_at.push_back(double(*s.relapse_cycle));
  }
  L.total_drop = stats(drops, bootstrap_key(hash, path + ".total_drop"));
  L.relapsed = relapse_at.size();
  L.relapse_cycle = stats(relapse_at, bootstrap_key(hash, path + ".relapse_cycle"));
  return L;
}

// One arm's per-seed values for the clinical statistics (NaN for null).
ArmSeries arm_series(const std::vector<SeedRecord>& seeds, const std::string& arm, const std::set<std::string>& names) {
  ArmSeries out;
  for (const auto& r : seeds) {
    const ArmRecord& a = r.arms.at(arm);
    for (const auto& name : names) {
      const auto it = a.metrics.find(name);
      out.metrics[name].push_back(it != a.metrics.end() && it->second ? *it->second : kNaN);
    }
    if (!a.longitudinal) continue;
    std::vector<double> acc;
    for (const Value& v : a.longitudinal->accuracy) acc.push_back(v ? *v : kNaN);
    out.accuracy.push_back(std::move(acc));
  }
  return out;
}

}  // namespace

Summary summarize(const StudySpec& spec, const std::vector<SeedRecord>& seeds, const RunInfo& info) {
  Summary s;
  s.library_version = rewire::version;
  s.config_hash = info.config_hash;
  s.config = info.config;
  s.epoch_scale = info.epoch_scale;
  s.threads = info.threads;
  s.wall_seconds = std::round(info.wall_seconds * 1000.0) / 1000.0;
  for (const auto& r : seeds) s.seeds.push_back(r.seed);
  // The baseline measures: their statistics, and the regressions' covariates
  // per seed (NaN for null).
  Covariates covariates;
  for (const auto& name : rewire::protocol::baseline_measure_names(spec)) {
    std::vector<double> xs, per_seed;
    for (const auto& r : seeds) {
      const auto it = r.baseline.find(name);
      const bool finite = it != r.baseline.end() && it->second;
      per_seed.push_back(finite ? *it->second : kNaN);
      if (finite) xs.push_back(*it->second);
    }
    s.baseline[name] = stats(xs, bootstrap_key(info.config_hash, "baseline." + name));
    covariates["baseline." + name] = std::move(per_seed);
  }
  for (const auto& c : spec.cohort) {
    std::vector<double>& per_seed = covariates["cohort." + c.key];
    for (const auto& r : seeds) {
      const auto it = r.cohort.find(c.key);
      per_seed.push_back(it == r.cohort.end() ? kNaN : it->second);
    }
  }
  std::map<std::string, ArmSeries> series;
  for (const auto& arm : spec.arms) {
    std::set<std::string> names;  // the union over seeds
    auto& diverged = s.diverged[arm.name];
    for (const auto& r : seeds) {
      const ArmRecord& a = r.arms.at(arm.name);
      for (const auto& [name, v] : a.metrics) names.insert(name);
      if (a.diverged) diverged.push_back(r.seed);
    }
    auto& metrics = s.arms[arm.name];
    for (const auto& name : names) {
      std::vector<double> xs;
      for (const auto& r : seeds) {
        const auto& m = r.arms.at(arm.name).metrics;
        if (const auto it = m.find(name); it != m.end() && it->second) xs.push_back(*it->second);
      }
      metrics[name] = stats(xs, bootstrap_key(info.config_hash, "arms." + arm.name + "." + name));
    }
    if (arm.follow_up) s.longitudinal[arm.name] = cycle_summary(spec, seeds, arm.name, info.config_hash);
    series[arm.name] = arm_series(seeds, arm.name, names);
  }
  s.clinical = clinical_statistics(spec, series, s.arms, covariates, info.config_hash);
  return s;
}

std::string format_number(double v) {
  if (!std::isfinite(v)) return "";
  char buffer[64];
  return std::string(buffer, std::to_chars(buffer, buffer + sizeof buffer, v).ptr);
}

std::string results_csv(const StudySpec& spec, const std::vector<SeedRecord>& seeds) {
  // The seed's covariates, one column each, repeated on every row of the seed.
  const std::vector<std::string> measures = rewire::protocol::baseline_measure_names(spec);
  std::string out = "seed,arm,metric,cycle,value";
  for (const auto& m : measures) out += ",baseline." + m;
  for (const auto& c : spec.cohort) out += ",cohort." + c.key;
  out += "\n";
  auto value = [](const Value& v) { return v ? format_number(*v) : std::string(); };
  for (const auto& r : seeds) {
    const std::string seed = std::to_string(r.seed);
    std::string covariates;
    for (const auto& m : measures) {
      const auto it = r.baseline.find(m);
      covariates += "," + (it == r.baseline.end() ? std::string() : value(it->second));
    }
    for (const auto& c : spec.cohort) {
      const auto it = r.cohort.find(c.key);
      covariates += "," + (it == r.cohort.end() ? std::string() : format_number(it->second));
    }
    for (const auto& arm : spec.arms) {
      const ArmRecord& a = r.arms.at(arm.name);
      for (const auto& [k, v] : a.metrics) out += seed + "," + arm.name + "," + k + ",," + value(v) + covariates + "\n";
      if (!a.longitudinal) continue;
      // Per cycle: the combined-stress accuracy and the sparsity, under their metric names.
      for (const auto& [key, series] : {std::pair{metric::combined, &a.longitudinal->accuracy},
                                        std::pair{metric::sparsity, &a.longitudinal->sparsity}})
        for (std::size_t c = 0; c < series->size(); ++c)
          out += seed + "," + arm.name + "," + key + "," + std::to_string(c) + "," + value((*series)[c]) + covariates +
                 "\n";
    }
  }
  return out;
}

json parse_json_text(const std::string& text, const std::string& name) {
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    throw std::runtime_error("'" + name + "' is not valid JSON: " + e.what());
  }
}

json read_json_file(const std::filesystem::path& path) { return parse_json_text(rewire::io::read_file(path), path.string()); }

std::optional<SeedRecord> read_seed_file(const std::filesystem::path& path, std::uint64_t seed,
                                         const std::string& config_hash, const std::string& library_version,
                                         const StudySpec& spec, std::string& why) {
  try {
    const nlohmann::json doc = read_json_file(path);
    SeedRecord r = seed_from_json(doc);
    why = seed_mismatch(r, seed, config_hash, library_version, spec);
    // Last: a damage the checks above can name is named as such; what is
    // left (a changed digit in a valid record) only the checksum sees.
    if (why.empty()) why = checksum_mismatch(doc);
    if (why.empty()) return r;
  } catch (const std::exception& e) {  // unreadable, not JSON, or malformed (ResultsError)
    why = e.what();
  }
  return std::nullopt;
}

}  // namespace chronic_stress
