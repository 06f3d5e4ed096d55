// rewire/protocol/schedule.hpp - what an arm does in which longitudinal cycle.
//
// Cycles are numbered 1..C (cycle 0 is the post-treatment measurement, where
// nothing runs). An arm's maintenance is a list of blocks, each a cycle
// selector and its steps; in cycle c every block that selects c runs, in list
// order. An arm may also replace the study's per-cycle stressor in the cycles
// a stress block selects (the first block that selects c wins), e.g. a
// stress-free pause or a harsher stressor. A block with an adherence below
// 1 misses doses at random (doses_taken).
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/protocol/limits.hpp>
#include <rewire/protocol/steps.hpp>
#include <rewire/protocol/stream_keys.hpp>
#include <rewire/random/rng.hpp>

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
  /// "every"; "range" for the pair from, to; "at" or "range" when there
  /// are no cycles at all). Every listed cycle, `from` and a given `to` must
  /// be one of 1..cycles: a block that names cycles the study does not have
  /// is a mistake, whether it lists them or gives a range.
  void validate(int cycles) const {
    const bool ranged = from != 1 || to != std::numeric_limits<int>::max();
    if (!at.empty()) {
      detail::require_spec(!ranged, "range", "{} cannot be combined with {at}: a block lists its cycles, or gives a range (and a step)");
      detail::require_spec(every == 1, "every", "{} cannot be combined with {at}: a block lists its cycles, or gives a range (and a step)");
    } else {
      detail::require_in(limits::kEvery, every, "every");
    }
    // Without cycles no range exists to state ("an integer in [1, 0]").
    detail::require_spec(cycles >= 1, at.empty() ? "range" : "at",
                         "{} selects no cycle: there are no longitudinal cycles (0)");
    const IntRange cycle{1, cycles};
    for (std::size_t i = 0; i < at.size(); ++i) {
      const std::string key = "at[" + std::to_string(i) + "]";
      detail::require_in(cycle, at[i], key);
      detail::require_spec(i == 0 || at[i] > at[i - 1], key,
                           "{} = " + std::to_string(at[i]) + ": list the cycles in increasing order, each once");
    }
    if (!at.empty()) return;
    detail::require_in(cycle, from, "from");
    if (to != std::numeric_limits<int>::max()) detail::require_in(IntRange{from, cycles}, to, "to");
  }
};

/// Steps run after the stressor in every cycle `cycles` selects: one
/// scheduled dose per selected cycle, taken with probability `adherence`.
struct MaintenanceBlock {
  std::vector<Step> steps;
  CycleSelector cycles;    ///< default: every cycle
  double adherence = 1.0;  ///< in [0, 1]: the chance that a scheduled dose is taken (1: always)
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

/// True if some block misses doses at random (an adherence below 1).
inline bool has_partial_adherence(const std::vector<MaintenanceBlock>& blocks) {
  return std::any_of(blocks.begin(), blocks.end(), [](const MaintenanceBlock& b) { return b.adherence < 1.0; });
}

/// Which of `blocks` take their dose in `cycle` of arm `arm` (0-based) of
/// study seed `seed`: block b runs if it selects the cycle and the b-th
/// uniform number of the cycle's adherence stream (stream_keys.hpp) is below
/// its adherence. One number is drawn per block whether it runs or not.
inline std::vector<bool> doses_taken(const std::vector<MaintenanceBlock>& blocks, std::uint64_t seed,
                                     std::size_t arm, int cycle) {
  Rng rng(stream_key(seed, Purpose::adherence, adherence_stream_index(arm, cycle)));
  std::vector<bool> taken;
  for (const auto& block : blocks) {
    const double u = rng.uniform();  // in [0, 1): adherence 1 always takes the dose, 0 never
    taken.push_back(block.cycles.selects(cycle) && u < block.adherence);
  }
  return taken;
}

/// Doses taken per cycle 0..cycles (cycle 0, the post-treatment
/// measurement, has none) by arm `arm` of seed `seed`.
inline std::vector<int> doses_per_cycle(const std::vector<MaintenanceBlock>& blocks, std::uint64_t seed,
                                        std::size_t arm, int cycles) {
  std::vector<int> out{0};
  for (int c = 1; c <= cycles; ++c) {
    const std::vector<bool> taken = doses_taken(blocks, seed, arm, c);
    out.push_back(int(std::count(taken.begin(), taken.end(), true)));
  }
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
