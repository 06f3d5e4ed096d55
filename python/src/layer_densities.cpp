// layer_densities.cpp - Erdos-Renyi (ERK) per-layer densities and the random
// masks that realise them (prune/layer_densities.hpp), for both network kinds
// and for bare layer shapes.
#include "bindings.hpp"
#include "in_use.hpp"

#include <pybind11/stl.h>

#include <string>
#include <utility>
#include <vector>

namespace rewire_python {

using namespace rewire;

namespace {

void bind_layer_densities_class(py::module_& m) {
  py::class_<LayerDensities>(m, "LayerDensities",
                             "Per-layer densities (erk_densities): exact active counts adding up to round(d * total).")
      .def_readonly("sizes", &LayerDensities::sizes, "out * in weights per layer.")
      .def_readonly("active", &LayerDensities::active, "Exact active weights per layer.")
      .def_readonly("densities", &LayerDensities::densities, "active / size per layer (what the masks get).")
      .def_readonly("ideal", &LayerDensities::ideal,
                    "epsilon * (n_in + n_out) / (n_in * n_out) per layer (1 for a dense one), before rounding.")
      .def_readonly("dense", &LayerDensities::dense, "Per layer: made dense by the cap at 1.")
      .def_readonly("epsilon", &LayerDensities::epsilon, "The scale shared by the layers that are not dense.")
      .def_property_readonly("total_active", &LayerDensities::total_active, "The active weights of all layers.")
      .def("__repr__", [](const LayerDensities& d) {
        std::string s = "LayerDensities(active=[";
        for (std::size_t l = 0; l < d.active.size(); ++l)
          s += (l ? ", " : "") + std::to_string(d.active[l]) + "/" + std::to_string(d.sizes[l]);
        return s + "], epsilon=" + std::to_string(d.epsilon) + ")";
      });
}

template <class Net>
void def_for_network(py::module_& m, const char* kind) {
  m.def(
      "erk_densities", [](const Net& net, double density) { return erk_densities(net, density); }, py::arg("net"),
      py::arg("density"),
      (std::string(kind) + ": Erdos-Renyi (= ERK for dense layers) densities of its weight matrices at overall\n"
                           "density `density` in [0, 1]; layers that would exceed 1 are dense (RigL's rule).")
          .c_str());
  m.def(
      "apply_layer_densities",
      [](Net& net, const LayerDensities& d, Rng& rng) {
        const Computing nogil(net);  // releases the GIL, refuses a network in use elsewhere
        apply_layer_densities(net, d, rng);
      },
      py::arg("net"), py::arg("densities"), py::arg("rng"),
      (std::string(kind) + ": sets every layer's mask to exactly densities.active[l] ones at random positions\n"
                           "(a partial Fisher-Yates per layer from `rng`); masked weights become 0.")
          .c_str());
  m.def(
      "apply_erk",
      [](Net& net, double density, Rng& rng) {
        const Computing nogil(net);  // releases the GIL, refuses a network in use elsewhere
        return apply_erk(net, density, rng);
      },
      py::arg("net"), py::arg("density"), py::arg("rng"),
      (std::string(kind) + ": erk_densities(net, density) applied as random masks (apply_layer_densities);\n"
                           "returns the densities. Call right after init() for RigL's start.")
          .c_str());
}

}  // namespace

void bind_layer_densities(py::module_& m) {
  bind_layer_densities_class(m);
  def_for_network<Mlp>(m, "Mlp");
  def_for_network<Rnn>(m, "Rnn");
  m.def(
      "erk_densities",
      [](const std::vector<std::pair<Index, Index>>& shapes, double density) {
        std::vector<LayerShape> s;
        for (const auto& [out, in] : shapes) s.push_back({out, in});
        return erk_densities(s, density);
      },
      py::arg("shapes"), py::arg("density"),
      "The same for weight matrices of the given (out, in) shapes.");
}

}  // namespace rewire_python
