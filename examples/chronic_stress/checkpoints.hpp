// checkpoints.hpp - the study's checkpoints: the state of a running arm
// (rewire::protocol::ArmState) saved as a rewire checkpoint (.npz, see
// docs/checkpoints.md) under
//   DIR/checkpoints/seed-NNN/<arm>/treatment.npz    after treatment, panel, relapse, probes
//   DIR/checkpoints/seed-NNN/<arm>/cycle-CCC.npz    after longitudinal cycle CCC
// and read back to resume the arm from the latest valid one.
#pragma once

#include <rewire/protocol/study.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace chronic_stress {

/// What identifies the arm a checkpoint belongs to.
struct ArmKey {
  std::uint64_t seed = 0;
  std::size_t arm = 0;
  std::string config_hash;
};

/// DIR/checkpoints/seed-NNN: one seed's checkpoints.
std::filesystem::path seed_checkpoint_dir(const std::filesystem::path& out_dir, std::uint64_t seed);

/// The file `state` goes to (treatment.npz or cycle-CCC.npz).
std::filesystem::path checkpoint_path(const std::filesystem::path& out_dir, const rewire::protocol::StudySpec& spec,
                                      const ArmKey& key, const rewire::protocol::ArmState& state);

/// Saves `state` atomically. Throws std::runtime_error on I/O failure.
void save_arm_state(const std::filesystem::path& file, const rewire::protocol::StudySpec& spec, const ArmKey& key,
                    const rewire::protocol::ArmState& state);

/// Reads one checkpoint and checks it belongs to `key` under `spec` and this
/// library version. Throws std::runtime_error naming the file and the problem.
rewire::protocol::ArmState load_arm_state(const std::filesystem::path& file, const rewire::protocol::StudySpec& spec,
                                          const ArmKey& key);

/// The state of the latest valid checkpoint of the arm, if any; files that
/// cannot be used are skipped with a note in `notes` (one line each).
std::optional<rewire::protocol::ArmState> latest_arm_state(const std::filesystem::path& out_dir,
                                                           const rewire::protocol::StudySpec& spec,
                                                           const ArmKey& key, std::string& notes);

}  // namespace chronic_stress
