// report/sweep_report.cpp - sweep.json, sweep.md and the sweep figures (report.hpp).
//
// Key metrics per arm and point: post-treatment accuracy on the standard set
// and under combined stress, and for arms with follow-up the combined
// accuracy at the last cycle and the share of seeds that relapsed. Bands
// are each point's percentile-bootstrap 95% interval of the mean over seeds,
// the `ci95` of the point's summary.json (statistics.hpp), so a sweep shows
// the same intervals as its points' own reports. The relapsed share is not
// in summary.json; its interval comes from the same bootstrap, on a stream
// keyed by the point's config hash.
#include "report/report.hpp"
#include "report/figure_kit.hpp"
#include "report/figures.hpp"
#include "report/gnuplot.hpp"

#include <rewire/io/files.hpp>
#include <fmt/format.h>
#include <rewire/protocol/metric_keys.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>

namespace chronic_stress {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

struct KeyMetric {
  const char* name;   ///< in sweep.json and the figure's file name
  const char* title;  ///< the figure's title and the table's heading
};
constexpr KeyMetric kMetrics[] = {{"standard", "Post-treatment accuracy, standard set (%)"},
                                  {"combined", "Post-treatment accuracy, combined stress (%)"},
                                  {"final_accuracy", "Combined accuracy at the last cycle (%)"},
                                  {"relapsed_share", "Seeds relapsed by the last cycle (%)"}};

// The key metric `name` of `arm` in `s`, if the arm has it.
std::optional<Stat> key_metric(const Summary& s, const std::string& arm, const std::string& name) {
  if (name == "standard" || name == "combined") {
    const auto& m = s.arms.at(arm);
    const auto it = m.find(name);
    if (it == m.end()) return std::nullopt;
    return it->second;
  }
  const auto it = s.longitudinal.find(arm);
  if (it == s.longitudinal.end()) return std::nullopt;
  if (name == "final_accuracy") return it->second.accuracy.back();
  std::vector<double> relapsed;  // 0 or 100 per seed: the mean is the share in percent
  for (const auto& c : it->second.relapse_cycles) relapsed.push_back(c ? 100.0 : 0.0);
  return stats(relapsed, bootstrap_key(s.config_hash, "longitudinal." + arm + ".relapsed_share"));
}

// The band of a point: its bootstrap 95% interval of the mean; the mean
// itself where there is no interval (n = 0, or a summary without one).
std::pair<double, double> band(const Stat& s) {
  if (!std::isfinite(s.ci_lo) || !std::isfinite(s.ci_hi)) return {s.mean, s.mean};
  return {s.ci_lo, s.ci_hi};
}

json stat_entry(const Stat& s) {
  const auto num = [](double v) { return std::isfinite(v) ? json(v) : json(nullptr); };
  const json ci = std::isfinite(s.ci_lo) && std::isfinite(s.ci_hi) ? json{num(s.ci_lo), num(s.ci_hi)} : json(nullptr);
  return {{"mean", num(s.mean)}, {"sd", num(s.sd)}, {"n", s.n}, {"ci95", ci}};
}

std::string label(const SweepPoint& p) {
  std::string out;
  for (const auto& v : p.values) out += (out.empty() ? "" : ", ") + v.key + " = " + v.text;
  return out;
}

// x of each point: the swept value when one numeric key is swept, else 0, 1, ...
std::vector<double> x_values(const std::vector<SweepPoint>& points, bool& numeric) {
  numeric = points.front().values.size() == 1;
  std::vector<double> x;
  for (std::size_t p = 0; p < points.size(); ++p) {
    const json& v = points[p].values.front().value;  // a number, or what is not one (inf, nan: text)
    numeric = numeric && v.is_number();
    x.push_back(v.is_number() ? v.get<double>() : 0.0);
  }
  if (!numeric)
    for (std::size_t p = 0; p < points.size(); ++p) x[p] = double(p);
  return x;
}

// figures/sweep_<metric>.dat/.gp, one data block per arm: x, mean, band.
bool write_figure(const fs::path& dir, const KeyMetric& m, const std::vector<SweepPoint>& points,
                  const std::vector<Summary>& summaries, const std::vector<std::string>& arms) {
  bool numeric = false;
  const std::vector<double> x = x_values(points, numeric);
  std::string dat;
  std::vector<std::string> plotted;
  for (const auto& arm : arms) {
    std::string rows;
    for (std::size_t p = 0; p < points.size(); ++p)
      if (const auto s = key_metric(summaries[p], arm, m.name); s && s->ok()) {
        const auto [lo, hi] = band(*s);
        rows += fmt::format("{} {} {} {} {}\n", detail::dat(x[p]), detail::dat(s->mean), detail::dat(lo),
                            detail::dat(hi), detail::data_label(label(points[p])));
      }
    if (rows.empty()) continue;
    dat += (plotted.empty() ? "" : "\n\n") + detail::data_label(arm) + "\n" + rows;
    plotted.push_back(arm);
  }
  if (plotted.empty()) return false;
  const std::string name = std::string("sweep_") + m.name;
  rewire::io::write_file_atomic(dir / (name + ".dat"), dat);
  const auto styles = detail::arm_styles(arms);
  std::string gp = detail::gp_header(name, m.title, "# Data: sweep_" + std::string(m.name) +
                                                            ".dat, one block per arm: x mean ci95_lo ci95_hi point\n");
  // The key path as the x label, reduced to the characters a path has.
  std::string key;
  for (char c : points.front().values.front().key)
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '[' || c == ']') key += c;
  gp += fmt::format("set title \"{}\"\nset xlabel \"{}\"\n", m.title,
                    numeric ? key : "sweep point (labels: the values of the point)");
  if (!numeric) gp += "set xtics rotate by -30\n";
  gp += "set offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05\n";
  std::vector<std::string> parts;
  for (std::size_t i = 0; i < plotted.size(); ++i) {
    const auto& st = styles.at(plotted[i]);
    parts.push_back(fmt::format("'{}.dat' index {} using 1:3:4 with filledcurves fc rgb \"{}\" notitle", name, i,
                                detail::with_alpha(st.colour, "C0")));
    parts.push_back(fmt::format("'' index {} using 1:2{} with linespoints lc rgb \"{}\" pt {} title columnheader(1)",
                                i, numeric ? "" : ":xtic(5)", st.colour, st.point));
  }
  gp += detail::plot_command(parts);
  rewire::io::write_file_atomic(dir / (name + ".gp"), gp);
  return true;
}

std::string markdown(const std::vector<SweepPoint>& points, const std::vector<PreparedStudy>& studies,
                     const std::vector<Summary>& summaries, const std::vector<std::string>& arms,
                     const std::vector<std::string>& figures) {
  std::string md = "# Sweep\n\n" + std::to_string(points.size()) + " points, seeds " +
                   std::to_string(summaries.front().seeds.size()) + " per point, epoch scale " +
                   fmt::format("{:g}", studies.front().epoch_scale) +
                   ". Each point is a study of its own (its directory holds its config.toml, summary.json and "
                   "report.md). Values are mean ± SD over seeds with the bootstrap 95% interval of the mean in "
                   "brackets; the bands in the figures are those intervals (percentile bootstrap over seeds, "
                   "10,000 resamples: the `ci95` of each point's summary.json).\n\n";
  md += "| point | values | hash |\n|---|---|---|\n";
  for (std::size_t p = 0; p < points.size(); ++p)
    md += "| [" + points[p].dir + "](" + points[p].dir + "/report.md) | `" + label(points[p]) + "` | " +
          studies[p].hash + " |\n";
  for (const auto& m : kMetrics) {
    std::string table = std::string("\n## ") + m.title + "\n\n| arm |";
    for (const auto& p : points) table += " " + p.dir + " |";
    table += "\n|---|";
    for (std::size_t p = 0; p < points.size(); ++p) table += "---|";
    table += "\n";
    bool any = false;
    for (const auto& arm : arms) {
      std::string row = "| " + arm + " |";
      bool has = false;
      for (const auto& s : summaries) {
        const auto st = key_metric(s, arm, m.name);
        has = has || (st && st->ok());
        if (!st || !st->ok()) row += " - |";
        else if (const auto [lo, hi] = band(*st); std::isfinite(st->ci_lo))
          row += fmt::format(" {:.1f} ± {:.1f} [{:.1f}, {:.1f}] |", st->mean, st->sd, lo, hi);
        else row += fmt::format(" {:.1f} ± {:.1f} |", st->mean, st->sd);
      }
      if (has) table += row + "\n";
      any = any || has;
    }
    if (!any) continue;
    md += table;
    if (std::find(figures.begin(), figures.end(), m.name) != figures.end())
      md += fmt::format("\n![{}](figures/sweep_{}.png)\n", m.title, m.name);
  }
  return md;
}

}  // namespace

std::vector<std::string> write_sweep_results(const std::vector<SweepPoint>& points,
                                             const std::vector<PreparedStudy>& studies,
                                             const std::vector<Summary>& summaries, const fs::path& out,
                                             bool report) {
  std::vector<std::string> arms;
  for (const auto& arm : studies.front().spec.arms) arms.push_back(arm.name);
  json doc = {{"schema", "rewire.chronic_stress.sweep/3"}, {"epoch_scale", studies.front().epoch_scale},
              {"seeds", summaries.front().seeds}};
  json keys = json::array();
  for (const auto& v : points.front().values) keys.push_back(v.key);
  doc["keys"] = keys;
  json list = json::array();
  for (std::size_t p = 0; p < points.size(); ++p) {
    json values = json::object(), per_arm = json::object();
    for (const auto& v : points[p].values) values[v.key] = v.value;  // typed: numbers stay numbers
    for (const auto& arm : arms) {
      json entry = json::object();
      for (const auto& m : kMetrics)
        if (const auto s = key_metric(summaries[p], arm, m.name)) entry[m.name] = stat_entry(*s);
      if (summaries[p].arms.count(arm)) per_arm[arm] = entry;
    }
    list.push_back({{"dir", points[p].dir}, {"values", values}, {"config_hash", studies[p].hash}, {"arms", per_arm}});
  }
  doc["points"] = list;
  rewire::io::write_file_atomic(out / "sweep.json", doc.dump(2) + "\n");
  std::vector<std::string> warnings;
  if (!report) return warnings;
  const fs::path figures = out / "figures";
  fs::create_directories(figures);
  const Gnuplot gnuplot = find_gnuplot();
  std::vector<std::string> drawn;
  for (const auto& m : kMetrics) {
    if (!write_figure(figures, m, points, summaries, arms)) continue;
    const FigureResult r = render_figure(figures, std::string("sweep_") + m.name, gnuplot);
    if (r.rendered) drawn.push_back(m.name);
    else if (!r.problem.empty()) warnings.push_back("figure sweep_" + std::string(m.name) + ": " + r.problem);
  }
  rewire::io::write_file_atomic(out / "sweep.md", markdown(points, studies, summaries, arms, drawn));
  return warnings;
}

bool remove_sweep_report(const fs::path& out) {
  std::error_code ignored;
  bool removed = fs::remove(out / "sweep.md", ignored);
  for (const auto& m : kMetrics)
    removed = remove_figure_files(out / "figures", std::string("sweep_") + m.name) || removed;
  fs::remove(out / "figures", ignored);  // only if empty
  return removed;
}

}  // namespace chronic_stress
