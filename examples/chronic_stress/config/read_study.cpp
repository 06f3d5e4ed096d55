// config/read_study.cpp - TOML -> rewire::protocol::StudySpec: the steps'
// codecs, the sections and the whole study. This reader checks what only a
// file can get wrong (malformed TOML, unknown or missing keys, wrong types)
// and each number against the library's range for it as it is read; every
// rule that relates values (widths and centres, distinct names and levels,
// schedules and cycles) is StudySpec::validate's, whose refusal fail_at
// puts at the line of the value. Every message names the source,
// line:column, the dotted key path and what is allowed there.
#include "config/config.hpp"
#include "config/schema.hpp"
#include "config/toml_guard.hpp"

#include <rewire/data/clusters.hpp>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace chronic_stress {
namespace detail {
namespace {

using namespace rewire;
using namespace rewire::protocol;
using namespace rewire::protocol::limits;
using ojson = nlohmann::ordered_json;

// ---- steps: one codec per step type ---------------------------------------
// Everything the TOML schema knows about a step type sits in its Codec: its
// keys besides "op", how they are read, and the canonical JSON written back.
// The op is the library's S::name. A step type added to rewire::protocol::Step
// without a Codec here does not compile (read_step_as and step_to_json
// instantiate Codec<S> for every alternative).

template <class S>
struct Codec;

int read_epochs(const Table& t) { return int(t.integer("epochs", kEpochs)); }

template <>
struct Codec<Train> {
  static std::vector<std::string> keys() { return {"op", "epochs", "lr"}; }
  static Train read(const Table& t) { return Train{read_epochs(t), t.real_f("lr", kLearningRate)}; }
  static void write(const Train& s, ojson& j) {
    j["epochs"] = s.epochs;
    j["lr"] = short_float(s.lr);
  }
};

template <>
struct Codec<TrainWithStress> {
  static std::vector<std::string> keys() { return {"op", "epochs", "lr", "sigma0"}; }
  static TrainWithStress read(const Table& t) {
    return TrainWithStress{read_epochs(t), t.real_f("lr", kLearningRate), t.real_f("sigma0", kNonNegative)};
  }
  static void write(const TrainWithStress& s, ojson& j) {
    j["epochs"] = s.epochs;
    j["lr"] = short_float(s.lr);
    j["sigma0"] = short_float(s.sigma0);
  }
};

template <>
struct Codec<TrainWithNoise> {
  static std::vector<std::string> keys() { return {"op", "epochs", "lr", "sigma"}; }
  static TrainWithNoise read(const Table& t) {
    return TrainWithNoise{read_epochs(t), t.real_f("lr", kLearningRate), t.real_f("sigma", kNonNegative)};
  }
  static void write(const TrainWithNoise& s, ojson& j) {
    j["epochs"] = s.epochs;
    j["lr"] = short_float(s.lr);
    j["sigma"] = short_float(s.sigma);
  }
};

template <>
struct Codec<Discontinue> {
  static std::vector<std::string> keys() { return {"op"}; }
  static Discontinue read(const Table&) { return Discontinue{}; }
  static void write(const Discontinue&, ojson&) {}
};

template <>
struct Codec<Regrow> {
  static std::vector<std::string> keys() {
    return {"op", "batches", "fraction", "sd", "ties", "random_share", "scope"};
  }
  static Regrow read(const Table& t) {
    Regrow r;
    r.options.batches = int(t.integer("batches", kEpochs));
    r.options.fraction = t.real("fraction", kFraction);
    r.options.init_sd = t.real_f("sd", kNonNegative);
    r.options.ties = t.ties();
    r.options.random_share = t.real("random_share", kFraction, 0.0);
    r.options.scope = t.scope();
    return r;
  }
  static void write(const Regrow& s, ojson& j) {
    j["batches"] = s.options.batches;
    j["fraction"] = s.options.fraction;
    j["sd"] = short_float(s.options.init_sd);
    j["ties"] = to_string(s.options.ties);
    if (s.options.random_share != 0.0) j["random_share"] = s.options.random_share;  // absent: all by gradient
    if (s.options.scope != PruneScope::per_layer) j["scope"] = to_string(s.options.scope);  // absent: per layer
  }
};

// Also the body of a probe (with "name" instead of "op").
template <>
struct Codec<Modulate> {
  static std::vector<std::string> keys() {
    return {"op", "activation", "damping", "noise_scale", "unit_fraction", "population"};
  }
  static Modulate read(const Table& t) {
    Modulate m;
    m.activation = t.activation();
    if (t.get("damping")) m.damping = t.real_f("damping", kNonNegative);
    if (t.get("noise_scale")) m.noise_scale = t.real_f("noise_scale", kNonNegative);
    if (t.get("unit_fraction")) m.units.fraction = t.real("unit_fraction", kUnitFraction);
    if (const auto* p = t.get("population"))
      m.units.population =
          parse_population(read_choice(t.source(), *p, t.at("population"), {"excitatory", "inhibitory"}));
    return m;
  }
  static void write(const Modulate& s, ojson& j) {
    if (s.activation) j["activation"] = to_string(*s.activation);
    if (s.damping) j["damping"] = short_float(*s.damping);
    if (s.noise_scale) j["noise_scale"] = short_float(*s.noise_scale);
    if (s.units.fraction) j["unit_fraction"] = *s.units.fraction;
    if (s.units.population) j["population"] = to_string(*s.units.population);
  }
};

template <>
struct Codec<PruneTo> {
  static std::vector<std::string> keys() { return {"op", "target", "scope"}; }
  static PruneTo read(const Table& t) { return PruneTo{t.real("target", kSparsity), t.scope()}; }
  static void write(const PruneTo& s, ojson& j) {
    j["target"] = s.target;
    j["scope"] = to_string(s.scope);
  }
};

template <>
struct Codec<PruneRemaining> {
  static std::vector<std::string> keys() { return {"op", "fraction", "cap", "scope"}; }
  static PruneRemaining read(const Table& t) {
    return PruneRemaining{t.real("fraction", kSparsity), t.real("cap", kCap, PruneRemaining{}.cap), t.scope()};
  }
  static void write(const PruneRemaining& s, ojson& j) {
    j["fraction"] = s.fraction;
    j["cap"] = s.cap;
    j["scope"] = to_string(s.scope);
  }
};

template <std::size_t... I>
std::vector<std::string> op_names(std::index_sequence<I...>) {
  return {std::variant_alternative_t<I, Step>::name...};
}

const std::vector<std::string>& ops() {
  static const std::vector<std::string> names = op_names(std::make_index_sequence<std::variant_size_v<Step>>());
  return names;
}

// The step of kind `op` (one of ops()), read by the Codec of alternative I or a later one.
template <std::size_t I = 0>
Step read_step_as(const std::string& op, const toml::node& n, const std::string& path, const std::string& src) {
  if constexpr (I == std::variant_size_v<Step>) {
    throw std::logic_error("read_step: op '" + op + "' has no codec");  // unreachable: op is one of ops()
  } else {
    using S = std::variant_alternative_t<I, Step>;
    if (op == S::name) return Codec<S>::read(Table(n, path, src, Codec<S>::keys()));
    return read_step_as<I + 1>(op, n, path, src);
  }
}

}  // namespace

Step read_step(const std::string& src, const toml::node& n, const std::string& path) {
  const std::string what = "a step table such as { op = \"train\", epochs = 10, lr = 5e-4 }";
  const auto* t = n.as_table();
  if (!t) wrong_type(src, n, path, what);
  const auto* op_node = t->get("op");
  if (!op_node) fail(src, &n, "missing key '" + path + ".op' (required: one of " + join(ops()) + ")");
  return read_step_as(read_choice(src, *op_node, path + ".op", ops()), n, path, src);
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

Modulate read_modulation(const Table& t) { return Codec<Modulate>::read(t); }

// The prune of [relapse] or [longitudinal]. Without a cap even in paper.toml,
// there is none (PruneRemaining's default, 1).
PruneRemaining read_removal(const Table& t, const PruneRemaining* paper) {
  return PruneRemaining{t.real("remove_fraction", kSparsity, paper ? std::optional<double>(paper->fraction) : std::nullopt),
                        t.real("cap", kCap, paper ? paper->cap : PruneRemaining{}.cap), t.scope()};
}

namespace {

// A whole study; `paper` as for the sections above.
StudySpec read_study(const toml::table& root, const std::string& source, const StudySpec* paper) {
  Table top(root, "", source,
            {"data", "task", "network", "baseline", "evaluation", "relapse", "longitudinal", "numerics", "arms",
             "cohort"});
  StudySpec spec;
  if (paper) spec = *paper;  // baseline and arms are replaced below
  // An omitted section keeps the paper's values; paper.toml must have them
  // all but [task] (the paper's task is the default, static one).
  const auto section = [&](const char* key, std::vector<std::string> keys) -> std::optional<Table> {
    const auto* n = top.get(key);
    if (!n) {
      if (!paper && std::string(key) != "task") top.missing(key, std::string("a [") + key + "] table");
      return std::nullopt;
    }
    return Table(*n, key, source, std::move(keys));
  };
  if (auto t = section("data", {"train_size", "standard_size", "clean_size", "sigma", "clean_sigma", "batch_size",
                                "centres"}))
    read_data(*t, spec.data, paper ? &paper->data : nullptr);
  if (auto t = section("task", {"kind", "fixation", "stimulus", "delay", "response", "step_sigma", "coherence"}))
    read_task(*t, spec.task);
  if (auto t = section("network", {"widths", "kind", "units", "alpha", "dale", "excitatory_fraction"}))
    read_network(*t, spec, !paper);
  const auto* baseline = top.get("baseline");
  if (!baseline) top.missing("baseline", "a [baseline] table with 'steps'");
  spec.baseline = read_steps(Table(*baseline, "baseline", source, {"steps"}), "steps", true);
  if (auto t = section("evaluation", {"combined_input_sigma", "combined_internal_sigma", "stress_levels"}))
    read_evaluation(*t, spec.measure, paper ? &paper->measure : nullptr);
  if (auto t = section("relapse", {"remove_fraction", "cap", "scope"}))
    spec.relapse.prune = read_removal(*t, paper ? &paper->relapse.prune : nullptr);
  if (auto t = section("longitudinal", {"cycles", "remove_fraction", "cap", "scope", "threshold"}))
    read_longitudinal(*t, spec.longitudinal, paper ? &paper->longitudinal : nullptr);
  if (auto t = section("numerics", {"flush_denormals"}))
    spec.flush_denormals = t->boolean("flush_denormals", paper_value(paper, &StudySpec::flush_denormals));
  spec.arms = read_arms(top);
  // Every rule about values that depend on each other is the library's: its
  // message, with the keys in this file's spelling and the line they are on.
  try {
    spec.validate();
  } catch (const SpecError& e) {
    fail_at(top, e);
  }
  spec.cohort = read_cohort(top, spec);
  return spec;
}

}  // namespace

toml::table parse_toml(std::string_view toml_text, const std::string& source) {
  require_ascii_outside_comments(toml_text, source);
  try {
    return toml::parse(toml_text, source);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    throw ConfigError(source + ":" + std::to_string(b.line) + ":" + std::to_string(b.column),
                      "malformed TOML: " + std::string(e.description()));
  }
}

}  // namespace detail

using namespace rewire::protocol;
using ojson = nlohmann::ordered_json;

namespace detail {

StudySpec read_config_tree(const toml::table& root, const std::string& source) {
  static const StudySpec paper = read_study(parse_toml(paper_config(), kPaperConfigName), kPaperConfigName, nullptr);
  return read_study(root, source, &paper);
}

}  // namespace detail

StudySpec parse_config(std::string_view toml_text, const std::string& source) {
  return detail::read_config_tree(detail::parse_toml(toml_text, source), source);
}

ojson step_to_json(const Step& step) {
  return std::visit(
      [](const auto& s) {
        ojson j{{"op", s.name}};
        detail::Codec<std::decay_t<decltype(s)>>::write(s, j);
        return j;
      },
      step);
}

ojson probe_to_json(const Probe& probe) {
  ojson j{{"name", probe.name}};
  detail::Codec<Modulate>::write(probe.modulation, j);
  return j;
}

}  // namespace chronic_stress
