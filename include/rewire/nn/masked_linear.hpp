// rewire/nn/masked_linear.hpp - a fully connected layer with a weight mask.
//
// A thin owner: it holds the buffers and calls the kernels in
// kernels/dense_gemm.hpp (dense) and kernels/sparse_linear.hpp (sparse).
// Invariant kept by every method: pruned weights are exactly zero.
//
// Exactly one copy of the weights and of their gradient exists at any time,
// in one of two forms, switched only when the mask or the kernel path changes:
//  - dense:   the (out x in) matrices, masked entries zero (Eigen GEMMs);
//  - compact: the active entries only, in CSC order, with their pattern (the
//             sparse kernels and the optimiser touch nothing else: scattered
//             writes into a 1 MiB matrix cost more than a whole 95%-sparse
//             Adam update).
// Reading the dense matrix (weight(), weight_grad()) returns a copy, current
// by construction; writing goes through set_weight() / set_mask(). Const
// methods change nothing, so a const layer can be read from several threads.
//
// Both paths compute in an order fixed by the code, the same bits at every
// vector width and with any compiler flags: the dense one with the
// fixed-order kernels of kernels/dense_gemm.hpp (layer_dense_* in
// nn/layer_storage.hpp), the compact one with the sparse kernels, whose
// forward and input gradient are the same chains over the active weights
// (kernels/sparse_tiles.hpp).
//
// Optionally the sign of every weight is fixed by its input unit (Dale's
// law, set_input_signs): the layer then computes with W_eff = |W| .* s
// (kernels/sign_constraint.hpp) on both kernel paths, while W stays the
// stored parameter that optimisers, pruning and checkpoints see.
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/core/types.hpp>
#include <rewire/kernels/activation.hpp>
#include <rewire/kernels/sign_constraint.hpp>
#include <rewire/kernels/sparse_linear.hpp>
#include <rewire/kernels/sparse_pattern.hpp>
#include <rewire/nn/layer_storage.hpp>
#include <rewire/nn/parameter.hpp>
#include <rewire/random/rng.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace rewire {

/// Whether the weight gradient is masked (training) or full (regrowth
/// scoring needs dL/dW at pruned positions too).
enum class GradientMode { masked, full };

/// Which kernels a layer uses. Both give the same results (to float
/// rounding); they differ only in speed.
enum class KernelPath {
  automatic,  ///< sparse when the mask's density is below the crossover
  dense,      ///< Eigen GEMMs on the masked dense matrix
  sparse,     ///< CSR/CSC kernels over the unmasked entries only
};

/// Density below which KernelPath::automatic picks the sparse kernels.
/// Chosen from whole training steps of a 2-512-512-256-4 network, where the
/// two paths cost the same at a density of about 0.55 without noise, and
/// the sparse path keeps an edge below it in trained networks (their ReLU
/// units that are off for a whole batch let the sparse kernels skip work).
/// The measurement and its command are in docs/performance.md.
inline constexpr double kDefaultSparseCrossover = 0.55;

/// Fully connected layer Y = X W^T + b with a 0/1 mask on W; T is the scalar.
template <typename T>
class BasicMaskedLinear {
 public:
  using MatrixType = MatrixT<T>;
  using VectorType = VectorT<T>;

  BasicMaskedLinear() = default;

  /// A layer with `in` inputs and `out` outputs, all weights zero and the mask all ones.
  BasicMaskedLinear(Index in, Index out)
      : mask_(MatrixType::Ones(checked_width(out), checked_width(in))),  // (out, in): 0/1, 0 = pruned
        bias_(VectorType::Zero(out)),                                     // (out): b, never pruned
        bias_grad_(VectorType::Zero(out)),                                // (out): dL/db
        active_(out * in),
        weights_(Dense{MatrixType::Zero(out, in), MatrixType::Zero(out, in)}) {}

  Index in_features() const { return mask_.cols(); }
  Index out_features() const { return mask_.rows(); }

  /// PyTorch's default initialisation of nn.Linear: every weight and bias
  /// drawn from U(-1/sqrt(in), 1/sqrt(in)); weights first (row by row), then
  /// biases. Masked entries are drawn too, then zeroed (keeps the stream
  /// position independent of the mask).
  void init_uniform(Rng& rng) {
    const float bound = 1.0f / std::sqrt(float(in_features()));
    MatrixType W(out_features(), in_features());
    for (Index o = 0; o < out_features(); ++o)
      for (Index i = 0; i < in_features(); ++i) W(o, i) = T(rng.uniform(-bound, bound));
    for (Index o = 0; o < out_features(); ++o) bias_[o] = T(rng.uniform(-bound, bound));
    set_weight(W);
  }

  /// Y = X W^T + b. If `relu_out` is given it also receives max(Y, 0): the
  /// sparse kernels write it on the way out (one pass over the activations
  /// less per layer and step), the dense path in a second pass. `scratch`
  /// is the sparse kernels' buffer (the overload below uses the layer's own).
  void forward(MatrixType& Y, const MatrixType& X, MatrixType* relu_out, LayerScratch<T>& scratch) const {
    detail::require(X.cols() == in_features(), "layer input has the wrong number of features");
    if (const Compact* c = compact()) {
      sparse_linear_forward(Y, X, c->pattern, compact_values(*c, scratch), bias_, scratch.sparse, relu_out);
      return;
    }
    layer_dense_forward(Y, X, dense_values(*dense(), scratch), bias_, scratch);
    if (relu_out != nullptr) relu_forward(*relu_out, Y);
  }
  void forward(MatrixType& Y, const MatrixType& X, MatrixType* relu_out = nullptr) {
    forward(Y, X, relu_out, scratch_);
  }

  /// Given dY and the forward's input X: fills the parameter gradients and,
  /// if `dX` is not null, the input gradient dX = dY W. With `relu_gate`
  /// (the pre-activation Z that produced X, same shape as dX), dX is zeroed
  /// where the gate is <= 0: ReLU's backward fused into the input gradient.
  void backward(MatrixType* dX, const MatrixType& dY, const MatrixType& X, GradientMode mode,
                const MatrixType* relu_gate = nullptr) {
    detail::require(relu_gate == nullptr || dX != nullptr, "a ReLU gate needs an input gradient");
    detail::require(X.cols() == in_features() && dY.cols() == out_features() && dY.rows() == X.rows(),
                    "layer backward: dY or X has the wrong shape");
    backward_params({&dY}, {&X}, mode);
    if (dX != nullptr) backward_input(*dX, dY, scratch_, relu_gate);
  }

  /// The parameter gradients of the layer applied with the same weights to
  /// several batches (the steps of a sequence): dL/dW = sum_k dY_k^T X_k
  /// (masked or full, see GradientMode; chained through |.| under a sign
  /// constraint) and dL/db = sum_k column sums of dY_k. A null Xs[k] stands
  /// for X_k = 0, a bias-only term (a recurrent layer's input before the
  /// first step). Replaces the stored gradients, as backward() does.
  void backward_params(const std::vector<const MatrixType*>& dYs, const std::vector<const MatrixType*>& Xs,
                       GradientMode mode) {
    detail::require(dYs.size() == Xs.size(), "layer backward: one input per output gradient is needed");
    for (std::size_t k = 0; k < dYs.size(); ++k)
      detail::require(dYs[k]->cols() == out_features() &&
                          (Xs[k] == nullptr || (Xs[k]->cols() == in_features() && Xs[k]->rows() == dYs[k]->rows())),
                      "layer backward: a dY or X has the wrong shape");
    // The kernels give dL/dW_eff, summed into the stored gradient (zeroed
    // first: 0 + x is x, so one term gives the bits of a plain product); a
    // sign-constrained layer then chains it through |.| once.
    bias_grad_.setZero(out_features());
    auto bias_only = [&](std::size_t k) { layer_dense_bias_add(bias_grad_, *dYs[k]); };
    Compact* c = compact();
    if (c != nullptr && mode == GradientMode::masked) {
      c->grad.assign(std::size_t(c->pattern.nnz()), T(0));
      for (std::size_t k = 0; k < dYs.size(); ++k) {
        if (Xs[k] == nullptr)
          bias_only(k);
        else
          sparse_linear_backward_params(c->grad, bias_grad_, *dYs[k], *Xs[k], c->pattern, scratch_.sparse, true);
      }
      if (sign_constrained()) signed_weight_backward(c->grad, c->value, c->pattern, input_signs_);
      c->full_grad.resize(0, 0);
      return;
    }
    MatrixType& G = c != nullptr ? c->full_grad : dense()->grad;  // (out, in): sum_k dY_k^T X_k
    G.setZero(out_features(), in_features());
    for (std::size_t k = 0; k < dYs.size(); ++k) {
      if (Xs[k] == nullptr)
        bias_only(k);
      else
        layer_dense_backward_params_add(G, bias_grad_, *dYs[k], *Xs[k], scratch_);
    }
    if (c != nullptr) {  // the full gradient of compact storage; `grad` gathered from it
      if (sign_constrained()) signed_weight_backward(G, scatter_csc(c->value, c->pattern), input_signs_);
      c->grad = gather_csc(G, c->pattern);
      return;
    }
    if (mode == GradientMode::masked && !unmasked()) G.array() *= mask_.array();
    if (sign_constrained()) signed_weight_backward(G, dense()->value, input_signs_);
  }

  /// The input gradient alone, dX = dY W (W_eff under a sign constraint),
  /// with `relu_gate` as in backward(); the parameter gradients are left as
  /// they are. Const, with the caller's scratch: backprop through time takes
  /// a recurrent layer's input gradient at every step and its weight
  /// gradient once, over all steps.
  void backward_input(MatrixType& dX, const MatrixType& dY, LayerScratch<T>& scratch,
                      const MatrixType* relu_gate = nullptr) const {
    detail::require(dY.cols() == out_features(), "layer backward: dY has the wrong number of columns");
    if (const Compact* c = compact()) {
      sparse_linear_backward_input(dX, dY, c->pattern, compact_values(*c, scratch), scratch.sparse, relu_gate);
      return;
    }
    layer_dense_backward_input(dX, dY, dense_values(*dense(), scratch), scratch);
    if (relu_gate != nullptr) relu_backward(dX, dX, *relu_gate);
  }

  /// Chooses the kernels (default: automatic at kDefaultSparseCrossover).
  void set_kernel_path(KernelPath path, double crossover = kDefaultSparseCrossover) {
    detail::require_in_range(crossover, 0.0, 1.0, "sparse crossover density");
    path_ = path;
    crossover_ = crossover;
    if (wants_sparse() != uses_sparse()) store(weight());
  }
  KernelPath kernel_path() const { return path_; }

  /// True when forward/backward run the sparse kernels (compact storage).
  bool uses_sparse() const { return compact() != nullptr; }

  /// A copy of the weights (out x in), masked entries zero: the stored
  /// parameter W (see effective_weight() under a sign constraint). O(out * in):
  /// for inspection, pruning and I/O, not for every step.
  const MatrixType weight() const {
    if (const Compact* c = compact()) return scatter_csc(c->value, c->pattern);
    return dense()->value;
  }
  /// A copy of dL/dW of the last backward: zero at masked positions after a
  /// masked backward, the full gradient after a GradientMode::full one.
  const MatrixType weight_grad() const {
    if (const Compact* c = compact()) return c->full_grad.size() != 0 ? c->full_grad : scatter_csc(c->grad, c->pattern);
    return dense()->grad;
  }
  /// The weights the layer computes with: weight() itself, or |W| .* s
  /// under a sign constraint (set_input_signs). A copy, O(out * in).
  const MatrixType effective_weight() const {
    if (!sign_constrained()) return weight();
    MatrixType W_eff;
    signed_weight_forward(W_eff, weight(), input_signs_);
    return W_eff;
  }
  const VectorType& bias() const { return bias_; }
  VectorType& bias() { return bias_; }  // the bias has no other copy: safe to write
  const MatrixType& mask() const { return mask_; }
  const VectorType& bias_grad() const { return bias_grad_; }

  /// Replaces the weights (out x in, finite). Entries at masked positions are
  /// stored as zero whatever `W` holds there: the mask wins.
  void set_weight(const MatrixType& W) {
    detail::require_shape(W.rows(), W.cols(), out_features(), in_features(), "weight");
    detail::require(W.allFinite(), "weights must be finite (no NaN or inf)");
    MatrixType masked = W;
    masked.array() *= mask_.array();
    if (Compact* c = compact()) {
      c->value = gather_csc(masked, c->pattern);
    } else {
      dense()->value = std::move(masked);
    }
  }

  /// Replaces the mask (entries must be 0 or 1) and zeroes the newly pruned
  /// weights; re-decides the kernel path. Gradients are zero afterwards.
  void set_mask(const MatrixType& mask) {
    detail::require_shape(mask.rows(), mask.cols(), out_features(), in_features(), "mask");
    detail::require(((mask.array() == T(0)) || (mask.array() == T(1))).all(),
                    "mask entries must be exactly 0 or 1");
    MatrixType W = weight();
    mask_ = mask;
    active_ = Index((mask_.array() != T(0)).count());
    W.array() *= mask_.array();
    store(std::move(W));
  }

  /// Fixes the sign of every weight by its input unit (Dale's law): s[i] =
  /// +1 or -1 for input i, and the layer computes with W_eff = |W| .* s from
  /// now on (kernels/sign_constraint.hpp). An empty vector lifts the
  /// constraint. The stored parameter (weight(), ParamRef::values()) stays W
  /// and keeps its layout; the gradients are zero afterwards.
  void set_input_signs(const VectorType& s) {
    detail::require(s.size() == 0 || s.size() == in_features(),
                    "input signs: " + std::to_string(s.size()) + " given for " + std::to_string(in_features()) +
                        " inputs (one per input unit, or none)");
    detail::require(((s.array() == T(1)) || (s.array() == T(-1))).all(), "input signs must be +1 or -1");
    input_signs_ = s;
    if (Compact* c = compact()) {
      std::fill(c->grad.begin(), c->grad.end(), T(0));
      c->full_grad.resize(0, 0);
    } else {
      dense()->grad.setZero();
    }
    bias_grad_.setZero();
  }
  /// The signs of set_input_signs (empty when unconstrained).
  const VectorType& input_signs() const { return input_signs_; }
  bool sign_constrained() const { return input_signs_.size() != 0; }

  /// Number of unmasked weights.
  Index active_weights() const { return active_; }

  /// True when nothing is masked (the mask is all ones).
  bool unmasked() const { return active_ == mask_.size(); }

  /// Changes whenever the stored layout of the weights changes (a new mask
  /// or kernel path); see BasicParamRef::layout_version.
  std::uint64_t layout_version() const { return layout_version_; }

  /// The (weight, bias) parameter handles, named "<prefix>.weight" and "<prefix>.bias".
  void append_parameters(std::vector<BasicParamRef<T>>& out, const std::string& prefix) {
    out.emplace_back(prefix + ".weight", this, BasicParamRef<T>::Kind::weight);
    out.emplace_back(prefix + ".bias", this, BasicParamRef<T>::Kind::bias);
  }
  /// The same named "layer<index>.*" (the Mlp's names).
  void append_parameters(std::vector<BasicParamRef<T>>& out, int index) {
    append_parameters(out, "layer" + std::to_string(index));
  }

 private:
  using Dense = detail::DenseWeights<T>;
  using Compact = detail::CompactWeights<T>;
  friend class BasicParamRef<T>;

  /// Validates a width before anything is allocated with it.
  static Index checked_width(Index width) {
    detail::require(width > 0, "layer width = " + std::to_string(width) + " must be > 0");
    return width;
  }

  const Dense* dense() const { return std::get_if<Dense>(&weights_); }
  Dense* dense() { return std::get_if<Dense>(&weights_); }
  const Compact* compact() const { return std::get_if<Compact>(&weights_); }
  Compact* compact() { return std::get_if<Compact>(&weights_); }

  /// The weights the kernels multiply by: the stored ones, or |W| .* s
  /// written into `s` under a sign constraint.
  const std::vector<T>& compact_values(const Compact& c, LayerScratch<T>& s) const {
    if (!sign_constrained()) return c.value;
    signed_weight_forward(s.signed_compact, c.value, c.pattern, input_signs_);
    return s.signed_compact;
  }
  const MatrixType& dense_values(const Dense& d, LayerScratch<T>& s) const {
    if (!sign_constrained()) return d.value;
    signed_weight_forward(s.signed_dense, d.value, input_signs_);
    return s.signed_dense;
  }

  /// Zeroes the masked entries of dense storage after a write through a
  /// ParamRef (compact storage holds only active entries).
  void zero_masked_weights() {
    Dense* d = dense();
    if (d != nullptr && !unmasked()) detail::zero_where_masked(d->value.data(), mask_.data(), d->value.size());
  }

  /// The kernel choice for the current mask and policy.
  bool wants_sparse() const {
    const double density = mask_.size() == 0 ? 1.0 : double(active_) / double(mask_.size());
    return path_ == KernelPath::sparse || (path_ == KernelPath::automatic && density < crossover_);
  }

  /// Stores `W` (already masked) in the form the kernel choice asks for, with
  /// zero gradients. The one place the storage form changes.
  void store(MatrixType W) {
    if (wants_sparse()) {
      Compact c;
      c.pattern = make_sparse_pattern(mask_);
      c.value = gather_csc(W, c.pattern);
      c.grad.assign(c.value.size(), T(0));
      weights_ = std::move(c);
    } else {
      const Index rows = W.rows(), cols = W.cols();
      weights_ = Dense{std::move(W), MatrixType::Zero(rows, cols)};
    }
    ++layout_version_;
  }

  MatrixType mask_;       // (out, in): 0/1
  VectorType bias_;       // (out): b
  VectorType bias_grad_;  // (out): dL/db
  KernelPath path_ = KernelPath::automatic;
  double crossover_ = kDefaultSparseCrossover;
  Index active_ = 0;  // unmasked weights, counted whenever mask_ changes
  std::variant<Dense, Compact> weights_;  // the one copy of W and dL/dW
  std::uint64_t layout_version_ = 0;
  VectorType input_signs_;  // (in) of +-1 under a sign constraint, else empty
  LayerScratch<T> scratch_;  // buffers of backward() (no state between calls)
};

/// The float layer used for training.
using MaskedLinear = BasicMaskedLinear<float>;

}  // namespace rewire

// BasicParamRef's accessors read the layer: defined once the layer is complete.
#include <rewire/nn/parameter_access.hpp>
