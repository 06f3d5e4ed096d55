// Checkpoints (io/checkpoint.hpp, io/npz.hpp): a saved state continues
// bit-identically, pruned weights are stored as +0.0, and every kind of bad
// file is refused with a message that names the file and the problem.
#include "checkpoint_files.hpp"
#include "test_helpers.hpp"

#include <rewire/io/checkpoint.hpp>

#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
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
using rewire_test::slurp;
using rewire_test::spit;

// A 3-layer network with a share `pruned` of each weight matrix masked.
Mlp pruned_net(float pruned) {
  Rng rng(11);
  Mlp net({5, 9, 7, 3});
  net.init(rng);
  for (std::size_t l = 0; l < net.num_layers(); ++l)
    net.layer(l).set_mask(rewire_test::random_mask(net.layer(l).out_features(), net.layer(l).in_features(), rng, pruned));
  net.modulation().activation = Activation::tanh;
  net.modulation().damping = 0.75f;
  return net;
}

// One Adam step on a fixed batch and a fixed dL/dlogits.
void adam_step(Mlp& net, Adam& adam, std::uint64_t key) {
  Rng rng(key);
  const Matrix X = rewire_test::random_matrix(6, 5, rng);
  const Matrix dlogits = rewire_test::random_matrix(6, 3, rng);
  net.forward(X, nullptr);
  net.backward(dlogits);
  adam.step(net.parameters());
}

}  // namespace

TEST_CASE("CRC-32 gives the standard check value") {
  // The CRC-32 (ISO-HDLC) check value of "123456789" is 0xCBF43926 (in every CRC catalogue).
  REQUIRE(io::detail::crc32("123456789", 9) == 0xCBF43926u);
}

TEST_CASE("a saved network and Adam state continue bit-identically after load") {
  // Density 0.3 puts the layers on the sparse path (moments per active entry),
  // 0.9 keeps them dense: the moments must map back in both layouts.
  for (float pruned : {0.7f, 0.1f}) {
    Mlp net = pruned_net(pruned);
    Adam adam(AdamOptions{0.01f});
    for (std::uint64_t s = 0; s < 3; ++s) adam_step(net, adam, 100 + s);
    io::Checkpoint c;
    c.net = net;
    c.adam = io::adam_moments(net, adam);
    const fs::path p = scratch("continue.npz");
    io::save(p, c);

    io::Checkpoint back = io::load(p);
    REQUIRE(same_params(back.net, net));
    REQUIRE(back.net.modulation().activation == Activation::tanh);
    REQUIRE(back.net.modulation().damping == 0.75f);
    REQUIRE(back.adam);
    REQUIRE(back.adam->step == 3);
    Adam resumed = io::make_adam(back.net, *back.adam);
    // Reference: the original network and optimiser take the same fourth step.
    adam_step(net, adam, 200);
    adam_step(back.net, resumed, 200);
    CHECK(same_params(back.net, net));
  }
}

TEST_CASE("random streams and caller data survive a checkpoint") {
  Rng rng(5);
  NoiseSource noise(6);
  for (int k = 0; k < 3; ++k) rng.next_u64();
  float sink[300];
  noise.fill_normal(sink, 300, 1.0f);
  io::Checkpoint c;
  c.net = pruned_net(0.5f);
  const auto rs = rng.state();
  c.streams.push_back({"shuffle", {rs.begin(), rs.end()}});
  const auto ns = noise.state();
  c.streams.push_back({"noise", {ns.begin(), ns.end()}});
  c.meta.set("cycle", io::Json::of(4.0)).set("accuracy", io::Json::of(0.1 + 0.2));
  const fs::path p = scratch("streams.npz");
  io::save(p, c);
  const io::Checkpoint back = io::load(p);
  REQUIRE(back.streams.size() == 2);
  std::array<std::uint64_t, 4> r{};
  std::copy(back.streams[0].second.begin(), back.streams[0].second.end(), r.begin());
  Rng rng2 = Rng::from_state(r);
  std::array<std::uint32_t, 64> n{};
  REQUIRE(back.streams[1].second.size() == n.size());
  for (std::size_t k = 0; k < n.size(); ++k) n[k] = std::uint32_t(back.streams[1].second[k]);
  NoiseSource noise2 = NoiseSource::from_state(n);
  // Reference: the original streams, drawn further.
  for (int k = 0; k < 5; ++k) CHECK(rng2.next_u64() == rng.next_u64());
  float a[10], b[10];
  noise.fill_normal(a, 10, 1.0f);
  noise2.fill_normal(b, 10, 1.0f);
  CHECK(std::memcmp(a, b, sizeof a) == 0);
  CHECK(back.meta.find("cycle")->number == 4.0);
  CHECK(back.meta.find("accuracy")->number == 0.1 + 0.2);  // 17 digits: the double itself
}

TEST_CASE("checkpoint bytes in memory are the file save writes and read back alike") {
  io::Checkpoint c;
  c.net = pruned_net(0.5f);
  c.streams.push_back({"shuffle", {1, 2, 3, 4}});
  c.meta.set("seed", io::Json::of("7"));
  const fs::path p = scratch("bytes.npz");
  io::save(p, c);
  const std::string bytes = io::checkpoint_bytes(c);
  CHECK(bytes == slurp(p));  // the reference: the file save() wrote
  const io::Checkpoint back = io::parse_checkpoint(bytes);
  const io::Checkpoint from_file = io::load(p);
  for (std::size_t l = 0; l < c.net.num_layers(); ++l) {
    CHECK(back.net.layer(l).mask() == from_file.net.layer(l).mask());
    CHECK(back.net.layer(l).weight() == from_file.net.layer(l).weight());
    CHECK(back.net.layer(l).bias() == from_file.net.layer(l).bias());
  }
  CHECK(back.streams == from_file.streams);
  CHECK(back.meta.find("seed")->text == "7");
  // Damaged bytes are refused as a damaged file is.
  CHECK_THROWS_AS(io::parse_checkpoint(bytes.substr(0, bytes.size() / 2)), io::FormatError);
}

TEST_CASE("pruned weights are stored as +0.0") {
  Mlp net({2, 3});
  Matrix W(3, 2);
  W << -1, -2, -3, -4, -5, -6;
  net.layer(0).set_weight(W);
  Matrix mask = Matrix::Ones(3, 2);
  mask(1, 0) = 0;  // -3 * 0 = -0.0 in the stored product
  net.layer(0).set_mask(mask);
  const fs::path p = scratch("zero.npz");
  io::save(p, net);
  for (const auto& a : io::read_npz(p))
    if (a.name == "layer1.weight") {
      float v = 1;
      std::memcpy(&v, &a.bytes[(1 * 2 + 0) * 4], 4);  // row 1, column 0 of a row-major (3, 2)
      std::uint32_t bits = 1;
      std::memcpy(&bits, &v, 4);
      CHECK(bits == 0u);
    }
}

TEST_CASE("truncated and corrupted checkpoint files are refused by name") {
  const fs::path good = scratch("good.npz");
  io::save(good, pruned_net(0.5f));
  const std::string bytes = slurp(good);
  const fs::path p = scratch("bad.npz");
  for (std::size_t keep : {std::size_t(0), std::size_t(10), bytes.size() / 3, bytes.size() / 2, bytes.size() - 1}) {
    spit(p, bytes.substr(0, keep));
    const std::string e = load_error(p);
    INFO("kept " << keep << " of " << bytes.size() << " bytes: " << e);
    CHECK(e.find(p.string()) != std::string::npos);
  }
  std::string flipped = bytes;
  flipped[200] = char(flipped[200] ^ 0x10);  // inside the first entry's data
  spit(p, flipped);
  CHECK_THAT(load_error(p), Catch::Contains("CRC-32") && Catch::Contains(p.string()));
  CHECK_THAT(load_error(scratch("missing.npz")), Catch::Contains("cannot open"));
}

TEST_CASE("a zip64 locator pointing past a file shorter than a zip64 end record is refused") {
  // 44 bytes: a zip64 locator naming an end record at offset 0x21, then an
  // end record whose fields ask for the zip64 one. The bounds check must not
  // wrap below 56 bytes (a fuzzer found the read past the end).
  std::string s("\x01\x00PK\x06\x07\x00\x00\x00\x00\x00\x21\x00\x99\xca\x46\xc9\xe0\x00\xff\xff\xff"
                "PK\x05\x06\x00\xff\xff\xf7\xff\xff\xff\xff\xe2\xff\xff\xff\xff\x04\x00\x00\x00\x00", 44);
  CHECK_THROWS_WITH(io::parse_npz(s), Catch::Contains("zip64 end record"));
}


TEST_CASE("checkpoints with wrong content are refused with the problem named") {
  const fs::path good = scratch("good2.npz");
  io::save(good, pruned_net(0.5f));
  REQUIRE(load_error(good).empty());
  CHECK_THAT(error_after(good, manifest_replace("\"format_version\": 1", "\"format_version\": 7")),
             Catch::Contains("format version 7 is not supported"));
  CHECK_THAT(error_after(good, manifest_replace("\"widths\": [5, 9", "\"widths\": [5, 8")),
             Catch::Contains("'layer1.mask' has shape (9, 5), expected (8, 5)"));
  CHECK_THAT(error_after(good, [](auto& a) { set_float(entry(a, "layer2.weight"), 3, std::nanf("")); }),
             Catch::Contains("'layer2.weight' holds NaN"));
  CHECK_THAT(error_after(good, [](auto& a) { set_float(entry(a, "layer1.bias"), 0, 1.0f / 0.0f); }),
             Catch::Contains("'layer1.bias' holds NaN or infinite"));
  CHECK_THAT(error_after(good, [](auto& a) { set_float(entry(a, "layer1.mask"), 0, 0.5f); }),
             Catch::Contains("'layer1.mask' holds values other than 0 and 1"));
  // A weight where the mask says pruned.
  CHECK_THAT(error_after(good, rewire_test::weight_where_pruned("layer3")),
             Catch::Contains("'layer3.weight' is non-zero at 1 positions that 'layer3.mask' prunes"));
  CHECK_THAT(error_after(good, [](auto& a) { a.erase(a.begin()); }), Catch::Contains("'layer1.weight' is missing"));
  CHECK_THAT(error_after(good, [](auto& a) { a.push_back(io::NpyArray{"extra", io::Dtype::u1, {0}, ""}); }),
             Catch::Contains("unexpected array 'extra'"));
  CHECK_THAT(error_after(good, [](auto& a) {
                           entry(a, "layer1.bias").dtype = io::Dtype::u1;
                           entry(a, "layer1.bias").shape = {36};
                         }),
             Catch::Contains("'layer1.bias' is not float32"));
  CHECK_THAT(error_after(good, manifest_replace("{", "[")), Catch::Contains("the manifest is not valid JSON"));
}

TEST_CASE("loading a directory is a FormatError naming it, and save creates missing parent directories") {
  const fs::path dir = scratch("a_directory.npz");
  fs::create_directories(dir);
  CHECK_THAT(load_error(dir), Catch::Contains(dir.string()) && Catch::Contains("not a regular file"));
  CHECK_THAT(load_error(dir, true), Catch::Contains(dir.string()) && Catch::Contains("not a regular file"));
  CHECK_THROWS_AS(io::read_npz(dir), io::FormatError);
  // save documents that it creates the directories a path needs.
  const fs::path root = scratch("new_parent");
  fs::remove_all(root);
  const fs::path nested = root / "deeper" / "net.npz";
  const Mlp net = pruned_net(0.5f);
  io::save(nested, net);
  REQUIRE(fs::is_regular_file(nested));
  CHECK(same_params(io::load(nested).net, net));
  // ... and says so, naming the path, when one cannot be created (a file is in the way).
  const fs::path blocked = scratch("a_file") / "net.npz";
  spit(scratch("a_file"), "not a directory");
  CHECK_THROWS_WITH(io::save(blocked, net), Catch::Contains(blocked.string()) && Catch::Contains("directory"));
  CHECK_FALSE(fs::exists(blocked));
}
