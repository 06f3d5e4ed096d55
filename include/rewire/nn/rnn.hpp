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
// same struct the Mlp uses); alpha = dt / tau in (0, 1] is fixed at
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
/// and the layers' scratch. An Rnn owns one set for training; evaluation of
/// a const network brings its own (one per thread).
template <typename T>
struct RnnBuffers {
  Index steps = 0;     // T of the last forward
  MatrixT<T> input;    // (T*N, in): the forward's inputs x_t
  MatrixT<T> U;        // (T*N, units): u_t, the argument of phi (ReLU's gate)
  MatrixT<T> A;        // (T*N, units): phi(u_t), tanh only (tanh' = 1 - A^2)
  MatrixT<T> H;        // (T*N, units): h_t, the readout's input
  MatrixT<T> Hprev;    // (T*N, units): h_{t-1} (block 0 is h_{-1} = 0), the recurrent layer's input
  MatrixT<T> logits;   // (T*N, classes): y_t
  MatrixT<T> h, r, a;  // (N, units): running state, the step's pre-activation, tanh(u_t)
  MatrixT<T> dH;       // (T*N, units): dL/dh_t through the readout
  MatrixT<T> dU;       // (T*N, units): dL/du_t = dL/dz_t, every step (the weight gradients)
  MatrixT<T> dh, du, dr;  // (N, units): (1 - alpha) dL/dh_t carried back, dL/du_t, du_t W_rec
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
    const Index N = X.rows() / steps, U = units();
    const bool relu = modulation.activation == Activation::relu;
    b.steps = steps;
    b.input = X;
    layer(RnnLayer::input).forward(b.U, b.input, nullptr, b.scratch);  // (T*N, U): x_t W_in^T + b_in, all steps
    b.H.resize(steps * N, U);
    b.Hprev.resize(steps * N, U);
    if (!relu) b.A.resize(steps * N, U);
    b.h = MatrixType::Zero(N, U);  // h_{-1}
    for (Index t = 0; t < steps; ++t) {
      layer(RnnLayer::recurrent).forward(b.r, b.h, nullptr, b.scratch);  // (N, U): h_{t-1} W_rec^T + b_rec
      b.r += b.U.middleRows(t * N, N);                                   // z_t
      if (noise != nullptr) noise_forward(b.r, modulation.noise_sigma, *noise);  // u_t
      if (!relu) {
        tanh_forward(b.a, b.r);
        b.A.middleRows(t * N, N) = b.a;
      }
      leak_step(b, t, modulation.damping, relu);
    }
    layer(RnnLayer::output).forward(b.logits, b.H, nullptr, b.scratch);  // (T*N, classes): y_t
    return b.logits;
  }

  /// Backprop through time from dL/dy of every step (the shape of the last
  /// training forward's readout): fills every matrix's weight and bias
  /// gradient (masked or full, see GradientMode), each summed over the steps.
  void backward(const MatrixType& dlogits, GradientMode mode = GradientMode::masked) {
    Buffers& b = buffers_;
    detail::require(b.steps >= 1 && b.input.cols() == in_features(), "backward needs a forward pass first");
    detail::require(dlogits.rows() == b.logits.rows() && dlogits.cols() == out_features(),
                    "dlogits must have the shape of the last forward's readout");
    const Index T_ = b.steps, N = b.input.rows() / T_, U = units();
    // y_t = h_t W_out^T + b_out: dW_out = sum_t dy_t^T h_t, and dH = dy W_out is the readout's share of dL/dh_t.
    layer(RnnLayer::output).backward(&b.dH, dlogits, b.H, mode);
    b.dU.resize(T_ * N, U);
    b.dh = MatrixType::Zero(N, U);
    for (Index t = T_; t-- > 0;) {
      leak_step_backward(b, t, t + 1 < T_);
      if (t > 0) layer(RnnLayer::recurrent).backward_input(b.dr, b.du, b.scratch);  // du_t W_rec: into dL/dh_{t-1}
    }
    // z_t = x_t W_in^T + b_in + h_{t-1} W_rec^T + b_rec, so with the steps
    // stacked as rows each weight gradient is one product over all steps:
    // dW_rec = sum_t du_t^T h_{t-1} = dU^T Hprev, dW_in = dU^T X, db = column sums of dU.
    layer(RnnLayer::recurrent).backward(nullptr, b.dU, b.Hprev, mode);
    layer(RnnLayer::input).backward(nullptr, b.dU, b.input, mode);
  }

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
  /// b.r holds u_t (b.a holds tanh(u_t) for tanh). Stores u_t and h_{t-1},
  /// then h_t = (1 - alpha) h_{t-1} + alpha d phi(u_t) into b.h and H.
  void leak_step(Buffers& b, Index t, float damping, bool relu) const {
    const Index N = b.h.rows(), off = t * N;
    const T keep = T(1) - T(options_.alpha), gain = T(options_.alpha) * T(damping);
    for (Index c = 0; c < b.h.cols(); ++c) {
      T* h = b.h.col(c).data();
      const T* u = b.r.col(c).data();
      const T* a = relu ? u : b.a.col(c).data();
      T* u_out = b.U.col(c).data() + off;
      T* h_prev = b.Hprev.col(c).data() + off;
      T* h_out = b.H.col(c).data() + off;
      for (Index n = 0; n < N; ++n) {
        const T phi = relu ? (a[n] < T(0) ? T(0) : a[n]) : a[n];  // NaN stays NaN, as relu_forward
        u_out[n] = u[n];
        h_prev[n] = h[n];
        h[n] = keep * h[n] + gain * phi;
        h_out[n] = h[n];
      }
    }
  }

  /// Step t of backprop through time, fused into one pass. With g_t = dL/dh_t
  /// (the readout's share, plus what step t+1 passed back when `later`):
  ///   g_t  = dH_t + (1 - alpha) g_{t+1} + du_{t+1} W_rec
  ///   du_t = alpha d g_t .* phi'(u_t)     ReLU: [u_t > 0];  tanh: 1 - A_t^2
  /// (noise is additive: du_t = dz_t). Leaves du_t in b.du and dU, and
  /// (1 - alpha) g_t in b.dh for step t-1.
  void leak_step_backward(Buffers& b, Index t, bool later) {
    const Index N = b.dh.rows(), off = t * N;
    const bool relu = modulation_.activation == Activation::relu;
    const T keep = T(1) - T(options_.alpha), gain = T(options_.alpha) * T(modulation_.damping);
    b.du.resize(N, b.dh.cols());
    for (Index c = 0; c < b.dh.cols(); ++c) {
      T* carried = b.dh.col(c).data();
      const T* from_readout = b.dH.col(c).data() + off;
      const T* from_next = later ? b.dr.col(c).data() : nullptr;
      const T* u = b.U.col(c).data() + off;
      const T* a = relu ? nullptr : b.A.col(c).data() + off;
      T* du = b.du.col(c).data();
      T* du_all = b.dU.col(c).data() + off;
      for (Index n = 0; n < N; ++n) {
        const T g = carried[n] + from_readout[n] + (later ? from_next[n] : T(0));
        const T slope = relu ? (u[n] > T(0) ? T(1) : T(0)) : T(1) - a[n] * a[n];
        du[n] = gain * g * slope;
        du_all[n] = du[n];
        carried[n] = keep * g;
      }
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
