// config/read_sections.cpp - the sections of a study file besides its steps
// and arms: [data], [task], [network], [evaluation], [longitudinal]
// (schema.hpp). Each number is read against the library's range for it;
// how the values relate is StudySpec::validate's.
#include "config/config.hpp"
#include "config/schema.hpp"

#include <rewire/data/clusters.hpp>

#include <optional>
#include <string>
#include <vector>

namespace chronic_stress::detail {

using namespace rewire;
using namespace rewire::protocol;
using namespace rewire::protocol::limits;

namespace {

// Class centres, one array of coordinates per class (their count and shape
// are the library's to check). The paper's own centres are stored as "none
// given", so that spelling them out leaves the canonical form (and the
// hash) of a paper config unchanged.
ClusterCentres read_centres(const std::string& src, const toml::node& n, const std::string& path) {
  const auto& a = read_array(src, n, path, "class centres such as [[-3.0, -3.0], [3.0, 3.0]], one array per class");
  ClusterCentres centres;
  for (std::size_t k = 0; k < a.size(); ++k) {
    const std::string at = path + "[" + std::to_string(k) + "]";
    const auto& c = read_array(src, a[k], at, "coordinates");
    std::vector<float> centre;
    for (std::size_t j = 0; j < c.size(); ++j)
      centre.push_back(read_float(src, c[j], at + "[" + std::to_string(j) + "]", kFinite));
    centres.push_back(std::move(centre));
  }
  if (centres == paper_centres()) return {};
  return centres;
}

}  // namespace

void read_data(const Table& t, DataSpec& d, const DataSpec* paper) {
  d.train_size = t.integer("train_size", kSetSize, paper_value(paper, &DataSpec::train_size));
  d.standard_size = t.integer("standard_size", kSetSize, paper_value(paper, &DataSpec::standard_size));
  d.clean_size = t.integer("clean_size", kSetSize, paper_value(paper, &DataSpec::clean_size));
  d.sigma = t.real_f("sigma", kNonNegative, paper_value(paper, &DataSpec::sigma));
  d.clean_sigma = t.real_f("clean_sigma", kNonNegative, paper_value(paper, &DataSpec::clean_sigma));
  d.batch_size = t.integer("batch_size", kSetSize, paper_value(paper, &DataSpec::batch_size));
  if (const auto* n = t.get("centres")) d.centres = read_centres(t.source(), *n, t.at("centres"));
}

// [network]: an Mlp's widths, or a recurrent network's kind and shape. A
// recurrent network has no widths (the paper's are not inherited), and
// needs its units.
void read_network(const Table& t, StudySpec& spec, bool required) {
  if (const auto* k = t.get("kind"))
    spec.network = read_choice(t.source(), *k, t.at("kind"), {"mlp", "rnn"}) == "rnn" ? NetworkKind::rnn : NetworkKind::mlp;
  const auto* n = t.get("widths");
  if (spec.network == NetworkKind::rnn) {
    if (!n) spec.widths.clear();
    spec.rnn.units = t.integer("units", kWidth);
    spec.rnn.alpha = t.real_f("alpha", kAlpha, RnnSpec{}.alpha);
    spec.rnn.dale = t.boolean("dale", RnnSpec{}.dale);
    spec.rnn.excitatory_fraction = t.real("excitatory_fraction", kFraction, RnnSpec{}.excitatory_fraction);
  } else {
    for (const char* key : {"units", "alpha", "dale", "excitatory_fraction"})
      if (const auto* k = t.get(key))
        fail(t.source(), k, t.at(key) + " is a key of a recurrent network: give " + t.at("kind") + " = \"rnn\"");
  }
  if (!n) {
    if (required) t.missing("widths", "layer widths such as [2, 512, 512, 256, 4]");
    return;
  }
  const auto& a = read_array(t.source(), *n, t.at("widths"), "layer widths");
  spec.widths.clear();
  for (std::size_t i = 0; i < a.size(); ++i)
    spec.widths.push_back(read_integer(t.source(), a[i], t.at("widths") + "[" + std::to_string(i) + "]", kWidth));
}

// [task]: the static clusters (no other key), or a task in time with its
// trial timing and difficulty.
void read_task(const Table& t, TaskSpec& task) {
  const auto* k = t.get("kind");
  if (!k) t.missing("kind", "one of clusters, clusters_over_time, memory, decision");
  const std::string kind =
      read_choice(t.source(), *k, t.at("kind"), {"clusters", "clusters_over_time", "memory", "decision"});
  task = TaskSpec{};
  if (kind == "clusters") {
    for (const char* key : {"fixation", "stimulus", "delay", "response", "step_sigma", "coherence"})
      if (const auto* x = t.get(key))
        fail(t.source(), x, t.at(key) + " has no effect with " + t.at("kind") + " = \"clusters\" (the static task)");
    return;
  }
  task.kind = kind == "memory" ? TaskKind::memory : kind == "decision" ? TaskKind::decision : TaskKind::clusters_over_time;
  task.timing.fixation = t.integer("fixation", kPhaseSteps, task.timing.fixation);
  task.timing.stimulus = t.integer("stimulus", kPhaseSteps, task.timing.stimulus);
  task.timing.delay = t.integer("delay", kPhaseSteps, task.timing.delay);
  task.timing.response = t.integer("response", kPhaseSteps, task.timing.response);
  const bool decision = task.kind == TaskKind::decision;
  if (const auto* x = t.get(decision ? "step_sigma" : "coherence"))
    fail(t.source(), x, t.at(decision ? "step_sigma" : "coherence") + " has no effect with " + t.at("kind") + " = \"" +
                            kind + "\"");
  task.step_sigma = t.real_f("step_sigma", kNonNegative, task.step_sigma);
  task.coherence = t.real_f("coherence", kFraction, task.coherence);
}

namespace {

void read_stress_levels(const Table& t, std::vector<float>& levels, bool required) {
  const auto* n = t.get("stress_levels");
  if (!n) {
    if (required) t.missing("stress_levels", "1 to 32 distinct noise sigmas >= 0");
    return;
  }
  const std::string path = t.at("stress_levels");
  const auto& a = read_array(t.source(), *n, path, "noise sigmas");
  levels.clear();
  for (std::size_t i = 0; i < a.size(); ++i)
    levels.push_back(read_float(t.source(), a[i], path + "[" + std::to_string(i) + "]", kNonNegative));
}

}  // namespace

void read_evaluation(const Table& t, MeasureSpec& m, const MeasureSpec* paper) {
  m.combined_input_sigma =
      t.real_f("combined_input_sigma", kNonNegative, paper_value(paper, &MeasureSpec::combined_input_sigma));
  m.combined_internal_sigma =
      t.real_f("combined_internal_sigma", kNonNegative, paper_value(paper, &MeasureSpec::combined_internal_sigma));
  read_stress_levels(t, m.stress_levels, !paper);
}

void read_longitudinal(const Table& t, LongitudinalSpec& L, const LongitudinalSpec* paper) {
  L.cycles = int(t.integer("cycles", kCycles, paper_value(paper, &LongitudinalSpec::cycles)));
  L.prune = read_removal(t, paper ? &paper->prune : nullptr);
  L.threshold = t.real("threshold", kPercent, paper_value(paper, &LongitudinalSpec::threshold));
}

}  // namespace chronic_stress::detail
