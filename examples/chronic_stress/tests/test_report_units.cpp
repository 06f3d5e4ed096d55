// tests/test_report_units.cpp - unit tests of the study program's results model,
// statistics, comparison rule, paper detection and PNG check. Expected values
// are worked out by hand in the comments.
#include "report/comparison.hpp"
#include "config/config.hpp"
#include "report/gnuplot.hpp"
#include "results/model.hpp"
#include "results/run_config.hpp"
#include "results/statistics.hpp"

#include <catch2/catch.hpp>
#include <rewire/protocol/metric_keys.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

using namespace chronic_stress;
using Catch::Matchers::Contains;
using nlohmann::json;
namespace metric = rewire::protocol::metric;

TEST_CASE("stats gives the mean, population SD, min and max") {
  // 2, 4, 4, 4, 5, 5, 7, 9: mean 40/8 = 5; squared deviations 9+1+1+1+0+0+4+16
  // = 32; population SD sqrt(32/8) = 2 (the sample SD would be sqrt(32/7)).
  const Stat s = stats({2, 4, 4, 4, 5, 5, 7, 9});
  CHECK(s.mean == 5.0);
  CHECK(s.sd == 2.0);
  CHECK(s.min == 2.0);
  CHECK(s.max == 9.0);
  CHECK(s.n == 8);
  const Stat none = stats({});
  CHECK(none.n == 0);
  CHECK_FALSE(none.ok());
}

namespace {
Stat stat_of(double mean, double sd, std::size_t n = 3) {
  Stat s;
  s.mean = mean, s.sd = sd, s.min = mean, s.max = mean, s.n = n;
  return s;
}
}  // namespace

TEST_CASE("sparsity is flagged beyond 0.1 points, on both sides") {
  CHECK(compare(stat_of(47.61, 0), {47.5, 0}, Kind::sparsity, 3, 10).flagged);
  CHECK_FALSE(compare(stat_of(47.59, 0), {47.5, 0}, Kind::sparsity, 3, 10).flagged);
  CHECK(compare(stat_of(94.89, 0), {95.0, 0}, Kind::sparsity, 3, 10).flagged);
  CHECK_FALSE(compare(stat_of(94.91, 0), {95.0, 0}, Kind::sparsity, 3, 10).flagged);
  // Exactly at the tolerance in decimal (95.1 - 95.0 is 0.0999999... or
  // 0.1000...1 in binary): not flagged.
  CHECK_FALSE(compare(stat_of(95.1, 0), {95.0, 0}, Kind::sparsity, 3, 10).flagged);
}

TEST_CASE("accuracies: the floor of 1 point or two standard errors, whichever is larger") {
  // Published values are means over 10 seeds. SDs 0 and 0.2, n = 3:
  // 2 sqrt(0 / 3 + 0.04 / 10) = 0.13 < 1, so the tolerance is 1.
  const Verdict floor_above = compare(stat_of(96.22, 0), {97.3, 0.2}, Kind::accuracy, 3, 10);
  CHECK(floor_above.tolerance == 1.0);
  CHECK(floor_above.flagged);  // |d| = 1.08
  CHECK_FALSE(compare(stat_of(96.38, 0), {97.3, 0.2}, Kind::accuracy, 3, 10).flagged);  // 0.92
  // SDs 3 (n = 2) and 4 (n = 10): 2 sqrt(9 / 2 + 16 / 10) = 2 sqrt(6.1) = 4.9396.
  const Verdict sd_term = compare(stat_of(50.0, 3, 2), {45.0, 4}, Kind::accuracy, 2, 10);
  CHECK(sd_term.tolerance == Approx(4.9396356140913875));
  CHECK(sd_term.flagged);  // |d| = 5.0
  CHECK_FALSE(compare(stat_of(50.0, 3, 2), {45.1, 4}, Kind::accuracy, 2, 10).flagged);  // 4.9
  // A published mean without SD borrows ours: 2 sqrt(9 / 2 + 9 / 10) = 2 sqrt(5.4) = 4.6476.
  CHECK(compare(stat_of(50.0, 3, 2), {45.3, kNaN}, Kind::accuracy, 2, 10).flagged);        // 4.7
  CHECK_FALSE(compare(stat_of(50.0, 3, 2), {45.4, kNaN}, Kind::accuracy, 2, 10).flagged);  // 4.6
  // Nothing to compare with: not comparable, not flagged.
  const Verdict none = compare(stat_of(50.0, 3), Ref{}, Kind::accuracy, 3, 10);
  CHECK_FALSE(none.comparable);
  CHECK_FALSE(none.flagged);
}

TEST_CASE("each mean's standard error uses its own number of seeds") {
  // 100 seeds of ours (SD 7.9) against the published 10 (SD 8.8): the
  // published mean's error dominates: 2 sqrt(62.41 / 100 + 77.44 / 10) =
  // 5.7855. With 100 on both sides it would be 2 sqrt(139.85 / 100) = 2.37
  // and a difference of 4.0 would be flagged although the published mean
  // alone is uncertain by +-2.8 (one standard error).
  const Verdict many = compare(stat_of(85.3, 7.9, 100), {81.3, 8.8}, Kind::accuracy, 100, 10);
  CHECK(many.tolerance == Approx(5.785533683248246));
  CHECK_FALSE(many.flagged);
  CHECK(compare(stat_of(87.2, 7.9, 100), {81.3, 8.8}, Kind::accuracy, 100, 10).flagged);  // 5.9
  // Ten seeds on both sides: 2 sqrt((SD_ours^2 + SD_pub^2) / 10).
  CHECK(compare(stat_of(85.3, 7.9, 10), {81.3, 8.8}, Kind::accuracy, 10, 10).tolerance ==
        Approx(7.479304780526062));
}

TEST_CASE("relapse counts and the mean relapse cycle, on both sides of their tolerances") {
  // 3 seeds: tolerance max(2, 0.6) = 2 seeds; published 2 of 10 -> 0.6 of 3.
  CHECK(count_flagged(3, 3, 2, 10));         // |3 - 0.6| = 2.4
  CHECK_FALSE(count_flagged(2, 3, 0, 10));   // |2 - 0| = 2, at the tolerance
  CHECK_FALSE(count_flagged(1, 3, 4, 10));   // |1 - 1.2| = 0.2
  // 20 seeds: tolerance max(2, 4) = 4; published 4 of 10 -> 8 of 20.
  CHECK(count_flagged(13, 20, 4, 10));        // 5
  CHECK_FALSE(count_flagged(12, 20, 4, 10));  // 4
  CHECK(cycle_flagged(5.6, 8.0));             // 2.4
  CHECK_FALSE(cycle_flagged(6.0, 8.0));       // 2.0
  CHECK(cycle_flagged(10.5, 8.0));            // 2.5
}

namespace {

SeedRecord a_record() {
  SeedRecord r;
  r.seed = 7;
  r.config_hash = "0123456789abcdef";
  r.library_version = "9.9.9";
  r.seconds = 1.5;
  ArmRecord& a = r.arms["ketamine"];
  a.metrics = {{metric::combined, 97.5}, {metric::relapse_drop, std::nullopt}};
  a.diverged = true;
  a.longitudinal = CycleSeries{{47.5, 52.7}, {97.5, std::nullopt}, 1};
  r.arms["untreated"].metrics = {{metric::combined, 28.0}};
  return r;
}

std::string error_of(const json& doc) {
  try {
    seed_from_json(doc);
  } catch (const ResultsError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("a seed record reads back from its JSON") {
  const SeedRecord r = a_record();
  const json doc = json::parse(to_json(r).dump());
  CHECK(doc.at("arms").at("ketamine").at("metrics").at(metric::relapse_drop).is_null());
  CHECK(doc.at("arms").at("untreated").at("longitudinal").is_null());
  const SeedRecord back = seed_from_json(doc);
  CHECK(back.seed == 7);
  CHECK(back.arms.at("ketamine").metrics == r.arms.at("ketamine").metrics);
  CHECK(back.arms.at("ketamine").longitudinal->accuracy == r.arms.at("ketamine").longitudinal->accuracy);
  CHECK(back.arms.at("ketamine").longitudinal->relapse_cycle == 1);
  CHECK(to_json(back) == doc);
}

TEST_CASE("a malformed seed file is refused with the field it gets wrong") {
  const json good = json::parse(to_json(a_record()).dump());
  json doc = good;
  doc["arms"]["ketamine"]["metrics"][metric::combined] = "high";
  CHECK(error_of(doc) == "arms.ketamine.metrics.combined is not a number");
  doc = good;
  doc["arms"]["ketamine"]["longitudinal"]["accuracy"][0] = true;
  CHECK(error_of(doc) == "arms.ketamine.longitudinal.accuracy[0] is not a number");
  doc = good;
  doc["arms"]["z`touch x`"] = good["arms"]["untreated"];
  CHECK_THAT(error_of(doc), Contains("arms.\"z`touch x`\" is not a valid name"));
  doc = good;
  doc["arms"]["ketamine"]["extra"] = 1;
  CHECK(error_of(doc) == "arms.ketamine.extra is not a field here");
  doc = good;
  doc.erase("seconds");
  CHECK(error_of(doc) == "seconds is missing");
  doc = good;
  doc["schema"] = "rewire.chronic_stress.summary/1";
  CHECK_THAT(error_of(doc), Contains("schema is \"rewire.chronic_stress.summary/1\""));
}

TEST_CASE("names: letters, digits, '_', '.', '-' only") {
  CHECK(is_valid_name(metric::stress(2.5f)));  // "stress_2.5": metric names hold a '.'
  CHECK(is_valid_name("neurosteroid-ssri"));
  CHECK_FALSE(is_valid_name(""));
  CHECK_FALSE(is_valid_name("a b"));
  CHECK_FALSE(is_valid_name("z`id`"));
  CHECK_FALSE(is_valid_name("a\"b"));
  CHECK_FALSE(is_valid_name("a\nb"));
  CHECK_FALSE(is_valid_name(std::string(81, 'a')));
}

namespace {
Summary summary_of(const rewire::protocol::StudySpec& spec) {
  Summary s;
  s.config = json::parse(config_to_json(spec).dump());
  s.config_hash = config_hash(spec);
  return s;
}
}  // namespace

TEST_CASE("the paper's protocol is recognised from the canonical configuration, any changed value is not") {
  const auto paper = parse_config(paper_config(), kPaperConfigName);
  const auto back = spec_of_summary(summary_of(paper));
  CHECK(config_hash(back) == config_hash(paper));
  CHECK(paper_differences(back).empty());

  auto variant = paper;
  std::get<rewire::protocol::PruneTo>(variant.baseline.at(1)).target = 0.90;
  std::get<rewire::protocol::TrainWithStress>(variant.arms.at(2).treatment.at(0)).sigma0 = 1.5f;
  const auto diff = paper_differences(spec_of_summary(summary_of(variant)));
  REQUIRE(diff.size() == 2);
  CHECK(diff[0] == "baseline.steps[1].target = 0.9 (paper: 0.95)");
  CHECK(diff[1] == "arms[2].treatment[0].sigma0 = 1.5 (paper: 0.5)");

  auto scaled = paper;
  rewire::protocol::scale_epochs(scaled, 0.5);
  CHECK(paper_differences(scaled).size() == 7);  // every training step's epochs
}

TEST_CASE("a summary whose config does not hash to its config_hash is refused") {
  Summary s = summary_of(parse_config(paper_config(), kPaperConfigName));
  s.config["longitudinal"]["cycles"] = 3;
  CHECK_THROWS_WITH(spec_of_summary(s), Contains("is not the hash of config"));
  s = summary_of(parse_config(paper_config(), kPaperConfigName));
  s.config["data"]["train_size"] = "big";
  CHECK_THROWS_AS(spec_of_summary(s), ResultsError);
}

namespace {
std::string chunk(const std::string& type, const std::string& data) {
  const auto n = data.size();
  std::string length{char(n >> 24), char(n >> 16), char(n >> 8), char(n)};
  return length + type + data + std::string(4, '\0');  // the CRC is not checked
}

bool complete(const std::string& bytes, std::string& why) {
  const auto file = std::filesystem::temp_directory_path() / "chronic_stress_png_test.png";
  std::ofstream(file, std::ios::binary) << bytes;
  const bool ok = png_complete(file, why);
  std::filesystem::remove(file);
  return ok;
}
}  // namespace

TEST_CASE("png_complete accepts a whole PNG and refuses a truncated one") {
  const std::string signature("\x89PNG\r\n\x1a\n", 8);
  const std::string png = signature + chunk("IHDR", std::string(13, '\1')) + chunk("IDAT", "xyz") + chunk("IEND", "");
  std::string why;
  CHECK(complete(png, why));
  CHECK_FALSE(complete(png.substr(0, png.size() - 1), why));  // cut inside IEND
  CHECK_FALSE(complete(png.substr(0, 40), why));              // cut inside IDAT
  CHECK_THAT(why, Contains("truncated"));
  CHECK_FALSE(complete(signature + chunk("IHDR", std::string(13, '\1')), why));  // no IEND
  CHECK_FALSE(complete(png + "junk", why));
  CHECK_FALSE(complete("GIF89a", why));
}

namespace {
// A summary with one value in each clinical section (values made up: only
// their way through JSON is under test).
Summary clinical_summary() {
  Summary s;
  s.config = json::object();
  Stat st = stats({1.0, 2.0, 4.0});
  st.ci_lo = 1.25;
  st.ci_hi = 3.5;
  s.arms["a"]["combined"] = st;
  ClinicalSummary& c = s.clinical;
  c.outcomes["a"] = {3, 1, 2, 1, 3, 0};
  c.survival["a"] = {{1, 2}, {3, 2}, {1, 0}, {0, 2}, {2.0 / 3.0, 2.0 / 3.0}};
  c.survival["b"] = {{1, 2}, {0, 0}, {0, 0}, {0, 0}, {kNaN, kNaN}};  // no responder: null estimates
  c.logrank["a"]["b"] = {16.79, 4.2e-5};
  c.logrank["a"]["c"] = {};  // nothing to test: nulls
  c.paired["a"]["b"]["combined"] = {-57.0, -60.5, -52.0, 3};
  c.dose["a"]["efficacy"] = stats({});
  c.dose["a"]["gain"] = st;
  return s;
}
}  // namespace

TEST_CASE("the clinical sections of summary.json read back as written") {
  const json doc = json::parse(to_json(clinical_summary()).dump());
  CHECK(doc["arms"]["a"]["combined"]["ci95"] == json::array({1.25, 3.5}));
  CHECK(doc["dose"]["a"]["efficacy"]["ci95"].is_null());
  CHECK(doc["survival"]["b"]["estimate"] == json::array({nullptr, nullptr}));
  CHECK(doc["logrank"]["a"]["c"]["chi2"].is_null());
  const Summary back = summary_from_json(doc);
  CHECK(to_json(back) == doc);
  CHECK(back.clinical.outcomes.at("a").relapsed == 2);
  CHECK(back.clinical.paired.at("a").at("b").at("combined").ci_lo == -60.5);
}

TEST_CASE("a summary with a broken interval or a missing section is refused, naming the field") {
  json doc = json::parse(to_json(clinical_summary()).dump());
  json bad = doc;
  bad["arms"]["a"]["combined"]["ci95"] = json::array({3.5, 1.25});
  CHECK_THROWS_WITH(summary_from_json(bad), Contains("arms.a.combined.ci95 has lo > hi"));
  bad = doc;
  bad["arms"]["a"]["combined"]["ci95"] = nullptr;
  CHECK_THROWS_WITH(summary_from_json(bad), Contains("arms.a.combined.ci95 is null although n > 0"));
  bad = doc;
  bad.erase("survival");
  CHECK_THROWS_WITH(summary_from_json(bad), Contains("survival is missing"));
  bad = doc;
  bad["survival"]["a"]["events"] = json::array({1});
  CHECK_THROWS_WITH(summary_from_json(bad), Contains("survival.a holds lists of different lengths"));
}
