// results/run_config.cpp - see run_config.hpp.
#include "results/run_config.hpp"

#include "config/config.hpp"

#include <algorithm>
#include <cctype>

namespace chronic_stress {

using nlohmann::json;
using rewire::protocol::StudySpec;

namespace {

// TOML for a JSON value of a canonical configuration: tables become inline
// tables, strings keep their JSON escapes (valid in TOML basic strings),
// numbers their shortest round-trip form. One line per top-level key.
std::string toml_value(const json& v) {
  if (v.is_object()) {
    std::string out;
    for (const auto& [k, x] : v.items()) out += (out.empty() ? "" : ", ") + json(k).dump() + " = " + toml_value(x);
    return "{ " + out + " }";
  }
  if (v.is_array()) {
    std::string out;
    for (const auto& x : v) out += (out.empty() ? "" : ", ") + toml_value(x);
    return "[" + out + "]";
  }
  if (v.is_null()) throw ResultsError("config holds null, which no configuration value can be");
  return v.dump();
}

json canonical_json(const StudySpec& spec) { return json::parse(config_to_json(spec).dump()); }

// "/arms/2/treatment/0/sigma0" -> "arms[2].treatment[0].sigma0".
std::string dotted(const std::string& pointer) {
  std::string out;
  std::size_t i = 1;
  while (i <= pointer.size()) {
    const std::size_t j = std::min(pointer.find('/', i), pointer.size());
    const std::string token = pointer.substr(i, j - i);
    const bool index = !token.empty() && std::all_of(token.begin(), token.end(), [](char c) {
      return std::isdigit(static_cast<unsigned char>(c)) != 0;
    });
    if (token == "-") out += "[+]";  // an element appended to an array
    else out += index ? "[" + token + "]" : (out.empty() ? "" : ".") + token;
    i = j + 1;
  }
  return out;
}

template <class Json>
std::string short_dump(const Json& v) {
  std::string s = v.dump();
  return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}

}  // namespace

StudySpec spec_of_summary(const Summary& summary) {
  std::string text;
  for (const auto& [k, v] : summary.config.items()) text += json(k).dump() + " = " + toml_value(v) + "\n";
  StudySpec spec;
  try {
    spec = parse_config(text, "summary.json config");
    spec.validate();
  } catch (const std::exception& e) {
    throw ResultsError(std::string("config is not a valid configuration: ") + e.what());
  }
  if (canonical_json(spec) != summary.config)
    throw ResultsError("config is not in the canonical form chronic_stress writes");
  const std::string hash = config_hash(spec);
  if (hash != summary.config_hash)
    throw ResultsError("config_hash " + json(summary.config_hash).dump() + " is not the hash of config (" + hash + ")");
  return spec;
}

std::vector<std::string> paper_differences(const StudySpec& spec) {
  // In the configuration's own order (data, network, baseline, ...).
  const nlohmann::ordered_json paper = config_to_json(parse_config(paper_config(), kPaperConfigName));
  const nlohmann::ordered_json ours = config_to_json(spec);
  std::vector<std::string> out;
  for (const auto& op : nlohmann::ordered_json::diff(paper, ours)) {
    const std::string pointer = op.at("path").get<std::string>();
    const nlohmann::ordered_json::json_pointer at(pointer);
    const std::string path = dotted(pointer);
    const std::string kind = op.at("op").get<std::string>();
    if (kind == "replace")
      out.push_back(path + " = " + short_dump(op.at("value")) + " (paper: " +
                    short_dump(paper.at(at)) + ")");
    else if (kind == "add")
      out.push_back(path + " = " + short_dump(op.at("value")) + " (not in the paper)");
    else
      out.push_back(path + " (paper: " + short_dump(paper.at(at)) + ") is absent");
  }
  return out;
}

}  // namespace chronic_stress
