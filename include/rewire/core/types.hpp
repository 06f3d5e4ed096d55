// rewire/core/types.hpp - the scalar, matrix and index types, and the one
// layout convention every kernel in rewire follows.
#pragma once

#include <Eigen/Core>
#include <cstdint>

namespace rewire {

/// Index type of every matrix dimension (Eigen's, signed).
using Index = Eigen::Index;

/// Dense matrix of any scalar, column-major (Eigen's default). Kernels,
/// layers and networks are templates on the scalar so that gradients can be
/// checked in double; everything that trains runs in float.
template <typename T>
using MatrixT = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;

/// Dense column vector of any scalar.
template <typename T>
using VectorT = Eigen::Matrix<T, Eigen::Dynamic, 1>;

/// Dense float matrix, column-major (Eigen's default).
///
/// THE LAYOUT CONVENTION (stated here and nowhere else):
///  - activations are (batch x features): row = sample, column = feature;
///  - a weight matrix W is (out x in), so a layer computes Y = X W^T + b;
///  - a mask has the shape of its weight matrix, entries exactly 0 or 1;
///  - storage is column-major, so each feature's values for the whole batch
///    are contiguous ("feature-major" memory). The sparse kernels rely on
///    this: one nonzero W[o,i] streams the contiguous column X(:, i).
///  - a sequence (T steps of a batch of N) is one (T*N x features) matrix,
///    step-major: row t*N + n is sample n at step t, so each step is a block
///    of N consecutive rows and a product over all steps is one product.
using Matrix = MatrixT<float>;

/// Dense float column vector (biases, per-feature quantities).
using Vector = VectorT<float>;

/// Class labels, one per sample (row of the input matrix).
using Labels = Eigen::Matrix<std::int32_t, Eigen::Dynamic, 1>;

namespace detail {
template <typename T>
struct NonDeducedImpl {
  using type = T;
};
/// T in a context the compiler does not deduce from (std::type_identity_t
/// of C++20): lets a pointer parameter accept a plain `nullptr`.
template <typename T>
using NonDeduced = typename NonDeducedImpl<T>::type;
}  // namespace detail

}  // namespace rewire
