// tests/test_helpers.hpp - small deterministic fixtures shared by the unit
// tests. Random values come from rewire::Rng (fixed algorithm), never from
// std::*_distribution, so every test input is the same on every platform.
#pragma once

#include <rewire/rewire.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

namespace rewire_test {

using rewire::Index;
using rewire::Rng;

/// (rows x cols) matrix of U(lo, hi) entries from `rng`, column-major order.
template <typename T = float>
rewire::MatrixT<T> random_matrix(Index rows, Index cols, Rng& rng, float lo = -1.0f, float hi = 1.0f) {
  rewire::MatrixT<T> M(rows, cols);
  for (Index k = 0; k < M.size(); ++k) M.data()[k] = T(rng.uniform(lo, hi));
  return M;
}

/// Vector of U(lo, hi) entries.
template <typename T = float>
rewire::VectorT<T> random_vector(Index n, Rng& rng, float lo = -1.0f, float hi = 1.0f) {
  rewire::VectorT<T> v(n);
  for (Index k = 0; k < n; ++k) v[k] = T(rng.uniform(lo, hi));
  return v;
}

/// 0/1 mask with each entry 0 with probability `p_zero`.
template <typename T = float>
rewire::MatrixT<T> random_mask(Index rows, Index cols, Rng& rng, float p_zero) {
  rewire::MatrixT<T> M(rows, cols);
  for (Index k = 0; k < M.size(); ++k) M.data()[k] = rng.uniform() < p_zero ? T(0) : T(1);
  return M;
}

/// Labels uniform in [0, classes).
inline rewire::Labels random_labels(Index n, int classes, Rng& rng) {
  rewire::Labels y(n);
  for (Index k = 0; k < n; ++k) y[k] = std::int32_t(rng.below(std::uint32_t(classes)));
  return y;
}

/// Every parameter byte of a float network, concatenated: per layer, in
/// order, the dense (out x in) weights (column-major, masked entries +0 or
/// -0 as stored) and then the biases.
inline std::vector<unsigned char> parameter_bytes(const rewire::Mlp& net) {
  std::vector<unsigned char> out;
  auto append = [&out](const float* data, Index n) {
    const auto* b = reinterpret_cast<const unsigned char*>(data);
    out.insert(out.end(), b, b + n * Index(sizeof(float)));
  };
  for (std::size_t l = 0; l < net.num_layers(); ++l) {
    const rewire::Matrix W = net.layer(l).weight();
    append(W.data(), W.size());
    append(net.layer(l).bias().data(), net.layer(l).bias().size());
  }
  return out;
}

/// The same for a recurrent network: its input, recurrent and output
/// matrices in order.
inline std::vector<unsigned char> parameter_bytes(const rewire::Rnn& net) {
  std::vector<unsigned char> out;
  for (std::size_t l = 0; l < net.num_layers(); ++l) {
    const rewire::Matrix W = net.layer(l).weight();
    const auto* w = reinterpret_cast<const unsigned char*>(W.data());
    out.insert(out.end(), w, w + W.size() * Index(sizeof(float)));
    const auto* b = reinterpret_cast<const unsigned char*>(net.layer(l).bias().data());
    out.insert(out.end(), b, b + net.layer(l).bias().size() * Index(sizeof(float)));
  }
  return out;
}

/// Effective recurrent and readout weights whose sign is not their
/// presynaptic unit's under Dale's law (the first round(f * units) units
/// excitatory, by the rule of nn/rnn.hpp, recomputed here): a positive
/// weight from an inhibitory unit or a negative one from an excitatory unit.
inline long dale_violations(const rewire::Rnn& net) {
  const auto excitatory = Index(std::floor(net.options().excitatory_fraction * double(net.units()) + 0.5));
  long bad = 0;
  for (auto l : {rewire::RnnLayer::recurrent, rewire::RnnLayer::output}) {
    const rewire::Matrix W = net.layer(l).effective_weight();
    for (Index j = 0; j < W.cols(); ++j)
      for (Index o = 0; o < W.rows(); ++o) bad += j < excitatory ? W(o, j) < 0.0f : W(o, j) > 0.0f;
  }
  return bad;
}

/// 64-bit FNV-1a of a byte string.
inline std::uint64_t fnv1a64(const std::vector<unsigned char>& bytes) {
  rewire::Fnv1a64 f;
  f.bytes(bytes.data(), bytes.size());
  return f.value();
}

/// Bitwise equality of two float matrices (distinguishes -0 from +0 and
/// compares NaN payloads, unlike ==).
template <typename M>
bool bitwise_equal(const M& a, const M& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         std::memcmp(a.data(), b.data(), std::size_t(a.size()) * sizeof(*a.data())) == 0;
}

/// max |got - want| / scale over all entries (scale: a bound on the magnitude of
/// the summed terms, so the result is a relative rounding error). +infinity on
/// a shape mismatch (of got, want or scale), so that any `<= tolerance` or
/// `Approx(0).margin(tolerance)` check fails.
inline double max_rel_error(const rewire::Matrix& got, const rewire::Matrix& want,
                            const rewire::Matrix& scale) {
  if (got.rows() != want.rows() || got.cols() != want.cols() || scale.rows() != got.rows() ||
      scale.cols() != got.cols())
    return std::numeric_limits<double>::infinity();
  double worst = 0.0;
  for (rewire::Index k = 0; k < got.size(); ++k) {
    const double err = std::abs(double(got.data()[k]) - double(want.data()[k]));
    worst = std::max(worst, err / (double(scale.data()[k]) + 1e-30));
  }
  return worst;
}

}  // namespace rewire_test
