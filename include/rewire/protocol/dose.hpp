// rewire/protocol/dose.hpp - the "dose" of a treatment: how far it moved the
// network's weights from the pre-treatment (pruned) state.
//
// Over all weights of all layers (biases not counted, as for sparsity):
//   L1, L2        100 ||W_after - W_before|| / ||W_before||  (percent)
//   turnover      percent of the weights alive before treatment (mask 1)
//                 whose value changed by more than 10 % of its own size,
//                 |w_after - w_before| > 0.1 |w_before| (a weight pruned by
//                 the treatment changed by 100 %)
//   sparsity      sparsity after - sparsity before (percentage points;
//                 negative when the treatment regrew weights)
// Efficacy per unit of dose is a ratio of two per-seed numbers (accuracy
// gained over pretreatment_combined, per point of L2 dose) and is left to
// the statistics of a study.
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/protocol/measure.hpp>
#include <rewire/protocol/metric_keys.hpp>
#include <rewire/protocol/stream_keys.hpp>
#include <rewire/protocol/subject.hpp>

#include <cmath>
#include <type_traits>
#include <variant>
#include <vector>

namespace rewire::protocol {

/// The dose of a change from `before` to `after` (same widths).
struct Dose {
  double l1 = 0.0, l2 = 0.0, turnover = 0.0, sparsity_change = 0.0;
};

/// Over the layers of two networks of one kind and shape (Mlp or Rnn).
template <class Net>
Dose dose_between(const Net& before, const Net& after) {
  detail::require(before.num_layers() == after.num_layers(), "dose: the networks differ in depth");
  double base1 = 0, base2 = 0, diff1 = 0, diff2 = 0, alive = 0, changed = 0;
  for (std::size_t l = 0; l < before.num_layers(); ++l) {
    const Matrix w0 = before.layer(l).weight(), w1 = after.layer(l).weight();
    const Matrix& mask = before.layer(l).mask();
    detail::require_shape(w1.rows(), w1.cols(), w0.rows(), w0.cols(), "dose: layer weight");
    for (Index j = 0; j < w0.cols(); ++j)
      for (Index i = 0; i < w0.rows(); ++i) {
        const double a = w0(i, j), d = double(w1(i, j)) - a;
        base1 += std::abs(a);
        base2 += a * a;
        diff1 += std::abs(d);
        diff2 += d * d;
        if (mask(i, j) == 0) continue;
        alive += 1;
        changed += std::abs(d) > 0.1 * std::abs(a);
      }
  }
  Dose dose;
  dose.l1 = base1 > 0 ? 100.0 * diff1 / base1 : 0.0;
  dose.l2 = base2 > 0 ? 100.0 * std::sqrt(diff2 / base2) : 0.0;
  dose.turnover = alive > 0 ? 100.0 * changed / alive : 0.0;
  dose.sparsity_change = 100.0 * (after.sparsity() - before.sparsity());
  return dose;
}

/// The same for a subject's network (both of one kind).
inline Dose dose_between(const Network& before, const Network& after) {
  return before.visit([&after](const auto& b) {
    using Net = std::decay_t<decltype(b)>;
    const Net* a = std::get_if<Net>(&after.variant());
    detail::require(a != nullptr, "dose: the networks are of different kinds");
    return dose_between(b, *a);
  });
}

/// The pre-treatment state an arm's dose is measured from.
struct DoseReference {
  Network net;
  double combined = 0.0;  ///< combined-stress accuracy (%) before treatment
};

/// Keeps the arm's pre-treatment network and measures its combined accuracy
/// (own noise stream, kPhasePretreatment: no other measurement changes).
inline DoseReference dose_reference(const Subject& subject, const StudyData& data, const MeasureSpec& spec) {
  NoiseSource noise = subject.eval_noise(kPhasePretreatment);
  const double combined = accuracy(subject.net, data.standard,
                                   {spec.combined_input_sigma, spec.combined_internal_sigma}, noise);
  return {subject.net, combined};
}

/// Adds the dose metrics (metric_keys.hpp) of the change from `ref` to `after`.
inline void add_dose_metrics(Metrics& m, const DoseReference& ref, const Network& after) {
  const Dose d = dose_between(ref.net, after);
  m[metric::dose_l1] = d.l1;
  m[metric::dose_l2] = d.l2;
  m[metric::dose_turnover] = d.turnover;
  m[metric::dose_sparsity_change] = d.sparsity_change;
  m[metric::pretreatment_combined] = ref.combined;
}

}  // namespace rewire::protocol
