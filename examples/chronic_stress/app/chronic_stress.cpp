// app/chronic_stress.cpp - chronic_stress: runs the whole study of Cheung
// (2026), doi:10.5281/zenodo.18295517, as docs/protocol.md defines it
// (default: the embedded paper.toml), or any study file (a sweep too), over
// a range of seeds, in parallel, resumable, and writes the results of
// docs/results-schema.md under --out. `--shard i/n` runs one share of the
// seeds for a job array; `merge` combines the shards.
//
// Exit status: 0 ok, 1 runtime failure, 2 usage or configuration error
// (nothing is created then), 130 interrupted by Ctrl-C, 143 by SIGTERM
// (finished seeds are saved).
#include "app/cli.hpp"
#include "run/run.hpp"

#include <rewire/protocol/metric_keys.hpp>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using namespace chronic_stress;

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

int run_merge(const cli::CommandLine& cl) {
  Console console = cli::console_of(cl);
  RunSettings settings = cl.settings;
  settings.report = !cl.no_report;
  const std::vector<fs::path> dirs(cl.merge_dirs.begin(), cl.merge_dirs.end());
  RunResult result;
  try {
    result = merge_shards(dirs, settings, console);
  } catch (const MergeError& e) {
    std::fprintf(stderr, "chronic_stress merge: error: %s\n", e.what());
    return 2;
  }
  if (result.interrupted) {  // while it wrote the summary or report: the seeds are all in
    console.warn("interrupted: the shards' seed files are copied to " + settings.out.string() +
                 "; run the same merge again to write the rest");
    return 128 + (result.stop_signal != 0 ? result.stop_signal : SIGINT);
  }
  if (!cl.quiet)
    std::printf("%zu seeds merged from %zu shard directories; results in %s\n",
                result.studies.front().seeds.size(), dirs.size(), settings.out.string().c_str());
  return 0;
}

// --print-config: the effective configuration of every study of the plan.
int print_config(const RunPlan& plan) {
  for (const auto& study : plan.studies) {
    if (plan.sweep()) std::printf("# ---- sweep %s\n", study.name.c_str());
    std::fputs(config_file_text(study.prepared).c_str(), stdout);
  }
  return 0;
}

// What the run did, on stdout: the summary table of a lone study, where the
// output went. Exit status 0, or 128 + the signal when interrupted (130 for
// Ctrl-C, 143 for SIGTERM).
int report_result(const RunPlan& plan, const RunResult& result, Console& console, bool quiet) {
  const RunSettings& s = plan.settings;
  if (result.interrupted) {
    console.warn("interrupted: finished seeds are saved under " + s.out.string() +
                 "; run the same command again to continue");
    return 128 + (result.stop_signal != 0 ? result.stop_signal : SIGINT);
  }
  if (quiet) return 0;
  const StudyOutcome& first = result.studies.front();
  if (s.shard) {
    std::printf("shard %u/%u: %d seeds computed, %d reused; combine the shards with "
                "`chronic_stress merge --out DIR SHARD_DIR...`\n",
                s.shard->index, s.shard->count, first.computed, first.reused);
  } else if (plan.sweep()) {
    std::printf("sweep finished; comparison in %s\n", (s.out / (s.report ? "sweep.md" : "sweep.json")).string().c_str());
  } else {
    print_table(plan.studies.front().spec(), *first.summary);
    std::printf("%d seed%s (%d computed, %d reused) in %.1f s; results in %s\n", int(s.seeds),
                s.seeds == 1 ? "" : "s", first.computed, first.reused, result.wall_seconds, s.out.string().c_str());
  }
  return 0;
}

int run(int argc, char** argv) {
  cli::CommandLine cl;
  CLI::App app{"chronic_stress: the pruning-plasticity study of Cheung (2026), doi:10.5281/zenodo.18295517,\n"
               "with the protocol of docs/protocol.md (default: the built-in paper.toml), or any study file.\n"
               "Runs seeds FIRST..FIRST+N-1 (arms of a seed in parallel too), reuses finished seeds\n"
               "found under --out, and writes summary.json, results.csv, report.md, config.toml, seeds/."};
  cli::define_options(app, cl, cli::Program::single);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;  // --help/--version: 0; any usage error: 2
  }
  if (cl.merge->parsed()) return run_merge(cl);

  // Everything is checked before anything is created.
  RunPlan plan;
  try {
    plan = make_plan(cli::settings_of(cl));
  } catch (const std::invalid_argument& e) {
    throw cli::UsageError(e.what());
  }
  if (cl.print_config) return print_config(plan);
  Console console = cli::console_of(cl);
  const RunSettings& s = plan.settings;
  const std::string range = s.seeds == 1 ? "seed " + std::to_string(s.first_seed)
                                         : "seeds " + std::to_string(s.first_seed) + "-" +
                                               std::to_string(s.first_seed + s.seeds - 1);
  if (!plan.sweep())
    console.info("chronic_stress: " + range + ", " + std::to_string(s.threads) + " threads, config " +
                 s.config.source + " (hash " + plan.studies.front().hash() + "), output " + s.out.string());
  const RunResult result = run(plan, console);
  return report_result(plan, result, console, cl.quiet);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const cli::UsageError& e) {
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
