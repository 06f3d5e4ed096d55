// run/shards.cpp - merging the directories of a job array's shards into
// the output of one run (run.hpp). A shard runs a fixed share of the seeds
// (`--shard i/n`: the seeds at positions i, i+n, ...) into its own directory:
// config.toml, seeds/ and shard.json (which run it belongs to; written by
// RunOutputs).
#include "run/run.hpp"

#include <rewire/io/files.hpp>
#include <rewire/version.hpp>

#include <map>

namespace chronic_stress {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const char* const kShardFile = "shard.json";

std::string shard_name(unsigned index, unsigned count) {
  return std::to_string(index) + "/" + std::to_string(count);
}

// One shard directory, read and checked against itself.
struct ShardDir {
  fs::path dir;
  Shard shard;
  std::vector<std::uint64_t> seeds;  // the whole run's, not only this shard's
  std::string library_version;
  PreparedStudy study;
};

ShardDir read_shard_dir(const fs::path& dir) {
  ShardDir s;
  s.dir = dir;
  json doc;
  try {
    doc = read_json_file(dir / kShardFile);
    s.shard = Shard{doc.at("shard").get<unsigned>(), doc.at("shards").get<unsigned>()};
    s.seeds = doc.at("seeds").get<std::vector<std::uint64_t>>();
    s.library_version = doc.at("library_version").get<std::string>();
    // config.toml holds the epochs already scaled: read it at scale 1 and
    // keep the run's scale for summary.json and the config header.
    s.study = prepare_study(rewire::io::read_file(dir / "config.toml"), (dir / "config.toml").string(), 1.0);
    s.study.epoch_scale = doc.at("epoch_scale").get<double>();
    if (s.study.hash != doc.at("config_hash").get<std::string>())
      throw MergeError("config.toml does not match the config_hash of " + std::string(kShardFile));
  } catch (const MergeError& e) {
    throw MergeError(dir.string() + ": " + e.what());
  } catch (const std::exception& e) {
    throw MergeError(dir.string() + " is not a readable shard directory (" + e.what() + ")");
  }
  if (s.shard.count == 0 || s.shard.index >= s.shard.count)
    throw MergeError(dir.string() + ": " + kShardFile + " names an impossible shard");
  return s;
}

// The shards must be of one run of this build; returns them by index.
std::map<unsigned, const ShardDir*> check_one_run(const std::vector<ShardDir>& shards) {
  const ShardDir& first = shards.front();
  std::map<unsigned, const ShardDir*> by_index;
  for (const ShardDir& s : shards) {
    const std::string name = s.dir.string() + " (shard " + shard_name(s.shard.index, s.shard.count) + ")";
    if (s.library_version != rewire::version)
      throw MergeError(name + " was made by rewire " + s.library_version + ", this is rewire " + rewire::version +
                       ": rerun the shard with this build");
    if (s.study.hash != first.study.hash)
      throw MergeError(name + " is of another configuration (hash " + s.study.hash + ", " + first.dir.string() +
                       " has " + first.study.hash + ")");
    if (s.shard.count != first.shard.count || s.seeds != first.seeds ||
        s.study.epoch_scale != first.study.epoch_scale)
      throw MergeError(name + " is of another split of the run (shard count, seed list or epoch scale differ from " +
                       first.dir.string() + ")");
    if (!by_index.emplace(s.shard.index, &s).second)
      throw MergeError(name + ": shard " + shard_name(s.shard.index, s.shard.count) + " is given twice");
  }
  return by_index;
}

}  // namespace

RunResult merge_shards(const std::vector<fs::path>& shard_dirs, const RunSettings& settings, Console& console) {
  if (shard_dirs.empty()) throw MergeError("no shard directories given");
  std::vector<ShardDir> shards;
  for (const auto& dir : shard_dirs) shards.push_back(read_shard_dir(dir));
  const auto by_index = check_one_run(shards);
  const ShardDir& first = shards.front();

  // Every seed from the shard that owns it, valid, before anything is written.
  std::vector<fs::path> sources;
  std::string missing;
  for (std::size_t p = 0; p < first.seeds.size(); ++p) {
    const std::uint64_t seed = first.seeds[p];
    const unsigned owner = unsigned(p % first.shard.count);
    const auto it = by_index.find(owner);
    std::string why;
    if (it == by_index.end()) {
      why = "shard " + shard_name(owner, first.shard.count) + " not given";
    } else {
      const fs::path path = seed_path(it->second->dir, seed);
      if (!fs::exists(path)) why = path.string() + " does not exist";
      else if (read_seed_file(path, seed, first.study.hash, rewire::version, first.study.spec, why)) sources.push_back(path);
    }
    if (!why.empty()) missing += "\n  seed " + std::to_string(seed) + ": " + why;
  }
  if (!missing.empty()) throw MergeError("cannot merge, seeds missing or invalid:" + missing);

  // The plan of the run the shards belong to: its seeds, its configuration.
  RunPlan plan;
  plan.settings = settings;
  plan.settings.shard.reset();
  plan.seeds = first.seeds;
  plan.studies.push_back(PlannedStudy{first.study, settings.out, "", (first.dir / "config.toml").string(), {}});
  fs::create_directories(settings.out / "seeds");
  for (std::size_t p = 0; p < first.seeds.size(); ++p)
    rewire::io::write_file_atomic(seed_path(settings.out, first.seeds[p]), rewire::io::read_file(sources[p]));
  RunResult result = run(plan, console);
  if (result.studies.front().computed != 0)  // every seed was checked above: run can only reuse them
    throw std::runtime_error("merge recomputed " + std::to_string(result.studies.front().computed) + " seeds");
  return result;
}

}  // namespace chronic_stress
