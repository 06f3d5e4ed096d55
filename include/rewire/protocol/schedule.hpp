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

  /// Throws std::invalid_argument naming a bad value, or if no cycle of
  /// 1..cycles is selected (the block would never run).
  void validate(int cycles) const {
    if (!at.empty()) {
      detail::require(from == 1 && to == std::numeric_limits<int>::max() && every == 1,
                      "'at' lists its cycles: it cannot be combined with 'cycles' or 'every'");
      for (std::size_t i = 0; i < at.size(); ++i) {
        detail::require(at[i] >= 1 && at[i] <= cycles, "at[" + std::to_string(i) + "] = " + std::to_string(at[i]) +
                                                            " is not a cycle of 1.." + std::to_string(cycles));
        detail::require(i == 0 || at[i] > at[i - 1], "at must list cycles in increasing order, each once");
      }
      return;
    }
    detail::require(every >= 1, "every = " + std::to_string(every) + " must be >= 1");
    detail::require(from >= 1 && from <= to, "cycles = [" + std::to_string(from) + ", " + std::to_string(to) +
                                                 "] must satisfy 1 <= from <= to");
    detail::require(from <= cycles, "cycles = [" + std::to_string(from) + ", " + std::to_string(to) +
                                        "] selects no cycle of 1.." + std::to_string(cycles));
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
