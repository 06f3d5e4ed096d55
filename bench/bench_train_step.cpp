// bench/bench_train_step.cpp - one whole training step of the paper's network
// (2-512-512-256-4, batch 128, ReLU, internal noise sigma 0.5: forward,
// softmax cross-entropy, backward, Adam), dense-masked vs sparse kernels, and
// Adam alone on a masked 512x512 or 256x512 layer (all entries + mask vs
// compact active entries).
//
//   BM_TrainStep_DenseMasked/<sparsity%>  every layer on KernelPath::dense
//   BM_TrainStep_Sparse/<sparsity%>       every layer on KernelPath::sparse
//   BM_Adam_DenseMasked/out:<512|256>/sparsity:<%>  Adam over all entries, then mask
//   BM_Adam_Sparse/out:<512|256>/sparsity:<%>       Adam over compact active entries only
//
// Each family checks once, before timing, that a few steps on the two paths
// give the same weights (to float tolerance); a mismatch is reported as an
// error instead of a time. Counter "FLOP" = useful work per second
// (forward + input gradient + weight gradient over unmasked weights only).
#include <rewire/rewire.hpp>

#include <benchmark/benchmark.h>

#include "bench_common.hpp"

#include <cmath>
#include <string>
#include <vector>

namespace {

using namespace rewire;

constexpr Index kBatch = 128;
const std::vector<Index> kWidths{2, 512, 512, 256, 4};
// Time the products with the blocking the study runs with (the study runner
// pins it the same way; rewire/core/gemm_blocking.hpp).
[[maybe_unused]] const bool kBlockingPinned = (pin_gemm_blocking(), true);

/// A freshly initialised paper network, pruned per layer to `sparsity`.
Mlp make_network(double sparsity, KernelPath path) {
  Mlp net(kWidths);
  Rng init(stream_key(7, Purpose::init));
  net.init(init);
  if (sparsity > 0) prune_to(net, sparsity);
  net.set_kernel_path(path);
  net.modulation().noise_sigma = 0.5f;
  return net;
}

/// One fixed mini-batch of the cluster task.
struct Batch {
  Matrix X;
  Labels y;
};
Batch make_batch() {
  Rng rng(stream_key(11, Purpose::data));
  Dataset d = make_gaussian_clusters(kBatch, 0.8f, rng);
  return {d.inputs, d.labels};
}

/// One training step; the same sequence of calls `train()` makes (which
/// takes the parameter views once per call).
struct TrainStep {
  Batch b = make_batch();
  Matrix P, dlogits;
  void operator()(Mlp& net, Adam& adam, const std::vector<ParamRef>& params, NoiseSource& noise) {
    softmax_cross_entropy_forward(P, net.forward(b.X, &noise), b.y);
    softmax_cross_entropy_backward(dlogits, P, b.y);
    net.backward(dlogits, GradientMode::masked);
    adam.step(params);
  }
};

double useful_flop_per_step(const Mlp& net) {
  double flop = 0;
  for (std::size_t l = 0; l < net.num_layers(); ++l) {
    const double passes = l == 0 ? 2.0 : 3.0;  // no input gradient for the data
    flop += passes * 2.0 * double(net.layer(l).active_weights()) * double(kBatch);
  }
  return flop;
}

void run_train_step(benchmark::State& state, KernelPath path) {
  const double sparsity = double(state.range(0)) / 100.0;
  const double mismatch = rewire_bench::path_mismatch(make_network(sparsity, KernelPath::dense),
                                                      make_network(sparsity, KernelPath::sparse), TrainStep{});
  Mlp net = make_network(sparsity, path);
  const double flop = useful_flop_per_step(net);
  rewire_bench::time_steps(state, mismatch, std::move(net), flop, TrainStep{});
}

void BM_TrainStep_DenseMasked(benchmark::State& state) { run_train_step(state, KernelPath::dense); }
void BM_TrainStep_Sparse(benchmark::State& state) { run_train_step(state, KernelPath::sparse); }

const std::vector<std::int64_t> kSparsities{0, 50, 75, 90, 95, 98, 99};
BENCHMARK(BM_TrainStep_DenseMasked)->ArgsProduct({kSparsities})->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_TrainStep_Sparse)->ArgsProduct({kSparsities})->Unit(benchmark::kMicrosecond);

/// Adam on one masked layer (out x 512) with the gradient of one backward:
/// dense storage (all entries, then the mask) against compact storage of
/// the active entries (what a sparse MaskedLinear hands the optimiser).
MaskedLinear adam_layer(Index out, double sparsity, KernelPath path) {
  MaskedLinear layer(512, out);
  Rng rng(3);
  layer.init_uniform(rng);
  if (sparsity > 0) prune_layer_to(layer, sparsity);
  layer.set_kernel_path(path);
  Matrix X(kBatch, 512), dY(kBatch, out);
  Rng g(4);
  for (Index k = 0; k < X.size(); ++k) X.data()[k] = g.uniform(-1, 1);
  for (Index k = 0; k < dY.size(); ++k) dY.data()[k] = g.uniform(-1, 1);
  layer.backward(nullptr, dY, X, GradientMode::masked);  // zero gradient at masked entries
  return layer;
}

void run_adam(benchmark::State& state, KernelPath path) {
  const Index out = Index(state.range(0));
  const double sparsity = double(state.range(1)) / 100.0;
  {  // validate: two steps on each storage, same weights up to the gradients' rounding
    MaskedLinear dense = adam_layer(out, sparsity, KernelPath::dense);
    MaskedLinear sparse = adam_layer(out, sparsity, KernelPath::sparse);
    std::vector<ParamRef> pd, ps;
    dense.append_parameters(pd, 1);
    sparse.append_parameters(ps, 1);
    Adam ad, as;
    for (int s = 0; s < 2; ++s) {
      ad.step(pd);
      as.step(ps);
    }
    if (!((dense.weight() - sparse.weight()).cwiseAbs().maxCoeff() < 1e-5f)) {
      state.SkipWithError("Adam over active entries differs from dense + mask");
      return;
    }
  }
  MaskedLinear layer = adam_layer(out, sparsity, path);
  std::vector<ParamRef> params;
  layer.append_parameters(params, 1);
  params.pop_back();  // the weight only
  Adam adam;
  for (auto _ : state) {
    adam.step(params);
    benchmark::ClobberMemory();
  }
  state.counters["entries"] = benchmark::Counter(double(layer.active_weights()) * double(state.iterations()),
                                                 benchmark::Counter::kIsRate);
}

void BM_Adam_DenseMasked(benchmark::State& state) { run_adam(state, KernelPath::dense); }
void BM_Adam_Sparse(benchmark::State& state) { run_adam(state, KernelPath::sparse); }
BENCHMARK(BM_Adam_DenseMasked)->ArgsProduct({{512, 256}, kSparsities})->ArgNames({"out", "sparsity"})->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Adam_Sparse)->ArgsProduct({{512, 256}, kSparsities})->ArgNames({"out", "sparsity"})->Unit(benchmark::kMicrosecond);

}  // namespace
