// test_dose.cpp - the dose of a treatment (rewire/protocol/dose.hpp) on a
// hand-made pair of networks.
#include <rewire/protocol/dose.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <initializer_list>

using rewire::Matrix;
using rewire::Mlp;
using Catch::Matchers::WithinAbs;

namespace {

// A 2 x 2 matrix from its rows.
Matrix m2(float a, float b, float c, float d) {
  Matrix M(2, 2);
  M << a, b, c, d;
  return M;
}

void set_layer(Mlp& net, std::size_t l, const Matrix& mask, const Matrix& W) {
  net.layer(l).set_mask(mask);
  net.layer(l).set_weight(W);
}

}  // namespace

TEST_CASE("dose of a hand-made treatment: L1, L2, turnover and sparsity change", "[protocol][dose]") {
  Mlp before({2, 2, 2}), after({2, 2, 2});
  // Before (pruned state): 2 of 8 weights pruned, sparsity 25 %.
  set_layer(before, 0, m2(1, 1, 0, 1), m2(1, -2, 0, 4));
  set_layer(before, 1, m2(1, 0, 1, 1), m2(0.5f, 0, -1, 2));
  // After: layer 1's (1,0) regrown to 0.3, layer 2's (0,1) regrown to 0.2
  // and its (1,0) pruned (-1 -> 0); 1 of 8 pruned, sparsity 12.5 %.
  set_layer(after, 0, m2(1, 1, 1, 1), m2(1.05f, -2.5f, 0.3f, 4));
  set_layer(after, 1, m2(1, 1, 0, 1), m2(0.5f, 0.2f, 0, 2.1f));
  const rewire::protocol::Dose d = rewire::protocol::dose_between(before, after);
  // By hand: ||W_before||_1 = 1 + 2 + 4 + 0.5 + 1 + 2 = 10.5;
  // ||W_before||_2^2 = 1 + 4 + 16 + 0.25 + 1 + 4 = 26.25.
  // Changes: 0.05, -0.5, +0.3 (regrown), 0, 0, +0.2 (regrown), +1 (pruned), +0.1:
  // L1 = 2.15, L2^2 = 0.0025 + 0.25 + 0.09 + 0.04 + 1 + 0.01 = 1.3925.
  CHECK_THAT(d.l1, WithinAbs(100.0 * 2.15 / 10.5, 1e-4));
  CHECK_THAT(d.l2, WithinAbs(100.0 * std::sqrt(1.3925 / 26.25), 1e-4));
  // The 6 weights alive before; changed by more than 10 % of themselves:
  // -2 -> -2.5 (25 %) and -1 -> 0 (100 %); 1 -> 1.05 (5 %), 2 -> 2.1 (5 %),
  // 4 and 0.5 unchanged. Turnover 2 / 6. The regrown weights are not counted.
  CHECK_THAT(d.turnover, WithinAbs(100.0 * 2.0 / 6.0, 1e-9));
  CHECK_THAT(d.sparsity_change, WithinAbs(12.5 - 25.0, 1e-9));

  // No change, no dose.
  const rewire::protocol::Dose none = rewire::protocol::dose_between(before, before);
  CHECK(none.l1 == 0.0);
  CHECK(none.l2 == 0.0);
  CHECK(none.turnover == 0.0);
  CHECK(none.sparsity_change == 0.0);
}

TEST_CASE("dose metrics are recorded under their metric names", "[protocol][dose]") {
  Mlp before({2, 2, 2}), after({2, 2, 2});
  set_layer(before, 0, m2(1, 1, 1, 1), m2(1, 1, 1, 1));
  set_layer(before, 1, m2(1, 1, 1, 1), m2(1, 1, 1, 1));
  set_layer(after, 0, m2(1, 1, 1, 1), m2(2, 1, 1, 1));  // one weight doubled
  set_layer(after, 1, m2(1, 1, 1, 1), m2(1, 1, 1, 1));
  rewire::protocol::Metrics m;
  rewire::protocol::add_dose_metrics(m, {before, 42.5}, after);
  namespace metric = rewire::protocol::metric;
  // ||W||_1 = 8, ||W||_2 = sqrt(8); one change of 1: L1 = 100 / 8, L2 = 100 / sqrt(8).
  CHECK_THAT(m.at(metric::dose_l1), WithinAbs(12.5, 1e-9));
  CHECK_THAT(m.at(metric::dose_l2), WithinAbs(100.0 / std::sqrt(8.0), 1e-9));
  CHECK_THAT(m.at(metric::dose_turnover), WithinAbs(12.5, 1e-9));  // 1 of 8
  CHECK(m.at(metric::dose_sparsity_change) == 0.0);
  CHECK(m.at(metric::pretreatment_combined) == 42.5);
}
