// tests/tiny_study.hpp - the tests' tiny study (tests/tiny.toml, the same
// file the script tests run), read from the source tree.
#pragma once

#include <rewire/io/files.hpp>

#include <string>

namespace chronic_stress::testing {

/// The text of tests/tiny.toml.
inline std::string tiny_study() { return rewire::io::read_file(CHRONIC_STRESS_TINY_STUDY); }

}  // namespace chronic_stress::testing
