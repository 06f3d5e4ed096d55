// test_stats_inference.cpp - rewire/stats distributions (normal, Student's
// t, the incomplete beta behind it), the stratified log-rank test, Holm's
// adjustment, the paired TOST and per-cycle paired differences, against
// closed forms and hand-worked cases. (Against R: test_stats_oracle.)
#include <rewire/stats/bootstrap.hpp>
#include <rewire/stats/distributions.hpp>
#include <rewire/stats/equivalence.hpp>
#include <rewire/stats/holm.hpp>
#include <rewire/stats/survival.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

using namespace rewire::stats;
using Catch::Matchers::WithinAbs;
using Catch::Matchers::WithinRel;

namespace {

const double kPi = 3.14159265358979323846;

// Closed forms of Student's t distribution function for 1, 2 and 4 degrees
// of freedom (Johnson, Kotz & Balakrishnan, "Continuous Univariate
// Distributions", vol. 2, ch. 28): nu = 1 is the Cauchy distribution.
double t1_cdf(double t) { return 0.5 + std::atan(t) / kPi; }
double t2_cdf(double t) { return 0.5 + t / (2 * std::sqrt(2 + t * t)); }
double t4_cdf(double t) {
  const double r = 1 + t * t / 4;
  return 0.5 + 0.375 * t / std::sqrt(r) * (1 - t * t / (12 * r));
}

}  // namespace

TEST_CASE("incomplete beta matches its closed forms", "[stats][distributions]") {
  // I_x(a, 1) = x^a, I_x(1, b) = 1 - (1 - x)^b, I_x(2, 2) = 3x^2 - 2x^3.
  using rewire::detail::regularized_incomplete_beta;
  for (double x : {0.001, 0.2, 0.5, 0.77, 0.999}) {
    CHECK_THAT(regularized_incomplete_beta(2.5, 1, x, 1 - x), WithinRel(std::pow(x, 2.5), 1e-13));
    CHECK_THAT(regularized_incomplete_beta(1, 3.5, x, 1 - x), WithinRel(1 - std::pow(1 - x, 3.5), 1e-13));
    CHECK_THAT(regularized_incomplete_beta(2, 2, x, 1 - x), WithinRel(3 * x * x - 2 * x * x * x, 1e-13));
  }
  CHECK(regularized_incomplete_beta(2, 3, 0, 1) == 0.0);
  CHECK(regularized_incomplete_beta(2, 3, 1, 0) == 1.0);
}

TEST_CASE("Student t distribution matches the closed forms for 1, 2 and 4 df", "[stats][distributions]") {
  // The closed forms subtract from 1/2, so they hold about 1e-16 absolute.
  for (double t : {-30.0, -4.0, -1.5, -0.2, 0.0, 0.3, 1.0, 2.776, 9.0}) {
    CHECK_THAT(student_t_cdf(t, 1), WithinAbs(t1_cdf(t), 1e-15));
    CHECK_THAT(student_t_cdf(t, 2), WithinAbs(t2_cdf(t), 1e-15));
    CHECK_THAT(student_t_cdf(t, 4), WithinAbs(t4_cdf(t), 1e-15));
  }
  // Far tails keep their relative precision: P(T1 > t) = atan(1 / t) / pi,
  // and P(T2 > t) = (1 - t / s) / 2 = 1 / (s (s + t)) with s = sqrt(2 + t^2).
  for (double t : {30.0, 1e3, 1e6}) {
    const double s = std::sqrt(2 + t * t);
    CHECK_THAT(student_t_upper_tail(t, 1), WithinRel(std::atan(1 / t) / kPi, 1e-13));
    CHECK_THAT(student_t_upper_tail(t, 2), WithinRel(1 / (s * (s + t)), 1e-13));
  }
  CHECK(student_t_upper_tail(0.0, 7) == 0.5);
  // Beyond |t| = 1e154, t^2 overflows: the tail underflows instead of
  // turning into NaN, and far quantiles stay far.
  CHECK(student_t_upper_tail(1e200, 1) >= 0.0);
  CHECK(student_t_upper_tail(1e200, 1) < 1e-150);
  CHECK(student_t_cdf(-1e200, 3) < 1e-150);
  CHECK(student_t_quantile(1e-300, 1) < -1e150);
  // Many df: close to the normal (the difference is O(1 / df)).
  CHECK_THAT(student_t_cdf(1.96, 1e7), WithinAbs(normal_cdf(1.96), 1e-7));
  CHECK_THROWS_AS(student_t_cdf(1.0, 0.0), std::invalid_argument);
}

TEST_CASE("Student t quantiles invert the distribution function", "[stats][distributions]") {
  // nu = 1: tan(pi (p - 1/2)); nu = 2: (2p - 1) / sqrt(2 p (1 - p)); and the
  // printed table value t_{0.975, 10} = 2.228139.
  for (double p : {0.001, 0.05, 0.3, 0.5, 0.9, 0.975, 0.9999}) {
    CHECK_THAT(student_t_quantile(p, 1), WithinAbs(std::tan(kPi * (p - 0.5)), 1e-11 * (1 + std::fabs(std::tan(kPi * (p - 0.5))))));
    CHECK_THAT(student_t_quantile(p, 2), WithinAbs((2 * p - 1) / std::sqrt(2 * p * (1 - p)), 1e-12));
  }
  CHECK_THAT(student_t_quantile(0.975, 10), WithinAbs(2.228139, 5e-7));
  CHECK_THROWS_AS(student_t_quantile(1.0, 3), std::invalid_argument);
}

TEST_CASE("normal tails and quantiles match the printed tables", "[stats][distributions]") {
  CHECK_THAT(normal_upper_tail(1.959963984540054), WithinRel(0.025, 1e-14));
  CHECK_THAT(normal_cdf(-2.5758293035489004), WithinRel(0.005, 1e-14));
  CHECK_THAT(normal_two_sided_p(-1.959963984540054), WithinRel(0.05, 1e-14));
  CHECK_THAT(normal_quantile(0.975), WithinRel(1.959963984540054, 1e-14));
  CHECK_THAT(normal_quantile(0.005), WithinRel(-2.5758293035489004, 1e-14));
  CHECK_THAT(chi2_1df_upper_tail(3.841458820694124), WithinRel(0.05, 1e-13));
}

TEST_CASE("stratified log-rank sums O - E and V over strata, by hand", "[stats][survival]") {
  // Stratum 1: group 1 {1}, group 2 {2} (both events).
  //   t = 1: n1 = n2 = 1, d = 1 (group 1): E1 = 1/2, V = 1*1*1*1 / (2^2 * 1) = 1/4
  //   t = 2: n1 = 0: E1 = 0, and n = 1 adds no variance.      O1 - E1 = 1/2
  // Stratum 2: group 1 {2}, group 2 {1, 3 censored}.
  //   t = 1: n1 = 1, n2 = 2, d = 1 (group 2): E1 = 1/3, V = 1*2*1*2 / (9 * 2) = 2/9
  //   t = 2: n1 = 1, n2 = 1, d = 1 (group 1): E1 = 1/2, V = 1/4  O1 - E1 = 1/6
  // Stratum 3: one subject (group 1, event at 5): O1 = E1 = 1, V = 0.
  // Stratum 4: group 2 only: E1 = 0 = O1.
  // chi2 = (1/2 + 1/6)^2 / (1/4 + 2/9 + 1/4) = (4/9) / (13/18) = 8/13.
  const std::vector<TimeToEvent> g1{{1, true, 1}, {2, true, 2}, {5, true, 3}};
  const std::vector<TimeToEvent> g2{{2, true, 1}, {1, true, 2}, {3, false, 2}, {4, true, 4}, {6, false, 4}};
  const LogRank r = log_rank_stratified(g1, g2);
  CHECK_THAT(r.chi2, WithinRel(8.0 / 13, 1e-14));
  CHECK_THAT(r.variance, WithinRel(13.0 / 18, 1e-14));
  CHECK(r.observed1 == 3);
  CHECK_THAT(r.expected1, WithinRel(1.0 / 2 + 5.0 / 6 + 1, 1e-14));
  CHECK_THAT(r.p, WithinRel(chi2_1df_upper_tail(8.0 / 13), 1e-15));
  // Ignoring the strata pools subjects who did not share a starting point.
  CHECK(std::fabs(log_rank(g1, g2).chi2 - r.chi2) > 0.01);
  // Which group is first does not matter; no event at all: no statistic.
  CHECK_THAT(log_rank_stratified(g2, g1).chi2, WithinRel(r.chi2, 1e-14));
  CHECK(std::isnan(log_rank_stratified({{1, false, 1}}, {{2, false, 1}}).chi2));
}

TEST_CASE("stratified log-rank with one subject per arm and seed counts who relapses first", "[stats][survival]") {
  // Seed 1: arm 1 relapses at 2, arm 2 at 3: at t = 2, n = 2, d = 1 in arm 1:
  //   O1 - E1 = 1 - 1/2 = +1/2, V = 1*1*1*1 / (4 * 1) = 1/4 (t = 3: n = 1, nothing).
  // Seed 2: arm 1 at 3, arm 2 censored at 3 (still at risk): +1/2, V = 1/4.
  // Seed 3: both at 4: d = n = 2, E1 = 1 = O1, V = 1*1*2*0 / ... = 0.
  // Seed 4: arm 1 censored at 2, arm 2 relapses at 5 alone at risk: nothing.
  // Seed 5: arm 2 at 1 before arm 1 at 6: O1 - E1 = 0 - 1/2, V = 1/4.
  // chi2 = (1/2 + 1/2 - 1/2)^2 / (3/4) = 1/3.
  const std::vector<TimeToEvent> arm1{{2, true, 1}, {3, true, 2}, {4, true, 3}, {2, false, 4}, {6, true, 5}};
  const std::vector<TimeToEvent> arm2{{3, true, 1}, {3, false, 2}, {4, true, 3}, {5, true, 4}, {1, true, 5}};
  const LogRank r = log_rank_stratified(arm1, arm2);
  CHECK_THAT(r.observed1 - r.expected1, WithinAbs(0.5, 1e-15));
  CHECK_THAT(r.variance, WithinAbs(0.75, 1e-15));
  CHECK_THAT(r.chi2, WithinRel(1.0 / 3, 1e-14));
}

TEST_CASE("Holm adjustment by hand, with ties, NaN and the cap at 1", "[stats][holm]") {
  // m = 4; sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 = 0.02, 0.03,
  // 0.06, 0.04; running maximum 0.02, 0.03, 0.06, 0.06.
  const double nan = std::nan("");
  const std::vector<double> q = holm_adjust({0.01, 0.04, nan, 0.03, 0.005});
  REQUIRE(q.size() == 5);
  CHECK_THAT(q[0], WithinRel(0.03, 1e-15));
  CHECK_THAT(q[1], WithinRel(0.06, 1e-15));
  CHECK(std::isnan(q[2]));  // not counted: m = 4, not 5
  CHECK_THAT(q[3], WithinRel(0.06, 1e-15));
  CHECK_THAT(q[4], WithinRel(0.02, 1e-15));
  // Ties get the same value: 3 * 0.2 = 0.6, max(0.6, 2 * 0.2), max(0.6, 1 * 0.5).
  const std::vector<double> t = holm_adjust({0.2, 0.2, 0.5});
  CHECK_THAT(t[0], WithinRel(0.6, 1e-15));
  CHECK_THAT(t[1], WithinRel(0.6, 1e-15));
  CHECK_THAT(t[2], WithinRel(0.6, 1e-15));
  // 2 * 0.6 = 1.2 is capped at 1, and so is max(1.2, 0.7).
  CHECK(holm_adjust({0.7, 0.6}) == std::vector<double>{1.0, 1.0});
  CHECK(holm_adjust({}).empty());
  CHECK(holm_adjust({0.3}) == std::vector<double>{0.3});
  CHECK_THROWS_AS(holm_adjust({0.1, 1.5}), std::invalid_argument);
}

TEST_CASE("paired TOST by hand with the 4-df closed form", "[stats][equivalence]") {
  // d = a - b = 1, 2, 3, 4, 5 (and a sixth subject missing in b, dropped):
  // mean 3, s^2 = (4 + 1 + 0 + 1 + 4) / 4 = 2.5, se = sqrt(2.5 / 5) = sqrt(0.5),
  // df = 4. Margin 5: t_lower = 8 / se = 8 sqrt 2, t_upper = -2 / se = -2 sqrt 2;
  // p_lower = P(T > 8 sqrt 2) = F4(-8 sqrt 2), p_upper = F4(-2 sqrt 2) = 0.0237.
  const std::vector<double> a{11, 12, 13, 14, 15, 16}, b{10, 10, 10, 10, 10, std::nan("")};
  const Equivalence e = paired_equivalence(a, b, 5.0);
  CHECK(e.n == 5);
  CHECK_THAT(e.mean, WithinRel(3.0, 1e-15));
  CHECK_THAT(e.sd, WithinRel(std::sqrt(2.5), 1e-15));
  CHECK_THAT(e.t_lower, WithinRel(8 * std::sqrt(2.0), 1e-14));
  CHECK_THAT(e.t_upper, WithinRel(-2 * std::sqrt(2.0), 1e-14));
  CHECK_THAT(e.p_lower, WithinRel(t4_cdf(-8 * std::sqrt(2.0)), 1e-9));
  CHECK_THAT(e.p_upper, WithinRel(t4_cdf(-2 * std::sqrt(2.0)), 1e-12));
  CHECK(e.p == e.p_upper);
  CHECK(e.equivalent);  // 0.0237 < 0.05
  // 90 % interval: 3 -+ t_{0.95, 4} sqrt(0.5), t_{0.95, 4} = 2.131847 (table).
  CHECK_THAT(e.ci.lo, WithinAbs(3 - 2.131847 * std::sqrt(0.5), 1e-6));
  CHECK_THAT(e.ci.hi, WithinAbs(3 + 2.131847 * std::sqrt(0.5), 1e-6));
  // A margin of 4.5: t_upper = -1.5 sqrt 2 = -2.1213 > -2.1318, so p_upper > 0.05.
  CHECK_FALSE(paired_equivalence(a, b, 4.5).equivalent);
  // No test with one pair, or with all differences equal.
  CHECK(std::isnan(paired_equivalence({1}, {0}, 1).p));
  const Equivalence flat = paired_equivalence({1, 2, 3}, {0, 1, 2}, 1);
  CHECK(std::isnan(flat.p));
  CHECK_FALSE(flat.equivalent);
  CHECK_THROWS_AS(paired_equivalence({1, 2}, {1, 2}, 0.0), std::invalid_argument);
  CHECK_THROWS_AS(paired_equivalence({1, 2}, {1, 2}, 1.0, 0.5), std::invalid_argument);
  CHECK_THROWS_AS(paired_equivalence({1, 2}, {1}, 1.0), std::invalid_argument);
}

TEST_CASE("paired differences per cycle: one stream and one set of pairs per cycle", "[stats][bootstrap]") {
  const double nan = std::nan("");
  // Cycles 0..2 of four seeds; seed 3 is missing from arm b at cycle 1 only.
  const std::vector<std::vector<double>> a{{90, 92, 88, 91}, {85, 80, 84, 83}, {70, 75, 72, 71}};
  const std::vector<std::vector<double>> b{{89, 90, 88, 90}, {84, 81, 80, nan}, {60, 66, 64, 61}};
  const std::vector<std::uint64_t> keys{text_key("x[0]"), text_key("x[1]"), text_key("x[2]")};
  const std::vector<PairedDifference> d = paired_difference_per_cycle(a, b, keys);
  REQUIRE(d.size() == 3);
  CHECK(d[0].n == 4);
  CHECK(d[1].n == 3);  // seed 3 dropped at cycle 1 only
  CHECK(d[2].n == 4);
  CHECK_THAT(d[0].mean, WithinRel(1.0, 1e-15));              // (1 + 2 + 0 + 1) / 4
  CHECK_THAT(d[1].mean, WithinRel(4.0 / 3, 1e-15));          // (1 - 1 + 4) / 3
  CHECK_THAT(d[2].mean, WithinRel(37.0 / 4, 1e-15));         // (10 + 9 + 8 + 10) / 4
  for (std::size_t c = 0; c < 3; ++c) {
    const PairedDifference one = paired_difference(a[c], b[c], keys[c]);
    CHECK(d[c].ci.lo == one.ci.lo);
    CHECK(d[c].ci.hi == one.ci.hi);
  }
  CHECK_THROWS_AS(paired_difference_per_cycle(a, b, {1, 2}), std::invalid_argument);
}
