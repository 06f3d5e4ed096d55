// test_adam_long.cpp - Adam over a study-length run: 2,400 steps (one
// training call of the study makes 94 steps an epoch for up to 100 epochs)
// against an independent double-precision reference written here, on real
// layers of every parameter kind the optimiser meets:
//   - "dense":   an unmasked layer on the dense path (no mask in its view),
//   - "masked":  a masked layer on the dense path, given FULL gradients
//                (nonzero at pruned positions: the mask is re-applied),
//   - "compact": a masked layer on the sparse path (the optimiser updates
//                the compact array of active entries),
// and their biases. The gradient scale changes by up to 10^7 between
// stretches, with stretches of exactly zero gradient in between (the
// moments decay, the step count runs on): bias correction, eps and the
// moment recurrences all matter somewhere along the run.
//
// Gradients are synthetic: with the batch input X = I (in x in) and
// dY = G^T, a layer's backward gives dW = dY^T X = G exactly (each entry is
// one product with 1) and db = row sums of G (rounded in float: the
// reference is fed the float db the layer computed).
#include <catch2/catch.hpp>
#include <rewire/rewire.hpp>

#include "test_helpers.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

using namespace rewire;
using rewire_test::random_mask;
using rewire_test::random_matrix;

namespace {

constexpr int kSteps = 2400;
constexpr float kLr = 1e-3f;

/// Gradient scale of step t: stretches of different scales and of zeros.
double scale_at(int t) {
  struct Stretch {
    int end;
    double scale;
  };
  static const Stretch schedule[] = {{300, 1.0},  {500, 0.0},  {800, 1e-3}, {1000, 10.0}, {1400, 0.0},
                                     {1600, 1e-6}, {1800, 1e-2}, {2000, 1.0}, {2100, 0.0},  {kSteps, 0.1}};
  for (const Stretch& s : schedule)
    if (t < s.end) return s.scale;
  return 0.0;
}

/// Independent Adam in double (PyTorch's form with the exact decimal betas
/// 0.9 and 0.999), over one flat tensor; `mask` (or nullptr) re-applied
/// after each update.
struct RefTensor {
  std::vector<double> w, m, v;
  const float* mask = nullptr;
  void step(const float* g, long t, double lr) {
    const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
    const double bc1 = 1.0 - std::pow(b1, double(t)), bc2 = 1.0 - std::pow(b2, double(t));
    for (std::size_t j = 0; j < w.size(); ++j) {
      m[j] = b1 * m[j] + (1.0 - b1) * double(g[j]);
      v[j] = b2 * v[j] + (1.0 - b2) * double(g[j]) * double(g[j]);
      w[j] -= lr * (m[j] / bc1) / (std::sqrt(v[j] / bc2) + eps);
      if (mask != nullptr) w[j] *= double(mask[j]);
    }
  }
};

// Tolerance. The gradients do not depend on the weights, so the float and
// double runs see the same inputs and their difference in w is the sum of
// the per-step differences of the updates plus the rounding of w itself:
//  - the float betas (0.9f, 0.999f are 2.6e-8 and 1.3e-8 away from 0.9,
//    0.999) shift the bias corrections and, over up to 2,400 steps of the
//    recurrences, the moments: at most ~3e-5 of the update;
//  - each step of v = b2 v + (1 - b2) g^2 rounds by <= 2u relative (u =
//    2^-24 = 6e-8), and v forgets at rate 1 - b2, so v carries at most
//    2u / (1 - b2) = 1.2e-4 relative, half of it through the square root;
//    m likewise 2u / (1 - b1) = 1.2e-6 of the recent gradient scale;
//  - the update itself rounds by a few u.
// Hence per step: |error of the update| <= kRel |exact update| + kAbs * lr
// (m's absolute error when m^ is near 0 while sqrt(v^) keeps the gradient's
// scale), plus kU |w| for w -= update; summed over the run, entry by entry.
// A wrong bias correction changes updates by factors (frozen after 10
// steps: 1 - 0.999^10 = 0.00995 instead of 0.095 at t = 100 and 0.91 at
// t = 2400, so updates 3-10x too large), far beyond this bound.
constexpr double kRel = 1e-4, kAbs = 2e-6, kU = 5.9604645e-8;

/// The accumulated bound of one entry and how the float run kept to it.
struct Drift {
  double bound = 0.0;  ///< allowed |float - double| after the steps so far
  double path = 0.0;   ///< sum of |update| of the reference (how far it travelled)
  double worst = 0.0;  ///< largest |float - double| / bound seen
  std::string where;
};

const char* const kKind[3] = {"dense", "masked", "compact"};
const GradientMode kMode[3] = {GradientMode::masked, GradientMode::full, GradientMode::masked};

/// The three layers (16 -> 12), their parameter views (taken once, as a
/// training call does), the reference tensors (weight, bias per layer) and
/// the drift of every entry.
struct Run {
  static constexpr Index in = 16, out = 12;
  std::vector<MaskedLinear> layers = std::vector<MaskedLinear>(3, MaskedLinear(in, out));
  std::vector<ParamRef> params;
  std::vector<RefTensor> ref = std::vector<RefTensor>(6);
  std::vector<std::vector<Drift>> drift = std::vector<std::vector<Drift>>(6);

  explicit Run(Rng& rng) {
    for (auto& layer : layers) layer.init_uniform(rng);
    layers[1].set_mask(random_mask(out, in, rng, 0.5f));
    layers[2].set_mask(random_mask(out, in, rng, 0.7f));
    layers[0].set_kernel_path(KernelPath::dense);
    layers[1].set_kernel_path(KernelPath::dense);
    layers[2].set_kernel_path(KernelPath::sparse);
    for (std::size_t l = 0; l < layers.size(); ++l) {
      layers[l].append_parameters(params, int(l + 1));
      const MaskedLinear& view = layers[l];
      RefTensor& w = ref[2 * l];
      RefTensor& b = ref[2 * l + 1];
      const Matrix W = view.weight();  // a copy: hold it while reading through pointers
      w.w.assign(W.data(), W.data() + W.size());
      w.mask = view.unmasked() ? nullptr : view.mask().data();
      b.w.assign(view.bias().data(), view.bias().data() + view.bias().size());
    }
    for (std::size_t k = 0; k < ref.size(); ++k) {
      ref[k].m.assign(ref[k].w.size(), 0.0);
      ref[k].v.assign(ref[k].w.size(), 0.0);
      drift[k].resize(ref[k].w.size());
    }
  }

  /// After the optimiser's step t (1-based): the reference's step from the
  /// gradients the layers hold, and the error of every entry against its bound.
  void compare(long t) {
    for (std::size_t l = 0; l < layers.size(); ++l) {
      const MaskedLinear& view = layers[l];
      const Matrix W = view.weight(), G = view.weight_grad();  // copies, held while read
      const float* got[2] = {W.data(), view.bias().data()};
      const float* grad[2] = {G.data(), view.bias_grad().data()};
      for (std::size_t p = 0; p < 2; ++p) {
        const std::size_t k = 2 * l + p;
        const std::vector<double> old = ref[k].w;
        ref[k].step(grad[p], t, kLr);
        for (std::size_t j = 0; j < old.size(); ++j) {
          Drift& d = drift[k][j];
          const double update = std::abs(ref[k].w[j] - old[j]);
          d.path += update;
          d.bound += kRel * update + kAbs * kLr + kU * std::abs(ref[k].w[j]);
          const double ratio = std::abs(double(got[p][j]) - ref[k].w[j]) / d.bound;
          if (ratio > d.worst) {
            d.worst = ratio;
            d.where = std::string(kKind[l]) + (p == 0 ? ".weight[" : ".bias[") + std::to_string(j) +
                      "] at step " + std::to_string(t);
          }
        }
      }
    }
  }

  /// Per tensor: every entry within its bound, and the run far from trivially
  /// within it (every active entry travelled > 100x the largest bound).
  void check() const {
    for (std::size_t k = 0; k < ref.size(); ++k) {
      const std::string name = std::string(kKind[k / 2]) + (k % 2 == 0 ? ".weight" : ".bias");
      double worst = 0.0, max_bound = 0.0, min_active_path = 1e300;
      std::string where;
      for (std::size_t j = 0; j < drift[k].size(); ++j) {
        const Drift& d = drift[k][j];
        if (d.worst > worst) {
          worst = d.worst;
          where = d.where;
        }
        max_bound = std::max(max_bound, d.bound);
        if (ref[k].mask == nullptr || ref[k].mask[j] != 0.0f) min_active_path = std::min(min_active_path, d.path);
      }
      CAPTURE(name, worst, where, max_bound, min_active_path);
      CHECK(worst <= 1.0);
      CHECK(min_active_path > 100 * max_bound);
    }
  }
};

}  // namespace

TEST_CASE("Adam over 2400 steps with changing gradient scales matches a double reference on dense, masked and compact parameters",
          "[adam][long]") {
  const std::uint64_t seed = 41;
  CAPTURE(seed);
  Rng rng(seed);
  Run run(rng);
  const Index in = Run::in, out = Run::out;
  REQUIRE(run.params.size() == 6);
  REQUIRE((run.params[0].mask() == nullptr && run.params[0].offsets() == nullptr));  // dense
  REQUIRE((run.params[2].mask() != nullptr && run.params[2].offsets() == nullptr));  // masked
  REQUIRE(run.params[4].offsets() != nullptr);                                       // compact

  const Matrix X = Matrix::Identity(in, in);
  const Matrix direction = random_matrix(out, in, rng);  // a persistent component per entry
  Adam adam(AdamOptions{kLr});
  for (int t = 0; t < kSteps; ++t) {
    const float s = float(scale_at(t));
    for (std::size_t l = 0; l < run.layers.size(); ++l) {
      const Matrix G = s * (0.5f * direction + random_matrix(out, in, rng));
      run.layers[l].backward(nullptr, G.transpose(), X, kMode[l]);
      // dW is G exactly at every position the mode keeps (masked mode: the
      // active ones; the others are 0).
      const MaskedLinear& view = run.layers[l];
      const Matrix keep = kMode[l] == GradientMode::full ? Matrix::Ones(out, in) : view.mask();
      REQUIRE((view.weight_grad().array() == G.array() * keep.array()).all());
    }
    adam.step(run.params);
    run.compare(t + 1);
  }
  REQUIRE(adam.steps() == kSteps);
  run.check();
  // Pruned weights are exactly zero on both masked kinds.
  for (std::size_t l = 1; l < run.layers.size(); ++l) {
    const MaskedLinear& view = run.layers[l];
    for (Index k = 0; k < view.mask().size(); ++k)
      if (view.mask().data()[k] == 0.0f) REQUIRE(view.weight().data()[k] == 0.0f);
  }
}
