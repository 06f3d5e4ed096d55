// config/error.hpp - the one error of the config room: a configuration the
// program refuses (every reader of the room throws it).
#pragma once

#include <stdexcept>

namespace chronic_stress {

/// A configuration the program refuses. The message names the source, the
/// key as a dotted path (e.g. `arms[2].treatment[0].epochs`) and what is
/// allowed there. Front ends exit with status 2 on it, having created nothing.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace chronic_stress
