// rewire/protocol/schedule.hpp - what an arm does in which longitudinal cycle.
//
// Cycles are numbered 1..C (cycle 0 is the post-treatment measurement, where
// nothing runs). An arm's maintenance is a list of blocks, each a cycle
// selector and its steps; in cycle c every block that selects c runs, in list
// order. An arm may also replace the study's per-cycle stressor in the cycles
// a stress block selects (the first block that selects c wins), e.g. a
// stress-free pause or a harsher stressor.
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/protocol/limits.hpp>
#include <rewire/protocol/steps.hpp>

#include <algorithm>
#include <limits>
#include <string>
#include <vector>

namespace rewire::protocol {

/// A set of cycles: either the listed cycles `at`, or every `every`-th cycle
/// of [from, to] starting at `from`. The default selects every cycle.
struct CycleSelector {
  int from = 1;
  int to = std::numeric_limits<int>::max();  ///< inclusive; the default means "to the last cycle"
  int every = 1;
  std::vector<int> at;  ///< if not empty: exactly these cycles (from/to/every unused)

  bool selects(int cycle) const {
    if (!at.empty()) return std::find(at.begin(), at.end(), cycle) != at.end();
    return cycle >= from && cycle <= to && (cycle - from) % every == 0;
  }

  /// True if the selector is the default one, or the same set within 1..cycles.
  bool every_cycle(int cycles) const {
    return at.empty() && from == 1 && to >= cycles && every == 1;
  }

  /// Throws SpecError naming a bad value (keys "at[i]", "from", "to",
  /// "every"; "range" for the pair from, to), or if no cycle of 1..cycles is
  /// selected (the block would never run).
  void validate(int cycles) const {
    const bool ranged = from != 1 || to != std::numeric_limits<int>::max();
    if (!at.empty()) {
      detail::require_spec(!ranged, "range", "{} cannot be combined with {at}: a block lists its cycles, or gives a range (and a step)");
      detail::require_spec(every == 1, "every", "{} cannot be combined with {at}: a block lists its cycles, or gives a range (and a step)");
      for (std::size_t i = 0; i < at.size(); ++i) {
        const std::string key = "at[" + std::to_string(i) + "]";
        detail::require_in(IntRange{1, std::max(cycles, 1)}, at[i], key);
        detail::require_spec(i == 0 || at[i] > at[i - 1], key,
                             "{} = " + std::to_string(at[i]) + ": list the cycles in increasing order, each once");
      }
      return;
    }
    detail::require_in(limits::kEvery, every, "every");
    detail::require_in(IntRange{1, std::max(cycles, 1)}, from, "from");
    if (to != std::numeric_limits<int>::max()) detail::require_in(IntRange{from, limits::kCycles.hi}, to, "to");
    detail::require_spec(from <= cycles, "from",
                         "{} = " + std::to_string(from) + " selects no cycle of 1.." + std::to_string(cycles));
  }
};

/// Steps run after the stressor in every cycle `cycles` selects.
struct MaintenanceBlock {
  std::vector<Step> steps;
  CycleSelector cycles;  ///< default: every cycle
};

/// An arm's own stressor in the cycles `cycles` selects, in place of the
/// study's (longitudinal.prune). fraction 0 is a stress-free cycle.
struct StressBlock {
  CycleSelector cycles;
  PruneRemaining prune;
};

/// The steps of `blocks` that run in `cycle`, in order.
inline std::vector<Step> steps_in_cycle(const std::vector<MaintenanceBlock>& blocks, int cycle) {
  std::vector<Step> out;
  for (const auto& block : blocks)
    if (block.cycles.selects(cycle)) out.insert(out.end(), block.steps.begin(), block.steps.end());
  return out;
}

/// The stressor of `cycle`: the first of `blocks` that selects it, else `study`.
inline const PruneRemaining& stressor_in_cycle(const std::vector<StressBlock>& blocks, const PruneRemaining& study,
                                               int cycle) {
  for (const auto& block : blocks)
    if (block.cycles.selects(cycle)) return block.prune;
  return study;
}

}  // namespace rewire::protocol
