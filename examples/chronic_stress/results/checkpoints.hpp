// results/checkpoints.hpp - the study's checkpoints: the state of a running arm
// (rewire::protocol::ArmState) saved as a rewire checkpoint (.npz, see
// docs/checkpoints.md) under
//   DIR/checkpoints/seed-NNN/<arm>/treatment.npz    after treatment, panel, relapse, probes
//   DIR/checkpoints/seed-NNN/<arm>/cycle-CCC.npz    after longitudinal cycle CCC
// and read back to resume the arm from the latest valid one; and the same
// format in memory, for chronic_stress_mpi's tasks.
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

/// Removes the checkpoints of `seed` that the program writes (each arm's
/// treatment.npz and cycle-CCC.npz, and temporary files of their writes),
/// then each directory that leaves empty. Anything else (a file someone put
/// there) stays, and with it the directories that hold it.
void remove_seed_checkpoints(const std::filesystem::path& out_dir, const rewire::protocol::StudySpec& spec,
                             std::uint64_t seed);

/// A subject (e.g. the pre-treatment state of a seed) as the bytes of a
/// checkpoint (the same .npz format, in memory), to send it to another
/// process; the arms branch from it, so it round-trips bit for bit.
std::string subject_bytes(const rewire::protocol::Subject& subject, const std::string& config_hash);

/// The same with the subject's baseline measures (measure_baseline) in the
/// checkpoint's meta, so the pre-treatment state and what was measured of
/// it travel together; subject_from_bytes reads it as a subject, and
/// baseline_measures_from_bytes reads the measures (std::runtime_error if
/// there are none).
std::string baseline_bytes(const rewire::protocol::Subject& subject, const rewire::protocol::Metrics& measures,
                           const std::string& config_hash);
rewire::protocol::Metrics baseline_measures_from_bytes(const std::string& bytes, const rewire::protocol::StudySpec& spec);

/// Reads subject_bytes' output and checks it belongs to `seed` under `spec`
/// (config hash, widths). Throws std::runtime_error naming the problem.
rewire::protocol::Subject subject_from_bytes(const std::string& bytes, const rewire::protocol::StudySpec& spec,
                                             std::uint64_t seed, const std::string& config_hash);

/// An arm's result as JSON text with every double exact (as in an arm
/// checkpoint), and back; arm_result_from_text throws std::runtime_error
/// naming the arm if the text is not such a result.
std::string arm_result_text(const rewire::protocol::ArmResult& result);
rewire::protocol::ArmResult arm_result_from_text(const std::string& text, const std::string& arm);

}  // namespace chronic_stress
