// network.cpp - random streams, data sets, layers and networks.
#include "bindings.hpp"
#include "in_use.hpp"

#include <pybind11/eigen.h>
#include <pybind11/stl.h>

#include <cmath>
#include <cstdint>
#include <limits>

namespace rewire_python {

using namespace rewire;

Matrix to_matrix(const py::handle& obj, int ndim, const char* what) {
  if (!py::isinstance<py::array>(obj))
    throw std::invalid_argument(std::string("rewire: ") + what + " must be a numpy array of float32");
  const auto a = py::reinterpret_borrow<py::array>(obj);
  if (!a.dtype().is(py::dtype::of<float>()))
    throw std::invalid_argument(std::string("rewire: ") + what + " must have dtype float32, got " +
                                std::string(py::str(a.dtype())) + " (convert with .astype(numpy.float32))");
  if (a.ndim() != ndim)
    throw std::invalid_argument(std::string("rewire: ") + what + " must have " + std::to_string(ndim) +
                                " dimension(s), got " + std::to_string(a.ndim()));
  // Any memory order: numpy makes a Fortran-ordered copy only if it must.
  const auto f = py::array_t<float, py::array::f_style | py::array::forcecast>::ensure(a);
  const Index rows = Index(f.shape(0)), cols = ndim == 2 ? Index(f.shape(1)) : 1;
  return Eigen::Map<const Matrix>(f.data(), rows, cols);
}

Labels to_labels(const py::handle& obj, const char* what) {
  if (!py::isinstance<py::array>(obj))
    throw std::invalid_argument(std::string("rewire: ") + what + " must be a numpy array of integers");
  const auto a = py::reinterpret_borrow<py::array>(obj);
  const char kind = a.dtype().kind();
  if (kind != 'i' && kind != 'u')
    throw std::invalid_argument(std::string("rewire: ") + what + " must have an integer dtype, got " +
                                std::string(py::str(a.dtype())));
  if (a.ndim() != 1)
    throw std::invalid_argument(std::string("rewire: ") + what + " must be 1-dimensional, got " +
                                std::to_string(a.ndim()) + " dimensions");
  const auto wide = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>::ensure(a);
  Labels out(Index(wide.shape(0)));
  for (Index k = 0; k < out.size(); ++k) {
    const std::int64_t v = wide.data()[k];
    if (v < 0 || v > std::numeric_limits<std::int32_t>::max())
      throw std::invalid_argument(std::string("rewire: ") + what + "[" + std::to_string(k) + "] = " +
                                  std::to_string(v) + " is not a class index (an integer >= 0)");
    out[k] = std::int32_t(v);
  }
  return out;
}

namespace {

Dataset make_dataset(const py::handle& inputs, const py::handle& labels) {
  Dataset d{to_matrix(inputs, 2, "inputs"), to_labels(labels, "labels")};
  detail::require(d.size() > 0, "a data set needs at least one row");
  detail::require(d.labels.size() == d.size(), "inputs has " + std::to_string(d.size()) + " rows but labels has " +
                                                   std::to_string(d.labels.size()) + " entries");
  detail::require(d.inputs.allFinite(), "inputs contain NaN or inf");
  return d;
}

void bind_streams(py::module_& m) {
  py::enum_<Purpose>(m, "Purpose", "What a random stream is used for; part of its key.")
      .value("data", Purpose::data)
      .value("init", Purpose::init)
      .value("shuffle", Purpose::shuffle)
      .value("noise", Purpose::noise)
      .value("regrow", Purpose::regrow)
      .value("eval", Purpose::eval);
  m.def("stream_key", &stream_key, py::arg("seed"), py::arg("purpose"), py::arg("index") = 0,
        "Key of an independent random stream: a hash of (seed, purpose, index).");
  py::class_<Rng>(m, "Rng",
                  "Portable scalar random stream (xoshiro256**) keyed by stream_key(seed, purpose, index).\n"
                  "Used for data, initialisation, shuffling and regrowth; its position advances with use.")
      .def(py::init([](std::uint64_t seed, Purpose purpose, std::uint64_t index) {
             return Rng(stream_key(seed, purpose, index));
           }),
           py::arg("seed"), py::arg("purpose"), py::arg("index") = 0)
      .def("next_u64", &Rng::next_u64, "Next 64 random bits.")
      .def("uniform", py::overload_cast<>(&Rng::uniform), "Uniform float in [0, 1).")
      .def("normal", &Rng::normal, "One standard normal draw.");
  py::class_<NoiseSource>(m, "NoiseSource",
                          "Bulk normal stream for noise (inputs, hidden units), keyed like Rng.")
      .def(py::init([](std::uint64_t seed, Purpose purpose, std::uint64_t index) {
             return NoiseSource(stream_key(seed, purpose, index));
           }),
           py::arg("seed"), py::arg("purpose") = Purpose::eval, py::arg("index") = 0);
}

void bind_dataset(py::module_& m) {
  py::class_<Dataset>(m, "Dataset", "Inputs (n x features, float32) and their class labels (n, int).")
      .def(py::init(&make_dataset), py::arg("inputs"), py::arg("labels"),
           "Copies `inputs` (2-D float32, finite) and `labels` (1-D integers >= 0, one per row).")
      .def_property_readonly(
          "inputs", [](py::object self) {
            const auto& d = self.cast<const Dataset&>();
            return readonly_view(d.inputs.data(), d.inputs.rows(), d.inputs.cols(), self);
          }, "Read-only view (n x features).")
      .def_property_readonly(
          "labels", [](py::object self) {
            const auto& d = self.cast<const Dataset&>();
            return readonly_view(d.labels.data(), d.labels.size(), 0, self);
          }, "Read-only view (n,), int32.")
      .def("__len__", &Dataset::size);
  m.def("make_gaussian_clusters", [](Index n, float sigma, Rng& rng) { return make_gaussian_clusters(n, sigma, rng); },
        py::arg("n"), py::arg("sigma"), py::arg("rng"),
        "The study's task: n points around four 2-D centres (+-3, +-3), label uniform, noise sigma.");
}

}  // namespace

namespace {

void bind_layer(py::module_& m) {
  py::enum_<KernelPath>(m, "KernelPath", "Which kernels a layer uses (same results, different speed).")
      .value("automatic", KernelPath::automatic)
      .value("dense", KernelPath::dense)
      .value("sparse", KernelPath::sparse);
  py::class_<MaskedLinear>(m, "MaskedLinear",
                           "A fully connected layer Y = X W^T + b with a 0/1 mask on W (out x in).\n"
                           "Invariant: masked weights are exactly zero. Obtain one from Mlp.layers.")
      .def_property_readonly("in_features", &MaskedLinear::in_features)
      .def_property_readonly("out_features", &MaskedLinear::out_features)
      .def_property_readonly("active_weights", &MaskedLinear::active_weights, "Number of unmasked weights.")
      .def_property_readonly("uses_sparse", &MaskedLinear::uses_sparse, "True when the sparse kernels run.")
      .def_property_readonly("weight", [](const MaskedLinear& l) { return readonly_copy(l.weight()); },
                             "A read-only copy of W (out x in), masked entries zero. Change it with set_weight.")
      .def_property_readonly("weight_grad", [](const MaskedLinear& l) { return readonly_copy(l.weight_grad()); },
                             "A read-only copy of dL/dW of the last backward pass (out x in).")
      .def_property_readonly(
          "mask", [](py::object self) {
            const auto& l = self.cast<const MaskedLinear&>();
            return readonly_view(l.mask().data(), l.out_features(), l.in_features(), self);
          }, "Read-only view of the mask (out x in, 0.0 = pruned). Change it with set_mask.")
      .def_property_readonly(
          "bias", [](py::object self) {
            const auto& l = self.cast<const MaskedLinear&>();
            return readonly_view(l.bias().data(), l.out_features(), 0, self);
          }, "Read-only view of b (out,). Change it with set_bias.")
      .def_property_readonly(
          "bias_grad", [](py::object self) {
            const auto& l = self.cast<const MaskedLinear&>();
            return readonly_view(l.bias_grad().data(), l.out_features(), 0, self);
          }, "Read-only view of dL/db of the last backward pass (out,).")
      .def("set_weight", [](MaskedLinear& l, const py::handle& W) {
             require_idle(l);
             l.set_weight(to_matrix(W, 2, "weight"));
           },
           py::arg("weight"),
           "Replaces W (float32, out x in, finite). Entries at masked positions are stored as zero: the mask wins.")
      .def("set_mask", [](MaskedLinear& l, const py::handle& M) {
             require_idle(l);
             l.set_mask(to_matrix(M, 2, "mask"));
           },
           py::arg("mask"), "Replaces the mask (float32 0/1, out x in); newly masked weights become zero.")
      .def("set_bias", [](MaskedLinear& l, const py::handle& b) {
             require_idle(l);
             Matrix v = to_matrix(b, 1, "bias");
             detail::require(v.rows() == l.out_features(), "bias has " + std::to_string(v.rows()) +
                                                                " entries, expected " + std::to_string(l.out_features()));
             l.bias() = v.col(0);
           }, py::arg("bias"), "Replaces b (float32, out,).")
      .def("set_kernel_path",
           [](MaskedLinear& l, KernelPath path, double crossover) {
             require_idle(l);
             l.set_kernel_path(path, crossover);
           },
           py::arg("path"), py::arg("crossover") = kDefaultSparseCrossover);
}

void bind_mlp(py::module_& m) {
  py::class_<Mlp>(m, "Mlp",
                  "Multi-layer perceptron of masked layers, e.g. Mlp([2, 512, 512, 256, 4]).\n\n"
                  "Hidden units: H = damping * (f(Z) + noise_sigma * N(0, 1)), f = relu or tanh.\n"
                  "All weights start at zero: call init(Rng(seed, Purpose.init)) first.")
      .def(py::init([](const std::vector<Index>& widths, const std::string& activation) {
             Mlp net(widths);
             net.modulation().activation = parse_activation(activation);
             return net;
           }),
           py::arg("widths"), py::arg("activation") = to_string(Modulation{}.activation),
           "widths = [inputs, hidden..., classes] (at least two, each > 0).")
      .def("init",
           [](Mlp& net, Rng& rng) {
             require_idle(net);
             net.init(rng);
           },
           py::arg("rng"),
           "PyTorch's default initialisation of every layer, in order: U(-1/sqrt(in), 1/sqrt(in)).")
      .def_property_readonly(
          "layers", [](py::object self) {
            auto& net = self.cast<Mlp&>();
            py::list out;
            for (std::size_t l = 0; l < net.num_layers(); ++l)
              out.append(py::cast(&net.layer(l), py::return_value_policy::reference_internal, self));
            return out;
          }, "The layers (MaskedLinear), input side first; each keeps the network alive.")
      .def_property_readonly("widths", [](const Mlp& net) {
             std::vector<Index> w{net.in_features()};
             for (std::size_t l = 0; l < net.num_layers(); ++l) w.push_back(net.layer(l).out_features());
             return w;
           })
      .def_property_readonly("num_weights", &Mlp::num_weights, "Number of weights (biases not counted).")
      .def_property_readonly("num_active_weights", &Mlp::num_active_weights, "Number of unmasked weights.")
      .def_property_readonly("sparsity", &Mlp::sparsity, "Pruned weights / all weights.")
      .def_property(
          "activation", [](const Mlp& net) { return std::string(to_string(net.modulation().activation)); },
          [](Mlp& net, const std::string& a) {
            require_idle(net);
            net.modulation().activation = parse_activation(a);
          },
          "Hidden-unit nonlinearity: \"relu\" or \"tanh\".")
      .def_property(
          "noise_sigma", [](const Mlp& net) { return net.modulation().noise_sigma; },
          [](Mlp& net, float s) {
            require_idle(net);
            Modulation m = net.modulation();
            m.noise_sigma = s;
            net.modulation() = checked(m);
          }, "Internal noise sigma of the hidden units (>= 0) in training calls that do not set their own.")
      .def_property(
          "damping", [](const Mlp& net) { return net.modulation().damping; },
          [](Mlp& net, float d) {
            require_idle(net);
            Modulation m = net.modulation();
            m.damping = d;
            net.modulation() = checked(m);
          }, "Factor on every hidden output (finite).")
      .def("set_kernel_path",
           [](Mlp& net, KernelPath path, double crossover) {
             require_idle(net);
             net.set_kernel_path(path, crossover);
           },
           py::arg("path"), py::arg("crossover") = kDefaultSparseCrossover,
           "Sets every layer's kernel choice (results are the same to float rounding).")
      .def("__copy__", [](const Mlp& net) {
        require_idle(net);  // a copy taken mid-step would mix two steps' weights
        return Mlp(net);
      })
      .def("__deepcopy__", [](const Mlp& net, py::dict) {
        require_idle(net);
        return Mlp(net);
      }, py::arg("memo"));
}

}  // namespace

void bind_network(py::module_& m) {
  bind_streams(m);
  bind_dataset(m);
  bind_layer(m);
  bind_mlp(m);
}

}  // namespace rewire_python
