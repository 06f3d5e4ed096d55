// run/plan.hpp - the run plan: what a front end asks for (RunSettings: the
// command line's options, or Python's arguments) and what it means once
// checked (RunPlan: the studies, their directories, the seeds). The one
// type that goes from the command line to the thread pool and the MPI
// coordinator.
#pragma once

#include "config/config.hpp"
#include "run/console.hpp"

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace chronic_stress {

/// The ranges of a run's counts, checked by make_plan (and the command
/// line's and Python's checks, which name the option as their users spell it).
inline constexpr std::uint64_t kMaxSeeds = 100000;         ///< seeds in [1, kMaxSeeds]
inline constexpr std::uint64_t kMaxFirstSeed = 1000000000;  ///< first seed in [0, kMaxFirstSeed]
inline constexpr unsigned kMaxThreads = 1024;              ///< threads in [1, kMaxThreads]

/// One share of the seeds, for job arrays: positions index, index + count, ...
struct Shard {
  unsigned index = 0;  ///< 0 <= index < count
  unsigned count = 1;
};

/// "i/n" with 0 <= i < n <= 100000; std::invalid_argument otherwise.
Shard parse_shard(const std::string& text);

/// All CPU cores of this machine (at least 1).
unsigned hardware_threads();

/// What a run is asked to do. The defaults are the programs' defaults
/// (their --help shows these values).
struct RunSettings {
  ConfigInput config{kPaperConfigName, std::string(paper_config())};  ///< read_config's result
  std::uint64_t seeds = 10;                                            ///< how many, in [1, kMaxSeeds]
  std::uint64_t first_seed = 0;                                        ///< seeds first_seed, first_seed + 1, ...
  unsigned threads = hardware_threads();                               ///< worker threads (per rank under MPI)
  std::filesystem::path out = "results/chronic_stress";                ///< output directory
  double epoch_scale = 1.0;                 ///< multiplies every epoch count, in (0, 1000]
  int checkpoint_every = 1;                 ///< arm checkpoints after treatment and every N-th cycle; 0: none
  bool keep_checkpoints = false;            ///< keep a finished seed's checkpoints
  bool report = true;                       ///< report.md and figures/ (sweep.md for a sweep)
  std::optional<Shard> shard;               ///< run only this share of the seeds (no summary: see merge)
  ProgressMode progress = ProgressMode::none;
  double progress_every = 30.0;             ///< seconds between progress lines (ProgressMode::lines)
};

/// One study of a run: a lone study, or one point of a sweep.
struct PlannedStudy {
  PreparedStudy prepared;        ///< spec (epochs scaled), canonical text, hash
  std::filesystem::path out;     ///< its output directory (settings.out, or settings.out/point-NN)
  std::string name;              ///< starts its messages ("point-03"); "" for a lone study
  std::string source;            ///< how messages name its configuration
  /// With a [cohort]: every seed of the run as a patient (cohort_patient).
  std::map<std::uint64_t, Patient> patients;
  const rewire::protocol::StudySpec& spec() const { return prepared.spec; }
  /// The study seed `seed` runs: its patient's with a cohort, else spec().
  const rewire::protocol::StudySpec& spec(std::uint64_t seed) const {
    return patients.empty() ? prepared.spec : patients.at(seed).spec;
  }
  /// The cohort values of seed `seed` (empty without a cohort).
  std::map<std::string, double> cohort_values(std::uint64_t seed) const {
    return patients.empty() ? std::map<std::string, double>{} : patients.at(seed).values;
  }
  const std::string& hash() const { return prepared.hash; }
};

/// A checked run: everything is known and valid before anything is created.
struct RunPlan {
  RunSettings settings;
  std::vector<std::uint64_t> seeds;  ///< every seed of the run, in order (a shard runs its share)
  std::vector<SweepPoint> points;    ///< one per study when the configuration is a sweep, else empty
  std::vector<PlannedStudy> studies;

  bool sweep() const { return !points.empty(); }
  /// The seeds this process computes: all, or the shard's share.
  std::vector<std::uint64_t> seeds_to_run() const;
};

/// Checks `settings` and their configuration (every point of a sweep) and
/// the memory the run needs on this machine. Throws ConfigError naming the
/// source and key, or std::invalid_argument naming a bad setting; creates
/// nothing.
RunPlan make_plan(RunSettings settings);

}  // namespace chronic_stress
