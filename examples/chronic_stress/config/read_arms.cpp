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

std::string indexed(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

// `at = [...]` or `cycles = [from, to]` and `every = k` of a block table;
// every cycle named must exist (1..cycles), and the block must select one.
CycleSelector read_selector(const Table& t, int cycles) {
  const std::string& src = t.source();
  const std::string range = "1.." + std::to_string(cycles);
  CycleSelector sel;
  if (const auto* n = t.get("at")) {
    for (const char* other : {"cycles", "every"})
      if (const auto* o = t.get(other))
        fail(src, o, t.at(other) + " cannot be combined with " + t.at("at") +
                         ": a block lists its cycles, or gives a range (and a step)");
    const auto& a = read_array(src, *n, t.at("at"), "cycle numbers");
    if (a.empty()) fail(src, n, t.at("at") + " is empty: list at least one cycle of " + range);
    for (std::size_t i = 0; i < a.size(); ++i) {
      const int c = int(read_integer(src, a[i], indexed(t.at("at"), i), 1, std::max(cycles, 1)));
      if (!sel.at.empty() && c <= sel.at.back())
        fail(src, &a[i], indexed(t.at("at"), i) + " = " + std::to_string(c) +
                             ": list the cycles in increasing order, each once");
      sel.at.push_back(c);
    }
    return sel;
  }
  if (const auto* n = t.get("cycles")) {
    const auto& a = read_array(src, *n, t.at("cycles"), "two cycle numbers [from, to]");
    if (a.size() != 2)
      fail(src, n, t.at("cycles") + " has " + std::to_string(a.size()) + " entries: expected [from, to]");
    sel.from = int(read_integer(src, a[0], indexed(t.at("cycles"), 0), 1, std::max(cycles, 1)));
    sel.to = int(read_integer(src, a[1], indexed(t.at("cycles"), 1), sel.from, 1000));
  }
  sel.every = int(t.integer("every", 1, 1000, 1));
  return sel;
}

MaintenanceBlock read_block(const std::string& src, const toml::node& n, const std::string& path, int cycles) {
  Table t(n, path, src, {"cycles", "every", "at", "steps"},
          "a block table such as { cycles = [1, 3], steps = [{ op = \"train\", epochs = 5, lr = 5e-4 }] }");
  MaintenanceBlock block;
  block.cycles = read_selector(t, cycles);
  block.steps = read_steps(t, "steps", true);
  if (block.steps.empty()) fail(src, t.get("steps"), t.at("steps") + " is empty: a block needs at least one step");
  return block;
}

// An array of steps (each cycle runs them all) or an array of blocks (tables
// with 'steps'), not a mix: the first entry decides which.
std::vector<MaintenanceBlock> read_maintenance(const Table& arm, int cycles) {
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
    if (blocks) out.push_back(read_block(src, a[i], indexed(path, i), cycles));
    else every_cycle.steps.push_back(read_step(src, a[i], indexed(path, i)));
  }
  if (!blocks) out.push_back(std::move(every_cycle));
  return out;
}

// The arm's own stressor in the cycles each block selects.
std::vector<StressBlock> read_stress(const Table& arm, int cycles) {
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
    block.cycles = read_selector(t, cycles);
    block.prune = read_removal(t, nullptr);
    out.push_back(std::move(block));
  }
  return out;
}

std::vector<Probe> read_probes(const std::string& src, const toml::node& n, const std::string& path) {
  const auto& a = read_array(src, n, path, "probe tables");
  if (a.size() > kMaxProbes)
    fail(src, &n, path + " has " + std::to_string(a.size()) + " entries: expected at most " +
                      std::to_string(kMaxProbes));
  std::vector<Probe> probes;
  for (std::size_t i = 0; i < a.size(); ++i) {
    Table pt(a[i], indexed(path, i), src, {"name", "activation", "damping"},
             "a probe table such as { name = \"off\", activation = \"relu\", damping = 1.0 }");
    const auto* pn = pt.get("name");
    if (!pn) pt.missing("name", "a name such as \"off\"");
    Probe probe{read_name(src, *pn, pt.at("name")), read_modulation(pt)};
    for (const auto& other : probes)
      if (other.name == probe.name) fail(src, pn, pt.at("name") + " = \"" + probe.name + "\" is used twice in " + path);
    probes.push_back(std::move(probe));
  }
  return probes;
}

ArmSpec read_arm(const std::string& src, const toml::node& n, const std::string& path, int cycles) {
  Table t(n, path, src, {"name", "treatment", "follow_up", "maintenance", "stress", "probes"});
  ArmSpec arm;
  const auto* name = t.get("name");
  if (!name) t.missing("name", "a name such as \"ketamine\"");
  arm.name = read_name(src, *name, t.at("name"));
  arm.treatment = read_steps(t, "treatment", false);
  arm.follow_up = t.boolean("follow_up", true);
  arm.maintenance = read_maintenance(t, cycles);
  arm.stress = read_stress(t, cycles);
  if (const auto* p = t.get("probes")) arm.probes = read_probes(src, *p, t.at("probes"));
  // Follow-up-only settings would be silently ignored: refuse them.
  if (!arm.follow_up)
    for (const char* key : {"maintenance", "stress", "probes"})
      if (const auto* k = t.get(key); k && !(k->as_array() && k->as_array()->empty()))
        fail(src, k, t.at(key) + " has no effect when " + t.at("follow_up") + " = false; remove it");
  return arm;
}

}  // namespace

std::vector<ArmSpec> read_arms(const Table& top, int cycles) {
  const std::string& source = top.source();
  const auto* arms = top.get("arms");
  if (!arms) top.missing("arms", "at least one [[arms]] table");
  const auto& a = read_array(source, *arms, "arms", "[[arms]] tables");
  if (a.empty() || a.size() > 64)
    fail(source, arms, "arms has " + std::to_string(a.size()) + " entries: expected 1 to 64");
  std::vector<ArmSpec> out;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const std::string path = indexed("arms", i);
    out.push_back(read_arm(source, a[i], path, cycles));
    for (std::size_t j = 0; j < i; ++j)
      if (out[j].name == out[i].name)
        fail(source, a[i].as_table()->get("name"),
             path + ".name = \"" + out[i].name + "\" is already used by arms[" + std::to_string(j) + "]");
  }
  return out;
}

}  // namespace chronic_stress::detail
