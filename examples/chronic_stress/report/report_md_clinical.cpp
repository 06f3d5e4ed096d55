// report/report_md_clinical.cpp - the report's section beyond the paper: outcome
// classes, relapse-free survival, log-rank tests, bootstrap intervals,
// paired differences between arms and the dose of each treatment. Every
// number comes from summary.json (statistics.cpp computes them once).
#include "report/markdown.hpp"
#include "report/report_md.hpp"

#include <fmt/format.h>
#include <rewire/protocol/metric_keys.hpp>

#include <cmath>

namespace chronic_stress::detail {

using detail::escape;
using detail::kNone;
using detail::num;
using detail::Table;
namespace metric = rewire::protocol::metric;

namespace {

std::string ci(double lo, double hi, int decimals = 1) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) return kNone;
  return "[" + num(lo, decimals) + ", " + num(hi, decimals) + "]";
}

std::string mean_ci(const Stat& s, int decimals = 1) {
  return s.ok() ? num(s.mean, decimals) + " " + ci(s.ci_lo, s.ci_hi, decimals) : kNone;
}

std::string p_value(double p) {
  if (!std::isfinite(p)) return kNone;
  return p < 0.001 ? fmt::format("{:.1e}", p) : fmt::format("{:.3f}", p);
}

std::string outcome_table(const RunView& run) {
  const std::string thr = num(run.spec.longitudinal.threshold, 0);
  Table t{{"Arm", "Responders (cycle 0 ≥ " + thr + " %)", "Non-responders", "Relapsed responders",
           "Sustained responders", "First crossing (paper's count)"},
          "lrrrrr",
          {}};
  for (const auto& a : run.follow_up_arms()) {
    const OutcomeSummary& o = run.summary.clinical.outcomes.at(a);
    std::string name = escape(run.label(a));
    if (o.excluded > 0) name += fmt::format(" ({} diverged seed(s) left out)", o.excluded);
    t.rows.push_back({name, std::to_string(o.responders), std::to_string(o.non_responders), std::to_string(o.relapsed),
                      std::to_string(o.sustained), std::to_string(o.first_crossing)});
  }
  return t.render() +
         "\nA responder is a seed whose combined accuracy right after treatment (cycle 0) is at least the threshold; "
         "a responder relapses at the first cycle c ≥ 1 below it, and is sustained (censored at the last cycle) if "
         "there is none. The paper counted relapses as the first cycle c ≥ 0 below the threshold (last column, and "
         "Table 4 above), so its relapse counts include non-responders \"relapsing\" at cycle 0.\n\n";
}

std::string survival_table(const RunView& run) {
  Table t{{"Cycle"}, "r", {}};
  const auto arms = run.follow_up_arms();
  for (const auto& a : arms) {
    t.header.push_back(escape(run.label(a)));
    t.align += 'r';
  }
  for (int c = 1; c <= run.spec.longitudinal.cycles; ++c) {
    std::vector<std::string> row{std::to_string(c)};
    for (const auto& a : arms) {
      const SurvivalSummary& k = run.summary.clinical.survival.at(a);
      const auto i = std::size_t(c - 1);
      row.push_back(k.at_risk[i] == 0 && k.events[i] == 0
                        ? kNone
                        : fmt::format("{} ({}/{}/{})", num(k.estimate[i], 3), k.at_risk[i], k.events[i],
                                      k.censored[i]));
    }
    t.rows.push_back(row);
  }
  return t.render() + "\nKaplan-Meier estimate of relapse-free survival of the responders, with (at risk / relapses / "
                      "censored) in that cycle; — = no responder at risk.\n\n";
}

std::string logrank_table(const RunView& run) {
  Table t{{"Arm A", "Arm B", "χ² (1 df)", "p", "p (Holm)", "χ² by seed", "p by seed", "p by seed (Holm)"},
          "llrrrrrr",
          {}};
  const auto& strata = run.summary.clinical.logrank_stratified;
  for (const auto& [a, bs] : run.summary.clinical.logrank)
    for (const auto& [b, r] : bs) {
      LogRankSummary s;
      if (const auto ia = strata.find(a); ia != strata.end())
        if (const auto ib = ia->second.find(b); ib != ia->second.end()) s = ib->second;
      t.rows.push_back({escape(run.label(a)), escape(run.label(b)), std::isfinite(r.chi2) ? num(r.chi2, 2) : kNone,
                        p_value(r.p), p_value(r.p_holm), std::isfinite(s.chi2) ? num(s.chi2, 2) : kNone,
                        p_value(s.p), p_value(s.p_holm)});
    }
  if (t.rows.empty()) return "*Fewer than two arms with follow-up: no log-rank test.*\n\n";
  return t.render() + "\nLog-rank test of the responders' relapse-free times, arm A against arm B, with the seeds as "
                      "independent subjects and stratified by seed (every arm of a seed starts from the same pruned "
                      "network: the paired test); Holm = adjusted over every p-value of this run; — = no relapse "
                      "in either arm (nothing to test). With few seeds the test has little power.\n\n";
}

std::string interval_table(const RunView& run) {
  Table t{{"Arm", "Clean (%)", "Combined stress (%)", "Relapse drop (pp)", "Total drop over cycles (pp)"}, "lrrrr", {}};
  for (const auto& a : run.arms()) {
    const auto& m = run.summary.arms.at(a);
    const auto get = [&](const char* name) { return m.count(name) ? mean_ci(m.at(name)) : kNone; };
    const auto L = run.summary.longitudinal.find(a);
    t.rows.push_back({escape(run.label(a)), get(metric::clean), get(metric::combined), get(metric::relapse_drop),
                      L == run.summary.longitudinal.end() ? kNone : mean_ci(L->second.total_drop)});
  }
  return t.render() + "\nMean [percentile bootstrap 95 % interval] over the seeds (10,000 resamples; summary.json "
                      "holds an interval beside every mean).\n\n";
}

std::string paired_table(const RunView& run) {
  Table t{{"Arm A − arm B", "Measure", "Mean difference [95 % interval]", "Pairs"}, "llrr", {}};
  for (const auto& [a, bs] : run.summary.clinical.paired)
    for (const auto& [b, ms] : bs)
      for (const auto& [m, d] : ms)
        t.rows.push_back({escape(run.label(a)) + " − " + escape(run.label(b)), m,
                          std::isfinite(d.mean) ? detail::signed_num(d.mean) + " " + ci(d.ci_lo, d.ci_hi) : kNone,
                          std::to_string(d.n)});
  if (t.rows.empty()) return "";
  return t.render() + "\nThe arms of a seed share its data and its pruned network, so differences are taken seed by "
                      "seed; an interval that excludes 0 is a difference the seeds agree on.\n\n";
}

std::string dose_table(const RunView& run) {
  Table t{{"Arm", "L1 change (%)", "L2 change (%)", "Turnover (%)", "Sparsity change (pp)", "Gain (pp)",
           "Gain per % L2"},
          "lrrrrrr",
          {}};
  for (const auto& a : run.arms()) {
    const auto& d = run.summary.clinical.dose.at(a);
    std::vector<std::string> row{escape(run.label(a))};
    for (const char* k : {"l1", "l2", "turnover", "sparsity_change", "gain", "efficacy"})
      row.push_back(d.count(k) ? mean_ci(d.at(k), std::string(k) == "efficacy" ? 2 : 1) : kNone);
    t.rows.push_back(row);
  }
  return t.render() +
         "\nDose of the treatment, from the arm's copy of the pruned (pre-treatment) network to the treated one, over "
         "all weights: relative L1 and L2 change, turnover = share of the surviving weights that changed by more "
         "than 10 % of themselves, change in sparsity; gain = combined accuracy after minus before treatment; gain "
         "per % L2 = gain / L2 change per seed (seeds with a change only). Mean [95 % interval].\n\n";
}

}  // namespace

std::string clinical_section(const RunView& run, const FigureResult& survival_figure) {
  std::string md = "## Beyond the paper: clinical outcomes, intervals and dose\n\n";
  if (!run.follow_up_arms().empty()) {
    md += "### Outcomes\n\n" + outcome_table(run);
    md += "### Relapse-free survival\n\n" + survival_table(run);
    md += figure(survival_figure, "Relapse-free survival of the responders per arm",
                 "Figure 4. Relapse-free survival of the responders (Kaplan-Meier): steps drop at each relapse, "
                 "crosses mark responders censored without relapse at the last cycle.");
    md += "### Log-rank tests\n\n" + logrank_table(run);
  }
  md += "### 95 % confidence intervals\n\n" + interval_table(run);
  if (std::string p = paired_table(run); !p.empty()) md += "### Paired differences between arms\n\n" + p;
  md += "### Dose\n\n" + dose_table(run);
  md += inference_section(run);
  return md;
}

}  // namespace chronic_stress::detail
