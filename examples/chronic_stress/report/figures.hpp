// report/figures.hpp - the data (*.dat) and gnuplot scripts (*.gp) of the report's
// four figures. The scripts are built from fixed text and numbers only:
// every label (an arm's name or the paper's name for it) goes into the data
// file as a quoted string that the script reads with columnheader() or
// xtic(), so a name can never become gnuplot code.
#pragma once

#include "report/report_view.hpp"

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace chronic_stress {

/// The figures, in the report's order.
inline const char* const kFigureNames[] = {"longitudinal", "stress_sweep", "relapse_drop", "survival"};

/// Writes dir/<figure>.dat, .gp (and _seeds.dat) for each figure with
/// something to plot; returns (figure name, has data) in kFigureNames order.
std::vector<std::pair<std::string, bool>> write_figure_files(const RunView& run, const std::filesystem::path& dir);

/// Removes the files of figure `name` under `dir` that the report writes
/// (.png, .gp, .dat, _seeds.dat, and gnuplot's temporary .png.tmp), and no
/// other. Returns true if one was there.
bool remove_figure_files(const std::filesystem::path& dir, const std::string& name);

}  // namespace chronic_stress
