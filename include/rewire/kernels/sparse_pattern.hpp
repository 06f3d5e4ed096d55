// rewire/kernels/sparse_pattern.hpp - the compressed index of a weight mask,
// and the one copy between a dense weight matrix and its compact values.
//
// A sparse layer stores only its active weights, as one array in CSC order
// (= ascending column-major offset in the dense (out x in) matrix). The
// pattern lists, for the forward's CSR walk, where each CSR entry finds its
// value in that array (csr_to_csc), so the values exist in one order only.
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/core/types.hpp>

#include <cstdint>
#include <limits>
#include <vector>

namespace rewire {

/// Compressed index of a 0/1 mask (out x in): CSR by output row for the
/// forward, CSC by input column for the input and weight gradients. Rebuilt
/// only when the mask changes (pruning, regrowth), never per step. Within
/// each row (column) the column (row) indices are ascending.
struct SparsePattern {
  Index rows = 0, cols = 0;
  std::vector<std::int32_t> row_ptr, col_index;  // CSR (size rows+1, nnz)
  std::vector<std::int32_t> col_ptr, row_index;  // CSC (size cols+1, nnz)
  std::vector<std::int32_t> csc_offset;  // per CSC entry: o + i*rows, its offset in column-major W (ascending)
  std::vector<std::int32_t> csr_to_csc;  // per CSR entry: its position in the CSC arrays

  /// Number of active positions.
  Index nnz() const { return static_cast<Index>(row_index.size()); }
  /// nnz / (rows*cols); 0 for an empty matrix.
  double density() const {
    return rows * cols == 0 ? 0.0 : static_cast<double>(nnz()) / static_cast<double>(rows * cols);
  }
};

/// Builds the CSR and CSC index of `mask` (entries != 0 are active). O(rows*cols).
/// Throws std::invalid_argument if the matrix is too large for 32-bit offsets.
template <typename T>
SparsePattern make_sparse_pattern(const MatrixT<T>& mask) {
  const Index R = mask.rows(), C = mask.cols();
  // 32-bit indices halve the index bandwidth of the hot loops; offsets o + i*R
  // must therefore fit in int32.
  detail::require(R * C <= Index(std::numeric_limits<std::int32_t>::max()),
                  "make_sparse_pattern: mask has more than 2^31-1 entries");
  SparsePattern p;
  p.rows = R;
  p.cols = C;
  p.row_ptr.assign(static_cast<std::size_t>(R) + 1, 0);
  p.col_ptr.assign(static_cast<std::size_t>(C) + 1, 0);
  // CSC and the per-row counts in one column-major pass (= memory order of mask).
  for (Index i = 0; i < C; ++i) {
    for (Index o = 0; o < R; ++o)
      if (mask(o, i) != T(0)) {
        p.row_index.push_back(static_cast<std::int32_t>(o));
        p.csc_offset.push_back(static_cast<std::int32_t>(o + i * R));
        ++p.row_ptr[static_cast<std::size_t>(o) + 1];
      }
    p.col_ptr[static_cast<std::size_t>(i) + 1] = static_cast<std::int32_t>(p.row_index.size());
  }
  for (Index o = 0; o < R; ++o) p.row_ptr[o + 1] += p.row_ptr[o];
  // CSR by a counting sort of the CSC entries; scanning columns in order keeps
  // the column indices of each row ascending.
  const std::size_t nnz = p.row_index.size();
  p.col_index.resize(nnz);
  p.csr_to_csc.resize(nnz);
  std::vector<std::int32_t> next(p.row_ptr.begin(), p.row_ptr.end() - 1);
  for (Index i = 0; i < C; ++i)
    for (std::int32_t k = p.col_ptr[i]; k < p.col_ptr[i + 1]; ++k) {
      const std::int32_t dst = next[p.row_index[k]]++;
      p.col_index[dst] = static_cast<std::int32_t>(i);
      p.csr_to_csc[dst] = k;
    }
  return p;
}

/// The compact values of `dense` at the pattern's positions, in CSC order:
/// result[k] = dense at p.csc_offset[k]. `dense` must be (p.rows x p.cols).
template <typename T>
std::vector<T> gather_csc(const MatrixT<T>& dense, const SparsePattern& p) {
  detail::require_shape(dense.rows(), dense.cols(), p.rows, p.cols, "gather_csc: dense matrix");
  std::vector<T> compact(p.csc_offset.size());
  const T* d = dense.data();
  for (std::size_t k = 0; k < compact.size(); ++k) compact[k] = d[p.csc_offset[k]];
  return compact;
}

/// The dense (p.rows x p.cols) matrix whose entries at the pattern's
/// positions are `compact` (CSC order) and zero elsewhere: the inverse of
/// gather_csc.
template <typename T>
MatrixT<T> scatter_csc(const std::vector<T>& compact, const SparsePattern& p) {
  detail::require(Index(compact.size()) == p.nnz(), "scatter_csc: one value per active entry is needed");
  MatrixT<T> dense = MatrixT<T>::Zero(p.rows, p.cols);
  T* d = dense.data();
  for (std::size_t k = 0; k < compact.size(); ++k) d[p.csc_offset[k]] = compact[k];
  return dense;
}

}  // namespace rewire
