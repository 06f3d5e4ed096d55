// Consumer of an installed rewire (see CMakeLists.txt next to this file).
//
// Includes the umbrella header, so every public header must have been
// installed and compile on its own terms, and runs the library's main path
// on a tiny network: train on the four-cluster task, prune by magnitude,
// retrain, regrow by gradient. Exit status 0 only if each stage did what it
// promises (expected values worked out in the comments), 1 otherwise.
#include <rewire/rewire.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

namespace {

int failures = 0;

void expect(bool ok, const char* what) {
  std::printf("%s: %s\n", ok ? "ok  " : "FAIL", what);
  if (!ok) ++failures;
}

/// Every masked weight of `net` is exactly zero.
bool masks_hold(const rewire::Mlp& net) {
  for (std::size_t l = 0; l < net.num_layers(); ++l) {
    const auto& layer = net.layer(l);
    for (rewire::Index k = 0; k < layer.mask().size(); ++k)
      if (layer.mask().data()[k] == 0.0f && layer.weight().data()[k] != 0.0f) return false;
  }
  return true;
}

}  // namespace

int main() {
  using namespace rewire;
  std::printf("rewire %s\n", rewire::version);
  Rng train_rng(stream_key(1, Purpose::data, 100)), clean_rng(stream_key(1, Purpose::data, 300));
  const Dataset train_set = make_gaussian_clusters(800, 0.8f, train_rng);
  const Dataset clean_set = make_gaussian_clusters(400, 0.0f, clean_rng);  // every point on its centre

  Mlp net({2, 32, 32, 4});
  Rng init(stream_key(1, Purpose::init));
  net.init(init);
  Rng shuffle(stream_key(1, Purpose::shuffle));
  NoiseSource eval_noise(stream_key(1, Purpose::eval));
  TrainOptions options;
  options.epochs = 5;
  options.lr = 1e-2f;
  options.batch_size = 64;

  // Train: the four centres are 6 apart with sigma 0.8, so a trained network
  // classifies the centres themselves without error.
  const TrainResult trained = train(net, train_set, options, shuffle);
  expect(trained.status == TrainStatus::ok && trained.steps == 5 * 13, "train: 5 epochs of 13 batches");
  const double acc_dense = accuracy(net, clean_set, {}, eval_noise);
  std::printf("      clean accuracy after training: %.2f%%\n", acc_dense);
  expect(acc_dense == 100.0, "train: the class centres are classified correctly");

  // Prune each layer to 80%: the threshold is the 0.8-quantile of |w| at
  // position 0.8 (n - 1) of the sorted magnitudes, 50.4 of 64, 818.4 of
  // 1024 and 101.6 of 128 (0-based), so the 13, 205 and 26 largest weights
  // stay active (trained float weights have no equal magnitudes there).
  prune_to(net, 0.8);
  const Index active[3] = {net.layer(0).active_weights(), net.layer(1).active_weights(),
                           net.layer(2).active_weights()};
  std::printf("      active weights after pruning: %ld %ld %ld\n", long(active[0]), long(active[1]), long(active[2]));
  expect(active[0] == 13 && active[1] == 205 && active[2] == 26, "prune: 13, 205, 26 weights left");
  expect(masks_hold(net), "prune: pruned weights are zero");

  // Retrain the sparse network: masks hold, it still works.
  options.epochs = 3;
  expect(train(net, train_set, options, shuffle).status == TrainStatus::ok, "retrain: finished");
  expect(masks_hold(net), "retrain: pruned weights stay zero");
  const double acc_sparse = accuracy(net, clean_set, {}, eval_noise);
  std::printf("      clean accuracy after pruning and retraining: %.2f%%\n", acc_sparse);
  expect(acc_sparse >= 95.0, "retrain: >= 95% on the class centres");

  // Regrow half of each layer's pruned positions: floor(51 / 2) = 25,
  // floor(819 / 2) = 409, floor(102 / 2) = 51.
  RegrowOptions regrow;
  regrow.batches = 4;
  regrow.batch_size = 64;
  Rng values(stream_key(1, Purpose::regrow));
  const std::vector<Index> regrown = regrow_by_gradient(net, train_set, regrow, shuffle, values);
  expect(regrown == std::vector<Index>{25, 409, 51}, "regrow: 25, 409, 51 positions reopened");
  expect(net.layer(0).active_weights() == 13 + 25 && net.layer(1).active_weights() == 205 + 409 &&
             net.layer(2).active_weights() == 26 + 51,
         "regrow: active counts grew by as much");
  expect(masks_hold(net), "regrow: still-pruned weights are zero");

  std::printf("%s\n", failures == 0 ? "all checks passed" : "some checks FAILED");
  return failures == 0 ? 0 : 1;
}
