// checkpoints.cpp - save and load of both network kinds: the .npz files of
// the C++ io::save / io::load (docs/checkpoints.md), written atomically.
#include "bindings.hpp"
#include "in_use.hpp"

#include <pybind11/stl.h>

#include <string>

namespace rewire_python {

using namespace rewire;

namespace {

std::string fspath(const py::object& path) {
  return py::str(py::module_::import("os").attr("fspath")(path));
}

void bind_rnn_checkpoint(py::module_& m) {
  m.def(
      "save",
      [](const py::object& path, const Rnn& net) {
        const std::string file = fspath(path);
        require_idle(net);  // a checkpoint taken mid-step would mix two steps' weights
        io::RnnCheckpoint c;
        c.net = net;
        py::gil_scoped_release nogil;
        io::save(file, c);
      },
      py::arg("path"), py::arg("net"),
      "Writes a recurrent network (weights, masks, alpha, Dale's law, modulation) to a .npz checkpoint\n"
      "atomically: the bytes of the C++ io::save for the same network (docs/checkpoints.md).");
  m.def(
      "load_rnn",
      [](const py::object& path) {
        const std::string file = fspath(path);
        py::gil_scoped_release nogil;
        try {
          return io::load_rnn(file).net;
        } catch (const io::FormatError& e) {  // a bad file is a bad argument
          throw std::invalid_argument(std::string("path: ") + e.what());
        }
      },
      py::arg("path"),
      "Reads a recurrent network's checkpoint (from save or the C++ io::save); a bad file, a feed-forward\n"
      "network's included, raises ValueError naming the file and the problem.");
}

void bind_mlp_checkpoint(py::module_& m) {
  m.def(
      "save",
      [](const py::object& path, const Mlp& net) {
        const std::string file = fspath(path);
        require_idle(net);  // a checkpoint taken mid-step would mix two steps' weights
        io::Checkpoint c;
        c.net = net;
        py::gil_scoped_release nogil;
        io::save(file, c);
      },
      py::arg("path"), py::arg("net"),
      "Writes an Mlp (weights, masks, biases, activation, damping, noise sigma) to a .npz checkpoint\n"
      "atomically: the bytes of the C++ io::save for the same network (docs/checkpoints.md).");
  m.def(
      "load",
      [](const py::object& path) {
        const std::string file = fspath(path);
        py::gil_scoped_release nogil;
        try {
          return io::load(file).net;
        } catch (const io::FormatError& e) {  // a bad file is a bad argument
          throw std::invalid_argument(std::string("path: ") + e.what());
        }
      },
      py::arg("path"),
      "Reads an Mlp's checkpoint (from save or the C++ io::save, or numpy.savez with the same arrays);\n"
      "a bad file, a recurrent network's included, raises ValueError naming the file and the problem.");
}

}  // namespace

void bind_checkpoints(py::module_& m) {
  bind_mlp_checkpoint(m);
  bind_rnn_checkpoint(m);
}

}  // namespace rewire_python
