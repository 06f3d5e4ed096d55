// report/figures_survival.cpp - Figure 4: relapse-free survival of the responders
// per arm (Kaplan-Meier step curves from summary.json's survival section,
// with a mark where responders are censored).
#include "report/figure_kit.hpp"

#include <rewire/io/files.hpp>

#include <fmt/format.h>

namespace chronic_stress::detail {

namespace fs = std::filesystem;

namespace {

// Arms with follow-up and at least one responder (no responder: no curve).
std::vector<std::string> survival_arms(const RunView& run) {
  std::vector<std::string> out;
  for (const auto& a : run.follow_up_arms()) {
    const auto o = run.summary.clinical.outcomes.find(a);
    if (o != run.summary.clinical.outcomes.end() && o->second.responders > 0) out.push_back(a);
  }
  return out;
}

std::string survival_data(const RunView& run, const std::vector<std::string>& arms) {
  std::string d =
      "# Relapse-free survival of the responders (Kaplan-Meier) by cycle; one index block per arm, its\n"
      "# first line the arm's label. Cycle 0 is the start (estimate 1).\n"
      "# columns: cycle  estimate  at_risk  events  censored\n";
  for (std::size_t a = 0; a < arms.size(); ++a) {
    if (a > 0) d += "\n\n";
    const SurvivalSummary& k = run.summary.clinical.survival.at(arms[a]);
    d += fmt::format("# index {}: {}\n{}\n", a, arms[a], data_label(run.label(arms[a])));
    d += fmt::format("0 1.0000 {} 0 0\n", run.summary.clinical.outcomes.at(arms[a]).responders);
    for (std::size_t i = 0; i < k.cycle.size(); ++i)
      d += fmt::format("{} {} {} {} {}\n", k.cycle[i], dat(k.estimate[i]), k.at_risk[i], k.events[i], k.censored[i]);
  }
  return d;
}

std::string survival_script(const RunView& run, const std::vector<std::string>& arms,
                            const std::map<std::string, ArmStyle>& styles) {
  const int C = run.spec.longitudinal.cycles;
  std::string gp = gp_header("survival", "relapse-free survival of the responders per arm",
                             "# Data: survival.dat (per arm: cycle, Kaplan-Meier estimate, at risk, events, "
                             "censored).\n");
  gp += fmt::format(
      "set title \"Relapse-free survival of the responders (≥ {:g} % at cycle 0)\"\n"
      "set xlabel \"Stress cycle\"\n"
      "set ylabel \"Responders not yet relapsed (share)\"\n"
      "set xrange [-0.25:{:.2f}]\n"
      "set xtics 1\n"
      "set yrange [-0.03:1.05]\n"
      "set ytics 0.2 format \"%.1f\"\n",
      run.spec.longitudinal.threshold, double(C) + 0.25);
  std::vector<std::string> parts;
  for (std::size_t a = 0; a < arms.size(); ++a) {
    const ArmStyle& st = styles.at(arms[a]);
    // steps: the estimate holds until the next cycle's events, then drops.
    parts.push_back(fmt::format("'survival.dat' index {} using 1:2 with steps lw 3.5 lc rgb \"{}\" "
                                "title columnheader(1)", a, st.colour));
    parts.push_back(fmt::format("'survival.dat' index {} using 1:($5 > 0 ? $2 : NaN) with points pt 2 ps 2.4 lw 3 "
                                "lc rgb \"{}\"", a, st.colour));
  }
  parts.push_back("keyentry with points pt 2 ps 2.4 lw 3 lc rgb \"#333333\" title \"censored (no relapse by the "
                  "last cycle)\"");
  return gp + plot_command(parts);
}

}  // namespace

bool write_survival_figure(const RunView& run, const fs::path& dir, const std::map<std::string, ArmStyle>& styles) {
  const auto arms = survival_arms(run);
  if (arms.empty() || run.spec.longitudinal.cycles < 1) return false;
  rewire::io::write_file_atomic(dir / "survival.dat", survival_data(run, arms));
  rewire::io::write_file_atomic(dir / "survival.gp", survival_script(run, arms, styles));
  return true;
}

}  // namespace chronic_stress::detail
