// recurrent_calls.cpp - training, pruning, regrowth and evaluation of a
// recurrent network on trials: overloads of the Mlp's functions with the
// same keywords and defaults (a TrialSet where the Mlp takes a Dataset).
// Each releases the GIL while it computes; training calls take it back once
// per epoch for the callback and to notice Ctrl-C.
#include "recurrent.hpp"

#include <pybind11/functional.h>
#include <pybind11/stl.h>

#include <string>
#include <vector>

namespace rewire_python {

using namespace rewire;

namespace {

/// The per-epoch hook, as for the Mlp (training.cpp): the user's callback,
/// then pending signals (Ctrl-C raises KeyboardInterrupt, which unwinds the
/// call; the network keeps the weights of the last finished step).
EpochCallback epoch_hook(const py::object& on_epoch) {
  return [on_epoch](int epoch, double loss, float sigma) {
    py::gil_scoped_acquire gil;
    if (!on_epoch.is_none()) on_epoch(epoch, loss, sigma);
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
  };
}

TrainOptions train_options(int epochs, float lr, Index batch_size) {
  TrainOptions o;
  o.epochs = epochs;
  o.lr = lr;
  o.batch_size = batch_size;
  return o;
}

const TrainOptions kTrain{};
const RegrowOptions kRegrow{};

void bind_rnn_train(py::module_& m) {
  m.def(
      "train",
      [](Rnn& net, const TrialSet& data, Rng& shuffle, int epochs, float lr, Index batch_size,
         const py::object& on_epoch) {
        const EpochCallback hook = epoch_hook(on_epoch);
        py::gil_scoped_release nogil;
        return train(net, data, train_options(epochs, lr, batch_size), shuffle, hook);
      },
      py::arg("net"), py::arg("data"), py::arg("shuffle"), py::kw_only(), py::arg("epochs") = kTrain.epochs,
      py::arg("lr") = kTrain.lr, py::arg("batch_size") = kTrain.batch_size, py::arg("on_epoch") = py::none(),
      "Rnn on a TrialSet: mini-batches of trials, the loss on their response steps, backprop through time.");
  m.def(
      "train_with_stress",
      [](Rnn& net, const TrialSet& data, Rng& shuffle, NoiseSource& noise, float sigma0, int epochs, float lr,
         Index batch_size, const py::object& on_epoch) {
        const EpochCallback hook = epoch_hook(on_epoch);
        py::gil_scoped_release nogil;
        return train_with_stress(net, data, train_options(epochs, lr, batch_size), sigma0, shuffle, noise, hook);
      },
      py::arg("net"), py::arg("data"), py::arg("shuffle"), py::arg("noise"), py::kw_only(), py::arg("sigma0"),
      py::arg("epochs") = kTrain.epochs, py::arg("lr") = kTrain.lr, py::arg("batch_size") = kTrain.batch_size,
      py::arg("on_epoch") = py::none(),
      "Rnn on a TrialSet: the internal noise (inside phi, every step) tapers from sigma0 to 0.");
}

void bind_rnn_prune_regrow(py::module_& m) {
  m.def(
      "prune_to",
      [](Rnn& net, double target, const std::string& scope) {
        const PruneScope s = parse_prune_scope(scope);
        py::gil_scoped_release nogil;
        prune_to(net, target, s);
      },
      py::arg("net"), py::arg("target"), py::arg("scope") = to_string(PruneScope::per_layer),
      "Rnn: per matrix (W_in, W_rec, W_out) or one global threshold; under Dale's law |W| is the\n"
      "strength of the effective weight.");
  m.def(
      "regrow_by_gradient",
      [](Rnn& net, const TrialSet& data, Rng& shuffle, Rng& values, int batches, double fraction, float init_sd,
         Index batch_size, const std::string& ties) {
        const RegrowOptions o{batches, fraction, init_sd, batch_size, parse_regrow_ties(ties)};
        py::gil_scoped_release nogil;
        return regrow_by_gradient(net, data, o, shuffle, values);
      },
      py::arg("net"), py::arg("data"), py::arg("shuffle"), py::arg("values"), py::kw_only(),
      py::arg("batches") = kRegrow.batches, py::arg("fraction") = kRegrow.fraction,
      py::arg("init_sd") = kRegrow.init_sd, py::arg("batch_size") = kRegrow.batch_size,
      py::arg("ties") = to_string(kRegrow.ties),
      "Rnn: scores by |dL/dW| of backprop through time; returns the count per matrix (input, recurrent,\n"
      "output). Under Dale's law a regrown weight takes its presynaptic unit's sign.");
  m.def(
      "gradient_scores",
      [](Rnn& net, const TrialSet& data, Rng& shuffle, int batches, Index batch_size) {
        std::vector<Matrix> scores;
        {
          py::gil_scoped_release nogil;
          scores = gradient_scores(net, data, batches, batch_size, shuffle);
        }
        py::list out;
        for (const Matrix& s : scores) out.append(readonly_copy(s));
        return out;
      },
      py::arg("net"), py::arg("data"), py::arg("shuffle"), py::kw_only(), py::arg("batches") = kRegrow.batches,
      py::arg("batch_size") = kRegrow.batch_size,
      "Rnn: per matrix, the full |dL/dW| (summed over the steps) summed over `batches` batches of trials.");
}

void bind_rnn_evaluate(py::module_& m) {
  m.def(
      "accuracy",
      [](const Rnn& net, const TrialSet& data, NoiseSource* noise, float input_sigma, float internal_sigma,
         Index chunk) {
        detail::require(noise != nullptr || (input_sigma == 0.0f && internal_sigma == 0.0f),
                        "accuracy under noise needs a NoiseSource (noise=...)");
        NoiseSource unused(0);  // never drawn from: both sigmas are 0
        py::gil_scoped_release nogil;
        return accuracy(net, data, EvalCondition{input_sigma, internal_sigma}, noise ? *noise : unused, chunk);
      },
      py::arg("net"), py::arg("data"), py::arg("noise") = py::none(), py::kw_only(), py::arg("input_sigma") = 0.0f,
      py::arg("internal_sigma") = 0.0f, py::arg("chunk") = 128,
      "Rnn on trials: a trial is correct when the arg-max of its readout summed over the response steps\n"
      "(with their weights) is its label. input_sigma: noise on every channel of every step; per chunk\n"
      "of trials the input noise is drawn first, then the internal noise step by step.");
  m.def(
      "predict",
      [](const Rnn& net, const TrialSet& trials) {
        Labels y;
        {
          py::gil_scoped_release nogil;
          y = predict(net, trials);
        }
        return readonly_copy(y);
      },
      py::arg("net"), py::arg("trials"), "Rnn: the decision (int32) of every trial, no noise.");
  m.def(
      "readout",
      [](const Rnn& net, const TrialSet& trials, Index chunk) {
        Matrix y;
        {
          py::gil_scoped_release nogil;
          y = readout(net, trials, chunk);
        }
        return sequence_array(std::move(y), trials.steps());
      },
      py::arg("net"), py::arg("trials"), py::kw_only(), py::arg("chunk") = 128,
      "The readout y_t of every step and trial without noise: float32 (steps, trials, classes).");
  m.def(
      "decision_times",
      [](const Rnn& net, const TrialSet& trials, double threshold, Index start) {
        detail::require(start >= 0 && start < trials.steps(), "start = " + std::to_string(start) +
                                                                  " is outside the trial's steps [0, " +
                                                                  std::to_string(trials.steps()) + ")");
        std::vector<Index> times;
        {
          py::gil_scoped_release nogil;
          times = decision_times(net, trials, threshold, start);
        }
        py::array_t<std::int64_t> out(py::ssize_t(times.size()));
        std::copy(times.begin(), times.end(), out.mutable_data());
        out.attr("flags").attr("writeable") = false;
        return out;
      },
      py::arg("net"), py::arg("trials"), py::arg("threshold"), py::kw_only(), py::arg("start") = 0,
      "Per trial (int64), the first step >= start at which the largest softmax probability of the\n"
      "noise-free readout reaches threshold (in (0, 1]), or -1 if none does.");
}

}  // namespace

void bind_recurrent_calls(py::module_& m) {
  bind_rnn_train(m);
  bind_rnn_prune_regrow(m);
  bind_rnn_evaluate(m);
}

}  // namespace rewire_python
