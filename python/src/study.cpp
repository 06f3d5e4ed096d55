// study.cpp - rewire.run_study: the chronic_stress study program.
#include "bindings.hpp"

namespace rewire_python {

void bind_study(py::module_&) {}

}  // namespace rewire_python
