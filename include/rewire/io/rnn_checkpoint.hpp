// rewire/io/rnn_checkpoint.hpp - save and load a recurrent network's full
// state as one NumPy .npz file, in the format of io/checkpoint.hpp
// (docs/checkpoints.md) with the recurrent network's own arrays and keys:
//
//   rnn.input.*, rnn.recurrent.*, rnn.output.*   weight, bias, mask of each
//                                                matrix (nn/rnn.hpp, kRnnLayerNames)
//   adam.m.rnn.<...>, adam.v.rnn.<...>            Adam's moments (optional)
//   stream.<name>, manifest                      as for the Mlp; the manifest
//     has "network": "rnn" and "rnn": {inputs, units, outputs, alpha, dale,
//     excitatory_fraction} instead of "widths".
//
// The weights stored are the parameters W; under Dale's law the effective
// weights |W| .* s follow from the manifest's unit rule.
#pragma once

#include <rewire/io/checkpoint_format.hpp>
#include <rewire/nn/rnn.hpp>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

namespace rewire::io {

/// A recurrent network's saved state (see NetworkCheckpoint).
using RnnCheckpoint = NetworkCheckpoint<Rnn>;

namespace detail {

inline constexpr const char* kRnnKind = "rnn";

/// The input, recurrent and output matrices as stored.
inline std::vector<LayerShape> rnn_shapes(Index inputs, Index units, Index outputs) {
  const std::size_t in = std::size_t(RnnLayer::input), rec = std::size_t(RnnLayer::recurrent),
                    out = std::size_t(RnnLayer::output);
  std::vector<LayerShape> shapes(3);
  shapes[in] = {kRnnLayerNames[in], inputs, units};
  shapes[rec] = {kRnnLayerNames[rec], units, units};
  shapes[out] = {kRnnLayerNames[out], units, outputs};
  return shapes;
}

struct RnnShape {
  Index inputs = 0, units = 0, outputs = 0;
  RnnOptions options;
};

inline RnnShape read_rnn_shape(const Json& j) {
  const Json* kind = j.find("network");
  if (kind == nullptr || kind->type != Json::Type::string || kind->text != kRnnKind)
    bad("not a recurrent network's checkpoint (the manifest has no \"network\": \"rnn\"; read a feed-forward one with io::load)");
  const Json& r = member(j, "rnn", Json::Type::object);
  RnnShape s;
  s.inputs = Index(integer(r, "inputs", 1, 1e8));
  s.units = Index(integer(r, "units", 1, 1e8));
  s.outputs = Index(integer(r, "outputs", 1, 1e8));
  s.options.alpha = float(member(r, "alpha", Json::Type::number).number);
  s.options.dale = member(r, "dale", Json::Type::boolean).boolean;
  s.options.excitatory_fraction = member(r, "excitatory_fraction", Json::Type::number).number;
  try {
    s.options.validate();
  } catch (const std::invalid_argument& err) {
    bad(std::string("the manifest's rnn options are invalid: ") + err.what());
  }
  return s;
}

inline RnnCheckpoint read_rnn_checkpoint(std::vector<NpyArray> arrays) {
  Entries e(std::move(arrays));
  const Json j = read_manifest(e);
  const RnnShape s = read_rnn_shape(j);
  RnnCheckpoint c;
  const NetworkArrays a = read_network(e, j, rnn_shapes(s.inputs, s.units, s.outputs), c);
  c.net = Rnn(s.inputs, s.units, s.outputs, s.options);  // everything is checked: only now is it built
  fill_layers(c.net, a);
  return c;
}

}  // namespace detail

/// The bytes of the .npz file save() writes for a recurrent network.
inline std::string rnn_checkpoint_bytes(const RnnCheckpoint& c) {
  using namespace detail;
  const Rnn& net = c.net;
  const RnnOptions& o = net.options();
  Json manifest = manifest_head();
  manifest.set("network", Json::of(kRnnKind))
      .set("rnn", Json::object()
                      .set("inputs", Json::of(double(net.in_features())))
                      .set("units", Json::of(double(net.units())))
                      .set("outputs", Json::of(double(net.out_features())))
                      .set("alpha", Json::of(double(o.alpha)))
                      .set("dale", Json::of(o.dale))
                      .set("excitatory_fraction", Json::of(o.excitatory_fraction)));
  return network_bytes(c, rnn_shapes(net.in_features(), net.units(), net.out_features()), std::move(manifest));
}

/// Writes `c` to `path` atomically (a unique temporary file, then a
/// rename). Creates the directories `path` needs that do not exist yet
/// (as `mkdir -p`). Throws std::runtime_error naming the path on I/O
/// failure (a directory that cannot be created included).
inline void save(const std::filesystem::path& path, const RnnCheckpoint& c) {
  write_file_atomic(path, rnn_checkpoint_bytes(c));
}

/// Saves a recurrent network alone (no optimiser, no streams).
inline void save(const std::filesystem::path& path, const Rnn& net) {
  RnnCheckpoint c;
  c.net = net;
  save(path, c);
}

/// Reads rnn_checkpoint_bytes' output, checked as load_rnn() checks a file.
inline RnnCheckpoint parse_rnn_checkpoint(const std::string& bytes) {
  return detail::read_rnn_checkpoint(parse_npz(bytes));
}

/// Reads a recurrent network's checkpoint. Throws FormatError "'<path>':
/// <problem>" for any bad file, a feed-forward network's included, and for
/// a path that is missing or not a regular file (a directory).
inline RnnCheckpoint load_rnn(const std::filesystem::path& path) {
  return detail::load_file(path,
                                [](std::vector<NpyArray> a) { return detail::read_rnn_checkpoint(std::move(a)); });
}

}  // namespace rewire::io
