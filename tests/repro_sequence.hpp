// tests/repro_sequence.hpp - one short simulation used by the reproducibility
// tests, shared by test_reproducibility.cpp and the repro_probe program so
// that both run exactly the same code: data, init, dense training, pruning,
// regrowth, masked training, stress training, a neurosteroid-like phase and a
// noisy evaluation, all from streams keyed by `seed`.
#pragma once

#include <rewire/rewire.hpp>

#include "test_helpers.hpp"

#include <cstdint>
#include <vector>

namespace rewire_test {

struct ReproResult {
  std::vector<unsigned char> bytes;  ///< every parameter byte of the final network
  double accuracy = 0.0;             ///< combined-condition accuracy at the end
  std::uint64_t hash() const { return fnv1a64(bytes); }
};

inline ReproResult run_repro_sequence(std::uint64_t seed) {
  using namespace rewire;
  Rng data_rng(stream_key(seed, Purpose::data, 100));
  const Dataset data = make_gaussian_clusters(2000, 0.8f, data_rng);
  Rng test_rng(stream_key(seed, Purpose::data, 200));
  const Dataset test = make_gaussian_clusters(500, 0.8f, test_rng);

  Mlp net({2, 64, 64, 32, 4});
  Rng init(stream_key(seed, Purpose::init));
  net.init(init);
  Rng shuffle(stream_key(seed, Purpose::shuffle));
  NoiseSource noise(stream_key(seed, Purpose::noise));

  TrainOptions opt;
  opt.epochs = 3;
  opt.lr = 5e-3f;
  train(net, data, opt, shuffle);
  prune_to(net, 0.8);

  RegrowOptions regrow;
  regrow.batches = 5;
  Rng regrow_values(stream_key(seed, Purpose::regrow));
  regrow_by_gradient(net, data, regrow, shuffle, regrow_values);
  opt.epochs = 1;
  opt.lr = 1e-3f;
  train(net, data, opt, shuffle);

  opt.epochs = 2;
  opt.lr = 1e-4f;
  train_with_stress(net, data, opt, 0.5f, shuffle, noise);

  net.modulation().activation = Activation::tanh;
  net.modulation().damping = 0.7f;
  opt.epochs = 1;
  opt.lr = 1e-3f;
  train(net, data, opt, shuffle);

  NoiseSource eval(stream_key(seed, Purpose::eval));
  EvalCondition combined;
  combined.input_sigma = 1.0f;
  combined.internal_sigma = 0.5f;
  ReproResult r;
  r.accuracy = accuracy(net, test, combined, eval);
  r.bytes = parameter_bytes(net);
  return r;
}

}  // namespace rewire_test
