// test_stats.cpp - rewire/stats: outcome classes, Kaplan-Meier, log-rank,
// bootstrap intervals and paired differences.
#include <rewire/random/rng.hpp>
#include <rewire/stats/bootstrap.hpp>
#include <rewire/stats/outcomes.hpp>
#include <rewire/stats/survival.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

using namespace rewire::stats;
using Catch::Matchers::WithinAbs;

namespace {

// Remission times in weeks of the 6-MP trial of Freireich et al. (Blood
// 1963), as tabulated by Kleinbaum & Klein, "Survival Analysis: A
// Self-Learning Text" (Springer, 3rd ed. 2012), chapter 1 (Group 1: 6-MP,
// Group 2: placebo, 21 patients each; "+" = censored).
std::vector<TimeToEvent> six_mp() {  // 6, 6, 6, 7, 10, 13, 16, 22, 23, 6+, 9+, 10+, 11+, 17+, 19+, 20+, 25+, 32+, 32+, 34+, 35+
  std::vector<TimeToEvent> g;
  for (double t : {6, 6, 6, 7, 10, 13, 16, 22, 23}) g.push_back({t, true});
  for (double t : {6, 9, 10, 11, 17, 19, 20, 25, 32, 32, 34, 35}) g.push_back({t, false});
  return g;
}
std::vector<TimeToEvent> placebo() {  // no censoring
  std::vector<TimeToEvent> g;
  for (double t : {1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23}) g.push_back({t, true});
  return g;
}

}  // namespace

TEST_CASE("Kaplan-Meier reproduces the 6-MP group of the Freireich remission data", "[stats][survival]") {
  const auto g = six_mp();
  const SurvivalTable t = kaplan_meier(g, distinct_times(g));
  // Kleinbaum & Klein, chapter 2, KM table of group 1: S(t) = 0.8571, 0.8067,
  // 0.7529, 0.6902, 0.6275, 0.5378, 0.4482 at t = 6, 7, 10, 13, 16, 22, 23.
  // The exact products, by hand (n at risk, d events; censored at t still at risk):
  //   t=6:  n=21 d=3 c=1  S = 18/21
  //   t=7:  n=17 d=1      S = 18/21 * 16/17
  //   t=9:  n=16 c=1      unchanged
  //   t=10: n=15 d=1 c=1  S *= 14/15
  //   t=11: n=13 c=1
  //   t=13: n=12 d=1      S *= 11/12
  //   t=16: n=11 d=1      S *= 10/11
  //   t=17, 19, 20: n=10, 9, 8, one censoring each
  //   t=22: n=7 d=1       S *= 6/7
  //   t=23: n=6 d=1       S *= 5/6, then only censorings (25, 32 x2, 34, 35)
  const std::vector<double> times{6, 7, 9, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 34, 35};
  const std::vector<std::size_t> at_risk{21, 17, 16, 15, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 2, 1};
  const std::vector<std::size_t> events{3, 1, 0, 1, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0};
  const std::vector<std::size_t> censored{1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 1, 2, 1, 1};
  CHECK(t.time == times);
  CHECK(t.at_risk == at_risk);
  CHECK(t.events == events);
  CHECK(t.censored == censored);
  const double s6 = 18.0 / 21, s7 = s6 * 16 / 17, s10 = s7 * 14 / 15, s13 = s10 * 11 / 12, s16 = s13 * 10 / 11,
               s22 = s16 * 6 / 7, s23 = s22 * 5 / 6;
  const std::vector<double> S{s6, s7, s7, s10, s10, s13, s16, s16, s16, s16, s22, s23, s23, s23, s23, s23};
  REQUIRE(t.estimate.size() == S.size());
  for (std::size_t i = 0; i < S.size(); ++i) CHECK_THAT(t.estimate[i], WithinAbs(S[i], 1e-12));
  // ... and the textbook's four-decimal values.
  const std::vector<std::pair<std::size_t, double>> book{{0, 0.8571}, {1, 0.8067}, {3, 0.7529}, {5, 0.6902},
                                                         {6, 0.6275}, {10, 0.5378}, {11, 0.4482}};
  for (const auto& [row, value] : book) CHECK_THAT(t.estimate[row], WithinAbs(value, 5e-5));
}

TEST_CASE("Kaplan-Meier on a fixed grid reports rows without events and keeps the estimate", "[stats][survival]") {
  // Placebo group on weeks 1..6: S = 19/21, 17/21, 16/21, 14/21, 12/21, 12/21
  // (no censoring: S(t) = share still in remission; week 6 has no event).
  const SurvivalTable t = kaplan_meier(placebo(), {1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 15, 17, 22, 23});
  CHECK(t.at_risk[5] == 12);
  CHECK(t.events[5] == 0);
  CHECK_THAT(t.estimate[4], WithinAbs(12.0 / 21, 1e-12));
  CHECK_THAT(t.estimate[5], WithinAbs(12.0 / 21, 1e-12));
  CHECK_THAT(t.estimate[7], WithinAbs(8.0 / 21, 1e-12));
  CHECK(t.estimate.back() == 0.0);
  // A subject whose time is not a row would be lost between rows: refused.
  CHECK_THROWS_AS(kaplan_meier(placebo(), {1, 2, 3}), std::invalid_argument);
}

TEST_CASE("log-rank test reproduces chi2 = 16.79 of the 6-MP versus placebo remission data", "[stats][survival]") {
  // Kleinbaum & Klein, chapter 2: O1 = 9, E1 = 19.25, O2 = 21, E2 = 10.75,
  // Var(O2 - E2) = 6.2570, log-rank statistic 16.79 (1 df). Recomputed by
  // hand in exact fractions (the sum over the 17 distinct event times of
  // d n1 / n and n1 n2 d (n - d) / (n^2 (n - 1))): E1 = 19.2505009,
  // V = 6.25696057, chi2 = (9 - E1)^2 / V = 16.7929410.
  const LogRank r = log_rank(six_mp(), placebo());
  CHECK(r.observed1 == 9);
  CHECK(r.observed2 == 21);
  CHECK_THAT(r.expected1, WithinAbs(19.25, 0.005));
  CHECK_THAT(r.expected2, WithinAbs(10.75, 0.005));
  CHECK_THAT(r.variance, WithinAbs(6.2570, 0.00005));
  CHECK_THAT(r.chi2, WithinAbs(16.79, 0.005));
  CHECK_THAT(r.chi2, WithinAbs(16.7929410, 1e-6));
  // p = P(chi2_1 > 16.7929) = 2 (1 - Phi(4.09792)); the normal tail 1 - Phi(4.09792)
  // = 2.08440e-5 by numerical integration of the density, so p = 4.1688e-5.
  CHECK_THAT(r.p, WithinAbs(4.1688e-5, 1e-8));
  // The statistic does not depend on which group is first.
  const LogRank s = log_rank(placebo(), six_mp());
  CHECK_THAT(s.chi2, WithinAbs(r.chi2, 1e-12));
}

TEST_CASE("chi-square upper tail with 1 df matches the printed table", "[stats][survival]") {
  // Critical values of chi-square with 1 df (any statistics table).
  CHECK_THAT(chi2_1df_upper_tail(3.841459), WithinAbs(0.05, 1e-6));
  CHECK_THAT(chi2_1df_upper_tail(6.634897), WithinAbs(0.01, 1e-7));
  CHECK_THAT(chi2_1df_upper_tail(10.827566), WithinAbs(0.001, 1e-8));
  CHECK(chi2_1df_upper_tail(0.0) == 1.0);
}

TEST_CASE("log-rank test without events has no statistic", "[stats][survival]") {
  const LogRank r = log_rank({{3, false}, {3, false}}, {{3, false}});
  CHECK(std::isnan(r.chi2));
  CHECK(std::isnan(r.p));
  // Identical groups: O = E exactly, chi2 = 0, p = 1.
  const LogRank same = log_rank({{1, true}, {2, true}, {3, false}}, {{1, true}, {2, true}, {3, false}});
  CHECK(same.chi2 == 0.0);
  CHECK(same.p == 1.0);
}

TEST_CASE("outcome classes of hand-made follow-ups at threshold 80", "[stats][outcomes]") {
  const double T = 80.0;
  // Responder that relapses at cycle 2; the first crossing is also 2.
  const Outcome a = classify({90, 85, 79, 95}, T);
  CHECK(a.responder);
  CHECK(a.relapse_cycle == 2);
  CHECK(a.first_crossing == 2);
  CHECK(a.relapsed());
  // Never recovered: a non-responder, no relapse, but the first-crossing
  // definition calls it a relapse at cycle 0.
  const Outcome b = classify({70, 90, 95, 95}, T);
  CHECK_FALSE(b.responder);
  CHECK_FALSE(b.relapse_cycle);
  CHECK(b.first_crossing == 0);
  CHECK_FALSE(b.relapsed());
  CHECK_FALSE(b.sustained());
  // Exactly at the threshold counts as above it (a_c < T is a crossing).
  const Outcome c = classify({80, 80, 80, 80}, T);
  CHECK(c.responder);
  CHECK(c.sustained());
  CHECK_FALSE(c.first_crossing);
  CHECK(c.last_cycle == 3);
  // Relapse at the last cycle; an earlier recovery does not undo a relapse.
  const Outcome d = classify({99, 81, 82, 79.99}, T);
  CHECK(d.relapse_cycle == 3);
  const Outcome e = classify({99, 50, 99, 99}, T);
  CHECK(e.relapse_cycle == 1);

  const OutcomeCounts n = count_outcomes({a, b, c, d, e});
  CHECK(n.responders == 4);
  CHECK(n.non_responders == 1);
  CHECK(n.relapsed == 3);
  CHECK(n.sustained == 1);
  CHECK(n.first_crossings == 4);  // a, b, d, e
}

TEST_CASE("bootstrap interval is determined by its key", "[stats][bootstrap]") {
  const std::vector<double> xs{91.2, 88.0, 95.5, 97.1, 70.3, 93.3, 89.9, 96.0, 84.4, 90.0};
  const Interval a = bootstrap_mean_ci(xs, text_key("0123abcd/combined"));
  const Interval b = bootstrap_mean_ci(xs, text_key("0123abcd/combined"));
  const Interval c = bootstrap_mean_ci(xs, text_key("0123abcd/clean"));
  const Interval d = bootstrap_mean_ci(xs, text_key("fedc9876/combined"));  // another configuration
  CHECK(a.lo == b.lo);
  CHECK(a.hi == b.hi);
  CHECK((a.lo != c.lo || a.hi != c.hi));
  CHECK((a.lo != d.lo || a.hi != d.hi));
  // The mean (89.57) lies inside, and the interval inside the data's range.
  CHECK(a.lo < 89.57);
  CHECK(a.hi > 89.57);
  CHECK(a.lo >= 70.3);
  CHECK(a.hi <= 97.1);
}

TEST_CASE("bootstrap interval of degenerate samples", "[stats][bootstrap]") {
  CHECK(std::isnan(bootstrap_mean_ci({}, 1).lo));
  const Interval one = bootstrap_mean_ci({42.5}, 1);
  CHECK(one.lo == 42.5);
  CHECK(one.hi == 42.5);
  // {0, 1}: a resample's mean is 0, 0.5 or 1 with probability 1/4, 1/2, 1/4,
  // so with 10,000 resamples the 2.5 % and 97.5 % quantiles are 0 and 1
  // (fewer than 250 zeros among 10,000 draws of p = 1/4 is beyond 50 SD).
  const Interval two = bootstrap_mean_ci({0.0, 1.0}, 7);
  CHECK(two.lo == 0.0);
  CHECK(two.hi == 1.0);
}

TEST_CASE("quantile interpolates between order statistics", "[stats][bootstrap]") {
  // Type 7 by hand: h = (n - 1) p.
  CHECK(quantile_sorted({1, 2, 3, 4}, 0.5) == 2.5);
  CHECK_THAT(quantile_sorted({10, 20, 30, 40, 50}, 0.025), WithinAbs(11.0, 1e-12));  // h = 0.1
  CHECK(quantile_sorted({10, 20, 30, 40, 50}, 1.0) == 50.0);
}

TEST_CASE("bootstrap 95 % intervals cover a known mean about 95 % of the time", "[stats][bootstrap]") {
  // 300 samples of 20 draws from N(5, 2^2) (rewire's generator): the
  // percentile interval of the mean should hold 5 in roughly 95 % of them
  // (slightly less at n = 20). The binomial SD of the share is 1.3 %, so
  // [0.88, 0.99] allows for that and chance; a 50 % or 99.9 % interval fails.
  rewire::Rng draw(12345);
  int covered = 0;
  const int samples = 300;
  for (int s = 0; s < samples; ++s) {
    std::vector<double> xs;
    for (int i = 0; i < 20; ++i) xs.push_back(5.0 + 2.0 * double(draw.normal()));
    const Interval ci = bootstrap_mean_ci(xs, std::uint64_t(s), 2000);
    covered += ci.lo <= 5.0 && 5.0 <= ci.hi;
  }
  const double share = double(covered) / samples;
  CHECK(share >= 0.88);
  CHECK(share <= 0.99);
}

TEST_CASE("paired difference uses the pairs where both values are finite", "[stats][bootstrap]") {
  const double nan = std::nan("");
  const std::vector<double> a{10, 12, nan, 15, 11};
  const std::vector<double> b{9, 10, 5, 11, nan};
  // Pairs (10, 9), (12, 10), (15, 11): differences 1, 2, 4, mean 7 / 3.
  const PairedDifference d = paired_difference(a, b, 99);
  CHECK(d.n == 3);
  CHECK_THAT(d.mean, WithinAbs(7.0 / 3.0, 1e-12));
  const Interval same = bootstrap_mean_ci({1, 2, 4}, 99);
  CHECK(d.ci.lo == same.lo);
  CHECK(d.ci.hi == same.hi);
  CHECK(d.ci.lo >= 1.0);
  CHECK(d.ci.hi <= 4.0);
  CHECK_THROWS_AS(paired_difference({1, 2}, {1}, 1), std::invalid_argument);
}
