// recurrent.hpp - what the recurrent network's translation units share
// (recurrent.cpp, recurrent_calls.cpp, gradients.cpp); module.cpp calls
// bind_recurrent alone, which registers all three.
#pragma once

#include "bindings.hpp"

namespace rewire_python {

/// A read-only (steps, trials, columns) numpy view of a step-major sequence
/// matrix `m` ((steps * trials) x columns, core/types.hpp), kept alive by
/// `owner`.
py::array sequence_view(const rewire::Matrix& m, rewire::Index steps, py::handle owner);

/// The same view of a matrix it takes over (the array owns it).
py::array sequence_array(rewire::Matrix m, rewire::Index steps);

/// Training, pruning, regrowth and evaluation of an Rnn: overloads of the
/// Mlp's functions (registered after them).
void bind_recurrent_calls(py::module_& m);

/// forward_backward for every network kind, and NoiseSource.draw.
void bind_batch_gradients(py::module_& m);

}  // namespace rewire_python
