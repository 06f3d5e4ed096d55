// test_stats_oracle.cpp - rewire/stats against R: Cox (coxph, Efron ties),
// the stratified log-rank test (survdiff + strata), logistic regression
// (glm, binomial), Holm (p.adjust), Student's t and the normal (pt, qt,
// pnorm, qnorm) and the paired TOST (two t.test calls), on the data sets
// and values of tests/r/reference.txt, which tests/r/oracle.R wrote.
// Tolerances and their reasons: tests/r/oracle_cases.hpp. The same
// comparison against a live run of R is the CTest test stats_r_oracle.
#include "r/oracle_cases.hpp"

#include <catch2/catch.hpp>

#include <set>
#include <utility>
#include <string>
#include <vector>

namespace {

const std::vector<oracle::Case>& reference() {
  static const std::vector<oracle::Case> cases = oracle::read_cases_file(REWIRE_R_REFERENCE);
  return cases;
}

bool is_random(const oracle::Case& c) { return c.name.rfind("random_", 0) == 0; }

// Compares every case of `kind`; returns the names compared, the random
// data sets left out (they are counted by random_cases).
std::set<std::string> check_kind(const std::string& kind) {
  std::set<std::string> names;
  for (const auto& c : reference()) {
    if (c.kind != kind) continue;
    INFO(kind << " " << c.name);
    const oracle::Comparison cmp = oracle::check(c);
    CHECK(cmp.values > 0);
    for (const auto& m : cmp.mismatches) FAIL_CHECK(m);
    if (!is_random(c)) names.insert(c.name);
  }
  return names;
}

std::set<std::string> statuses(const std::string& kind) {
  std::set<std::string> out;
  for (const auto& c : reference())
    if (c.kind == kind) out.insert(c.status);
  return out;
}

// The random data sets of `kind`, and how many of them R could not fit.
std::pair<int, int> random_cases(const std::string& kind) {
  int all = 0, not_fitted = 0;
  for (const auto& c : reference())
    if (c.kind == kind && is_random(c)) ++all, not_fitted += c.status != "fitted";
  return {all, not_fitted};
}

}  // namespace

TEST_CASE("Cox fits equal R's coxph with Efron ties", "[stats][oracle]") {
  const auto names = check_kind("cox");
  CHECK(names == std::set<std::string>{"ovarian", "veteran", "cycles_1x", "cycles_3x", "monotone_tied_x",
                                       "monotone_ordered", "monotone_two_x", "monotone_three_x", "no_events"});
  CHECK(statuses("cox") == std::set<std::string>{"fitted", "monotone_likelihood", "no_events"});
  CHECK(random_cases("cox").first == 30);
}

TEST_CASE("stratified log-rank equals R's survdiff with strata", "[stats][oracle]") {
  const auto names = check_kind("logrank");
  CHECK(names == std::set<std::string>{"seeds", "five_strata", "ovarian_by_ecog", "one_stratum"});
}

TEST_CASE("a single stratum gives the plain log-rank test", "[stats][oracle]") {
  for (const auto& c : reference()) {
    if (c.name != "one_stratum") continue;
    const auto all = oracle::subjects_of(c);
    std::vector<rewire::stats::TimeToEvent> g1, g2;
    for (std::size_t i = 0; i < all.size(); ++i) (c.in("group").at(i) == 1.0 ? g1 : g2).push_back(all[i]);
    CHECK(rewire::stats::log_rank(g1, g2).chi2 == Approx(c.want("chi2").at(0)).epsilon(1e-12));
    return;
  }
  FAIL("no case one_stratum in the reference file");
}

TEST_CASE("logistic fits equal R's glm with family binomial", "[stats][oracle]") {
  const auto names = check_kind("logistic");
  CHECK(names == std::set<std::string>{"one_x", "three_x", "complete_separation", "quasi_separation",
                                       "separation_two_x"});
  CHECK(statuses("logistic") == std::set<std::string>{"fitted", "separation"});
  const auto [all, separated] = random_cases("logistic");
  CHECK(all >= 25);  // 30 drawn, those with a constant outcome left out
  CHECK(separated >= 3);
}

TEST_CASE("Holm adjustment equals R's p.adjust", "[stats][oracle]") {
  CHECK(check_kind("holm") == std::set<std::string>{"ties_and_na", "capped"});
}

TEST_CASE("Student t and normal probabilities equal R's pt, qt, pnorm and qnorm", "[stats][oracle]") {
  CHECK(check_kind("t") == std::set<std::string>{"grid"});
}

TEST_CASE("paired TOST equals two one-sided t.test calls in R", "[stats][oracle]") {
  CHECK(check_kind("tost") == std::set<std::string>{"equivalent", "not_equivalent_missing_pairs"});
}
