// scale_out.hpp - a study split over processes: job-array shards and their
// merge (and the seed split the MPI front end shares).
//
// A shard runs a fixed, deterministic share of the seeds (`--shard i/n`:
// the seeds at positions i, i+n, i+2n, ... of the run's seed list) into its
// own directory: config.toml, seeds/ and shard.json (which run it belongs
// to). `merge` checks that the shards belong to one run (same configuration
// hash, library version, seed list and shard count), that every seed file is
// there and valid, copies them and writes the output a single process would
// write: summary.json, results.csv and the report are computed from the
// same seed records, so they are identical apart from timing fields.
#pragma once

#include "console.hpp"
#include "study_run.hpp"

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace chronic_stress {

/// Shards that cannot be merged (another configuration or library version,
/// a missing or invalid seed): nothing has been written.
class MergeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Shard {
  unsigned index = 0;  ///< 0 <= index < count
  unsigned count = 1;
};

/// "i/n" with 0 <= i < n <= 100000; std::invalid_argument otherwise.
Shard parse_shard(const std::string& text);

/// The seeds of `shard`: positions index, index + count, ... of `seeds`.
std::vector<std::uint64_t> shard_seeds(const std::vector<std::uint64_t>& seeds, const Shard& shard);

/// Runs the share of `request.seeds` that belongs to `shard` into
/// request.out (config.toml, shard.json, seeds/; no summary or report:
/// those come from the merge). Finished seed files are reused as in a
/// normal run.
RunOutcome run_shard(const PreparedStudy& study, const StudyRequest& request, const Shard& shard, Console& console);

/// Merges shard directories into `request.out` (request.seeds is ignored:
/// the seed list comes from the shards). Throws MergeError (nothing
/// written) when the shards do not form one complete run.
StudyResult merge_shards(const std::vector<std::filesystem::path>& shard_dirs, StudyRequest request,
                         Console& console);

}  // namespace chronic_stress
