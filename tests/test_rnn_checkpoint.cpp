// Checkpoints of recurrent networks (io/rnn_checkpoint.hpp): a saved
// network, Adam state and streams continue training bit-identically, the
// architecture (sizes, alpha, Dale's law) and modulation come back exactly,
// and damaged or mismatched files are refused with a FormatError that names
// the problem, as for the Mlp.
#include "checkpoint_files.hpp"
#include "test_helpers.hpp"

#include <rewire/rewire.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <string>

namespace {

using namespace rewire;
namespace fs = std::filesystem;
using rewire_test::entry;
using rewire_test::error_after;
using rewire_test::load_error;
using rewire_test::manifest_replace;
using rewire_test::same_params;
using rewire_test::scratch;
using rewire_test::set_float;

TrialSet trials(std::uint64_t key) {
  ClusterTaskSpec spec;
  spec.timing = TrialTiming{1, 4, 2, 2};
  Rng rng(key);
  return make_memory_trials(40, 0.8f, spec, rng);
}

/// A Dale network with a share `pruned` of every matrix masked, tanh and damping.
Rnn pruned_rnn(float pruned) {
  Rnn net(3, 12, 4, RnnOptions{0.35f, true, 0.75});
  Rng rng(11);
  net.init(rng);
  for (std::size_t l = 0; l < net.num_layers(); ++l)
    net.layer(l).set_mask(rewire_test::random_mask(net.layer(l).out_features(), net.layer(l).in_features(), rng, pruned));
  net.modulation() = Modulation{Activation::tanh, 0.3f, 0.75f};
  return net;
}

/// One Adam step of BPTT on a fixed batch, with internal noise.
void adam_step(Rnn& net, Adam& adam, NoiseSource& noise, std::uint64_t key) {
  const TrialSet s = trials(key);
  Matrix P, dY;
  sequence_cross_entropy_forward(P, net.forward(s.inputs, s.steps(), &noise), s.labels, s.response);
  sequence_cross_entropy_backward(dY, P, s.labels, s.response);
  net.backward(dY);
  adam.step(net.parameters());
}

std::array<std::uint32_t, 64> noise_state(const std::vector<std::uint64_t>& words) {
  std::array<std::uint32_t, 64> s{};
  for (std::size_t k = 0; k < s.size(); ++k) s[k] = std::uint32_t(words.at(k));
  return s;
}

}  // namespace

TEST_CASE("a saved rnn, its Adam state and streams continue bit-identically after load") {
  // Density 0.3 puts the matrices on the sparse path (moments per active
  // entry), 0.9 keeps them dense: the moments must map back in both layouts.
  for (float pruned : {0.7f, 0.1f}) {
    CAPTURE(pruned);
    Rnn net = pruned_rnn(pruned);
    REQUIRE(net.layer(RnnLayer::recurrent).uses_sparse() == (pruned > 0.5f));
    Adam adam(AdamOptions{0.01f});
    NoiseSource noise(stream_key(3, Purpose::noise));
    for (std::uint64_t s = 0; s < 3; ++s) adam_step(net, adam, noise, 100 + s);
    io::RnnCheckpoint c;
    c.net = net;
    c.adam = io::adam_moments(net, adam);
    const auto ns = noise.state();
    c.streams.push_back({"noise", {ns.begin(), ns.end()}});
    const fs::path p = scratch("rnn_continue.npz");
    io::save(p, c);

    io::RnnCheckpoint back = io::load_rnn(p);
    REQUIRE(same_params(back.net, net));
    CHECK(back.net.alpha() == 0.35f);
    CHECK(back.net.options().dale);
    CHECK(back.net.options().excitatory_fraction == 0.75);
    CHECK(back.net.unit_signs() == net.unit_signs());
    CHECK(back.net.modulation().activation == Activation::tanh);
    CHECK(back.net.modulation().noise_sigma == 0.3f);
    CHECK(back.net.modulation().damping == 0.75f);
    REQUIRE(back.adam);
    CHECK(back.adam->step == 3);
    Adam resumed = io::make_adam(back.net, *back.adam);
    NoiseSource noise2 = NoiseSource::from_state(noise_state(back.streams.at(0).second));
    // Reference: the original network, optimiser and stream take the same further steps.
    for (std::uint64_t s = 0; s < 2; ++s) {
      adam_step(net, adam, noise, 200 + s);
      adam_step(back.net, resumed, noise2, 200 + s);
    }
    CHECK(same_params(back.net, net));
    // And plain training (a fresh Adam, as the study does) from the loaded state.
    const TrialSet s = trials(300);
    Rng sh1(9), sh2(9);
    NoiseSource t1(10), t2(10);
    train_with_stress(net, s, {2, 1e-2f, 16}, 0.4f, sh1, t1);
    train_with_stress(back.net, s, {2, 1e-2f, 16}, 0.4f, sh2, t2);
    CHECK(same_params(back.net, net));
  }
}

TEST_CASE("rnn checkpoint bytes in memory are the file and name the network's arrays") {
  io::RnnCheckpoint c;
  c.net = pruned_rnn(0.5f);
  c.meta.set("task", io::Json::of("memory"));
  const fs::path p = scratch("rnn_bytes.npz");
  io::save(p, c);
  const std::string bytes = io::rnn_checkpoint_bytes(c);
  CHECK(bytes == rewire_test::slurp(p));
  std::vector<std::string> names;
  for (const auto& a : io::parse_npz(bytes)) names.push_back(a.name);
  const std::vector<std::string> want{"rnn.input.weight",  "rnn.input.bias",  "rnn.input.mask",
                                      "rnn.recurrent.weight", "rnn.recurrent.bias", "rnn.recurrent.mask",
                                      "rnn.output.weight", "rnn.output.bias", "rnn.output.mask", "manifest"};
  CHECK(names == want);
  const io::RnnCheckpoint back = io::parse_rnn_checkpoint(bytes);
  CHECK(same_params(back.net, c.net));
  CHECK(back.meta.find("task")->text == "memory");
  CHECK_THROWS_AS(io::parse_rnn_checkpoint(bytes.substr(0, bytes.size() / 2)), io::FormatError);
}

TEST_CASE("damaged or mismatched rnn checkpoints are refused with the problem named") {
  const fs::path good = scratch("rnn_good.npz");
  io::save(good, pruned_rnn(0.5f));
  REQUIRE(load_error(good, true).empty());
  // A network of the other kind, each way round.
  CHECK_THAT(load_error(good), Catch::Contains("kind 'rnn'") && Catch::Contains("load_rnn"));
  const fs::path mlp = scratch("rnn_vs_mlp.npz");
  io::save(mlp, Mlp({3, 5, 4}));
  CHECK_THAT(load_error(mlp, true), Catch::Contains("not a recurrent network's checkpoint"));
  CHECK_THAT(error_after(good, manifest_replace("\"alpha\": ", "\"alpha\": 1"), true),
             Catch::Contains("rnn options are invalid") && Catch::Contains("alpha"));
  CHECK_THAT(error_after(good, manifest_replace("\"excitatory_fraction\": ", "\"excitatory_fraction\": 3"), true),
             Catch::Contains("excitatory_fraction"));
  CHECK_THAT(error_after(good, manifest_replace("\"units\": 12", "\"units\": 13"), true),
             Catch::Contains("'rnn.input.mask' has shape (12, 3), expected (13, 3)"));
  CHECK_THAT(error_after(good, manifest_replace("\"dale\": true", "\"dale\": 1"), true),
             Catch::Contains("'dale' has the wrong type"));
  CHECK_THAT(error_after(good, [](auto& a) { set_float(entry(a, "rnn.recurrent.weight"), 5, std::nanf("")); }, true),
             Catch::Contains("'rnn.recurrent.weight' holds NaN"));
  CHECK_THAT(error_after(good, rewire_test::weight_where_pruned("rnn.recurrent"), true),
             Catch::Contains("'rnn.recurrent.weight' is non-zero at 1 positions that 'rnn.recurrent.mask' prunes"));
  CHECK_THAT(error_after(good, [](auto& a) { a.erase(a.begin() + 4); }, true),
             Catch::Contains("'rnn.recurrent.bias' is missing"));
  CHECK_THAT(load_error(scratch("rnn_missing.npz"), true), Catch::Contains("cannot open"));
}
