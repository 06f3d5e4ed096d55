// rewire/protocol/limits.hpp - the allowed values of every parameter of a
// study, stated once. The library's checks (StudySpec::validate, each
// step's validate) test them; a reader of study files (the chronic_stress
// configuration) reads each value against the same range, so its messages
// and the library's agree.
//
// The upper bounds no sane study reaches keep every count far from int
// overflow, also after an epoch scale of up to 1000.
#pragma once

#include <rewire/core/range.hpp>
#include <rewire/protocol/stream_keys.hpp>

#include <cctype>
#include <cstddef>
#include <limits>
#include <string>

namespace rewire::protocol::limits {

inline constexpr double kInf = std::numeric_limits<double>::infinity();

// ---- numbers -----------------------------------------------------------------
inline constexpr Range kNonNegative{0, kInf, false, true};  ///< a noise sigma, an init sd, a damping factor
inline constexpr Range kLearningRate{0, 1, true, false};    ///< (0, 1]
inline constexpr Range kSparsity{0, 1, false, true};        ///< [0, 1): 1 would remove every weight
inline constexpr Range kCap{0, 1, true, false};             ///< (0, 1]: 1 = no cap
inline constexpr Range kFraction{0, 1, false, false};       ///< [0, 1]: a share of pruned positions to regrow
inline constexpr Range kPercent{0, 100, false, false};      ///< a relapse threshold (% accuracy)
inline constexpr Range kFinite{};                           ///< a class centre's coordinate
inline constexpr Range kAlpha{0, 1, true, false};           ///< a recurrent network's dt / tau, (0, 1]

// ---- integers ----------------------------------------------------------------
inline constexpr IntRange kEpochs{1, 100000};     ///< epochs of a training step; regrowth batches
inline constexpr IntRange kSetSize{1, 10000000};  ///< data set sizes, the mini-batch size
inline constexpr IntRange kWidth{1, 65536};       ///< one layer's width
inline constexpr IntRange kCycles{0, 1000};       ///< longitudinal cycles of a study
inline constexpr IntRange kEvery{1, 1000};        ///< a cycle selector's step
inline constexpr IntRange kPhaseSteps{0, 10000};  ///< steps of one phase of a trial (data/tasks.hpp)
static_assert(1000 <= kMaxCycles, "the study's cycle limit must fit the evaluation streams (stream_keys.hpp)");

// ---- counts of lists ---------------------------------------------------------
inline constexpr IntRange kLayers{2, 16};         ///< network widths, input and output included
inline constexpr IntRange kClasses{2, 4096};      ///< class centres
inline constexpr IntRange kDimensions{1, 4096};   ///< coordinates of a class centre
inline constexpr IntRange kStressLevels{1, 32};   ///< the stress sweep
inline constexpr IntRange kArms{1, 64};           ///< arms of a study
inline constexpr IntRange kProbes{0, std::int64_t(kMaxProbes)};  ///< probes of an arm

// ---- names -------------------------------------------------------------------
/// What an arm or probe name may be: it becomes part of metric names, CSV
/// rows and file names, so it is kept plain.
inline constexpr const char* kNameRule = "a name of 1-40 letters, digits, '_' or '-', starting with a letter";

/// True if `name` follows kNameRule.
inline bool is_valid_name(const std::string& name) {
  if (name.empty() || name.size() > 40 || !std::isalpha(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
  return true;
}

}  // namespace rewire::protocol::limits
