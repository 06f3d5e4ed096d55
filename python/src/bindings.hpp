// bindings.hpp - what the translation units of the Python module share:
// their entry points and the numpy conversions.
//
// Conventions of every binding:
//  - arrays handed out are read-only: a zero-copy view (base = the owning
//    Python object, so it keeps the network alive) where the C++ object holds
//    the data in that form for good, a copy where C++ itself returns a copy;
//    changes go through the setters, which keep the invariants;
//  - arrays taken in must have the documented dtype and dimensions; anything
//    else is a ValueError naming the argument (no silent float64 -> float32);
//  - std::invalid_argument becomes ValueError, other exceptions RuntimeError.
#pragma once

#include <rewire/rewire.hpp>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>

namespace rewire_python {

namespace py = pybind11;

void bind_network(py::module_& m);
void bind_training(py::module_& m);
void bind_recurrent(py::module_& m);
void bind_study(py::module_& m);
void bind_optimizers(py::module_& m);
void bind_checkpoints(py::module_& m);
void bind_layer_densities(py::module_& m);

/// A read-only numpy view of `rows` x `cols` column-major floats at `data`,
/// kept alive by `owner`; cols = 0 gives a 1-D view of `rows` entries.
template <typename T>
py::array readonly_view(const T* data, rewire::Index rows, rewire::Index cols, py::handle owner) {
  py::array out = cols == 0 ? py::array_t<T>({rows}, {sizeof(T)}, data, owner)
                            : py::array_t<T>({rows, cols}, {sizeof(T), sizeof(T) * std::size_t(rows)}, data, owner);
  out.attr("flags").attr("writeable") = false;
  return out;
}

/// A read-only numpy copy of `m` (for values C++ returns by value).
template <typename Derived>
py::array readonly_copy(const Eigen::MatrixBase<Derived>& m) {
  using T = typename Derived::Scalar;
  const bool vector = Derived::ColsAtCompileTime == 1;
  py::array_t<T, py::array::f_style> out =
      vector ? py::array_t<T, py::array::f_style>({m.rows()}) : py::array_t<T, py::array::f_style>({m.rows(), m.cols()});
  Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>>(out.mutable_data(), m.rows(), m.cols()) = m;
  out.attr("flags").attr("writeable") = false;
  return std::move(out);
}

/// A float32 numpy array of exactly `ndim` dimensions as an Eigen matrix (a
/// 1-D array becomes a column); ValueError naming `what` otherwise.
rewire::Matrix to_matrix(const py::handle& array, int ndim, const char* what);

/// Integer class labels (any integer dtype, 1-D, each in [0, 2^31)).
rewire::Labels to_labels(const py::handle& array, const char* what);

/// `m` if it is valid (the Mlp's and the Rnn's modulation setters); its
/// std::invalid_argument (a ValueError in Python) otherwise.
inline rewire::Modulation checked(rewire::Modulation m) {
  m.validate();
  return m;
}

}  // namespace rewire_python
