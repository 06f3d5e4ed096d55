// config/prepare.cpp - a study file from its source to a PreparedStudy: the
// one path every front end (chronic_stress, chronic_stress_mpi, Python)
// takes, so messages and config hashes agree (config.hpp).
#include "config/config.hpp"

#include <rewire/io/files.hpp>
#include <rewire/version.hpp>

#include <cstdio>
#include <stdexcept>
#include <utility>

namespace chronic_stress {

ConfigInput read_config(const std::string& path) {
  if (path.empty()) return {kPaperConfigName, std::string(paper_config())};
  try {
    return {path, rewire::io::read_file(path)};
  } catch (const std::exception&) {
    throw ConfigError("cannot read config file '" + path + "'");
  }
}

PreparedStudy prepare_study(const std::string& toml_text, const std::string& source, double epoch_scale) {
  return prepare_spec(parse_config(toml_text, source), source, epoch_scale);
}

PreparedStudy prepare_spec(rewire::protocol::StudySpec spec, const std::string& source, double epoch_scale) {
  PreparedStudy study;
  study.spec = std::move(spec);
  try {
    rewire::protocol::scale_epochs(study.spec, epoch_scale);
    study.spec.validate();
  } catch (const std::invalid_argument& e) {
    throw ConfigError(source, e.what());
  }
  study.canonical = canonical_toml(study.spec);
  study.hash = fnv1a64_hex(study.canonical);
  study.epoch_scale = epoch_scale;
  return study;
}

std::string config_file_text(const PreparedStudy& study) {
  char scale[64];
  std::snprintf(scale, sizeof scale, "%g", study.epoch_scale);
  return "# Effective configuration of a chronic_stress run (rewire " + std::string(rewire::version) +
         "): every default spelled out,\n# epoch counts already multiplied by --epoch-scale " + scale +
         ". config_hash " + study.hash + " is the FNV-1a 64\n# hash of the text below this header. Rerun with "
         "`chronic_stress --config config.toml`.\n\n" +
         study.canonical;
}

}  // namespace chronic_stress
