// config/canonical.cpp - the one serialization of a StudySpec: JSON (summary.json's
// `config`) and TOML (config.toml) with the same structure as the input
// schema, every optional key spelled out, in a fixed order, numbers in their
// shortest exact form. The config hash is taken over this TOML text, so two
// configs that differ only in comments, key order, defaults left implicit
// or `1e-3` vs `0.001` have the same hash, and any change that can alter a
// result changes it.
#include "config/config.hpp"

#include <rewire/core/hash.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace chronic_stress {
namespace {

using namespace rewire;
using namespace rewire::protocol;
using ojson = nlohmann::ordered_json;

ojson steps_json(const std::vector<Step>& steps) {
  ojson a = ojson::array();
  for (const auto& s : steps) a.push_back(step_to_json(s));
  return a;
}

// A cycle selector as the schema spells it: `at`, or `cycles` and `every`
// (the end of the range capped at the last cycle, which selects the same).
void selector_json(const CycleSelector& sel, int cycles, ojson& j) {
  if (!sel.at.empty()) {
    j["at"] = sel.at;
    return;
  }
  j["cycles"] = {sel.from, std::min(sel.to, std::max(cycles, sel.from))};
  j["every"] = sel.every;
}

// Maintenance that runs the same steps in every cycle is written as the plain
// array of steps it always was (so paper configs keep their canonical text
// and hash); any cycle-dependent schedule as an array of blocks.
ojson maintenance_json(const std::vector<MaintenanceBlock>& blocks, int cycles) {
  const bool uniform = std::all_of(blocks.begin(), blocks.end(), [cycles](const MaintenanceBlock& b) {
    return b.cycles.every_cycle(cycles) && b.adherence == 1.0;
  });
  if (uniform) {
    std::vector<Step> steps;
    for (const auto& b : blocks) steps.insert(steps.end(), b.steps.begin(), b.steps.end());
    return steps_json(steps);
  }
  ojson a = ojson::array();
  for (const auto& b : blocks) {
    ojson j;
    selector_json(b.cycles, cycles, j);
    if (b.adherence != 1.0) j["adherence"] = b.adherence;  // absent: every dose taken
    j["steps"] = steps_json(b.steps);
    a.push_back(j);
  }
  return a;
}

ojson stress_json(const std::vector<StressBlock>& blocks, int cycles) {
  ojson a = ojson::array();
  for (const auto& b : blocks) {
    ojson j;
    selector_json(b.cycles, cycles, j);
    j["remove_fraction"] = b.prune.fraction;
    j["cap"] = b.prune.cap;
    j["scope"] = to_string(b.prune.scope);
    a.push_back(j);
  }
  return a;
}

ojson arm_json(const ArmSpec& arm, int cycles) {
  ojson probes = ojson::array();
  for (const auto& p : arm.probes) probes.push_back(probe_to_json(p));
  ojson j = {{"name", arm.name},
             {"follow_up", arm.follow_up},
             {"treatment", steps_json(arm.treatment)},
             {"maintenance", maintenance_json(arm.maintenance, cycles)}};
  if (!arm.stress.empty()) j["stress"] = stress_json(arm.stress, cycles);  // absent: the study's stressor
  j["probes"] = probes;
  return j;
}

// ---- TOML text -------------------------------------------------------------

std::string toml_number(double v) {
  char buffer[64];
  const auto end = std::to_chars(buffer, buffer + sizeof buffer, v).ptr;
  std::string s(buffer, end);
  // TOML floats need a '.' or an exponent ("1" would read back as an integer).
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

std::string toml_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += char(c);
    } else if (c < 0x20 || c == 0x7f) {
      char esc[8];
      std::snprintf(esc, sizeof esc, "\\u%04x", unsigned(c));
      out += esc;
    } else {
      out += char(c);
    }
  }
  return out + "\"";
}

// `inline_only`: inside an inline table, where TOML allows no line break.
std::string toml_value(const ojson& v, bool inline_only = false) {
  switch (v.type()) {
    case ojson::value_t::boolean: return v.get<bool>() ? "true" : "false";
    case ojson::value_t::number_integer:
    case ojson::value_t::number_unsigned: return v.dump();
    case ojson::value_t::number_float: return toml_number(v.get<double>());
    case ojson::value_t::string: return toml_string(v.get<std::string>());
    case ojson::value_t::object: {
      if (v.empty()) return "{}";
      std::string out = "{ ";
      bool first = true;
      for (const auto& [k, x] : v.items()) {
        out += (first ? "" : ", ") + k + " = " + toml_value(x, true);
        first = false;
      }
      return out + " }";
    }
    case ojson::value_t::array: {
      if (v.empty()) return "[]";
      // One inline table per line (steps, probes); scalars on one line.
      const bool tables = v.front().is_object() && !inline_only;
      std::string out = tables ? "[\n" : "[";
      for (std::size_t i = 0; i < v.size(); ++i) {
        if (tables) out += "  " + toml_value(v[i]) + ",\n";
        else out += (i ? ", " : "") + toml_value(v[i], inline_only);
      }
      return out + "]";
    }
    default: throw std::logic_error("canonical_toml: unsupported JSON value " + v.dump());
  }
}

// A key as TOML spells it: bare, or quoted when it holds other characters
// (a cohort's dotted key paths).
std::string toml_key_text(const std::string& k) {
  const bool bare = !k.empty() && std::all_of(k.begin(), k.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
  return bare ? k : toml_string(k);
}

std::string toml_members(const ojson& object) {
  std::string out;
  for (const auto& [k, v] : object.items()) out += toml_key_text(k) + " = " + toml_value(v) + "\n";
  return out;
}

// A cohort key's distribution as the [cohort] schema spells it.
ojson distribution_json(const rewire::protocol::Distribution& d) {
  using rewire::protocol::DistributionKind;
  ojson j{{"distribution", rewire::protocol::to_string(d.kind)}};
  switch (d.kind) {
    case DistributionKind::uniform: j["low"] = d.low; j["high"] = d.high; break;
    case DistributionKind::normal:
      j["mean"] = d.mean;
      j["sd"] = d.sd;
      if (d.clipped) j["clip"] = {d.clip_lo, d.clip_hi};
      break;
    case DistributionKind::lognormal: j["mu"] = d.mu; j["sigma"] = d.sigma; break;
    default:
      j["values"] = d.values;
      if (!d.weights.empty()) j["weights"] = d.weights;
  }
  return j;
}

}  // namespace

nlohmann::ordered_json config_to_json(const StudySpec& spec) {
  ojson j;
  const DataSpec& d = spec.data;
  j["data"] = {{"train_size", d.train_size},  {"standard_size", d.standard_size},
               {"clean_size", d.clean_size},  {"sigma", short_float(d.sigma)},
               {"clean_sigma", short_float(d.clean_sigma)}, {"batch_size", d.batch_size}};
  if (!d.centres.empty()) {  // absent: the paper's task (config.cpp stores the paper's centres so)
    ojson centres = ojson::array();
    for (const auto& c : d.centres) {
      ojson point = ojson::array();
      for (float x : c) point.push_back(short_float(x));
      centres.push_back(point);
    }
    j["data"]["centres"] = centres;
  }
  const TaskSpec& t = spec.task;
  if (t.in_time()) {  // absent: the paper's static task (so paper configs keep their hash)
    j["task"] = {{"kind", to_string(t.kind)},          {"fixation", t.timing.fixation},
                 {"stimulus", t.timing.stimulus},      {"delay", t.timing.delay},
                 {"response", t.timing.response}};
    if (t.kind == TaskKind::decision) j["task"]["coherence"] = short_float(t.coherence);
    else j["task"]["step_sigma"] = short_float(t.step_sigma);
  }
  if (spec.network == NetworkKind::mlp) {
    j["network"] = {{"widths", spec.widths}};
  } else {
    const RnnSpec& r = spec.rnn;
    j["network"] = {{"kind", "rnn"},
                    {"units", r.units},
                    {"alpha", short_float(r.alpha)},
                    {"dale", r.dale},
                    {"excitatory_fraction", r.excitatory_fraction}};
  }
  j["baseline"] = {{"steps", steps_json(spec.baseline)}};
  ojson levels = ojson::array();
  for (float s : spec.measure.stress_levels) levels.push_back(short_float(s));
  j["evaluation"] = {{"combined_input_sigma", short_float(spec.measure.combined_input_sigma)},
                     {"combined_internal_sigma", short_float(spec.measure.combined_internal_sigma)},
                     {"stress_levels", levels}};
  const PruneRemaining& r = spec.relapse.prune;
  j["relapse"] = {{"remove_fraction", r.fraction}, {"cap", r.cap}, {"scope", to_string(r.scope)}};
  const LongitudinalSpec& L = spec.longitudinal;
  j["longitudinal"] = {{"cycles", L.cycles},
                       {"remove_fraction", L.prune.fraction},
                       {"cap", L.prune.cap},
                       {"scope", to_string(L.prune.scope)},
                       {"threshold", L.threshold}};
  j["numerics"] = {{"flush_denormals", spec.flush_denormals}};
  ojson arms = ojson::array();
  for (const auto& arm : spec.arms) arms.push_back(arm_json(arm, L.cycles));
  j["arms"] = arms;
  if (!spec.cohort.empty()) {  // absent without one (so other configs keep their hash)
    ojson cohort = ojson::object();
    for (const auto& c : spec.cohort) cohort[c.key] = distribution_json(c.distribution);
    j["cohort"] = cohort;
  }
  return j;
}

std::string canonical_toml(const StudySpec& spec) {
  const ojson j = config_to_json(spec);
  std::string out;
  for (const auto& [k, v] : j.items()) {
    if (v.is_object()) {
      out += (out.empty() ? "[" : "\n[") + k + "]\n" + toml_members(v);
    } else {  // the array of tables `arms`
      for (const auto& element : v) out += "\n[[" + k + "]]\n" + toml_members(element);
    }
  }
  return out;
}

std::string fnv1a64_hex(std::string_view text) {
  char buffer[17];
  std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(rewire::fnv1a64(text)));
  return buffer;
}

}  // namespace chronic_stress
