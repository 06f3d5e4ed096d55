// rigl.cpp - dynamic sparse training at constant density with rewire: RigL
// (grow by gradient) or SET (grow at random) on the study's cluster task.
//
//   rigl --sparsity 0.9 --rounds 10 --epochs 2 --grow gradient [--start erk] [--scope global]
//
// The network is pruned by magnitude right after initialisation (or, with
// --start erk, given random masks of Erdos-Renyi per-layer densities), then
// each round trains `epochs` epochs (Adam, fresh moments: a mask change
// invalidates them) and moves `fraction` of each layer's active weights (of
// the network's, with --scope global) with drop_and_grow, the fraction
// decaying over the rounds as RigL's cosine schedule; a last `epochs` epochs
// train the final mask. It prints one JSON object: the active weights per
// layer at the end (per layer: the same after every round), the test
// accuracy, the FNV-1a 64 of the final weights (column-major float32 bytes,
// layer by layer) and the wall time. python/tests/test_rigl_example.py runs
// the same loop through the Python module and checks it gets these numbers.
#include <rewire/core/hash.hpp>
#include <rewire/rewire.hpp>

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

using namespace rewire;

namespace {

struct Settings {
  std::uint64_t seed = 0;
  std::vector<Index> widths{2, 512, 512, 256, 4};
  Index train_size = 12000, test_size = 4000;
  float sigma = 0.8f;
  double sparsity = 0.9;
  int rounds = 10, epochs = 2;
  double fraction = 0.3;
  std::string grow = "gradient";
  std::string start = "magnitude";  // or "erk"
  std::string scope = "per_layer";  // or "global"
  float lr = 1e-3f;
};

std::uint64_t weights_hash(const Mlp& net) {
  Fnv1a64 h;
  for (std::size_t l = 0; l < net.num_layers(); ++l) {
    const Matrix W = net.layer(l).weight();
    h.bytes(W.data(), sizeof(float) * std::size_t(W.size()));
  }
  return h.value();
}

int run(const Settings& s) {
  const auto start = std::chrono::steady_clock::now();
  Rng data_rng(stream_key(s.seed, Purpose::data)), init(stream_key(s.seed, Purpose::init));
  Rng shuffle(stream_key(s.seed, Purpose::shuffle)), regrow(stream_key(s.seed, Purpose::regrow));
  const Dataset train_set = make_gaussian_clusters(s.train_size, s.sigma, data_rng);
  const Dataset test_set = make_gaussian_clusters(s.test_size, s.sigma, data_rng);
  Mlp net(s.widths);
  net.init(init);
  if (s.start == "erk") {
    Rng masks(stream_key(s.seed, Purpose::init, 1));
    apply_erk(net, 1.0 - s.sparsity, masks);
  } else {
    detail::require(s.start == "magnitude", "start '" + s.start + "' is unknown (allowed: magnitude, erk)");
    prune_to(net, s.sparsity);
  }
  DropGrowOptions step;
  step.grow = parse_grow_by(s.grow);
  step.scope = parse_prune_scope(s.scope);
  const Index total = net.num_active_weights();
  TrainOptions train_options;
  train_options.epochs = s.epochs;
  train_options.lr = s.lr;
  std::vector<Index> active;
  for (std::size_t l = 0; l < net.num_layers(); ++l) active.push_back(net.layer(l).active_weights());
  for (int round = 0; round < s.rounds; ++round) {
    train(net, train_set, train_options, shuffle);
    step.fraction = cosine_lr(float(s.fraction), round, s.rounds);  // RigL's cosine decay of the drop fraction
    drop_and_grow(net, train_set, step, shuffle, regrow);
    for (std::size_t l = 0; l < net.num_layers(); ++l)
      if (step.scope == PruneScope::per_layer && net.layer(l).active_weights() != active[l]) {
        std::fprintf(stderr, "rigl: layer %zu changed its active count\n", l + 1);
        return 1;
      }
    if (net.num_active_weights() != total) {
      std::fprintf(stderr, "rigl: the network changed its active count\n");
      return 1;
    }
  }
  for (std::size_t l = 0; l < net.num_layers(); ++l) active[l] = net.layer(l).active_weights();
  train(net, train_set, train_options, shuffle);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("{\"active\": [");
  for (std::size_t l = 0; l < active.size(); ++l) std::printf("%s%lld", l ? ", " : "", static_cast<long long>(active[l]));
  std::printf("], \"sparsity\": %.17g, \"test_accuracy\": %.17g, \"weights_fnv1a\": \"%016llx\", \"seconds\": %.3f}\n",
              net.sparsity(), accuracy(net, test_set), static_cast<unsigned long long>(weights_hash(net)), seconds);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Settings s;
  CLI::App app{"Dynamic sparse training (RigL or SET) of an MLP on the cluster task, at constant density."};
  app.add_option("--seed", s.seed, "Seed of every stream (data, init, shuffle, regrowth)")->capture_default_str();
  app.add_option("--widths", s.widths, "Layer widths, inputs first")->capture_default_str()->delimiter(',');
  app.add_option("--train-size", s.train_size, "Training points")->capture_default_str()->check(CLI::Range(1, 10000000));
  app.add_option("--test-size", s.test_size, "Test points")->capture_default_str()->check(CLI::Range(1, 10000000));
  app.add_option("--sparsity", s.sparsity, "Sparsity: 1 - the density kept (of every layer with magnitude)")
      ->capture_default_str();
  app.add_option("--rounds", s.rounds, "Drop-and-grow rounds")->capture_default_str()->check(CLI::Range(0, 100000));
  app.add_option("--epochs", s.epochs, "Epochs before each round and after the last")
      ->capture_default_str()->check(CLI::Range(1, 100000));
  app.add_option("--fraction", s.fraction, "Drop fraction at the first round (cosine decay)")->capture_default_str();
  app.add_option("--grow", s.grow, "gradient (RigL) or random (SET)")->capture_default_str();
  app.add_option("--start", s.start, "Initial mask: magnitude (prune_to) or erk (Erdos-Renyi densities)")
      ->capture_default_str();
  app.add_option("--scope", s.scope, "per_layer (each layer its own k) or global (one k over all layers)")
      ->capture_default_str();
  app.add_option("--lr", s.lr, "Adam learning rate")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    return run(s);
  } catch (const std::exception& e) {  // a bad value: the library names it
    std::fprintf(stderr, "rigl: %s\n", e.what());
    return 2;
  }
}
