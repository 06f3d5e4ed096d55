// rewire/stats/logistic.hpp - logistic regression of a 0/1 outcome on
// covariates, with an intercept.
//
// Model: P(y_i = 1) = pi_i = 1 / (1 + exp(-eta_i)), eta_i = b0 + x_i . b.
// With the design row X_i = (1, x_i):
//   l = sum_i [y_i eta_i - log(1 + exp(eta_i))],
//   U = sum_i (y_i - pi_i) X_i,
//   I = sum_i pi_i (1 - pi_i) X_i X_i^T
// (observed and expected information agree for this canonical link, so the
// Newton step is the IRLS step). Fitted by Newton-Raphson with step halving
// from b0 = logit(mean y), b = 0 (rewire/stats/regression.hpp). R reproduces
// it: glm(y ~ x1 + x2, family = binomial).
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/stats/regression.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace rewire::detail {

/// l, U and I of the logistic model at gamma for the design (n, 1 + p) with
/// its column of ones first. Overflow-free forms:
/// log(1 + e^eta) = max(eta, 0) + log1p(e^-|eta|),
/// pi (1 - pi) = e^-|eta| / (1 + e^-|eta|)^2.
inline LikelihoodPoint logistic_likelihood(const Eigen::MatrixXd& design, const std::vector<int>& outcome,
                                           const Eigen::VectorXd& gamma) {
  const Eigen::Index n = design.rows(), k = design.cols();
  const Eigen::VectorXd eta = design * gamma;  // (n)
  LikelihoodPoint out{0.0, Eigen::VectorXd::Zero(k), Eigen::MatrixXd::Zero(k, k)};
  for (Eigen::Index i = 0; i < n; ++i) {
    const double e = std::exp(-std::fabs(eta[i]));  // in (0, 1]
    const double pi = eta[i] >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
    const double w = e / ((1.0 + e) * (1.0 + e));
    const double y = outcome[std::size_t(i)];
    const Eigen::VectorXd xi = design.row(i).transpose();
    out.value += y * eta[i] - (std::max(eta[i], 0.0) + std::log1p(e));
    out.score += (y - pi) * xi;
    out.information += w * xi * xi.transpose();
  }
  return out;
}

}  // namespace rewire::detail

namespace rewire::stats {

/// Logistic regression of `outcome` (one 0 or 1 per subject) on
/// `covariates` (n, p), p >= 0, row i for subject i. terms[0] is the
/// intercept, terms[1 + j] covariate j; coefficients are log odds ratios per
/// unit; se from the information; Wald 95 % intervals and p. `events` counts
/// the outcomes equal to 1. Not fitted (status, no numbers): every outcome
/// 0 or every outcome 1, fewer subjects than terms (n < p + 1), a constant
/// or collinear covariate, complete or quasi-complete separation (an
/// infinite coefficient), a singular information matrix, or no convergence
/// within `max_iterations`. Throws std::invalid_argument on an outcome other
/// than 0 or 1, a non-finite covariate, or a row count that is not the
/// number of outcomes.
inline RegressionFit fit_logistic(const std::vector<int>& outcome, const Eigen::MatrixXd& covariates,
                                  int max_iterations = kMaxNewtonIterations) {
  detail::require_covariates(covariates, outcome.size(), "fit_logistic");
  detail::require(max_iterations >= 1, "fit_logistic: max_iterations must be >= 1");
  RegressionFit fit;
  fit.n = outcome.size();
  for (int y : outcome) {
    detail::require(y == 0 || y == 1, "fit_logistic: every outcome must be 0 or 1");
    fit.events += std::size_t(y);
  }
  const Eigen::Index p = covariates.cols();
  if (fit.events == 0 || fit.events == fit.n) return detail::not_fitted(fit, FitStatus::constant_outcome);
  if (fit.n < std::size_t(p) + 1) return detail::not_fitted(fit, FitStatus::too_few_subjects);
  if (detail::has_constant_column(covariates)) return detail::not_fitted(fit, FitStatus::constant_covariate);
  const detail::Standardized x = detail::standardize(covariates);
  Eigen::MatrixXd design(covariates.rows(), 1 + p);  // (n, 1 + p): ones, then z
  design << Eigen::VectorXd::Ones(covariates.rows()), x.z;
  if (!detail::has_full_column_rank(design)) return detail::not_fitted(fit, FitStatus::collinear_covariates);

  const auto evaluate = [&](const Eigen::VectorXd& gamma) {
    return detail::logistic_likelihood(design, outcome, gamma);
  };
  const double share = double(fit.events) / double(fit.n);
  Eigen::VectorXd start = Eigen::VectorXd::Zero(1 + p);
  start[0] = std::log(share / (1.0 - share));  // the intercept-only maximum
  const detail::NewtonResult r = detail::maximize_likelihood(evaluate, start, max_iterations);
  fit.iterations = r.iterations;
  if (r.outcome != detail::NewtonOutcome::converged)
    return detail::not_fitted(fit, detail::failure_status(r.outcome, FitStatus::separation));
  // eta = g0 + sum_j g_j (x_j - m_j) / s_j, so b_j = g_j / s_j and
  // b0 = g0 - sum_j g_j m_j / s_j: beta = A gamma.
  Eigen::MatrixXd A = Eigen::MatrixXd::Identity(1 + p, 1 + p);
  for (Eigen::Index j = 0; j < p; ++j) {
    A(1 + j, 1 + j) = 1.0 / x.sd[j];
    A(0, 1 + j) = -x.mean[j] / x.sd[j];
  }
  detail::set_estimates(fit, r, A);
  fit.log_likelihood_null = evaluate(start).value;
  return fit;
}

}  // namespace rewire::stats
