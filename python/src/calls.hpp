// calls.hpp - the training, pruning, regrowth and evaluation calls that the
// Mlp (training.cpp, on a Dataset) and the Rnn (recurrent_calls.cpp, on a
// TrialSet) share: one registration each, the same keywords and defaults,
// templated on the network and its data; each kind passes its own docstring.
//
// Each call releases the GIL while it computes; training calls take it back
// once per epoch for the callback and to notice Ctrl-C.
#pragma once

#include "bindings.hpp"
#include "in_use.hpp"

#include <pybind11/functional.h>
#include <pybind11/stl.h>

#include <string>
#include <vector>

namespace rewire_python::calls {

/// The per-epoch hook of every training call: the user's callback, then
/// pending signals (Ctrl-C raises KeyboardInterrupt, which unwinds the
/// training call; the network keeps the weights of the last finished step).
inline rewire::EpochCallback epoch_hook(const py::object& on_epoch) {
  return [on_epoch](int epoch, double loss, float sigma) {
    py::gil_scoped_acquire gil;
    if (!on_epoch.is_none()) on_epoch(epoch, loss, sigma);
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
  };
}

inline rewire::TrainOptions train_options(int epochs, float lr, rewire::Index batch_size) {
  rewire::TrainOptions o;
  o.epochs = epochs;
  o.lr = lr;
  o.batch_size = batch_size;
  return o;
}

inline const rewire::TrainOptions kTrain{};
inline const rewire::RegrowOptions kRegrow{};

template <class Net, class Data>
void def_train(py::module_& m, const char* doc) {
  m.def(
      "train",
      [](Net& net, const Data& data, rewire::Rng& shuffle, int epochs, float lr, rewire::Index batch_size,
         const py::object& on_epoch) {
        const rewire::EpochCallback hook = epoch_hook(on_epoch);
        const Computing nogil(net);  // releases the GIL, refuses a network in use elsewhere
        return train(net, data, train_options(epochs, lr, batch_size), shuffle, hook);
      },
      py::arg("net"), py::arg("data"), py::arg("shuffle"), py::kw_only(), py::arg("epochs") = kTrain.epochs,
      py::arg("lr") = kTrain.lr, py::arg("batch_size") = kTrain.batch_size, py::arg("on_epoch") = py::none(), doc);
}

template <class Net, class Data>
void def_train_with_stress(py::module_& m, const char* doc) {
  m.def(
      "train_with_stress",
      [](Net& net, const Data& data, rewire::Rng& shuffle, rewire::NoiseSource& noise, float sigma0, int epochs,
         float lr, rewire::Index batch_size, const py::object& on_epoch) {
        const rewire::EpochCallback hook = epoch_hook(on_epoch);
        const Computing nogil(net);  // releases the GIL, refuses a network in use elsewhere
        return train_with_stress(net, data, train_options(epochs, lr, batch_size), sigma0, shuffle, noise, hook);
      },
      py::arg("net"), py::arg("data"), py::arg("shuffle"), py::arg("noise"), py::kw_only(), py::arg("sigma0"),
      py::arg("epochs") = kTrain.epochs, py::arg("lr") = kTrain.lr, py::arg("batch_size") = kTrain.batch_size,
      py::arg("on_epoch") = py::none(), doc);
}

template <class Net>
void def_prune_to(py::module_& m, const char* doc) {
  m.def(
      "prune_to",
      [](Net& net, double target, const std::string& scope) {
        const rewire::PruneScope s = rewire::parse_prune_scope(scope);
        const Computing nogil(net);  // releases the GIL, refuses a network in use elsewhere
        prune_to(net, target, s);
      },
      py::arg("net"), py::arg("target"), py::arg("scope") = rewire::to_string(rewire::PruneScope::per_layer), doc);
}

template <class Net, class Data>
void def_regrow_by_gradient(py::module_& m, const char* doc) {
  m.def(
      "regrow_by_gradient",
      [](Net& net, const Data& data, rewire::Rng& shuffle, rewire::Rng& values, int batches, double fraction,
         float init_sd, rewire::Index batch_size, const std::string& ties, const std::string& scope) {
        rewire::RegrowOptions o{batches, fraction, init_sd, batch_size, rewire::parse_regrow_ties(ties)};
        o.scope = rewire::parse_prune_scope(scope);
        const Computing nogil(net);  // releases the GIL, refuses a network in use elsewhere
        return regrow_by_gradient(net, data, o, shuffle, values);
      },
      py::arg("net"), py::arg("data"), py::arg("shuffle"), py::arg("values"), py::kw_only(),
      py::arg("batches") = kRegrow.batches, py::arg("fraction") = kRegrow.fraction,
      py::arg("init_sd") = kRegrow.init_sd, py::arg("batch_size") = kRegrow.batch_size,
      py::arg("ties") = rewire::to_string(kRegrow.ties), py::arg("scope") = rewire::to_string(kRegrow.scope), doc);
}

inline const rewire::DropGrowOptions kDropGrow{};

template <class Net, class Data>
void def_drop_and_grow(py::module_& m, const char* doc) {
  m.def(
      "drop_and_grow",
      [](Net& net, const Data& data, rewire::Rng& shuffle, rewire::Rng& rng, double fraction, const std::string& grow,
         int batches, rewire::Index batch_size, const std::string& scope) {
        const rewire::DropGrowOptions o{fraction, rewire::parse_grow_by(grow), batches, batch_size,
                                        rewire::parse_prune_scope(scope)};
        const Computing nogil(net);  // releases the GIL, refuses a network in use elsewhere
        return drop_and_grow(net, data, o, shuffle, rng);
      },
      py::arg("net"), py::arg("data"), py::arg("shuffle"), py::arg("rng"), py::kw_only(),
      py::arg("fraction") = kDropGrow.fraction, py::arg("grow") = rewire::to_string(kDropGrow.grow),
      py::arg("batches") = kDropGrow.batches, py::arg("batch_size") = kDropGrow.batch_size,
      py::arg("scope") = rewire::to_string(kDropGrow.scope), doc);
}

template <class Net, class Data>
void def_gradient_scores(py::module_& m, const char* doc) {
  m.def(
      "gradient_scores",
      [](Net& net, const Data& data, rewire::Rng& shuffle, int batches, rewire::Index batch_size) {
        std::vector<rewire::Matrix> scores;
        {
          const Computing nogil(net);  // releases the GIL, refuses a network in use elsewhere
          scores = gradient_scores(net, data, batches, batch_size, shuffle);
        }
        py::list out;
        for (const rewire::Matrix& s : scores) out.append(readonly_copy(s));
        return out;
      },
      py::arg("net"), py::arg("data"), py::arg("shuffle"), py::kw_only(), py::arg("batches") = kRegrow.batches,
      py::arg("batch_size") = kRegrow.batch_size, doc);
}

template <class Net, class Data>
void def_accuracy(py::module_& m, const char* doc) {
  m.def(
      "accuracy",
      [](const Net& net, const Data& data, rewire::NoiseSource* noise, float input_sigma, float internal_sigma,
         rewire::Index chunk) {
        rewire::detail::require(noise != nullptr || (input_sigma == 0.0f && internal_sigma == 0.0f),
                                "accuracy under noise needs a NoiseSource (noise=...)");
        rewire::NoiseSource unused(0);  // never drawn from: both sigmas are 0
        const Computing nogil(net);  // releases the GIL, refuses a network in use elsewhere
        return accuracy(net, data, rewire::EvalCondition{input_sigma, internal_sigma}, noise ? *noise : unused,
                        chunk);
      },
      py::arg("net"), py::arg("data"), py::arg("noise") = py::none(), py::kw_only(), py::arg("input_sigma") = 0.0f,
      py::arg("internal_sigma") = 0.0f, py::arg("chunk") = 128, doc);
}

}  // namespace rewire_python::calls
