// rewire/io/adam_moments.hpp - Adam's state in a layout-free form, the way
// a checkpoint (rewire/io/checkpoint.hpp) stores it: the moments of every
// parameter at its full shape, whichever kernel path (dense or sparse
// storage) the network used when they were taken or uses when they are
// restored.
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/core/types.hpp>
#include <rewire/nn/masked_linear.hpp>
#include <rewire/train/adam.hpp>

#include <cstddef>
#include <utility>
#include <vector>

namespace rewire::io {

/// Adam's state in a layout-free form: per parameter of the network, in
/// parameters() order (Mlp or Rnn), the full shape (weights out x in with zeros at
/// pruned positions, biases out x 1), whatever kernel path stored them.
struct AdamMoments {
  AdamOptions options;
  long step = 0;
  std::vector<Matrix> m, v;
};

/// Adam's moments for `net` (the network `adam` steps: an Mlp or an Rnn) in
/// layout-free form.
template <class Net>
AdamMoments adam_moments(Net& net, const Adam& adam) {
  const Adam::State s = adam.state();
  const std::vector<ParamRef> params = net.parameters();
  AdamMoments out{adam.options(), s.step, {}, {}};
  for (std::size_t k = 0; k < params.size(); ++k) {
    const std::size_t layer = k / 2;
    const bool bias = k % 2 == 1;
    const Index rows = net.layer(layer).out_features(), cols = bias ? 1 : net.layer(layer).in_features();
    Matrix m = Matrix::Zero(rows, cols), v = Matrix::Zero(rows, cols);
    if (!s.m.empty()) {
      const auto* offsets = params[k].offsets();  // column-major offsets of the stored entries, or all
      for (Index j = 0; j < params[k].size(); ++j) {
        const Index at = offsets ? Index((*offsets)[std::size_t(j)]) : j;
        m.data()[at] = s.m[k][j];
        v.data()[at] = s.v[k][j];
      }
    }
    out.m.push_back(std::move(m));
    out.v.push_back(std::move(v));
  }
  return out;
}

/// An Adam that continues from `moments` on `net` (gathered into the
/// layout net's parameters have now). Throws std::invalid_argument on
/// shapes that do not fit the network.
template <class Net>
Adam make_adam(Net& net, const AdamMoments& moments) {
  Adam adam(moments.options);
  const std::vector<ParamRef> params = net.parameters();
  rewire::detail::require(moments.m.size() == params.size() && moments.v.size() == params.size(),
                  "Adam moments do not match the network's parameters");
  Adam::State s{moments.step, {}, {}};
  for (std::size_t k = 0; k < params.size(); ++k) {
    const auto* offsets = params[k].offsets();
    const Index full = moments.m[k].size();
    rewire::detail::require(moments.v[k].size() == full && full == (offsets ? full : params[k].size()),
                    "Adam moments of " + params[k].name() + " have the wrong size");
    Eigen::ArrayXf m(params[k].size()), v(params[k].size());
    for (Index j = 0; j < params[k].size(); ++j) {
      const Index at = offsets ? Index((*offsets)[std::size_t(j)]) : j;
      m[j] = moments.m[k].data()[at];
      v[j] = moments.v[k].data()[at];
    }
    s.m.push_back(std::move(m));
    s.v.push_back(std::move(v));
  }
  adam.restore(params, std::move(s));
  return adam;
}

}  // namespace rewire::io
