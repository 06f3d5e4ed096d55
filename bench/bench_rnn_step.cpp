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

#include "bench_common.hpp"

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
struct RnnStep {
  Batch b = make_batch();
  Matrix P, dY;
  void operator()(Rnn& net, Adam& adam, const std::vector<ParamRef>& params, NoiseSource& noise) {
    sequence_cross_entropy_forward(P, net.forward(b.X, kSteps, &noise), b.y, b.w);
    sequence_cross_entropy_backward(dY, P, b.y, b.w);
    net.backward(dY, GradientMode::masked);
    adam.step(params);
  }
};

double useful_flop_per_step(const Rnn& net) {
  const double rows = double(kSteps * kBatch);
  return 3.0 * 2.0 * rows * double(net.layer(RnnLayer::recurrent).active_weights()) +
         2.0 * 2.0 * rows * double(net.layer(RnnLayer::input).active_weights()) +  // no input gradient for the data
         3.0 * 2.0 * rows * double(net.layer(RnnLayer::output).active_weights());
}

void run_rnn_step(benchmark::State& state, KernelPath path) {
  const double sparsity = double(state.range(0)) / 100.0;
  const bool noise = state.range(1) != 0;
  const double mismatch = rewire_bench::path_mismatch(make_network(sparsity, KernelPath::dense, noise),
                                                      make_network(sparsity, KernelPath::sparse, noise), RnnStep{});
  Rnn net = make_network(sparsity, path, noise);
  const double flop = useful_flop_per_step(net);
  rewire_bench::time_steps(state, mismatch, std::move(net), flop, RnnStep{});
}

void BM_RnnStep_DenseMasked(benchmark::State& state) { run_rnn_step(state, KernelPath::dense); }
void BM_RnnStep_Sparse(benchmark::State& state) { run_rnn_step(state, KernelPath::sparse); }

const std::vector<std::int64_t> kSparsities{0, 90, 95, 99};
BENCHMARK(BM_RnnStep_DenseMasked)->ArgsProduct({kSparsities, {0, 1}})->ArgNames({"", "noise"})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RnnStep_Sparse)->ArgsProduct({kSparsities, {0, 1}})->ArgNames({"", "noise"})->Unit(benchmark::kMillisecond);

}  // namespace
