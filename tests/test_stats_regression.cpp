// test_stats_regression.cpp - rewire/stats Cox and logistic regression on
// cases small enough to solve by hand, and every reason a model is not
// fitted. (R's coxph and glm on larger data: test_stats_oracle.)
#include <rewire/stats/cox.hpp>
#include <rewire/stats/logistic.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

using namespace rewire::stats;
using Catch::Matchers::WithinRel;

namespace {

Eigen::MatrixXd column(const std::vector<double>& v) {
  Eigen::MatrixXd x(Eigen::Index(v.size()), 1);
  for (std::size_t i = 0; i < v.size(); ++i) x(Eigen::Index(i), 0) = v[i];
  return x;
}

// The 2x2 table of the logistic test: x = 0: 3 of 10 with y = 1; x = 1: 6 of 8.
void two_by_two(std::vector<int>& y, std::vector<double>& x, double one = 1.0) {
  for (int i = 0; i < 10; ++i) y.push_back(i < 3), x.push_back(0.0);
  for (int i = 0; i < 8; ++i) y.push_back(i < 6), x.push_back(one);
}

}  // namespace

TEST_CASE("Cox without ties: the maximum of a three-subject partial likelihood", "[stats][cox]") {
  // Events at t = 1, 2, 3, x = (1, 0, 1), u = e^beta:
  //   L = u / (2u + 1) * 1 / (u + 1) * 1
  //   dl/dbeta = 1 - 2u / (2u + 1) - u / (u + 1) = 0  <=>  2u^2 = 1,
  // so beta = -ln(2) / 2. I = -d2l/dbeta2 = 2u / (2u + 1)^2 + u / (u + 1)^2,
  // which at u = 1/sqrt 2 is 2 sqrt 2 / (3 + 2 sqrt 2): se = 1 / sqrt(I).
  const RegressionFit f = fit_cox({{1, true}, {2, true}, {3, true}}, column({1, 0, 1}));
  REQUIRE(f.fitted());
  REQUIRE(f.terms.size() == 1);
  const double u = 1 / std::sqrt(2.0);
  const double beta = -std::log(2.0) / 2, info = 2 * u / std::pow(2 * u + 1, 2) + u / std::pow(u + 1, 2);
  CHECK_THAT(f.terms[0].coef, WithinRel(beta, 1e-12));
  CHECK_THAT(f.terms[0].se, WithinRel(1 / std::sqrt(info), 1e-9));
  CHECK_THAT(info, WithinRel(2 * std::sqrt(2.0) / (3 + 2 * std::sqrt(2.0)), 1e-14));
  CHECK_THAT(f.terms[0].ratio, WithinRel(u, 1e-12));
  CHECK_THAT(f.log_likelihood, WithinRel(std::log(u / (2 * u + 1) / (u + 1)), 1e-12));
  CHECK_THAT(f.log_likelihood_null, WithinRel(std::log(1.0 / 3 / 2), 1e-12));  // beta = 0: 1/3 * 1/2
  CHECK(f.n == 3);
  CHECK(f.events == 3);
  // Wald: z = beta / se, p = erfc(|z| / sqrt 2), 95 % interval exp(beta -+ 1.959964 se).
  const double se = 1 / std::sqrt(info);
  CHECK_THAT(f.terms[0].z, WithinRel(beta / se, 1e-9));
  CHECK_THAT(f.terms[0].p, WithinRel(std::erfc(std::fabs(beta / se) / std::sqrt(2.0)), 1e-8));
  CHECK_THAT(f.terms[0].ci95.lo, WithinRel(std::exp(beta - 1.959963984540054 * se), 1e-8));
  CHECK_THAT(f.terms[0].ci95.hi, WithinRel(std::exp(beta + 1.959963984540054 * se), 1e-8));
}

TEST_CASE("Cox with a tie: Efron's approximation, not Breslow's", "[stats][cox]") {
  // Events at t = 1, 1, 2 with x = (1, 0, 0), u = e^beta. At t = 1 the risk
  // set is everyone: S0 = u + 2, the tied events D: S0_D = u + 1, d = 2:
  //   l = beta - log(S0) - log(S0 - S0_D / 2) = beta - log(u + 2) - log((u + 3) / 2)
  // (t = 2 adds log(1) = 0). dl/dbeta = 1 - u / (u + 2) - u / (u + 3) = 0
  // <=> (u + 2)(u + 3) - u(u + 3) - u(u + 2) = 6 - u^2 = 0: beta = ln(6) / 2.
  // I = 2u / (u + 2)^2 + 3u / (u + 3)^2. (Breslow: l = beta - 2 log(u + 2),
  // maximum at u = 2.)
  const RegressionFit f = fit_cox({{1, true}, {1, true}, {2, true}}, column({1, 0, 0}));
  REQUIRE(f.fitted());
  const double u = std::sqrt(6.0);
  const double info = 2 * u / std::pow(u + 2, 2) + 3 * u / std::pow(u + 3, 2);
  CHECK_THAT(f.terms[0].coef, WithinRel(std::log(6.0) / 2, 1e-12));
  CHECK_THAT(f.terms[0].se, WithinRel(1 / std::sqrt(info), 1e-9));
  CHECK_THAT(f.log_likelihood, WithinRel(std::log(u) - std::log(u + 2) - std::log((u + 3) / 2), 1e-12));
  CHECK(std::fabs(f.terms[0].coef - std::log(2.0)) > 0.1);
}

TEST_CASE("Cox estimates do not depend on the covariate's units or the subjects' order", "[stats][cox]") {
  // The same three-subject case with x in thousands, shifted, subjects reversed.
  const RegressionFit f = fit_cox({{3, true}, {2, true}, {1, true}}, column({5000, 4000, 5000}));
  REQUIRE(f.fitted());
  CHECK_THAT(f.terms[0].coef, WithinRel(-std::log(2.0) / 2 / 1000, 1e-12));
  CHECK_THAT(f.terms[0].p, WithinRel(fit_cox({{1, true}, {2, true}, {3, true}}, column({1, 0, 1})).terms[0].p, 1e-10));
}

TEST_CASE("Cox models that cannot be fitted say why and carry no numbers", "[stats][cox]") {
  const std::vector<TimeToEvent> four{{1, true}, {2, false}, {3, true}, {4, true}};
  auto not_fitted = [](const RegressionFit& f, FitStatus why) {
    CHECK(f.status == why);
    CHECK_FALSE(f.fitted());
    CHECK(f.terms.empty());
    CHECK(f.covariance.size() == 0);
    CHECK(std::isnan(f.log_likelihood));
    CHECK(std::isnan(f.log_likelihood_null));
  };
  not_fitted(fit_cox({{1, false}, {2, false}, {3, false}}, column({1, 2, 3})), FitStatus::no_events);
  Eigen::MatrixXd two(2, 2);
  two << 1, 2, 3, 5;
  not_fitted(fit_cox({{1, true}, {2, true}}, two), FitStatus::too_few_subjects);
  Eigen::MatrixXd constant(4, 2);
  constant << 1, 7, 2, 7, 3, 7, 4, 7;
  not_fitted(fit_cox(four, constant), FitStatus::constant_covariate);
  Eigen::MatrixXd collinear(4, 2);
  collinear << 1, 3, 2, 5, 4, 9, 3, 7;  // x2 = 2 x1 + 1
  not_fitted(fit_cox(four, collinear), FitStatus::collinear_covariates);
  // Every event has the largest x of its risk set: beta -> +infinity.
  const RegressionFit monotone = fit_cox(four, column({4, 1, 3, 2}));
  not_fitted(monotone, FitStatus::monotone_likelihood);
  CHECK(monotone.iterations > 10);  // the likelihood kept rising
  // One event, at t = 4, where only subjects 4 and 5 are at risk: the
  // information at beta = 0 is their weighted covariance, of rank 1 < 2.
  Eigen::MatrixXd late(5, 2);
  late << 1, 0, 2, 1, 0, 3, 1, 1, 3, 2;
  not_fitted(fit_cox({{1, false}, {2, false}, {3, false}, {4, true}, {5, false}}, late),
             FitStatus::singular_information);
  // The three-subject case needs 3 iterations; with 1 it has not converged.
  const RegressionFit once = fit_cox({{1, true}, {2, true}, {3, true}}, column({1, 0, 1}), 1);
  not_fitted(once, FitStatus::not_converged);
  CHECK(once.iterations == 1);
  CHECK(std::string(status_name(FitStatus::monotone_likelihood)) == "monotone_likelihood");
}

TEST_CASE("Cox refuses malformed input", "[stats][cox]") {
  const std::vector<TimeToEvent> three{{1, true}, {2, true}, {3, true}};
  CHECK_THROWS_AS(fit_cox(three, column({1, 2})), std::invalid_argument);              // rows != subjects
  CHECK_THROWS_AS(fit_cox(three, Eigen::MatrixXd(3, 0)), std::invalid_argument);       // no covariate
  CHECK_THROWS_AS(fit_cox(three, column({1, std::nan(""), 3})), std::invalid_argument);
  CHECK_THROWS_AS(fit_cox({{1, true}, {std::nan(""), true}, {3, true}}, column({1, 0, 1})), std::invalid_argument);
  CHECK_THROWS_AS(fit_cox(three, column({1, 0, 1}), 0), std::invalid_argument);
}

TEST_CASE("logistic regression on a binary covariate reproduces the 2x2 table", "[stats][logistic]") {
  // x = 0: 3 of 10 have y = 1, x = 1: 6 of 8. The saturated model fits the
  // cell shares: b0 = logit(3/10) = log(3/7), b0 + b1 = logit(6/8) = log 3,
  // so b1 = log(3 / (3/7)) = log 7 (the odds ratio is 7). Woolf's variances:
  // Var(b0) = 1/3 + 1/7, Var(b1) = 1/3 + 1/7 + 1/6 + 1/2.
  std::vector<int> y;
  std::vector<double> x;
  two_by_two(y, x);
  const RegressionFit f = fit_logistic(y, column(x));
  REQUIRE(f.fitted());
  REQUIRE(f.terms.size() == 2);
  CHECK_THAT(f.terms[0].coef, WithinRel(std::log(3.0 / 7), 1e-12));
  CHECK_THAT(f.terms[1].coef, WithinRel(std::log(7.0), 1e-12));
  CHECK_THAT(f.terms[1].ratio, WithinRel(7.0, 1e-12));
  CHECK_THAT(f.terms[0].se, WithinRel(std::sqrt(1.0 / 3 + 1.0 / 7), 1e-10));
  CHECK_THAT(f.terms[1].se, WithinRel(std::sqrt(1.0 / 3 + 1.0 / 7 + 1.0 / 6 + 1.0 / 2), 1e-10));
  // l = 3 log .3 + 7 log .7 + 6 log .75 + 2 log .25; null: 9 of 18, 18 log(1/2).
  CHECK_THAT(f.log_likelihood,
             WithinRel(3 * std::log(0.3) + 7 * std::log(0.7) + 6 * std::log(0.75) + 2 * std::log(0.25), 1e-12));
  CHECK_THAT(f.log_likelihood_null, WithinRel(18 * std::log(0.5), 1e-12));
  CHECK(f.n == 18);
  CHECK(f.events == 9);
  // x in thousands: the slope and its se shrink a thousandfold, z and p stay.
  std::vector<int> y2;
  std::vector<double> x2;
  two_by_two(y2, x2, 1000.0);
  const RegressionFit g = fit_logistic(y2, column(x2));
  REQUIRE(g.fitted());
  CHECK_THAT(g.terms[1].coef, WithinRel(std::log(7.0) / 1000, 1e-12));
  CHECK_THAT(g.terms[1].p, WithinRel(f.terms[1].p, 1e-10));
  CHECK_THAT(g.terms[0].coef, WithinRel(f.terms[0].coef, 1e-12));
}

TEST_CASE("logistic with no covariate is the intercept-only model", "[stats][logistic]") {
  // b0 = logit(4/10), Var(b0) = 1 / (n p (1 - p)) = 1 / 2.4.
  const RegressionFit f = fit_logistic({1, 1, 1, 1, 0, 0, 0, 0, 0, 0}, Eigen::MatrixXd(10, 0));
  REQUIRE(f.fitted());
  REQUIRE(f.terms.size() == 1);
  CHECK_THAT(f.terms[0].coef, WithinRel(std::log(4.0 / 6), 1e-12));
  CHECK_THAT(f.terms[0].se, WithinRel(std::sqrt(1 / 2.4), 1e-12));
  CHECK_THAT(f.log_likelihood, WithinRel(f.log_likelihood_null, 1e-14));
}

TEST_CASE("logistic models that cannot be fitted say why", "[stats][logistic]") {
  CHECK(fit_logistic({0, 0, 0, 0}, column({1, 2, 3, 4})).status == FitStatus::constant_outcome);
  CHECK(fit_logistic({1, 1, 1, 1}, column({1, 2, 3, 4})).status == FitStatus::constant_outcome);
  Eigen::MatrixXd two(2, 2);
  two << 1, 2, 3, 5;
  CHECK(fit_logistic({0, 1}, two).status == FitStatus::too_few_subjects);
  CHECK(fit_logistic({0, 1, 0, 1}, column({2, 2, 2, 2})).status == FitStatus::constant_covariate);
  Eigen::MatrixXd collinear(5, 2);
  collinear << 1, 3, 2, 5, 4, 9, 3, 7, 5, 11;  // x2 = 2 x1 + 1: collinear with the intercept
  CHECK(fit_logistic({0, 1, 0, 1, 1}, collinear).status == FitStatus::collinear_covariates);
  // y = 1 exactly when x > 2.5 (complete), and when x > 2 with both at x = 2 (quasi).
  const RegressionFit complete = fit_logistic({0, 0, 1, 1}, column({1, 2, 3, 4}));
  CHECK(complete.status == FitStatus::separation);
  CHECK(complete.terms.empty());
  CHECK(fit_logistic({0, 0, 1, 1, 0}, column({1, 2, 2, 3, 0})).status == FitStatus::separation);
  // Not separated: one 0 above a 1.
  CHECK(fit_logistic({0, 1, 0, 1, 1}, column({1, 2, 3, 4, 5})).fitted());
  CHECK_THROWS_AS(fit_logistic({0, 2, 1}, column({1, 2, 3})), std::invalid_argument);
  CHECK_THROWS_AS(fit_logistic({0, 1, 1}, column({1, 2})), std::invalid_argument);
  CHECK_THROWS_AS(fit_logistic({0, 1, 1}, column({1, std::numeric_limits<double>::infinity(), 3})),
                  std::invalid_argument);
}
