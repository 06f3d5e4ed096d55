// bench/bench_rnn_step.cpp - one whole training step of a recurrent network
// by backprop through time: forward over 20 steps, the sequence loss on the
// response steps, BPTT, Adam. Batch 128, 256 recurrent units, 3 inputs, 4
// classes (the clusters-over-time task's shape), ReLU, leak alpha 0.2,
// every matrix pruned to the same sparsity, dense-masked against sparse
// kernels:
//
//   BM_RnnStep_DenseMasked/<sparsity%>/noise:<0|1>  every matrix on KernelPath::dense
//   BM_RnnStep_Sparse/<sparsity%>/noise:<0|1>       every matrix on KernelPath::sparse
//
// noise:1 adds internal noise sigma 0.5 (20 x 128 x 256 normals per step).
// Each family checks once, before timing, that three steps on the two
// paths give the same weights (to float tolerance); a mismatch is reported
// as an error instead of a time. Counter "FLOP" = useful work per second
// (three products per step of the recurrent matrix, forward, input and
// weight gradient, over unmasked weights only; input and readout likewise).
#include <rewire/rewire.hpp>

#include <benchmark/benchmark.h>

#include <cmath>
#include <string>
#include <vector>

namespace {

using namespace rewire;

constexpr Index kBatch = 128, kUnits = 256, kSteps = 20;
[[maybe_unused]] const bool kBlockingPinned = (pin_gemm_blocking(), true);

/// The task's shape: 20 steps (2 fixation, 14 stimulus, 4 response).
ClusterTaskSpec task() {
  ClusterTaskSpec spec;
  spec.timing = TrialTiming{2, 14, 0, 4};
  spec.step_sigma = 0.5f;
  return spec;
}

Rnn make_network(double sparsity, KernelPath path, bool noise) {
  Rnn net(3, kUnits, 4);
  Rng init(stream_key(7, Purpose::init));
  net.init(init);
  if (sparsity > 0) prune_to(net, sparsity);
  net.set_kernel_path(path);
  net.modulation().noise_sigma = noise ? 0.5f : 0.0f;
  return net;
}

/// One fixed batch of trials.
struct Batch {
  Matrix X;
  Labels y;
  Vector w;
};
Batch make_batch() {
  Rng rng(stream_key(11, Purpose::data));
  TrialSet s = make_cluster_trials(kBatch, 0.8f, task(), rng);
  return {s.inputs, s.labels, s.response};
}

/// One training step: the calls train() makes for a batch.
void train_step(Rnn& net, Adam& adam, const std::vector<ParamRef>& params, const Batch& b, NoiseSource& noise,
                Matrix& P, Matrix& dY) {
  sequence_cross_entropy_forward(P, net.forward(b.X, kSteps, &noise), b.y, b.w);
  sequence_cross_entropy_backward(dY, P, b.y, b.w);
  net.backward(dY, GradientMode::masked);
  adam.step(params);
}

double path_mismatch(double sparsity, bool noise) {
  const Batch b = make_batch();
  Rnn dense = make_network(sparsity, KernelPath::dense, noise);
  Rnn sparse = make_network(sparsity, KernelPath::sparse, noise);
  Adam a1(AdamOptions{1e-3f}), a2(AdamOptions{1e-3f});
  NoiseSource n1(5), n2(5);
  Matrix P, d;
  const auto p1 = dense.parameters(), p2 = sparse.parameters();
  for (int s = 0; s < 3; ++s) {
    train_step(dense, a1, p1, b, n1, P, d);
    train_step(sparse, a2, p2, b, n2, P, d);
  }
  double worst = 0;
  for (std::size_t l = 0; l < dense.num_layers(); ++l)
    worst = std::max(worst, double((dense.layer(l).weight() - sparse.layer(l).weight()).cwiseAbs().maxCoeff()));
  return worst;
}

double useful_flop_per_step(const Rnn& net) {
  const double rows = double(kSteps * kBatch);
  return 3.0 * 2.0 * rows * double(net.layer(RnnLayer::recurrent).active_weights()) +
         2.0 * 2.0 * rows * double(net.layer(RnnLayer::input).active_weights()) +  // no input gradient for the data
         3.0 * 2.0 * rows * double(net.layer(RnnLayer::output).active_weights());
}

void run_rnn_step(benchmark::State& state, KernelPath path) {
  const double sparsity = double(state.range(0)) / 100.0;
  const bool noise = state.range(1) != 0;
  const double mismatch = path_mismatch(sparsity, noise);
  if (!(mismatch < 1e-4)) {  // Adam moves weights by ~lr per step: rounding stays far below
    state.SkipWithError(("dense and sparse paths disagree: max |dW| = " + std::to_string(mismatch)).c_str());
    return;
  }
  Rnn net = make_network(sparsity, path, noise);
  const Batch b = make_batch();
  Adam adam(AdamOptions{1e-3f});
  NoiseSource source(9);
  Matrix P, d;
  const auto params = net.parameters();
  for (auto _ : state) {
    train_step(net, adam, params, b, source, P, d);
    benchmark::ClobberMemory();
  }
  state.counters["FLOP"] =
      benchmark::Counter(useful_flop_per_step(net) * double(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_RnnStep_DenseMasked(benchmark::State& state) { run_rnn_step(state, KernelPath::dense); }
void BM_RnnStep_Sparse(benchmark::State& state) { run_rnn_step(state, KernelPath::sparse); }

const std::vector<std::int64_t> kSparsities{0, 90, 95, 99};
BENCHMARK(BM_RnnStep_DenseMasked)->ArgsProduct({kSparsities, {0, 1}})->ArgNames({"", "noise"})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RnnStep_Sparse)->ArgsProduct({kSparsities, {0, 1}})->ArgNames({"", "noise"})->Unit(benchmark::kMillisecond);

}  // namespace
