// config/read_arms.cpp - the [[arms]] of a study file: treatment, follow-up,
// maintenance (a list of steps run every cycle, or a list of blocks each
// with a cycle selector), the arm's own stressor by cycle, and probes. Every
// message names the arm, the block or step, and the key as a dotted path.
#include "config/config.hpp"
#include "config/schema.hpp"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace chronic_stress::detail {
namespace {

using namespace rewire;
using namespace rewire::protocol;
using namespace rewire::protocol::limits;

std::string indexed(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

// `at = [...]`, `cycles = [from, to]` and `every = k` of a block table, as
// given: which of them may be combined, and which cycles exist, is the
// library's to check (CycleSelector::validate).
CycleSelector read_selector(const Table& t) {
  const std::string& src = t.source();
  const IntRange cycle{1, kCycles.hi};
  CycleSelector sel;
  if (const auto* n = t.get("at")) {
    const auto& a = read_array(src, *n, t.at("at"), "cycle numbers");
    if (a.empty()) fail(src, n, t.at("at") + " is empty: list at least one cycle");
    for (std::size_t i = 0; i < a.size(); ++i) sel.at.push_back(int(read_integer(src, a[i], indexed(t.at("at"), i), cycle)));
  }
  if (const auto* n = t.get("cycles")) {
    const auto& a = read_array(src, *n, t.at("cycles"), "two cycle numbers [from, to]");
    if (a.size() != 2)
      fail(src, n, t.at("cycles") + " has " + std::to_string(a.size()) + " entries: expected [from, to]");
    sel.from = int(read_integer(src, a[0], indexed(t.at("cycles"), 0), cycle));
    sel.to = int(read_integer(src, a[1], indexed(t.at("cycles"), 1), cycle));
  }
  sel.every = int(t.integer("every", kEvery, 1));
  return sel;
}

MaintenanceBlock read_block(const std::string& src, const toml::node& n, const std::string& path) {
  Table t(n, path, src, {"cycles", "every", "at", "adherence", "steps"},
          "a block table such as { cycles = [1, 3], steps = [{ op = \"train\", epochs = 5, lr = 5e-4 }] }");
  MaintenanceBlock block;
  block.cycles = read_selector(t);
  block.adherence = t.real("adherence", kFraction, 1.0);
  block.steps = read_steps(t, "steps", true);
  return block;
}

// An array of steps (each cycle runs them all) or an array of blocks (tables
// with 'steps'), not a mix: the first entry decides which.
std::vector<MaintenanceBlock> read_maintenance(const Table& arm) {
  const auto* n = arm.get("maintenance");
  if (!n) return {};
  const std::string& src = arm.source();
  const std::string path = arm.at("maintenance");
  const auto& a = read_array(src, *n, path, "step tables, or block tables with 'steps'");
  if (a.empty()) return {};
  const auto is_block = [](const toml::node& e) { return e.as_table() && e.as_table()->contains("steps"); };
  const bool blocks = is_block(a[0]);
  std::vector<MaintenanceBlock> out;
  MaintenanceBlock every_cycle;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (is_block(a[i]) != blocks)
      fail(src, &a[i], indexed(path, i) + std::string(blocks ? " is a step, but " : " is a block, but ") + path +
                           "[0] is " + (blocks ? "a block" : "a step") +
                           ": write every entry as a block { cycles = [from, to], steps = [...] } when one is");
    if (blocks) out.push_back(read_block(src, a[i], indexed(path, i)));
    else every_cycle.steps.push_back(read_step(src, a[i], indexed(path, i)));
  }
  if (!blocks) out.push_back(std::move(every_cycle));
  return out;
}

// The arm's own stressor in the cycles each block selects.
std::vector<StressBlock> read_stress(const Table& arm) {
  const auto* n = arm.get("stress");
  if (!n) return {};
  const std::string& src = arm.source();
  const std::string path = arm.at("stress");
  const auto& a = read_array(src, *n, path, "stress blocks such as { cycles = [3, 4], remove_fraction = 0.0 }");
  std::vector<StressBlock> out;
  for (std::size_t i = 0; i < a.size(); ++i) {
    Table t(a[i], indexed(path, i), src, {"cycles", "every", "at", "remove_fraction", "cap", "scope"},
            "a stress block such as { cycles = [3, 4], remove_fraction = 0.0 }");
    StressBlock block;
    block.cycles = read_selector(t);
    block.prune = read_removal(t, nullptr);
    out.push_back(std::move(block));
  }
  return out;
}

std::vector<Probe> read_probes(const std::string& src, const toml::node& n, const std::string& path) {
  const auto& a = read_array(src, n, path, "probe tables");
  std::vector<Probe> probes;
  for (std::size_t i = 0; i < a.size(); ++i) {
    Table pt(a[i], indexed(path, i), src, {"name", "activation", "damping", "noise_scale", "unit_fraction", "population"},
             "a probe table such as { name = \"off\", activation = \"relu\", damping = 1.0 }");
    const auto* pn = pt.get("name");
    if (!pn) pt.missing("name", "a name such as \"off\"");
    probes.push_back(Probe{read_name(src, *pn, pt.at("name")), read_modulation(pt)});
  }
  return probes;
}

ArmSpec read_arm(const std::string& src, const toml::node& n, const std::string& path) {
  Table t(n, path, src, {"name", "treatment", "follow_up", "maintenance", "stress", "probes"});
  ArmSpec arm;
  const auto* name = t.get("name");
  if (!name) t.missing("name", "a name such as \"ketamine\"");
  arm.name = read_name(src, *name, t.at("name"));
  arm.treatment = read_steps(t, "treatment", false);
  arm.follow_up = t.boolean("follow_up", true);
  arm.maintenance = read_maintenance(t);
  arm.stress = read_stress(t);
  if (const auto* p = t.get("probes")) arm.probes = read_probes(src, *p, t.at("probes"));
  return arm;
}

}  // namespace

std::vector<ArmSpec> read_arms(const Table& top) {
  const auto* arms = top.get("arms");
  if (!arms) top.missing("arms", "at least one [[arms]] table");
  const auto& a = read_array(top.source(), *arms, "arms", "[[arms]] tables");
  std::vector<ArmSpec> out;
  for (std::size_t i = 0; i < a.size(); ++i) out.push_back(read_arm(top.source(), a[i], indexed("arms", i)));
  return out;
}

}  // namespace chronic_stress::detail
