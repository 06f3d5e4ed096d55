// tests/test_sweep_points.cpp - the points of a [sweep] (config/sweep_points.cpp):
// each point's study has its values set; a value listed twice and two points
// that make one study are refused before anything runs; a refused point is
// named by its values, at a line of the user's file.
#include "config/config.hpp"
#include "config/schema.hpp"

#include <catch2/catch.hpp>

#include <cstddef>
#include <string>
#include <vector>

using namespace chronic_stress;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

// One arm with a maintenance block over cycles 1 to 3; [sweep] is line 15.
const std::string kStudy = R"([data]
train_size = 256
standard_size = 128
clean_size = 64
batch_size = 64
[network]
widths = [2, 16, 4]
[baseline]
steps = [ { op = "train", epochs = 2, lr = 1e-2 }, { op = "prune_to", target = 0.5 } ]
[longitudinal]
cycles = 3
[[arms]]
name = "plain"
maintenance = [ { cycles = [1, 3], steps = [{ op = "train", epochs = 1, lr = 1e-3 }] } ]
[sweep]
)";

ConfigInput sweep_of(const std::string& entries) { return {"sweep.toml", kStudy + entries}; }

std::vector<PreparedStudy> prepared(const ConfigInput& input, double epoch_scale = 1.0) {
  return prepare_sweep(input, expand_sweep(input.text, input.source), epoch_scale);
}

// The message of the ConfigError that reading and preparing `input` ends in
// ("" if it is accepted).
std::string refusal(const ConfigInput& input, double epoch_scale = 1.0) {
  try {
    (void)prepared(input, epoch_scale);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

// "line:column" of the n-th `token` on the first line of `text` that holds `line_text`.
std::string position(const std::string& text, const std::string& line_text, const std::string& token, int n = 1) {
  const std::size_t at = text.find(line_text);
  REQUIRE(at != std::string::npos);
  const std::size_t begin = text.rfind('\n', at) + 1;  // npos + 1 = 0 on the first line
  std::size_t line = 1;
  for (std::size_t i = 0; i < begin; ++i) line += text[i] == '\n';
  std::size_t column = begin - 1;
  for (int k = 0; k < n; ++k) column = text.find(token, column + 1);
  return std::to_string(line) + ":" + std::to_string(column - begin + 1);
}

}  // namespace

TEST_CASE("every sweep point's study has its values set and its own hash") {
  const ConfigInput input = sweep_of("\"arms[0].maintenance[0].steps[0].lr\" = [1e-4, 3e-5]\n");
  const auto points = expand_sweep(input.text, input.source);
  const auto studies = prepare_sweep(input, points, 1.0);
  REQUIRE(studies.size() == 2);
  const float lr[] = {1e-4f, 3e-5f};
  for (std::size_t p = 0; p < 2; ++p) {
    const toml::table t = detail::parse_toml(studies[p].canonical, "canonical");
    // One block over every cycle is a plain list of steps in canonical form.
    CHECK(t.at_path("arms[0].maintenance[0].lr").value<double>() == short_float(lr[p]));
    CHECK(t.at_path("baseline.steps[0].lr").value<double>() == 0.01);
    CHECK_FALSE(t.contains("sweep"));
    CHECK(studies[p].hash == config_hash(studies[p].spec));
  }
  CHECK(studies[0].hash != studies[1].hash);
  CHECK(sweep_point_label(points[1]) == "sweep point-01 (arms[0].maintenance[0].steps[0].lr = 3e-05)");
}

TEST_CASE("a value listed twice for one swept key is refused by key and value") {
  const ConfigInput floats = sweep_of("\"longitudinal.remove_fraction\" = [0.05, 0.2, 0.2]\n");
  CHECK(refusal(floats) == "sweep.toml:" + position(floats.text, "[0.05, 0.2, 0.2]", "0.2", 2) +
                               ": sweep.\"longitudinal.remove_fraction\": the value 0.2 is listed twice (values 2 "
                               "and 3 of 3); each value is one point, so list it once");
  // 1 and 1.0 are one value of a float key (an integer key refuses 1.0).
  CHECK_THAT(refusal(sweep_of("\"data.sigma\" = [1, 0.5, 1.0]\n")),
             Contains("sweep.\"data.sigma\": the value 1.0 is listed twice (values 1 and 3 of 3)"));
  CHECK_THAT(refusal(sweep_of("\"longitudinal.scope\" = [\"global\", \"per_layer\", \"global\"]\n")),
             Contains("sweep.\"longitudinal.scope\": the value \"global\" is listed twice (values 1 and 3 of 3)"));
  // Refused as the file is read: expand_sweep, before any point's study.
  CHECK_THROWS_AS(expand_sweep(floats.text, floats.source), ConfigError);
  CHECK(refusal(sweep_of("\"longitudinal.remove_fraction\" = [0.05, 0.2]\n")).empty());
}

TEST_CASE("two sweep points that make one study are refused by name") {
  // Values that read as one 32-bit float.
  const std::string same_float = refusal(sweep_of("\"arms[0].maintenance[0].steps[0].lr\" = [1e-3, 1.00000001e-3]\n"));
  CHECK_THAT(same_float, StartsWith("sweep.toml: sweep point-00 (arms[0].maintenance[0].steps[0].lr = 0.001) and "
                                    "sweep point-01 (arms[0].maintenance[0].steps[0].lr = 0.00100000001) are the "
                                    "same study (config hash "));
  CHECK_THAT(same_float, Contains("which would run twice"));
  // Two spellings of one key: the later one sets the value of every point.
  CHECK_THAT(refusal(sweep_of("\"arms[00].maintenance[0].steps[0].lr\" = [1e-3, 2e-3]\n"
                              "\"arms[0].maintenance[0].steps[0].lr\" = [5e-4]\n")),
             StartsWith("sweep.toml: sweep point-00 (arms[00].maintenance[0].steps[0].lr = 0.001, "
                        "arms[0].maintenance[0].steps[0].lr = 5e-04) and sweep point-01 "
                        "(arms[00].maintenance[0].steps[0].lr = 0.002, arms[0].maintenance[0].steps[0].lr = 5e-04) "
                        "are the same study"));
  // Epoch counts that --epoch-scale makes equal (2 and 3 x 0.1 are both 1).
  const ConfigInput epochs = sweep_of("\"baseline.steps[0].epochs\" = [2, 3]\n");
  CHECK_THAT(refusal(epochs, 0.1), Contains("are the same study (config hash "));
  CHECK_THAT(refusal(epochs, 0.1), Contains(", epoch counts x0.1)"));
  CHECK(refusal(epochs, 1.0).empty());
}

TEST_CASE("a refused sweep point is named by its values at a line of the user's file") {
  // The swept value itself: its line and column in [sweep].
  const ConfigInput swept = sweep_of("\"arms[0].maintenance[0].cycles[0]\" = [2, 9]\n");
  CHECK_THAT(refusal(swept), StartsWith("sweep.toml:" + position(swept.text, "[2, 9]", "9") +
                                        ": sweep point-01 (arms[0].maintenance[0].cycles[0] = 9): "
                                        "arms[0].maintenance[0].cycles"));
  // A value the file holds outside [sweep] that the point's value makes
  // wrong: its own line (cycles = [1, 3] with 2 cycles).
  const ConfigInput fewer = sweep_of("\"longitudinal.cycles\" = [3, 2]\n");
  const std::string message = refusal(fewer);
  CHECK_THAT(message, StartsWith("sweep.toml:" + position(fewer.text, "cycles = [1, 3]", "3", 1) +
                                 ": sweep point-01 (longitudinal.cycles = 2): arms[0].maintenance[0].cycles"));
  // No position of a text the user never saw: one "sweep.toml:" and no other source.
  CHECK(message.find("sweep.toml", 1) == std::string::npos);
  CHECK(message.find("(sweep point") == std::string::npos);
}
