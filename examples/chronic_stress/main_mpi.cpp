// main_mpi.cpp - chronic_stress_mpi: the study of chronic_stress spread over
// MPI ranks (built with REWIRE_WITH_MPI), e.g.
//
//   mpirun -np 8 chronic_stress_mpi --seeds 100 --threads 4 --out results/big
//
// The unit of work is the task of the single-process runner: "baseline of
// seed s" and, once that exists, "arm a of seed s". Rank 0 hands the tasks
// out one per free thread as the ranks ask (mpi_tasks.hpp), so fast and
// slow ranks balance themselves and a few seeds still keep many ranks busy;
// an arm task carries its seed's pre-treatment state, so no baseline is
// computed twice. The results come back to rank 0, which writes each seed
// file as soon as its last arm is in (no shared file system is needed) and
// at the end exactly what one chronic_stress process writes: summary.json,
// results.csv and the report are computed from the same seed records.
// Finished seed files are reused by a rerun, as in chronic_stress. Arm
// checkpoints (chronic_stress --checkpoint-every) are not written: a seed
// interrupted here is recomputed by the rerun.
//
// A task that fails is reported at once with its rank, seed and arm; that
// rank asks for no further task (its node may be the cause) while the others
// finish every other seed. Their seed files are saved as usual, no summary
// is written, and every rank ends with exit status 1: a rerun of the same
// command reuses the saved seeds and computes the rest.
//
// Exit status: 0 ok, 1 a seed failed (named with its rank), 2 usage or
// configuration error.
#include "config.hpp"
#include "console.hpp"
#include "mpi_tasks.hpp"
#include "results.hpp"
#include "study_run.hpp"
#include "sweep.hpp"

#include <common/atomic_file.hpp>
#include <rewire/version.hpp>

#include <CLI/CLI.hpp>
#include <mpi.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using namespace chronic_stress;

struct Options {
  std::string config;
  std::uint64_t seeds = 10, first_seed = 0;
  unsigned threads = 1;
  std::string out = "results/chronic_stress";
  double epoch_scale = 1.0;
  bool no_report = false, quiet = false;
};

int rank_of_world() {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

// The seeds that have no valid finished file (valid = same config hash and
// library version, and the whole record fits: read_seed_file), saying which
// are recomputed and why, as chronic_stress does; `reused` counts the rest.
std::vector<std::uint64_t> seeds_to_compute(const PreparedStudy& study, const std::string& out,
                                            const std::vector<std::uint64_t>& seeds, Console& console, int& reused) {
  std::vector<std::uint64_t> todo;
  reused = 0;
  for (std::uint64_t seed : seeds) {
    const fs::path path = seed_path(out, seed);
    if (fs::exists(path)) {
      std::string reason;
      if (read_seed_file(path, seed, study.hash, rewire::version, study.spec, reason)) {
        ++reused;
        continue;
      }
      console.info("seed " + std::to_string(seed) + ": not reusing " + path.string() + " (" + reason +
                   "): recomputing it, the file will be overwritten");
    }
    todo.push_back(seed);
  }
  return todo;
}

// "seed 3" or "seeds 3, 7".
std::string seed_list(const std::vector<std::uint64_t>& seeds) {
  std::string text = seeds.size() == 1 ? "seed " : "seeds ";
  for (std::size_t i = 0; i < seeds.size(); ++i) text += (i ? ", " : "") + std::to_string(seeds[i]);
  return text;
}

// Every rank reads and checks the configuration the way chronic_stress does
// (read_config, prepare_study). They agree before any work starts: if one
// rank cannot (e.g. its node lacks the file), all stop with exit status 2
// and the lowest such rank says why, instead of the others waiting for it.
std::optional<PreparedStudy> prepare_on_every_rank(const Options& o) {
  std::optional<PreparedStudy> study;
  std::string error;
  try {
    const ConfigInput input = read_config(o.config);
    // A sweep's points are not spread over ranks (yet): say so rather than
    // fail on the [sweep] table as an unknown key.
    if (has_sweep(input.text, input.source))
      throw UsageError(input.source + " is a sweep; chronic_stress_mpi runs one study (run a sweep with chronic_stress)");
    study = prepare_study(input.text, input.source, o.epoch_scale);
  } catch (const UsageError& e) {
    error = std::string("error: ") + e.what() + " (see --help)";
  } catch (const ConfigError& e) {
    error = std::string("config error: ") + e.what();
  }
  int size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const int rank = rank_of_world(), mine = error.empty() ? size : rank;
  int first_failed = size;
  MPI_Allreduce(&mine, &first_failed, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  if (first_failed == size) return study;
  if (rank == first_failed) {
    const std::string where = rank == 0 ? "" : "rank " + std::to_string(rank) + ": ";
    std::fprintf(stderr, "chronic_stress_mpi: %s%s\n", where.c_str(), error.c_str());
  }
  return std::nullopt;
}

// After a failure: the closing line on rank 0, then every rank returns 1.
int report_failure(const Options& o, const mpi::TaskReport& report, std::size_t seeds, int reused) {
  if (rank_of_world() == 0) {
    const int saved = reused + report.seeds_saved;
    const int unfinished = report.unfinished;
    const std::string left = unfinished ? ", " + std::to_string(unfinished) + " not computed (no rank was left to run them)" : "";
    std::fprintf(stderr,
                 "chronic_stress_mpi: error: %zu of %zu seeds failed (%s)%s; %d finished seed file%s saved in %s: run "
                 "the same command again to reuse the finished seeds and compute the rest\n",
                 report.failed.size(), seeds, seed_list(report.failed).c_str(), left.c_str(), saved,
                 saved == 1 ? " is" : "s are", (fs::path(o.out) / "seeds").string().c_str());
  }
  // mpirun stops the job at the first non-zero exit: no rank leaves before
  // rank 0 has said what failed.
  MPI_Barrier(MPI_COMM_WORLD);
  return 1;
}

int run(const Options& o) {
  const int rank = rank_of_world();
  const std::optional<PreparedStudy> prepared = prepare_on_every_rank(o);
  if (!prepared) return 2;
  const PreparedStudy& study = *prepared;
  std::vector<std::uint64_t> seeds;
  for (std::uint64_t s = 0; s < o.seeds; ++s) seeds.push_back(o.first_seed + s);
  Console console(rank == 0 && !o.quiet && isatty(fileno(stderr)), rank == 0 && !o.quiet);
  std::vector<std::uint64_t> todo;  // rank 0's list; the tasks come from rank 0
  int reused = 0;
  if (rank == 0) {
    fs::create_directories(fs::path(o.out) / "seeds");
    examples::write_file_atomically(fs::path(o.out) / "config.toml", config_file_text(study));
    todo = seeds_to_compute(study, o.out, seeds, console, reused);
  }
  const auto start = std::chrono::steady_clock::now();
  const mpi::TaskReport report = mpi::run_tasks(study, o.out, todo, o.threads, console);
  int failures = int(report.failed.size()) + report.unfinished;
  MPI_Bcast(&failures, 1, MPI_INT, 0, MPI_COMM_WORLD);
  if (failures) return report_failure(o, report, seeds.size(), reused);
  if (rank != 0) return 0;
  // Every seed file is there now: run_study reuses them all and writes the
  // summary, results.csv and the report exactly as chronic_stress does.
  run_study(study, StudyRequest{o.out, seeds, o.threads, !o.no_report}, console);
  if (!o.quiet) {
    std::string per_rank;
    for (std::size_t r = 0; r < report.tasks_per_rank.size(); ++r)
      per_rank += (r ? ", " : "") + std::to_string(report.tasks_per_rank[r]);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%zu seeds (%zu computed, %d reused from an earlier run; tasks per rank: %s) in %.1f s; results in %s\n",
                seeds.size(), todo.size(), reused, per_rank.c_str(), seconds, o.out.c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int provided = 0;
  // Only each rank's main thread calls MPI; its worker threads compute.
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  if (provided < MPI_THREAD_FUNNELED) {
    if (rank_of_world() == 0)
      std::fprintf(stderr, "chronic_stress_mpi: error: this MPI library does not support threads (MPI_THREAD_FUNNELED)\n");
    MPI_Finalize();
    return 2;
  }
  Options o;
  CLI::App app{"chronic_stress_mpi: chronic_stress over MPI ranks (same options, same output)."};
  app.add_option("--config", o.config, "TOML configuration (default: the built-in paper.toml)");
  app.add_option("--seeds", o.seeds, "number of seeds")->check(CLI::Range(std::uint64_t(1), std::uint64_t(100000)));
  app.add_option("--first-seed", o.first_seed, "first seed")->check(CLI::Range(std::uint64_t(0), std::uint64_t(1000000000)));
  app.add_option("--threads", o.threads, "worker threads per rank")->check(CLI::Range(1u, 1024u));
  app.add_option("--out", o.out, "output directory")->capture_default_str();
  app.add_option("--epoch-scale", o.epoch_scale, "multiply every epoch count")->check(CLI::Range(1e-9, 1000.0));
  app.add_flag("--no-report", o.no_report, "do not write report.md and figures/");
  app.add_flag("--quiet,-q", o.quiet, "no messages except warnings and errors");
  app.footer(
      "Work goes out in tasks (a seed's baseline, then each of its arms) to every rank's --threads threads as "
      "they ask. No arm checkpoints are written in MPI mode: a seed interrupted mid-way is recomputed by a rerun, "
      "which reuses every finished seed file.");
  int rc = 0;
  try {
    app.parse(argc, argv);
    rc = run(o);
  } catch (const CLI::ParseError& e) {
    rc = rank_of_world() == 0 ? (app.exit(e) == 0 ? 0 : 2) : 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "chronic_stress_mpi: error: rank %d: %s\n", rank_of_world(), e.what());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  MPI_Finalize();
  return rc;
}
