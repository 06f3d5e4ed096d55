// rewire/io/checkpoint.hpp - save and load a feed-forward network's full
// state as one NumPy .npz file (the format is described in
// docs/checkpoints.md; the parts every network shares are in
// io/checkpoint_format.hpp):
//
//   layer<l>.weight  float32 (out, in)  pruned weights stored as +0.0
//   layer<l>.bias    float32 (out,)
//   layer<l>.mask    float32 (out, in)  1 = active, 0 = pruned
//   adam.m.<param>, adam.v.<param>      float32, the parameter's full shape (optional)
//   stream.<name>    uint64 (words,)    a random stream's position (optional)
//   manifest         uint8 (bytes,)     JSON: format and library version,
//                                       widths, modulation, Adam's step and
//                                       options, stream names, caller's "meta"
//
// load() validates everything before it builds the network, so a bad file
// gives a FormatError naming the file and the problem, never half a network.
#pragma once

#include <rewire/io/checkpoint_format.hpp>
#include <rewire/nn/mlp.hpp>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

namespace rewire::io {

/// A feed-forward network's saved state (see NetworkCheckpoint).
using Checkpoint = NetworkCheckpoint<Mlp>;

namespace detail {

/// Layer l of an Mlp of these widths is stored as "layer<l+1>.*".
inline std::vector<LayerShape> mlp_shapes(const std::vector<Index>& widths) {
  std::vector<LayerShape> shapes;
  for (std::size_t l = 0; l + 1 < widths.size(); ++l)
    shapes.push_back({"layer" + std::to_string(l + 1), widths[l], widths[l + 1]});
  return shapes;
}

inline std::vector<Index> widths_of(const Mlp& net) {
  std::vector<Index> widths{net.in_features()};
  for (std::size_t l = 0; l < net.num_layers(); ++l) widths.push_back(net.layer(l).out_features());
  return widths;
}

inline std::vector<Index> read_widths(const Json& j) {
  if (const Json* kind = j.find("network"); kind != nullptr && kind->type == Json::Type::string)
    bad("the file holds a network of kind '" + kind->text + "', not a feed-forward one (read a recurrent network with io::load_rnn)");
  const Json& w = member(j, "widths", Json::Type::array);
  if (w.items.size() < 2 || w.items.size() > 1000) bad("the manifest's widths need 2 to 1000 entries");
  std::vector<Index> widths;
  for (const Json& x : w.items) {
    if (x.type != Json::Type::number || !(x.number >= 1 && x.number <= 1e8) || x.number != std::floor(x.number))
      bad("the manifest's widths must be integers in [1, 1e8]");
    widths.push_back(Index(x.number));
  }
  return widths;
}

inline Checkpoint read_checkpoint(std::vector<NpyArray> arrays) {
  Entries e(std::move(arrays));
  const Json j = read_manifest(e);
  const std::vector<Index> widths = read_widths(j);
  Checkpoint c;
  const NetworkArrays a = read_network(e, j, mlp_shapes(widths), c);
  // Everything is checked: only now is the network built.
  c.net = Mlp(widths);
  fill_layers(c.net, a);
  return c;
}

}  // namespace detail

/// The bytes of the .npz file save() writes, in memory (e.g. to send a
/// state to another process without a shared file system).
inline std::string checkpoint_bytes(const Checkpoint& c) {
  using namespace detail;
  const std::vector<Index> widths = widths_of(c.net);
  Json w = Json::array();
  for (Index x : widths) w.items.push_back(Json::of(double(x)));
  Json manifest = manifest_head();
  manifest.set("widths", w);
  return network_bytes(c, mlp_shapes(widths), std::move(manifest));
}

/// Writes `c` to `path` atomically (a unique temporary file, then a
/// rename). Creates the directories `path` needs that do not exist yet
/// (as `mkdir -p`). Throws std::runtime_error naming the path on I/O
/// failure (a directory that cannot be created included).
inline void save(const std::filesystem::path& path, const Checkpoint& c) { write_file_atomic(path, checkpoint_bytes(c)); }

/// Saves a network alone (no optimiser, no streams).
inline void save(const std::filesystem::path& path, const Mlp& net) {
  Checkpoint c;
  c.net = net;
  save(path, c);
}

/// Reads checkpoint_bytes' output, checked as load() checks a file. Throws
/// FormatError for bad bytes.
inline Checkpoint parse_checkpoint(const std::string& bytes) {
  return detail::read_checkpoint(parse_npz(bytes));
}

/// Reads a checkpoint written by save() (or by numpy.savez with the same
/// arrays). Throws FormatError "'<path>': <problem>" for any bad file, and
/// for a path that is missing or not a regular file (a directory).
inline Checkpoint load(const std::filesystem::path& path) {
  return detail::load_file(path, [](std::vector<NpyArray> a) { return detail::read_checkpoint(std::move(a)); });
}

}  // namespace rewire::io
