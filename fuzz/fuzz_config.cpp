// fuzz_config - libFuzzer target for the TOML configuration reader of
// chronic_stress (parse_config: toml++ and the schema checks of config.cpp),
// followed by what prepare_study does with an accepted spec. Every input must
// end in a spec or a ConfigError (std::invalid_argument from the epoch
// scaling, which prepare_study translates into a ConfigError, counts as one);
// anything else (another exception, a crash, a sanitizer report, a canonical
// form that does not read back) is a finding.
#include "config/config.hpp"

#include <rewire/protocol/study.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  rewire::protocol::StudySpec spec;
  try {
    spec = chronic_stress::parse_config(text, "fuzz.toml");
  } catch (const chronic_stress::ConfigError&) {
    return 0;
  }
  // parse_config promises that whatever it accepts the library accepts too,
  // and that its canonical form reads back to the same canonical form.
  spec.validate();
  const std::string canonical = chronic_stress::canonical_toml(spec);
  if (chronic_stress::canonical_toml(chronic_stress::parse_config(canonical, "canonical")) != canonical) {
    std::fprintf(stderr, "canonical TOML does not read back to itself:\n%s\n", canonical.c_str());
    std::abort();
  }
  (void)chronic_stress::estimate_memory(spec, 2, 10).total();
  try {  // prepare_study's --epoch-scale step, at the smoke tests' scale
    rewire::protocol::scale_epochs(spec, 0.05);
    spec.validate();
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
