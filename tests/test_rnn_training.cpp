// test_rnn_training.cpp - a recurrent network trained, evaluated, pruned and
// regrown through the same calls as the Mlp: it learns each task (the
// decision task close to the ideal observer computed here, the memory task
// only with its recurrence), bit-identical results from the same streams on
// any thread, evaluation under noise, pruning per matrix and globally, and
// regrowth of the best-scoring pruned positions.
#include <catch2/catch.hpp>
#include <rewire/rewire.hpp>

#include "require_invalid.hpp"
#include "test_helpers.hpp"

#include <cmath>
#include <thread>

using namespace rewire;

namespace {

ClusterTaskSpec cluster_spec() {
  ClusterTaskSpec s;
  s.timing = TrialTiming{1, 6, 0, 3};
  s.step_sigma = 0.5f;
  return s;
}

ClusterTaskSpec memory_spec() {
  ClusterTaskSpec s;
  s.timing = TrialTiming{1, 3, 6, 3};
  s.step_sigma = 0.3f;
  return s;
}

Rnn fresh(Index outputs, RnnOptions options = {0.3f, false, 0.8}, std::uint64_t key = 4) {
  Rnn net(3, 32, outputs, options);
  Rng init(key);
  net.init(init);
  return net;
}

/// The accuracy of the best possible observer of the decision task: it sums
/// the evidence difference over the stimulus steps, whose mean is coherence
/// per step and whose sd is sigma sqrt(2) per step, so d' = c S / (sigma
/// sqrt(2 S)) and accuracy = Phi(d'). In percent.
double ideal_decision_accuracy(double coherence, double sigma, double steps) {
  const double d = coherence * steps / (sigma * std::sqrt(2.0 * steps));
  return 100.0 * 0.5 * std::erfc(-d / std::sqrt(2.0));
}

}  // namespace

TEST_CASE("an rnn learns clusters over time, working memory and the decision task", "[rnn][training]") {
  Rng d1(1), d2(2), d3(3);
  SECTION("clusters over time, with and without Dale's law") {
    const TrialSet train_set = make_cluster_trials(800, 0.8f, cluster_spec(), d1);
    const TrialSet test_set = make_cluster_trials(400, 0.8f, cluster_spec(), d2);
    const TrialSet clean = make_cluster_trials(400, 0.0f, cluster_spec(), d3);
    for (bool dale : {false, true}) {
      CAPTURE(dale);
      Rnn net = fresh(4, {0.3f, dale, 0.8});
      const double before = accuracy(net, test_set);
      Rng shuffle(5);
      const TrainResult r = train(net, train_set, {8, 1e-2f, 32}, shuffle);
      CHECK(r.status == TrainStatus::ok);
      CHECK(r.steps == 8 * 25);
      CHECK(accuracy(net, test_set) > 95.0);
      CHECK(accuracy(net, clean) > 95.0);
      CHECK(before < 60.0);
    }
  }
  SECTION("working memory needs the recurrence") {
    const TrialSet train_set = make_memory_trials(800, 0.8f, memory_spec(), d1);
    const TrialSet test_set = make_memory_trials(400, 0.8f, memory_spec(), d2);
    Rnn net = fresh(4);
    Rng shuffle(5);
    train(net, train_set, {10, 1e-2f, 32}, shuffle);
    CHECK(accuracy(net, test_set) > 90.0);
    // No leak (alpha 1) and no recurrent weights: the state after the delay
    // knows nothing of the stimulus, so the answer is a guess among 4.
    Rnn memoryless = fresh(4, {1.0f, false, 0.8});
    memoryless.layer(RnnLayer::recurrent).set_mask(Matrix::Zero(32, 32));
    Rng shuffle2(5);
    train(memoryless, train_set, {10, 1e-2f, 32}, shuffle2);
    CHECK(accuracy(memoryless, test_set) < 40.0);
  }
  SECTION("perceptual decision, close to the ideal observer") {
    DecisionTaskSpec spec;
    spec.timing = TrialTiming{1, 10, 0, 3};
    spec.coherence = 0.2f;
    const TrialSet train_set = make_decision_trials(800, 0.7f, spec, d1);
    const TrialSet test_set = make_decision_trials(2000, 0.7f, spec, d2);
    Rnn net = fresh(2);
    Rng shuffle(5);
    train(net, train_set, {10, 1e-2f, 32}, shuffle);
    const double ideal = ideal_decision_accuracy(0.2, 0.7, 10.0);  // 74 %
    const double got = accuracy(net, test_set);
    CAPTURE(ideal, got);
    CHECK(got > ideal - 8.0);
    CHECK(got < ideal + 4.0);  // no better than the best possible (plus sampling error of 2000 trials)
    // Without noise the evidence is unambiguous.
    const TrialSet clean = make_decision_trials(400, 0.0f, spec, d3);
    CHECK(accuracy(net, clean) > 97.0);
    // Reaction-time-like readout: a threshold of 0.5 is met at the first step
    // (two classes), one of 1 is never met; the steps are in range.
    const auto quick = decision_times(net, clean, 0.5, 0);
    for (Index t : quick) CHECK(t == 0);
    const auto never = decision_times(net, clean, 1.0, 1);
    for (Index t : never) CHECK((t == -1 || t >= 1));
    REQUIRE_INVALID(decision_times(net, clean, 0.0), "threshold");
    REQUIRE_INVALID(decision_times(net, clean, 0.9, 99), "from");
  }
}

TEST_CASE("rnn training gives the same bits from the same streams, on any thread", "[rnn][reproducibility]") {
  Rng d(1);
  const TrialSet set = make_memory_trials(200, 0.8f, memory_spec(), d);
  auto run = [&] {
    Rnn net = fresh(4, {0.3f, true, 0.75});
    Rng shuffle(5), values(6);
    NoiseSource noise(7);
    train_with_stress(net, set, {3, 1e-2f, 32}, 0.5f, shuffle, noise);
    prune_to(net, 0.8);
    RegrowOptions o;
    o.batches = 4;
    o.batch_size = 32;
    regrow_by_gradient(net, set, o, shuffle, values);
    train_scheduled(net, set, {2, 1e-3f, 32}, [](int, int) { return 0.3f; }, shuffle, &noise);
    return rewire_test::parameter_bytes(net);
  };
  const auto first = run();
  std::vector<unsigned char> a, b;
  std::thread ta([&] { a = run(); });
  std::thread tb([&] { b = run(); });
  ta.join();
  tb.join();
  CHECK(first == a);
  CHECK(first == b);
  CHECK(first == run());
}

TEST_CASE("rnn evaluation: input noise at every step, internal noise, nothing changed", "[rnn][evaluate]") {
  Rng d1(1), d2(2);
  const TrialSet train_set = make_cluster_trials(800, 0.8f, cluster_spec(), d1);
  const TrialSet test_set = make_cluster_trials(400, 0.8f, cluster_spec(), d2);
  Rnn net = fresh(4);
  Rng shuffle(5);
  train(net, train_set, {8, 1e-2f, 32}, shuffle);
  net.modulation().noise_sigma = 0.7f;  // the condition's sigma replaces it for the call
  const auto bytes = rewire_test::parameter_bytes(net);
  NoiseSource a(9), b(9);
  const double quiet = accuracy(net, test_set);
  const double loud = accuracy(net, test_set, {6.0f, 0.0f}, a);
  const double again = accuracy(net, test_set, {6.0f, 0.0f}, b);
  CHECK(loud == again);  // the same stream, the same draws
  CHECK(loud < quiet - 10.0);
  NoiseSource c(9);
  CHECK(accuracy(net, test_set, {0.0f, 25.0f}, c) < quiet - 10.0);
  CHECK(net.modulation().noise_sigma == 0.7f);
  CHECK(rewire_test::parameter_bytes(net) == bytes);
  // The input noise is N(0, sigma^2) on every channel of every step: the
  // same accuracy from the inputs noised by hand (one chunk: the whole set).
  NoiseSource by_hand(9), inside(9);
  Matrix X = test_set.inputs;
  by_hand.add_normal(X.data(), X.size(), 6.0f);
  Modulation quiet_units = net.modulation();
  quiet_units.noise_sigma = 0.0f;
  Rnn::Buffers buffers;
  Matrix decision;
  response_readout(decision, net.forward(buffers, X, test_set.steps(), nullptr, quiet_units), test_set.response);
  const double manual = 100.0 * double(count_correct(decision, test_set.labels)) / 400.0;
  CHECK(accuracy(net, test_set, {6.0f, 0.0f}, inside, 400) == manual);
  // predict() gives the decisions accuracy() scores.
  const Labels decisions = predict(net, test_set);
  REQUIRE(decisions.size() == 400);
  Index same = 0;
  for (Index n = 0; n < 400; ++n) same += decisions[n] == test_set.labels[n];
  CHECK(100.0 * double(same) / 400.0 == Approx(quiet));
  REQUIRE_INVALID(accuracy(net, test_set, {-1.0f, 0.0f}, a), "input_sigma");
  REQUIRE_INVALID(accuracy(net, test_set, {0.0f, 0.0f}, a, 0), "chunk");
}

TEST_CASE("rnn pruning per matrix and globally, and gradient regrowth", "[rnn][pruning][regrowth]") {
  Rng d(1);
  const TrialSet set = make_cluster_trials(200, 0.8f, cluster_spec(), d);
  Rnn net = fresh(4);
  prune_to(net, 0.9);
  for (std::size_t l = 0; l < net.num_layers(); ++l) {
    const auto& layer = net.layer(l);
    const double s = 1.0 - double(layer.active_weights()) / double(layer.mask().size());
    CAPTURE(net.layer_name(l));
    CHECK(s == Approx(0.9).margin(0.04));  // each matrix on its own (96 input weights: 10 kept)
  }
  REQUIRE_INVALID(prune_to(net, 1.0), "target sparsity");
  Rnn g = fresh(4);
  prune_to(g, 0.5, PruneScope::global);
  CHECK(g.sparsity() == Approx(0.5).margin(0.002));
  // One threshold for all three: the input matrix (bound 1/sqrt(3)) keeps
  // more of its weights than the others (bound 1/sqrt(32)).
  const double kept_in = double(g.layer(RnnLayer::input).active_weights()) / 96.0;
  const double kept_rec = double(g.layer(RnnLayer::recurrent).active_weights()) / 1024.0;
  CHECK(kept_in > kept_rec + 0.2);

  // Regrowth reopens max(1, floor(fraction * pruned)) positions per matrix,
  // the highest-scoring ones (scores: summed |dL/dW| of BPTT).
  const std::vector<Matrix> scores = [&] {
    Rnn copy = net;
    Rng shuffle(20);
    return gradient_scores(copy, set, 3, 32, shuffle);
  }();
  REQUIRE(scores.size() == 3);
  RegrowOptions o;
  o.batches = 3;
  o.batch_size = 32;
  o.fraction = 0.25;
  o.ties = RegrowTies::lowest_index;
  std::vector<Matrix> before;
  for (std::size_t l = 0; l < 3; ++l) before.push_back(net.layer(l).mask());
  Rng shuffle(20), values(21);
  const auto regrown = regrow_by_gradient(net, set, o, shuffle, values);
  for (std::size_t l = 0; l < 3; ++l) {
    CAPTURE(net.layer_name(l));
    const Index pruned = Index((before[l].array() == 0.0f).count());
    CHECK(regrown[l] == std::max<Index>(1, Index(std::floor(0.25 * double(pruned)))));
    const Matrix& after = net.layer(l).mask();
    CHECK(((before[l].array() == 1.0f) && (after.array() == 0.0f)).count() == 0);  // nothing closed
    // Every reopened position scores at least as high as every one left pruned.
    float lowest_reopened = INFINITY, highest_left = -INFINITY;
    for (Index k = 0; k < after.size(); ++k) {
      if (before[l].data()[k] != 0.0f) continue;
      if (after.data()[k] == 1.0f)
        lowest_reopened = std::min(lowest_reopened, scores[l].data()[k]);
      else
        highest_left = std::max(highest_left, scores[l].data()[k]);
    }
    CHECK(lowest_reopened >= highest_left);
  }
  REQUIRE_INVALID(gradient_scores(net, set, 0, 32, shuffle), "batches");
}

TEST_CASE("rnn training calls restore the noise sigma and report their steps", "[rnn][training]") {
  Rng d(1);
  TrialSet set = make_cluster_trials(100, 0.8f, cluster_spec(), d);
  Rnn net = fresh(4);
  net.modulation().noise_sigma = 0.25f;
  Rng shuffle(2);
  NoiseSource noise(3);
  std::vector<float> sigmas;
  const TrainResult r = train_with_stress(net, set, {4, 1e-3f, 30}, 1.0f, shuffle, noise,
                                          [&](int, double, float s) { sigmas.push_back(s); });
  CHECK(r.epochs_done == 4);
  CHECK(r.steps == 4 * 4);  // 100 trials in batches of 30: 4 per epoch
  CHECK(sigmas == std::vector<float>{1.0f, tapering_sigma(1.0f, 1, 4), tapering_sigma(1.0f, 2, 4), 0.0f});
  CHECK(net.modulation().noise_sigma == 0.25f);
  set.labels[3] = 7;  // not a class of the network
  REQUIRE_INVALID(train(net, set, {}, shuffle), "label 7");
  CHECK(net.modulation().noise_sigma == 0.25f);
}
