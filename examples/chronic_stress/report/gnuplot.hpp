// report/gnuplot.hpp - rendering figures/<name>.gp to PNG with gnuplot, safely.
//
// gnuplot runs without a shell (fork + exec with an argument vector), in the
// figures directory, with the script as a file argument; the scripts hold
// no name read from a result file (labels travel in the .dat files, which
// gnuplot never executes). gnuplot's exit status is not trusted on its own
// (it exits 0 on a full disk): the PNG must be complete (signature, chunks,
// IEND at the end) before it replaces the old figure. Ctrl-C (SIGINT) or
// SIGTERM while gnuplot runs is forwarded to gnuplot; the temporary files go
// and the same signal is raised again.
#pragma once

#include <filesystem>
#include <string>

namespace chronic_stress {

/// The gnuplot to run: $CHRONIC_STRESS_GNUPLOT (tests use it) or `gnuplot`
/// from PATH; `path` is empty and `problem` says why if none runs.
struct Gnuplot {
  std::string path;
  std::string problem;
};
Gnuplot find_gnuplot();

struct FigureResult {
  std::string name;      ///< e.g. "longitudinal"
  bool has_data = true;  ///< false: nothing to plot, no figure
  bool rendered = false;
  std::string problem;  ///< why not rendered, or what gnuplot warned about
};

/// Renders dir/<name>.gp to dir/<name>.png (via a temporary file, renamed
/// once complete). Without a gnuplot, removes a stale PNG and says why.
FigureResult render_figure(const std::filesystem::path& dir, const std::string& name, const Gnuplot& gnuplot);

/// Whether `file` is a complete PNG (signature, IHDR first, chunks whole,
/// IEND last); else `why` says what is wrong.
bool png_complete(const std::filesystem::path& file, std::string& why);

}  // namespace chronic_stress
