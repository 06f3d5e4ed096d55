// report/figures_panel.cpp - Figure 1 (accuracy vs internal noise) and Figure 2
// (acute relapse drop): data and scripts. See figures.hpp.
#include "report/figure_kit.hpp"
#include "report/figures.hpp"
#include "report/markdown.hpp"

#include <rewire/io/files.hpp>
#include <rewire/protocol/metric_keys.hpp>

#include <algorithm>

namespace chronic_stress::detail {

namespace fs = std::filesystem;
namespace metric = rewire::protocol::metric;

namespace {

std::string stress_script(const RunView& run, const std::vector<std::string>& arms,
                          const std::map<std::string, ArmStyle>& styles, bool any_pub) {
  const auto levels = run.stress_levels();
  std::vector<std::string> xt;
  for (const auto& [level, metric] : levels) xt.push_back(fmt::format("\"{}\" {}", detail::decimal(level), level));
  std::string gp = gp_header("stress_sweep", "accuracy vs internal noise sigma per arm (mean ± SD)",
                             "# Data: stress_sweep.dat (per arm: sigma, mean, sd, min, max, published mean/sd).\n");
  gp += fmt::format(
      "set title \"Stress resilience: accuracy under graded internal noise\"\n"
      "set xlabel \"Internal noise σ (SD of the Gaussian noise added to every hidden unit)\"\n"
      "set ylabel \"Accuracy on the standard test set (%)\"\n"
      "set xrange [-0.15:{:.2f}]\n"
      "set xtics ({})\n"
      "set yrange [0:102]\n"
      "set ytics 20 format \"%.0f\"\n"
      "set errorbars 1.5\n"
      "chance = 25\n"
      "# Horizontal dodge between arms so that error bars do not overlap.\n"
      "dodge = 0.035\n",
      double(levels.back().first) + 0.15,
      fmt::join(xt, ", "));
  std::vector<std::string> parts;
  for (std::size_t a = 0; a < arms.size(); ++a) {
    const ArmStyle& st = styles.at(arms[a]);
    const double off = double(a) - (double(arms.size()) - 1.0) / 2.0;
    parts.push_back(fmt::format("'stress_sweep.dat' index {} using ($1+({:.1f})*dodge):2:3 with yerrorlines lw 3 "
                                "pt {} ps 1.5 lc rgb \"{}\" title columnheader(1)", a, off, st.point, st.colour));
    if (any_pub)
      parts.push_back(fmt::format("'stress_sweep.dat' index {} using ($1+({:.1f})*dodge):6 with points pt 6 ps 2.8 "
                                  "lw 2 lc rgb \"{}\"", a, off, st.colour));
  }
  if (any_pub) parts.push_back("keyentry with points pt 6 ps 2.8 lw 2 lc rgb \"#333333\" title \"published mean\"");
  parts.push_back("chance with lines dt (3,4) lw 2 lc rgb \"#777777\" title \"chance (4 classes)\"");
  return gp + plot_command(parts);
}

struct Relapse {
  std::string data, seeds;
  double lo = 0.0, hi = 1.0;
  bool any_pub = false;
};

Relapse relapse_data(const RunView& run, const std::vector<std::string>& arms) {
  Relapse f;
  f.data = "# Acute relapse drop (percentage points of combined-stress accuracy) per arm; one index block per arm.\n"
           "# columns: x  mean  sd  min  max  published_mean  published_sd  label\n";
  f.seeds = "# Acute relapse drop per seed; one index block per arm. x = arm position + deterministic jitter.\n"
            "# columns: arm_x  x  drop  seed\n";
  for (std::size_t a = 0; a < arms.size(); ++a) {
    if (a > 0) f.data += "\n\n", f.seeds += "\n\n";
    f.data += fmt::format("# index {}: {}\n", a, arms[a]);
    f.seeds += fmt::format("# index {}: {}\n", a, arms[a]);
    const Stat& s = run.stat(arms[a], metric::relapse_drop);
    const Ref p = run.ref(arms[a], metric::relapse_drop);
    f.data += stat_row(std::to_string(a), s, p) + " " + data_label(run.label(arms[a])) + "\n";
    const double sd = std::isfinite(s.sd) ? s.sd : 0.0;
    f.lo = std::min(f.lo, s.mean - sd), f.hi = std::max(f.hi, s.mean + sd);
    if (p.ok()) f.lo = std::min(f.lo, p.mean), f.hi = std::max(f.hi, p.mean), f.any_pub = true;
    bool any = false;
    for (std::size_t i = 0; i < run.seeds.size(); ++i) {
      const Value& v = run.seeds[i].arms.at(arms[a]).metrics.at(metric::relapse_drop);
      if (!v) continue;
      any = true;
      f.seeds += fmt::format("{} {:.4f} {} {}\n", a, double(a) + 0.32 * jitter(i), dat(*v), run.seed_name(i));
      f.lo = std::min(f.lo, *v), f.hi = std::max(f.hi, *v);
    }
    if (!any) f.seeds += "NaN NaN NaN NaN\n";  // keep the index numbering aligned
  }
  return f;
}

std::string relapse_script(const RunView& run, const std::vector<std::string>& arms,
                           const std::map<std::string, ArmStyle>& styles, const Relapse& f) {
  const double pad = 0.08 * (f.hi - f.lo);
  std::string gp = gp_header("relapse_drop", "acute relapse drop per arm (bars: mean, whiskers: ± SD, dots: seeds)",
                             "# Data: relapse_drop.dat (per arm: x, mean, sd, min, max, published mean/sd, label),\n"
                             "#       relapse_drop_seeds.dat (per arm: arm x, jittered x, drop, seed).\n");
  gp += fmt::format(
      "set title \"Acute relapse: combined-stress accuracy lost after pruning\\n{} of the surviving weights\"\n"
      "set xlabel \"\"\n"
      "set ylabel \"Accuracy drop (percentage points)\"\n"
      "set xrange [-0.6:{:.1f}]\n"
      "set xtics scale 0\n"
      "set yrange [{}:{}]\n"
      "set xzeroaxis lt 1 lw 1.5 lc rgb \"#444444\"\n"
      "set boxwidth 0.6\n"
      "set errorbars 2.0\n",
      percent(run.spec.relapse.prune.fraction), double(arms.size()) - 0.4,
      f.lo < 0.0 ? std::floor(f.lo - pad) : 0.0, std::ceil(f.hi + pad));
  std::vector<std::string> parts;
  for (std::size_t a = 0; a < arms.size(); ++a)
    parts.push_back(fmt::format("'relapse_drop.dat' index {0} using 1:2:xtic(8) with boxes fs solid 0.30 border "
                                "lc rgb \"{1}\" lw 2 lc rgb \"{1}\"", a, styles.at(arms[a]).colour));
  for (std::size_t a = 0; a < arms.size(); ++a) {
    parts.push_back(fmt::format("'relapse_drop_seeds.dat' index {} using 2:3 with points pt 7 ps 1.5 lc rgb \"{}\"", a,
                                with_alpha(styles.at(arms[a]).colour, "30")));
    parts.push_back(fmt::format(
        "'relapse_drop_seeds.dat' index {} using 2:3 with points pt 6 ps 1.5 lw 1 lc rgb \"#40000000\"", a));
  }
  for (std::size_t a = 0; a < arms.size(); ++a) {
    parts.push_back(fmt::format("'relapse_drop.dat' index {} using 1:2:3 with yerrorbars pt 7 ps 0 lw 2.5 "
                                "lc rgb \"#222222\"", a));
    if (f.any_pub)
      parts.push_back(fmt::format("'relapse_drop.dat' index {} using 1:6 with points pt 12 ps 3.6 lw 2.5 "
                                  "lc rgb \"#000000\"", a));
  }
  parts.push_back("keyentry with boxes fs solid 0.30 border lc rgb \"#777777\" lc rgb \"#777777\" title \"mean\"");
  parts.push_back("keyentry with yerrorbars pt 7 ps 0 lw 2.5 lc rgb \"#222222\" title \"± 1 SD\"");
  parts.push_back("keyentry with points pt 7 ps 1.5 lc rgb \"#60777777\" title \"single seeds\"");
  if (f.any_pub)
    parts.push_back("keyentry with points pt 12 ps 3.6 lw 2.5 lc rgb \"#000000\" title \"published mean\"");
  return gp + plot_command(parts);
}

}  // namespace

bool write_stress_figure(const RunView& run, const fs::path& dir, const std::map<std::string, ArmStyle>& styles) {
  const auto arms = run.arms();
  const auto levels = run.stress_levels();
  if (arms.empty() || levels.empty()) return false;
  std::string data =
      "# Accuracy (%) on the standard test set vs internal noise sigma; one index block per arm, its first line\n"
      "# the arm's label. columns: sigma  mean  sd  min  max  published_mean  published_sd\n";
  bool any_pub = false;
  for (std::size_t a = 0; a < arms.size(); ++a) {
    if (a > 0) data += "\n\n";
    data += fmt::format("# index {}: {}\n{}\n", a, arms[a], data_label(run.label(arms[a])));
    for (const auto& [level, metric] : levels) {
      const Ref p = run.ref(arms[a], metric);
      any_pub = any_pub || p.ok();
      data += stat_row(fmt::format("{}", level), run.stat(arms[a], metric), p) + "\n";
    }
  }
  rewire::io::write_file_atomic(dir / "stress_sweep.dat", data);
  rewire::io::write_file_atomic(dir / "stress_sweep.gp", stress_script(run, arms, styles, any_pub));
  return true;
}

bool write_relapse_figure(const RunView& run, const fs::path& dir, const std::map<std::string, ArmStyle>& styles) {
  std::vector<std::string> arms;
  for (const auto& a : run.follow_up_arms())
    if (run.stat(a, metric::relapse_drop).ok()) arms.push_back(a);
  if (arms.empty()) return false;
  const Relapse f = relapse_data(run, arms);
  rewire::io::write_file_atomic(dir / "relapse_drop.dat", f.data);
  rewire::io::write_file_atomic(dir / "relapse_drop_seeds.dat", f.seeds);
  rewire::io::write_file_atomic(dir / "relapse_drop.gp", relapse_script(run, arms, styles, f));
  return true;
}

}  // namespace chronic_stress::detail
