// rewire/protocol/circuit.hpp - measures of a network's circuit integrity,
// taken of every seed's pre-treatment state (the baseline that all arms
// branch from), so a study can ask whether the state a treatment starts
// from predicts how the treatment does.
//
// Structure (no data needed), over the layers in series, biases not counted:
//   surviving_weights          100 * unmasked weights / all weights   (%)
//   surviving_weights.layerL   the same in layer L = 1, 2, ...         (%)
//   dead_units.hiddenH         units of hidden layer H = 1, 2, ... with no
//                              unmasked incoming weight (their output is a
//                              constant, the bias through the activation)
//                              or no unmasked outgoing weight (nothing reads
//                              them): a first-order loss, count
//   dead_units                 the sum over the hidden layers
//   disconnected_units         hidden units on no path of unmasked weights
//                              from some input to some output (the dead
//                              units and those cut off by them further up
//                              or down the chain), count
//   path_share                 100 * input-to-output paths whose every
//                              weight is unmasked / all such paths
//                              (= 1^T M_L ... M_1 1 / prod widths, M_l the
//                              0/1 masks; the connectivity a path-count
//                              pruning criterion such as SynFlow ranks by) (%)
//   weight_l1, weight_l2       sum |w| and sqrt(sum w^2) of the unmasked weights
// A recurrent network (nn/rnn.hpp) has one population of units and three
// matrices, named input, recurrent and output:
//   surviving_weights, .input, .recurrent, .output   as above (%)
//   dead_units                 units with no unmasked weight from an input
//                              or another unit, or none to an output or
//                              another unit (a self-connection alone
//                              neither feeds nor reads a unit), count
//   disconnected_units         units on no path from some input through
//                              the recurrent graph to some output, count
//   weight_l1, weight_l2       as above, over the three matrices
// (no path_share: paths through a recurrent graph have no finite count).
// Function (the study's data and noise):
//   clean, standard, combined  accuracy (%) on the clean set, the standard
//                              set, and the standard set under combined
//                              stress, as the post-treatment panel measures
//                              them, from the baseline's own evaluation
//                              stream (kPhaseBaseline): no other
//                              measurement of the study changes.
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/core/float_env.hpp>
#include <rewire/core/types.hpp>
#include <rewire/nn/rnn.hpp>
#include <rewire/protocol/measure.hpp>
#include <rewire/protocol/network.hpp>
#include <rewire/protocol/spec.hpp>
#include <rewire/protocol/stream_keys.hpp>
#include <rewire/protocol/subject.hpp>
#include <rewire/train/evaluate.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <deque>
#include <string>
#include <utility>
#include <vector>

namespace rewire::protocol {

namespace circuit_key {
inline constexpr const char* clean = "clean";
inline constexpr const char* standard = "standard";
inline constexpr const char* combined = "combined";
inline constexpr const char* surviving_weights = "surviving_weights";
inline constexpr const char* dead_units = "dead_units";
inline constexpr const char* disconnected_units = "disconnected_units";
inline constexpr const char* path_share = "path_share";
inline constexpr const char* weight_l1 = "weight_l1";
inline constexpr const char* weight_l2 = "weight_l2";

/// "surviving_weights.layer1" for layer index 0.
inline std::string surviving_weights_in_layer(std::size_t l) {
  return std::string(surviving_weights) + ".layer" + std::to_string(l + 1);
}
/// "dead_units.hidden1" for the first hidden layer (h = 1).
inline std::string dead_units_in_hidden(std::size_t h) {
  return std::string(dead_units) + ".hidden" + std::to_string(h);
}
}  // namespace circuit_key

/// The names of the recurrent network's three matrices in measure names
/// ("surviving_weights.recurrent"), in RnnLayer order.
inline constexpr const char* kRnnMatrices[] = {"input", "recurrent", "output"};

/// The names measure_baseline records for the network of `spec` (an Mlp
/// of spec.widths or an Rnn), in name order: what a reader of a seed file
/// checks against.
inline std::vector<std::string> baseline_measure_names(const StudySpec& spec) {
  namespace k = circuit_key;
  std::vector<std::string> names{k::clean,     k::combined,          k::dead_units, k::disconnected_units,
                                 k::standard,  k::surviving_weights, k::weight_l1,  k::weight_l2};
  if (spec.network == NetworkKind::rnn) {
    for (const char* m : kRnnMatrices) names.push_back(std::string(k::surviving_weights) + "." + m);
  } else {
    names.push_back(k::path_share);
    for (std::size_t h = 1; h + 1 < spec.widths.size(); ++h) names.push_back(k::dead_units_in_hidden(h));
    for (std::size_t l = 0; l + 1 < spec.widths.size(); ++l) names.push_back(k::surviving_weights_in_layer(l));
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace rewire::protocol

namespace rewire::detail {

// Which units of each level of a chain of masks are reached by a path of
// unmasked weights from the inputs (forward), or reach the outputs
// (backward). Level 0 is the input, level l + 1 the outputs of mask l;
// masks[l] is (out, in) as layers store them.
inline std::vector<std::vector<bool>> reached(const std::vector<const Matrix*>& masks, bool forward) {
  const std::size_t L = masks.size();
  std::vector<std::vector<bool>> r(L + 1);
  r[0].assign(std::size_t(masks.front()->cols()), true);
  r[L].assign(std::size_t(masks.back()->rows()), true);
  for (std::size_t step = 0; step < L; ++step) {
    const std::size_t l = forward ? step : L - 1 - step;  // the mask crossed
    const Matrix& M = *masks[l];
    if (forward) {
      r[l + 1].assign(std::size_t(M.rows()), false);
      for (Index j = 0; j < M.cols(); ++j)
        if (r[l][std::size_t(j)])
          for (Index i = 0; i < M.rows(); ++i) r[l + 1][std::size_t(i)] = r[l + 1][std::size_t(i)] || M(i, j) != 0;
    } else {
      r[l].assign(std::size_t(M.cols()), false);
      for (Index j = 0; j < M.cols(); ++j)
        for (Index i = 0; i < M.rows(); ++i) r[l][std::size_t(j)] = r[l][std::size_t(j)] || (M(i, j) != 0 && r[l + 1][std::size_t(i)]);
    }
  }
  return r;
}

// Surviving (unmasked) weights of a network's matrices and the L1 and L2
// sums of their values, matrix by matrix.
struct WeightTally {
  double alive = 0, all = 0, l1 = 0, l2 = 0;

  /// Adds one matrix (mask and weight, out x in); returns its surviving count.
  double add(const Matrix& mask, const Matrix& weight) {
    double here = 0;
    for (Index j = 0; j < mask.cols(); ++j)
      for (Index i = 0; i < mask.rows(); ++i) {
        if (mask(i, j) == 0) continue;
        here += 1;
        l1 += std::abs(double(weight(i, j)));
        l2 += double(weight(i, j)) * double(weight(i, j));
      }
    alive += here;
    all += double(mask.size());
    return here;
  }
};

}  // namespace rewire::detail

namespace rewire::protocol {

/// The structural measures above of `net`, whose layers run in series
/// (layer l + 1 reads the outputs of layer l, as in an Mlp): any network
/// type with num_layers() and layer(l).mask() / .weight() (out x in).
/// Throws std::invalid_argument if the layers do not chain.
template <class Net>
Metrics circuit_structure(const Net& net) {
  namespace k = circuit_key;
  const std::size_t L = net.num_layers();
  detail::require(L >= 1, "circuit_structure: the network has no layers");
  std::vector<const Matrix*> masks;
  for (std::size_t l = 0; l < L; ++l) {
    masks.push_back(&net.layer(l).mask());
    detail::require(l == 0 || masks[l]->cols() == masks[l - 1]->rows(),
                              "circuit_structure: layer " + std::to_string(l + 1) +
                                  " does not read the outputs of the layer before it");
  }
  Metrics m;
  detail::WeightTally tally;
  for (std::size_t l = 0; l < L; ++l) {
    const double here = tally.add(*masks[l], net.layer(l).weight());
    m[k::surviving_weights_in_layer(l)] = 100.0 * here / double(masks[l]->size());
  }
  m[k::surviving_weights] = 100.0 * tally.alive / tally.all;
  m[k::weight_l1] = tally.l1;
  m[k::weight_l2] = std::sqrt(tally.l2);

  // Hidden level h (1..L-1) is the output of mask h-1 and the input of mask h.
  const auto from_inputs = detail::reached(masks, true), to_outputs = detail::reached(masks, false);
  double dead = 0, disconnected = 0;
  for (std::size_t h = 1; h < L; ++h) {
    const Matrix& in = *masks[h - 1];  // (units, below)
    const Matrix& out = *masks[h];     // (above, units)
    double dead_here = 0;
    for (Index u = 0; u < in.rows(); ++u) {
      const bool fed = (in.row(u).array() != 0.0f).any(), read = (out.col(u).array() != 0.0f).any();
      dead_here += !(fed && read);
      disconnected += !(from_inputs[h][std::size_t(u)] && to_outputs[h][std::size_t(u)]);
    }
    m[k::dead_units_in_hidden(h)] = dead_here;
    dead += dead_here;
  }
  m[k::dead_units] = dead;
  m[k::disconnected_units] = disconnected;

  // Path share: v_0 = 1 / w_0, v_{l+1} = M_l v_l / w_{l+1}, share = sum v_L
  // = (1^T M_L ... M_1 1) / prod w, with every entry of v in [0, 1] (no
  // overflow, whatever the depth and widths).
  // Plain loops, not Eigen's matrix-vector product: its summation order
  // follows the vector width, and this number is reported.
  std::vector<double> v(std::size_t(masks.front()->cols()), 1.0 / double(masks.front()->cols()));
  for (const Matrix* M : masks) {
    std::vector<double> next(std::size_t(M->rows()), 0.0);
    for (Index o = 0; o < M->rows(); ++o) {
      double sum = 0.0;
      for (Index i = 0; i < M->cols(); ++i)
        if ((*M)(o, i) != 0.0f) sum += v[std::size_t(i)];
      next[std::size_t(o)] = sum / double(M->rows());
    }
    v = std::move(next);
  }
  double share = 0.0;
  for (const double x : v) share += x;
  m[k::path_share] = 100.0 * share;
  return m;
}

}  // namespace rewire::protocol

namespace rewire::detail {

// Which units of a recurrent network are reached from the inputs (forward)
// or reach the outputs (backward) along unmasked weights: the units seeded
// by the input rows (output columns), then whatever the recurrent mask
// (units x units, (to, from)) links them to, breadth first.
inline std::vector<bool> reached_recurrent(const Matrix& input, const Matrix& rec, const Matrix& output, bool forward) {
  const Index n = rec.rows();
  std::vector<bool> r(std::size_t(n), false);
  std::deque<Index> todo;
  for (Index u = 0; u < n; ++u) {
    r[std::size_t(u)] = forward ? (input.row(u).array() != 0.0f).any() : (output.col(u).array() != 0.0f).any();
    if (r[std::size_t(u)]) todo.push_back(u);
  }
  while (!todo.empty()) {
    const Index u = todo.front();
    todo.pop_front();
    for (Index v = 0; v < n; ++v)
      if (!r[std::size_t(v)] && (forward ? rec(v, u) : rec(u, v)) != 0) {
        r[std::size_t(v)] = true;
        todo.push_back(v);
      }
  }
  return r;
}

}  // namespace rewire::detail

namespace rewire::protocol {

/// The structural measures above of a recurrent network.
inline Metrics circuit_structure(const Rnn& net) {
  namespace k = circuit_key;
  Metrics m;
  detail::WeightTally tally;
  for (std::size_t l = 0; l < net.num_layers(); ++l) {
    const Matrix& M = net.layer(l).mask();
    const double here = tally.add(M, net.layer(l).weight());
    m[std::string(k::surviving_weights) + "." + kRnnMatrices[l]] = 100.0 * here / double(M.size());
  }
  m[k::surviving_weights] = 100.0 * tally.alive / tally.all;
  m[k::weight_l1] = tally.l1;
  m[k::weight_l2] = std::sqrt(tally.l2);

  const Matrix& input = net.layer(RnnLayer::input).mask();         // (units, inputs)
  const Matrix& rec = net.layer(RnnLayer::recurrent).mask();       // (units, units): (to, from)
  const Matrix& output = net.layer(RnnLayer::output).mask();       // (classes, units)
  const auto from_inputs = detail::reached_recurrent(input, rec, output, true);
  const auto to_outputs = detail::reached_recurrent(input, rec, output, false);
  double dead = 0, disconnected = 0;
  for (Index u = 0; u < rec.rows(); ++u) {
    bool fed = (input.row(u).array() != 0.0f).any(), read = (output.col(u).array() != 0.0f).any();
    for (Index v = 0; v < rec.rows(); ++v) {
      if (v == u) continue;  // a self-connection neither feeds nor reads the unit
      fed = fed || rec(u, v) != 0;
      read = read || rec(v, u) != 0;
    }
    dead += !(fed && read);
    disconnected += !(from_inputs[std::size_t(u)] && to_outputs[std::size_t(u)]);
  }
  m[k::dead_units] = dead;
  m[k::disconnected_units] = disconnected;
  return m;
}

/// The structural measures of either kind of network.
inline Metrics circuit_structure(const Network& net) {
  return net.visit([](const auto& n) { return circuit_structure(n); });
}

/// Everything above of the pre-treatment subject `baseline` of a study
/// `spec` (run_baseline's result; nothing in it changes), the accuracies on
/// the seed's `data` under spec.measure, with the float mode of the study.
inline Metrics measure_baseline(const StudySpec& spec, const Subject& baseline, const StudyData& data) {
  namespace k = circuit_key;
  const ScopedFlushDenormals float_mode(spec.flush_denormals);
  const MeasureSpec& measure = spec.measure;
  Metrics m = circuit_structure(baseline.net);
  NoiseSource noise = baseline.eval_noise(kPhaseBaseline);
  m[k::clean] = accuracy(baseline.net, data.clean, {}, noise);
  m[k::standard] = accuracy(baseline.net, data.standard, {}, noise);
  m[k::combined] =
      accuracy(baseline.net, data.standard, {measure.combined_input_sigma, measure.combined_internal_sigma}, noise);
  return m;
}

}  // namespace rewire::protocol
