// rewire/prune/drop_grow.hpp - dynamic sparsity at constant density: one
// drop-and-grow step, as in SET (Mocanu et al. 2018: grow at random) and
// RigL (Evci et al. 2020: grow where |dL/dW| is largest).
//
// Per layer, with k = floor(fraction * active weights):
//  1. drop the k active weights of smallest |W|;
//  2. grow k of the inactive positions (those pruned before the step and
//     those just dropped): by gradient score, or uniformly at random;
//  3. a grown position starts at weight 0; one dropped and grown again in
//     the same step keeps its weight (as RigL does: it was never removed).
// The active count, and so the density, is exactly what it was. Both
// choices use strict total orders (|W| ascending, then flat index; score
// descending, then flat index) or a keyed stream, so a step is the same bits
// whatever the standard library or thread count.
//
// With PruneScope::global the same step runs over all layers together:
// k = floor(fraction * active weights of the network), the k active weights
// of smallest |W| of any layer are dropped and k of all layers' inactive
// positions grown (ties: lower layer, then lower flat index; at random: one
// partial Fisher-Yates over the inactive positions in (layer, index) order).
// The network's active count is unchanged; a layer's may move, as weights
// flow to the layers where they matter most (by |W| and by |dL/dW|, whose
// scales differ between layers: that is the point, and the risk, of it).
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/prune/magnitude.hpp>
#include <rewire/prune/regrow.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace rewire {

/// Where a drop-and-grow step grows: RigL's gradient rule or SET's random one.
enum class GrowBy {
  gradient,  ///< the inactive positions with the largest scores (gradient_scores)
  random,    ///< inactive positions drawn uniformly without replacement
};

/// "gradient" / "random".
inline const char* to_string(GrowBy g) { return g == GrowBy::gradient ? "gradient" : "random"; }

/// Parses "gradient" / "random"; throws std::invalid_argument otherwise.
inline GrowBy parse_grow_by(const std::string& name) {
  if (name == "gradient") return GrowBy::gradient;
  if (name == "random") return GrowBy::random;
  detail::require(false, "grow rule '" + name + "' is unknown (allowed: gradient, random)");
  return GrowBy::gradient;
}

/// Parameters of a drop-and-grow step on a whole network.
struct DropGrowOptions {
  double fraction = 0.3;            ///< share of each layer's active weights dropped and regrown, in [0, 1]
  GrowBy grow = GrowBy::gradient;   ///< RigL (gradient) or SET (random)
  int batches = 1;                  ///< mini-batches whose |grad| is summed for GrowBy::gradient, >= 1
  Index batch_size = 128;           ///< > 0
  /// per_layer: each layer drops and grows floor(fraction * its active); global: one
  /// k = floor(fraction * the network's active) over all layers together.
  PruneScope scope = PruneScope::per_layer;

  void validate() const {
    detail::require_in_range(fraction, 0.0, 1.0, "drop-and-grow fraction");
    detail::require(batches >= 1, "drop-and-grow batches must be >= 1");
    detail::require(batch_size > 0, "batch_size must be > 0");
  }
};

namespace detail {

/// The flat indices of the k active entries (mask != 0) of `W` with the
/// smallest |W| (ties to the lower index), in increasing index order.
inline std::vector<Index> weakest_active(const Matrix& W, const Matrix& mask, std::size_t k) {
  require(W.allFinite(), "the layer has NaN or infinite weights (a diverged network?): cannot drop by magnitude");
  struct Weight {
    float magnitude;
    Index index;
  };
  std::vector<Weight> active;
  for (Index i = 0; i < W.size(); ++i)
    if (mask.data()[i] != 0.0f) active.push_back({std::fabs(W.data()[i]), i});
  auto weaker = [](const Weight& a, const Weight& b) {
    return a.magnitude != b.magnitude ? a.magnitude < b.magnitude : a.index < b.index;
  };
  if (k < active.size()) std::nth_element(active.begin(), active.begin() + std::ptrdiff_t(k), active.end(), weaker);
  std::vector<Index> out;
  for (std::size_t i = 0; i < k; ++i) out.push_back(active[i].index);
  std::sort(out.begin(), out.end());
  return out;
}

/// k of the flat indices in `candidates` (increasing): the k of largest
/// `scores` (ties to the lower index), or k drawn from `rng` by a partial
/// Fisher-Yates over the candidates in increasing order. Increasing order out.
inline std::vector<Index> grow_choice(std::vector<Index> candidates, std::size_t k, GrowBy grow,
                                      const Matrix& scores, Rng& rng) {
  if (grow == GrowBy::gradient) {
    auto better = [&scores](Index a, Index b) {
      const float sa = scores.data()[a], sb = scores.data()[b];
      return sa != sb ? sa > sb : a < b;
    };
    if (k < candidates.size())
      std::nth_element(candidates.begin(), candidates.begin() + std::ptrdiff_t(k), candidates.end(), better);
  } else {
    require(candidates.size() <= std::size_t(UINT32_MAX), "drop-and-grow: too many inactive positions");
    for (std::size_t i = 0; i < k; ++i)
      std::swap(candidates[i], candidates[i + rng.below(std::uint32_t(candidates.size() - i))]);
  }
  candidates.resize(k);
  std::sort(candidates.begin(), candidates.end());
  return candidates;
}

}  // namespace detail

/// One drop-and-grow step on `layer` (see the file comment); returns k, the
/// number dropped and the number grown. `scores` (out x in, finite) ranks
/// the inactive positions for GrowBy::gradient and is not read for
/// GrowBy::random (pass an empty matrix); `rng` is drawn from only for
/// GrowBy::random, k bounded integers.
inline Index drop_and_grow_layer(MaskedLinear& layer, double fraction, GrowBy grow, const Matrix& scores, Rng& rng) {
  detail::require_in_range(fraction, 0.0, 1.0, "drop-and-grow fraction");
  if (grow == GrowBy::gradient) {
    detail::require_shape(scores.rows(), scores.cols(), layer.out_features(), layer.in_features(),
                          "drop-and-grow scores");
    detail::require(scores.allFinite(), "drop-and-grow scores contain NaN or inf (a diverged network?)");
  }
  const auto k = std::size_t(std::floor(fraction * double(layer.active_weights())));
  if (k == 0) return 0;
  Matrix W = layer.weight();  // one dense copy, read for the drop and written for the grow
  Matrix mask = layer.mask();
  const std::vector<Index> dropped = detail::weakest_active(W, mask, k);
  for (Index i : dropped) mask.data()[i] = 0.0f;
  std::vector<Index> inactive;
  for (Index i = 0; i < mask.size(); ++i)
    if (mask.data()[i] == 0.0f) inactive.push_back(i);
  const std::vector<Index> grown = detail::grow_choice(std::move(inactive), k, grow, scores, rng);

  for (Index i : grown) {
    mask.data()[i] = 1.0f;
    if (!std::binary_search(dropped.begin(), dropped.end(), i)) W.data()[i] = 0.0f;
  }
  layer.set_mask(mask);  // the dropped weights become zero here
  layer.set_weight(W);
  return Index(k);
}

namespace detail {

/// A position with the value that ranks it (|W| to drop, a score to grow).
struct RankedPosition {
  float value;
  LayerPosition at;
};

/// The k positions of `ranked` with the smallest value (`smallest`) or the
/// largest, ties to the lower (layer, index), in (layer, index) order.
inline std::vector<LayerPosition> select_ranked(std::vector<RankedPosition> ranked, std::size_t k, bool smallest) {
  auto before = [smallest](const RankedPosition& a, const RankedPosition& b) {
    if (a.value != b.value) return smallest ? a.value < b.value : a.value > b.value;
    return a.at < b.at;
  };
  if (k < ranked.size()) std::nth_element(ranked.begin(), ranked.begin() + std::ptrdiff_t(k), ranked.end(), before);
  std::vector<LayerPosition> out;
  for (std::size_t i = 0; i < k && i < ranked.size(); ++i) out.push_back(ranked[i].at);
  std::sort(out.begin(), out.end());
  return out;
}

/// k of the inactive positions of all layers (`masks` after the drop): by
/// `scores` (largest first) or by one partial Fisher-Yates from `rng` over
/// them in (layer, index) order. In (layer, index) order.
inline std::vector<LayerPosition> grow_choice_global(const std::vector<Matrix>& masks, std::size_t k, GrowBy grow,
                                                     const std::vector<Matrix>& scores, Rng& rng) {
  std::vector<RankedPosition> inactive;
  for (std::size_t l = 0; l < masks.size(); ++l)
    for (Index i = 0; i < masks[l].size(); ++i)
      if (masks[l].data()[i] == 0.0f)
        inactive.push_back({grow == GrowBy::gradient ? scores[l].data()[i] : 0.0f, {l, i}});
  if (grow == GrowBy::gradient) return select_ranked(std::move(inactive), k, false);
  require(inactive.size() <= std::size_t(UINT32_MAX), "drop-and-grow: too many inactive positions");
  for (std::size_t i = 0; i < k; ++i)
    std::swap(inactive[i], inactive[i + rng.below(std::uint32_t(inactive.size() - i))]);
  std::vector<LayerPosition> out;
  for (std::size_t i = 0; i < k; ++i) out.push_back(inactive[i].at);
  std::sort(out.begin(), out.end());
  return out;
}

/// The checks of drop_and_grow_global, before any layer changes.
inline void require_global_inputs(const std::vector<MaskedLinear*>& layers, double fraction, GrowBy grow,
                                  const std::vector<Matrix>& scores) {
  require_in_range(fraction, 0.0, 1.0, "drop-and-grow fraction");
  require(!layers.empty(), "global drop-and-grow needs at least one layer");
  for (const MaskedLinear* layer : layers) require(layer != nullptr, "global drop-and-grow: a layer is null");
  if (grow != GrowBy::gradient) return;
  require(scores.size() == layers.size(), "drop-and-grow scores: " + std::to_string(scores.size()) +
                                              " matrices given for " + std::to_string(layers.size()) + " layers");
  for (std::size_t l = 0; l < layers.size(); ++l) {
    require_shape(scores[l].rows(), scores[l].cols(), layers[l]->out_features(), layers[l]->in_features(),
                  "drop-and-grow scores");
    require(scores[l].allFinite(), "drop-and-grow scores contain NaN or inf (a diverged network?)");
  }
}

}  // namespace detail

/// One drop-and-grow step over `layers` together (PruneScope::global, see
/// the file comment): k = floor(fraction * their active weights), dropped
/// where |W| is smallest over all of them and grown where `scores[l]` is
/// largest (GrowBy::gradient; one out x in matrix per layer) or at random
/// from `rng` (GrowBy::random: k bounded integers; pass no scores). As per
/// layer, the grown positions include those just dropped (which keep their
/// weight); the others start at 0. Returns the number dropped per layer;
/// the number grown is the new active count minus the old plus that.
inline std::vector<Index> drop_and_grow_global(const std::vector<MaskedLinear*>& layers, double fraction,
                                               GrowBy grow, const std::vector<Matrix>& scores, Rng& rng) {
  detail::require_global_inputs(layers, fraction, grow, scores);
  std::vector<Matrix> W, masks;
  std::vector<detail::RankedPosition> active;
  for (std::size_t l = 0; l < layers.size(); ++l) {
    W.push_back(layers[l]->weight());  // one dense copy, read for the drop and written for the grow
    masks.push_back(layers[l]->mask());
    detail::require(W[l].allFinite(),
                    "the layer has NaN or infinite weights (a diverged network?): cannot drop by magnitude");
    for (Index i = 0; i < W[l].size(); ++i)
      if (masks[l].data()[i] != 0.0f) active.push_back({std::fabs(W[l].data()[i]), {l, i}});
  }
  const auto k = std::size_t(std::floor(fraction * double(active.size())));
  std::vector<Index> dropped_per_layer(layers.size(), 0);
  if (k == 0) return dropped_per_layer;
  const std::vector<detail::LayerPosition> dropped = detail::select_ranked(std::move(active), k, true);
  for (const detail::LayerPosition& p : dropped) {
    masks[p.layer].data()[p.index] = 0.0f;
    ++dropped_per_layer[p.layer];
  }
  for (const detail::LayerPosition& p : detail::grow_choice_global(masks, k, grow, scores, rng)) {
    masks[p.layer].data()[p.index] = 1.0f;
    if (!std::binary_search(dropped.begin(), dropped.end(), p)) W[p.layer].data()[p.index] = 0.0f;
  }
  for (std::size_t l = 0; l < layers.size(); ++l) {
    layers[l]->set_mask(masks[l]);  // the dropped weights become zero here
    layers[l]->set_weight(W[l]);
  }
  return dropped_per_layer;
}

namespace detail {
template <class Net, class Data>
std::vector<Index> drop_and_grow_network(Net& net, const Data* data, const DropGrowOptions& options, Rng& shuffle,
                                         Rng& rng) {
  options.validate();
  std::vector<Matrix> scores(net.num_layers());
  if (options.grow == GrowBy::gradient) {
    require(data != nullptr, "drop-and-grow by gradient needs data to score the inactive positions");
    scores = gradient_scores(net, *data, options.batches, options.batch_size, shuffle);
  }
  if (options.scope == PruneScope::global) {
    std::vector<MaskedLinear*> layers;
    for (std::size_t l = 0; l < net.num_layers(); ++l) layers.push_back(&net.layer(l));
    return drop_and_grow_global(layers, options.fraction, options.grow,
                                options.grow == GrowBy::gradient ? scores : std::vector<Matrix>{}, rng);
  }
  std::vector<Index> k;
  for (std::size_t l = 0; l < net.num_layers(); ++l)
    k.push_back(drop_and_grow_layer(net.layer(l), options.fraction, options.grow, scores[l], rng));
  return k;
}
}  // namespace detail

/// One drop-and-grow step on every layer of `net`: each at its own density
/// (options.scope per_layer), or over all layers together (global:
/// drop_and_grow_global). GrowBy::gradient scores the inactive positions by
/// the full |dL/dW| summed over options.batches mini-batches drawn with
/// `shuffle` (gradient_scores, noise off); GrowBy::random draws from `rng`.
/// Returns the number dropped per layer (per layer: also the number grown).
inline std::vector<Index> drop_and_grow(Mlp& net, const Dataset& data, const DropGrowOptions& options, Rng& shuffle,
                                        Rng& rng) {
  return detail::drop_and_grow_network(net, &data, options, shuffle, rng);
}

/// The same for a recurrent network on trials, matrix by matrix (input,
/// recurrent, output) or over the three together; under Dale's law the
/// magnitude dropped by is |W|.
inline std::vector<Index> drop_and_grow(Rnn& net, const TrialSet& data, const DropGrowOptions& options, Rng& shuffle,
                                        Rng& rng) {
  return detail::drop_and_grow_network(net, &data, options, shuffle, rng);
}

}  // namespace rewire
