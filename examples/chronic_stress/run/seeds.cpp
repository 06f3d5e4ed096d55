// run/seeds.cpp - see seeds.hpp.
#include "run/seeds.hpp"

#include <rewire/io/files.hpp>
#include <rewire/version.hpp>

#include <algorithm>
#include <filesystem>

namespace chronic_stress {
namespace {

// "0-3, 7" for {0, 1, 2, 3, 7}.
std::string seed_ranges(const std::vector<std::uint64_t>& seeds) {
  std::string out;
  for (std::size_t i = 0; i < seeds.size();) {
    std::size_t j = i;
    while (j + 1 < seeds.size() && seeds[j + 1] == seeds[j] + 1) ++j;
    out += (out.empty() ? "" : ", ") + std::to_string(seeds[i]);
    if (j > i) out += "-" + std::to_string(seeds[j]);
    i = j + 1;
  }
  return out;
}

std::string prefix(const PlannedStudy& study) { return study.name.empty() ? std::string() : study.name + ", "; }

}  // namespace

void SeedInFlight::start_arms(std::size_t arms, double baseline_seconds) {
  results.assign(arms, rewire::protocol::ArmResult{});
  seconds.assign(arms + 1, 0.0);
  seconds[0] = baseline_seconds;
  arms_left.store(arms);
}

bool SeedInFlight::finish_arm(std::size_t a, rewire::protocol::ArmResult result, double arm_seconds) {
  results.at(a) = std::move(result);
  seconds.at(1 + a) = arm_seconds;
  return arms_left.fetch_sub(1) == 1;
}

std::string SeedInFlight::where(const RunPlan& plan) const {
  return prefix(plan.studies.at(study)) + "seed " + std::to_string(seed);
}

std::vector<std::size_t> arm_order(const rewire::protocol::StudySpec& spec) {
  std::vector<std::size_t> order(spec.arms.size());
  for (std::size_t a = 0; a < order.size(); ++a) order[a] = a;
  std::stable_sort(order.begin(), order.end(),
                   [&spec](std::size_t x, std::size_t y) { return spec.arm_epochs(x) > spec.arm_epochs(y); });
  return order;
}

std::optional<SeedRecord> reusable_seed(const PlannedStudy& study, std::uint64_t seed, Console& console) {
  const auto path = seed_path(study.out, seed);
  if (!std::filesystem::exists(path)) return std::nullopt;
  std::string reason;
  if (auto record = read_seed_file(path, seed, study.hash(), rewire::version, study.spec(), reason)) return record;
  console.info(prefix(study) + "seed " + std::to_string(seed) + ": not reusing " + path.string() + " (" + reason +
               "): recomputing it, the file will be overwritten");
  return std::nullopt;
}

std::vector<std::unique_ptr<SeedInFlight>> seeds_to_compute(const RunPlan& plan, std::vector<StudyOutcome>& outcomes,
                                                            Console& console) {
  const std::vector<std::uint64_t> seeds = plan.seeds_to_run();
  std::vector<std::unique_ptr<SeedInFlight>> todo;
  outcomes.resize(plan.studies.size());
  for (std::size_t j = 0; j < plan.studies.size(); ++j) {
    const PlannedStudy& study = plan.studies[j];
    StudyOutcome& outcome = outcomes[j];
    outcome.seeds.resize(seeds.size());
    std::vector<std::uint64_t> reused;
    for (std::size_t i = 0; i < seeds.size(); ++i) {
      if (auto record = reusable_seed(study, seeds[i], console)) {
        outcome.seeds[i] = std::move(*record);
        reused.push_back(seeds[i]);
        continue;
      }
      auto seed = std::make_unique<SeedInFlight>();
      seed->study = j;
      seed->seed = seeds[i];
      seed->slot = i;
      todo.push_back(std::move(seed));
    }
    outcome.reused = int(reused.size());
    if (!reused.empty())
      console.info(prefix(study) + "reusing " + std::to_string(reused.size()) + " finished seed" +
                   (reused.size() > 1 ? "s" : "") + " (" + seed_ranges(reused) + ") from " +
                   (study.out / "seeds").string());
    if (reused.size() < seeds.size()) std::filesystem::create_directories(study.out / "seeds");
  }
  return todo;
}

SeedRecord save_seed(const RunPlan& plan, const SeedInFlight& seed, Console& console) {
  const PlannedStudy& study = plan.studies.at(seed.study);
  double seconds = 0;
  for (double s : seed.seconds) seconds += s;
  SeedRecord record = seed_record(seed.seed, study.hash(), seconds, seed.baseline, study.cohort_values(seed.seed), seed.results);
  rewire::io::write_file_atomic(seed_path(study.out, seed.seed), to_json(record).dump(2) + "\n");
  for (const auto& r : seed.results)
    if (r.diverged)
      console.warn(seed.where(plan) + ", arm " + r.arm +
                   ": training met a non-finite loss (diverged); non-finite values are written as null");
  if (!plan.settings.keep_checkpoints)  // the seed file now holds everything a rerun needs
    remove_seed_checkpoints(study.out, study.spec(), seed.seed);
  return record;
}

}  // namespace chronic_stress
