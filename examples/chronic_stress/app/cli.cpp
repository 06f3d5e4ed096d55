// app/cli.cpp - see cli.hpp.
#include "app/cli.hpp"

#include <rewire/version.hpp>

namespace chronic_stress::cli {
namespace {

// An option chronic_stress_mpi has no use for: parsed, so that it can be
// refused by name (settings_of) rather than called unknown.
bool refused_by_mpi(const CommandLine& cl, const char* option, std::string& why) {
  if (cl.program != Program::mpi) return false;
  const std::string name = option;
  if (name == "--shard") why = "MPI ranks share the seeds of one run; --shard splits a run into job-array tasks of chronic_stress";
  else why = "chronic_stress_mpi writes no arm checkpoints (a seed interrupted mid-way is recomputed by a rerun)";
  return true;
}

}  // namespace

void define_options(CLI::App& app, CommandLine& cl, Program program) {
  cl.program = program;
  RunSettings& s = cl.settings;
  const bool mpi = program == Program::mpi;
  app.add_option("--config", cl.config, "TOML configuration (default: the built-in paper.toml)");
  app.add_option("--seeds", s.seeds, "number of seeds")
      ->check(CLI::Range(std::uint64_t(1), kMaxSeeds))->capture_default_str();
  app.add_option("--first-seed", s.first_seed, "first seed")
      ->check(CLI::Range(std::uint64_t(0), kMaxFirstSeed))->capture_default_str();
  app.add_option("--threads", s.threads,
                 mpi ? "worker threads per rank (default: all cores; give cores / ranks per node)"
                     : "worker threads (default: all cores)")
      ->check(CLI::Range(1u, kMaxThreads))->capture_default_str();
  app.add_option("--out", s.out, "output directory")->capture_default_str();
  app.add_option("--epoch-scale", s.epoch_scale,
                 "multiply every epoch count (rounded, at least 1), e.g. 0.05 for a quick look")
      ->capture_default_str();
  app.add_option("--checkpoint-every", s.checkpoint_every,
                 mpi ? "not available: chronic_stress_mpi writes no arm checkpoints"
                     : "save each arm's state under OUT/checkpoints after its treatment and every N-th cycle\n"
                       "(a rerun resumes unfinished arms from there); 0: no checkpoints")
      ->check(CLI::Range(0, 1000000))->capture_default_str();
  app.add_flag("--keep-checkpoints", s.keep_checkpoints,
               mpi ? "not available: chronic_stress_mpi writes no arm checkpoints"
                   : "keep a seed's checkpoints after it is finished (to inspect its networks)");
  app.add_flag("--no-report", cl.no_report, "do not write report.md and figures/ (an earlier run's are removed)");
  app.add_option("--progress", cl.progress,
                 "bar (a line redrawn in place), lines (a line every --progress-every seconds, for logs) or none\n"
                 "(default: bar on a terminal, else lines)")
      ->check(CLI::IsMember({"bar", "lines", "none"}));
  app.add_option("--progress-every", s.progress_every, "seconds between progress lines")
      ->check(CLI::Range(0.1, 86400.0))->capture_default_str();
  app.add_flag("--quiet,-q", cl.quiet, "no progress and no messages except warnings and errors");
  app.add_flag("--print-config", cl.print_config,
               "print the effective configuration (after --epoch-scale) as TOML and exit");
  app.add_option("--shard", cl.shard,
                 mpi ? "not available: MPI ranks share the seeds of one run"
                     : "run only share I of N of the seeds (seeds at positions I, I+N, ...; 0 <= I < N) into --out, "
                       "for a job array; combine the shards with `chronic_stress merge`");
  app.set_version_flag("--version", std::string(mpi ? "chronic_stress_mpi" : "chronic_stress") + " (rewire " +
                                        rewire::version + ")");
  if (mpi) return;
  cl.merge = app.add_subcommand("merge", "combine shard directories (--shard) into the output of one run");
  cl.merge->add_option("shard_dirs", cl.merge_dirs, "the shard directories (each a shard's --out)")->required();
  cl.merge->add_option("--out", s.out, "output directory")->required();
  cl.merge->add_option("--threads", s.threads, "threads (only recorded)")->check(CLI::Range(1u, kMaxThreads));
  cl.merge->add_flag("--no-report", cl.no_report, "do not write report.md and figures/ (an earlier run's are removed)");
  cl.merge->add_flag("--quiet,-q", cl.quiet, "no messages except warnings and errors");
}

RunSettings settings_of(const CommandLine& cl) {
  RunSettings s = cl.settings;
  std::string why;
  if (!cl.shard.empty() && refused_by_mpi(cl, "--shard", why)) throw UsageError("--shard is not available: " + why);
  if ((s.keep_checkpoints || s.checkpoint_every != RunSettings{}.checkpoint_every) &&
      refused_by_mpi(cl, "--checkpoint-every", why))
    throw UsageError(std::string(s.keep_checkpoints ? "--keep-checkpoints" : "--checkpoint-every") +
                     " is not available: " + why);
  if (cl.program == Program::mpi) s.checkpoint_every = 0;
  s.report = !cl.no_report;
  s.progress = cl.quiet ? ProgressMode::none
                        : cl.progress.empty() ? default_progress_mode() : parse_progress_mode(cl.progress);
  try {
    if (!cl.shard.empty()) s.shard = parse_shard(cl.shard);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  s.config = read_config(cl.config);
  return s;
}

Console console_of(const CommandLine& cl) {
  const ProgressMode mode =
      cl.quiet ? ProgressMode::none : cl.progress.empty() ? default_progress_mode() : parse_progress_mode(cl.progress);
  return Console(mode, !cl.quiet);
}

}  // namespace chronic_stress::cli
