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
#include "config.hpp"
#include "console.hpp"
#include "memory_estimate.hpp"
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

// The run's studies, the same on every rank: the study, or a sweep's points
// (each a study of its own under --out/point-NN).
struct Plan {
  ConfigInput input;
  std::vector<SweepPoint> points;      ///< empty unless a sweep
  std::vector<PreparedStudy> studies;  ///< one per point, or the one study
  bool sweep() const { return !points.empty(); }
};

// Each study is also checked against this node's memory for --threads
// tasks, as chronic_stress checks it, so an impossible size is refused
// before any rank starts (rather than by rank 0 after the work).
Plan make_plan(const Options& o) {
  Plan plan;
  plan.input = read_config(o.config);
  const std::string& source = plan.input.source;
  if (!has_sweep(plan.input.text, source)) {
    plan.studies.push_back(prepare_study(plan.input.text, source, o.epoch_scale));
    require_memory(plan.studies[0].spec, o.threads, o.seeds, "", physical_memory());
    return plan;
  }
  plan.points = expand_sweep(plan.input.text, source);
  for (const auto& point : plan.points) {  // named in messages as chronic_stress names them
    std::string label;
    for (const auto& [key, value] : point.values) label += (label.empty() ? "" : ", ") + key + " = " + value;
    const std::string name = source + " (sweep " + point.dir + ": " + label + ")";
    plan.studies.push_back(prepare_study(point.toml_text, name, o.epoch_scale));
    require_memory(plan.studies.back().spec, o.threads, o.seeds, name, physical_memory());
  }
  return plan;
}

// Every rank reads and checks the configuration the way chronic_stress does
// (read_config, prepare_study, every point of a sweep). They agree before
// any work starts: if one rank cannot (e.g. its node lacks the file), all
// stop with exit status 2 and the lowest such rank says why, instead of the
// others waiting for it.
std::optional<Plan> prepare_on_every_rank(const Options& o) {
  std::optional<Plan> plan;
  std::string error;
  try {
    plan = make_plan(o);
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
  if (first_failed == size) return plan;
  if (rank == first_failed) {
    const std::string where = rank == 0 ? "" : "rank " + std::to_string(rank) + ": ";
    std::fprintf(stderr, "chronic_stress_mpi: %s%s\n", where.c_str(), error.c_str());
  }
  return std::nullopt;
}

// The seeds of `job` that have no reusable finished file (the runner's
// rule, reusable_seed, with its messages); `reused` counts the others.
std::vector<std::uint64_t> seeds_to_compute(const mpi::TaskJob& job, const std::vector<std::uint64_t>& seeds,
                                            Console& console, int& reused) {
  const std::string prefix = job.name.empty() ? std::string() : job.name + ", ";
  std::vector<std::uint64_t> todo;
  for (std::uint64_t seed : seeds) {
    if (reusable_seed(job.out, seed, job.study->hash, job.study->spec, prefix, console)) {
      ++reused;
      continue;
    }
    todo.push_back(seed);
  }
  return todo;
}

// One job per study; on rank 0 each job's directory gets its config.toml
// and the list of seeds to compute.
std::vector<mpi::TaskJob> make_jobs(const Plan& plan, const Options& o, const std::vector<std::uint64_t>& seeds,
                                    Console& console, int& reused) {
  std::vector<mpi::TaskJob> jobs;
  for (std::size_t j = 0; j < plan.studies.size(); ++j) {
    mpi::TaskJob job;
    job.study = &plan.studies[j];
    job.out = plan.sweep() ? fs::path(o.out) / plan.points[j].dir : fs::path(o.out);
    job.name = plan.sweep() ? plan.points[j].dir : std::string();
    if (rank_of_world() == 0) {
      fs::create_directories(job.out / "seeds");
      examples::write_file_atomically(job.out / "config.toml", config_file_text(*job.study));
      job.seeds = seeds_to_compute(job, seeds, console, reused);
    }
    jobs.push_back(std::move(job));
  }
  return jobs;
}

// "seed 3", "seeds 3, 7" or, in a sweep, "point-00 seed 3, point-01 seed 7".
std::string seed_list(const std::vector<mpi::FailedSeed>& failed, const std::vector<mpi::TaskJob>& jobs) {
  std::string text = failed.size() == 1 || !jobs[0].name.empty() ? "" : "seeds ";
  for (std::size_t i = 0; i < failed.size(); ++i) {
    const std::string& name = jobs[failed[i].job].name;
    text += (i ? ", " : "") + (name.empty() ? std::string() : name + " ") +
            (failed.size() == 1 || !name.empty() ? "seed " : "") + std::to_string(failed[i].seed);
  }
  return text;
}

// After a failure: the closing line on rank 0, then every rank returns 1.
int report_failure(const Options& o, const mpi::TaskReport& report, const std::vector<mpi::TaskJob>& jobs,
                   std::size_t seeds, int reused) {
  if (rank_of_world() == 0) {
    const int saved = reused + report.seeds_saved;
    const int unfinished = report.unfinished;
    const std::string left = unfinished ? ", " + std::to_string(unfinished) + " not computed (no rank was left to run them)" : "";
    const fs::path where = jobs[0].name.empty() ? fs::path(o.out) / "seeds" : fs::path(o.out);
    std::fprintf(stderr,
                 "chronic_stress_mpi: error: %zu of %zu seeds failed (%s)%s; %d finished seed file%s saved in %s: run "
                 "the same command again to reuse the finished seeds and compute the rest\n",
                 report.failed.size(), seeds * jobs.size(), seed_list(report.failed, jobs).c_str(), left.c_str(), saved,
                 saved == 1 ? " is" : "s are", where.string().c_str());
  }
  // mpirun stops the job at the first non-zero exit: no rank leaves before
  // rank 0 has said what failed.
  MPI_Barrier(MPI_COMM_WORLD);
  return 1;
}

int run(const Options& o) {
  const int rank = rank_of_world();
  const std::optional<Plan> plan = prepare_on_every_rank(o);
  if (!plan) return 2;
  std::vector<std::uint64_t> seeds;
  for (std::uint64_t s = 0; s < o.seeds; ++s) seeds.push_back(o.first_seed + s);
  Console console(rank == 0 && !o.quiet && isatty(fileno(stderr)), rank == 0 && !o.quiet);
  int reused = 0;
  const std::vector<mpi::TaskJob> jobs = make_jobs(*plan, o, seeds, console, reused);
  const auto start = std::chrono::steady_clock::now();
  const mpi::TaskReport report = mpi::run_tasks(jobs, o.threads, console);
  int failures = int(report.failed.size()) + report.unfinished;
  MPI_Bcast(&failures, 1, MPI_INT, 0, MPI_COMM_WORLD);
  if (failures) return report_failure(o, report, jobs, seeds.size(), reused);
  if (rank != 0) return 0;
  // Every seed file is there now: run_study (run_sweep) reuses them all and
  // writes the summary, results.csv and the report (and sweep.json and
  // sweep.md) exactly as chronic_stress does.
  const StudyRequest request{o.out, seeds, o.threads, !o.no_report};
  if (plan->sweep()) run_sweep(plan->input.text, plan->input.source, o.epoch_scale, request, console);
  else run_study(plan->studies[0], request, console);
  if (!o.quiet) {
    std::string per_rank, computed;
    for (std::size_t r = 0; r < report.tasks_per_rank.size(); ++r)
      per_rank += (r ? ", " : "") + std::to_string(report.tasks_per_rank[r]);
    const std::string what = plan->sweep() ? std::to_string(jobs.size()) + " points x " : std::string();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%s%zu seeds (%d computed, %d reused from an earlier run; tasks per rank: %s) in %.1f s; results in %s\n",
                what.c_str(), seeds.size(), report.seeds_saved, reused, per_rank.c_str(), seconds, o.out.c_str());
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
      "Work goes out in tasks (a seed's baseline, then each of its arms; of every point of a [sweep]) to every "
      "rank's --threads threads as they ask. No arm checkpoints are written in MPI mode: a seed interrupted mid-way is recomputed by a rerun, "
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
