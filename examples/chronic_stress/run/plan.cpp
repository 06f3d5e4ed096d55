// run/plan.cpp - settings to a checked plan (plan.hpp), and the progress
// modes' names (console.hpp).
#include "run/plan.hpp"

#include <rewire/core/error.hpp>

#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <thread>
#include <utility>
#include <unistd.h>

namespace chronic_stress {

const char* to_string(ProgressMode mode) {
  switch (mode) {
    case ProgressMode::bar: return "bar";
    case ProgressMode::lines: return "lines";
    case ProgressMode::none: return "none";
  }
  return "none";
}

ProgressMode parse_progress_mode(const std::string& name) {
  for (ProgressMode m : {ProgressMode::bar, ProgressMode::lines, ProgressMode::none})
    if (name == to_string(m)) return m;
  throw std::invalid_argument("--progress " + name + ": expected bar, lines or none");
}

ProgressMode default_progress_mode() { return isatty(fileno(stderr)) ? ProgressMode::bar : ProgressMode::lines; }

unsigned hardware_threads() { return std::max(1u, std::thread::hardware_concurrency()); }

Shard parse_shard(const std::string& text) {
  const auto slash = text.find('/');
  auto number = [&text](const std::string& part) {
    if (part.empty() || part.size() > 6 || part.find_first_not_of("0123456789") != std::string::npos)
      throw std::invalid_argument("--shard " + text + ": expected i/n with 0 <= i < n <= 100000");
    return unsigned(std::stoul(part));
  };
  if (slash == std::string::npos) number("");
  const Shard s{number(text.substr(0, slash)), number(text.substr(slash + 1))};
  if (s.count == 0 || s.count > 100000 || s.index >= s.count)
    throw std::invalid_argument("--shard " + text + ": expected i/n with 0 <= i < n <= 100000");
  return s;
}

std::vector<std::uint64_t> RunPlan::seeds_to_run() const {
  if (!settings.shard) return seeds;
  std::vector<std::uint64_t> mine;
  for (std::size_t p = settings.shard->index; p < seeds.size(); p += settings.shard->count) mine.push_back(seeds[p]);
  return mine;
}

namespace {

// The limits of the settings a front end may pass (the programs' options
// check the same ranges before this; Python's arguments arrive here).
void check_settings(const RunSettings& s) {
  const auto refuse = [](const std::string& what) { throw std::invalid_argument(what); };
  if (s.seeds < 1 || s.seeds > kMaxSeeds)
    refuse("seeds = " + std::to_string(s.seeds) + " is outside the allowed range [1, " + std::to_string(kMaxSeeds) + "]");
  if (s.first_seed > kMaxFirstSeed)
    refuse("first seed = " + std::to_string(s.first_seed) + " is outside the allowed range [0, " +
           std::to_string(kMaxFirstSeed) + "]");
  if (s.threads < 1 || s.threads > kMaxThreads)
    refuse("threads = " + std::to_string(s.threads) + " is outside the allowed range [1, " +
           std::to_string(kMaxThreads) + "]");
  if (!(std::isfinite(s.epoch_scale) && s.epoch_scale > 0 && s.epoch_scale <= 1000)) {
    char value[64];
    std::snprintf(value, sizeof value, "%g", s.epoch_scale);
    refuse(std::string("epoch scale = ") + value + " is outside the allowed range (0, 1000]");
  }
  if (s.checkpoint_every < 0 || s.checkpoint_every > 1000000)
    refuse("checkpoint every = " + std::to_string(s.checkpoint_every) + " is outside the allowed range [0, 1000000]");
  if (!(std::isfinite(s.progress_every) && s.progress_every >= 0.1 && s.progress_every <= 86400))
    refuse("progress every: expected 0.1 to 86400 seconds");
  if (s.out.empty()) refuse("out: an output directory is required");
  if (s.config.text.empty() && s.config.source.empty()) refuse("config: no configuration given");
}

}  // namespace

RunPlan make_plan(RunSettings settings) {
  check_settings(settings);
  RunPlan plan;
  for (std::uint64_t s = 0; s < settings.seeds; ++s) plan.seeds.push_back(settings.first_seed + s);
  const ConfigInput& input = settings.config;
  if (has_sweep(input.text, input.source)) {
    if (settings.shard)
      throw std::invalid_argument("--shard runs one study; " + input.source +
                                  " is a sweep (run each point's config.toml as a shard)");
    plan.points = expand_sweep(input.text, input.source);
    // Every point is checked (and no two may be one study) before any runs.
    std::vector<PreparedStudy> prepared = prepare_sweep(input, plan.points, settings.epoch_scale);
    for (std::size_t p = 0; p < plan.points.size(); ++p) {
      const SweepPoint& point = plan.points[p];
      plan.studies.push_back(PlannedStudy{std::move(prepared[p]), settings.out / point.dir, point.dir,
                                          input.source + ": " + sweep_point_label(point), {}});
    }
  } else {
    plan.studies.push_back(
        PlannedStudy{prepare_study(input.text, input.source, settings.epoch_scale), settings.out, "", input.source, {}});
  }
  // Every patient's study is read and checked before anything is created.
  for (auto& study : plan.studies)
    if (!study.spec().cohort.empty())
      for (std::uint64_t seed : plan.seeds) study.patients.emplace(seed, cohort_patient(study.spec(), seed));
  // Refused before anything is created (not by std::bad_alloc later).
  for (const auto& study : plan.studies)
    require_memory(study.spec(), settings.threads, settings.seeds, plan.sweep() ? study.source : "",
                   physical_memory());
  plan.settings = std::move(settings);
  return plan;
}

}  // namespace chronic_stress
