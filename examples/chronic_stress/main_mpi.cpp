// main_mpi.cpp - chronic_stress_mpi: the study of chronic_stress spread over
// MPI ranks (built with REWIRE_WITH_MPI), e.g.
//
//   mpirun -np 8 chronic_stress_mpi --seeds 100 --threads 4 --out results/big
//
// Every rank takes the next unstarted seed from a shared counter (an MPI
// one-sided fetch-and-add on rank 0), so fast and slow ranks balance
// themselves; a seed runs on its rank's --threads threads (its arms in
// parallel) and is written to out/seeds as soon as it ends. At the end the
// seed files are gathered on rank 0 (so no shared file system is needed for
// them), which writes exactly what one chronic_stress process writes:
// summary.json, results.csv and the report are computed from the same seed
// records. Finished seed files are reused by a rerun, as in chronic_stress.
//
// A seed that fails is reported at once with its rank; that rank takes no
// further seed (its node may be the cause) while the others finish theirs.
// Their seed files are gathered and saved as usual, no summary is written,
// and every rank ends with exit status 1: a rerun of the same command reuses
// the saved seeds and computes the rest.
//
// Exit status: 0 ok, 1 a seed failed (named with its rank), 2 usage or
// configuration error.
#include "config.hpp"
#include "console.hpp"
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

// Seeds are handed out by a counter on rank 0: each call returns the next
// index into the seed list (>= the list's size: nothing left).
class SeedCounter {
 public:
  SeedCounter() {
    MPI_Win_allocate(rank_of_world() == 0 ? sizeof(long) : 0, sizeof(long), MPI_INFO_NULL, MPI_COMM_WORLD, &base_,
                     &win_);
    if (rank_of_world() == 0) *base_ = 0;
    MPI_Barrier(MPI_COMM_WORLD);  // the counter is zero before anyone takes from it
  }
  ~SeedCounter() { MPI_Win_free(&win_); }
  SeedCounter(const SeedCounter&) = delete;
  SeedCounter& operator=(const SeedCounter&) = delete;

  long next() {
    const long one = 1;
    long index = 0;
    MPI_Win_lock(MPI_LOCK_SHARED, 0, 0, win_);
    MPI_Fetch_and_op(&one, &index, MPI_LONG, 0, 0, MPI_SUM, win_);
    MPI_Win_unlock(0, win_);
    return index;
  }

 private:
  long* base_ = nullptr;
  MPI_Win win_ = MPI_WIN_NULL;
};

// Every rank's `mine`, in rank order, on rank 0 (empty elsewhere).
std::vector<std::uint64_t> gather_seeds(const std::vector<std::uint64_t>& mine) {
  int size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const int count = int(mine.size());
  std::vector<int> counts(std::size_t(size), 0), offsets(std::size_t(size), 0);
  MPI_Gather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
  std::vector<std::uint64_t> all;
  if (rank_of_world() == 0) {
    for (int r = 1; r < size; ++r) offsets[std::size_t(r)] = offsets[std::size_t(r - 1)] + counts[std::size_t(r - 1)];
    all.resize(std::size_t(offsets.back() + counts.back()));
  }
  MPI_Gatherv(mine.data(), count, MPI_UINT64_T, all.data(), counts.data(), offsets.data(), MPI_UINT64_T, 0,
              MPI_COMM_WORLD);
  return all;
}

// Every rank's (seed, seed file text) pairs, on rank 0 (empty elsewhere).
std::vector<std::pair<std::uint64_t, std::string>> gather_seed_files(
    const std::vector<std::pair<std::uint64_t, std::string>>& mine) {
  std::string packed;  // per file: seed, length, text
  for (const auto& [seed, text] : mine) {
    packed += std::to_string(seed) + " " + std::to_string(text.size()) + " ";
    packed += text;
  }
  int size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const int length = int(packed.size());
  std::vector<int> lengths(std::size_t(size), 0), offsets(std::size_t(size), 0);
  MPI_Gather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
  std::string all;
  if (rank_of_world() == 0) {
    for (int r = 1; r < size; ++r) offsets[std::size_t(r)] = offsets[std::size_t(r - 1)] + lengths[std::size_t(r - 1)];
    all.resize(std::size_t(offsets.back() + lengths.back()));
  }
  MPI_Gatherv(packed.data(), length, MPI_CHAR, all.data(), lengths.data(), offsets.data(), MPI_CHAR, 0,
              MPI_COMM_WORLD);
  std::vector<std::pair<std::uint64_t, std::string>> files;
  for (std::size_t at = 0; at < all.size();) {
    const std::size_t space1 = all.find(' ', at), space2 = all.find(' ', space1 + 1);
    const std::uint64_t seed = std::stoull(all.substr(at, space1 - at));
    const std::size_t n = std::stoul(all.substr(space1 + 1, space2 - space1 - 1));
    files.emplace_back(seed, all.substr(space2 + 1, n));
    at = space2 + 1 + n;
  }
  return files;
}

// What one rank did.
struct RankShare {
  std::vector<std::pair<std::uint64_t, std::string>> files;  ///< finished seeds and their files' text
  std::vector<std::uint64_t> failed;                        ///< at most one: the rank stops after it
  int reused = 0;                                           ///< of `files`, read back from an earlier run
};

// This rank's share: seeds from the counter until none is left. A failure
// is reported with the rank and the seed; the rank then stops taking seeds,
// but reaches every collective call after this one, so no rank waits for it
// forever. Seed files already written stay valid for a rerun.
RankShare compute_seeds(const PreparedStudy& study, const Options& o, const std::vector<std::uint64_t>& seeds) {
  const int rank = rank_of_world();
  Console console(false, !o.quiet && rank == 0);
  SeedCounter counter;
  RankShare share;
  for (long i = counter.next(); i < long(seeds.size()); i = counter.next()) {
    const std::uint64_t seed = seeds[std::size_t(i)];
    try {
      const RunOutcome outcome = run_seeds(study.spec, study.hash, RunOptions{o.out, {seed}, o.threads}, console);
      if (outcome.interrupted) throw std::runtime_error("interrupted");
      share.files.emplace_back(seed, examples::read_file(seed_path(o.out, seed)));
      share.reused += outcome.reused;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "chronic_stress_mpi: error: rank %d, seed %llu: %s\n", rank, (unsigned long long)seed,
                   e.what());
      share.failed.push_back(seed);
      break;
    }
  }
  return share;
}

// The gathered seed files, written on rank 0 (so no shared file system is
// needed) unless an identical file is already there.
void save_seed_files(const std::string& out, const std::vector<std::pair<std::uint64_t, std::string>>& files) {
  for (const auto& [seed, text] : files) {
    const fs::path path = seed_path(out, seed);
    if (!fs::exists(path) || examples::read_file(path) != text) examples::write_file_atomically(path, text);
  }
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

int run(const Options& o) {
  const int rank = rank_of_world();
  const std::optional<PreparedStudy> prepared = prepare_on_every_rank(o);
  if (!prepared) return 2;
  const PreparedStudy& study = *prepared;
  std::vector<std::uint64_t> seeds;
  for (std::uint64_t s = 0; s < o.seeds; ++s) seeds.push_back(o.first_seed + s);
  if (rank == 0) {
    fs::create_directories(fs::path(o.out) / "seeds");
    examples::write_file_atomically(fs::path(o.out) / "config.toml", config_file_text(study));
  }
  MPI_Barrier(MPI_COMM_WORLD);
  const auto start = std::chrono::steady_clock::now();
  const RankShare mine = compute_seeds(study, o, seeds);
  // How the counter spread the seeds (a check of the balance), on rank 0.
  int size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const int count = int(mine.files.size());
  std::vector<int> counts(std::size_t(size), 0);
  MPI_Gather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
  int reused = 0, failures = 0;
  const int my_failures = int(mine.failed.size());
  MPI_Reduce(&mine.reused, &reused, 1, MPI_INT, MPI_SUM, 0, MPI_COMM_WORLD);
  MPI_Allreduce(&my_failures, &failures, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  const auto failed = gather_seeds(mine.failed);
  const auto files = gather_seed_files(mine.files);
  if (rank == 0) save_seed_files(o.out, files);
  if (failures) {
    if (rank == 0)
      std::fprintf(stderr,
                   "chronic_stress_mpi: error: %d of %zu seeds failed (%s); %zu finished seed file%s saved in %s: run "
                   "the same command again to reuse the finished seeds and compute the rest\n",
                   failures, seeds.size(), seed_list(failed).c_str(), files.size(), files.size() == 1 ? " is" : "s are",
                   (fs::path(o.out) / "seeds").string().c_str());
    // mpirun stops the job at the first non-zero exit: no rank leaves
    // before rank 0 has saved the files and said so.
    MPI_Barrier(MPI_COMM_WORLD);
    return 1;
  }
  if (rank != 0) return 0;
  Console console(false, !o.quiet);
  run_study(study, StudyRequest{o.out, seeds, o.threads, !o.no_report}, console);
  if (!o.quiet) {
    std::string per_rank;
    for (int r = 0; r < size; ++r) per_rank += (r ? ", " : "") + std::to_string(counts[std::size_t(r)]);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const std::string reuse = reused ? ", " + std::to_string(reused) + " reused from an earlier run" : "";
    std::printf("%zu seeds (%zu from the ranks; per rank: %s) in %.1f s%s; results in %s\n", seeds.size(),
                files.size(), per_rank.c_str(), seconds, reuse.c_str(), o.out.c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);  // MPI only from the main thread
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
