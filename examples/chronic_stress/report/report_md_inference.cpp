// report/report_md_inference.cpp - the report's tests and models beyond the
// paper, briefly: the paired differences of every cycle, Cox and logistic
// regressions of each arm's outcomes on the seeds' covariates, and
// equivalence tests, which alone may call two arms "equivalent" (with the
// margin they tested). Every number comes from summary.json.
#include "report/markdown.hpp"
#include "report/report_md.hpp"

#include <fmt/format.h>

#include <cmath>

namespace chronic_stress::detail {

namespace {

std::string p_text(double p) {
  if (!std::isfinite(p)) return kNone;
  return p < 0.001 ? fmt::format("{:.1e}", p) : fmt::format("{:.3f}", p);
}

std::string interval(double lo, double hi, int decimals) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) return kNone;
  return "[" + num(lo, decimals) + ", " + num(hi, decimals) + "]";
}

std::string cycle_table(const RunView& run) {
  Table t{{"Arm A − arm B"}, "l", {}};
  for (int c = 0; c <= run.spec.longitudinal.cycles; ++c) {
    t.header.push_back("Cycle " + std::to_string(c));
    t.align += 'r';
  }
  for (const auto& [a, bs] : run.summary.clinical.paired_cycles)
    for (const auto& [b, cycles] : bs) {
      std::vector<std::string> row{escape(run.label(a)) + " − " + escape(run.label(b))};
      for (const PairedSummary& d : cycles)
        row.push_back(std::isfinite(d.mean) ? signed_num(d.mean) + " " + interval(d.ci_lo, d.ci_hi, 1) : kNone);
      t.rows.push_back(row);
    }
  if (t.rows.empty()) return "";
  return t.render() + "\nCombined accuracy of arm A minus arm B, seed by seed, at every cycle (pp): mean [bootstrap "
                      "95 % interval]. Cycle 0 is measured after treatment with its own noise draw.\n\n";
}

std::string regression_table(const RunView& run) {
  Table t{{"Arm", "Model", "n", "Events", "Term", "Ratio [95 % CI]", "p", "p (Holm)"}, "llrrlrrr", {}};
  for (const auto& [kind, models] : {std::pair{"Cox: relapse (HR)", &run.summary.clinical.cox},
                                     std::pair{"logistic: non-response (OR)", &run.summary.clinical.logistic}})
    for (const auto& [arm, r] : *models) {
      std::vector<std::string> row{escape(run.label(arm)), kind, std::to_string(r.n), std::to_string(r.events)};
      if (r.terms.empty()) {
        t.rows.push_back(row);
        t.rows.back().insert(t.rows.back().end(), {"not fitted: " + escape(r.status), kNone, kNone, kNone});
        continue;
      }
      for (std::size_t j = 0; j < r.terms.size(); ++j) {
        if (r.terms[j] == "(intercept)") continue;
        std::vector<std::string> line = row;
        line.insert(line.end(), {escape(r.terms[j]), fmt::format("{:.3g}", r.ratio[j]) + " " + interval(r.ci_lo[j], r.ci_hi[j], 3),
                                 p_text(r.p[j]), p_text(r.p_holm[j])});
        t.rows.push_back(line);
      }
    }
  if (t.rows.empty()) return "";
  return t.render() + "\nPer arm: Cox proportional hazards (Efron ties) of the responders' time to relapse, and "
                      "logistic regression of non-response, on the seed's covariates (its pre-treatment network's "
                      "measures and any cohort values). Ratio per unit of the covariate; a model that cannot be "
                      "fitted is named with the reason, never given numbers. Few seeds give wide intervals.\n\n";
}

std::string equivalence_table(const RunView& run) {
  Table t{{"Arm A − arm B", "Measure", "Margin (pp)", "Mean [90 % CI]", "p (TOST)", "p (Holm)", "Verdict"},
          "llrrrrl",
          {}};
  for (const auto& [a, bs] : run.summary.clinical.equivalence)
    for (const auto& [b, ms] : bs)
      for (const auto& [m, e] : ms) {
        const std::string verdict = !std::isfinite(e.p)      ? kNone
                                    : e.equivalent && e.p_holm < 0.05 ? "equivalent within ±" + num(e.margin) + " pp"
                                    : e.equivalent ? "equivalent within ±" + num(e.margin) + " pp alone, not after Holm"
                                                   : "not shown equivalent";
        t.rows.push_back({escape(run.label(a)) + " − " + escape(run.label(b)), m, num(e.margin),
                          std::isfinite(e.mean) ? signed_num(e.mean) + " " + interval(e.ci_lo, e.ci_hi, 1) : kNone,
                          p_text(e.p), p_text(e.p_holm), verdict});
      }
  if (t.rows.empty()) return "";
  return t.render() + "\nTwo one-sided paired t tests (TOST) of arm A − arm B against ±margin; the arms are called "
                      "equivalent only where both reject at 5 %, i.e. the 90 % interval lies inside the margin. "
                      "Without this test the report calls no two arms equivalent.\n\n";
}

}  // namespace

std::string inference_section(const RunView& run) {
  std::string md;
  if (std::string c = cycle_table(run); !c.empty()) md += "### Paired differences at every cycle\n\n" + c;
  if (std::string r = regression_table(run); !r.empty()) md += "### Covariates: Cox and logistic regressions\n\n" + r;
  if (std::string e = equivalence_table(run); !e.empty()) md += "### Equivalence (TOST)\n\n" + e;
  return md;
}

}  // namespace chronic_stress::detail
