// tests/finite_differences.hpp - central finite differences in double and
// how their agreement with an analytic gradient is scored; shared by the
// gradient checks of every network kind.
//
// Score of one entry: |fd - g| / max(|fd|, |g|, kFloor) must be < 1e-6.
//
// Step and floor. Central differences (f(x+h) - f(x-h)) / 2h have
//  - truncation error h^2 |f'''| / 6, and
//  - rounding error ~ ulp(f) / 2h: the scalar f (a loss ~1.4, or a sum of
//    ~40 products) is computed to a few ulp, ~4e-16, so the quotient carries
//    ~1e-10 * (1e-6 / h) of noise.
// h = 6e-6 ~ cbrt(eps), the textbook optimum for central differences, keeps
// both below ~1e-10 here (measured: worst relative error 6e-8 over all the
// checks of test_gradients.cpp, against 2e-7 with h = 1e-6 and 3.5e-8 with h = 1e-5).
// A relative error is only meaningful where the gradient is well above that
// noise. kFloor = 1e-3 makes gradients smaller than 1e-3 be checked in
// absolute terms, |fd - g| < 1e-9, still far below what any real mistake
// (a missing damping factor, a transposed index, a wrong mask) produces:
// the sanity test at the end of test_gradients.cpp shows such mistakes give relative errors of
// 1e-1 or more, and that a 1e-5 relative perturbation of a single entry is
// caught.
// ReLU kinks: inputs are drawn so that every hidden pre-activation is at
// least 1e-3 away from 0 (the step moves a pre-activation by at most
// h * max|input| ~ 1e-5), so the finite differences never straddle a kink.
#pragma once

#include <rewire/rewire.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <sstream>
#include <string>

namespace rewire_test {

using rewire::Index;

constexpr double kStep = 6e-6;
constexpr double kFloor = 1e-3;
constexpr double kTol = 1e-6;

inline double rel_error(double fd, double g) {
  return std::abs(fd - g) / std::max({std::abs(fd), std::abs(g), kFloor});
}

/// Worst entry of a comparison, with where it happened.
struct Worst {
  double err = 0.0;
  double fd = 0.0, g = 0.0;
  std::string where;
  long compared = 0;
  long above_floor = 0;  ///< entries with a gradient above the floor (truly relative)
  void add(double fd_, double g_, const std::string& w) {
    ++compared;
    if (std::max(std::abs(fd_), std::abs(g_)) > kFloor) ++above_floor;
    const double e = rel_error(fd_, g_);
    if (e > err || where.empty()) {
      err = e;
      fd = fd_;
      g = g_;
      where = w;
    }
  }
  std::string str() const {
    std::ostringstream s;
    s.precision(17);
    s << "worst rel err " << err << " at " << where << " (fd " << fd << ", analytic " << g << "), "
      << compared << " entries compared, " << above_floor << " above the floor";
    return s.str();
  }
};

/// Central difference of f with respect to *x.
inline double central_difference(double* x, const std::function<double()>& f) {
  const double x0 = *x;
  *x = x0 + kStep;
  const double fp = f();
  *x = x0 - kStep;
  const double fm = f();
  *x = x0;
  return (fp - fm) / (2 * kStep);
}

/// Central difference of f with respect to weight entry k (column-major) of
/// `layer`, masked positions included. The layer's values are written only
/// through set_weight, which stores masked entries as zero; so for the
/// duration of the call the mask is all ones (the same function of W: a
/// pruned weight contributes through its value, 0), and the layer is
/// restored afterwards, storage, mask and kernel path included.
template <typename T>
double weight_difference(rewire::BasicMaskedLinear<T>& layer, Index k, const std::function<double()>& f) {
  const rewire::BasicMaskedLinear<T> saved = layer;
  layer.set_mask(rewire::MatrixT<T>::Ones(layer.out_features(), layer.in_features()));
  rewire::MatrixT<T> W = layer.weight();
  const double w0 = W.data()[k];
  W.data()[k] = w0 + kStep;
  layer.set_weight(W);
  const double fp = f();
  W.data()[k] = w0 - kStep;
  layer.set_weight(W);
  const double fm = f();
  layer = saved;
  return (fp - fm) / (2 * kStep);
}

}  // namespace rewire_test
