// optimizers.cpp - the optimisers (Adam/AdamW, SGD with momentum) and the
// learning-rate schedules, for training loops written in Python:
//
//   opt = rewire.Sgd(lr=0.1, momentum=0.9, nesterov=True)
//   for step in range(steps):
//       opt.lr = rewire.cosine_lr(0.1, step, steps)
//       rewire.forward_backward(net, batch)   # gradients into the layers
//       opt.step(net)                         # pruned weights stay 0
//
// An optimiser keeps per-entry state by the network's parameter list; after
// a mask change (prune, regrow, drop_and_grow) call reset() or make a new one.
#include "bindings.hpp"
#include "in_use.hpp"

#include <pybind11/stl.h>

#include <utility>

namespace rewire_python {

using namespace rewire;

namespace {

/// Registers opt.step(net) for the Mlp and the Rnn.
template <class Optimizer, class Class>
void def_step(Class& c) {
  auto step = [](Optimizer& opt, auto& net) {
    const Computing nogil(net);  // releases the GIL, refuses a network in use elsewhere
    opt.step(net.parameters());
  };
  const char* doc =
      "One update of every parameter of `net` from the gradients in its layers (forward_backward).\n"
      "Pruned weights stay exactly 0. Refused after a mask change: reset() first.";
  c.def("step", [step](Optimizer& opt, Mlp& net) { step(opt, net); }, py::arg("net"), doc)
      .def("step", [step](Optimizer& opt, Rnn& net) { step(opt, net); }, py::arg("net"), doc)
      .def_property("lr", [](const Optimizer& opt) { return opt.options().lr; }, &Optimizer::set_lr,
                    "The learning rate of the next steps (> 0).")
      .def_property_readonly("steps", &Optimizer::steps, "Steps taken since construction or reset().")
      .def("reset", &Optimizer::reset, "Forgets the per-entry state and the step count.");
}

void bind_adam(py::module_& m) {
  const AdamOptions d{};
  py::class_<Adam> c(m, "Adam",
                     "Adam in PyTorch's form; weight_decay > 0 adds an L2 term to the gradient\n"
                     "(torch.optim.Adam) or, with decoupled_weight_decay=True, decays the weights (AdamW).");
  c.def(py::init([](float lr, std::pair<float, float> betas, float eps, float weight_decay, bool decoupled) {
          return Adam(AdamOptions{lr, betas.first, betas.second, eps, weight_decay, decoupled});
        }),
        py::kw_only(), py::arg("lr") = d.lr, py::arg("betas") = std::make_pair(d.beta1, d.beta2),
        py::arg("eps") = d.eps, py::arg("weight_decay") = d.weight_decay,
        py::arg("decoupled_weight_decay") = d.decoupled_weight_decay);
  def_step<Adam>(c);
}

void bind_sgd(py::module_& m) {
  const SgdOptions d{};
  py::class_<Sgd> c(m, "Sgd", "Stochastic gradient descent in torch.optim.SGD's form (momentum, dampening,\n"
                              "Nesterov, weight_decay as an L2 term in the gradient).");
  c.def(py::init([](float lr, float momentum, float dampening, bool nesterov, float weight_decay) {
          return Sgd(SgdOptions{lr, momentum, dampening, nesterov, weight_decay});
        }),
        py::kw_only(), py::arg("lr") = d.lr, py::arg("momentum") = d.momentum, py::arg("dampening") = d.dampening,
        py::arg("nesterov") = d.nesterov, py::arg("weight_decay") = d.weight_decay);
  def_step<Sgd>(c);
}

void bind_schedules(py::module_& m) {
  m.def("step_lr", &step_lr, py::arg("base"), py::arg("t"), py::arg("step_size"), py::arg("gamma"),
        "StepLR: base * gamma ** (t // step_size).");
  m.def("cosine_lr", &cosine_lr, py::arg("base"), py::arg("t"), py::arg("t_max"), py::arg("eta_min") = 0.0f,
        "CosineAnnealingLR's closed form: eta_min + (base - eta_min) (1 + cos(pi t / t_max)) / 2, eta_min\n"
        "after t_max.");
  m.def("linear_warmup_lr", &linear_warmup_lr, py::arg("base"), py::arg("t"), py::arg("total"),
        py::arg("start_factor"),
        "LinearLR as a warm-up: base * (start_factor + (1 - start_factor) * min(t, total) / total).");
}

}  // namespace

void bind_optimizers(py::module_& m) {
  bind_adam(m);
  bind_sgd(m);
  bind_schedules(m);
}

}  // namespace rewire_python
