// training.cpp - training, pruning, regrowth and evaluation. Each releases
// the GIL while it computes; training calls reacquire it once per epoch to
// run the Python callback and to notice Ctrl-C (KeyboardInterrupt).
#include "bindings.hpp"

#include <pybind11/functional.h>
#include <pybind11/stl.h>

namespace rewire_python {

using namespace rewire;

namespace {

/// The per-epoch hook of every training call: the user's callback, then
/// pending signals (Ctrl-C raises KeyboardInterrupt, which unwinds the
/// training call; the network keeps the weights of the last finished step).
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
  m.def(
      "train",
      [](Mlp& net, const Dataset& data, Rng& shuffle, int epochs, float lr, Index batch_size,
         const py::object& on_epoch) {
        const EpochCallback hook = epoch_hook(on_epoch);
        py::gil_scoped_release nogil;
        return train(net, data, train_options(epochs, lr, batch_size), shuffle, hook);
      },
      py::arg("net"), py::arg("data"), py::arg("shuffle"), py::kw_only(), py::arg("epochs") = kTrain.epochs,
      py::arg("lr") = kTrain.lr, py::arg("batch_size") = kTrain.batch_size, py::arg("on_epoch") = py::none(),
      "Mini-batch Adam (fresh moments) with internal noise 0; masks stay fixed, pruned weights stay 0.\n"
      "on_epoch(epoch, loss, sigma) is called after each epoch.");
  m.def(
      "train_with_stress",
      [](Mlp& net, const Dataset& data, Rng& shuffle, NoiseSource& noise, float sigma0, int epochs, float lr,
         Index batch_size, const py::object& on_epoch) {
        const EpochCallback hook = epoch_hook(on_epoch);
        py::gil_scoped_release nogil;
        return train_with_stress(net, data, train_options(epochs, lr, batch_size), sigma0, shuffle, noise, hook);
      },
      py::arg("net"), py::arg("data"), py::arg("shuffle"), py::arg("noise"), py::kw_only(), py::arg("sigma0"),
      py::arg("epochs") = kTrain.epochs, py::arg("lr") = kTrain.lr, py::arg("batch_size") = kTrain.batch_size,
      py::arg("on_epoch") = py::none(),
      "Training under internal noise tapering linearly from sigma0 (first epoch) to 0 (last epoch).");
}

void bind_prune_regrow(py::module_& m) {
  m.def(
      "prune_to",
      [](Mlp& net, double target, const std::string& scope) {
        const PruneScope s = parse_prune_scope(scope);
        py::gil_scoped_release nogil;
        prune_to(net, target, s);
      },
      py::arg("net"), py::arg("target"), py::arg("scope") = to_string(PruneScope::per_layer),
      "Magnitude pruning to `target` sparsity in [0, 1): the target-quantile of |W| per layer, or over all\n"
      "layers with scope=\"global\". Never reopens a pruned weight. Biases are not pruned.");
  m.def("prune_layer_to", &prune_layer_to, py::arg("layer"), py::arg("target"),
        py::call_guard<py::gil_scoped_release>(), "prune_to for one layer.");
  m.def(
      "regrow_by_gradient",
      [](Mlp& net, const Dataset& data, Rng& shuffle, Rng& values, int batches, double fraction, float init_sd,
         Index batch_size, const std::string& ties) {
        const RegrowOptions o{batches, fraction, init_sd, batch_size, parse_regrow_ties(ties)};
        py::gil_scoped_release nogil;
        return regrow_by_gradient(net, data, o, shuffle, values);
      },
      py::arg("net"), py::arg("data"), py::arg("shuffle"), py::arg("values"), py::kw_only(),
      py::arg("batches") = kRegrow.batches, py::arg("fraction") = kRegrow.fraction,
      py::arg("init_sd") = kRegrow.init_sd, py::arg("batch_size") = kRegrow.batch_size,
      py::arg("ties") = to_string(kRegrow.ties),
      "Scores pruned positions by |dL/dW| summed over `batches` mini-batches, then reopens the best\n"
      "`fraction` of each layer's pruned positions with N(0, init_sd^2) weights; ties (equal scores) are\n"
      "ordered at random (ties=\"random\") or by position (\"lowest_index\"). Returns the count per layer.");
  m.def(
      "gradient_scores",
      [](Mlp& net, const Dataset& data, Rng& shuffle, int batches, Index batch_size) {
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
      "Per layer, the sum of the full |dL/dW| over `batches` mini-batches (what regrowth ranks by).");
}

void bind_evaluate(py::module_& m) {
  m.def(
      "accuracy",
      [](const Mlp& net, const Dataset& data, NoiseSource* noise, float input_sigma, float internal_sigma,
         Index chunk) {
        detail::require(noise != nullptr || (input_sigma == 0.0f && internal_sigma == 0.0f),
                        "accuracy under noise needs a NoiseSource (noise=...)");
        NoiseSource unused(0);  // never drawn from: both sigmas are 0
        py::gil_scoped_release nogil;
        return accuracy(net, data, EvalCondition{input_sigma, internal_sigma}, noise ? *noise : unused, chunk);
      },
      py::arg("net"), py::arg("data"), py::arg("noise") = py::none(), py::kw_only(), py::arg("input_sigma") = 0.0f,
      py::arg("internal_sigma") = 0.0f, py::arg("chunk") = 128,
      "Accuracy in percent, under the network's activation and damping, with N(0, input_sigma^2) added to\n"
      "the inputs and internal_sigma on the hidden units (replacing the network's own for this call).");
  m.def(
      "predict",
      [](const Mlp& net, const py::handle& X) {
        const Matrix inputs = to_matrix(X, 2, "X");
        Labels y;
        {
          py::gil_scoped_release nogil;
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
          py::gil_scoped_release nogil;
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
