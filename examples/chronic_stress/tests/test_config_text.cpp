// tests/test_config_text.cpp - the TOML text a cohort patient runs from
// (config/toml_text.cpp): it reads back to the same tree, whatever numbers,
// strings and keys the study file holds.
#include "config/config.hpp"
#include "config/schema.hpp"
#include "config/toml_reader.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace chronic_stress;

namespace {

toml::table parsed(const std::string& text) { return detail::parse_toml(text, "test.toml"); }

}  // namespace

TEST_CASE("a TOML tree written out reads back to the same tree") {
  // Small, huge, signed and non-finite floats, the extreme integers, escapes,
  // quoted keys, tables in arrays, arrays of tables and nested tables.
  const std::string text = R"(
tiny = [1e-3, -2.5e-300, 0.0, -0.0, 5e-324, 1.7976931348623157e308, inf, -inf]
ints = [-9223372036854775808, 9223372036854775807, 0, -1]
one = 1.0
word = "a \"quoted\"\tword\\ with\nescapes and \u0001"
"key with spaces" = true
mixed = [ { op = "train", lr = 1e-5 }, { op = "prune_to", target = 0.95 } ]
empty = []
inline = {}
[section]
nested = { deeper = { x = 0.01 } }
[section.sub]
y = 2
[[arms]]
name = "a"
[[arms]]
name = "b"
steps = [ [0.001, 2], ["x"] ]
)";
  const toml::table original = parsed(text);
  const std::string written = detail::toml_document(original);
  INFO(written);
  CHECK(parsed(written) == original);
  CHECK(detail::toml_document(parsed(written)) == written);
  // A float stays a float, nan stays nan (no tree compares equal with nan).
  CHECK(detail::toml_inline(*original.get("one")) == "1.0");
  CHECK(detail::toml_document(parsed("x = nan\n")) == "x = nan\n");
}

TEST_CASE("a value in a message is shown as typed and cut after 60 characters") {
  const toml::table t = parsed("a = [0.001, 1e-9]\nb = \"" + std::string(80, 'z') + "\"\n");
  CHECK(detail::show(*t.get("a")) == "[0.001, 1e-09]");
  CHECK(detail::show(*t.get("b")).size() == 60);
}
