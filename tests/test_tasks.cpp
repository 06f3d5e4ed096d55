// test_tasks.cpp - the trial generators (data/tasks.hpp) and trial sets
// (data/trials.hpp): timing of every channel, the statistics of the noise,
// determinism by key (also across threads and with other streams drawing
// in between), mini-batches of trials, and the refusal of bad knobs.
#include <catch2/catch.hpp>
#include <rewire/rewire.hpp>

#include "require_invalid.hpp"
#include "test_helpers.hpp"

#include <cmath>
#include <thread>
#include <vector>

using namespace rewire;

namespace {

ClusterTaskSpec cluster_spec() {
  ClusterTaskSpec s;
  s.timing = TrialTiming{2, 5, 3, 4};
  s.step_sigma = 0.5f;
  return s;
}

bool same_set(const TrialSet& a, const TrialSet& b) {
  return rewire_test::bitwise_equal(a.inputs, b.inputs) && a.labels == b.labels && a.response == b.response;
}

/// Mean and standard deviation of a list of numbers.
std::pair<double, double> moments(const std::vector<double>& v) {
  double m = 0, s = 0;
  for (double x : v) m += x;
  m /= double(v.size());
  for (double x : v) s += (x - m) * (x - m);
  return {m, std::sqrt(s / double(v.size() - 1))};
}

}  // namespace

TEST_CASE("cluster trials: point, fixation and response period by step", "[tasks]") {
  ClusterTaskSpec spec = cluster_spec();
  spec.timing.delay = 0;
  Rng rng(1);
  const Index N = 400;
  const TrialSet s = make_cluster_trials(N, 0.0f, spec, rng);  // points on their centres
  REQUIRE_NOTHROW(s.validate());
  const Index T = spec.timing.steps();
  REQUIRE(T == 11);
  CHECK(s.steps() == T);
  CHECK(s.trials() == N);
  CHECK(s.channels() == 3);
  CHECK(s.response == response_period(T, 7, 4));
  const ClusterCentres c = paper_centres();
  std::vector<double> noise;
  for (Index n = 0; n < N; ++n) {
    const auto label = std::size_t(s.labels[n]);
    REQUIRE(label < 4);
    for (Index t = 0; t < T; ++t) {
      const bool shown = t >= 2, fixating = t < 7;
      CHECK(s.inputs(t * N + n, 2) == (fixating ? 1.0f : 0.0f));
      for (Index j = 0; j < 2; ++j) {
        const float x = s.inputs(t * N + n, j);
        if (!shown) {
          CHECK(x == 0.0f);
        } else {
          noise.push_back(double(x) - double(c[label][std::size_t(j)]));
        }
      }
    }
  }
  const auto [mean, sd] = moments(noise);  // per-step noise: N(0, 0.5^2), 7200 draws
  CHECK(std::abs(mean) < 0.03);
  CHECK(sd == Approx(0.5).epsilon(0.03));
  // Every class occurs (labels uniform over the 4 centres).
  for (int k = 0; k < 4; ++k) CHECK((s.labels.array() == k).count() > 70);
}

TEST_CASE("cluster trials: the point is drawn once per trial with the cluster sigma", "[tasks]") {
  ClusterTaskSpec spec = cluster_spec();
  spec.timing.delay = 0;
  spec.step_sigma = 0.0f;  // the point alone, repeated at every shown step
  Rng rng(2);
  const Index N = 2000;
  const TrialSet s = make_cluster_trials(N, 0.8f, spec, rng);
  std::vector<double> offsets;
  const ClusterCentres c = paper_centres();
  for (Index n = 0; n < N; ++n) {
    for (Index t = 3; t < spec.timing.steps(); ++t) CHECK(s.inputs(t * N + n, 0) == s.inputs(2 * N + n, 0));
    offsets.push_back(double(s.inputs(2 * N + n, 0)) - double(c[std::size_t(s.labels[n])][0]));
  }
  const auto [mean, sd] = moments(offsets);
  CHECK(std::abs(mean) < 0.06);
  CHECK(sd == Approx(0.8).epsilon(0.05));
  // The first step's points are the static task's points (same draws, same order).
  Rng a(3), b(3);
  const TrialSet seq = make_cluster_trials(50, 0.8f, spec, a);
  const Dataset flat = make_gaussian_clusters(50, 0.8f, b);
  CHECK(seq.labels == flat.labels);
  CHECK(rewire_test::bitwise_equal(Matrix(seq.inputs.block(2 * 50, 0, 50, 2)), flat.inputs));
}

TEST_CASE("memory trials: the stimulus is blank during the delay and the response", "[tasks]") {
  const ClusterTaskSpec spec = cluster_spec();  // fixation 2, stimulus 5, delay 3, response 4
  Rng rng(4);
  const Index N = 50;
  const TrialSet s = make_memory_trials(N, 0.8f, spec, rng);
  CHECK(s.response == response_period(14, 10, 4));
  for (Index n = 0; n < N; ++n)
    for (Index t = 0; t < 14; ++t) {
      const bool shown = t >= 2 && t < 7;
      CHECK((s.inputs(t * N + n, 0) != 0.0f) == shown);
      CHECK((s.inputs(t * N + n, 1) != 0.0f) == shown);
      CHECK(s.inputs(t * N + n, 2) == (t < 10 ? 1.0f : 0.0f));
    }
  // The clusters task refuses a delay and names the other generator.
  Rng r2(4);
  REQUIRE_INVALID(make_cluster_trials(N, 0.8f, spec, r2), "make_memory_trials");
}

TEST_CASE("decision trials: evidence means by coherence, noise by sigma", "[tasks]") {
  DecisionTaskSpec spec;
  spec.timing = TrialTiming{1, 10, 2, 3};
  spec.coherence = 0.4f;
  Rng rng(5);
  const Index N = 1000;
  const TrialSet s = make_decision_trials(N, 1.0f, spec, rng);
  CHECK(s.channels() == 3);
  CHECK(s.response == response_period(16, 13, 3));
  std::vector<double> chosen, other;
  for (Index n = 0; n < N; ++n) {
    const Index L = s.labels[n];
    REQUIRE((L == 0 || L == 1));
    for (Index t = 0; t < 16; ++t) {
      const bool stimulus = t >= 1 && t < 11;
      for (Index k = 0; k < 2; ++k) {
        const float x = s.inputs(t * N + n, k);
        if (!stimulus)
          CHECK(x == 0.0f);
        else
          (k == L ? chosen : other).push_back(x);
      }
      CHECK(s.inputs(t * N + n, 2) == (t < 13 ? 1.0f : 0.0f));
    }
  }
  const auto [m1, s1] = moments(chosen);
  const auto [m0, s0] = moments(other);
  CHECK(m1 == Approx(0.7).margin(0.03));  // (1 + 0.4) / 2
  CHECK(m0 == Approx(0.3).margin(0.03));  // (1 - 0.4) / 2
  CHECK(s1 == Approx(1.0).epsilon(0.03));
  CHECK(s0 == Approx(1.0).epsilon(0.03));
  // Noise-free evidence at coherence 0: both channels 0.5, nothing to tell.
  spec.coherence = 0.0f;
  Rng r2(6);
  const TrialSet flat = make_decision_trials(20, 0.0f, spec, r2);
  CHECK((flat.inputs.col(0).array() == 0.0f || flat.inputs.col(0).array() == 0.5f).all());
  CHECK(flat.inputs.col(0) == flat.inputs.col(1));
}

TEST_CASE("trial generators are deterministic by key, on any thread, whatever else draws", "[tasks][reproducibility]") {
  const ClusterTaskSpec spec = cluster_spec();
  DecisionTaskSpec dspec;
  auto all_three = [&](std::uint64_t key) {
    Rng r(stream_key(key, Purpose::data));
    std::vector<TrialSet> out;
    out.push_back(make_memory_trials(64, 0.8f, spec, r));
    out.push_back(make_decision_trials(64, 1.0f, dspec, r));
    ClusterTaskSpec c = spec;
    c.timing.delay = 0;
    out.push_back(make_cluster_trials(64, 0.8f, c, r));
    return out;
  };
  const auto first = all_three(7);
  // Other streams drawing in between change nothing (the generator draws only from its own Rng).
  Rng other(stream_key(7, Purpose::shuffle));
  for (int k = 0; k < 1000; ++k) other.normal();
  NoiseSource noise(stream_key(7, Purpose::noise));
  Matrix junk = Matrix::Zero(64, 64);
  noise.add_normal(junk.data(), junk.size(), 1.0f);
  const auto again = all_three(7);
  // Two threads at once, each with its own key.
  std::vector<TrialSet> t7, t8;
  std::thread a([&] { t7 = all_three(7); });
  std::thread b([&] { t8 = all_three(8); });
  a.join();
  b.join();
  for (std::size_t k = 0; k < 3; ++k) {
    CHECK(same_set(first[k], again[k]));
    CHECK(same_set(first[k], t7[k]));
    CHECK_FALSE(same_set(first[k], t8[k]));
  }
}

TEST_CASE("trial knobs out of range are refused, naming the knob", "[tasks][errors]") {
  ClusterTaskSpec spec = cluster_spec();
  Rng rng(9);
  REQUIRE_INVALID(make_memory_trials(0, 0.8f, spec, rng), "trials = 0");
  REQUIRE_INVALID(make_memory_trials(10, -0.1f, spec, rng), "sigma");
  spec.step_sigma = -1.0f;
  REQUIRE_INVALID(make_memory_trials(10, 0.8f, spec, rng), "step_sigma");
  spec = cluster_spec();
  spec.timing.stimulus = 0;
  REQUIRE_INVALID(make_memory_trials(10, 0.8f, spec, rng), "timing.stimulus");
  spec = cluster_spec();
  spec.timing.delay = -2;
  REQUIRE_INVALID(make_memory_trials(10, 0.8f, spec, rng), "timing.delay");
  spec = cluster_spec();
  spec.timing.response = 0;
  REQUIRE_INVALID(make_memory_trials(10, 0.8f, spec, rng), "timing.response");
  spec = cluster_spec();
  spec.timing.fixation = -1;
  REQUIRE_INVALID(make_memory_trials(10, 0.8f, spec, rng), "timing.fixation");
  spec = cluster_spec();
  spec.centres = {{0.0f, 1.0f}, {2.0f}};
  REQUIRE_INVALID(make_memory_trials(10, 0.8f, spec, rng), "centre 1");
  DecisionTaskSpec d;
  for (float c : {-0.1f, 1.5f, std::nanf("")}) {
    d.coherence = c;
    REQUIRE_INVALID(make_decision_trials(10, 1.0f, d, rng), "coherence");
  }
  d.coherence = 0.2f;
  REQUIRE_INVALID(make_decision_trials(10, -1.0f, d, rng), "sigma");
  // A response period outside the trial, and inconsistent sets.
  REQUIRE_INVALID(response_period(20, 18, 5), "outside the trial");
  REQUIRE_INVALID(response_period(20, -1, 2), "outside the trial");
  REQUIRE_INVALID(response_period(20, 3, 0), "at least one step");
  TrialSet s = make_memory_trials(10, 0.8f, cluster_spec(), rng);
  TrialSet bad = s;
  bad.response = Vector::Zero(s.steps());
  REQUIRE_INVALID(bad.validate(), "response period is empty");
  bad = s;
  bad.response.conservativeResize(s.steps() + 1);
  bad.response[s.steps()] = 1.0f;
  REQUIRE_INVALID(bad.validate(), "rows");
  bad = s;
  bad.response[0] = -1.0f;
  REQUIRE_INVALID(bad.validate(), "response weights");
}

TEST_CASE("TrialBatchSampler: every trial once per epoch, step-major batches", "[tasks][batches]") {
  Rng rng(10);
  const TrialSet s = make_memory_trials(37, 0.8f, cluster_spec(), rng);
  TrialBatchSampler sampler(s, 8);
  CHECK(sampler.batches_per_epoch() == 5);
  Rng shuffle(11);
  sampler.start_epoch(shuffle);
  Matrix X;
  Labels y;
  std::vector<int> seen(37, 0);
  std::vector<Index> order;  // trial of each batch position, in the order served
  Index batches = 0;
  while (sampler.next(X, y)) {
    ++batches;
    const Index B = y.size();
    REQUIRE(X.rows() == s.steps() * B);
    for (Index k = 0; k < B; ++k) {
      // Find the trial by its rows: every step of row k must be that trial's.
      Index found = -1;
      for (Index n = 0; n < 37 && found < 0; ++n) {
        bool all = s.labels[n] == y[k];
        for (Index t = 0; t < s.steps() && all; ++t) all = X.row(t * B + k) == s.inputs.row(t * 37 + n);
        if (all) found = n;
      }
      REQUIRE(found >= 0);
      ++seen[std::size_t(found)];
      order.push_back(found);
    }
  }
  CHECK(batches == 5);
  for (int c : seen) CHECK(c == 1);
  // The order is the one BatchSampler draws for a data set of 37 points
  // from the same stream (point n holds the value n).
  Dataset points;
  points.inputs = Matrix(37, 1);
  points.labels = Labels::Zero(37);
  for (Index n = 0; n < 37; ++n) points.inputs(n, 0) = float(n);
  BatchSampler flat(points, 8);
  Rng shuffle2(11);
  flat.start_epoch(shuffle2);
  std::vector<Index> flat_order;
  while (flat.next(X, y))
    for (Index k = 0; k < X.rows(); ++k) flat_order.push_back(Index(X(k, 0)));
  CHECK(order == flat_order);
}
