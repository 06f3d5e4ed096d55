// rewire/prune/regrow.hpp - gradient-guided regrowth ("ketamine-like").
//
// Score every pruned position by the accumulated |dL/dW| over a few
// mini-batches (noise off, no optimiser step), then reopen, layer by layer,
// the highest-scoring fraction of its pruned positions with fresh
// N(0, sd^2) weights. Biases are untouched. Tied scores (the common case,
// see RegrowTies) are ordered at random by default. With PruneScope::global
// the fraction is of the network's pruned positions, ranked together: a
// layer then regrows as many as its scores earn.
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/data/batches.hpp>
#include <rewire/kernels/loss.hpp>
#include <rewire/data/trials.hpp>
#include <rewire/nn/mlp.hpp>
#include <rewire/nn/rnn.hpp>
#include <rewire/prune/magnitude.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace rewire {

/// How regrowth orders pruned positions whose scores are exactly equal.
///
/// Ties are the common case, not an edge case: after 95% pruning most hidden
/// units are dead (no input weights, negative bias), so 66-98% of the pruned
/// positions of the two wide hidden layers score exactly 0, and regrowing half
/// of them means choosing among tied zeros. The study's program used
/// torch.topk, whose selection among ties is scattered over the matrix.
/// `lowest_index` instead packs the tied picks into the first columns (whole
/// input units), which measurably changes the regrown network: over seeds
/// 0-9 it lowered accuracy at internal noise sigma 2.5 from 80.8 +- 4.1 to
/// 76.8 +- 4.8 (published 81.7 +- 3.0); see docs/reproduction.md.
enum class RegrowTies {
  random,        ///< ties ordered by a random key per position, drawn from the values stream
  lowest_index,  ///< ties go to the lower column-major flat index
};

/// "random" / "lowest_index".
inline const char* to_string(RegrowTies t) { return t == RegrowTies::random ? "random" : "lowest_index"; }

/// Parses "random" / "lowest_index"; throws std::invalid_argument otherwise.
inline RegrowTies parse_regrow_ties(const std::string& name) {
  if (name == "random") return RegrowTies::random;
  if (name == "lowest_index") return RegrowTies::lowest_index;
  detail::require(false, "regrowth tie rule '" + name + "' is unknown (allowed: random, lowest_index)");
  return RegrowTies::random;
}

/// Parameters of regrowth. The defaults are a starting point for a direct
/// call (they are the values of the bundled study, docs/protocol.md); the
/// study program does not rely on them: its configuration states every value.
struct RegrowOptions {
  int batches = 30;        ///< mini-batches whose |grad| is accumulated, >= 1
  double fraction = 0.5;   ///< share of each layer's pruned positions to regrow, in [0, 1]
  float init_sd = 0.03f;   ///< regrown weights ~ N(0, init_sd^2), >= 0
  Index batch_size = 128;  ///< > 0
  RegrowTies ties = RegrowTies::random;
  /// Share, in [0, 1], of the reopened positions placed at random among the
  /// pruned ones instead of by gradient ("maladaptive sprouting"); the count
  /// reopened is the same. 0: all by gradient.
  double random_share = 0.0;
  /// per_layer: `fraction` of each layer's pruned positions, ranked within
  /// the layer (the study's rule); global: `fraction` of all layers' pruned
  /// positions, ranked together (scores compared across layers as they are).
  PruneScope scope = PruneScope::per_layer;

  void validate() const {
    detail::require(batches >= 1, "regrow batches must be >= 1");
    detail::require_in_range(fraction, 0.0, 1.0, "regrow fraction");
    detail::require_in_range(random_share, 0.0, 1.0, "regrow random_share");
    detail::require_non_negative(init_sd, "regrow init_sd");
    detail::require(batch_size > 0, "batch_size must be > 0");
  }
};

namespace detail {
/// Per layer of `net`, the sum of the full |dL/dW| over `batches` batches,
/// internal noise off. `full_backward(sampler)` runs the forward, loss and
/// GradientMode::full backward of the sampler's next batch and returns
/// false when the epoch is exhausted (then the order is reshuffled).
template <class Net, class Sampler, class FullBackward>
std::vector<Matrix> accumulate_gradient_scores(Net& net, Sampler& sampler, int batches, Rng& shuffle,
                                               FullBackward&& full_backward) {
  std::vector<Matrix> scores;
  for (std::size_t l = 0; l < net.num_layers(); ++l)
    scores.push_back(Matrix::Zero(net.layer(l).out_features(), net.layer(l).in_features()));
  ScopedNoiseSigma noise_off(net, 0.0f);  // restored on any exit
  sampler.start_epoch(shuffle);
  for (int b = 0; b < batches; ++b) {
    if (!full_backward(sampler)) {  // more batches than an epoch holds: reshuffle
      sampler.start_epoch(shuffle);
      full_backward(sampler);
    }
    for (std::size_t l = 0; l < net.num_layers(); ++l)
      scores[l].array() += net.layer(l).weight_grad().array().abs();
  }
  return scores;
}
}  // namespace detail

/// Per layer, the sum over `batches` shuffled mini-batches of the full
/// |dL/dW| (masked positions included), with internal noise off.
inline std::vector<Matrix> gradient_scores(Mlp& net, const Dataset& data, int batches,
                                           Index batch_size, Rng& shuffle) {
  detail::require(batches >= 1, "batches must be >= 1");
  BatchSampler sampler(data, batch_size);
  Matrix X, P, dlogits;
  Labels y;
  return detail::accumulate_gradient_scores(net, sampler, batches, shuffle, [&](BatchSampler& s) {
    if (!s.next(X, y)) return false;
    softmax_cross_entropy_forward(P, net.forward(X, nullptr), y);
    softmax_cross_entropy_backward(dlogits, P, y);
    net.backward(dlogits, GradientMode::full);
    return true;
  });
}

/// The same for a recurrent network on trials: per matrix (input,
/// recurrent, output), |dL/dW| of backprop through time (summed over the
/// steps) summed over `batches` batches of trials. Under Dale's law the
/// score of a pruned position is |dL/dW_eff| (kernels/sign_constraint.hpp).
inline std::vector<Matrix> gradient_scores(Rnn& net, const TrialSet& data, int batches, Index batch_size,
                                           Rng& shuffle) {
  detail::require(batches >= 1, "batches must be >= 1");
  require_fits(net, data);
  TrialBatchSampler sampler(data, batch_size);
  Matrix X, P, dlogits;
  Labels y;
  return detail::accumulate_gradient_scores(net, sampler, batches, shuffle, [&](TrialBatchSampler& s) {
    if (!s.next(X, y)) return false;
    sequence_cross_entropy_forward(P, net.forward(X, data.steps(), nullptr), y, data.response);
    sequence_cross_entropy_backward(dlogits, P, y, data.response);
    net.backward(dlogits, GradientMode::full);
    return true;
  });
}

namespace detail {
/// A weight position of a list of layers. Ordered by (layer, index): the
/// tie-break of the global steps (regrowth here, drop-and-grow in
/// drop_grow.hpp).
struct LayerPosition {
  std::size_t layer;
  Index index;
  bool operator<(const LayerPosition& o) const { return layer != o.layer ? layer < o.layer : index < o.index; }
};

/// regrow_layer over several layers ranked together (one layer: exactly
/// regrow_layer). Candidates are the pruned positions in (layer, flat
/// index) order; ties after the key go to the lower (layer, index). Returns
/// the count regrown per layer.
inline std::vector<Index> regrow_layers(const std::vector<MaskedLinear*>& layers,
                                        const std::vector<const Matrix*>& scores, double fraction, float sd,
                                        Rng& values, RegrowTies ties, double random_share) {
  require_in_range(fraction, 0.0, 1.0, "regrow fraction");
  require_in_range(random_share, 0.0, 1.0, "regrow random_share");
  require(layers.size() == scores.size(), "regrowth: one score matrix per layer");
  // Pruned positions with their scores and (with random ties) a key drawn
  // in (layer, index) order. Ordered by score descending, then key, then
  // (layer, index): a strict total order, so the choice is deterministic.
  struct Candidate {
    float score;
    std::uint64_t tie_key;
    LayerPosition at;
  };
  std::vector<Candidate> pruned;
  for (std::size_t l = 0; l < layers.size(); ++l) {
    const MaskedLinear& layer = *layers[l];
    const Matrix& s = *scores[l];
    require_shape(s.rows(), s.cols(), layer.out_features(), layer.in_features(), "regrowth scores");
    require(s.allFinite(), "regrowth scores contain NaN or inf (a diverged network?)");
    for (Index k = 0; k < layer.mask().size(); ++k)
      if (layer.mask().data()[k] == 0.0f) pruned.push_back({s.data()[k], 0, {l, k}});
  }
  std::vector<Index> regrown(layers.size(), 0);
  if (pruned.empty() || fraction == 0.0) return regrown;
  const auto count = std::max<std::size_t>(1, std::size_t(std::floor(fraction * double(pruned.size()))));
  if (ties == RegrowTies::random)
    for (auto& c : pruned) c.tie_key = values.next_u64();
  auto better = [](const Candidate& a, const Candidate& b) {
    if (a.score != b.score) return a.score > b.score;
    if (a.tie_key != b.tie_key) return a.tie_key < b.tie_key;
    return a.at < b.at;
  };
  auto in_order = [](const Candidate& a, const Candidate& b) { return a.at < b.at; };
  const auto at_random = std::size_t(std::llround(random_share * double(count)));
  const std::size_t by_gradient = count - at_random;
  if (by_gradient > 0)
    std::nth_element(pruned.begin(), pruned.begin() + std::ptrdiff_t(by_gradient - 1), pruned.end(), better);
  if (at_random > 0) {
    // The rest in (layer, index) order (not nth_element's arrangement, which
    // differs between standard libraries), then its first at_random
    // entries drawn without replacement.
    std::sort(pruned.begin() + std::ptrdiff_t(by_gradient), pruned.end(), in_order);
    const std::size_t n = pruned.size() - by_gradient;
    require(n <= std::size_t(UINT32_MAX), "regrow: too many pruned positions for random sprouting");
    for (std::size_t i = 0; i < at_random; ++i)
      std::swap(pruned[by_gradient + i], pruned[by_gradient + i + values.below(std::uint32_t(n - i))]);
  }
  pruned.resize(count);
  std::sort(pruned.begin(), pruned.end(), in_order);
  // New weights in (layer, index) order; each layer's mask and weights set once.
  for (std::size_t l = 0, c = 0; l < layers.size(); ++l) {
    MaskedLinear& layer = *layers[l];
    Matrix mask = layer.mask();
    Matrix W = layer.weight();
    for (; c < pruned.size() && pruned[c].at.layer == l; ++c) {
      mask.data()[pruned[c].at.index] = 1.0f;
      W.data()[pruned[c].at.index] = sd * values.normal();
      ++regrown[l];
    }
    if (regrown[l] == 0) continue;
    layer.set_mask(mask);
    layer.set_weight(W);
  }
  return regrown;
}
}  // namespace detail

/// Reopens count = max(1, floor(fraction * n)) pruned positions of `layer`
/// (n = its pruned count; none if n = 0 or fraction = 0): the count - r with
/// the largest `scores`, ties ordered as `ties` says, and r =
/// round(random_share * count) (half away from zero) chosen uniformly at
/// random among the other pruned positions ("sprouting"). Draws from
/// `values`, in this order: with RegrowTies::random one 64-bit key per
/// pruned position (in increasing flat-index order); r bounded integers of
/// a partial Fisher-Yates over the positions not chosen by gradient (in
/// increasing flat-index order); the new weights ~ N(0, sd^2) in increasing
/// flat-index order. Returns how many were regrown.
inline Index regrow_layer(MaskedLinear& layer, const Matrix& scores, double fraction, float sd,
                          Rng& values, RegrowTies ties = RegrowTies::random, double random_share = 0.0) {
  return detail::regrow_layers({&layer}, {&scores}, fraction, sd, values, ties, random_share).front();
}

namespace detail {
/// Scores, then regrows every layer of `net`; the count per layer.
template <class Net, class Data>
std::vector<Index> regrow_network(Net& net, const Data& data, const RegrowOptions& options, Rng& shuffle,
                                  Rng& values) {
  options.validate();
  const std::vector<Matrix> scores = gradient_scores(net, data, options.batches, options.batch_size, shuffle);
  std::vector<MaskedLinear*> layers;
  std::vector<const Matrix*> layer_scores;
  for (std::size_t l = 0; l < net.num_layers(); ++l) {
    layers.push_back(&net.layer(l));
    layer_scores.push_back(&scores[l]);
  }
  if (options.scope == PruneScope::global)
    return regrow_layers(layers, layer_scores, options.fraction, options.init_sd, values, options.ties,
                         options.random_share);
  std::vector<Index> regrown;
  for (std::size_t l = 0; l < layers.size(); ++l)
    regrown.push_back(regrow_layers({layers[l]}, {layer_scores[l]}, options.fraction, options.init_sd, values,
                                    options.ties, options.random_share)
                          .front());
  return regrown;
}
}  // namespace detail

/// Scores pruned positions (gradient_scores), then regrows every layer
/// (regrow_layer), or all layers ranked together with options.scope =
/// PruneScope::global. Returns the number regrown per layer.
inline std::vector<Index> regrow_by_gradient(Mlp& net, const Dataset& data, const RegrowOptions& options,
                                             Rng& shuffle, Rng& values) {
  return detail::regrow_network(net, data, options, shuffle, values);
}

/// The same for a recurrent network on trials, matrix by matrix (input,
/// recurrent, output). Under Dale's law a regrown weight's sign follows its
/// presynaptic unit: the value drawn is W, the layer computes with |W| .* s.
inline std::vector<Index> regrow_by_gradient(Rnn& net, const TrialSet& data, const RegrowOptions& options,
                                             Rng& shuffle, Rng& values) {
  return detail::regrow_network(net, data, options, shuffle, values);
}

}  // namespace rewire
