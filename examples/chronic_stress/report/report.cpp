// report/report.cpp - report.md and figures/ of a chronic_stress run (report.hpp):
// reading and checking the result files, the figures, and the order of the
// report's sections (report_md.hpp writes each of them).
#include "report/report.hpp"

#include "report/figures.hpp"
#include "report/gnuplot.hpp"
#include "report/report_md.hpp"
#include "results/results.hpp"

#include <rewire/io/files.hpp>

#include <fmt/format.h>

#include <map>

namespace chronic_stress {

namespace fs = std::filesystem;

namespace {

nlohmann::json read_result_file(const fs::path& path) {
  if (!fs::is_regular_file(path)) throw ResultsError("missing file '" + path.string() + "'");
  try {
    return read_json_file(path);
  } catch (const std::runtime_error& e) {
    throw ResultsError(e.what());
  }
}

// Sections 4 and 5: the longitudinal follow-up.
std::string cycle_sections(const RunView& run, const FigureResult& fig, int& flagged) {
  using namespace detail;
  const std::string none = "*No arm of this run has a longitudinal follow-up.*\n\n";
  std::string md = "## 4. Combined-stress accuracy by cycle (paper Table 3)\n\n";
  if (run.follow_up_arms().empty())
    return md + none + "## 5. Longitudinal relapse summary (paper Table 4)\n\n" + none;
  md += cycle_accuracy_table(run, flagged);
  md += figure(fig, "Combined-stress accuracy by cycle per arm",
               std::string("Figure 3. Combined-stress accuracy by cycle: thick lines are our means with ± 1 SD bands, "
                           "thin lines single seeds, ") +
                   (run.comparing() ? "hollow circles the published means, " : "") +
                   "the dashed line the relapse threshold.");
  md += "### Sparsity by cycle\n\n" + cycle_sparsity_table(run, flagged);
  md += "### Accuracy range (min–max over seeds) by cycle\n\n" + cycle_range_table(run);
  md += "## 5. Longitudinal relapse summary (paper Table 4)\n\n" + relapse_summary_table(run, flagged);
  return md + "### Relapse cycle per seed\n\n" + relapse_seed_table(run);
}

std::string build_report(const RunView& run, const std::map<std::string, FigureResult>& figs) {
  using namespace detail;
  int flagged = 0;
  std::string md = header(run) + notices(run) + how_to_read(run);
  md += "## 1. Post-treatment efficacy (paper Table 1)\n\n" + efficacy_table(run, flagged);
  md += "## 2. Stress resilience (paper Table 2)\n\n" + stress_table(run, flagged);
  md += figure(figs.at("stress_sweep"), "Accuracy vs internal noise per arm",
               std::string("Figure 1. Accuracy vs internal noise σ: filled markers with error bars are our mean ± SD "
                           "over seeds (arms dodged sideways)") +
                   (run.comparing() ? ", hollow circles the published means" : "") + "; dotted line: chance (25 %).");
  md += "## 3. Acute relapse and neurosteroid state dependence\n\n";
  md += fmt::format("Acute relapse: from the post-treatment state, prune {:g} % of the surviving weights once; drop = "
                    "combined accuracy before − after (percentage points, pp).\n\n",
                    run.spec.relapse.prune.fraction * 100.0);
  md += relapse_table(run, flagged);
  md += figure(figs.at("relapse_drop"), "Acute relapse drop per arm",
               std::string("Figure 2. Acute relapse drop: bars are our means, whiskers ± 1 SD, dots single seeds "
                           "(deterministic horizontal jitter)") +
                   (run.comparing() ? ", hollow diamonds the published means." : "."));
  md += probe_table(run, flagged);
  md += cycle_sections(run, figs.at("longitudinal"), flagged);
  if (run.comparing()) md += verdict(flagged) + published_values_used() + calibration(run);
  return md + clinical_section(run, figs.at("survival"));
}

}  // namespace

ReportInputs load_report_inputs(const fs::path& dir) {
  ReportInputs in;
  const fs::path summary_path = dir / "summary.json";
  const auto named = [](const fs::path& p, const std::exception& e) {
    return ResultsError("'" + p.string() + "': " + e.what());
  };
  try {
    in.summary = summary_from_json(read_result_file(summary_path));
    in.spec = spec_of_summary(in.summary);
    if (const std::string why = summary_mismatch(in.summary, in.spec); !why.empty()) throw ResultsError(why);
  } catch (const ResultsError& e) {
    if (std::string(e.what()).rfind("missing file", 0) == 0) throw;
    throw named(summary_path, e);
  }
  for (std::uint64_t seed : in.summary.seeds) {
    const fs::path p = seed_path(dir, seed);
    std::string why;
    if (!fs::is_regular_file(p)) throw ResultsError("missing file '" + p.string() + "'");
    auto record = read_seed_file(p, seed, in.summary.config_hash, in.summary.library_version, in.spec, why);
    if (!record) throw ResultsError("'" + p.string() + "': " + why);
    in.seeds.push_back(std::move(*record));
  }
  return in;
}

std::vector<std::string> write_report(const fs::path& out_dir, const ReportInputs& inputs,
                                      const std::function<bool()>& stopped) {
  const RunView run(inputs);
  const fs::path figdir = out_dir / "figures";
  const auto has_data = write_figure_files(run, figdir);
  std::vector<std::string> warnings;
  bool any = false;
  for (const auto& [name, has] : has_data) any = any || has;
  const Gnuplot gnuplot = any ? find_gnuplot() : Gnuplot{};
  std::map<std::string, FigureResult> figs;
  for (const auto& [name, has] : has_data) {
    if (stopped && stopped()) return warnings;
    FigureResult f;
    f.name = name;
    f.has_data = has;
    if (has) f = render_figure(figdir, name, gnuplot);
    if (!gnuplot.path.empty() && !f.problem.empty()) warnings.push_back(f.problem);
    figs[name] = f;
  }
  if (stopped && stopped()) return warnings;
  if (any && gnuplot.path.empty())
    warnings.push_back(gnuplot.problem + ": figures not rendered; their data and gnuplot scripts are in " +
                       figdir.string());
  rewire::io::write_file_atomic(out_dir / "report.md", build_report(run, figs));
  return warnings;
}

bool remove_report(const fs::path& out_dir) {
  std::error_code ignored;
  bool removed = fs::remove(out_dir / "report.md", ignored);
  const fs::path figdir = out_dir / "figures";
  for (const char* name : kFigureNames) removed = remove_figure_files(figdir, name) || removed;
  fs::remove(figdir, ignored);  // only if empty
  return removed;
}

}  // namespace chronic_stress
