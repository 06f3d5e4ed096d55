// rewire/nn/masked_linear.hpp - a fully connected layer with a weight mask.
//
// A thin owner: it holds the buffers and calls the kernels in
// kernels/linear.hpp and kernels/sparse_linear.hpp. Invariants kept by every
// method: weight == weight .* mask (pruned weights are exactly zero).
//
// On the sparse path the master copy of the active weights and of their
// gradient is compact, in CSC order (= ascending column-major offset): the
// kernels and the optimiser (see ParamRef::compact_value) touch only those,
// so a training step never walks the dense matrices (scattered writes into a
// 1 MiB matrix cost more than the whole 95%-sparse Adam update). The dense
// weight() and weight_grad() are caches, refreshed when read. Hence: do not
// call a layer's const accessors from several threads at once (copying a
// layer is fine).
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/core/types.hpp>
#include <rewire/kernels/activation.hpp>
#include <rewire/kernels/linear.hpp>
#include <rewire/kernels/sparse_linear.hpp>
#include <rewire/nn/parameter.hpp>
#include <rewire/random/rng.hpp>

#include <cmath>
#include <string>
#include <type_traits>
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
/// Measured on the reference machine (docs/performance.md), whole training
/// steps of the paper's network: without noise the two paths cost the same
/// at a density of 0.54-0.55 in a freshly initialised network, and the sparse
/// path is ahead at 0.525 in the study's trained network (its ReLU units that
/// are off for a whole batch let the sparse kernels skip work: the
/// ketamine-like arm took 11.2 s instead of 12.2-12.5 s per seed with 0.55
/// instead of 0.5). With noise the sparse path wins at 0.5 as well.
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
      : weight_(MatrixType::Zero(checked_width(out), checked_width(in))),  // (out, in): W
        mask_(MatrixType::Ones(out, in)),         // (out, in): 0/1, 0 = pruned
        weight_grad_(MatrixType::Zero(out, in)),  // (out, in): dL/dW
        bias_(VectorType::Zero(out)),             // (out): b, never pruned
        bias_grad_(VectorType::Zero(out)),       // (out): dL/db
        active_(out * in) {}

  Index in_features() const { return weight_.cols(); }
  Index out_features() const { return weight_.rows(); }

  /// PyTorch's default initialisation of nn.Linear: every weight and bias
  /// drawn from U(-1/sqrt(in), 1/sqrt(in)); weights first (row by row), then
  /// biases. Masked entries are drawn too, then zeroed (keeps the stream
  /// position independent of the mask).
  void init_uniform(Rng& rng) {
    const float bound = 1.0f / std::sqrt(float(in_features()));
    MatrixType& W = weight();  // through the accessor: the compact copy must be re-read
    for (Index o = 0; o < out_features(); ++o)
      for (Index i = 0; i < in_features(); ++i) W(o, i) = T(rng.uniform(-bound, bound));
    for (Index o = 0; o < out_features(); ++o) bias_[o] = T(rng.uniform(-bound, bound));
    apply_mask();
  }

  /// Y = X W^T + b. If `relu_out` is given it also receives max(Y, 0): the
  /// sparse kernels write it on the way out (one pass over the activations
  /// less per layer and step), the dense path in a second pass.
  void forward(MatrixType& Y, const MatrixType& X, MatrixType* relu_out = nullptr) {
    detail::require(X.cols() == in_features(), "layer input has the wrong number of features");
    if constexpr (std::is_same_v<T, float>) {
      if (use_sparse_) {
        refresh_compact();
        // Straight from the compact CSC master copy the optimiser updated:
        // no per-step CSR copy of the values.
        sparse_linear_forward_from_csc(Y, X, pattern_, value_csc_.data(), bias_, relu_out);
        return;
      }
    }
    linear_forward(Y, X, weight_, bias_);
    if (relu_out != nullptr) relu_forward(*relu_out, Y);
  }

  /// Given dY and the forward's input X: fills the parameter gradients and,
  /// if `dX` is not null, the input gradient dX = dY W. With `relu_gate`
  /// (the pre-activation Z that produced X, same shape as dX), dX is zeroed
  /// where the gate is <= 0: ReLU's backward fused into the input gradient.
  void backward(MatrixType* dX, const MatrixType& dY, const MatrixType& X, GradientMode mode,
                const MatrixType* relu_gate = nullptr) {
    detail::require(relu_gate == nullptr || dX != nullptr, "a ReLU gate needs an input gradient");
    if constexpr (std::is_same_v<T, float>) {
      if (use_sparse_) {
        if (mode == GradientMode::masked) {
          sparse_linear_backward_params_compact(grad_csc_, bias_grad_, dY, X, pattern_);
          dense_grad_stale_ = true;  // weight_grad() scatters on demand
        } else {
          linear_backward_params(weight_grad_, bias_grad_, dY, X);  // full: no mask
          grad_has_masked_values_ = true;
          dense_grad_stale_ = false;
          gather_csc(grad_csc_.data(), weight_grad_.data(), pattern_);
        }
        if (dX != nullptr) sparse_linear_backward_input(*dX, dY, pattern_, value_csc_.data(), relu_gate);
        return;
      }
    }
    linear_backward_params(weight_grad_, bias_grad_, dY, X,
                           mode == GradientMode::masked && !unmasked() ? &mask_ : nullptr);
    if (dX == nullptr) return;
    linear_backward_input(*dX, dY, weight_);
    if (relu_gate != nullptr) relu_backward(*dX, *dX, *relu_gate);
  }

  /// Chooses the kernels (default: automatic at kDefaultSparseCrossover).
  /// Sparse kernels exist for float layers only; other scalars stay dense.
  void set_kernel_path(KernelPath path, double crossover = kDefaultSparseCrossover) {
    detail::require_in_range(crossover, 0.0, 1.0, "sparse crossover density");
    path_ = path;
    crossover_ = crossover;
    refresh_kernel_choice();
  }
  KernelPath kernel_path() const { return path_; }

  /// True when forward/backward run the sparse kernels.
  bool uses_sparse() const { return use_sparse_; }

  /// The weights (out x in). On the sparse path this refreshes the dense
  /// cache from the compact master copy: O(nnz), meant for inspection,
  /// pruning and I/O, not for every step.
  const MatrixType& weight() const {
    sync_dense_weight();
    return weight_;
  }
  const VectorType& bias() const { return bias_; }
  const MatrixType& mask() const { return mask_; }
  /// dL/dW of the last backward (zero at masked positions after a masked
  /// one); refreshed from the compact gradient on the sparse path.
  const MatrixType& weight_grad() const {
    sync_dense_grad();
    return weight_grad_;
  }
  const VectorType& bias_grad() const { return bias_grad_; }

  /// Mutable access for code that sets values directly (initialisation from
  /// a file, regrowth). Callers must keep weight == weight .* mask; call
  /// apply_mask() after writing if unsure. Write before the next forward():
  /// the sparse path re-reads the dense matrix once after each such access.
  MatrixType& weight() {
    make_dense_master();
    return weight_;
  }
  VectorType& bias() { return bias_; }

  /// Replaces the mask (entries must be 0 or 1) and zeroes the newly pruned weights.
  void set_mask(const MatrixType& mask) {
    detail::require_shape(mask.rows(), mask.cols(), out_features(), in_features(), "mask");
    detail::require(((mask.array() == T(0)) || (mask.array() == T(1))).all(),
                    "mask entries must be exactly 0 or 1");
    make_dense_master();  // takes the old pattern's compact values before the pattern changes
    mask_ = mask;
    apply_mask();
    refresh_kernel_choice();
  }

  /// weight .* = mask.
  void apply_mask() { weight().array() *= mask_.array(); }

  /// Number of unmasked weights.
  Index active_weights() const { return active_; }

  /// True when nothing is masked (the mask is all ones).
  bool unmasked() const { return active_ == mask_.size(); }

  /// The (weight, bias) parameter views; `index` names them "layer<index>.*".
  void append_parameters(std::vector<BasicParamRef<T>>& out, int index) {
    const std::string prefix = "layer" + std::to_string(index);
    sync_dense_weight();  // value/grad views are current when handed out
    sync_dense_grad();
    // No mask to re-apply when nothing is masked (the dense baseline): one
    // pass less over W per step.
    BasicParamRef<T> w{prefix + ".weight", weight_.data(), weight_grad_.data(), weight_.size(),
                       unmasked() ? nullptr : &mask_};
    if constexpr (std::is_same_v<T, float>) {
      // On the sparse path the optimiser updates the compact active entries
      // (same result as dense + mask); the dense view refreshes when read.
      if (use_sparse_) {
        refresh_compact();
        w.compact_value = value_csc_.data();
        w.compact_grad = grad_csc_.data();
        w.compact_offset = &pattern_.csc_offset;
      }
    }
    out.push_back(std::move(w));
    out.push_back({prefix + ".bias", bias_.data(), bias_grad_.data(), bias_.size(), nullptr});
  }

 private:
  /// Validates a width before anything is allocated with it.
  static Index checked_width(Index width) {
    detail::require(width > 0, "layer width = " + std::to_string(width) + " must be > 0");
    return width;
  }

  /// Re-decides dense vs sparse and rebuilds the compressed index; called
  /// whenever the mask or the policy changes, never per step.
  void refresh_kernel_choice() {
    make_dense_master();  // the pattern (or the path) is about to change
    sync_dense_grad();
    active_ = Index((mask_.array() != T(0)).count());
    bool sparse = false;
    if constexpr (std::is_same_v<T, float>) {
      const double density = double(active_) / double(mask_.size());
      sparse = path_ == KernelPath::sparse || (path_ == KernelPath::automatic && density < crossover_);
    }
    use_sparse_ = sparse;
    dense_grad_stale_ = false;
    if (use_sparse_) {
      if constexpr (std::is_same_v<T, float>) pattern_ = make_sparse_pattern(mask_);
      weight_grad_.setZero();
      grad_has_masked_values_ = false;
      grad_csc_.assign(pattern_.csc_offset.size(), 0.0f);
    } else {
      pattern_ = SparsePattern{};
      value_csc_.clear();
      grad_csc_.clear();
    }
  }

  /// Re-reads the compact weights from the dense matrix after it was written
  /// directly (weight(), apply_mask(), a new mask). O(nnz); not per step.
  void refresh_compact() {
    if (!compact_stale_) return;
    if constexpr (std::is_same_v<T, float>) {
      value_csc_.resize(std::size_t(pattern_.nnz()));
      gather_csc(value_csc_.data(), weight_.data(), pattern_);
    }
    compact_stale_ = false;
  }

  /// On the sparse path the compact values are the master whenever they are
  /// current (an optimiser may have changed them): copy them into the dense
  /// cache. Masked entries of the cache are zero already.
  void sync_dense_weight() const {
    if constexpr (std::is_same_v<T, float>)
      if (use_sparse_ && !compact_stale_) scatter_csc(weight_.data(), value_csc_.data(), pattern_);
  }

  /// Before the dense matrix is written directly or the pattern changes: the
  /// dense matrix takes over as the master copy; the compact one is re-read
  /// (refresh_compact) when the sparse kernels next need it.
  void make_dense_master() {
    sync_dense_weight();
    compact_stale_ = true;
  }
  /// The dense gradient from the compact one after a masked sparse backward.
  void sync_dense_grad() const {
    if (!dense_grad_stale_) return;
    if (grad_has_masked_values_) weight_grad_.setZero();  // a full gradient left values there
    grad_has_masked_values_ = false;
    if constexpr (std::is_same_v<T, float>) scatter_csc(weight_grad_.data(), grad_csc_.data(), pattern_);
    dense_grad_stale_ = false;
  }

  mutable MatrixType weight_;       // (out, in): W (a cache of value_csc_ on the sparse path)
  MatrixType mask_;                 // (out, in): 0/1
  mutable MatrixType weight_grad_;  // (out, in): dL/dW (a cache of grad_csc_ after a sparse backward)
  VectorType bias_;         // (out): b
  VectorType bias_grad_;    // (out): dL/db
  KernelPath path_ = KernelPath::automatic;
  double crossover_ = kDefaultSparseCrossover;
  bool use_sparse_ = false;               // decided by refresh_kernel_choice()
  Index active_ = 0;                      // unmasked weights (refresh_kernel_choice())
  mutable bool grad_has_masked_values_ = false;  // a full gradient left values at masked entries
  mutable bool dense_grad_stale_ = false;        // grad_csc_ is newer than weight_grad_
  SparsePattern pattern_;                 // CSR/CSC index of mask_ (sparse path only)
  std::vector<float> value_csc_;          // active W in CSC order: the master copy (sparse path)
  std::vector<float> grad_csc_;           // dL/dW at the active entries, CSC order
  bool compact_stale_ = true;             // weight_ was written directly since value_csc_ was read
};

/// The float layer used for training.
using MaskedLinear = BasicMaskedLinear<float>;

}  // namespace rewire
