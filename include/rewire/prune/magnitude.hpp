// rewire/prune/magnitude.hpp - magnitude pruning to a target sparsity.
//
// Semantics (docs/protocol.md, "Masks and pruning"): the threshold is the `target`-quantile of |W| over
// ALL entries of the matrix (already-pruned zeros included), with linear
// interpolation between order statistics (numpy/torch default); the kept
// weights are those with |W| >= threshold. We AND the result with the old
// mask, so pruning never reopens a pruned weight, whatever the target.
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/core/types.hpp>
#include <rewire/nn/mlp.hpp>
#include <rewire/nn/rnn.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace rewire {

/// Pruning scope: each weight matrix on its own (the study's default), or
/// one threshold over all weight matrices together (the paper's prose).
enum class PruneScope { per_layer, global };

/// "per_layer" / "global".
inline const char* to_string(PruneScope s) { return s == PruneScope::per_layer ? "per_layer" : "global"; }

/// Parses "per_layer" / "global"; throws std::invalid_argument otherwise.
inline PruneScope parse_prune_scope(const std::string& name) {
  if (name == "per_layer") return PruneScope::per_layer;
  if (name == "global") return PruneScope::global;
  detail::require(false, "prune scope '" + name + "' is unknown (allowed: per_layer, global)");
  return PruneScope::per_layer;
}

/// The q-quantile of `values` with linear interpolation (numpy's default
/// "linear" method): position q (n - 1) between the sorted values. Reorders
/// `values`. q must lie in [0, 1]; values must be non-empty.
inline float quantile_linear(std::vector<float>& values, double q) {
  detail::require_in_range(q, 0.0, 1.0, "quantile q");
  detail::require(!values.empty(), "quantile of an empty set");
  const double pos = q * double(values.size() - 1);
  const auto lo = std::size_t(std::floor(pos));
  const double frac = pos - double(lo);
  std::nth_element(values.begin(), values.begin() + std::ptrdiff_t(lo), values.end());
  const float a = values[lo];
  if (frac == 0.0 || lo + 1 >= values.size()) return a;
  // The next order statistic is the minimum of the part above position lo.
  const float b = *std::min_element(values.begin() + std::ptrdiff_t(lo) + 1, values.end());
  // Same two-sided lerp as numpy/torch, exact at both ends.
  return frac < 0.5 ? float(a + (double(b) - a) * frac) : float(b - (double(b) - a) * (1.0 - frac));
}

/// |W| of every entry, appended to `out`. Throws std::invalid_argument if an
/// entry is NaN or infinite: no threshold is meaningful then (a NaN quantile
/// would silently prune the whole layer).
inline void append_magnitudes(std::vector<float>& out, const Matrix& W, const std::string& what) {
  detail::require(W.allFinite(), what + " has NaN or infinite weights (a diverged network?): cannot prune it");
  for (Index k = 0; k < W.size(); ++k) out.push_back(std::fabs(W.data()[k]));
}

/// New mask of `layer` = old mask AND (|W| >= threshold); applied at once.
inline void prune_below(MaskedLinear& layer, float threshold) {
  Matrix mask = layer.mask();
  const Matrix W = layer.weight();
  for (Index k = 0; k < W.size(); ++k)
    if (!(std::fabs(W.data()[k]) >= threshold)) mask.data()[k] = 0.0f;
  layer.set_mask(mask);
}

/// Checks a sparsity target: in [0, 1). At 1 the quantile is the largest
/// magnitude, which is kept (|W| >= threshold), so "prune everything" would
/// silently leave weights: refused instead.
inline void require_prune_target(double target) {
  detail::require(std::isfinite(target) && target >= 0.0 && target < 1.0,
                  "target sparsity = " + std::to_string(target) + " is outside the allowed range [0, 1)");
}

/// The threshold that prunes `W` to `target` sparsity: the target-quantile
/// of |W| over all entries. `what` names W in the error for non-finite weights.
inline float magnitude_threshold(const Matrix& W, double target, const std::string& what) {
  std::vector<float> magnitudes;
  magnitudes.reserve(std::size_t(W.size()));
  append_magnitudes(magnitudes, W, what);
  return quantile_linear(magnitudes, target);
}

/// Prunes one layer to `target` sparsity (fraction of its weights, in [0, 1)).
inline void prune_layer_to(MaskedLinear& layer, double target) {
  require_prune_target(target);
  prune_below(layer, magnitude_threshold(layer.weight(), target, "the layer"));
}

namespace detail {
/// prune_to for any network with num_layers(), layer(l) and layer_name(l).
template <class Net>
void prune_network(Net& net, double target, PruneScope scope) {
  require_prune_target(target);
  const Index weights = net.num_weights();  // throws for an empty (default-constructed) network
  if (scope == PruneScope::per_layer) {
    // Every threshold first (append_magnitudes refuses non-finite weights),
    // then the masks: an error leaves every layer as it was.
    std::vector<float> thresholds;
    for (std::size_t l = 0; l < net.num_layers(); ++l)
      thresholds.push_back(magnitude_threshold(net.layer(l).weight(), target, net.layer_name(l)));
    for (std::size_t l = 0; l < net.num_layers(); ++l) prune_below(net.layer(l), thresholds[l]);
    return;
  }
  std::vector<float> magnitudes;
  magnitudes.reserve(std::size_t(weights));
  for (std::size_t l = 0; l < net.num_layers(); ++l)
    append_magnitudes(magnitudes, net.layer(l).weight(), net.layer_name(l));
  const float threshold = quantile_linear(magnitudes, target);
  for (std::size_t l = 0; l < net.num_layers(); ++l) prune_below(net.layer(l), threshold);
}
}  // namespace detail

/// Prunes the network's weight matrices to `target` sparsity in [0, 1)
/// (biases are never pruned): per layer (default) or with one global threshold.
inline void prune_to(Mlp& net, double target, PruneScope scope = PruneScope::per_layer) {
  detail::prune_network(net, target, scope);
}

/// The same for a recurrent network: per matrix (input, recurrent, output)
/// or one threshold over all three. Under Dale's law |W| is the magnitude of
/// the effective weight, so pruning ranks connections by their strength
/// whatever their sign.
inline void prune_to(Rnn& net, double target, PruneScope scope = PruneScope::per_layer) {
  detail::prune_network(net, target, scope);
}

/// Sparsity after removing `fraction` of the weights that survive at
/// sparsity `current`: current + (1 - current) * fraction, capped at `cap`.
inline double sparsity_after_removing(double current, double fraction, double cap = 1.0) {
  detail::require_in_range(current, 0.0, 1.0, "current sparsity");
  detail::require_in_range(fraction, 0.0, 1.0, "fraction of remaining weights");
  return std::min(current + (1.0 - current) * fraction, cap);
}

}  // namespace rewire
