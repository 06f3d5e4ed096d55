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
#include <string>
#include <vector>

namespace rewire {

/// Compressed index of a 0/1 mask (out x in): CSR by output row for the
/// forward, CSC by input column for the input and weight gradients. Rebuilt
/// only when the mask changes (pruning, regrowth), never per step. Within
/// each row (column) the column (row) indices are ascending.
///
/// make_sparse_pattern builds a consistent one. A pattern filled by hand
/// should pass validate_sparse_pattern (O(nnz)) before it reaches a kernel:
/// the kernels and gather_csc/scatter_csc check its sizes and line pointers
/// in every build type (O(rows + cols) per call, cheap against the product),
/// but its indices only where REWIRE_ASSERT is on, as an O(nnz) check per
/// call would cost a share of the product itself.
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

namespace detail {

/// The first inconsistency of one direction's line pointers (`lines` + 1
/// entries from 0 to nnz, never falling), or "".
inline std::string line_pointer_problem(const std::vector<std::int32_t>& ptr, Index lines, Index nnz,
                                        const char* name) {
  const std::string n(name);
  if (Index(ptr.size()) != lines + 1)
    return n + " has " + std::to_string(ptr.size()) + " entries, expected " + std::to_string(lines + 1);
  if (ptr.front() != 0) return n + "[0] = " + std::to_string(ptr.front()) + ", expected 0";
  for (Index q = 0; q < lines; ++q)
    if (ptr[std::size_t(q)] > ptr[std::size_t(q) + 1])
      return n + " falls from line " + std::to_string(q) + " to line " + std::to_string(q + 1);
  if (ptr.back() != nnz)
    return n + " ends at " + std::to_string(ptr.back()) + ", expected nnz = " + std::to_string(nnz);
  return {};
}

/// The first inconsistency among the sizes and line pointers of `p`
/// (O(rows + cols)), or "": what every kernel call checks.
inline std::string pattern_shape_problem(const SparsePattern& p) {
  if (p.rows < 0 || p.cols < 0)
    return "rows = " + std::to_string(p.rows) + ", cols = " + std::to_string(p.cols) + " must be >= 0";
  if (p.cols > 0 && p.rows > Index(std::numeric_limits<std::int32_t>::max()) / p.cols)
    return "rows * cols exceeds 2^31-1 (32-bit offsets)";
  const Index nnz = p.nnz();  // the length of row_index
  const auto sized = [nnz](const std::vector<std::int32_t>& v, const char* name) {
    return Index(v.size()) == nnz ? std::string()
                                  : std::string(name) + " has " + std::to_string(v.size()) + " entries, expected nnz = " +
                                        std::to_string(nnz) + " (the length of row_index)";
  };
  for (const std::string& problem : {sized(p.col_index, "col_index"), sized(p.csc_offset, "csc_offset"),
                                     sized(p.csr_to_csc, "csr_to_csc"),
                                     line_pointer_problem(p.row_ptr, p.rows, nnz, "row_ptr"),
                                     line_pointer_problem(p.col_ptr, p.cols, nnz, "col_ptr")})
    if (!problem.empty()) return problem;
  return {};
}

/// The first inconsistency of the indices of `p` (O(nnz)), or "": each
/// line's indices ascending and in range, each CSC offset o + i*rows, and
/// csr_to_csc a one-to-one map from each CSR entry to the CSC entry of the
/// same (row, column). Needs a pattern without a shape problem.
inline std::string pattern_index_problem(const SparsePattern& p) {
  const auto at = [](const char* name, std::int32_t k) { return std::string(name) + "[" + std::to_string(k) + "]"; };
  for (Index i = 0; i < p.cols; ++i)
    for (std::int32_t k = p.col_ptr[std::size_t(i)]; k < p.col_ptr[std::size_t(i) + 1]; ++k) {
      const std::int32_t o = p.row_index[std::size_t(k)];
      if (o < 0 || Index(o) >= p.rows) return at("row_index", k) + " = " + std::to_string(o) + " is not a row";
      if (k > p.col_ptr[std::size_t(i)] && o <= p.row_index[std::size_t(k) - 1])
        return at("row_index", k) + " is not above the entry before it in its column";
      if (Index(p.csc_offset[std::size_t(k)]) != Index(o) + i * p.rows)
        return at("csc_offset", k) + " is not row + column * rows";
    }
  std::vector<char> seen(std::size_t(p.nnz()), 0);
  for (Index o = 0; o < p.rows; ++o)
    for (std::int32_t k = p.row_ptr[std::size_t(o)]; k < p.row_ptr[std::size_t(o) + 1]; ++k) {
      const std::int32_t i = p.col_index[std::size_t(k)];
      if (i < 0 || Index(i) >= p.cols) return at("col_index", k) + " = " + std::to_string(i) + " is not a column";
      if (k > p.row_ptr[std::size_t(o)] && i <= p.col_index[std::size_t(k) - 1])
        return at("col_index", k) + " is not above the entry before it in its row";
      const std::int32_t c = p.csr_to_csc[std::size_t(k)];
      if (c < 0 || Index(c) >= p.nnz() || c < p.col_ptr[std::size_t(i)] || c >= p.col_ptr[std::size_t(i) + 1] ||
          Index(p.row_index[std::size_t(c)]) != o || seen[std::size_t(c)] != 0)
        return at("csr_to_csc", k) + " = " + std::to_string(c) + " is not the CSC entry of (" + std::to_string(o) +
               ", " + std::to_string(i) + ")";
      seen[std::size_t(c)] = 1;
    }
  return {};
}

/// What every consumer of a pattern checks on each call: its sizes and line
/// pointers in every build type (std::invalid_argument naming `what` and the
/// problem), its indices where REWIRE_ASSERT is on.
inline void require_pattern(const SparsePattern& p, const char* what) {
  std::string problem = pattern_shape_problem(p);
  if (!problem.empty()) require(false, std::string(what) + ": inconsistent sparse pattern: " + problem);
  REWIRE_ASSERT(pattern_index_problem(p).empty());
}

}  // namespace detail

/// Throws std::invalid_argument naming the first inconsistency of `p` (its
/// sizes, line pointers and indices; O(rows + cols + nnz)): the check for a
/// pattern filled by hand. Every pattern make_sparse_pattern builds passes.
inline void validate_sparse_pattern(const SparsePattern& p) {
  std::string problem = detail::pattern_shape_problem(p);
  if (problem.empty()) problem = detail::pattern_index_problem(p);
  detail::require(problem.empty(), "inconsistent sparse pattern: " + problem);
}

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
  detail::require_pattern(p, "gather_csc");
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
  detail::require_pattern(p, "scatter_csc");
  detail::require(Index(compact.size()) == p.nnz(), "scatter_csc: one value per active entry is needed");
  MatrixT<T> dense = MatrixT<T>::Zero(p.rows, p.cols);
  T* d = dense.data();
  for (std::size_t k = 0; k < compact.size(); ++k) d[p.csc_offset[k]] = compact[k];
  return dense;
}

}  // namespace rewire
