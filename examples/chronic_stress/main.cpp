// main.cpp - chronic_stress: runs the whole study of Cheung (2026),
// doi:10.5281/zenodo.18295517, as docs/protocol.md defines it (default: the
// embedded paper.toml) over a range of seeds, in parallel, resumable, and
// writes the results of docs/results-schema.md under --out.
//
// Exit status: 0 ok, 1 runtime failure, 2 usage or configuration error
// (nothing is created then), 130 interrupted (finished seeds are saved).
#include "config.hpp"
#include "console.hpp"
#include "scale_out.hpp"
#include "study_run.hpp"
#include "sweep.hpp"

#include <common/atomic_file.hpp>
#include <rewire/protocol/metric_keys.hpp>
#include <rewire/version.hpp>

#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using namespace chronic_stress;

struct Options {
  std::string config;  // empty: the embedded paper.toml
  std::uint64_t seeds = 10;
  std::uint64_t first_seed = 0;
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::string out = "results/chronic_stress";
  double epoch_scale = 1.0;
  int checkpoint_every = 1;
  bool keep_checkpoints = false;
  bool no_report = false, quiet = false, print_config = false;
  std::string shard;                    // "i/n": run only that share of the seeds
  std::vector<std::string> merge_dirs;  // `merge`: the shard directories
};

void print_table(const rewire::protocol::StudySpec& spec, const Summary& summary) {
  namespace metric = rewire::protocol::metric;
  std::printf("%-14s %9s %16s %16s %9s\n", "arm", metric::sparsity, metric::standard, metric::combined, "relapsed");
  for (const auto& arm : spec.arms) {
    const auto& m = summary.arms.at(arm.name);
    auto cell = [&m](const char* key, bool sd) {
      char b[48] = "-";
      const auto it = m.find(key);
      if (it != m.end() && it->second.ok()) {
        if (sd) std::snprintf(b, sizeof b, "%.1f +- %.1f", it->second.mean, it->second.sd);
        else std::snprintf(b, sizeof b, "%.1f", it->second.mean);
      }
      return std::string(b);
    };
    std::string relapsed = "-";
    if (arm.follow_up)
      relapsed = std::to_string(summary.longitudinal.at(arm.name).relapsed) + "/" +
                 std::to_string(summary.seeds.size());
    std::printf("%-14s %9s %16s %16s %9s\n", arm.name.c_str(), cell(metric::sparsity, false).c_str(),
                cell(metric::standard, true).c_str(), cell(metric::combined, true).c_str(), relapsed.c_str());
  }
}

// A study file with a [sweep]: every point under --out/point-NN, then
// sweep.json and sweep.md (sweep.hpp).
int run_sweep_command(const Options& o, const std::string& text, const std::string& source) {
  if (o.print_config) {
    for (const auto& point : expand_sweep(text, source))
      std::printf("# ---- sweep %s\n%s", point.dir.c_str(),
                  config_file_text(prepare_study(point.toml_text, source + " (sweep " + point.dir + ")", o.epoch_scale))
                      .c_str());
    return 0;
  }
  Console console(!o.quiet && isatty(fileno(stderr)), !o.quiet);
  StudyRequest request{fs::path(o.out), {}, o.threads, !o.no_report, o.checkpoint_every, o.keep_checkpoints};
  for (std::uint64_t s = 0; s < o.seeds; ++s) request.seeds.push_back(o.first_seed + s);
  if (!run_sweep(text, source, o.epoch_scale, request, console)) {
    console.warn("interrupted: finished seeds are saved under " + o.out + "; run the same command again to continue");
    return 130;
  }
  if (!o.quiet)
    std::printf("sweep finished; comparison in %s\n",
                (fs::path(o.out) / (o.no_report ? "sweep.json" : "sweep.md")).string().c_str());
  return 0;
}

// `--shard i/n`: the seed files of one share; the summary comes from `merge`.
int run_shard_main(const PreparedStudy& study, const StudyRequest& request, const Shard& shard, Console& console) {
  const RunOutcome outcome = run_shard(study, request, shard, console);
  if (outcome.interrupted) {
    console.warn("interrupted: finished seeds are saved in " + (request.out / "seeds").string() +
                 "; run the same command again to continue");
    return 130;
  }
  console.info("shard " + std::to_string(shard.index) + "/" + std::to_string(shard.count) + ": " +
               std::to_string(outcome.computed) + " seeds computed, " + std::to_string(outcome.reused) +
               " reused; combine the shards with `chronic_stress merge --out DIR SHARD_DIR...`");
  return 0;
}

int run_merge(const Options& o) {
  Console console(false, !o.quiet);
  std::vector<fs::path> dirs(o.merge_dirs.begin(), o.merge_dirs.end());
  StudyResult result;
  try {
    result = merge_shards(dirs, StudyRequest{fs::path(o.out), {}, o.threads, !o.no_report}, console);
  } catch (const MergeError& e) {
    std::fprintf(stderr, "chronic_stress merge: error: %s\n", e.what());
    return 2;
  }
  if (!o.quiet)
    std::printf("%zu seeds merged from %zu shard directories; results in %s\n", result.outcome.seeds.size(),
                dirs.size(), o.out.c_str());
  return 0;
}

// The command line: the options of a run, and the `merge` subcommand
// (returned, so the caller can tell whether it was given).
CLI::App* define_options(CLI::App& app, Options& o) {
  app.add_option("--config", o.config, "TOML configuration (default: the built-in paper.toml)");
  app.add_option("--seeds", o.seeds, "number of seeds")->check(CLI::Range(std::uint64_t(1), std::uint64_t(100000)))
      ->capture_default_str();
  app.add_option("--first-seed", o.first_seed, "first seed")
      ->check(CLI::Range(std::uint64_t(0), std::uint64_t(1000000000)))->capture_default_str();
  app.add_option("--threads", o.threads, "worker threads (default: all cores)")
      ->check(CLI::Range(1u, 1024u))->capture_default_str();
  app.add_option("--out", o.out, "output directory")->capture_default_str();
  app.add_option("--epoch-scale", o.epoch_scale,
                 "multiply every epoch count (rounded, at least 1), e.g. 0.05 for a quick look")
      ->capture_default_str();
  app.add_option("--checkpoint-every", o.checkpoint_every,
                 "save each arm's state under OUT/checkpoints after its treatment and every N-th cycle\n"
                 "(a rerun resumes unfinished arms from there); 0: no checkpoints")
      ->check(CLI::Range(0, 1000000))->capture_default_str();
  app.add_flag("--keep-checkpoints", o.keep_checkpoints,
               "keep a seed's checkpoints after it is finished (to inspect its networks)");
  app.add_flag("--no-report", o.no_report, "do not write report.md and figures/");
  app.add_flag("--quiet,-q", o.quiet, "no progress and no messages except warnings and errors");
  app.add_flag("--print-config", o.print_config,
               "print the effective configuration (after --epoch-scale) as TOML and exit");
  app.add_option("--shard", o.shard,
                 "run only share I of N of the seeds (seeds at positions I, I+N, ...; 0 <= I < N) into --out, "
                 "for a job array; combine the shards with `chronic_stress merge`");
  CLI::App* merge = app.add_subcommand("merge", "combine shard directories (--shard) into the output of one run");
  merge->add_option("shard_dirs", o.merge_dirs, "the shard directories (each a shard's --out)")->required();
  merge->add_option("--out", o.out, "output directory")->required();
  merge->add_option("--threads", o.threads, "threads (only recorded)")->check(CLI::Range(1u, 1024u));
  merge->add_flag("--no-report", o.no_report, "do not write report.md and figures/");
  merge->add_flag("--quiet,-q", o.quiet, "no messages except warnings and errors");
  app.set_version_flag("--version", std::string("chronic_stress (rewire ") + rewire::version + ")");
  return merge;
}

// One study, or one shard of it, from checked options: progress, the run,
// then the summary table. Exit status 0, or 130 when interrupted.
int run_single(const Options& o, const PreparedStudy& study, const std::string& source,
               const std::optional<Shard>& shard) {
  const fs::path out(o.out);
  Console console(!o.quiet && isatty(fileno(stderr)), !o.quiet);
  StudyRequest request{out, {}, o.threads, !o.no_report, o.checkpoint_every, o.keep_checkpoints};
  for (std::uint64_t s = 0; s < o.seeds; ++s) request.seeds.push_back(o.first_seed + s);
  const std::string range = o.seeds == 1 ? "seed " + std::to_string(o.first_seed)
                                         : "seeds " + std::to_string(o.first_seed) + "-" +
                                               std::to_string(o.first_seed + o.seeds - 1);
  console.info("chronic_stress: " + range + ", " + std::to_string(o.threads) + " threads, config " + source +
               " (hash " + study.hash + "), output " + out.string());
  if (shard) return run_shard_main(study, request, *shard, console);
  const StudyResult result = run_study(study, request, console);
  const RunOutcome& outcome = result.outcome;
  if (outcome.interrupted) {
    console.warn("interrupted: " + std::to_string(outcome.reused + outcome.computed) + " of " +
                 std::to_string(o.seeds) + " seeds are finished and saved in " + (out / "seeds").string() +
                 "; run the same command again to continue");
    return 130;
  }
  if (!o.quiet) {
    print_table(study.spec, *result.summary);
    std::printf("%d seed%s (%d computed, %d reused) in %.1f s; results in %s\n", int(o.seeds),
                o.seeds == 1 ? "" : "s", outcome.computed, outcome.reused, result.wall_seconds, out.string().c_str());
  }
  return 0;
}

int run(int argc, char** argv) {
  Options o;
  CLI::App app{"chronic_stress: the pruning-plasticity study of Cheung (2026), doi:10.5281/zenodo.18295517,\n"
               "with the protocol of docs/protocol.md (default: the built-in paper.toml).\n"
               "Runs seeds FIRST..FIRST+N-1 (arms of a seed in parallel too), reuses finished seeds\n"
               "found under --out, and writes summary.json, results.csv, report.md, config.toml, seeds/."};
  CLI::App* merge = define_options(app, o);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;  // --help/--version: 0; any usage error: 2
  }
  if (!(std::isfinite(o.epoch_scale) && o.epoch_scale > 0 && o.epoch_scale <= 1000)) {
    char value[64];
    std::snprintf(value, sizeof value, "%g", o.epoch_scale);
    throw UsageError(std::string("--epoch-scale ") + value + " is outside the allowed range (0, 1000]");
  }

  if (merge->parsed()) return run_merge(o);
  std::optional<Shard> shard;
  if (!o.shard.empty()) {
    try {
      shard = parse_shard(o.shard);
    } catch (const std::invalid_argument& e) {
      throw UsageError(e.what());
    }
  }

  // Everything is checked before anything is created.
  const auto [source, text] = read_config(o.config);
  if (has_sweep(text, source)) {
    if (shard) throw UsageError("--shard runs one study; " + source + " is a sweep (run each point's config.toml as a shard)");
    return run_sweep_command(o, text, source);
  }
  const PreparedStudy study = prepare_study(text, source, o.epoch_scale);
  if (o.print_config) {
    std::fputs(config_file_text(study).c_str(), stdout);
    return 0;
  }

  return run_single(o, study, source, shard);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "chronic_stress: error: %s (see --help)\n", e.what());
    return 2;
  } catch (const ConfigError& e) {
    std::fprintf(stderr, "chronic_stress: config error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "chronic_stress: error: %s\n", e.what());
    return 1;
  } catch (...) {
    std::fprintf(stderr, "chronic_stress: error: unknown exception\n");
    return 1;
  }
}
