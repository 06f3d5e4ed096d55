// report/report_md_tables.cpp - the tables of report.md (report_md.hpp).
#include "report/markdown.hpp"
#include "report/report_md.hpp"

#include <fmt/format.h>
#include <rewire/protocol/metric_keys.hpp>

#include <cmath>

namespace chronic_stress::detail {

using detail::cell;
using detail::escape;
using detail::kNone;
using detail::num;
using detail::pm;
using detail::Table;
namespace metric = rewire::protocol::metric;

namespace {

// The long tables: one row per arm and measure.
Table long_table(const RunView& run, const char* measure = "Measure") {
  if (!run.comparing()) return {{"Arm", measure, "Mean ± SD"}, "llr", {}};
  return {{"Arm", measure, "Ours mean ± SD", "Published mean ± SD", "Δ", "Flag"}, "llrrrl", {}};
}

std::vector<std::string> long_row(const RunView& run, const std::string& arm, const std::string& what,
                                  const Stat& ours, const Ref& pub, Kind kind, int& flagged) {
  // Sparsity with 2 decimals (the tolerance is 0.1); accuracies with 1, and
  // their Δ from the value as shown, so that the row adds up on paper (the
  // flag itself uses the unrounded value).
  const int dd = kind == Kind::sparsity ? 2 : 1;
  if (!run.comparing()) return {escape(run.label(arm)), what, pm(ours, dd)};
  const Verdict v = run.verdict(ours, pub, kind);
  flagged += v.flagged;
  const double shown = kind == Kind::sparsity ? v.delta : std::round(ours.mean * 10.0) / 10.0 - pub.mean;
  return {escape(run.label(arm)), what, pm(ours, dd), pm(pub), v.comparable ? detail::signed_num(shown, dd) : kNone,
          v.flagged ? detail::kFlagText : ""};
}

// The wide tables: one column per arm with follow-up cycles.
Table wide_table(const RunView& run, const char* first) {
  Table t{{first}, "r", {}};
  for (const auto& a : run.follow_up_arms()) {
    t.header.push_back(escape(run.label(a)) + (run.comparing() ? " ours (published)" : ""));
    t.align += 'r';
  }
  return t;
}

std::string metric_label(const std::string& m) {
  if (m == metric::sparsity) return "Sparsity (%)";
  if (m == metric::clean) return "Clean (%)";
  if (m == metric::standard) return "Standard (%)";
  return "Combined stress (%)";
}

}  // namespace

std::string stress_label(float level) {
  static const std::pair<float, const char*> names[] = {
      {0.0f, "none"}, {0.5f, "moderate"}, {1.0f, "high"}, {1.5f, "severe"}, {2.5f, "extreme"}};
  for (const auto& [s, name] : names)
    if (s == level) return "σ = " + detail::decimal(level) + " (" + name + ")";
  return "σ = " + detail::decimal(level);
}

std::string efficacy_table(const RunView& run, int& flagged) {
  Table t = long_table(run);
  for (const auto& arm : run.arms())
    for (const std::string m : {metric::sparsity, metric::clean, metric::standard, metric::combined})
      t.rows.push_back(long_row(run, arm, metric_label(m), run.stat(arm, m), run.ref(arm, m),
                                m == metric::sparsity ? Kind::sparsity : Kind::accuracy, flagged));
  return t.render() + "\nClean: noise-free points on the cluster centres; standard: the σ = 0.8 test set; combined "
                      "stress: the standard set plus input noise σ = 1.0 and internal noise σ = 0.5.\n\n";
}

std::string stress_table(const RunView& run, int& flagged) {
  Table t = long_table(run, "Internal noise");
  for (const auto& arm : run.arms())
    for (const auto& [level, key] : run.stress_levels())
      t.rows.push_back(long_row(run, arm, stress_label(level), run.stat(arm, key), run.ref(arm, key),
                                Kind::accuracy, flagged));
  return t.render() + "\nAccuracy (%) on the standard test set with Gaussian noise of SD σ added to every hidden "
                      "unit.\n\n";
}

std::string relapse_table(const RunView& run, int& flagged) {
  Table t = long_table(run);
  Table ctx{{"Arm", "Combined before (%)", "Combined after (%)", "Sparsity after (%)"}, "lrrr", {}};
  for (const auto& arm : run.follow_up_arms()) {
    t.rows.push_back(long_row(run, arm, "Relapse drop (pp)", run.stat(arm, metric::relapse_drop),
                              run.ref(arm, metric::relapse_drop), Kind::accuracy, flagged));
    ctx.rows.push_back({escape(run.label(arm)), pm(run.stat(arm, metric::relapse_before)),
                        pm(run.stat(arm, metric::relapse_after)), pm(run.stat(arm, metric::relapse_sparsity))});
  }
  if (t.rows.empty()) return "*No arm of this run has an acute relapse test.*\n\n";
  return t.render() + "\nOurs in detail:\n\n" + ctx.render() + "\n";
}

std::string probe_table(const RunView& run, int& flagged) {
  Table p{{"Arm", "Probe", "Measure", "Ours, probe (mean ± SD)", "Published, probe", "Δ", "Flag", "Ours, as treated"},
          "lllrrrlr", {}};
  if (!run.comparing()) p = {{"Arm", "Probe", "Measure", "Probe (mean ± SD)", "As treated"}, "lllrr", {}};
  // Each probe measure, and the same measure as treated: combined stress, and
  // the largest stress level (the probes' extreme noise).
  struct Measure {
    std::string (*probe_key)(const std::string& probe);
    std::string as_treated;
    const char* what;
  };
  const Measure measures[] = {{metric::probe_combined, metric::combined, "Combined stress (%)"},
                              {metric::probe_extreme, run.stress_levels().back().second, "Extreme internal noise (%)"}};
  for (const auto& arm : run.spec.arms) {
    if (!arm.follow_up) continue;
    for (const auto& probe : arm.probes) {
      std::string how;
      if (probe.modulation.damping) how = "damping " + detail::decimal(*probe.modulation.damping);
      if (probe.modulation.activation)
        how += (how.empty() ? "" : ", ") +
               std::string(*probe.modulation.activation == rewire::Activation::relu ? "ReLU" : "tanh");
      for (const Measure& m : measures) {
        const std::string key = m.probe_key(probe.name);
        auto row = long_row(run, arm.name, m.what, run.stat(arm.name, key), run.ref(arm.name, key), Kind::accuracy,
                            flagged);
        row.insert(row.begin() + 1, escape(probe.name) + " (" + how + ")");
        row.push_back(pm(run.stat(arm.name, m.as_treated)));
        p.rows.push_back(row);
      }
    }
  }
  if (p.rows.empty()) return "";
  return "State dependence: the arm is measured with its modulation temporarily switched (for the paper's "
         "neurosteroid-like arm: damping off and ReLU instead of tanh), then restored. *As treated* is the same "
         "measure with the modulation on (Tables 1 and 2).\n\n" +
         p.render() + "\n";
}

std::string cycle_accuracy_table(const RunView& run, int& flagged) {
  Table t = wide_table(run, "Cycle");
  for (std::size_t c = 0; c <= std::size_t(run.spec.longitudinal.cycles); ++c) {
    std::vector<std::string> row{std::to_string(c)};
    for (const auto& a : run.follow_up_arms()) {
      const Stat& s = run.cycles(a).accuracy.at(c);
      const Ref p = run.cycle_ref(a, "accuracy", c);
      const Verdict v = run.verdict(s, p, Kind::accuracy);
      flagged += v.flagged;
      row.push_back(cell(pm(s), p.ok() ? pm(p) : "", v.flagged));
    }
    t.rows.push_back(row);
  }
  return t.render() +
         fmt::format("\nMean ± SD (%) of combined-stress accuracy after each cycle (cycle 0: right after treatment, with "
                     "its own noise draw; each cycle prunes {:g} % of the surviving weights, then runs the arm's maintenance).",
                     run.spec.longitudinal.prune.fraction * 100.0) +
         (run.comparing() ? " ⚑ marks a difference beyond noise." : "") + "\n\n";
}

std::string cycle_sparsity_table(const RunView& run, int& flagged) {
  Table t = wide_table(run, "Cycle");
  for (std::size_t c = 0; c <= std::size_t(run.spec.longitudinal.cycles); ++c) {
    std::vector<std::string> row{std::to_string(c)};
    for (const auto& a : run.follow_up_arms()) {
      const Stat& s = run.cycles(a).sparsity.at(c);
      const Ref p = run.cycle_ref(a, "sparsity", c);
      const Verdict v = run.verdict(s, p, Kind::sparsity);
      flagged += v.flagged;
      std::string ours = num(s.mean, 2);
      if (std::isfinite(s.sd) && s.sd > 0.005) ours += " ± " + num(s.sd, 2);
      row.push_back(cell(ours, p.ok() ? num(p.mean, 1) : "", v.flagged));
    }
    t.rows.push_back(row);
  }
  return t.render() +
         fmt::format("\nSparsity (%) of the {} weight matrices (biases not counted). Deterministic, hence the same "
                     "for every seed (an SD is shown only if seeds differ).",
                     run.spec.weight_matrices()) +
         (run.comparing() ? " Flag: |Δ| > 0.1." : "") + "\n\n";
}

std::string cycle_range_table(const RunView& run) {
  Table t = wide_table(run, "Cycle");
  for (std::size_t c = 0; c <= std::size_t(run.spec.longitudinal.cycles); ++c) {
    std::vector<std::string> row{std::to_string(c)};
    for (const auto& a : run.follow_up_arms()) {
      const Stat& s = run.cycles(a).accuracy.at(c);
      std::string pub;
      if (const auto r = run.comparing() ? run.published().range(a, c) : std::nullopt)
        pub = num(r->first) + "–" + num(r->second);
      row.push_back(cell(num(s.min) + "–" + num(s.max), pub, false));
    }
    t.rows.push_back(row);
  }
  return t.render() + "\nCombined-stress accuracy (%)." +
         (run.comparing() ? " The paper publishes a range only for the neurosteroid-like arm at cycle 8; ranges are "
                            "not flagged (the extremes of 10 seeds are too noisy to test)."
                          : "") +
         "\n\n";
}

namespace {

// Table 4, one column: total drop, final accuracy, relapse counts and cycle.
void relapse_summary_column(const RunView& run, const std::string& a, std::vector<std::vector<std::string>>& rows,
                            int& flagged) {
  const CycleSummary& L = run.cycles(a);
  const bool cmp = run.comparing();
  const Published& pub = run.published();
  const Ref pdrop = cmp ? pub.total_drop(a) : Ref{};
  Verdict v = run.verdict(L.total_drop, pdrop, Kind::accuracy);
  flagged += v.flagged;
  rows[0].push_back(cell(pm(L.total_drop), pdrop.ok() ? pm(pdrop) : "", v.flagged));
  const Ref pfin = cmp ? pub.final_accuracy(a) : Ref{};
  v = run.verdict(L.accuracy.back(), pfin, Kind::accuracy);
  flagged += v.flagged;
  rows[1].push_back(cell(pm(L.accuracy.back()), pfin.ok() ? pm(pfin) : "", v.flagged));

  const int relapsed = int(L.relapsed), total = int(L.relapse_cycles.size()), pn = pub.n();
  const auto prel = cmp ? pub.relapsed(a) : std::nullopt;
  const bool fc = prel && count_flagged(relapsed, total, *prel, pn);
  flagged += fc;
  rows[2].push_back(cell(fmt::format("{}/{}", relapsed, total), prel ? fmt::format("{:.0f}/{}", *prel, pn) : "", fc));
  rows[3].push_back(
      cell(fmt::format("{}/{}", total - relapsed, total), prel ? fmt::format("{:.0f}/{}", pn - *prel, pn) : "", fc));

  const Stat& mc = L.relapse_cycle;
  const auto pmc = cmp ? pub.mean_relapse_cycle(a) : std::nullopt;
  const bool fcy = pmc && *pmc && mc.ok() && cycle_flagged(mc.mean, **pmc);
  flagged += fcy;
  rows[4].push_back(cell(mc.ok() ? num(mc.mean) : "N/A", pmc ? (*pmc ? num(**pmc) : "N/A") : "", fcy));
}

}  // namespace

std::string relapse_summary_table(const RunView& run, int& flagged) {
  const std::string thr = num(run.spec.longitudinal.threshold, 0);
  std::vector<std::vector<std::string>> rows{{"Total accuracy drop, cycle 0 to last (pp)"},
                                             {"Final accuracy, last cycle (%)"},
                                             {"Seeds with relapse (< " + thr + " %)"},
                                             {"Seeds without relapse (≥ " + thr + " %)"},
                                             {"Mean cycle at relapse (if relapsed)"}};
  for (const auto& a : run.follow_up_arms()) relapse_summary_column(run, a, rows, flagged);
  Table t = wide_table(run, "Metric");
  t.align[0] = 'l';
  t.rows = rows;
  return t.render() + "\nTotal drop = cycle-0 minus last-cycle combined accuracy (negative = improved over the "
                      "cycles). Relapse = the first cycle (0 included) whose combined accuracy is below the "
                      "threshold.\n\n";
}

std::string relapse_seed_table(const RunView& run) {
  Table t{{"Seed"}, "r", {}};
  const auto arms = run.follow_up_arms();
  for (const auto& a : arms) {
    t.header.push_back(escape(run.label(a)));
    t.align += 'r';
  }
  for (std::size_t i = 0; i < run.seeds.size(); ++i) {
    std::vector<std::string> row{run.seed_name(i)};
    for (const auto& a : arms) {
      const auto& rc = run.cycles(a).relapse_cycles.at(i);
      const ArmRecord& rec = run.seeds[i].arms.at(a);
      std::string c = rc ? fmt::format("cycle {}", *rc) : kNone;
      c += fmt::format(" (final {} %)", num(rec.longitudinal->accuracy.back().value_or(kNaN)));
      if (rec.diverged) c += ", diverged";
      row.push_back(c);
    }
    t.rows.push_back(row);
  }
  return t.render() + "\n— = never below the threshold; *final* = the seed's last-cycle combined accuracy." +
         (run.comparing() ? " Published: SSRI-like 4 seeds at cycle 0, neurosteroid-like 2 seeds at cycle 8, "
                            "ketamine-like none."
                          : "") +
         "\n\n";
}

}  // namespace chronic_stress::detail
