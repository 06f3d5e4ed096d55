// test_recurrent_doc.cpp - the C++ example of docs/recurrent.md, compiled
// and run: the function between the markers below is the page's code block
// (a test checks that the page shows it verbatim).
#include <catch2/catch.hpp>
#include <rewire/rewire.hpp>

#include "test_helpers.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace {

struct Outcome {
  double pruned = 0.0, regrown = 0.0, sparsity = 0.0;
};

// docs/recurrent.md: begin
using namespace rewire;

Outcome working_memory(const std::string& path) {
  // Working memory: a cluster point shown for 5 steps, hidden for 8, its class
  // reported in the last 3 (inputs: 2 coordinates and a fixation channel).
  ClusterTaskSpec task;
  task.timing = TrialTiming{2, 5, 8, 3};  // fixation, stimulus, delay, response
  task.step_sigma = 0.3f;                 // fresh noise on the shown point at every step
  Rng data(stream_key(0, Purpose::data)), init(stream_key(0, Purpose::init));
  Rng shuffle(stream_key(0, Purpose::shuffle)), regrow(stream_key(0, Purpose::regrow));
  NoiseSource noise(stream_key(0, Purpose::noise)), eval_noise(stream_key(0, Purpose::eval));
  TrialSet train_set = make_memory_trials(1000, 0.8f, task, data);  // 0.8: the point's scatter
  TrialSet test_set = make_memory_trials(500, 0.8f, task, data);

  RnnOptions options;
  options.alpha = 0.2f;  // dt / tau
  options.dale = true;   // the first 80 % of the units excitatory, the rest inhibitory
  Rnn net(3, 64, 4, options);
  net.init(init);
  train_with_stress(net, train_set, {8, 5e-3f, 64}, 0.5f, shuffle, noise);  // BPTT, Adam
  prune_to(net, 0.9);                                                    // per matrix
  Outcome out;
  out.pruned = accuracy(net, test_set, {0.5f, 0.5f}, eval_noise);  // noise at every step
  RegrowOptions regrowth;
  regrowth.batch_size = 64;
  regrow_by_gradient(net, train_set, regrowth, shuffle, regrow);  // |dL/dW| summed over BPTT
  train(net, train_set, {6, 3e-3f, 64}, shuffle);
  out.regrown = accuracy(net, test_set, {0.5f, 0.5f}, eval_noise);
  out.sparsity = net.sparsity();
  io::save(path, net);  // weights, masks, alpha, Dale's law, modulation (.npz)
  return out;
}
// docs/recurrent.md: end

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("the example of docs/recurrent.md runs and does what the page says", "[docs][rnn]") {
  const std::string path = (std::filesystem::temp_directory_path() / "rewire_recurrent_doc.npz").string();
  const Outcome o = working_memory(path);
  std::printf("docs/recurrent.md example: pruned %.1f%%, regrown %.1f%% at sparsity %.3f\n", o.pruned, o.regrown,
              o.sparsity);
  CHECK(o.regrown > 90.0);  // chance is 25 %
  CHECK(o.sparsity > 0.4);  // regrowth reopened half of the pruned weights
  CHECK(o.sparsity < 0.5);
  const io::RnnCheckpoint back = io::load_rnn(path);
  CHECK(back.net.options().dale);
  CHECK(rewire_test::dale_violations(back.net) == 0);
}

TEST_CASE("docs/recurrent.md shows the example verbatim", "[docs]") {
  const std::string self = read(__FILE__);
  const std::string begin = "// docs/recurrent.md: begin\n", end = "// docs/recurrent.md: end";
  const std::size_t a = self.find(begin), b = self.find(end);
  REQUIRE(a != std::string::npos);
  REQUIRE(b != std::string::npos);
  const std::string code = self.substr(a + begin.size(), b - a - begin.size());
  const std::string page = read(std::string(REWIRE_SOURCE_DIR) + "/docs/recurrent.md");
  REQUIRE_FALSE(page.empty());
  CHECK(page.find(code) != std::string::npos);
}
