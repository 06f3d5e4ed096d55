// app/cli.hpp - the command line of the study programs: the run options,
// defined once for chronic_stress and chronic_stress_mpi (same names, same
// defaults: RunSettings' own, same checks), and their exit statuses.
#pragma once

#include "run/run.hpp"

#include <CLI/CLI.hpp>

#include <stdexcept>
#include <string>
#include <vector>

namespace chronic_stress::cli {

/// A bad command line: exit status 2, like a bad configuration.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Which program the options are for: chronic_stress_mpi refuses, by name,
/// the options that have no meaning for it.
enum class Program { single, mpi };

/// The command line as parsed, before any check.
struct CommandLine {
  RunSettings settings;                 ///< every option with a RunSettings field writes it
  std::string config;                   ///< --config (empty: the built-in paper.toml)
  std::string shard;                    ///< --shard i/n
  std::string progress;                 ///< --progress (empty: bar on a terminal, else lines)
  bool no_report = false, quiet = false, print_config = false;
  std::vector<std::string> merge_dirs;  ///< `merge`'s shard directories
  CLI::App* merge = nullptr;            ///< the `merge` subcommand (chronic_stress only)
  Program program = Program::single;
};

/// Defines the options of `program` on `app`, writing into `cl` (which must
/// outlive the parse), and --version.
void define_options(CLI::App& app, CommandLine& cl, Program program);

/// The settings of a parsed command line: reads the configuration file,
/// parses --shard and --progress. Throws UsageError or ConfigError; creates
/// nothing.
RunSettings settings_of(const CommandLine& cl);

/// The progress mode and verbosity of the command line's console.
Console console_of(const CommandLine& cl);

}  // namespace chronic_stress::cli
