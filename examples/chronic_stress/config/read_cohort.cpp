// config/read_cohort.cpp - the [cohort] section: for each seed (a virtual
// patient) a value of some numeric keys of the study file drawn from a
// declared distribution (rewire/protocol/cohort.hpp), and the patient's own
// study: the canonical configuration with its drawn values set, read and
// checked like any study file.
//
//   [cohort]
//   "baseline.steps[1].target" = { distribution = "uniform", low = 0.85, high = 0.95 }
//
// A key is refused (ConfigError naming cohort."<key>", nothing run) when
// the configuration has no such number, when its distribution's parameters
// are bad, or when some value the distribution can take (its support) is
// outside what the key allows: the study with that value set must pass the
// same reader and StudySpec::validate as any file.
#include "config/config.hpp"
#include "config/schema.hpp"

#include <rewire/protocol/cohort.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace chronic_stress {
namespace detail {
namespace {

using rewire::protocol::CohortParameter;
using rewire::protocol::Distribution;
using rewire::protocol::DistributionKind;

// A dotted key path as sweeps spell it: names, dots and [index].
bool is_key_path(const std::string& key) {
  if (key.empty() || key.front() == '.' || key.front() == '[') return false;
  for (char c : key)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '[' || c == ']')) return false;
  return key.find("..") == std::string::npos && key.back() != '.';
}

std::vector<double> numbers(const Table& t, std::string_view key) {
  const toml::node* n = t.get(key);
  if (!n) t.missing(key, "an array of numbers");
  const toml::array& a = read_array(t.source(), *n, t.at(key), "numbers");
  std::vector<double> out;
  for (std::size_t i = 0; i < a.size(); ++i)
    out.push_back(read_double(t.source(), *a.get(i), t.at(key) + "[" + std::to_string(i) + "]", rewire::Range{}));
  return out;
}

Distribution read_distribution(const Table& t) {
  Distribution d;
  const std::vector<std::string> kinds{"uniform", "normal", "lognormal", "choice"};
  if (!t.get("distribution")) t.missing("distribution", "one of " + join(kinds));
  const std::string kind = read_choice(t.source(), *t.get("distribution"), t.at("distribution"), kinds);
  const rewire::Range any{};
  if (kind == "uniform") {
    Table(t.node(), t.path(), t.source(), {"distribution", "low", "high"});
    d.kind = DistributionKind::uniform;
    d.low = t.real("low", any);
    d.high = t.real("high", any);
  } else if (kind == "normal") {
    Table(t.node(), t.path(), t.source(), {"distribution", "mean", "sd", "clip"});
    d.kind = DistributionKind::normal;
    d.mean = t.real("mean", any);
    d.sd = t.real("sd", any);
    if (t.get("clip")) {
      const std::vector<double> clip = numbers(t, "clip");
      if (clip.size() != 2) fail(t.source(), t.get("clip"), t.at("clip") + ": expected [lo, hi]");
      d.clipped = true;
      d.clip_lo = clip[0];
      d.clip_hi = clip[1];
    }
  } else if (kind == "lognormal") {
    Table(t.node(), t.path(), t.source(), {"distribution", "mu", "sigma"});
    d.kind = DistributionKind::lognormal;
    d.mu = t.real("mu", any);
    d.sigma = t.real("sigma", any);
  } else {
    Table(t.node(), t.path(), t.source(), {"distribution", "values", "weights"});
    d.kind = DistributionKind::choice;
    d.values = numbers(t, "values");
    if (t.get("weights")) d.weights = numbers(t, "weights");
  }
  try {
    d.validate();
  } catch (const rewire::SpecError& e) {
    const toml::node* at = t.get(e.key().substr(0, e.key().find('[')));
    fail(t.source(), at ? at : &t.node(), e.render([&](const std::string& k) { return t.at(k); }));
  }
  return d;
}

// Sets the number at `key` of `t` (it exists: read_cohort checked) to
// `value`; an integer key takes it rounded (a choice of integers gives it).
void set_number(toml::table& t, const std::string& key, double value) {
  toml::node* n = toml::at_path(t, key).node();
  if (auto* i = n->as_integer()) i->get() = std::int64_t(std::llround(value));
  else n->as_floating_point()->get() = value;
}

// The configuration's text with `key` set to `value`.
std::string with_value(const toml::table& canonical, const std::string& key, double value) {
  toml::table t = canonical;
  set_number(t, key, value);
  return detail::toml_document(t);
}

}  // namespace

std::vector<CohortParameter> read_cohort(const Table& top, const rewire::protocol::StudySpec& spec) {
  const toml::node* section = top.get("cohort");
  if (!section) return {};
  if (!section->as_table()) wrong_type(top.source(), *section, "cohort", "a table of key paths and distributions");
  rewire::protocol::StudySpec plain = spec;
  plain.cohort.clear();
  const toml::table canonical = parse_toml(canonical_toml(plain), "<canonical configuration>");
  std::vector<CohortParameter> out;
  for (auto&& [name, value] : *section->as_table()) {
    const std::string key(name.str());
    const std::string where = "cohort.\"" + key + "\"";
    if (!is_key_path(key)) fail(top.source(), &value, where + ": not a dotted key path such as arms[1].treatment[0].lr");
    const toml::node* target = toml::at_path(canonical, key).node();
    if (!target) fail(top.source(), &value, where + ": the configuration has no key " + key);
    if (!target->is_integer() && !target->is_floating_point())
      fail(top.source(), &value, where + ": " + key + " is " + type_name(*target) + ", not a number");
    const Distribution d = read_distribution(Table(value, where, top.source(), {"distribution", "low", "high", "mean",
                                                                                "sd", "clip", "mu", "sigma", "values",
                                                                                "weights"}));
    if (target->is_integer() && !(d.kind == DistributionKind::choice &&
                                  std::all_of(d.values.begin(), d.values.end(),
                                              [](double v) { return v == std::floor(v); })))
      fail(top.source(), &value, where + ": " + key + " is an integer: draw it with a choice of integer values");
    // Every value the distribution can take must make a valid study.
    for (double v : d.support()) {
      try {
        parse_config(with_value(canonical, key, v), "<" + key + " = " + rewire::shortest_text(v) + ">");
      } catch (const ConfigError& e) {
        fail(top.source(), &value, where + ": " + rewire::protocol::to_string(d.kind) + " can draw " +
                                       rewire::shortest_text(v) + ", which the study refuses: " + e.what());
      }
    }
    out.push_back({key, d});
  }
  return out;
}

}  // namespace detail

Patient cohort_patient(const rewire::protocol::StudySpec& spec, std::uint64_t seed) {
  Patient p;
  if (spec.cohort.empty()) {
    p.spec = spec;
    return p;
  }
  rewire::protocol::StudySpec plain = spec;
  plain.cohort.clear();
  const toml::table canonical = detail::parse_toml(canonical_toml(plain), "<canonical configuration>");
  toml::table t = canonical;
  for (const auto& [key, d] : spec.cohort) detail::set_number(t, key, rewire::protocol::draw(d, seed, key));
  const std::string source = "<seed " + std::to_string(seed) + " of the cohort>";
  p.spec = parse_config(detail::toml_document(t), source);
  // The values as the study holds them (a float key keeps a float's digits).
  const toml::table read_back = detail::parse_toml(canonical_toml(p.spec), source);
  for (const auto& c : spec.cohort) {
    const toml::node* n = toml::at_path(read_back, c.key).node();
    p.values[c.key] = n->is_integer() ? double(n->as_integer()->get()) : n->as_floating_point()->get();
  }
  return p;
}

}  // namespace chronic_stress
