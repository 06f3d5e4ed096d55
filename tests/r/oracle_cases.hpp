// oracle_cases.hpp - reads the cases that tests/r/oracle.R writes (data
// sets and R's results) and compares rewire/stats with them. Used by the
// unit test test_stats_oracle (the committed tests/r/reference.txt) and by
// stats_oracle_check (a fresh run of oracle.R, CTest test stats_r_oracle).
//
// Tolerances, relative to the larger magnitude (two NaN agree):
//  - closed forms (log-rank sums, Holm): 1e-12, i.e. rounding only: the
//    same sums in another order;
//  - Student's t, normal: 1e-11. The continued fraction stops at 2 ulp
//    per term, and the log of its front factor, lgamma(a + b) - lgamma(a)
//    - lgamma(b), loses digits as df grows; the largest difference measured
//    was 1.7e-13 (qt(0.95, 200)), a margin of 60;
//  - regressions: 1e-8, each quantity in its natural unit (compare_fit).
//    Both programs stop iterating at a tolerance (R run at eps = 1e-11 for
//    coxph, 1e-14 for glm and refitted from its estimate; rewire at 1e-10
//    of l, then one more Newton step, and tightening rewire's tolerance to
//    1e-13 changes its estimates by 1e-16, so what remains is R's). The
//    largest difference measured on the 83 cases is 5.4e-11 (1.6e-10 over
//    1,500 further random data sets tried while writing these tests), so
//    1e-8 leaves a margin of 60 and still fails on any real difference
//    (Breslow instead of Efron ties moves the coefficient of `cycles_1x` by
//    15 %).
#pragma once

#include <rewire/stats/cox.hpp>
#include <rewire/stats/distributions.hpp>
#include <rewire/stats/equivalence.hpp>
#include <rewire/stats/holm.hpp>
#include <rewire/stats/logistic.hpp>
#include <rewire/stats/survival.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace oracle {

inline constexpr double kClosedFormTolerance = 1e-12;
inline constexpr double kDistributionTolerance = 1e-11;
inline constexpr double kRegressionTolerance = 1e-8;

/// One case: its kind (cox, logrank, logistic, holm, t, tost), its inputs
/// in file order and R's results.
struct Case {
  std::string kind, name;
  std::vector<std::pair<std::string, std::vector<double>>> data;
  std::map<std::string, std::vector<double>> expect;
  std::string status;  ///< `expect status <word>`, empty if none

  const std::vector<double>& in(const std::string& key) const {
    for (const auto& [k, v] : data)
      if (k == key) return v;
    throw std::runtime_error(name + ": no data line '" + key + "'");
  }
  const std::vector<double>& want(const std::string& key) const {
    const auto it = expect.find(key);
    if (it == expect.end()) throw std::runtime_error(name + ": no expect line '" + key + "'");
    return it->second;
  }
  /// The data lines x1, x2, ... as the columns of an (n, p) matrix.
  Eigen::MatrixXd covariates() const {
    std::vector<const std::vector<double>*> cols;
    for (const auto& [k, v] : data)
      if (k.size() > 1 && k[0] == 'x') cols.push_back(&v);
    const auto n = Eigen::Index(cols.empty() ? 0 : cols[0]->size());
    Eigen::MatrixXd x(n, Eigen::Index(cols.size()));
    for (std::size_t j = 0; j < cols.size(); ++j)
      for (Eigen::Index i = 0; i < n; ++i) x(i, Eigen::Index(j)) = cols[j]->at(std::size_t(i));
    return x;
  }
};

inline std::vector<double> parse_numbers(std::istringstream& words) {
  std::vector<double> out;
  std::string w;
  while (words >> w) {
    if (w == "NA") {
      out.push_back(std::nan(""));
      continue;
    }
    char* end = nullptr;
    out.push_back(std::strtod(w.c_str(), &end));
    if (end == w.c_str() || *end != '\0') throw std::runtime_error("not a number: '" + w + "'");
  }
  return out;
}

/// The cases of oracle.R's output; throws std::runtime_error on a line it
/// does not know.
inline std::vector<Case> read_cases(std::istream& in) {
  std::vector<Case> cases;
  Case* open = nullptr;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    std::istringstream words(line);
    std::string key;
    if (!(words >> key) || key[0] == '#') continue;
    const std::string where = "line " + std::to_string(number) + ": ";
    if (key == "case") {
      if (open) throw std::runtime_error(where + "case inside a case");
      cases.emplace_back();
      open = &cases.back();
      words >> open->kind >> open->name;
    } else if (!open) {
      throw std::runtime_error(where + "'" + key + "' outside a case");
    } else if (key == "end") {
      open = nullptr;
    } else if (key == "data" || key == "expect") {
      std::string name;
      words >> name;
      if (key == "expect" && name == "status")
        words >> open->status;
      else if (key == "data")
        open->data.emplace_back(name, parse_numbers(words));
      else
        open->expect[name] = parse_numbers(words);
    } else {
      throw std::runtime_error(where + "unknown key '" + key + "'");
    }
  }
  if (open) throw std::runtime_error("the last case has no 'end'");
  return cases;
}

inline std::vector<Case> read_cases_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  return read_cases(in);
}

/// The outcome of comparing one case: how many values were compared, the
/// largest relative difference, and a message per disagreement.
struct Comparison {
  int values = 0;
  double worst = 0.0;
  std::vector<std::string> mismatches;

  void near(const std::string& what, double ours, double theirs, double tolerance) {
    ++values;
    if (std::isnan(ours) && std::isnan(theirs)) return;
    const double scale = std::max(std::fabs(ours), std::fabs(theirs));
    const double diff = std::fabs(ours - theirs);
    const double relative = scale > 0 ? diff / scale : 0.0;
    worst = std::max(worst, std::isnan(relative) ? std::numeric_limits<double>::infinity() : relative);
    if (!(diff <= tolerance * scale)) {
      std::ostringstream s;
      s.precision(17);
      s << what << ": rewire " << ours << ", R " << theirs << " (relative difference " << relative << ")";
      mismatches.push_back(s.str());
    }
  }
  /// |ours - theirs| <= tolerance * scale, for a value whose natural unit is
  /// not its own size (a coefficient near 0 is measured in standard errors).
  void near_scaled(const std::string& what, double ours, double theirs, double scale, double tolerance) {
    ++values;
    if (std::isnan(ours) && std::isnan(theirs)) return;
    const double diff = std::fabs(ours - theirs);
    const double relative = diff / scale;
    worst = std::max(worst, std::isnan(relative) ? std::numeric_limits<double>::infinity() : relative);
    if (!(diff <= tolerance * scale)) {
      std::ostringstream s;
      s.precision(17);
      s << what << ": rewire " << ours << ", R " << theirs << " (difference " << relative << " of " << scale << ")";
      mismatches.push_back(s.str());
    }
  }
  void all_near(const std::string& what, const std::vector<double>& ours, const std::vector<double>& theirs,
                double tolerance) {
    if (ours.size() != theirs.size()) {
      mismatches.push_back(what + ": " + std::to_string(ours.size()) + " values, R has " +
                           std::to_string(theirs.size()));
      return;
    }
    for (std::size_t i = 0; i < ours.size(); ++i)
      near(what + "[" + std::to_string(i) + "]", ours[i], theirs[i], tolerance);
  }
  void same(const std::string& what, const std::string& ours, const std::string& theirs) {
    ++values;
    if (ours != theirs) mismatches.push_back(what + ": rewire " + ours + ", R " + theirs);
  }
};

inline std::vector<rewire::stats::TimeToEvent> subjects_of(const Case& c) {
  const auto& time = c.in("time");
  const auto& event = c.in("event");
  std::vector<rewire::stats::TimeToEvent> s;
  for (std::size_t i = 0; i < time.size(); ++i) s.push_back({time[i], event.at(i) != 0.0, 0});
  return s;
}

/// Compares a fitted regression with R's coefficient table and likelihoods.
/// Each quantity in its natural unit: a coefficient and the log of an
/// interval bound in units of |value| + se (a coefficient near 0 is not
/// compared to its own tiny size), z in units of |z| + 1, p relative to
/// p (1 + z^2) (dp / p = |z| dz for the normal tail), se and the
/// log-likelihoods relative to themselves.
inline void compare_fit(Comparison& out, const rewire::stats::RegressionFit& fit, const Case& c) {
  out.same("status", rewire::stats::status_name(fit.status), c.status);
  if (c.status != "fitted" || !fit.fitted()) return;
  const auto& se = c.want("se");
  const auto& z = c.want("z");
  if (fit.terms.size() != se.size()) {
    out.mismatches.push_back("terms: rewire " + std::to_string(fit.terms.size()) + ", R " + std::to_string(se.size()));
    return;
  }
  const double tol = kRegressionTolerance;
  for (std::size_t j = 0; j < se.size(); ++j) {
    const rewire::stats::TermEstimate& t = fit.terms[j];
    const std::string term = "[" + std::to_string(j) + "]";
    const double coef = c.want("coef").at(j), lo = std::log(c.want("ci_lo").at(j)),
                 hi = std::log(c.want("ci_hi").at(j)), p = c.want("p").at(j);
    out.near_scaled("coef" + term, t.coef, coef, std::fabs(coef) + se[j], tol);
    out.near("se" + term, t.se, se[j], tol);
    out.near_scaled("z" + term, t.z, z.at(j), std::fabs(z.at(j)) + 1, tol);
    out.near_scaled("p" + term, t.p, p, p * (1 + z.at(j) * z.at(j)), tol);
    out.near_scaled("log ci_lo" + term, std::log(t.ci95.lo), lo, std::fabs(lo) + se[j], tol);
    out.near_scaled("log ci_hi" + term, std::log(t.ci95.hi), hi, std::fabs(hi) + se[j], tol);
  }
  out.near("loglik", fit.log_likelihood, c.want("loglik").at(0), tol);
  out.near("loglik_null", fit.log_likelihood_null, c.want("loglik_null").at(0), tol);
}

inline Comparison check_cox(const Case& c) {
  Comparison out;
  const rewire::stats::RegressionFit fit = rewire::stats::fit_cox(subjects_of(c), c.covariates());
  compare_fit(out, fit, c);
  if (c.expect.count("events")) out.near("events", double(fit.events), c.want("events").at(0), 0.0);
  return out;
}

inline Comparison check_logistic(const Case& c) {
  Comparison out;
  std::vector<int> y;
  for (double v : c.in("y")) y.push_back(int(v));
  compare_fit(out, rewire::stats::fit_logistic(y, c.covariates()), c);
  return out;
}

inline Comparison check_logrank(const Case& c) {
  Comparison out;
  const auto all = subjects_of(c);
  const auto& group = c.in("group");
  const auto& stratum = c.in("stratum");
  std::vector<rewire::stats::TimeToEvent> g1, g2;
  for (std::size_t i = 0; i < all.size(); ++i) {
    auto s = all[i];
    s.stratum = std::uint64_t(stratum.at(i));
    (group.at(i) == 1.0 ? g1 : g2).push_back(s);
  }
  const rewire::stats::LogRank r = rewire::stats::log_rank_stratified(g1, g2);
  const double tol = kClosedFormTolerance;
  out.near("chi2", r.chi2, c.want("chi2").at(0), tol);
  out.near("p", r.p, c.want("p").at(0), kDistributionTolerance);
  out.near("observed1", r.observed1, c.want("observed1").at(0), tol);
  out.near("expected1", r.expected1, c.want("expected1").at(0), tol);
  return out;
}

inline Comparison check_holm(const Case& c) {
  Comparison out;
  out.all_near("adjusted", rewire::stats::holm_adjust(c.in("p")), c.want("adjusted"), kClosedFormTolerance);
  return out;
}

inline Comparison check_t(const Case& c) {
  namespace rs = rewire::stats;
  Comparison out;
  const double tol = kDistributionTolerance;
  std::vector<double> cdf, upper, quantile, normal_upper, normal_quantile;
  for (std::size_t i = 0; i < c.in("t").size(); ++i) {
    cdf.push_back(rs::student_t_cdf(c.in("t")[i], c.in("df").at(i)));
    upper.push_back(rs::student_t_upper_tail(c.in("t")[i], c.in("df").at(i)));
  }
  for (std::size_t i = 0; i < c.in("q_p").size(); ++i)
    quantile.push_back(rs::student_t_quantile(c.in("q_p")[i], c.in("q_df").at(i)));
  for (double z : c.in("z")) normal_upper.push_back(rs::normal_upper_tail(z));
  for (double p : c.in("normal_p")) normal_quantile.push_back(rs::normal_quantile(p));
  out.all_near("cdf", cdf, c.want("cdf"), tol);
  out.all_near("upper", upper, c.want("upper"), tol);
  out.all_near("quantile", quantile, c.want("quantile"), tol);
  out.all_near("normal_upper", normal_upper, c.want("normal_upper"), tol);
  // qnorm(0.5) = 0 exactly; bisection stops within 1e-300 of it.
  const auto& want_q = c.want("normal_quantile");
  for (std::size_t i = 0; i < want_q.size(); ++i)
    if (want_q[i] == 0.0)
      out.near("normal_quantile[" + std::to_string(i) + "] + 1", normal_quantile.at(i) + 1.0, 1.0, tol);
    else
      out.near("normal_quantile[" + std::to_string(i) + "]", normal_quantile.at(i), want_q[i], tol);
  return out;
}

inline Comparison check_tost(const Case& c) {
  Comparison out;
  const auto e = rewire::stats::paired_equivalence(c.in("a"), c.in("b"), c.in("margin").at(0));
  const double tol = kDistributionTolerance;
  out.near("n", double(e.n), c.want("n").at(0), 0.0);
  out.near("t_lower", e.t_lower, c.want("t_lower").at(0), tol);
  out.near("p_lower", e.p_lower, c.want("p_lower").at(0), tol);
  out.near("t_upper", e.t_upper, c.want("t_upper").at(0), tol);
  out.near("p_upper", e.p_upper, c.want("p_upper").at(0), tol);
  out.near("ci.lo", e.ci.lo, c.want("ci").at(0), tol);
  out.near("ci.hi", e.ci.hi, c.want("ci").at(1), tol);
  return out;
}

/// Compares rewire with R on one case of any kind.
inline Comparison check(const Case& c) {
  if (c.kind == "cox") return check_cox(c);
  if (c.kind == "logistic") return check_logistic(c);
  if (c.kind == "logrank") return check_logrank(c);
  if (c.kind == "holm") return check_holm(c);
  if (c.kind == "t") return check_t(c);
  if (c.kind == "tost") return check_tost(c);
  throw std::runtime_error(c.name + ": unknown kind '" + c.kind + "'");
}

}  // namespace oracle
