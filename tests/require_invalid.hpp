// tests/require_invalid.hpp - the check every refusal test makes: `expr`
// throws std::invalid_argument whose message names `name` (any case).
#pragma once

#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>

namespace rewire_test {

/// Matches a std::invalid_argument whose message contains `name`.
struct Naming : Catch::MatcherBase<std::invalid_argument> {
  explicit Naming(std::string n) : name(std::move(n)) {}
  bool match(const std::invalid_argument& e) const override {
    return Catch::Matchers::Contains(name, Catch::CaseSensitive::No).match(e.what());
  }
  std::string describe() const override { return "names \"" + name + "\""; }
  std::string name;
};

}  // namespace rewire_test

#define REQUIRE_INVALID(expr, name) REQUIRE_THROWS_MATCHES(expr, std::invalid_argument, rewire_test::Naming(name))
