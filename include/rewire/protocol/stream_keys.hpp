// rewire/protocol/stream_keys.hpp - the numbers that key a study's random
// streams (random/rng.hpp: stream_key(seed, purpose, index)), named once.
//
// Every value here is part of the protocol's identity: changing one changes
// the draws, and so every result of every study. They are chosen so that no
// two consumers of one seed ever share a stream, whatever the number of arms,
// probes or cycles allowed by StudySpec::validate.
#pragma once

#include <cstddef>
#include <cstdint>

namespace rewire::protocol {

// ---- data sets ---------------------------------------------------------------
// The seed of a data stream is seed * kDataSeedStride + the set's offset.
// This is the numbering of the study's original program (its data generators
// were seeded s*1000+100, s*1000+200, s*1000+300): the draws differ (ours are
// portable, not PyTorch's), but the mapping to the program's seeds stays
// evident. The offsets are below the stride, so the sets of two seeds never
// share a stream.

inline constexpr std::uint64_t kDataSeedStride = 1000;
inline constexpr std::uint64_t kTrainDataOffset = 100;     ///< training set
inline constexpr std::uint64_t kStandardDataOffset = 200;  ///< standard test set
inline constexpr std::uint64_t kCleanDataOffset = 300;     ///< clean test set

/// Seed of the data stream of set `offset` of study seed `seed`.
constexpr std::uint64_t data_stream_seed(std::uint64_t seed, std::uint64_t offset) {
  return seed * kDataSeedStride + offset;
}

// ---- lineages ----------------------------------------------------------------
// A lineage tells apart the subjects of one seed (subject.hpp). The baseline
// is 0; arm a is the odd lineage 1 + 2a and its acute-relapse branch the even
// lineage 2 + 2a, so the three families never meet and an arm's lineage does
// not depend on how many arms follow it.

inline constexpr std::uint64_t kBaselineLineage = 0;

/// Lineage of treatment arm `arm` (0-based): 1, 3, 5, ...
constexpr std::uint64_t arm_lineage(std::size_t arm) { return 1 + 2 * std::uint64_t(arm); }

/// Lineage of the acute-relapse branch of arm `arm`: 2, 4, 6, ...
constexpr std::uint64_t relapse_lineage(std::size_t arm) { return 2 + 2 * std::uint64_t(arm); }

// ---- evaluation phases -------------------------------------------------------
// Each measurement of a subject draws its noise from its own stream, keyed by
// (lineage, phase), so adding or removing one measurement never changes
// another. Phases: the post-treatment panel 0; relapse before 1 and after 2;
// the pre-treatment state (dose.hpp) 3; the baseline's own measures
// (circuit.hpp, on the baseline lineage) 4; probe p 10 + p; longitudinal cycle c 100 + c. The gaps bound the counts:
// at most kMaxProbes probes and kMaxCycles cycles (StudySpec::validate).

inline constexpr std::uint64_t kPhasePanel = 0;
inline constexpr std::uint64_t kPhaseRelapseBefore = 1;
inline constexpr std::uint64_t kPhaseRelapseAfter = 2;
inline constexpr std::uint64_t kPhasePretreatment = 3;
inline constexpr std::uint64_t kPhaseBaseline = 4;
inline constexpr std::uint64_t kPhaseProbe = 10;   ///< + probe index
inline constexpr std::uint64_t kPhaseCycle = 100;  ///< + cycle index

/// The eval stream index is lineage * kLineageStride + phase. Any stride
/// above the largest phase keeps the (lineage, phase) pairs apart; this one
/// (a prime) is what the study has always used.
inline constexpr std::uint64_t kLineageStride = 1000003;

/// Probes per arm that keep probe phases below kPhaseCycle.
inline constexpr std::size_t kMaxProbes = std::size_t(kPhaseCycle - kPhaseProbe);
/// Longitudinal cycles that keep cycle phases (0..cycles) below kLineageStride.
inline constexpr int kMaxCycles = int(kLineageStride - kPhaseCycle - 1);

/// Index of the evaluation stream of (lineage, phase).
constexpr std::uint64_t eval_stream_index(std::uint64_t lineage, std::uint64_t phase) {
  return lineage * kLineageStride + phase;
}

// ---- cell types and adherence ------------------------------------------------
// A randomly chosen cell type (a modulate step's unit_fraction, cell_types.hpp)
// takes the first round(f * width) units of a random order of each hidden
// layer's units, drawn from stream_key(seed, Purpose::units, layer): keyed by
// the seed alone, so every arm, probe and step of a seed that asks for a
// fraction gets the same units (a cell type belongs to the network, not to a
// treatment), and a smaller fraction's units are part of a larger one's.
//
// Adherence (schedule.hpp): in cycle c of arm a, stream_key(seed,
// Purpose::adherence, adherence_stream_index(a, c)) draws one uniform number
// per maintenance block, in list order, whether the block runs that cycle or
// not; a block runs if its number is below its adherence. So an arm's doses
// depend neither on other arms nor on its other blocks' settings, and a
// resumed arm draws what an uninterrupted one does.

/// Index of the stream that orders the units of hidden layer `layer`.
constexpr std::uint64_t unit_order_index(std::size_t layer) { return std::uint64_t(layer); }

/// Index of the adherence stream of arm `arm` (0-based) in cycle `cycle`.
constexpr std::uint64_t adherence_stream_index(std::size_t arm, int cycle) {
  return arm_lineage(arm) * kLineageStride + std::uint64_t(cycle);
}

}  // namespace rewire::protocol
