// rewire/stats/regression.hpp - what rewire's regressions (Cox proportional
// hazards, logistic) share: the result of a fit, the reason a model was not
// fitted, and the Newton-Raphson maximiser of a log-likelihood.
//
// Fitting. Covariates are standardised, z = (x - mean) / sd, so that the
// convergence and divergence tests below are in units of one standard
// deviation of each covariate; the estimates are mapped back to the original
// units at the end (beta = A gamma, Cov(beta) = A I^-1 A^T; the maximum of
// the likelihood does not depend on the units). From the start gamma_0 the
// maximiser takes Newton steps gamma += I^-1 U (U the score, I the observed
// information), halving a step until the log-likelihood l does not fall,
// and stops when a full step changed l by at most 1e-10 (1 + |l|). It then
// computes one more step: if that step is still large (some component above
// 1e-4 max(1, |gamma_j|)), l is still rising along a direction in which a
// coefficient runs to infinity (a monotone likelihood, or separation), and
// the model is not fitted; otherwise the step is taken, which polishes the
// estimate to about the square of the last change. This is the rule of R's
// coxph (survival::coxph.fit: "Loglik converged before variable ...;
// coefficient may be infinite"), on the standardised scale. An information
// matrix that turns singular after the start is read the same way (below).
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/stats/distributions.hpp>
#include <rewire/stats/interval.hpp>

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <Eigen/QR>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace rewire::stats {

/// Why a regression was fitted or not. Only `fitted` comes with numbers.
enum class FitStatus {
  fitted,                ///< converged to a finite maximum
  no_events,             ///< Cox: no subject has an event
  constant_outcome,      ///< logistic: every outcome is 0, or every outcome is 1
  too_few_subjects,      ///< fewer subjects than the model has terms (Cox: n <= covariates)
  constant_covariate,    ///< a covariate has the same value for every subject
  collinear_covariates,  ///< a covariate is a linear combination of the others (and the intercept)
  monotone_likelihood,   ///< Cox: the partial likelihood rises without bound as a coefficient goes to +-inf
  separation,            ///< logistic: complete or quasi-complete separation; a coefficient is infinite
  singular_information,  ///< the information matrix is singular at the start (too few events for the terms)
  not_converged,         ///< no convergence within the iteration limit, or no step that raises l
};

/// The status as a lower-case identifier ("fitted", "no_events", ...), for
/// result files.
inline const char* status_name(FitStatus s) {
  switch (s) {
    case FitStatus::fitted: return "fitted";
    case FitStatus::no_events: return "no_events";
    case FitStatus::constant_outcome: return "constant_outcome";
    case FitStatus::too_few_subjects: return "too_few_subjects";
    case FitStatus::constant_covariate: return "constant_covariate";
    case FitStatus::collinear_covariates: return "collinear_covariates";
    case FitStatus::monotone_likelihood: return "monotone_likelihood";
    case FitStatus::separation: return "separation";
    case FitStatus::singular_information: return "singular_information";
    case FitStatus::not_converged: return "not_converged";
  }
  return "unknown";
}

/// One term of a fitted model, with Wald inference.
struct TermEstimate {
  double coef = std::numeric_limits<double>::quiet_NaN();   ///< beta
  double se = std::numeric_limits<double>::quiet_NaN();     ///< sqrt of the diagonal of I^-1 (observed information)
  double ratio = std::numeric_limits<double>::quiet_NaN();  ///< exp(beta): hazard ratio (Cox) or odds ratio (logistic)
  Interval ci95;                                            ///< of the ratio: exp(beta -+ z_0.975 se)
  double z = std::numeric_limits<double>::quiet_NaN();      ///< beta / se
  double p = std::numeric_limits<double>::quiet_NaN();      ///< two-sided Wald p: erfc(|z| / sqrt 2)
};

/// The result of fit_cox or fit_logistic. When status != fitted, `terms` is
/// empty, `covariance` is 0x0 and the log-likelihoods are NaN: a model that
/// was not fitted has no numbers.
struct RegressionFit {
  FitStatus status = FitStatus::not_converged;
  std::vector<TermEstimate> terms;  ///< Cox: one per covariate; logistic: intercept, then one per covariate
  Eigen::MatrixXd covariance;       ///< (terms, terms): I^-1 at the estimate, original units
  double log_likelihood = std::numeric_limits<double>::quiet_NaN();       ///< at the estimate
  double log_likelihood_null = std::numeric_limits<double>::quiet_NaN();  ///< Cox: beta = 0; logistic: intercept only
  std::size_t n = 0;       ///< subjects
  std::size_t events = 0;  ///< Cox: events; logistic: outcomes equal to 1
  int iterations = 0;      ///< Newton iterations taken (also when not fitted)
  bool fitted() const { return status == FitStatus::fitted; }
};

/// Newton iterations allowed by default.
inline constexpr int kMaxNewtonIterations = 50;

}  // namespace rewire::stats

namespace rewire::detail {

/// A log-likelihood l, its gradient U and the observed information
/// I = -d2l/dgamma2 at one point.
struct LikelihoodPoint {
  double value = -std::numeric_limits<double>::infinity();
  Eigen::VectorXd score;        // (terms)
  Eigen::MatrixXd information;  // (terms, terms)
};

enum class NewtonOutcome { converged, infinite, singular, not_converged };

struct NewtonResult {
  NewtonOutcome outcome = NewtonOutcome::not_converged;
  Eigen::VectorXd gamma;  // (terms) the estimate, standardised units
  LikelihoodPoint at;     // at gamma
  int iterations = 0;
};

/// The Newton step I^-1 U into `step`; false if I is not positive definite
/// (Cholesky fails) or the step is not finite.
inline bool newton_step(const LikelihoodPoint& at, Eigen::VectorXd& step) {
  const Eigen::LLT<Eigen::MatrixXd> llt(at.information);
  if (llt.info() != Eigen::Success) return false;
  step = llt.solve(at.score);
  return step.allFinite();
}

/// After convergence: one more step decides between an infinite coefficient
/// (a step still of size 1e-4 max(1, |gamma_j|) or more, or an information
/// that has become singular) and a finite maximum (the step is taken to
/// polish the estimate).
template <class Evaluate>
void finish_newton(const Evaluate& evaluate, NewtonResult& r) {
  Eigen::VectorXd step;
  if (!newton_step(r.at, step)) {
    r.outcome = NewtonOutcome::infinite;
    return;
  }
  for (Eigen::Index j = 0; j < step.size(); ++j)
    if (std::fabs(step[j]) > 1e-4 * std::max(1.0, std::fabs(r.gamma[j]))) {
      r.outcome = NewtonOutcome::infinite;
      return;
    }
  LikelihoodPoint polished = evaluate(Eigen::VectorXd(r.gamma + step));
  if (polished.value >= r.at.value - 1e-12 * (1.0 + std::fabs(r.at.value))) {
    r.gamma += step;
    r.at = std::move(polished);
  }
  r.outcome = NewtonOutcome::converged;
}

/// Maximises l from `gamma`: Newton steps, each halved up to 30 times until
/// l does not fall (by more than rounding, 1e-12 (1 + |l|)); converged when
/// a full step changes l by at most 1e-10 (1 + |l|). `evaluate(gamma)`
/// returns the LikelihoodPoint at gamma. A singular information at the
/// start means the data cannot identify every term (`singular`); once l has
/// risen, the information of a full-rank design becomes singular only when
/// the weights of all but a few subjects vanish, i.e. when coefficients run
/// to infinity (`infinite`).
template <class Evaluate>
NewtonResult maximize_likelihood(const Evaluate& evaluate, Eigen::VectorXd gamma, int max_iterations) {
  NewtonResult r;
  r.gamma = std::move(gamma);
  r.at = evaluate(r.gamma);
  if (!std::isfinite(r.at.value)) return r;
  while (r.iterations < max_iterations) {
    ++r.iterations;
    Eigen::VectorXd step;
    if (!newton_step(r.at, step)) {
      r.outcome = r.iterations == 1 ? NewtonOutcome::singular : NewtonOutcome::infinite;
      return r;
    }
    const double slack = 1e-12 * (1.0 + std::fabs(r.at.value));
    double t = 1.0;
    int halvings = 0;
    LikelihoodPoint next = evaluate(Eigen::VectorXd(r.gamma + step));
    while (!(next.value >= r.at.value - slack)) {  // also when next.value is NaN
      if (++halvings > 30) return r;
      t /= 2.0;
      next = evaluate(Eigen::VectorXd(r.gamma + t * step));
    }
    const double change = next.value - r.at.value;
    r.gamma += t * step;
    r.at = std::move(next);
    if (halvings == 0 && std::fabs(change) <= 1e-10 * (1.0 + std::fabs(r.at.value))) {
      finish_newton(evaluate, r);
      return r;
    }
  }
  return r;
}

/// `fit` with its status set to `why` (and no numbers).
inline stats::RegressionFit not_fitted(stats::RegressionFit fit, stats::FitStatus why) {
  fit.status = why;
  return fit;
}

/// The status of a Newton result that did not converge; `infinite` names a
/// coefficient that runs to infinity in this model (monotone likelihood or
/// separation).
inline stats::FitStatus failure_status(NewtonOutcome outcome, stats::FitStatus infinite) {
  switch (outcome) {
    case NewtonOutcome::infinite: return infinite;
    case NewtonOutcome::singular: return stats::FitStatus::singular_information;
    default: return stats::FitStatus::not_converged;
  }
}

/// Covariates standardised column by column: z = (x - mean) / sd, with the
/// population SD; a constant column has sd = 0 and z = 0.
struct Standardized {
  Eigen::MatrixXd z;     // (n, p)
  Eigen::VectorXd mean;  // (p)
  Eigen::VectorXd sd;    // (p)
};

inline Standardized standardize(const Eigen::MatrixXd& x) {
  Standardized s;
  s.mean = x.colwise().mean().transpose();
  s.z = x.rowwise() - s.mean.transpose();
  s.sd = (s.z.colwise().squaredNorm() / double(x.rows())).cwiseSqrt().transpose();
  for (Eigen::Index j = 0; j < x.cols(); ++j)
    if (s.sd[j] > 0) s.z.col(j) /= s.sd[j];
  return s;
}

/// True if a column of x is constant (all values equal).
inline bool has_constant_column(const Eigen::MatrixXd& x) {
  for (Eigen::Index j = 0; j < x.cols(); ++j)
    if (x.col(j).maxCoeff() == x.col(j).minCoeff()) return true;
  return false;
}

/// True if the columns of a design are linearly independent: column-pivoted
/// QR with pivots below 1e-10 of the largest taken as zero.
inline bool has_full_column_rank(const Eigen::MatrixXd& design) {
  Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(design.rows(), design.cols());
  qr.setThreshold(1e-10);
  qr.compute(design);
  return qr.rank() == design.cols();
}

/// Throws std::invalid_argument unless every covariate is finite and there
/// is one row per subject.
inline void require_covariates(const Eigen::MatrixXd& x, std::size_t subjects, const char* who) {
  require(std::size_t(x.rows()) == subjects,
          std::string(who) + ": covariates must have one row per subject (" + std::to_string(x.rows()) +
              " rows, " + std::to_string(subjects) + " subjects)");
  require(x.allFinite(), std::string(who) + ": every covariate value must be finite");
}

/// The fitted model in original units from a converged Newton result:
/// beta = A gamma, Cov(beta) = A I^-1 A^T, and Wald inference per term.
inline void set_estimates(stats::RegressionFit& fit, const NewtonResult& r, const Eigen::MatrixXd& A) {
  const Eigen::Index k = r.gamma.size();
  const Eigen::MatrixXd inverse = r.at.information.llt().solve(Eigen::MatrixXd::Identity(k, k));
  const Eigen::VectorXd beta = A * r.gamma;
  fit.covariance = A * inverse * A.transpose();
  const double z975 = stats::normal_quantile(0.975);
  for (Eigen::Index j = 0; j < k; ++j) {
    stats::TermEstimate t;
    t.coef = beta[j];
    t.se = std::sqrt(fit.covariance(j, j));
    t.ratio = std::exp(t.coef);
    t.ci95 = {std::exp(t.coef - z975 * t.se), std::exp(t.coef + z975 * t.se)};
    t.z = t.coef / t.se;
    t.p = stats::normal_two_sided_p(t.z);
    fit.terms.push_back(t);
  }
  fit.log_likelihood = r.at.value;
  fit.status = stats::FitStatus::fitted;
}

}  // namespace rewire::detail
