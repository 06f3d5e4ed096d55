// config/error.hpp - the one error of the config room: a configuration the
// program refuses (every reader of the room throws it).
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

namespace chronic_stress {

/// A configuration the program refuses. The message names the source, the
/// key as a dotted path (e.g. `arms[2].treatment[0].epochs`) and what is
/// allowed there. Front ends exit with status 2 on it, having created nothing.
///
/// An error raised at a place of a file keeps that place (`where`: the file,
/// with :line:column when known) apart from what is wrong there (`detail`),
/// so a caller that knows more, e.g. which sweep point was read, can say so
/// between the two without taking the message apart.
class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(const std::string& message) : std::runtime_error(message), detail_(message) {}
  ConfigError(std::string where, std::string detail)
      : std::runtime_error(where + ": " + detail), where_(std::move(where)), detail_(std::move(detail)) {}

  /// "FILE" or "FILE:LINE:COLUMN"; empty when the message names its source itself.
  const std::string& where() const noexcept { return where_; }
  /// The message after `where` (the whole message when `where` is empty).
  const std::string& detail() const noexcept { return detail_; }

 private:
  std::string where_;
  std::string detail_;
};

}  // namespace chronic_stress
