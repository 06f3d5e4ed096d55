// tests/test_sweep_report.cpp - the sweep comparison (sweep_report.hpp) on
// hand-made point summaries: its bands and sweep.json's intervals are the
// points' bootstrap ci95, not an interval computed from mean, SD and n; the
// swept values in sweep.json keep their TOML types.
#include "report/report.hpp"
#include "tests/tiny_study.hpp"

#include <catch2/catch.hpp>
#include <rewire/io/files.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <string>
#include <unistd.h>

using namespace chronic_stress;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

Stat stat(double mean, double sd, double lo, double hi) {
  Stat s;
  s.mean = mean;
  s.sd = sd;
  s.min = lo - 7.0;  // the range is not the interval either
  s.max = hi + 7.0;
  s.ci_lo = lo;
  s.ci_hi = hi;
  s.n = 4;
  return s;
}

// A point whose intervals are far from any normal approximation
// mean +- 1.96 * sample SD / sqrt(n) (for SD 10, n 4: mean +- 11.3).
Summary point_summary(const std::string& hash, double mean, double lo, double hi) {
  Summary s;
  s.config_hash = hash;
  s.seeds = {0, 1, 2, 3};
  s.arms["plain"]["standard"] = stat(mean, 10.0, lo, hi);
  CycleSummary& L = s.longitudinal["plain"];
  L.accuracy = {stat(0, 0, 0, 0), stat(mean - 5.0, 10.0, lo - 5.0, hi - 5.0)};  // cycles 0 and 1
  L.relapse_cycles = {1, std::nullopt, 1, std::nullopt};  // relapsed shares 100, 0, 100, 0
  L.relapsed = 2;
  return s;
}

}  // namespace

TEST_CASE("sweep bands and sweep.json intervals are the points' bootstrap ci95") {
  const fs::path dir = fs::temp_directory_path() / ("rewire-sweep-report-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  PreparedStudy study = prepare_study(testing::tiny_study(), "test", 1.0);
  auto& arms = study.spec.arms;  // the summaries below are of the arm "plain" alone
  arms.erase(std::remove_if(arms.begin(), arms.end(), [](const auto& a) { return a.name != "plain"; }), arms.end());
  std::vector<SweepPoint> points(2);
  points[0] = {{{"longitudinal.remove_fraction", 0, "0.1", 0.1}}, "point-00"};
  points[1] = {{{"longitudinal.remove_fraction", 1, "0.2", 0.2}}, "point-01"};
  const std::vector<Summary> summaries{point_summary("00000000000000aa", 50.0, 20.0, 60.0),
                                       point_summary("00000000000000bb", 70.0, 65.0, 71.0)};
  write_sweep_results(points, {study, study}, summaries, dir, true);

  const json doc = json::parse(rewire::io::read_file(dir / "sweep.json"));
  const json& p0 = doc["points"][0]["arms"]["plain"];
  CHECK(p0["standard"]["ci95"] == json({20.0, 60.0}));
  CHECK(p0["final_accuracy"]["ci95"] == json({15.0, 55.0}));
  // Relapsed shares 100, 0, 100, 0: a resample of 4 is all 0 with
  // probability 1/16 = 6.25% and all 100 likewise, so both 2.5% tails of
  // the 10,000 resampled means sit at 0 and 100.
  CHECK(p0["relapsed_share"]["mean"] == 50.0);
  CHECK(p0["relapsed_share"]["ci95"] == json({0.0, 100.0}));
  CHECK(doc["points"][1]["arms"]["plain"]["standard"]["ci95"] == json({65.0, 71.0}));

  // The figure's data: x mean band_lo band_hi label, the band being ci95.
  const std::string dat = rewire::io::read_file(dir / "figures" / "sweep_standard.dat");
  CHECK_THAT(dat, Catch::Matchers::Contains("0.1000 50.0000 20.0000 60.0000"));
  CHECK_THAT(dat, Catch::Matchers::Contains("0.2000 70.0000 65.0000 71.0000"));
  const std::string md = rewire::io::read_file(dir / "sweep.md");
  CHECK_THAT(md, Catch::Matchers::Contains("50.0 ± 10.0 [20.0, 60.0]"));
  CHECK_THAT(md, Catch::Matchers::Contains("bootstrap 95% interval"));
  fs::remove_all(dir);
}

TEST_CASE("sweep.json stores each swept value with its TOML type") {
  const fs::path dir = fs::temp_directory_path() / ("rewire-sweep-types-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  // One arm, "plain", as point_summary has; a key of every type the schema has.
  const ConfigInput input{"types.toml", R"([network]
widths = [2, 16, 4]
[baseline]
steps = [ { op = "train", epochs = 2, lr = 1e-2 }, { op = "prune_to", target = 0.5 } ]
[[arms]]
name = "plain"
maintenance = [ { op = "train", epochs = 1, lr = 1e-3 } ]
[sweep]
"longitudinal.cycles" = [2, 3]
"longitudinal.remove_fraction" = [0.1]
"longitudinal.scope" = ["global"]
"network.widths" = [[2, 16, 4]]
"numerics.flush_denormals" = [true]
)"};
  const auto points = expand_sweep(input.text, input.source);
  const auto studies = prepare_sweep(input, points, 1.0);
  const std::vector<Summary> summaries{point_summary("00000000000000aa", 50.0, 20.0, 60.0),
                                       point_summary("00000000000000bb", 70.0, 65.0, 71.0)};
  write_sweep_results(points, studies, summaries, dir, true);

  const json doc = json::parse(rewire::io::read_file(dir / "sweep.json"));
  CHECK(doc["schema"] == "rewire.chronic_stress.sweep/3");
  const json& values = doc["points"][1]["values"];
  CHECK(values["longitudinal.cycles"].is_number_integer());
  CHECK(values["longitudinal.cycles"] == 3);
  CHECK(values["longitudinal.remove_fraction"].is_number_float());
  CHECK(values["longitudinal.remove_fraction"] == 0.1);
  CHECK(values["longitudinal.scope"] == "global");  // the string, not its TOML text "\"global\""
  CHECK(values["network.widths"] == json({2, 16, 4}));
  CHECK(values["numerics.flush_denormals"] == true);
  // sweep.md names the points as the study file spells their values.
  CHECK_THAT(rewire::io::read_file(dir / "sweep.md"),
             Catch::Matchers::Contains("`longitudinal.cycles = 3, longitudinal.remove_fraction = 0.1, "
                                       "longitudinal.scope = \"global\", network.widths = [2, 16, 4], "
                                       "numerics.flush_denormals = true`"));
  fs::remove_all(dir);
}
