// config.cpp - TOML -> rewire::protocol::StudySpec, refusing anything the
// library would refuse later (or silently misread) BEFORE any work starts:
// unknown keys, wrong types, out-of-range values. Every message names the
// source, line:column, the dotted key path and what is allowed there.
#include "config.hpp"
#include "toml_reader.hpp"

#include <rewire/data/clusters.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace chronic_stress {
namespace {

using namespace rewire;
using namespace rewire::protocol;
using namespace toml_reader;

// Upper bounds no sane study reaches; they keep every count far from int
// overflow (also after --epoch-scale, which is capped at 1000).
constexpr std::int64_t kMaxEpochs = 100000;
constexpr std::int64_t kMaxSetSize = 10000000;
constexpr std::int64_t kMaxWidth = 65536;

// ---- steps -----------------------------------------------------------------

const std::vector<std::string> kOps{"train", "train_with_stress", "regrow",
                                    "modulate", "prune_to",          "prune_remaining"};

Modulate read_modulation(const Table& t) {
  Modulate m;
  m.activation = t.activation();
  if (t.get("damping")) m.damping = t.real_f("damping", kNonNegative);
  if (!m.activation && !m.damping)
    fail(t.source(), &t.node(), t.path() + " needs 'activation' (relu, tanh) and/or 'damping' (" +
                                    kNonNegative.describe() + ")");
  return m;
}

Step read_step(const std::string& src, const toml::node& n, const std::string& path) {
  const std::string what = "a step table such as { op = \"train\", epochs = 10, lr = 5e-4 }";
  const auto* t = n.as_table();
  if (!t) wrong_type(src, n, path, what);
  const auto* op_node = t->get("op");
  if (!op_node) fail(src, &n, "missing key '" + path + ".op' (required: one of " + join(kOps) + ")");
  const std::string op = read_choice(src, *op_node, path + ".op", kOps);
  const auto epochs = [](const Table& s) { return int(s.integer("epochs", 1, kMaxEpochs)); };
  if (op == "train") {
    Table s(n, path, src, {"op", "epochs", "lr"});
    return Train{epochs(s), s.real_f("lr", kLearningRate)};
  }
  if (op == "train_with_stress") {
    Table s(n, path, src, {"op", "epochs", "lr", "sigma0"});
    return TrainWithStress{epochs(s), s.real_f("lr", kLearningRate), s.real_f("sigma0", kNonNegative)};
  }
  if (op == "regrow") {
    Table s(n, path, src, {"op", "batches", "fraction", "sd", "ties"});
    Regrow r;
    r.options.batches = int(s.integer("batches", 1, kMaxEpochs));
    r.options.fraction = s.real("fraction", kFraction);
    r.options.init_sd = s.real_f("sd", kNonNegative);
    r.options.ties = s.ties();
    return r;
  }
  if (op == "modulate") return read_modulation(Table(n, path, src, {"op", "activation", "damping"}));
  if (op == "prune_to") {
    Table s(n, path, src, {"op", "target", "scope"});
    return PruneTo{s.real("target", kSparsity), s.scope()};
  }
  Table s(n, path, src, {"op", "fraction", "cap", "scope"});
  return PruneRemaining{s.real("fraction", kSparsity), s.real("cap", kCap, 1.0), s.scope()};
}

std::vector<Step> read_steps(const Table& t, std::string_view key, bool required) {
  const auto* n = t.get(key);
  if (!n) {
    if (required) t.missing(key, "an array of steps (may be empty)");
    return {};
  }
  std::vector<Step> steps;
  const auto& a = read_array(t.source(), *n, t.at(key), "step tables");
  for (std::size_t i = 0; i < a.size(); ++i)
    steps.push_back(read_step(t.source(), a[i], t.at(key) + "[" + std::to_string(i) + "]"));
  return steps;
}

// ---- sections --------------------------------------------------------------

void read_data(const Table& t, DataSpec& d) {
  d.train_size = t.integer("train_size", 1, kMaxSetSize, d.train_size);
  d.standard_size = t.integer("standard_size", 1, kMaxSetSize, d.standard_size);
  d.clean_size = t.integer("clean_size", 1, kMaxSetSize, d.clean_size);
  d.sigma = t.real_f("sigma", kNonNegative, d.sigma);
  d.clean_sigma = t.real_f("clean_sigma", kNonNegative, d.clean_sigma);
  d.batch_size = t.integer("batch_size", 1, kMaxSetSize, d.batch_size);
}

void read_network(const Table& t, std::vector<Index>& widths) {
  const auto* n = t.get("widths");
  if (!n) return;
  const auto& a = read_array(t.source(), *n, t.at("widths"), "layer widths");
  if (a.size() < 2 || a.size() > 16)
    fail(t.source(), n, t.at("widths") + " has " + std::to_string(a.size()) +
                            " entries: expected 2 to 16 (input, hidden..., output)");
  widths.clear();
  for (std::size_t i = 0; i < a.size(); ++i)
    widths.push_back(read_integer(t.source(), a[i], t.at("widths") + "[" + std::to_string(i) + "]", 1, kMaxWidth));
  const Index classes = Index(paper_centres().size());
  if (widths.front() != 2)
    fail(t.source(), &a[0], t.at("widths") + "[0] = " + std::to_string(widths.front()) +
                                 ": the input layer must have 2 units (the data are points in the plane)");
  if (widths.back() != classes)
    fail(t.source(), &a[a.size() - 1], t.at("widths") + "[" + std::to_string(a.size() - 1) + "] = " +
                                           std::to_string(widths.back()) + ": the output layer must have " +
                                           std::to_string(classes) + " units (the data have " +
                                           std::to_string(classes) + " classes)");
}

void read_evaluation(const Table& t, MeasureSpec& m) {
  m.combined_input_sigma = t.real_f("combined_input_sigma", kNonNegative, m.combined_input_sigma);
  m.combined_internal_sigma = t.real_f("combined_internal_sigma", kNonNegative, m.combined_internal_sigma);
  const auto* n = t.get("stress_levels");
  if (!n) return;
  const std::string path = t.at("stress_levels");
  const auto& a = read_array(t.source(), *n, path, "noise sigmas");
  if (a.empty() || a.size() > 32)
    fail(t.source(), n, path + " has " + std::to_string(a.size()) + " entries: expected 1 to 32");
  m.stress_levels.clear();
  for (std::size_t i = 0; i < a.size(); ++i) {
    const std::string at = path + "[" + std::to_string(i) + "]";
    const float s = read_float(t.source(), a[i], at, kNonNegative);
    // Metric names use one decimal: two levels must not share a name.
    for (std::size_t j = 0; j < m.stress_levels.size(); ++j)
      if (stress_metric_name(m.stress_levels[j]) == stress_metric_name(s))
        fail(t.source(), &a[i], at + " = " + show(a[i]) + " has the same metric name (" +
                                    stress_metric_name(s) + ", one decimal) as " + path + "[" +
                                    std::to_string(j) + "]");
    m.stress_levels.push_back(s);
  }
}

PruneRemaining read_removal(const Table& t, double fraction, double cap) {
  return PruneRemaining{t.real("remove_fraction", kSparsity, fraction), t.real("cap", kCap, cap), t.scope()};
}

ArmSpec read_arm(const std::string& src, const toml::node& n, const std::string& path) {
  Table t(n, path, src, {"name", "treatment", "follow_up", "maintenance", "probes"});
  ArmSpec arm;
  const auto* name = t.get("name");
  if (!name) t.missing("name", "a name such as \"ketamine\"");
  arm.name = read_name(src, *name, t.at("name"));
  arm.treatment = read_steps(t, "treatment", false);
  arm.follow_up = t.boolean("follow_up", true);
  arm.maintenance = read_steps(t, "maintenance", false);
  if (const auto* p = t.get("probes")) {
    const auto& a = read_array(src, *p, t.at("probes"), "probe tables");
    for (std::size_t i = 0; i < a.size(); ++i) {
      Table pt(a[i], t.at("probes") + "[" + std::to_string(i) + "]", src, {"name", "activation", "damping"},
               "a probe table such as { name = \"off\", activation = \"relu\", damping = 1.0 }");
      const auto* pn = pt.get("name");
      if (!pn) pt.missing("name", "a name such as \"off\"");
      Probe probe{read_name(src, *pn, pt.at("name")), read_modulation(pt)};
      for (const auto& other : arm.probes)
        if (other.name == probe.name)
          fail(src, pn, pt.at("name") + " = \"" + probe.name + "\" is used twice in " + t.at("probes"));
      arm.probes.push_back(std::move(probe));
    }
  }
  // Follow-up-only settings would be silently ignored: refuse them.
  if (!arm.follow_up)
    for (const char* key : {"maintenance", "probes"})
      if (const auto* k = t.get(key); k && !(k->as_array() && k->as_array()->empty()))
        fail(src, k, t.at(key) + " has no effect when " + t.at("follow_up") + " = false; remove it");
  return arm;
}

}  // namespace

StudySpec parse_config(std::string_view toml_text, const std::string& source) {
  toml::table root;
  try {
    root = toml::parse(toml_text, source);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    throw ConfigError(source + ":" + std::to_string(b.line) + ":" + std::to_string(b.column) +
                      ": malformed TOML: " + std::string(e.description()));
  }
  Table top(root, "", source, {"data", "network", "baseline", "evaluation", "relapse", "longitudinal", "numerics", "arms"});
  StudySpec spec;
  if (const auto* n = top.get("data"))
    read_data(Table(*n, "data", source,
                    {"train_size", "standard_size", "clean_size", "sigma", "clean_sigma", "batch_size"}),
              spec.data);
  if (const auto* n = top.get("network")) read_network(Table(*n, "network", source, {"widths"}), spec.widths);
  const auto* baseline = top.get("baseline");
  if (!baseline) top.missing("baseline", "a [baseline] table with 'steps'");
  spec.baseline = read_steps(Table(*baseline, "baseline", source, {"steps"}), "steps", true);
  if (const auto* n = top.get("evaluation"))
    read_evaluation(Table(*n, "evaluation", source,
                          {"combined_input_sigma", "combined_internal_sigma", "stress_levels"}),
                    spec.measure);
  if (const auto* n = top.get("relapse"))
    spec.relapse.prune = read_removal(Table(*n, "relapse", source, {"remove_fraction", "cap", "scope"}),
                                      spec.relapse.prune.fraction, spec.relapse.prune.cap);
  if (const auto* n = top.get("longitudinal")) {
    Table t(*n, "longitudinal", source, {"cycles", "remove_fraction", "cap", "scope", "threshold"});
    auto& L = spec.longitudinal;
    L.cycles = int(t.integer("cycles", 0, 1000, L.cycles));
    L.prune = read_removal(t, L.prune.fraction, L.prune.cap);
    L.threshold = t.real("threshold", kPercent, L.threshold);
  }
  if (const auto* n = top.get("numerics"))
    spec.flush_denormals = Table(*n, "numerics", source, {"flush_denormals"}).boolean("flush_denormals", true);
  const auto* arms = top.get("arms");
  if (!arms) top.missing("arms", "at least one [[arms]] table");
  const auto& a = read_array(source, *arms, "arms", "[[arms]] tables");
  if (a.empty() || a.size() > 64)
    fail(source, arms, "arms has " + std::to_string(a.size()) + " entries: expected 1 to 64");
  for (std::size_t i = 0; i < a.size(); ++i) {
    const std::string path = "arms[" + std::to_string(i) + "]";
    spec.arms.push_back(read_arm(source, a[i], path));
    for (std::size_t j = 0; j < i; ++j)
      if (spec.arms[j].name == spec.arms[i].name)
        fail(source, a[i].as_table()->get("name"), path + ".name = \"" + spec.arms[i].name +
                                                     "\" is already used by arms[" + std::to_string(j) + "]");
  }
  // The library's own checks, as a net under ours (they should never fire).
  try {
    spec.validate();
  } catch (const std::invalid_argument& e) {
    throw ConfigError(source + ": " + e.what());
  }
  return spec;
}

}  // namespace chronic_stress
