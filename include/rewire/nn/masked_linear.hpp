// rewire/nn/masked_linear.hpp - a fully connected layer with a weight mask.
//
// A thin owner: it holds the buffers and calls the kernels in
// kernels/linear.hpp. Invariant kept by every method: weight == weight .* mask
// (pruned weights are exactly zero).
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/core/types.hpp>
#include <rewire/kernels/linear.hpp>
#include <rewire/nn/parameter.hpp>
#include <rewire/random/rng.hpp>

#include <cmath>
#include <string>

namespace rewire {

/// Whether the weight gradient is masked (training) or full (regrowth
/// scoring needs dL/dW at pruned positions too).
enum class GradientMode { masked, full };

/// Fully connected layer Y = X W^T + b with a 0/1 mask on W; T is the scalar.
template <typename T>
class BasicMaskedLinear {
 public:
  using MatrixType = MatrixT<T>;
  using VectorType = VectorT<T>;

  BasicMaskedLinear() = default;

  /// A layer with `in` inputs and `out` outputs, all weights zero and the mask all ones.
  BasicMaskedLinear(Index in, Index out)
      : weight_(MatrixType::Zero(out, in)),       // (out, in): W
        mask_(MatrixType::Ones(out, in)),         // (out, in): 0/1, 0 = pruned
        weight_grad_(MatrixType::Zero(out, in)),  // (out, in): dL/dW
        bias_(VectorType::Zero(out)),             // (out): b, never pruned
        bias_grad_(VectorType::Zero(out)) {       // (out): dL/db
    detail::require(in > 0 && out > 0, "layer widths must be > 0");
  }

  Index in_features() const { return weight_.cols(); }
  Index out_features() const { return weight_.rows(); }

  /// PyTorch's default initialisation of nn.Linear: every weight and bias
  /// drawn from U(-1/sqrt(in), 1/sqrt(in)); weights first (row by row), then
  /// biases. Masked entries are drawn too, then zeroed (keeps the stream
  /// position independent of the mask).
  void init_uniform(Rng& rng) {
    const float bound = 1.0f / std::sqrt(float(in_features()));
    for (Index o = 0; o < out_features(); ++o)
      for (Index i = 0; i < in_features(); ++i) weight_(o, i) = T(rng.uniform(-bound, bound));
    for (Index o = 0; o < out_features(); ++o) bias_[o] = T(rng.uniform(-bound, bound));
    weight_.array() *= mask_.array();
  }

  /// Y = X W^T + b.
  void forward(MatrixType& Y, const MatrixType& X) const {
    detail::require(X.cols() == in_features(), "layer input has the wrong number of features");
    linear_forward(Y, X, weight_, bias_);
  }

  /// Given dY and the forward's input X: fills the parameter gradients and,
  /// if `dX` is not null, the input gradient dX = dY W.
  void backward(MatrixType* dX, const MatrixType& dY, const MatrixType& X, GradientMode mode) {
    linear_backward_params(weight_grad_, bias_grad_, dY, X,
                           mode == GradientMode::masked ? &mask_ : nullptr);
    if (dX != nullptr) linear_backward_input(*dX, dY, weight_);
  }

  const MatrixType& weight() const { return weight_; }
  const VectorType& bias() const { return bias_; }
  const MatrixType& mask() const { return mask_; }
  const MatrixType& weight_grad() const { return weight_grad_; }
  const VectorType& bias_grad() const { return bias_grad_; }

  /// Mutable access for code that sets values directly (initialisation from
  /// a file, regrowth). Callers must keep weight == weight .* mask; call
  /// apply_mask() after writing if unsure.
  MatrixType& weight() { return weight_; }
  VectorType& bias() { return bias_; }

  /// Replaces the mask (entries must be 0 or 1) and zeroes the newly pruned weights.
  void set_mask(const MatrixType& mask) {
    detail::require_shape(mask.rows(), mask.cols(), out_features(), in_features(), "mask");
    detail::require(((mask.array() == T(0)) || (mask.array() == T(1))).all(),
                    "mask entries must be exactly 0 or 1");
    mask_ = mask;
    apply_mask();
  }

  /// weight .* = mask.
  void apply_mask() { weight_.array() *= mask_.array(); }

  /// Number of unmasked weights.
  Index active_weights() const { return Index((mask_.array() != T(0)).count()); }

  /// The (weight, bias) parameter views; `index` names them "layer<index>.*".
  void append_parameters(std::vector<BasicParamRef<T>>& out, int index) {
    const std::string prefix = "layer" + std::to_string(index);
    out.push_back({prefix + ".weight", weight_.data(), weight_grad_.data(), weight_.size(), &mask_,
                   nullptr});
    out.push_back({prefix + ".bias", bias_.data(), bias_grad_.data(), bias_.size(), nullptr, nullptr});
  }

 private:
  MatrixType weight_;       // (out, in): W
  MatrixType mask_;         // (out, in): 0/1
  MatrixType weight_grad_;  // (out, in): dL/dW
  VectorType bias_;         // (out): b
  VectorType bias_grad_;    // (out): dL/db
};

/// The float layer used for training.
using MaskedLinear = BasicMaskedLinear<float>;

}  // namespace rewire
