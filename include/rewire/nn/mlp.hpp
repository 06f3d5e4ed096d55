// rewire/nn/mlp.hpp - a feed-forward network of masked layers whose hidden
// units can be modulated (activation, internal noise, damping) at run time.
//
// Hidden layer l:  Z_l = H_{l-1} W_l^T + b_l      (pre-activation)
//                  A_l = f(Z_l)                   (ReLU or tanh)
//                  H_l = d * (A_l + sigma * N)    (noise, then damping)
// Output:          logits = H_{L-1} W_L^T + b_L
// All buffers are owned here and sized by the batch; forward() keeps what
// backward() needs.
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/core/types.hpp>
#include <rewire/kernels/activation.hpp>
#include <rewire/kernels/modulation.hpp>
#include <rewire/nn/masked_linear.hpp>
#include <rewire/nn/parameter.hpp>
#include <rewire/random/noise_source.hpp>
#include <rewire/random/rng.hpp>

#include <vector>

namespace rewire {

/// Run-time state of the hidden units: which nonlinearity, how much internal
/// noise ("stress" sigma) and what damping factor ("inhibition").
struct Modulation {
  Activation activation = Activation::relu;
  float noise_sigma = 0.0f;  ///< >= 0; 0 means no draws at all
  float damping = 1.0f;      ///< multiplies every hidden output

  /// Throws std::invalid_argument on a negative/NaN sigma or a non-finite damping.
  void validate() const {
    detail::require_non_negative(noise_sigma, "noise_sigma");
    detail::require(std::isfinite(damping), "damping must be finite");
  }
};

/// Multi-layer perceptron: widths {in, h1, ..., out}, masked weights
/// everywhere; T is the scalar (float to train, double to check gradients).
template <typename T>
class BasicMlp {
 public:
  using MatrixType = MatrixT<T>;
  using Layer = BasicMaskedLinear<T>;

  BasicMlp() = default;

  /// E.g. Mlp({2, 512, 512, 256, 4}). Needs at least {in, out}.
  explicit BasicMlp(const std::vector<Index>& widths) {
    detail::require(widths.size() >= 2, "an Mlp needs at least an input and an output width");
    for (std::size_t l = 0; l + 1 < widths.size(); ++l)
      layers_.emplace_back(widths[l], widths[l + 1]);
    const std::size_t hidden = layers_.size() - 1;
    Z_.resize(hidden);
    A_.resize(hidden);
    H_.resize(hidden);
    dH_.resize(hidden);
  }

  /// PyTorch-default initialisation of every layer, in order, from one stream.
  void init(Rng& rng) {
    for (auto& layer : layers_) layer.init_uniform(rng);
  }

  std::size_t num_layers() const { return layers_.size(); }
  Layer& layer(std::size_t l) { return layers_.at(l); }
  const Layer& layer(std::size_t l) const { return layers_.at(l); }
  Index in_features() const { return layers_.front().in_features(); }
  Index out_features() const { return layers_.back().out_features(); }

  /// Sets every layer's kernel choice (see MaskedLinear::set_kernel_path).
  void set_kernel_path(KernelPath path, double crossover = kDefaultSparseCrossover) {
    for (auto& layer : layers_) layer.set_kernel_path(path, crossover);
  }

  Modulation& modulation() { return modulation_; }
  const Modulation& modulation() const { return modulation_; }

  /// Forward pass; returns the logits (batch x classes), valid until the next
  /// forward. `noise` must be given when modulation().noise_sigma > 0.
  const MatrixType& forward(const MatrixType& X, NoiseSource* noise) {
    modulation_.validate();
    detail::require(X.cols() == in_features(), "input has the wrong number of features");
    detail::require(modulation_.noise_sigma == 0.0f || noise != nullptr,
                    "noise_sigma > 0 needs a NoiseSource");
    input_ = X;  // (batch, in): kept for layer 1's weight gradient
    const MatrixType* h = &input_;
    const bool relu = modulation_.activation == Activation::relu;
    for (std::size_t l = 0; l + 1 < layers_.size(); ++l) {
      if (relu) {
        // (batch, width_l): Z and H = max(Z, 0) in one pass (fused into the
        // sparse kernels: each pass over these buffers costs a few percent
        // of a 95%-sparse step). ReLU' needs only Z, so no copy of f(Z).
        layers_[l].forward(Z_[l], *h, &H_[l]);
      } else {
        layers_[l].forward(Z_[l], *h);  // (batch, width_l): Z
        tanh_forward(H_[l], Z_[l]);     // (batch, width_l): H = tanh(Z)
        A_[l] = H_[l];                  // tanh' needs f(Z) from before the noise
      }
      if (noise != nullptr) noise_forward(H_[l], modulation_.noise_sigma, *noise);
      damping_forward(H_[l], modulation_.damping);
      h = &H_[l];
    }
    layers_.back().forward(logits_, *h);  // (batch, classes): logits
    return logits_;
  }

  /// Backward pass from dL/dlogits through the last forward's buffers: fills
  /// every layer's weight and bias gradient (masked or full, see GradientMode).
  void backward(const MatrixType& dlogits, GradientMode mode = GradientMode::masked) {
    detail::require(input_.cols() == in_features(), "backward needs a forward pass first");
    detail::require(dlogits.rows() == logits_.rows() && dlogits.cols() == out_features(),
                    "dlogits must have the shape of the last forward's logits");
    const std::size_t L = layers_.size();
    const bool relu = modulation_.activation == Activation::relu;
    const MatrixType* dY = &dlogits;
    for (std::size_t l = L; l-- > 0;) {
      const MatrixType& X = (l == 0) ? input_ : H_[l - 1];
      if (l == 0) {  // no input gradient for the data
        layers_[l].backward(nullptr, *dY, X, mode);
        break;
      }
      // dH -> dA = d * dH (damping; noise passes unchanged) -> dZ = dA * f'(Z),
      // all in dH_[l-1], which becomes the next layer's dY. ReLU' is a 0/1
      // gate, so it commutes with the damping factor and is fused into the
      // input gradient; tanh' = 1 - A^2 is a pass of its own.
      MatrixType& dH = dH_[l - 1];
      layers_[l].backward(&dH, *dY, X, mode, relu ? &Z_[l - 1] : nullptr);
      damping_backward(dH, modulation_.damping);
      if (!relu) tanh_backward(dH, dH, A_[l - 1]);  // coefficient-wise, so in place is fine
      dY = &dH;
    }
  }

  /// Frees the activation buffers of the last forward (a network kept as a
  /// state to copy from need not carry them); backward() then needs a new
  /// forward(). The next forward() reallocates them.
  void release_buffers() {
    input_ = MatrixType();
    logits_ = MatrixType();
    for (auto* buffers : {&Z_, &A_, &H_, &dH_})
      for (auto& m : *buffers) m = MatrixType();
  }

  /// Views of all parameters: layer1.weight, layer1.bias, layer2.weight, ...
  std::vector<BasicParamRef<T>> parameters() {
    std::vector<BasicParamRef<T>> out;
    for (std::size_t l = 0; l < layers_.size(); ++l) layers_[l].append_parameters(out, int(l + 1));
    return out;
  }

  /// Number of weights (biases not counted) and of unmasked weights.
  Index num_weights() const {
    Index n = 0;
    for (const auto& layer : layers_) n += layer.weight().size();
    return n;
  }
  Index num_active_weights() const {
    Index n = 0;
    for (const auto& layer : layers_) n += layer.active_weights();
    return n;
  }

  /// Pruned weights / all weights (biases not counted).
  double sparsity() const { return 1.0 - double(num_active_weights()) / double(num_weights()); }

 private:
  std::vector<Layer> layers_;
  Modulation modulation_;
  MatrixType input_;            // (batch, in): the last forward's input
  std::vector<MatrixType> Z_;   // per hidden layer (batch, width): pre-activation
  std::vector<MatrixType> A_;   // per hidden layer (batch, width): f(Z) (tanh only)
  std::vector<MatrixType> H_;   // per hidden layer (batch, width): output after noise and damping
  std::vector<MatrixType> dH_;  // per hidden layer (batch, width): dL/dH, then dL/dZ
  MatrixType logits_;           // (batch, classes)
};

/// The float network used for training.
using Mlp = BasicMlp<float>;

/// Sets a network's internal noise sigma for a scope and restores the old
/// value when the scope ends, also when an exception leaves it.
template <typename T>
class ScopedNoiseSigma {
 public:
  ScopedNoiseSigma(BasicMlp<T>& net, float sigma) : net_(net), saved_(net.modulation().noise_sigma) {
    set(sigma);
  }
  ~ScopedNoiseSigma() { net_.modulation().noise_sigma = saved_; }
  ScopedNoiseSigma(const ScopedNoiseSigma&) = delete;
  ScopedNoiseSigma& operator=(const ScopedNoiseSigma&) = delete;

  /// Changes the sigma within the scope.
  void set(float sigma) { net_.modulation().noise_sigma = sigma; }

 private:
  BasicMlp<T>& net_;
  float saved_;
};

}  // namespace rewire
