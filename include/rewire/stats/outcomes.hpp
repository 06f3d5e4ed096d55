// rewire/stats/outcomes.hpp - clinical outcome classes of one subject's
// follow-up: response to treatment, relapse of a responder, and the older
// "first crossing" relapse that does not tell the two apart.
//
// Input: the combined accuracy a_c at cycles c = 0..C (cycle 0 = right after
// treatment) and a threshold T. Definitions:
//   responder      a_0 >= T;      non-responder  a_0 < T;
//   relapse        (of a responder) the first cycle c >= 1 with a_c < T;
//   sustained      a responder with no such cycle (censored at cycle C);
//   first crossing the first cycle c >= 0 with a_c < T, whatever a_0 was
//                  (so a non-responder "relapses" at cycle 0).
#pragma once

#include <cmath>
#include <cstddef>
#include <optional>
#include <vector>

namespace rewire::stats {

/// The outcome of one subject's follow-up.
struct Outcome {
  bool responder = false;
  std::optional<int> relapse_cycle;   ///< responders only: first c >= 1 with a_c < T
  std::optional<int> first_crossing;  ///< first c >= 0 with a_c < T (any subject)
  int last_cycle = 0;                 ///< C: where a sustained responder is censored

  bool relapsed() const { return responder && relapse_cycle.has_value(); }
  bool sustained() const { return responder && !relapse_cycle.has_value(); }
};

/// Classifies one series a_0..a_C (at least a_0; every value finite: a
/// series with a non-finite value cannot be classified, and the caller
/// leaves it out).
inline Outcome classify(const std::vector<double>& accuracy, double threshold) {
  Outcome o;
  if (accuracy.empty()) return o;
  o.last_cycle = int(accuracy.size()) - 1;
  o.responder = accuracy[0] >= threshold;
  for (std::size_t c = 0; c < accuracy.size(); ++c) {
    if (!(accuracy[c] < threshold)) continue;
    if (!o.first_crossing) o.first_crossing = int(c);
    if (o.responder && c >= 1 && !o.relapse_cycle) o.relapse_cycle = int(c);
  }
  return o;
}

/// Counts over the subjects of one arm.
struct OutcomeCounts {
  std::size_t responders = 0, non_responders = 0, relapsed = 0, sustained = 0;
  std::size_t first_crossings = 0;  ///< subjects with a first crossing (the older definition)
};

inline OutcomeCounts count_outcomes(const std::vector<Outcome>& outcomes) {
  OutcomeCounts n;
  for (const Outcome& o : outcomes) {
    (o.responder ? n.responders : n.non_responders) += 1;
    n.relapsed += o.relapsed();
    n.sustained += o.sustained();
    n.first_crossings += o.first_crossing.has_value();
  }
  return n;
}

}  // namespace rewire::stats
