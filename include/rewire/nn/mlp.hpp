// rewire/nn/mlp.hpp - a feed-forward network of masked layers whose hidden
// units can be modulated (activation, internal noise, damping) at run time.
//
// Hidden layer l:  Z_l = H_{l-1} W_l^T + b_l      (pre-activation)
//                  A_l = f(Z_l)                   (ReLU or tanh)
//                  H_l = d * (A_l + sigma * N)    (noise, then damping)
// Output:          logits = H_{L-1} W_L^T + b_L
// Under a per-unit modulation (nn/modulation.hpp) f, sigma's scale and d
// are unit j's own: H_l[:, j] = d_j (f_j(Z_l[:, j]) + sigma s_j N[:, j]).
// The training buffers are owned here and sized by the batch; forward()
// keeps what backward() needs. forward(Buffers&, ...) const evaluates
// without touching the network.
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

#include <string>
#include <vector>

namespace rewire {

/// The activations of one forward pass (what backward needs) and the
/// sparse kernels' scratch. An Mlp owns one set for training; evaluation of a
/// const network brings its own (one per thread).
template <typename T>
struct MlpBuffers {
  MatrixT<T> input;              // (batch, in): the forward's input
  std::vector<MatrixT<T>> Z;     // per hidden layer (batch, width): pre-activation
  std::vector<MatrixT<T>> A;     // per hidden layer (batch, width): f(Z) (tanh only)
  std::vector<MatrixT<T>> H;     // per hidden layer (batch, width): output after noise and damping
  std::vector<MatrixT<T>> dH;    // per hidden layer (batch, width): dL/dH, then dL/dZ
  MatrixT<T> logits;             // (batch, classes)
  LayerScratch<T> scratch;
};

/// Multi-layer perceptron: widths {in, h1, ..., out}, masked weights
/// everywhere; T is the scalar (float to train, double to check gradients).
template <typename T>
class BasicMlp {
 public:
  using MatrixType = MatrixT<T>;
  using Layer = BasicMaskedLinear<T>;
  using Buffers = MlpBuffers<T>;

  /// An empty network: every method that reads or changes its layers (all
  /// but num_layers(), which is 0, and the modulation's accessors) throws
  /// std::invalid_argument ("no layers") until a network is assigned.
  BasicMlp() = default;

  /// E.g. Mlp({2, 512, 512, 256, 4}). Needs at least {in, out}.
  explicit BasicMlp(const std::vector<Index>& widths) {
    detail::require(widths.size() >= 2, "an Mlp needs at least an input and an output width");
    for (Index w : widths) detail::require(w > 0, "every Mlp width must be > 0");
    for (std::size_t l = 0; l + 1 < widths.size(); ++l) layers_.emplace_back(widths[l], widths[l + 1]);
  }

  /// PyTorch-default initialisation of every layer, in order, from one stream.
  void init(Rng& rng) {
    require_layers();
    for (auto& layer : layers_) layer.init_uniform(rng);
  }

  std::size_t num_layers() const { return layers_.size(); }
  Layer& layer(std::size_t l) {
    require_layers();
    return layers_.at(l);
  }
  const Layer& layer(std::size_t l) const { return require_layers().at(l); }
  /// "layer 1", "layer 2", ... (how errors name layer l).
  std::string layer_name(std::size_t l) const { return "layer " + std::to_string(l + 1); }
  Index in_features() const { return require_layers().front().in_features(); }
  Index out_features() const { return require_layers().back().out_features(); }

  /// Sets every layer's kernel choice (see MaskedLinear::set_kernel_path).
  void set_kernel_path(KernelPath path, double crossover = kDefaultSparseCrossover) {
    require_layers();
    for (auto& layer : layers_) layer.set_kernel_path(path, crossover);
  }

  Modulation& modulation() { return modulation_; }
  const Modulation& modulation() const { return modulation_; }

  /// Forward pass for training; returns the logits (batch x classes), valid
  /// until the next forward. `noise` must be given when
  /// modulation().noise_sigma > 0.
  const MatrixType& forward(const MatrixType& X, NoiseSource* noise) {
    return forward(buffers_, X, noise, modulation_);
  }

  /// The same pass into caller-owned `buffers`, under `modulation` instead of
  /// the network's own: changes nothing in the network (evaluation of a const
  /// network, one Buffers per thread). Returns buffers.logits.
  const MatrixType& forward(Buffers& b, const MatrixType& X, NoiseSource* noise,
                            const Modulation& modulation) const {
    modulation.validate();
    detail::require(X.cols() == in_features(), "input has the wrong number of features");
    detail::require(modulation.noise_sigma == 0.0f || noise != nullptr, "noise_sigma > 0 needs a NoiseSource");
    const std::size_t hidden = layers_.size() - 1;
    for (auto* v : {&b.Z, &b.A, &b.H, &b.dH}) v->resize(hidden);
    b.input = X;  // (batch, in): kept for layer 1's weight gradient
    const MatrixType* h = &b.input;
    const bool relu = modulation.activation == Activation::relu;
    if (modulation.per_unit()) {
      modulation.require_fits(hidden_widths());
      return forward_per_unit(b, noise, modulation);
    }
    for (std::size_t l = 0; l < hidden; ++l) {
      if (relu) {
        // (batch, width_l): Z and H = max(Z, 0) in one pass (fused into the
        // sparse kernels: each pass over these buffers costs a few percent
        // of a 95%-sparse step). ReLU' needs only Z, so no copy of f(Z).
        layers_[l].forward(b.Z[l], *h, &b.H[l], b.scratch);
      } else {
        layers_[l].forward(b.Z[l], *h, nullptr, b.scratch);  // (batch, width_l): Z
        tanh_forward(b.H[l], b.Z[l]);                         // (batch, width_l): H = tanh(Z)
        b.A[l] = b.H[l];                                      // tanh' needs f(Z) from before the noise
      }
      if (noise != nullptr) noise_forward(b.H[l], modulation.noise_sigma, *noise);
      damping_forward(b.H[l], modulation.damping);
      h = &b.H[l];
    }
    layers_.back().forward(b.logits, *h, nullptr, b.scratch);  // (batch, classes): logits
    return b.logits;
  }

  /// Backward pass from dL/dlogits through the last training forward's
  /// buffers: fills every layer's weight and bias gradient (masked or full,
  /// see GradientMode).
  void backward(const MatrixType& dlogits, GradientMode mode = GradientMode::masked) {
    Buffers& b = buffers_;
    detail::require(b.input.cols() == in_features() && b.Z.size() + 1 == layers_.size(),
                    "backward needs a forward pass first");
    detail::require(dlogits.rows() == b.logits.rows() && dlogits.cols() == out_features(),
                    "dlogits must have the shape of the last forward's logits");
    const bool relu = modulation_.activation == Activation::relu;
    const bool per_unit = modulation_.per_unit();
    const MatrixType* dY = &dlogits;
    for (std::size_t l = layers_.size(); l-- > 0;) {
      const MatrixType& X = (l == 0) ? b.input : b.H[l - 1];
      if (l == 0) {  // no input gradient for the data
        layers_[l].backward(nullptr, *dY, X, mode);
        break;
      }
      if (per_unit) {  // unit by unit: dA[:, j] = d_j dH[:, j], dZ[:, j] = dA[:, j] f_j'(Z[:, j])
        const UnitModulation& u = modulation_.units[l - 1];
        MatrixType& dH = b.dH[l - 1];
        layers_[l].backward(&dH, *dY, X, mode);
        unit_damping_backward(dH, u.damping);
        unit_activation_backward(dH, dH, b.Z[l - 1], b.A[l - 1], u.tanh);
        dY = &dH;
        continue;
      }
      // dH -> dA = d * dH (damping; noise passes unchanged) -> dZ = dA * f'(Z),
      // all in dH[l-1], which becomes the next layer's dY. ReLU' is a 0/1
      // gate, so it commutes with the damping factor and is fused into the
      // input gradient; tanh' = 1 - A^2 is a pass of its own.
      MatrixType& dH = b.dH[l - 1];
      layers_[l].backward(&dH, *dY, X, mode, relu ? &b.Z[l - 1] : nullptr);
      damping_backward(dH, modulation_.damping);
      if (!relu) tanh_backward(dH, dH, b.A[l - 1]);  // coefficient-wise, so in place is fine
      dY = &dH;
    }
  }

  /// Units of each hidden layer (the widths between input and output).
  std::vector<Index> hidden_widths() const {
    std::vector<Index> w;
    for (std::size_t l = 0; l + 1 < require_layers().size(); ++l) w.push_back(layers_[l].out_features());
    return w;
  }

  /// Frees the activation buffers of the last forward (a network kept as a
  /// state to copy from need not carry them); backward() then needs a new
  /// forward(). The next forward() reallocates them.
  void release_buffers() { buffers_ = Buffers(); }

  /// Handles of all parameters: layer1.weight, layer1.bias, layer2.weight, ...
  /// They stay valid across pruning and regrowth, not across a copy or move
  /// of the network (see BasicParamRef).
  std::vector<BasicParamRef<T>> parameters() {
    require_layers();  // an empty list would let an optimiser "step" nothing
    std::vector<BasicParamRef<T>> out;
    for (std::size_t l = 0; l < layers_.size(); ++l) layers_[l].append_parameters(out, int(l + 1));
    return out;
  }

  /// Number of weights (biases not counted) and of unmasked weights.
  Index num_weights() const {
    Index n = 0;
    for (const auto& layer : require_layers()) n += layer.out_features() * layer.in_features();
    return n;
  }
  Index num_active_weights() const {
    Index n = 0;
    for (const auto& layer : require_layers()) n += layer.active_weights();
    return n;
  }

  /// Pruned weights / all weights (biases not counted).
  double sparsity() const { return 1.0 - double(num_active_weights()) / double(num_weights()); }

 private:
  /// The layers; throws std::invalid_argument for a default-constructed network.
  const std::vector<Layer>& require_layers() const {
    detail::require(!layers_.empty(), "the Mlp has no layers (default-constructed)");
    return layers_;
  }

  /// The hidden layers of forward() under a per-unit modulation (kernels/
  /// modulation.hpp): Z, then A = f_j(Z) kept for the backward, then the
  /// scaled noise and the damping of each unit.
  const MatrixType& forward_per_unit(Buffers& b, NoiseSource* noise, const Modulation& modulation) const {
    const MatrixType* h = &b.input;
    for (std::size_t l = 0; l + 1 < layers_.size(); ++l) {
      const UnitModulation& u = modulation.units[l];
      layers_[l].forward(b.Z[l], *h, nullptr, b.scratch);  // (batch, width_l): Z
      unit_activation_forward(b.A[l], b.Z[l], u.tanh);      // (batch, width_l): A = f_j(Z)
      b.H[l] = b.A[l];                                      // (batch, width_l): H
      if (noise != nullptr) unit_noise_forward(b.H[l], modulation.noise_sigma, u.noise_scale, *noise);
      unit_damping_forward(b.H[l], u.damping);
      h = &b.H[l];
    }
    layers_.back().forward(b.logits, *h, nullptr, b.scratch);  // (batch, classes): logits
    return b.logits;
  }

  std::vector<Layer> layers_;
  Modulation modulation_;
  Buffers buffers_;  // the training forward's activations, read by backward()
};

/// The float network used for training.
using Mlp = BasicMlp<float>;

}  // namespace rewire
