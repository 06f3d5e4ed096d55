// rewire/stats/cox.hpp - Cox proportional hazards regression of right-
// censored times on covariates, Efron's method for tied event times.
//
// Model: hazard_i(t) = h0(t) exp(eta_i), eta_i = x_i . beta, h0 left free.
// Efron's log partial likelihood (Efron, JASA 72 (1977) 557-565; Therneau &
// Grambsch, "Modeling Survival Data", 2000, chapter 3): at each event time
// t with the set D of d tied events and the risk set R (time >= t),
//   l += sum_{i in D} eta_i - sum_{k=0}^{d-1} log(S0 - (k/d) S0_D),
// where S0 = sum_R w_i, S0_D = sum_D w_i, w_i = exp(eta_i). With
// S1 = sum w x, S2 = sum w x x^T over the same sets and, for each k,
// den_k = S0 - (k/d) S0_D and a_k = (S1 - (k/d) S1_D) / den_k:
//   U += sum_{i in D} x_i - sum_k a_k,
//   I += sum_k [(S2 - (k/d) S2_D) / den_k - a_k a_k^T].
// (d = 1 gives Breslow's and Cox's partial likelihood.) Fitted by Newton-
// Raphson with step halving (rewire/stats/regression.hpp). R reproduces it:
//   coxph(Surv(time, event) ~ x1 + x2, ties = "efron").
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/stats/regression.hpp>
#include <rewire/stats/survival.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numeric>
#include <vector>

namespace rewire::detail {

/// The subjects of a Cox model sorted by decreasing time, so that the risk
/// set of a time is every row before it plus its own tied rows.
struct CoxRows {
  Eigen::MatrixXd z;        // (n, p) standardised covariates, rows by decreasing time
  std::vector<double> time;  // (n) decreasing
  std::vector<bool> event;   // (n)
};

inline CoxRows cox_rows(const std::vector<stats::TimeToEvent>& subjects, const Eigen::MatrixXd& z) {
  std::vector<std::size_t> order(subjects.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return subjects[a].time > subjects[b].time; });
  CoxRows rows{Eigen::MatrixXd(z.rows(), z.cols()), {}, {}};
  for (std::size_t r = 0; r < order.size(); ++r) {
    rows.z.row(Eigen::Index(r)) = z.row(Eigen::Index(order[r]));
    rows.time.push_back(subjects[order[r]].time);
    rows.event.push_back(subjects[order[r]].event);
  }
  return rows;
}

/// Efron's log partial likelihood, score and information at gamma (see the
/// file comment). w_i = exp(eta_i - max eta): the shift cancels between the
/// eta_i and the log(den_k) of each event, and keeps exp from overflowing.
inline LikelihoodPoint cox_efron(const CoxRows& rows, const Eigen::VectorXd& gamma) {
  const Eigen::Index n = rows.z.rows(), p = rows.z.cols();
  const Eigen::VectorXd eta = rows.z * gamma;  // (n)
  const double shift = eta.maxCoeff();
  LikelihoodPoint out{0.0, Eigen::VectorXd::Zero(p), Eigen::MatrixXd::Zero(p, p)};
  double s0 = 0.0;                                      // sum of w over the risk set
  Eigen::VectorXd s1 = Eigen::VectorXd::Zero(p);        // (p) sum of w z
  Eigen::MatrixXd s2 = Eigen::MatrixXd::Zero(p, p);     // (p, p) sum of w z z^T
  for (Eigen::Index i = 0; i < n;) {
    double e0 = 0.0;                                    // the same sums over the events at this time
    Eigen::VectorXd e1 = Eigen::VectorXd::Zero(p);
    Eigen::MatrixXd e2 = Eigen::MatrixXd::Zero(p, p);
    int d = 0;
    Eigen::Index j = i;
    for (; j < n && rows.time[std::size_t(j)] == rows.time[std::size_t(i)]; ++j) {
      const double w = std::exp(eta[j] - shift);
      const Eigen::VectorXd zj = rows.z.row(j).transpose();
      s0 += w;
      s1 += w * zj;
      s2 += w * zj * zj.transpose();
      if (!rows.event[std::size_t(j)]) continue;
      e0 += w;
      e1 += w * zj;
      e2 += w * zj * zj.transpose();
      out.value += eta[j] - shift;
      out.score += zj;
      ++d;
    }
    for (int k = 0; k < d; ++k) {
      const double f = double(k) / double(d);
      const double den = s0 - f * e0;
      const Eigen::VectorXd a = (s1 - f * e1) / den;
      out.value -= std::log(den);
      out.score -= a;
      out.information += (s2 - f * e2) / den - a * a.transpose();
    }
    i = j;
  }
  return out;
}

}  // namespace rewire::detail

namespace rewire::stats {

/// Cox proportional hazards fit of `subjects` (time, event; the stratum is
/// not read) on `covariates` (n, p): row i holds subject i's p >= 1
/// covariates. Coefficients are log hazard ratios per unit of each
/// covariate; se from the observed information; Wald 95 % intervals and p.
/// Not fitted (status, no numbers): no events, n <= p, a constant or
/// collinear covariate, a monotone likelihood (an infinite coefficient), a
/// singular information matrix, or no convergence within `max_iterations`.
/// Times are tied when equal as doubles (R's coxph also merges times that
/// differ by rounding). Throws std::invalid_argument on a non-finite time
/// or covariate, or a row count that is not the number of subjects.
inline RegressionFit fit_cox(const std::vector<TimeToEvent>& subjects, const Eigen::MatrixXd& covariates,
                             int max_iterations = kMaxNewtonIterations) {
  detail::require_covariates(covariates, subjects.size(), "fit_cox");
  detail::require(covariates.cols() >= 1, "fit_cox: needs at least one covariate");
  detail::require(max_iterations >= 1, "fit_cox: max_iterations must be >= 1");
  RegressionFit fit;
  fit.n = subjects.size();
  for (const auto& s : subjects) {
    detail::require(std::isfinite(s.time), "fit_cox: every time must be finite");
    fit.events += s.event;
  }
  const auto p = std::size_t(covariates.cols());
  if (fit.events == 0) return detail::not_fitted(fit, FitStatus::no_events);
  if (fit.n <= p) return detail::not_fitted(fit, FitStatus::too_few_subjects);
  if (detail::has_constant_column(covariates)) return detail::not_fitted(fit, FitStatus::constant_covariate);
  const detail::Standardized x = detail::standardize(covariates);
  if (!detail::has_full_column_rank(x.z)) return detail::not_fitted(fit, FitStatus::collinear_covariates);

  const detail::CoxRows rows = detail::cox_rows(subjects, x.z);
  const auto evaluate = [&rows](const Eigen::VectorXd& gamma) { return detail::cox_efron(rows, gamma); };
  const Eigen::VectorXd zero = Eigen::VectorXd::Zero(Eigen::Index(p));
  const detail::NewtonResult r = detail::maximize_likelihood(evaluate, zero, max_iterations);
  fit.iterations = r.iterations;
  if (r.outcome != detail::NewtonOutcome::converged)
    return detail::not_fitted(fit, detail::failure_status(r.outcome, FitStatus::monotone_likelihood));
  // beta_j = gamma_j / sd_j (eta = z gamma = x beta - const; the constant is absorbed by h0).
  detail::set_estimates(fit, r, x.sd.cwiseInverse().asDiagonal().toDenseMatrix());
  fit.log_likelihood_null = evaluate(zero).value;
  return fit;
}

}  // namespace rewire::stats
