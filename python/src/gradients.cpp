// gradients.cpp - one forward and backward pass of a batch, for every
// network kind: the outputs, the loss and every parameter's gradient as
// numpy arrays, so that a user can check them against an autograd of their
// own. The noise draws a pass makes can be reproduced with NoiseSource.draw.
#include "in_use.hpp"
#include "recurrent.hpp"

#include <pybind11/stl.h>

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace rewire_python {

using namespace rewire;

namespace {

/// What forward_backward returns.
struct BatchGradients {
  double loss = 0.0;
  py::object outputs;
  py::dict gradients;  // parameter name -> dL/d(parameter), shaped like the parameter
};

/// Every parameter's gradient of the last backward, keyed by the names of
/// net.parameters() (layer<l>.weight / .bias, rnn.<matrix>.weight / .bias):
/// a weight's as its (out x in) matrix, whatever its storage, a bias's as (out,).
template <class Net>
py::dict gradients_of(Net& net) {
  const std::vector<ParamRef> params = net.parameters();  // per layer: weight, then bias
  py::dict out;
  for (std::size_t l = 0; l < net.num_layers(); ++l) {
    const MaskedLinear& layer = net.layer(l);
    out[py::str(params[2 * l].name())] = readonly_copy(layer.weight_grad());
    out[py::str(params[2 * l + 1].name())] = readonly_copy(layer.bias_grad());
  }
  return out;
}

GradientMode mode_of(bool full) { return full ? GradientMode::full : GradientMode::masked; }

BatchGradients mlp_pass(Mlp& net, const Dataset& data, NoiseSource* noise, bool full) {
  detail::require(data.labels.size() == data.size(), "data: one label per input row is needed");
  BatchGradients g;
  Matrix logits, P, dlogits;  // (n, classes) each
  {
    const Computing nogil(net);  // releases the GIL, refuses a network in use elsewhere
    logits = net.forward(data.inputs, noise);
    g.loss = softmax_cross_entropy_forward(P, logits, data.labels);
    softmax_cross_entropy_backward(dlogits, P, data.labels);
    net.backward(dlogits, mode_of(full));
  }
  g.outputs = readonly_copy(logits);
  g.gradients = gradients_of(net);
  return g;
}

BatchGradients rnn_pass(Rnn& net, const TrialSet& trials, NoiseSource* noise, bool full) {
  require_fits(net, trials);
  BatchGradients g;
  Matrix readout, P, dlogits;  // (steps * trials, classes) each, step-major
  {
    const Computing nogil(net);  // releases the GIL, refuses a network in use elsewhere
    readout = net.forward(trials.inputs, trials.steps(), noise);
    g.loss = sequence_cross_entropy_forward(P, readout, trials.labels, trials.response);
    sequence_cross_entropy_backward(dlogits, P, trials.labels, trials.response);
    net.backward(dlogits, mode_of(full));
  }
  g.outputs = sequence_array(std::move(readout), trials.steps());
  g.gradients = gradients_of(net);
  return g;
}

const char* kPassDoc =
    "One training forward and backward pass of the whole batch, under the network's own activation,\n"
    "damping and noise_sigma; returns BatchGradients(loss, outputs, gradients) and leaves the gradients\n"
    "in the layers (weight_grad, bias_grad), as a training step would before Adam's update.\n\n"
    "Mlp on a Dataset: outputs are the logits (n, classes); loss = mean softmax cross-entropy over\n"
    "the n rows. Rnn on a TrialSet: outputs are the readout y_t of every step, (steps, trials,\n"
    "classes); loss = (1 / (trials * sum_t w_t)) sum_t w_t sum_n -log softmax(y_t[n])[label_n], w =\n"
    "the set's response weights (backprop through time over all steps).\n\n"
    "gradients: dict parameter name -> dL/d(parameter) as float32, a weight's (out, in), a bias's\n"
    "(out,); names as the library's parameters (Mlp: layer1.weight, layer1.bias, ...; Rnn:\n"
    "rnn.input.weight, rnn.input.bias, rnn.recurrent.*, rnn.output.*). The derivative is taken with\n"
    "respect to the stored weight W (under Dale's law the effective weight is |W| * sign of the\n"
    "presynaptic unit, so dL/dW = dL/dW_eff * sign * sgn(W), sgn(0) = +1). full=False (what training\n"
    "uses): zero at pruned positions. full=True: the unmasked gradient there too (what regrowth\n"
    "scores), the derivative as if the weight were present with value 0.\n\n"
    "noise: a NoiseSource, needed when the network's noise_sigma > 0. For fixed noise (the same\n"
    "draws on every call, e.g. for finite differences) pass a new NoiseSource with the same key each\n"
    "time. Draws: Mlp, per hidden layer in order, one request of n * width normals, entry (row r,\n"
    "unit j) = draw[j * n + r], added after the activation; Rnn, per step t in order, one request of\n"
    "trials * units normals, entry (trial i, unit j) = draw[j * trials + i], added to u_t inside phi.\n"
    "Every request starts a new block of 256 normals: NoiseSource.draw(count) with the same counts\n"
    "returns the same numbers.";

}  // namespace

void bind_batch_gradients(py::module_& m) {
  py::class_<BatchGradients>(m, "BatchGradients", "What forward_backward returns.")
      .def_readonly("loss", &BatchGradients::loss, "The loss of the batch (see forward_backward).")
      .def_readonly("outputs", &BatchGradients::outputs,
                    "Mlp: logits (n, classes); Rnn: readout of every step (steps, trials, classes).")
      .def_readonly("gradients", &BatchGradients::gradients, "Parameter name -> dL/d(parameter), float32.")
      .def("__repr__", [](const BatchGradients& g) {
        return "BatchGradients(loss=" + std::to_string(g.loss) + ", " + std::to_string(py::len(g.gradients)) +
               " gradients)";
      });
  m.def("forward_backward", &mlp_pass, py::arg("net"), py::arg("data"), py::kw_only(),
        py::arg("noise") = py::none(), py::arg("full") = false, kPassDoc);
  m.def("forward_backward", &rnn_pass, py::arg("net"), py::arg("data"), py::kw_only(),
        py::arg("noise") = py::none(), py::arg("full") = false, "The same for an Rnn on a TrialSet (see above).");
  py::class_<NoiseSource> noise = py::reinterpret_borrow<py::class_<NoiseSource>>(m.attr("NoiseSource"));
  noise.def(
      "draw",
      [](NoiseSource& source, Index count) {
        detail::require(count >= 0, "count = " + std::to_string(count) + " must be >= 0");
        Vector z(count);
        source.fill_normal(z.data(), count, 1.0f);
        return readonly_copy(z);
      },
      py::arg("count"),
      "The next `count` standard normals (float32) as one request, as a network's noise draws them:\n"
      "whole blocks of 256 are consumed, the unused rest of the last block is skipped.");
}

}  // namespace rewire_python
