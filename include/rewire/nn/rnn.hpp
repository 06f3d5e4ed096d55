// rewire/nn/rnn.hpp - a masked leaky rate recurrent network (a discrete-time
// "continuous-time RNN"), whose units can be modulated like the Mlp's.
//
// A batch of N sequences of T steps (step-major rows, core/types.hpp); per
// step t = 0..T-1, with h_{-1} = 0:
//
//   z_t = x_t W_in^T + b_in + h_{t-1} W_rec^T + b_rec   (pre-activation; b_in + b_rec is the
//                                                        one bias b, kept as two like PyTorch's nn.RNN)
//   u_t = z_t + sigma n_t                               (internal noise, n_t ~ N(0, I) fresh per
//                                                        unit, sequence and step; inside phi)
//   h_t = (1 - alpha) h_{t-1} + alpha d phi(u_t)        (leak; d = damping of the recurrent units)
//   y_t = h_t W_out^T + b_out                           (readout, every step)
//
// phi (ReLU or tanh), sigma and d come from the network's Modulation (the
// same struct the Mlp uses; under a per-unit one, unit j has its own phi_j,
// d_j and noise sigma s_j); alpha = dt / tau in (0, 1] is fixed at
// construction. Note where the noise enters: the Mlp adds it after the
// activation, H = d (f(Z) + sigma N); here it sits inside phi, the usual
// place in rate models (a noisy input current).
//
// Dale's law (optional, RnnOptions::dale): the first n_E = round(f * units)
// units (f = excitatory_fraction, half away from zero) are excitatory, the
// rest inhibitory; W_rec and W_out then compute with |W| .* s, s[j] = +1 for
// an excitatory presynaptic unit j and -1 for an inhibitory one
// (kernels/sign_constraint.hpp), so every connection keeps its unit's sign
// through training, pruning and regrowth. W_in is not constrained.
//
// Backprop through time (backward) sits below the forward; its derivation is
// in docs/derivations.md. Every weight matrix is a MaskedLinear: masks,
// kernel paths, ParamRef and Adam work as for the Mlp's layers.
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/core/types.hpp>
#include <rewire/core/with_flags.hpp>
#include <rewire/kernels/activation.hpp>
#include <rewire/kernels/modulation.hpp>
#include <rewire/nn/masked_linear.hpp>
#include <rewire/nn/modulation.hpp>
#include <rewire/nn/parameter.hpp>
#include <rewire/random/noise_source.hpp>
#include <rewire/random/rng.hpp>

#include <array>
#include <cmath>
#include <string>
#include <vector>

namespace rewire {

/// The recurrent network's weight matrices, in the order of layer(l).
enum class RnnLayer : std::size_t { input = 0, recurrent = 1, output = 2 };

/// Their names, the one place they are spelled: parameter names are
/// "<name>.weight" / "<name>.bias" (e.g. "rnn.recurrent.weight"), and
/// checkpoints and error messages use the same.
inline constexpr std::array<const char*, 3> kRnnLayerNames{"rnn.input", "rnn.recurrent", "rnn.output"};

/// The fixed architecture of a recurrent network besides its sizes.
struct RnnOptions {
  float alpha = 0.2f;                ///< dt / tau, in (0, 1]; 1 = no leak (a vanilla RNN)
  bool dale = false;                 ///< Dale's law on the recurrent units
  double excitatory_fraction = 0.8;  ///< in [0, 1]: share of excitatory units under Dale's law

  /// Throws std::invalid_argument naming the first bad value.
  void validate() const {
    detail::require(std::isfinite(alpha) && alpha > 0.0f && alpha <= 1.0f,
                    "alpha = " + std::to_string(alpha) + " is outside the allowed range (0, 1] (alpha = dt / tau)");
    detail::require_in_range(excitatory_fraction, 0.0, 1.0, "excitatory_fraction");
  }
};

/// The activations of one forward pass through time (what backward needs)
/// and the layers' scratch, one (N x width) matrix per step: each step's
/// work then runs on contiguous memory that stays in cache. An Rnn owns one
/// set for training; evaluation of a const network brings its own (one per
/// thread).
template <typename T>
struct RnnBuffers {
  Index steps = 0;              // T of the last forward
  std::vector<MatrixT<T>> x;    // per step (N, in): the inputs x_t
  std::vector<MatrixT<T>> u;    // per step (N, units): u_t, the argument of phi (ReLU's gate)
  std::vector<MatrixT<T>> a;    // per step (N, units): tanh(u_t), tanh only (tanh' = 1 - a^2)
  std::vector<MatrixT<T>> h;    // per step (N, units): h_t
  MatrixT<T> logits;            // (T*N, classes): y_t, step-major
  MatrixT<T> r, y;              // (N, units): the recurrent share of u_t; (N, classes): one step's y_t
  std::vector<MatrixT<T>> du;   // per step (N, units): dL/du_t = dL/dz_t
  std::vector<MatrixT<T>> dy;   // per counted step (N, classes): dL/dy_t
  MatrixT<T> dh, carried, dr;   // (N, units): dL/dh_t via the readout, (1 - alpha) dL/dh_t, du_t W_rec
  LayerScratch<T> scratch;
};

/// Leaky rate RNN with masked input, recurrent and readout weights; T is
/// the scalar (float to train, double to check gradients).
template <typename T>
class BasicRnn {
 public:
  using MatrixType = MatrixT<T>;
  using VectorType = VectorT<T>;
  using Layer = BasicMaskedLinear<T>;
  using Buffers = RnnBuffers<T>;

  /// An empty network: every method but assignment throws until one is assigned.
  BasicRnn() = default;

  /// `inputs` channels, `units` recurrent units, `outputs` classes.
  BasicRnn(Index inputs, Index units, Index outputs, const RnnOptions& options = {}) : options_(options) {
    detail::require(inputs > 0, "rnn inputs = " + std::to_string(inputs) + " must be > 0");
    detail::require(units > 0, "rnn units = " + std::to_string(units) + " must be > 0");
    detail::require(outputs > 0, "rnn outputs = " + std::to_string(outputs) + " must be > 0");
    options.validate();
    layers_ = {Layer(inputs, units), Layer(units, units), Layer(units, outputs)};
    if (options.dale) {
      excitatory_ = Index(std::lround(options.excitatory_fraction * double(units)));
      unit_signs_ = VectorType::Constant(units, T(-1));
      unit_signs_.head(excitatory_).setConstant(T(1));
      layer(RnnLayer::recurrent).set_input_signs(unit_signs_);
      layer(RnnLayer::output).set_input_signs(unit_signs_);
    }
  }

  /// PyTorch's nn.Linear initialisation of the input, recurrent and output
  /// matrices, in that order, from one stream (MaskedLinear::init_uniform).
  /// Under Dale's law with both kinds of unit present, the inhibitory
  /// columns of W_rec are then scaled by n_E / n_I, so that the expected
  /// input of every unit is balanced (zero) at the start.
  void init(Rng& rng) {
    require_built();
    for (auto& l : layers_) l.init_uniform(rng);
    const Index inhibitory = units() - excitatory_;
    if (!options_.dale || excitatory_ == 0 || inhibitory == 0) return;
    Layer& rec = layer(RnnLayer::recurrent);
    MatrixType W = rec.weight();
    W.rightCols(inhibitory) *= T(double(excitatory_) / double(inhibitory));
    rec.set_weight(W);
  }

  Index in_features() const { return require_built().front().in_features(); }
  Index units() const { return require_built()[1].out_features(); }
  Index out_features() const { return require_built().back().out_features(); }
  const RnnOptions& options() const { return options_; }
  float alpha() const { return options_.alpha; }

  /// Excitatory units under Dale's law (the first ones), else 0.
  Index excitatory_units() const { return excitatory_; }
  /// +1 per excitatory and -1 per inhibitory unit under Dale's law, else empty.
  const VectorType& unit_signs() const { return unit_signs_; }

  /// Input, recurrent and output matrix (see RnnLayer).
  std::size_t num_layers() const { return layers_.size(); }
  Layer& layer(std::size_t l) { return layers_.at(l); }
  const Layer& layer(std::size_t l) const { return layers_.at(l); }
  Layer& layer(RnnLayer l) { return layers_.at(std::size_t(l)); }
  const Layer& layer(RnnLayer l) const { return layers_.at(std::size_t(l)); }
  /// E.g. "rnn.recurrent" (kRnnLayerNames).
  std::string layer_name(std::size_t l) const { return kRnnLayerNames.at(l); }

  /// Sets every matrix's kernel choice (see MaskedLinear::set_kernel_path).
  void set_kernel_path(KernelPath path, double crossover = kDefaultSparseCrossover) {
    require_built();
    for (auto& l : layers_) l.set_kernel_path(path, crossover);
  }

  Modulation& modulation() { return modulation_; }
  const Modulation& modulation() const { return modulation_; }

  /// Forward pass for training over the sequence X ((steps * N) x inputs,
  /// step-major); returns the readout of every step ((steps * N) x classes),
  /// valid until the next forward. `noise` must be given when
  /// modulation().noise_sigma > 0; it is drawn step by step (N * units values each).
  const MatrixType& forward(const MatrixType& X, Index steps, NoiseSource* noise) {
    return forward(buffers_, X, steps, noise, modulation_);
  }

  /// The same pass into caller-owned `b`, under `modulation` instead of the
  /// network's own; changes nothing in the network. Returns b.logits.
  const MatrixType& forward(Buffers& b, const MatrixType& X, Index steps, NoiseSource* noise,
                            const Modulation& modulation) const {
    modulation.validate();
    detail::require(X.cols() == in_features(), "rnn input has " + std::to_string(X.cols()) +
                                                   " channels, the network takes " + std::to_string(in_features()));
    detail::require(steps >= 1 && X.rows() > 0 && X.rows() % steps == 0,
                    "rnn input rows must be steps * batch with steps >= 1 and a batch >= 1");
    detail::require(modulation.noise_sigma == 0.0f || noise != nullptr, "noise_sigma > 0 needs a NoiseSource");
    const Index N = X.rows() / steps;
    const bool per_unit = modulation.per_unit();
    if (per_unit) modulation.require_fits(hidden_widths());
    const bool relu = modulation.activation == Activation::relu && !per_unit;
    b.steps = steps;
    for (auto* v : {&b.x, &b.u, &b.h, &b.du}) v->resize(std::size_t(steps));
    b.a.resize(relu ? 0 : std::size_t(steps));
    b.logits.resize(steps * N, out_features());
    for (Index t = 0; t < steps; ++t) {
      const std::size_t s = std::size_t(t);
      b.x[s] = X.middleRows(t * N, N);
      layer(RnnLayer::input).forward(b.u[s], b.x[s], nullptr, b.scratch);  // (N, U): x_t W_in^T + b_in
      if (t == 0) {  // h_{-1} = 0: the recurrent share is b_rec alone
        b.r.resize(N, units());
        b.r.rowwise() = layer(RnnLayer::recurrent).bias().transpose();
      } else {
        layer(RnnLayer::recurrent).forward(b.r, b.h[s - 1], nullptr, b.scratch);  // (N, U): h_{t-1} W_rec^T + b_rec
      }
      if (per_unit) {  // unit j: + sigma s_j n_t, then its own phi_j and d_j
        const UnitModulation& um = modulation.units.front();
        if (noise != nullptr) unit_noise_forward(b.r, modulation.noise_sigma, um.noise_scale, *noise);
        leak_step_per_unit(b, t, um);
      } else {
        if (noise != nullptr) noise_forward(b.r, modulation.noise_sigma, *noise);  // + sigma n_t
        leak_step(b, t, modulation.damping, relu);
      }
      layer(RnnLayer::output).forward(b.y, b.h[s], nullptr, b.scratch);  // (N, classes): y_t
      b.logits.middleRows(t * N, N) = b.y;
    }
    return b.logits;
  }

  /// Backprop through time from dL/dy of every step (the shape of the last
  /// training forward's readout; steps whose rows are all zero do not
  /// count): fills every matrix's weight and bias gradient (masked or full,
  /// see GradientMode), each summed over the steps.
  void backward(const MatrixType& dlogits, GradientMode mode = GradientMode::masked) {
    Buffers& b = buffers_;
    detail::require(b.steps >= 1 && b.x.size() == std::size_t(b.steps), "backward needs a forward pass first");
    detail::require(dlogits.rows() == b.logits.rows() && dlogits.cols() == out_features(),
                    "dlogits must have the shape of the last forward's readout");
    const Index T_ = b.steps, N = dlogits.rows() / T_;
    std::vector<const MatrixType*> dy, h_out, du, h_rec, x;  // the terms of each weight gradient
    b.dy.clear();
    b.dy.reserve(std::size_t(T_));  // no reallocation: dy holds pointers into it
    b.carried = MatrixType::Zero(N, units());
    for (Index t = T_; t-- > 0;) {
      const std::size_t s = std::size_t(t);
      // y_t = h_t W_out^T + b_out: dL/dh_t gets dy_t W_out (none at a step that does not count).
      const bool counted = !dlogits.middleRows(t * N, N).isZero(0);
      if (counted) {
        b.dy.emplace_back(dlogits.middleRows(t * N, N));
        layer(RnnLayer::output).backward_input(b.dh, b.dy.back(), b.scratch);
        dy.push_back(&b.dy.back());
        h_out.push_back(&b.h[s]);
      }
      leak_step_backward(b, t, counted, t + 1 < T_);
      if (t > 0) layer(RnnLayer::recurrent).backward_input(b.dr, b.du[s], b.scratch);  // du_t W_rec: into dL/dh_{t-1}
      du.push_back(&b.du[s]);
      h_rec.push_back(t > 0 ? &b.h[s - 1] : nullptr);  // h_{-1} = 0: a bias-only term
      x.push_back(&b.x[s]);
    }
    // z_t = x_t W_in^T + b_in + h_{t-1} W_rec^T + b_rec, summed over the steps:
    // dW_out = sum_t dy_t^T h_t, dW_rec = sum_t du_t^T h_{t-1}, dW_in = sum_t du_t^T x_t; db = sums of dy_t, du_t.
    layer(RnnLayer::output).backward_params(dy, h_out, mode);
    layer(RnnLayer::recurrent).backward_params(du, h_rec, mode);
    layer(RnnLayer::input).backward_params(du, x, mode);
  }

  /// Units of each hidden layer: {units()} (the recurrent units are the one
  /// hidden layer; a per-unit Modulation has one entry for them).
  std::vector<Index> hidden_widths() const { return {units()}; }

  /// Frees the activation buffers of the last forward; backward() then
  /// needs a new forward().
  void release_buffers() { buffers_ = Buffers(); }

  /// Handles of all parameters: rnn.input.weight, rnn.input.bias,
  /// rnn.recurrent.weight, ..., rnn.output.bias. Valid across pruning and
  /// regrowth, not across a copy or move of the network (see BasicParamRef).
  std::vector<BasicParamRef<T>> parameters() {
    require_built();
    std::vector<BasicParamRef<T>> out;
    for (std::size_t l = 0; l < layers_.size(); ++l) layers_[l].append_parameters(out, layer_name(l));
    return out;
  }

  /// Number of weights (biases not counted) and of unmasked weights.
  Index num_weights() const {
    Index n = 0;
    for (const auto& l : require_built()) n += l.out_features() * l.in_features();
    return n;
  }
  Index num_active_weights() const {
    Index n = 0;
    for (const auto& l : require_built()) n += l.active_weights();
    return n;
  }
  /// Pruned weights / all weights (biases not counted).
  double sparsity() const { return 1.0 - double(num_active_weights()) / double(num_weights()); }

 private:
  /// The layers; throws std::invalid_argument for a default-constructed network.
  const std::array<Layer, 3>& require_built() const {
    detail::require(layers_[0].in_features() > 0, "the Rnn has no layers (default-constructed)");
    return layers_;
  }

  /// The rest of step t, fused into one pass over the (N x units) state:
  /// b.r holds the recurrent share of u_t (noise included) and b.u[t] the
  /// input share; b.u[t] becomes u_t and b.h[t] = (1 - alpha) h_{t-1} +
  /// alpha d phi(u_t). tanh (Eigen's vectorised one) takes a pass of its own
  /// and keeps b.a[t] for the backward.
  void leak_step(Buffers& b, Index t, float damping, bool relu) const {
    const std::size_t s = std::size_t(t);
    const T keep = T(1) - T(options_.alpha), gain = T(options_.alpha) * T(damping);
    MatrixType& u = b.u[s];
    b.h[s].resize(u.rows(), u.cols());
    if (!relu) {
      u += b.r;
      tanh_forward(b.a[s], u);
    }
    const T* x = relu ? b.r.data() : b.a[s].data();
    const T* h_prev = t > 0 ? b.h[s - 1].data() : nullptr;
    detail::with_flags(relu, t > 0, [&](auto r, auto p) {
      leak_line<decltype(r)::value, decltype(p)::value>(u.size(), keep, gain, x, u.data(), h_prev, b.h[s].data());
    });
  }
  /// leak_step under a per-unit modulation (plain column loops): u_t = the
  /// input share + b.r, b.a[t] = phi_j(u_t), h_t = (1 - alpha) h_{t-1} +
  /// alpha d_j phi_j(u_t) for unit j.
  void leak_step_per_unit(Buffers& b, Index t, const UnitModulation& um) const {
    const std::size_t s = std::size_t(t);
    b.u[s] += b.r;                                    // (N, U): u_t
    unit_activation_forward(b.a[s], b.u[s], um.tanh);  // (N, U): phi_j(u_t)
    b.h[s] = b.a[s];
    unit_damping_forward(b.h[s], um.damping);
    b.h[s] *= T(options_.alpha);
    if (t > 0) b.h[s] += (T(1) - T(options_.alpha)) * b.h[s - 1];
  }

  /// leak_step over n contiguous entries (separate arrays and compile-time
  /// flags: the loop vectorises). ReLU: u += x, phi = max(u, 0); tanh:
  /// phi = x. Without Prev, h_{-1} = 0.
  template <bool Relu, bool Prev>
  static void leak_line(Index n, T keep, T gain, const T* __restrict x, T* __restrict u,
                        const T* __restrict h_prev, T* __restrict h) {
    for (Index k = 0; k < n; ++k) {
      T phi = x[k];
      if (Relu) {
        u[k] += x[k];
        phi = u[k] < T(0) ? T(0) : u[k];  // NaN stays NaN, as relu_forward
      }
      h[k] = Prev ? keep * h_prev[k] + gain * phi : gain * phi;
    }
  }

  /// Step t of backprop through time, fused into one pass. With g_t = dL/dh_t
  /// (the readout's share b.dh when `counted`, plus what step t+1 passed back
  /// when `later`):
  ///   g_t  = dy_t W_out + (1 - alpha) g_{t+1} + du_{t+1} W_rec
  ///   du_t = alpha d g_t .* phi'(u_t)     ReLU: [u_t > 0];  tanh: 1 - a_t^2
  /// (noise is additive: du_t = dz_t). Leaves du_t in b.du[t] and
  /// (1 - alpha) g_t in b.carried for step t-1.
  void leak_step_backward(Buffers& b, Index t, bool counted, bool later) {
    const std::size_t s = std::size_t(t);
    if (modulation_.per_unit()) return leak_step_backward_per_unit(b, t, counted, later);
    const bool relu = modulation_.activation == Activation::relu;
    const T keep = T(1) - T(options_.alpha), gain = T(options_.alpha) * T(modulation_.damping);
    MatrixType& du = b.du[s];
    du.resize(b.carried.rows(), b.carried.cols());
    const T* slope_from = relu ? b.u[s].data() : b.a[s].data();
    detail::with_flags(relu, counted, later, [&](auto r, auto c, auto l) {
      leak_line_backward<decltype(r)::value, decltype(c)::value, decltype(l)::value>(
          du.size(), keep, gain, b.dh.data(), b.dr.data(), slope_from, b.carried.data(), du.data());
    });
  }
  /// leak_step_backward under a per-unit modulation: the same equations
  /// with unit j's d_j and phi_j' (ReLU: [u_t > 0]; tanh: 1 - a_t^2):
  ///   du_t[:, j] = alpha d_j g_t[:, j] phi_j'(u_t[:, j]).
  void leak_step_backward_per_unit(Buffers& b, Index t, bool counted, bool later) {
    const std::size_t s = std::size_t(t);
    const UnitModulation& um = modulation_.units.front();
    MatrixType g = b.carried;  // (N, U): g_t
    if (counted) g += b.dh;
    if (later) g += b.dr;
    MatrixType& du = b.du[s];
    du = T(options_.alpha) * g;
    unit_damping_backward(du, um.damping);
    unit_activation_backward(du, du, b.u[s], b.a[s], um.tanh);
    b.carried = (T(1) - T(options_.alpha)) * g;
  }

  /// leak_step_backward over n contiguous entries; `s` is u_t (ReLU) or a_t
  /// (tanh); `readout` and `next` are added only when their flag is set.
  template <bool Relu, bool Readout, bool Next>
  static void leak_line_backward(Index n, T keep, T gain, const T* __restrict readout, const T* __restrict next,
                                 const T* __restrict s, T* __restrict carried, T* __restrict du) {
    for (Index k = 0; k < n; ++k) {
      T g = carried[k];
      if (Readout) g += readout[k];
      if (Next) g += next[k];
      const T slope = Relu ? (s[k] > T(0) ? T(1) : T(0)) : T(1) - s[k] * s[k];
      du[k] = gain * g * slope;
      carried[k] = keep * g;
    }
  }

  std::array<Layer, 3> layers_;
  RnnOptions options_;
  Index excitatory_ = 0;
  VectorType unit_signs_;  // (units) of +-1 under Dale's law, else empty
  Modulation modulation_;
  Buffers buffers_;  // the training forward's activations, read by backward()
};

/// The float recurrent network used for training.
using Rnn = BasicRnn<float>;

}  // namespace rewire
