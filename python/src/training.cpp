// training.cpp - training, pruning, regrowth and evaluation. Each releases
// the GIL while it computes; training calls reacquire it once per epoch to
// run the Python callback and to notice Ctrl-C (KeyboardInterrupt).
#include "bindings.hpp"
#include "calls.hpp"

#include <pybind11/functional.h>
#include <pybind11/stl.h>

namespace rewire_python {

using namespace rewire;

namespace {

void bind_train(py::module_& m) {
  py::enum_<TrainStatus>(m, "TrainStatus")
      .value("ok", TrainStatus::ok)
      .value("diverged", TrainStatus::diverged);
  py::class_<TrainResult>(m, "TrainResult", "Outcome of a training call.")
      .def_readonly("status", &TrainResult::status, "ok, or diverged: a non-finite loss stopped the call.")
      .def_readonly("epochs_done", &TrainResult::epochs_done)
      .def_readonly("steps", &TrainResult::steps)
      .def_readonly("last_epoch_loss", &TrainResult::last_epoch_loss, "Mean loss over the last epoch's batches.")
      .def("__repr__", [](const TrainResult& r) {
        return "TrainResult(status=" + std::string(r.status == TrainStatus::ok ? "ok" : "diverged") +
               ", epochs_done=" + std::to_string(r.epochs_done) + ", steps=" + std::to_string(r.steps) +
               ", last_epoch_loss=" + std::to_string(r.last_epoch_loss) + ")";
      });
  calls::def_train<Mlp, Dataset>(m,
      "Mini-batch Adam (fresh moments) with internal noise 0; masks stay fixed, pruned weights stay 0.\n"
      "on_epoch(epoch, loss, sigma) is called after each epoch.");
  calls::def_train_with_stress<Mlp, Dataset>(m,
      "Training under internal noise tapering linearly from sigma0 (first epoch) to 0 (last epoch).");
}

void bind_prune_regrow(py::module_& m) {
  calls::def_prune_to<Mlp>(m,
      "Magnitude pruning to `target` sparsity in [0, 1): the target-quantile of |W| per layer, or over all\n"
      "layers with scope=\"global\". Never reopens a pruned weight. Biases are not pruned.");
  m.def(
      "prune_layer_to",
      [](MaskedLinear& layer, double target) {
        const Computing nogil(layer);  // releases the GIL, refuses a layer in use elsewhere
        prune_layer_to(layer, target);
      },
      py::arg("layer"), py::arg("target"), "prune_to for one layer.");
  calls::def_regrow_by_gradient<Mlp, Dataset>(m,
      "Scores pruned positions by |dL/dW| summed over `batches` mini-batches, then reopens the best\n"
      "`fraction` of each layer's pruned positions with N(0, init_sd^2) weights; ties (equal scores) are\n"
      "ordered at random (ties=\"random\") or by position (\"lowest_index\"). scope=\"global\": the best\n"
      "`fraction` of all layers' pruned positions ranked together. Returns the count per layer.");
  calls::def_drop_and_grow<Mlp, Dataset>(m,
      "One drop-and-grow step per layer at constant density (RigL: grow=\"gradient\"; SET: \"random\"):\n"
      "drops the k = floor(fraction * active) active weights of smallest |W| (ties: lower flat index), then\n"
      "grows k inactive positions (including those just dropped) at weight 0, by the full |dL/dW| summed\n"
      "over `batches` mini-batches drawn with `shuffle`, or uniformly at random from `rng`; a position\n"
      "dropped and grown again keeps its weight. scope=\"global\": one k = floor(fraction * the network's\n"
      "active) over all layers together (ties: lower layer, then lower index), so layers may trade weights.\n"
      "Returns the number dropped per layer (per layer: also the number grown).");
  calls::def_gradient_scores<Mlp, Dataset>(m,
      "Per layer, the sum of the full |dL/dW| over `batches` mini-batches (what regrowth ranks by).");
}

void bind_evaluate(py::module_& m) {
  calls::def_accuracy<Mlp, Dataset>(m,
      "Accuracy in percent, under the network's activation and damping, with N(0, input_sigma^2) added to\n"
      "the inputs and internal_sigma on the hidden units (replacing the network's own for this call).");
  m.def(
      "predict",
      [](const Mlp& net, const py::handle& X) {
        const Matrix inputs = to_matrix(X, 2, "X");
        Labels y;
        {
          const Computing nogil(net);  // releases the GIL, refuses a network in use elsewhere
          y = predict(net, inputs);
        }
        return readonly_copy(y);
      },
      py::arg("net"), py::arg("X"), "Predicted class (int32) of every row of X (float32, n x features), no noise.");
  m.def(
      "logits",
      [](const Mlp& net, const py::handle& X) {
        const Matrix inputs = to_matrix(X, 2, "X");
        Modulation modulation = net.modulation();
        modulation.noise_sigma = 0.0f;
        Mlp::Buffers buffers;
        Matrix out;
        {
          const Computing nogil(net);  // releases the GIL, refuses a network in use elsewhere
          out = net.forward(buffers, inputs, nullptr, modulation);
        }
        return readonly_copy(out);
      },
      py::arg("net"), py::arg("X"), "The logits (n x classes) of X without noise.");
}

}  // namespace

void bind_training(py::module_& m) {
  bind_train(m);
  bind_prune_regrow(m);
  bind_evaluate(m);
}

}  // namespace rewire_python
