// rewire/prune/layer_densities.hpp - per-layer densities of a sparse network
// by the Erdos-Renyi rule (Mocanu et al. 2018, SET) with RigL's cap at 1
// (Evci et al. 2020, appendix), and initial random masks that realise them.
//
// A weight matrix of n_out x n_in gets the density
//     density_l = epsilon * (n_in + n_out) / (n_in * n_out),
// one epsilon for the network, chosen so that the active weights add up to
// the overall density d times all weights. Erdos-Renyi-Kernel (ERK) scales a
// convolution's kernel by (n_in + n_out + k_h + k_w) / (n_in n_out k_h k_w);
// every matrix here is a dense layer (kernel dims 1), for which the two are
// the same rule up to the constant, which epsilon absorbs: ER = ERK here.
//
// A layer whose density would exceed 1 is made dense and epsilon is solved
// again over the others (RigL's loop: each round makes dense the layers of
// the largest (n_in + n_out) / (n_in n_out), until no density exceeds 1).
// The real-valued counts are then rounded to integers that add up to exactly
// round(d * total) (half away from zero) by largest remainder: every layer
// gets floor(count), and the remaining units go one each to the layers with
// the largest fractional parts, ties to the lower layer index.
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/core/types.hpp>
#include <rewire/nn/mlp.hpp>
#include <rewire/nn/rnn.hpp>
#include <rewire/random/rng.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

namespace rewire {

/// The shape of one weight matrix: out x in (the layout convention).
struct LayerShape {
  Index out = 0;
  Index in = 0;
};

/// Per-layer densities and the exact active counts that realise them.
struct LayerDensities {
  std::vector<Index> sizes;        ///< out * in per layer
  std::vector<Index> active;       ///< exact active weights per layer; they add up to round(d * total)
  std::vector<double> densities;   ///< active / size per layer (what the masks will have)
  std::vector<double> ideal;       ///< epsilon (n_in + n_out) / (n_in n_out), or 1 for a dense layer, before rounding
  std::vector<bool> dense;         ///< made dense by the cap at 1
  double epsilon = 0.0;            ///< the scale shared by the layers that are not dense

  /// The active weights of all layers together.
  Index total_active() const { return std::accumulate(active.begin(), active.end(), Index(0)); }
};

namespace detail {

/// (n_in + n_out) / (n_in n_out): the density of a layer per unit of epsilon.
/// One expression everywhere, so equal ratios compare equal and the density
/// of a layer that passed the cap is <= 1 bit for bit.
inline double erdos_renyi_ratio(const LayerShape& s) {
  return double(s.out + s.in) / (double(s.out) * double(s.in));
}

/// RigL's loop: epsilon over the layers not yet dense, making dense those of
/// the largest (n_in + n_out) / (n_in n_out) while that density exceeds 1.
/// Sets `dense`; returns epsilon (0 when every layer is dense).
inline double erk_epsilon(const std::vector<LayerShape>& shapes, double density, std::vector<bool>& dense) {
  dense.assign(shapes.size(), false);
  for (;;) {
    // Active weights still to place over the layers that are not dense, and
    // the sum of their (n_in + n_out): epsilon = rhs / divisor.
    double rhs = 0.0, divisor = 0.0, max_ratio = 0.0;
    for (std::size_t l = 0; l < shapes.size(); ++l) {
      const double size = double(shapes[l].out) * double(shapes[l].in);
      if (dense[l]) {
        rhs -= (1.0 - density) * size;
      } else {
        rhs += density * size;
        divisor += double(shapes[l].out + shapes[l].in);
        max_ratio = std::max(max_ratio, erdos_renyi_ratio(shapes[l]));
      }
    }
    if (divisor == 0.0) return 0.0;  // every layer dense (d = 1)
    const double epsilon = std::max(0.0, rhs / divisor);
    if (epsilon * max_ratio <= 1.0) return epsilon;
    for (std::size_t l = 0; l < shapes.size(); ++l)
      if (!dense[l] && erdos_renyi_ratio(shapes[l]) == max_ratio) dense[l] = true;
  }
}

/// Integer counts, each in [0, sizes[l]], that add up to `target`: the
/// floors of `ideal` (a count per layer), then one more for the layers of the
/// largest fractional part (ties to the lower index) until the sum is reached.
inline std::vector<Index> largest_remainder(const std::vector<double>& ideal, const std::vector<Index>& sizes,
                                            Index target) {
  std::vector<Index> counts(ideal.size());
  std::vector<std::size_t> order;
  Index sum = 0;
  for (std::size_t l = 0; l < ideal.size(); ++l) {
    const double c = std::clamp(ideal[l], 0.0, double(sizes[l]));
    counts[l] = std::min(Index(std::floor(c)), sizes[l]);
    sum += counts[l];
    if (counts[l] < sizes[l]) order.push_back(l);
  }
  auto fraction = [&](std::size_t l) { return ideal[l] - double(counts[l]); };
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return fraction(a) > fraction(b); });  // stable: ties by index
  const Index missing = target - sum;
  require(missing >= 0 && missing <= Index(order.size()),
          "layer densities: cannot round the counts to the total " + std::to_string(target) +
              " (floors add up to " + std::to_string(sum) + ")");
  for (Index i = 0; i < missing; ++i) ++counts[order[std::size_t(i)]];
  return counts;
}

template <class Net>
std::vector<LayerShape> layer_shapes_of(const Net& net) {
  net.num_weights();  // throws for an empty (default-constructed) network
  std::vector<LayerShape> shapes;
  for (std::size_t l = 0; l < net.num_layers(); ++l)
    shapes.push_back({net.layer(l).out_features(), net.layer(l).in_features()});
  return shapes;
}

}  // namespace detail

/// Erdos-Renyi (= ERK for dense layers) densities for matrices of `shapes`
/// at overall density `density` in [0, 1] (see the file comment): the active
/// counts add up to exactly round(density * total weights).
inline LayerDensities erk_densities(const std::vector<LayerShape>& shapes, double density) {
  detail::require(!shapes.empty(), "layer densities need at least one layer shape");
  detail::require_in_range(density, 0.0, 1.0, "overall density");
  LayerDensities out;
  for (const LayerShape& s : shapes) {
    detail::require(s.out > 0 && s.in > 0, "layer shape " + std::to_string(s.out) + "x" + std::to_string(s.in) +
                                               ": both dimensions must be > 0");
    out.sizes.push_back(s.out * s.in);
  }
  out.epsilon = detail::erk_epsilon(shapes, density, out.dense);
  for (std::size_t l = 0; l < shapes.size(); ++l)
    out.ideal.push_back(out.dense[l] ? 1.0 : out.epsilon * detail::erdos_renyi_ratio(shapes[l]));
  std::vector<double> counts;
  for (std::size_t l = 0; l < shapes.size(); ++l)
    counts.push_back(out.dense[l] ? double(out.sizes[l]) : out.epsilon * double(shapes[l].out + shapes[l].in));
  const Index total = std::accumulate(out.sizes.begin(), out.sizes.end(), Index(0));
  out.active = detail::largest_remainder(counts, out.sizes, Index(std::llround(density * double(total))));
  for (std::size_t l = 0; l < shapes.size(); ++l) out.densities.push_back(double(out.active[l]) / double(out.sizes[l]));
  return out;
}

/// The same for the layers of an Mlp.
inline LayerDensities erk_densities(const Mlp& net, double density) {
  return erk_densities(detail::layer_shapes_of(net), density);
}

/// The same for a recurrent network: its input, recurrent and output matrices.
inline LayerDensities erk_densities(const Rnn& net, double density) {
  return erk_densities(detail::layer_shapes_of(net), density);
}

/// A rows x cols mask with exactly `count` ones at positions drawn uniformly
/// without replacement: `count` bounded integers from `rng`, a partial
/// Fisher-Yates over the flat (column-major) indices in increasing order.
inline Matrix random_mask(Index rows, Index cols, Index count, Rng& rng) {
  const Index n = rows * cols;
  detail::require(count >= 0 && count <= n, "random mask: " + std::to_string(count) + " active of " +
                                                std::to_string(n) + " positions is impossible");
  detail::require(n <= Index(UINT32_MAX), "random mask: too many positions");
  std::vector<Index> positions(static_cast<std::size_t>(n));
  std::iota(positions.begin(), positions.end(), Index(0));
  for (Index i = 0; i < count; ++i)
    std::swap(positions[std::size_t(i)], positions[std::size_t(i + rng.below(std::uint32_t(n - i)))]);
  Matrix mask = Matrix::Zero(rows, cols);
  for (Index i = 0; i < count; ++i) mask.data()[positions[std::size_t(i)]] = 1.0f;
  return mask;
}

namespace detail {
template <class Net>
void apply_layer_densities_to(Net& net, const LayerDensities& d, Rng& rng) {
  const std::vector<LayerShape> shapes = layer_shapes_of(net);
  require(d.active.size() == shapes.size(), "layer densities for " + std::to_string(d.active.size()) +
                                                " layers given to a network of " + std::to_string(shapes.size()));
  std::vector<Matrix> masks;  // every mask first: an error changes no layer
  for (std::size_t l = 0; l < shapes.size(); ++l)
    masks.push_back(random_mask(shapes[l].out, shapes[l].in, d.active[l], rng));
  for (std::size_t l = 0; l < shapes.size(); ++l) net.layer(l).set_mask(masks[l]);
}
}  // namespace detail

/// Sets every layer's mask to a random one with exactly d.active[l] ones
/// (random_mask, layer by layer from `rng`). Weights at masked positions
/// become 0; the others keep their values, so call it right after init() for
/// RigL's start (positions pruned before stay at 0 if reopened). Adam
/// moments of the old masks are refused afterwards, as after any mask change.
inline void apply_layer_densities(Mlp& net, const LayerDensities& d, Rng& rng) {
  detail::apply_layer_densities_to(net, d, rng);
}

/// The same for a recurrent network's input, recurrent and output matrices.
inline void apply_layer_densities(Rnn& net, const LayerDensities& d, Rng& rng) {
  detail::apply_layer_densities_to(net, d, rng);
}

/// erk_densities of `net` at `density`, applied as random masks; returns them.
inline LayerDensities apply_erk(Mlp& net, double density, Rng& rng) {
  LayerDensities d = erk_densities(net, density);
  apply_layer_densities(net, d, rng);
  return d;
}

/// The same for a recurrent network.
inline LayerDensities apply_erk(Rnn& net, double density, Rng& rng) {
  LayerDensities d = erk_densities(net, density);
  apply_layer_densities(net, d, rng);
  return d;
}

}  // namespace rewire
