// recurrent_calls.cpp - training, pruning, regrowth and evaluation of a
// recurrent network on trials: overloads of the Mlp's functions with the
// same keywords and defaults (a TrialSet where the Mlp takes a Dataset).
// Each releases the GIL while it computes; training calls take it back once
// per epoch for the callback and to notice Ctrl-C.
#include "calls.hpp"
#include "recurrent.hpp"

#include <pybind11/functional.h>
#include <pybind11/stl.h>

#include <string>
#include <vector>

namespace rewire_python {

using namespace rewire;

namespace {

void bind_rnn_train(py::module_& m) {
  calls::def_train<Rnn, TrialSet>(m,
      "Rnn on a TrialSet: mini-batches of trials, the loss on their response steps, backprop through time.");
  calls::def_train_with_stress<Rnn, TrialSet>(m,
      "Rnn on a TrialSet: the internal noise (inside phi, every step) tapers from sigma0 to 0.");
}

void bind_rnn_prune_regrow(py::module_& m) {
  calls::def_prune_to<Rnn>(m,
      "Rnn: per matrix (W_in, W_rec, W_out) or one global threshold; under Dale's law |W| is the\n"
      "strength of the effective weight.");
  calls::def_regrow_by_gradient<Rnn, TrialSet>(m,
      "Rnn: scores by |dL/dW| of backprop through time; returns the count per matrix (input, recurrent,\n"
      "output). Under Dale's law a regrown weight takes its presynaptic unit's sign.");
  calls::def_drop_and_grow<Rnn, TrialSet>(m,
      "Rnn: one drop-and-grow step per matrix (input, recurrent, output), by |W| (the stored weight under\n"
      "Dale's law) and |dL/dW| of backprop through time or at random, or over the three together with\n"
      "scope=\"global\"; returns the number dropped per matrix.");
  calls::def_gradient_scores<Rnn, TrialSet>(m,
      "Rnn: per matrix, the full |dL/dW| (summed over the steps) summed over `batches` batches of trials.");
}

void bind_rnn_evaluate(py::module_& m) {
  calls::def_accuracy<Rnn, TrialSet>(m,
      "Rnn on trials: a trial is correct when the arg-max of its readout summed over the response steps\n"
      "(with their weights) is its label. input_sigma: noise on every channel of every step; per chunk\n"
      "of trials the input noise is drawn first, then the internal noise step by step.");
  m.def(
      "predict",
      [](const Rnn& net, const TrialSet& trials) {
        Labels y;
        {
          const Computing nogil(net);  // releases the GIL, refuses a network in use elsewhere
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
          const Computing nogil(net);  // releases the GIL, refuses a network in use elsewhere
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
          const Computing nogil(net);  // releases the GIL, refuses a network in use elsewhere
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
