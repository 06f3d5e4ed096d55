// app/chronic_stress_mpi.cpp - chronic_stress_mpi: the study of chronic_stress spread over
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
// Finished seed files are reused by a rerun, as in chronic_stress. A sweep
// runs the tasks of all its points in one queue, each point under
// out/point-NN, and rank 0 writes sweep.json and sweep.md at the end. Arm
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
#include "app/cli.hpp"
#include "mpi/mpi.hpp"
#include "run/run.hpp"

#include <mpi.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace {

namespace fs = std::filesystem;
using namespace chronic_stress;

int rank_of_world() {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

// Every rank reads and checks the command line and configuration the way
// chronic_stress does (make_plan: every point of a sweep, the memory for
// --threads tasks). They agree before any work starts: if one rank cannot
// (e.g. its node lacks the file), all stop with exit status 2 and the
// lowest such rank says why, instead of the others waiting for it.
std::optional<RunPlan> plan_on_every_rank(const cli::CommandLine& cl) {
  std::optional<RunPlan> plan;
  std::string error;
  try {
    plan = make_plan(cli::settings_of(cl));
  } catch (const cli::UsageError& e) {
    error = std::string("error: ") + e.what() + " (see --help)";
  } catch (const std::invalid_argument& e) {
    error = std::string("error: ") + e.what() + " (see --help)";
  } catch (const ConfigError& e) {
    error = std::string("config error: ") + e.what();
  }
  int size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const int rank = rank_of_world(), mine = error.empty() ? size : rank;
  int first_failed = size;
  MPI_Allreduce(&mine, &first_failed, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  if (first_failed == size) return plan;
  if (rank == first_failed) {
    const std::string where = rank == 0 ? "" : "rank " + std::to_string(rank) + ": ";
    std::fprintf(stderr, "chronic_stress_mpi: %s%s\n", where.c_str(), error.c_str());
  }
  return std::nullopt;
}

// "seed 3", "seeds 3, 7" or, in a sweep, "point-00 seed 3, point-01 seed 7".
std::string seed_list(const std::vector<mpi::FailedSeed>& failed, const RunPlan& plan) {
  std::string text = failed.size() == 1 || plan.sweep() ? "" : "seeds ";
  for (std::size_t i = 0; i < failed.size(); ++i) {
    const std::string& name = plan.studies[failed[i].study].name;
    text += (i ? ", " : "") + (name.empty() ? std::string() : name + " ") +
            (failed.size() == 1 || !name.empty() ? "seed " : "") + std::to_string(failed[i].seed);
  }
  return text;
}

int reused_seeds(const RunResult& result) {
  int reused = 0;
  for (const auto& study : result.studies) reused += study.reused;
  return reused;
}

// After a failure: the closing line on rank 0, then every rank returns 1.
int report_failure(const RunPlan& plan, const mpi::TaskReport& report, const RunResult& result) {
  if (rank_of_world() == 0) {
    const int saved = reused_seeds(result) + report.seeds_saved;
    const int unfinished = report.unfinished;
    const std::string left =
        unfinished ? ", " + std::to_string(unfinished) + " not computed (no rank was left to run them)" : "";
    const fs::path where = plan.sweep() ? plan.settings.out : plan.settings.out / "seeds";
    std::fprintf(stderr,
                 "chronic_stress_mpi: error: %zu of %zu seeds failed (%s)%s; %d finished seed file%s saved in %s: run "
                 "the same command again to reuse the finished seeds and compute the rest\n",
                 report.failed.size(), plan.seeds.size() * plan.studies.size(), seed_list(report.failed, plan).c_str(),
                 left.c_str(), saved, saved == 1 ? " is" : "s are", where.string().c_str());
  }
  // mpirun stops the job at the first non-zero exit: no rank leaves before
  // rank 0 has said what failed.
  MPI_Barrier(MPI_COMM_WORLD);
  return 1;
}

// The run on every rank; rank 0 holds the output directories and writes
// every file, as one chronic_stress process would.
int run(const cli::CommandLine& cl) {
  const int rank = rank_of_world();
  const std::optional<RunPlan> plan = plan_on_every_rank(cl);
  if (!plan) return 2;
  if (cl.print_config) {
    if (rank == 0)
      for (const auto& study : plan->studies) {
        if (plan->sweep()) std::printf("# ---- sweep %s\n", study.name.c_str());
        std::fputs(config_file_text(study.prepared).c_str(), stdout);
      }
    return 0;
  }
  cli::CommandLine rank_cl = cl;
  if (rank != 0) rank_cl.quiet = true;  // messages and progress come from rank 0
  Console console = cli::console_of(rank_cl);
  const auto start = std::chrono::steady_clock::now();
  std::optional<RunOutputs> outputs;
  RunResult result;
  std::vector<std::unique_ptr<SeedInFlight>> todo;
  if (rank == 0) {
    outputs.emplace(*plan);
    todo = seeds_to_compute(*plan, result.studies, console);
  }
  const mpi::TaskReport report = mpi::run_tasks(*plan, todo, result.studies, console);
  int failures = int(report.failed.size()) + report.unfinished;
  MPI_Bcast(&failures, 1, MPI_INT, 0, MPI_COMM_WORLD);
  if (failures) return report_failure(*plan, report, result);
  if (rank != 0) return 0;
  finish_run(*plan, result, start, console);
  if (!cl.quiet) {
    std::string per_rank;
    for (std::size_t r = 0; r < report.tasks_per_rank.size(); ++r)
      per_rank += (r ? ", " : "") + std::to_string(report.tasks_per_rank[r]);
    const std::string what = plan->sweep() ? std::to_string(plan->studies.size()) + " points x " : std::string();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%s%zu seeds (%d computed, %d reused from an earlier run; tasks per rank: %s) in %.1f s; results in %s\n",
                what.c_str(), plan->seeds.size(), report.seeds_saved, reused_seeds(result), per_rank.c_str(), seconds,
                plan->settings.out.string().c_str());
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
  cli::CommandLine cl;
  CLI::App app{"chronic_stress_mpi: chronic_stress over MPI ranks (the same options where they apply, the same output)."};
  cli::define_options(app, cl, cli::Program::mpi);
  app.footer(
      "Work goes out in tasks (a seed's baseline, then each of its arms; of every point of a [sweep]) to every "
      "rank's --threads threads as they ask. No arm checkpoints are written in MPI mode: a seed interrupted mid-way "
      "is recomputed by a rerun, which reuses every finished seed file.");
  int rc = 0;
  try {
    app.parse(argc, argv);
    rc = run(cl);
  } catch (const CLI::ParseError& e) {
    rc = rank_of_world() == 0 ? (app.exit(e) == 0 ? 0 : 2) : 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "chronic_stress_mpi: error: rank %d: %s\n", rank_of_world(), e.what());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  MPI_Finalize();
  return rc;
}
