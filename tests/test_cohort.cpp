// test_cohort.cpp - a virtual patient's draws (rewire/protocol/cohort.hpp):
// each from its own (seed, key) stream, with the moments of its declared
// distribution over many patients, and bad parameters refused by name.
#include <rewire/protocol/cohort.hpp>

#include <catch2/catch.hpp>

#include "require_invalid.hpp"

#include <cmath>
#include <map>
#include <vector>

using rewire::protocol::Distribution;
using rewire::protocol::DistributionKind;
using rewire::protocol::draw;

namespace {

constexpr int kPatients = 20000;

// Mean and population SD of the draws of patients 0 .. kPatients - 1.
std::pair<double, double> moments(const Distribution& d, const std::string& key) {
  double sum = 0, squares = 0;
  for (int s = 0; s < kPatients; ++s) {
    const double v = draw(d, std::uint64_t(s), key);
    sum += v;
    squares += v * v;
  }
  const double mean = sum / kPatients;
  return {mean, std::sqrt(squares / kPatients - mean * mean)};
}

Distribution uniform(double low, double high) {
  Distribution d;
  d.low = low;
  d.high = high;
  return d;
}

}  // namespace

TEST_CASE("a patient's draw depends on its seed and key only", "[protocol][cohort]") {
  const Distribution d = uniform(2.0, 3.0);
  std::vector<double> forward, backward(10);
  for (int s = 0; s < 10; ++s) forward.push_back(draw(d, std::uint64_t(s), "a.b"));
  for (int s = 9; s >= 0; --s) backward[std::size_t(s)] = draw(d, std::uint64_t(s), "a.b");
  CHECK(forward == backward);
  // Another key is another stream; so is another seed.
  CHECK(draw(d, 3, "a.b") != draw(d, 3, "a.c"));
  CHECK(draw(d, 3, "a.b") != draw(d, 4, "a.b"));
  for (double v : forward) CHECK((v >= 2.0 && v < 3.0));
}

TEST_CASE("draws have the moments of their distribution", "[protocol][cohort]") {
  // Standard errors of a mean over 20000 draws: uniform(2, 6) SD 4 / sqrt 12
  // = 1.155 -> 0.008; normal SD 2 -> 0.014. Tolerances are 5 of them.
  const auto [um, us] = moments(uniform(2.0, 6.0), "u");
  CHECK_THAT(um, Catch::Matchers::WithinAbs(4.0, 0.04));
  CHECK_THAT(us, Catch::Matchers::WithinAbs(4.0 / std::sqrt(12.0), 0.03));

  Distribution n;
  n.kind = DistributionKind::normal;
  n.mean = -1.0;
  n.sd = 2.0;
  const auto [nm, ns] = moments(n, "n");
  CHECK_THAT(nm, Catch::Matchers::WithinAbs(-1.0, 0.07));
  CHECK_THAT(ns, Catch::Matchers::WithinAbs(2.0, 0.05));

  // Clipped into [-1, 0]: half the mass at -1 (the left half of the normal)
  // and every value inside the clip.
  n.clipped = true;
  n.clip_lo = -1.0;
  n.clip_hi = 0.0;
  int at_low = 0;
  for (int s = 0; s < kPatients; ++s) {
    const double v = draw(n, std::uint64_t(s), "n");
    CHECK((v >= -1.0 && v <= 0.0));
    at_low += v == -1.0;
  }
  CHECK_THAT(double(at_low) / kPatients, Catch::Matchers::WithinAbs(0.5, 0.02));

  // Log-normal: the log of a draw is normal(mu, sigma).
  Distribution l;
  l.kind = DistributionKind::lognormal;
  l.mu = 0.5;
  l.sigma = 0.25;
  double sum = 0;
  for (int s = 0; s < kPatients; ++s) sum += std::log(draw(l, std::uint64_t(s), "l"));
  CHECK_THAT(sum / kPatients, Catch::Matchers::WithinAbs(0.5, 0.01));
}

TEST_CASE("a choice takes its values at their weights' shares", "[protocol][cohort]") {
  Distribution c;
  c.kind = DistributionKind::choice;
  c.values = {1.0, 2.0, 4.0};
  c.weights = {1.0, 0.0, 3.0};
  std::map<double, int> counts;
  for (int s = 0; s < kPatients; ++s) ++counts[draw(c, std::uint64_t(s), "c")];
  CHECK(counts.count(2.0) == 0);  // weight 0: never
  // Share of 4: 3/4, binomial SD sqrt(3/16 / 20000) = 0.003.
  CHECK_THAT(double(counts[4.0]) / kPatients, Catch::Matchers::WithinAbs(0.75, 0.015));
  c.weights.clear();  // equal weights
  counts.clear();
  for (int s = 0; s < kPatients; ++s) ++counts[draw(c, std::uint64_t(s), "c")];
  for (double v : c.values) CHECK_THAT(double(counts[v]) / kPatients, Catch::Matchers::WithinAbs(1.0 / 3.0, 0.015));
}

TEST_CASE("the support is what a caller checks against a range", "[protocol][cohort]") {
  CHECK(uniform(1, 2).support() == std::vector<double>{1, 2});
  // The largest |z| Rng::normal can give: the smallest u1 (a = 0) at angle 0.
  float z0 = 0, z1 = 0;
  rewire::detail::box_muller(0, 0, z0, z1);
  CHECK(z0 > 5.76);
  CHECK(z0 < rewire::protocol::kMaxNormal);
  Distribution n;
  n.kind = DistributionKind::normal;
  n.mean = 1;
  n.sd = 0.5;
  CHECK(n.support() == std::vector<double>{1 - 0.5 * rewire::protocol::kMaxNormal, 1 + 0.5 * rewire::protocol::kMaxNormal});
  n.clipped = true;
  n.clip_lo = 0.25;
  n.clip_hi = 0.5;
  CHECK(n.support() == std::vector<double>{0.25, 0.5});
  Distribution l;
  l.kind = DistributionKind::lognormal;
  CHECK(l.support() == std::vector<double>{std::exp(-rewire::protocol::kMaxNormal), std::exp(rewire::protocol::kMaxNormal)});
}

TEST_CASE("bad distribution parameters are refused by name", "[protocol][cohort]") {
  REQUIRE_INVALID(draw(uniform(3, 3), 0, "k"), "high = 3 must be above low = 3");
  REQUIRE_INVALID(draw(uniform(std::nan(""), 3), 0, "k"), "low = nan is not a finite number");
  Distribution n;
  n.kind = DistributionKind::normal;
  n.sd = 0;
  REQUIRE_INVALID(draw(n, 0, "k"), "sd = 0 must be > 0");
  n.sd = 1;
  n.clipped = true;
  n.clip_lo = 1;
  n.clip_hi = -1;
  REQUIRE_INVALID(draw(n, 0, "k"), "clip = [1, -1] must have lo < hi");
  Distribution l;
  l.kind = DistributionKind::lognormal;
  l.sigma = -1;
  REQUIRE_INVALID(draw(l, 0, "k"), "sigma = -1 must be > 0");
  Distribution c;
  c.kind = DistributionKind::choice;
  REQUIRE_INVALID(draw(c, 0, "k"), "values is empty");
  c.values = {1, 2};
  c.weights = {1};
  REQUIRE_INVALID(draw(c, 0, "k"), "weights has 1 entries");
  c.weights = {1, -1};
  REQUIRE_INVALID(draw(c, 0, "k"), "weights[1] = -1 must be >= 0");
  c.weights = {0, 0};
  REQUIRE_INVALID(draw(c, 0, "k"), "weights are all 0");
}
