// checkpoint_tool - the C++ side of the numpy round-trip test
// (tests/checkpoint/numpy_roundtrip.py):
//   checkpoint_tool write PATH   a pruned 3-layer network with Adam moments
//                                and a stream, saved with io::save
//   checkpoint_tool print PATH   loads PATH with io::load and prints every
//                                weight, mask and bias entry ("name row col value")
// A file load() refuses ends with its message on stderr and exit code 1.
#include <rewire/io/checkpoint.hpp>

#include <cstdio>
#include <cstring>
#include <exception>

namespace {

using namespace rewire;

int write(const char* path) {
  Rng rng(3);
  Mlp net({4, 6, 3});
  net.init(rng);
  for (std::size_t l = 0; l < net.num_layers(); ++l) {
    Matrix mask(net.layer(l).out_features(), net.layer(l).in_features());
    for (Index k = 0; k < mask.size(); ++k) mask.data()[k] = rng.uniform() < 0.5f ? 0.0f : 1.0f;
    net.layer(l).set_mask(mask);
  }
  Adam adam(AdamOptions{0.05f});
  for (int s = 0; s < 2; ++s) {  // leaves -0.0 at some pruned positions on the dense path
    Matrix X = Matrix::Constant(2, 4, 0.5f), d = Matrix::Constant(2, 3, 0.1f);
    d(0, 1) = -0.3f;
    net.forward(X, nullptr);
    net.backward(d);
    adam.step(net.parameters());
  }
  io::Checkpoint c;
  c.net = net;
  c.adam = io::adam_moments(net, adam);
  const auto st = rng.state();
  c.streams.push_back({"regrow_values", {st.begin(), st.end()}});
  c.meta.set("note", io::Json::of("written by checkpoint_tool"));
  io::save(path, c);
  return 0;
}

void print_matrix(const char* name, std::size_t layer, const Matrix& M) {
  for (Index r = 0; r < M.rows(); ++r)
    for (Index c = 0; c < M.cols(); ++c) std::printf("layer%zu.%s %ld %ld %.9g\n", layer + 1, name, long(r), long(c), double(M(r, c)));
}

int print(const char* path) {
  const io::Checkpoint c = io::load(path);
  for (std::size_t l = 0; l < c.net.num_layers(); ++l) {
    print_matrix("weight", l, c.net.layer(l).weight());
    print_matrix("mask", l, c.net.layer(l).mask());
    print_matrix("bias", l, c.net.layer(l).bias());
  }
  std::printf("adam_step %ld\n", c.adam ? c.adam->step : -1L);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 || (std::strcmp(argv[1], "write") != 0 && std::strcmp(argv[1], "print") != 0)) {
    std::fprintf(stderr, "usage: checkpoint_tool write|print PATH\n");
    return 2;
  }
  try {
    return std::strcmp(argv[1], "write") == 0 ? write(argv[2]) : print(argv[2]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
