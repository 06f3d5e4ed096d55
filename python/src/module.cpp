// module.cpp - the module rewire._rewire: its docstring, the translation of
// the study program's errors, and the parts defined in the other files.
#include "bindings.hpp"

#include "run/run.hpp"

PYBIND11_MODULE(_rewire, m) {
  namespace py = pybind11;
  m.doc() =
      "rewire: pruning-plasticity simulations of small MLPs (C++ bindings).\n\n"
      "Network level: Mlp, Dataset, Rng, NoiseSource, train, prune_to, regrow_by_gradient,\n"
      "accuracy, predict. Study level: run_study (the chronic_stress program).";
  m.attr("__version__") = rewire::version;
  // pybind11 already maps std::invalid_argument to ValueError and other
  // std::exceptions to RuntimeError. A refused configuration is a bad
  // argument too, though ConfigError derives from std::runtime_error.
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const chronic_stress::ConfigError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const chronic_stress::ResultsError& e) {  // result files that are missing or malformed
      PyErr_SetString(PyExc_ValueError, e.what());
    }
  });
  rewire_python::bind_network(m);
  rewire_python::bind_training(m);
  rewire_python::bind_recurrent(m);
  rewire_python::bind_checkpoints(m);  // after bind_recurrent: its signatures name Rnn
  rewire_python::bind_layer_densities(m);  // after bind_recurrent: its signatures name Rnn
  rewire_python::bind_optimizers(m);
  rewire_python::bind_study(m);
}
