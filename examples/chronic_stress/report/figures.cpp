// report/figures.cpp - see figures.hpp.
#include "report/figures.hpp"

#include "report/figure_kit.hpp"

#include <rewire/io/files.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <map>

namespace chronic_stress {

namespace fs = std::filesystem;
using namespace detail;

namespace {

// ---- Figure 3: combined-stress accuracy by cycle ------------------------------

struct Longitudinal {
  std::string data, seeds;
  double lo = 80.0;
  std::size_t max_cycle = 1;
  bool any_pub = false;
};

Longitudinal longitudinal_data(const RunView& run, const std::vector<std::string>& arms) {
  Longitudinal f;
  f.lo = run.spec.longitudinal.threshold;
  f.data = "# Combined-stress accuracy (%) by cycle; one index block per arm (two blank lines between blocks),\n"
           "# its first line the arm's label. columns: cycle  mean  sd  min  max  published_mean  published_sd\n";
  f.seeds = "# Combined-stress accuracy (%) by cycle per seed; one index block per arm, one sub-block per seed.\n"
            "# columns: cycle  accuracy  seed\n";
  for (std::size_t a = 0; a < arms.size(); ++a) {
    if (a > 0) f.data += "\n\n", f.seeds += "\n\n";
    f.data += fmt::format("# index {}: {}\n{}\n", a, arms[a], data_label(run.label(arms[a])));
    f.seeds += fmt::format("# index {}: {}\n", a, arms[a]);
    const CycleSummary& L = run.cycles(arms[a]);
    f.max_cycle = std::max(f.max_cycle, L.accuracy.size() - 1);
    for (std::size_t c = 0; c < L.accuracy.size(); ++c) {
      const Stat& s = L.accuracy[c];
      const Ref p = run.cycle_ref(arms[a], "accuracy", c);
      f.data += stat_row(std::to_string(c), s, p) + "\n";
      if (s.ok()) f.lo = std::min({f.lo, s.mean - (std::isfinite(s.sd) ? s.sd : 0.0), s.min});
      if (p.ok()) f.lo = std::min(f.lo, p.mean), f.any_pub = true;
    }
    for (std::size_t i = 0; i < run.seeds.size(); ++i) {
      if (i > 0) f.seeds += "\n";
      const auto& curve = run.seeds[i].arms.at(arms[a]).longitudinal->accuracy;
      for (std::size_t c = 0; c < curve.size(); ++c) {
        f.seeds += fmt::format("{} {} {}\n", c, dat(curve[c].value_or(kNaN)), run.seed_name(i));
        if (curve[c]) f.lo = std::min(f.lo, *curve[c]);
      }
    }
  }
  return f;
}

std::string longitudinal_script(const RunView& run, const std::vector<std::string>& arms,
                                const std::map<std::string, ArmStyle>& styles, const Longitudinal& f) {
  const double threshold = run.spec.longitudinal.threshold;
  std::string gp = gp_header("longitudinal", "combined-stress accuracy by cycle per arm",
                             "# Data: longitudinal.dat (per arm: cycle, mean, sd, min, max, published mean/sd),\n"
                             "#       longitudinal_seeds.dat (per arm, one line per seed).\n");
  gp += fmt::format(
      "set title \"Chronic stress: combined-stress accuracy over {} cycles of pruning\"\n"
      "set xlabel \"Stress cycle (each prunes {} of the surviving weights, then maintenance)\"\n"
      "set ylabel \"Combined-stress accuracy (%)\"\n"
      "set xrange [-0.25:{:.2f}]\n"
      "set xtics 1\n"
      "set yrange [{}:100.5]\n"
      "set ytics 10 format \"%.0f\"\n"
      "set style fill transparent solid 0.20 noborder\n"
      "threshold = {}\n",
      f.max_cycle, percent(run.spec.longitudinal.prune.fraction), double(f.max_cycle) + 0.25,
      std::max(0.0, std::floor((f.lo - 3.0) / 10.0) * 10.0), threshold);
  std::vector<std::string> parts;
  for (std::size_t a = 0; a < arms.size(); ++a)
    parts.push_back(fmt::format("'longitudinal.dat' index {} using 1:($2-$3):($2+$3) with filledcurves lc rgb \"{}\"",
                                a, styles.at(arms[a]).colour));
  for (std::size_t a = 0; a < arms.size(); ++a)
    parts.push_back(fmt::format("'longitudinal_seeds.dat' index {} using 1:2 with lines lw 1.2 lc rgb \"{}\"", a,
                                with_alpha(styles.at(arms[a]).colour, "90")));
  parts.push_back("threshold with lines dt (8,6) lw 2.5 lc rgb \"#555555\"");
  for (std::size_t a = 0; a < arms.size(); ++a) {
    const ArmStyle& st = styles.at(arms[a]);
    parts.push_back(fmt::format("'longitudinal.dat' index {} using 1:2 with linespoints lw 3.5 pt {} ps 1.5 "
                                "lc rgb \"{}\" title columnheader(1)", a, st.point, st.colour));
    if (f.any_pub)
      parts.push_back(fmt::format("'longitudinal.dat' index {} using 1:6 with points pt 6 ps 2.6 lw 2 lc rgb \"{}\"",
                                  a, st.colour));
  }
  parts.push_back("keyentry with filledcurves lc rgb \"#888888\" title \"± 1 SD\"");
  parts.push_back("keyentry with lines lw 1.2 lc rgb \"#70555555\" title \"single seeds\"");
  if (f.any_pub) parts.push_back("keyentry with points pt 6 ps 2.6 lw 2 lc rgb \"#333333\" title \"published mean\"");
  parts.push_back(fmt::format(
      "keyentry with lines dt (8,6) lw 2.5 lc rgb \"#555555\" title \"relapse threshold ({:.0f} %)\"", threshold));
  return gp + plot_command(parts);
}

bool write_longitudinal(const RunView& run, const fs::path& dir, const std::map<std::string, ArmStyle>& styles) {
  const auto arms = run.follow_up_arms();
  if (arms.empty()) return false;
  const Longitudinal f = longitudinal_data(run, arms);
  rewire::io::write_file_atomic(dir / "longitudinal.dat", f.data);
  rewire::io::write_file_atomic(dir / "longitudinal_seeds.dat", f.seeds);
  rewire::io::write_file_atomic(dir / "longitudinal.gp", longitudinal_script(run, arms, styles, f));
  return true;
}

}  // namespace

std::vector<std::pair<std::string, bool>> write_figure_files(const RunView& run, const fs::path& dir) {
  fs::create_directories(dir);
  const auto styles = arm_styles(run.arms());
  const bool has[] = {write_longitudinal(run, dir, styles), write_stress_figure(run, dir, styles),
                      write_relapse_figure(run, dir, styles), write_survival_figure(run, dir, styles)};
  static_assert(std::size(has) == std::size(kFigureNames));
  std::vector<std::pair<std::string, bool>> out;
  for (std::size_t i = 0; i < std::size(has); ++i) {
    out.emplace_back(kFigureNames[i], has[i]);
    if (!has[i]) remove_figure_files(dir, kFigureNames[i]);  // nothing to plot: no figure, and no stale one either
  }
  return out;
}

bool remove_figure_files(const fs::path& dir, const std::string& name) {
  bool removed = false;
  for (const char* ext : {".png", ".gp", ".dat", "_seeds.dat", ".png.tmp"}) {
    std::error_code ignored;
    removed = fs::remove(dir / (name + ext), ignored) || removed;
  }
  return removed;
}

}  // namespace chronic_stress
