// config/locate.cpp - what the library refuses of a spec, said in the study
// file's terms: the keys spelled as the file spells them and the position
// of the value (schema.hpp: toml_key, fail_at).
#include "config/schema.hpp"

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace chronic_stress::detail {
namespace {

// Where StudySpec's field paths and the file's keys differ (the first match
// of `from` is replaced; each rule moves the path one step closer to the
// file). Order matters: the longer names first.
const std::pair<const char*, const char*> kRenames[] = {
    {"relapse.prune.fraction", "relapse.remove_fraction"},
    {"relapse.prune.", "relapse."},
    {"longitudinal.prune.fraction", "longitudinal.remove_fraction"},
    {"longitudinal.prune.", "longitudinal."},
    {".prune.fraction", ".remove_fraction"},
    {".prune.", "."},
    {".cycles.range", ".cycles"},
    {".cycles.from", ".cycles[0]"},
    {".cycles.to", ".cycles[1]"},
    {".cycles.every", ".every"},
    {".cycles.at", ".at"},
    {".options.init_sd", ".sd"},
    {".options.", "."},
    {".modulation.", "."},
    {".modulation", ""},
    {"measure.", "evaluation."},
    {"rnn.", "network."},
    {"task.timing.", "task."},
};

bool starts_with(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

// The file's key of a top-level field: widths, baseline[i], flush_denormals.
std::string top_level(const std::string& key) {
  if (starts_with(key, "widths")) return "network." + key;
  if (starts_with(key, "baseline[")) return "baseline.steps" + key.substr(8);
  if (starts_with(key, "flush_denormals")) return "numerics." + key;
  if (key == "network") return "network.kind";
  return key;
}

// One step of a dotted path: a key and the array indices after it.
struct Segment {
  std::string key;
  std::vector<std::size_t> indices;
};

std::vector<Segment> segments(const std::string& path) {
  std::vector<Segment> out;
  std::size_t i = 0;
  while (i < path.size()) {
    Segment s;
    while (i < path.size() && path[i] != '.' && path[i] != '[') s.key += path[i++];
    while (i < path.size() && path[i] == '[') {
      const std::size_t close = path.find(']', i);
      if (close == std::string::npos) return out;
      s.indices.push_back(std::stoul(path.substr(i + 1, close - i - 1)));
      i = close + 1;
    }
    out.push_back(std::move(s));
    if (i < path.size() && path[i] == '.') ++i;
  }
  return out;
}

// The node the file's key names, or the deepest one on the way to it.
const toml::node* locate(const toml::table& root, const std::string& key) {
  const toml::node* at = &root;
  for (const Segment& s : segments(key)) {
    const toml::table* t = at->as_table();
    const toml::node* next = t ? t->get(s.key) : nullptr;
    if (!next) return at;
    at = next;
    for (std::size_t index : s.indices) {
      const toml::array* a = at->as_array();
      if (!a || index >= a->size()) return at;
      at = a->get(index);
    }
  }
  return at;
}

// A maintenance that is a plain list of steps is one block to the library:
// arms[a].maintenance[0].steps[i] is arms[a].maintenance[i] in the file.
std::string plain_maintenance(std::string key, const toml::table& root) {
  const std::size_t at = key.find(".maintenance[0].steps[");
  if (at == std::string::npos) return key;
  const toml::node* list = locate(root, key.substr(0, at) + ".maintenance");
  const toml::array* a = list ? list->as_array() : nullptr;
  const bool blocks = a && !a->empty() && a->get(0)->as_table() && a->get(0)->as_table()->contains("steps");
  if (a && !blocks) key.replace(at, std::string(".maintenance[0].steps").size(), ".maintenance");
  return key;
}

}  // namespace

std::string toml_key(const std::string& key, const toml::table& root) {
  std::string out = top_level(key);
  for (const auto& [from, to] : kRenames) {
    const std::size_t at = out.find(from);
    if (at != std::string::npos) out.replace(at, std::string(from).size(), to);
  }
  return plain_maintenance(out, root);
}

void fail_at(const Table& top, const rewire::SpecError& error) {
  const toml::table& root = *top.node().as_table();
  const std::string message = error.render([&root](const std::string& k) { return toml_key(k, root); });
  const toml::node* node = locate(root, toml_key(error.key(), root));
  fail(top.source(), node, message);
}

}  // namespace chronic_stress::detail
