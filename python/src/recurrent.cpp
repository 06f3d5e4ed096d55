// recurrent.cpp - the recurrent network (Rnn), trial sets and the three
// trial tasks, and checkpoints of an Rnn (docs/recurrent.md). The calls
// that train, prune and evaluate an Rnn are in recurrent_calls.cpp, one
// forward and backward pass of a batch (every network kind) in gradients.cpp.
//
// Sequences cross the boundary as 3-D arrays (steps, trials, channels):
// entry [t, n, c] is row t * trials + n, column c of the library's
// step-major matrix (core/types.hpp), so a C-ordered array reshaped to
// (steps * trials, channels) is that matrix.
#include "in_use.hpp"
#include "recurrent.hpp"

#include <pybind11/stl.h>

#include <optional>
#include <string>
#include <utility>

namespace rewire_python {

using namespace rewire;

py::array sequence_view(const Matrix& m, Index steps, py::handle owner) {
  const Index rows = m.rows(), trials = rows / steps, f = Index(sizeof(float));
  py::array out = py::array_t<float>({steps, trials, m.cols()}, {trials * f, f, rows * f}, m.data(), owner);
  out.attr("flags").attr("writeable") = false;
  return out;
}

py::array sequence_array(Matrix m, Index steps) {
  auto* owned = new Matrix(std::move(m));
  py::capsule free_when_done(owned, [](void* p) { delete static_cast<Matrix*>(p); });
  return sequence_view(*owned, steps, free_when_done);
}

namespace {

/// A float32 array of (steps, trials, channels) as the step-major matrix;
/// ValueError naming `what` otherwise.
Matrix to_sequence(const py::handle& obj, const char* what) {
  const std::string name = std::string("rewire: ") + what;
  if (!py::isinstance<py::array>(obj)) throw std::invalid_argument(name + " must be a numpy array of float32");
  const auto a = py::reinterpret_borrow<py::array>(obj);
  if (!a.dtype().is(py::dtype::of<float>()))
    throw std::invalid_argument(name + " must have dtype float32, got " + std::string(py::str(a.dtype())) +
                                " (convert with .astype(numpy.float32))");
  if (a.ndim() != 3)
    throw std::invalid_argument(name + " must have 3 dimensions (steps, trials, channels), got " +
                                std::to_string(a.ndim()));
  // C order: [t, n, c] at ((t * trials + n) * channels + c), a row-major (steps * trials, channels) matrix.
  const auto c = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(a);
  const Index rows = Index(c.shape(0) * c.shape(1)), channels = Index(c.shape(2));
  detail::require(channels >= 1, name + " has no channels (its last dimension is 0)");
  using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  return Eigen::Map<const RowMajor>(c.data(), rows, channels);
}

TrialSet make_trial_set(const py::handle& inputs, const py::handle& labels, const py::handle& response) {
  TrialSet set;
  set.inputs = to_sequence(inputs, "inputs");
  set.labels = to_labels(labels, "labels");
  set.response = to_matrix(response, 1, "response").col(0);
  const auto shape = py::reinterpret_borrow<py::array>(inputs).shape();
  detail::require(Index(shape[0]) == set.steps(), "inputs has " + std::to_string(shape[0]) +
                                                      " steps but response has " + std::to_string(set.steps()) +
                                                      " weights (one per step)");
  detail::require(Index(shape[1]) == set.trials(), "inputs has " + std::to_string(shape[1]) +
                                                       " trials but labels has " + std::to_string(set.trials()) +
                                                       " entries (one per trial)");
  set.validate();
  return set;
}

void bind_trials(py::module_& m) {
  py::class_<TrialSet>(m, "TrialSet",
                       "Trials of a task that unfolds in time, all of one timing: inputs per step, one class\n"
                       "label per trial, and the weight of each step's readout in the loss and the decision\n"
                       "(the response period: 1 on its steps, 0 elsewhere).")
      .def(py::init(&make_trial_set), py::arg("inputs"), py::arg("labels"), py::arg("response"),
           "Copies `inputs` (float32, (steps, trials, channels), finite), `labels` (integers >= 0, one per\n"
           "trial) and `response` (float32, one weight >= 0 per step, at least one > 0).")
      .def_property_readonly(
          "inputs",
          [](py::object self) {
            const auto& s = self.cast<const TrialSet&>();
            return sequence_view(s.inputs, s.steps(), self);
          },
          "Read-only view (steps, trials, channels).")
      .def_property_readonly(
          "labels",
          [](py::object self) {
            const auto& s = self.cast<const TrialSet&>();
            return readonly_view(s.labels.data(), s.trials(), 0, self);
          },
          "Read-only view (trials,), int32.")
      .def_property_readonly(
          "response",
          [](py::object self) {
            const auto& s = self.cast<const TrialSet&>();
            return readonly_view(s.response.data(), s.steps(), 0, self);
          },
          "Read-only view (steps,): each step's weight, 0 = not counted.")
      .def_property_readonly("steps", &TrialSet::steps)
      .def_property_readonly("trials", &TrialSet::trials)
      .def_property_readonly("channels", &TrialSet::channels)
      .def("__len__", &TrialSet::trials)
      .def("__repr__", [](const TrialSet& s) {
        return "TrialSet(steps=" + std::to_string(s.steps()) + ", trials=" + std::to_string(s.trials()) +
               ", channels=" + std::to_string(s.channels()) + ")";
      });
  m.def(
      "response_period",
      [](Index steps, Index first, Index count) { return readonly_copy(response_period(steps, first, count)); },
      py::arg("steps"), py::arg("first"), py::arg("count"),
      "Response weights (float32, (steps,)): 1 at the `count` steps from `first` on, 0 elsewhere.");
}

TrialTiming timing(Index fixation, Index stimulus, Index delay, Index response) {
  return TrialTiming{fixation, stimulus, delay, response};
}

const ClusterTaskSpec kCluster{};
const DecisionTaskSpec kDecision{};

void bind_tasks(py::module_& m) {
  using Centres = std::optional<ClusterCentres>;
  auto cluster_task = [](auto make) {
    return [make](Index trials, float sigma, Rng& rng, Index fixation, Index stimulus, Index delay, Index response,
                  float step_sigma, const Centres& centres) {
      ClusterTaskSpec spec;
      spec.timing = timing(fixation, stimulus, delay, response);
      spec.step_sigma = step_sigma;
      if (centres) spec.centres = *centres;
      py::gil_scoped_release nogil;
      return make(trials, sigma, spec, rng);
    };
  };
  const char* cluster_doc =
      "Clusters over time: per trial a label uniform over the centres and a point centre + sigma N(0, I)\n"
      "(as make_gaussian_clusters), shown from the end of fixation to the end of the trial with fresh\n"
      "N(0, step_sigma^2) noise per coordinate and step (delay must be 0); the class is reported in the\n"
      "last `response` steps. Channels: the coordinates, then fixation (1 until the response period).\n"
      "centres: one per class (None: the study's four 2-D centres).";
  const char* memory_doc =
      "Working memory: the point of make_cluster_trials (same draws), shown during the stimulus period\n"
      "only; blank (fixation only) during the delay, reported in the response period after it.";
  auto cluster_args = [&](const char* name, auto fn, const char* doc, Index delay) {
    m.def(name, fn, py::arg("trials"), py::arg("sigma"), py::arg("rng"), py::kw_only(),
          py::arg("fixation") = kCluster.timing.fixation, py::arg("stimulus") = kCluster.timing.stimulus,
          py::arg("delay") = delay, py::arg("response") = kCluster.timing.response,
          py::arg("step_sigma") = kCluster.step_sigma, py::arg("centres") = py::none(), doc);
  };
  cluster_args("make_cluster_trials",
               cluster_task([](Index n, float s, const ClusterTaskSpec& spec, Rng& r) {
                 return make_cluster_trials(n, s, spec, r);
               }),
               cluster_doc, kCluster.timing.delay);
  cluster_args("make_memory_trials",
               cluster_task([](Index n, float s, const ClusterTaskSpec& spec, Rng& r) {
                 return make_memory_trials(n, s, spec, r);
               }),
               memory_doc, kCluster.timing.delay);
  m.def(
      "make_decision_trials",
      [](Index trials, float sigma, Rng& rng, Index fixation, Index stimulus, Index delay, Index response,
         float coherence) {
        DecisionTaskSpec spec;
        spec.timing = timing(fixation, stimulus, delay, response);
        spec.coherence = coherence;
        py::gil_scoped_release nogil;
        return make_decision_trials(trials, sigma, spec, rng);
      },
      py::arg("trials"), py::arg("sigma"), py::arg("rng"), py::kw_only(),
      py::arg("fixation") = kDecision.timing.fixation, py::arg("stimulus") = kDecision.timing.stimulus,
      py::arg("delay") = kDecision.timing.delay, py::arg("response") = kDecision.timing.response,
      py::arg("coherence") = kDecision.coherence,
      "Perceptual decision (random-dot-motion-like): two evidence channels, then fixation; during the\n"
      "stimulus the true choice's channel has mean (1 + coherence) / 2, the other (1 - coherence) / 2,\n"
      "each with fresh N(0, sigma^2) noise per step; blank delay, then the response period. 2 classes.");
}

Rnn make_rnn(Index inputs, Index units, Index outputs, float alpha, bool dale, double excitatory_fraction,
             const std::string& activation) {
  RnnOptions options;
  options.alpha = alpha;
  options.dale = dale;
  options.excitatory_fraction = excitatory_fraction;
  Rnn net(inputs, units, outputs, options);
  net.modulation().activation = parse_activation(activation);
  return net;
}

void bind_rnn_modulation(py::class_<Rnn>& c) {
  c.def_property(
       "activation", [](const Rnn& net) { return std::string(to_string(net.modulation().activation)); },
       [](Rnn& net, const std::string& a) {
         require_idle(net);
         net.modulation().activation = parse_activation(a);
       },
       "phi: \"relu\" or \"tanh\".")
      .def_property(
          "noise_sigma", [](const Rnn& net) { return net.modulation().noise_sigma; },
          [](Rnn& net, float s) {
            require_idle(net);
            Modulation mod = net.modulation();
            mod.noise_sigma = s;
            net.modulation() = checked(mod);
          },
          "Internal noise sigma (>= 0), added to every unit's input current inside phi at every step.")
      .def_property(
          "damping", [](const Rnn& net) { return net.modulation().damping; },
          [](Rnn& net, float d) {
            require_idle(net);
            Modulation mod = net.modulation();
            mod.damping = d;
            net.modulation() = checked(mod);
          },
          "Factor d on phi(u_t) in the leak (>= 0).");
}

const RnnOptions kRnn{};

void bind_rnn(py::module_& m) {
  py::class_<Rnn> c(m, "Rnn",
                    "Masked leaky rate RNN (docs/recurrent.md). Per step t, with h_{-1} = 0:\n"
                    "  u_t = x_t W_in^T + b_in + h_{t-1} W_rec^T + b_rec + noise_sigma * n_t\n"
                    "  h_t = (1 - alpha) h_{t-1} + alpha * damping * phi(u_t),   y_t = h_t W_out^T + b_out\n"
                    "phi relu or tanh. dale=True: the first round(excitatory_fraction * units) units are\n"
                    "excitatory, the rest inhibitory; W_rec and W_out compute with |W| * unit_signs[column].\n"
                    "All weights start at zero: call init(Rng(seed, Purpose.init)) first.");
  c.def(py::init(&make_rnn), py::arg("inputs"), py::arg("units"), py::arg("outputs"), py::kw_only(),
        py::arg("alpha") = kRnn.alpha, py::arg("dale") = kRnn.dale,
        py::arg("excitatory_fraction") = kRnn.excitatory_fraction,
        py::arg("activation") = to_string(Modulation{}.activation),
        "inputs channels, units recurrent units, outputs classes (each >= 1); alpha = dt / tau in (0, 1];\n"
        "excitatory_fraction in [0, 1].")
      .def("init",
           [](Rnn& net, Rng& rng) {
             require_idle(net);
             net.init(rng);
           },
           py::arg("rng"),
           "PyTorch's nn.Linear initialisation of W_in, W_rec, W_out (each with its bias), in that order;\n"
           "under Dale's law the inhibitory columns of W_rec are then scaled by n_E / n_I.")
      .def_property_readonly("inputs", &Rnn::in_features)
      .def_property_readonly("units", &Rnn::units)
      .def_property_readonly("outputs", &Rnn::out_features)
      .def_property_readonly("alpha", &Rnn::alpha)
      .def_property_readonly("dale", [](const Rnn& net) { return net.options().dale; })
      .def_property_readonly("excitatory_fraction", [](const Rnn& net) { return net.options().excitatory_fraction; })
      .def_property_readonly("excitatory_units", &Rnn::excitatory_units,
                             "Number of excitatory units (the first ones) under Dale's law, else 0.")
      .def_property_readonly(
          "unit_signs",
          [](const Rnn& net) -> py::object {
            if (!net.options().dale) return py::none();
            return readonly_copy(net.unit_signs());
          },
          "+1 per excitatory and -1 per inhibitory unit (float32, (units,)) under Dale's law, else None.")
      .def_property_readonly(
          "layers",
          [](py::object self) {
            auto& net = self.cast<Rnn&>();
            py::list out;
            for (std::size_t l = 0; l < net.num_layers(); ++l)
              out.append(py::cast(&net.layer(l), py::return_value_policy::reference_internal, self));
            return out;
          },
          "[W_in, W_rec, W_out] as MaskedLinear (weight = the stored W; under Dale's law the effective\n"
          "weight of W_rec and W_out is |W| * unit_signs[column]); each keeps the network alive.")
      .def_property_readonly(
          "layer_names",
          [](const Rnn& net) {
            std::vector<std::string> names;
            for (std::size_t l = 0; l < net.num_layers(); ++l) names.push_back(net.layer_name(l));
            return names;
          },
          "\"rnn.input\", \"rnn.recurrent\", \"rnn.output\": parameters are \"<name>.weight\" and \"<name>.bias\".")
      .def_property_readonly("num_weights", &Rnn::num_weights, "Number of weights (biases not counted).")
      .def_property_readonly("num_active_weights", &Rnn::num_active_weights, "Number of unmasked weights.")
      .def_property_readonly("sparsity", &Rnn::sparsity, "Pruned weights / all weights.")
      .def("set_kernel_path",
           [](Rnn& net, KernelPath path, double crossover) {
             require_idle(net);
             net.set_kernel_path(path, crossover);
           },
           py::arg("path"), py::arg("crossover") = kDefaultSparseCrossover,
           "Sets every matrix's kernel choice (results are the same to float rounding).")
      .def("__copy__", [](const Rnn& net) {
        require_idle(net);  // a copy taken mid-step would mix two steps' weights
        return Rnn(net);
      })
      .def("__deepcopy__", [](const Rnn& net, py::dict) {
        require_idle(net);
        return Rnn(net);
      }, py::arg("memo"))
      .def("__repr__", [](const Rnn& net) {
        return "Rnn(inputs=" + std::to_string(net.in_features()) + ", units=" + std::to_string(net.units()) +
               ", outputs=" + std::to_string(net.out_features()) + ", alpha=" + std::to_string(net.alpha()) +
               ", dale=" + (net.options().dale ? "True" : "False") + ")";
      });
  bind_rnn_modulation(c);
}

}  // namespace

void bind_recurrent(py::module_& m) {
  bind_trials(m);
  bind_tasks(m);
  bind_rnn(m);
  bind_recurrent_calls(m);
  bind_batch_gradients(m);
}

}  // namespace rewire_python
