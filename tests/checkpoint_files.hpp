// tests/checkpoint_files.hpp - scratch files and edited checkpoints for the
// checkpoint tests of every network kind.
#pragma once

#include <rewire/io/checkpoint.hpp>
#include <rewire/io/rnn_checkpoint.hpp>

#include "test_helpers.hpp"

#include <catch2/catch.hpp>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

namespace rewire_test {

namespace fs = std::filesystem;

inline fs::path scratch(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / "rewire_test_checkpoint";
  fs::create_directories(dir);
  return dir / name;
}

inline std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline void spit(const fs::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary | std::ios::trunc).write(bytes.data(), std::streamsize(bytes.size()));
}

/// The message of the FormatError io::load(p) (or, with `rnn`, io::load_rnn(p))
/// throws ("" if it does not throw).
inline std::string load_error(const fs::path& p, bool rnn = false) {
  try {
    if (rnn)
      rewire::io::load_rnn(p);
    else
      rewire::io::load(p);
  } catch (const rewire::io::FormatError& e) {
    return e.what();
  }
  return "";
}

/// Rewrites the arrays of the checkpoint at `good` through `edit` into a
/// file and returns load_error of it.
template <typename Edit>
std::string error_after(const fs::path& good, Edit edit, bool rnn = false) {
  std::vector<rewire::io::NpyArray> arrays = rewire::io::read_npz(good);
  edit(arrays);
  const fs::path p = scratch("edited.npz");
  rewire::io::write_file_atomic(p, rewire::io::npz_bytes(arrays));
  return load_error(p, rnn);
}

inline rewire::io::NpyArray& entry(std::vector<rewire::io::NpyArray>& arrays, const std::string& name) {
  for (auto& a : arrays)
    if (a.name == name) return a;
  throw std::runtime_error("test fixture: no array " + name);
}

inline void set_float(rewire::io::NpyArray& a, std::size_t index, float v) { std::memcpy(&a.bytes[index * 4], &v, 4); }

/// An edit that replaces the first `from` in the manifest by `to`.
inline auto manifest_replace(const std::string& from, const std::string& to) {
  return [from, to](std::vector<rewire::io::NpyArray>& arrays) {
    std::string& m = entry(arrays, "manifest").bytes;
    REQUIRE(m.find(from) != std::string::npos);
    m.replace(m.find(from), from.size(), to);
    entry(arrays, "manifest").shape = {m.size()};
  };
}

/// An edit that sets the weight of the first pruned position of layer
/// `prefix` (its "<prefix>.mask" is 0 there) to 0.25.
inline auto weight_where_pruned(const std::string& prefix) {
  return [prefix](std::vector<rewire::io::NpyArray>& arrays) {
    rewire::io::NpyArray& m = entry(arrays, prefix + ".mask");
    for (std::size_t k = 0; k < m.bytes.size() / 4; ++k) {
      float v;
      std::memcpy(&v, &m.bytes[k * 4], 4);
      if (v == 0.0f) return set_float(entry(arrays, prefix + ".weight"), k, 0.25f);
    }
  };
}

// Bit for bit, except that a pruned weight may be -0.0 in one and +0.0 in
// the other: the file stores +0.0 (Adam's masked update leaves either sign),
// and a zero of either sign is the same pruned weight to every kernel.
template <class Net>
bool same_params(const Net& a, const Net& b) {
  for (std::size_t l = 0; l < a.num_layers(); ++l) {
    const rewire::Matrix& mask = a.layer(l).mask();
    rewire::Matrix wa = a.layer(l).weight(), wb = b.layer(l).weight();
    REQUIRE(wa.rows() == wb.rows());
    REQUIRE(wa.cols() == wb.cols());
    for (rewire::Index k = 0; k < mask.size(); ++k)
      if (mask.data()[k] == 0.0f && wa.data()[k] == 0.0f && wb.data()[k] == 0.0f) wa.data()[k] = wb.data()[k] = 0.0f;
    if (!bitwise_equal(wa, wb) || !bitwise_equal(mask, b.layer(l).mask()) ||
        !bitwise_equal(a.layer(l).bias(), b.layer(l).bias()))
      return false;
  }
  return true;
}

}  // namespace rewire_test
