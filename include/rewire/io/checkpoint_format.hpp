// rewire/io/checkpoint_format.hpp - what every network checkpoint shares
// (docs/checkpoints.md): the float32/uint64 arrays, the manifest's head,
// modulation, Adam's moments, stream positions and meta, and their strict
// readers. io/checkpoint.hpp (Mlp) and io/rnn_checkpoint.hpp (Rnn) add the
// keys that describe their network.
#pragma once

#include <rewire/io/adam_moments.hpp>
#include <rewire/io/json.hpp>
#include <rewire/io/npz.hpp>
#include <rewire/nn/modulation.hpp>
#include <rewire/nn/masked_linear.hpp>
#include <rewire/train/adam.hpp>
#include <rewire/version.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace rewire::io {

inline constexpr int kCheckpointFormatVersion = 1;
inline constexpr const char* kCheckpointFormat = "rewire-checkpoint";

/// One saved state: a network (Mlp or Rnn), optionally Adam's moments,
/// named random stream positions and the caller's own data (`meta`, a JSON
/// object).
template <class Net>
struct NetworkCheckpoint {
  Net net;
  std::optional<AdamMoments> adam;
  std::vector<std::pair<std::string, std::vector<std::uint64_t>>> streams;
  Json meta = Json::object();
};

namespace detail {

inline bool host_little_endian() {
  const std::uint16_t one = 1;
  unsigned char first = 0;
  std::memcpy(&first, &one, 1);
  return first == 1;
}

/// Files are little-endian; on a big-endian host every element is reversed.
inline void swap_if_big_endian(std::string& bytes, std::size_t elem) {
  if (host_little_endian() || elem == 1) return;
  for (std::size_t i = 0; i + elem <= bytes.size(); i += elem)
    for (std::size_t a = i, b = i + elem - 1; a < b; ++a, --b) std::swap(bytes[a], bytes[b]);
}

/// A float32 (rows, cols) array, row-major; `mask` (if given) stores +0.0
/// wherever it is 0 (a product with the mask can leave -0.0 there).
inline NpyArray f4(std::string name, const Matrix& M, bool vector, const Matrix* mask = nullptr) {
  NpyArray a;
  a.name = std::move(name);
  a.dtype = Dtype::f4;
  a.shape = vector ? std::vector<std::uint64_t>{std::uint64_t(M.size())}
                   : std::vector<std::uint64_t>{std::uint64_t(M.rows()), std::uint64_t(M.cols())};
  a.bytes.resize(std::size_t(M.size()) * 4);
  std::size_t k = 0;
  for (Index r = 0; r < M.rows(); ++r)
    for (Index c = 0; c < M.cols(); ++c, k += 4) {
      const float v = (mask != nullptr && (*mask)(r, c) == 0.0f) ? 0.0f : M(r, c);
      std::memcpy(&a.bytes[k], &v, 4);
    }
  swap_if_big_endian(a.bytes, 4);
  return a;
}

inline NpyArray u8(std::string name, const std::vector<std::uint64_t>& words) {
  NpyArray a;
  a.name = std::move(name);
  a.dtype = Dtype::u8;
  a.shape = {std::uint64_t(words.size())};
  a.bytes.resize(words.size() * 8);
  if (!words.empty()) std::memcpy(&a.bytes[0], words.data(), a.bytes.size());
  swap_if_big_endian(a.bytes, 8);
  return a;
}

/// The arrays of a file by name; each one taken is ticked off, so entries
/// that nothing asked for can be reported.
class Entries {
 public:
  explicit Entries(std::vector<NpyArray> arrays) : arrays_(std::move(arrays)), used_(arrays_.size(), false) {}

  const NpyArray* find(const std::string& name) {
    for (std::size_t k = 0; k < arrays_.size(); ++k)
      if (arrays_[k].name == name) {
        used_[k] = true;
        return &arrays_[k];
      }
    return nullptr;
  }
  const NpyArray& get(const std::string& name) {
    const NpyArray* a = find(name);
    if (a == nullptr) bad("the array '" + name + "' is missing");
    return *a;
  }
  /// A float32 array of exactly (rows, cols) (vector: (rows,)), finite.
  Matrix matrix(const std::string& name, Index rows, Index cols, bool vector) {
    const NpyArray& a = get(name);
    const std::vector<std::uint64_t> want = vector ? std::vector<std::uint64_t>{std::uint64_t(rows)}
                                                   : std::vector<std::uint64_t>{std::uint64_t(rows), std::uint64_t(cols)};
    if (a.dtype != Dtype::f4) bad("'" + name + "' is not float32");
    if (a.shape != want) bad("'" + name + "' has shape " + shape_text(a.shape) + ", expected " + shape_text(want));
    std::string bytes = a.bytes;
    swap_if_big_endian(bytes, 4);
    Matrix M(rows, cols);
    for (Index r = 0, k = 0; r < rows; ++r)
      for (Index c = 0; c < cols; ++c, k += 4) std::memcpy(&M(r, c), &bytes[std::size_t(k)], 4);
    if (!M.allFinite()) bad("'" + name + "' holds NaN or infinite values");
    return M;
  }
  std::vector<std::uint64_t> words(const std::string& name) {
    const NpyArray& a = get(name);
    if (a.dtype != Dtype::u8 || a.shape.size() != 1) bad("'" + name + "' is not a 1-D uint64 array");
    std::string bytes = a.bytes;
    swap_if_big_endian(bytes, 8);
    std::vector<std::uint64_t> w(std::size_t(a.shape[0]));
    if (!w.empty()) std::memcpy(w.data(), bytes.data(), bytes.size());
    return w;
  }
  void require_all_used() const {
    for (std::size_t k = 0; k < arrays_.size(); ++k)
      if (!used_[k]) bad("unexpected array '" + arrays_[k].name + "' (not part of this checkpoint's manifest)");
  }

  static std::string shape_text(const std::vector<std::uint64_t>& s) {
    std::string t = "(";
    for (std::size_t k = 0; k < s.size(); ++k) t += (k ? ", " : "") + std::to_string(s[k]);
    return t + (s.size() == 1 ? ",)" : ")");
  }

 private:
  std::vector<NpyArray> arrays_;
  std::vector<bool> used_;
};

inline const Json& member(const Json& j, const std::string& key, Json::Type type) {
  const Json* m = j.find(key);
  if (m == nullptr) bad("the manifest has no '" + key + "'");
  if (m->type != type) bad("the manifest's '" + key + "' has the wrong type");
  return *m;
}

inline long integer(const Json& j, const std::string& key, double lo, double hi) {
  const double v = member(j, key, Json::Type::number).number;
  if (!(v >= lo && v <= hi) || v != std::floor(v)) bad("the manifest's '" + key + "' is not an integer in range");
  return long(v);
}

/// Where a layer's arrays live in a file: "<prefix>.weight", ".bias", ".mask".
struct LayerShape {
  std::string prefix;
  Index in = 0, out = 0;
};

/// format, format_version and library_version: the head of every manifest.
inline Json manifest_head() {
  Json manifest = Json::object();
  manifest.set("format", Json::of(kCheckpointFormat))
      .set("format_version", Json::of(double(kCheckpointFormatVersion)))
      .set("library_version", Json::of(rewire::version));
  return manifest;
}

template <class V>
Json numbers_json(const V& values) {
  Json a = Json::array();
  for (auto v : values) a.items.push_back(Json::of(double(v)));
  return a;
}

/// The modulation; "units" (one object per hidden layer with the arrays
/// tanh, damping, noise_scale) only under a per-unit modulation, so the
/// files of uniform ones are as they always were.
inline Json modulation_json(const Modulation& mod) {
  Json j = Json::object()
               .set("activation", Json::of(to_string(mod.activation)))
               .set("noise_sigma", Json::of(double(mod.noise_sigma)))
               .set("damping", Json::of(double(mod.damping)));
  if (!mod.per_unit()) return j;
  Json units = Json::array();
  for (const UnitModulation& u : mod.units)
    units.items.push_back(Json::object()
                              .set("tanh", numbers_json(u.tanh))
                              .set("damping", numbers_json(u.damping))
                              .set("noise_scale", numbers_json(u.noise_scale)));
  return j.set("units", units);
}

/// The file of a network whose layer l is `layer(l)` stored as shapes[l]:
/// the layers' arrays, Adam's moments (in the manifest's "adam"), the
/// streams and meta, and `manifest` (its head and the network's own keys
/// already set) as the last array.
template <class Net>
std::string network_bytes(const NetworkCheckpoint<Net>& c, const std::vector<LayerShape>& shapes, Json manifest) {
  std::vector<NpyArray> arrays;
  for (std::size_t l = 0; l < shapes.size(); ++l) {
    const auto& layer = c.net.layer(l);
    arrays.push_back(f4(shapes[l].prefix + ".weight", layer.weight(), false, &layer.mask()));
    arrays.push_back(f4(shapes[l].prefix + ".bias", layer.bias(), true));
    arrays.push_back(f4(shapes[l].prefix + ".mask", layer.mask(), false));
  }
  manifest.set("modulation", modulation_json(c.net.modulation()));
  if (c.adam) {
    const AdamMoments& a = *c.adam;
    rewire::detail::require(a.m.size() == 2 * shapes.size() && a.v.size() == a.m.size(),
                    "Adam moments do not match the network's parameters");
    manifest.set("adam", Json::object()
                             .set("step", Json::of(double(a.step)))
                             .set("lr", Json::of(double(a.options.lr)))
                             .set("beta1", Json::of(double(a.options.beta1)))
                             .set("beta2", Json::of(double(a.options.beta2)))
                             .set("eps", Json::of(double(a.options.eps))));
    for (std::size_t k = 0; k < a.m.size(); ++k) {
      const std::string name = shapes[k / 2].prefix + (k % 2 == 1 ? ".bias" : ".weight");
      arrays.push_back(f4("adam.m." + name, a.m[k], k % 2 == 1));
      arrays.push_back(f4("adam.v." + name, a.v[k], k % 2 == 1));
    }
  }
  Json streams = Json::array();
  for (const auto& s : c.streams) {
    streams.items.push_back(Json::of(s.first));
    arrays.push_back(u8("stream." + s.first, s.second));
  }
  manifest.set("streams", streams).set("meta", c.meta);
  const std::string text = dump_json(manifest);
  NpyArray m;
  m.name = "manifest";
  m.dtype = Dtype::u1;
  m.shape = {std::uint64_t(text.size())};
  m.bytes = text;
  arrays.push_back(std::move(m));
  return npz_bytes(arrays);
}

inline Json read_manifest(Entries& e) {
  const NpyArray& m = e.get("manifest");
  if (m.dtype != Dtype::u1 || m.shape.size() != 1) bad("'manifest' is not a 1-D uint8 array");
  Json j;
  try {
    j = parse_json(m.bytes);
  } catch (const std::runtime_error& err) {
    bad(std::string("the manifest is not valid JSON (") + err.what() + ")");
  }
  if (j.type != Json::Type::object) bad("the manifest is not a JSON object");
  if (member(j, "format", Json::Type::string).text != kCheckpointFormat) bad("not a rewire checkpoint (format is not 'rewire-checkpoint')");
  const long version = integer(j, "format_version", -1e9, 1e9);
  if (version != kCheckpointFormatVersion)
    bad("format version " + std::to_string(version) + " is not supported (this library reads version " +
        std::to_string(kCheckpointFormatVersion) + ")");
  return j;
}

/// A layer's mask and weight, checked against each other.
inline std::pair<Matrix, Matrix> read_layer(Entries& e, const LayerShape& shape) {
  const std::string& pre = shape.prefix;
  Matrix mask = e.matrix(pre + ".mask", shape.out, shape.in, false);
  if (!((mask.array() == 0.0f) || (mask.array() == 1.0f)).all()) bad("'" + pre + ".mask' holds values other than 0 and 1");
  Matrix W = e.matrix(pre + ".weight", shape.out, shape.in, false);
  const Index stray = ((mask.array() == 0.0f) && (W.array() != 0.0f)).count();
  if (stray > 0)
    bad("'" + pre + ".weight' is non-zero at " + std::to_string(stray) + " positions that '" + pre +
        ".mask' prunes (the mask disagrees with the weights)");
  return {std::move(mask), std::move(W)};
}

inline Modulation read_modulation(const Json& j) {
  const Json& m = member(j, "modulation", Json::Type::object);
  Modulation mod;
  try {
    mod.activation = parse_activation(member(m, "activation", Json::Type::string).text);
  } catch (const std::invalid_argument&) {
    bad("the manifest's modulation.activation is unknown");
  }
  mod.noise_sigma = float(member(m, "noise_sigma", Json::Type::number).number);
  mod.damping = float(member(m, "damping", Json::Type::number).number);
  if (!(mod.noise_sigma >= 0.0f) || !std::isfinite(mod.noise_sigma) || !std::isfinite(mod.damping))
    bad("the manifest's modulation has an invalid noise_sigma or damping");
  if (const Json* units = m.find("units")) {
    if (units->type != Json::Type::array || units->items.empty()) bad("the manifest's modulation.units is not a list of layers");
    for (const Json& layer : units->items) {
      if (layer.type != Json::Type::object) bad("the manifest's modulation.units holds a non-object");
      const auto numbers = [&](const char* key) {
        std::vector<double> out;
        for (const Json& x : member(layer, key, Json::Type::array).items) {
          if (x.type != Json::Type::number) bad(std::string("the manifest's modulation.units.") + key + " holds a non-number");
          out.push_back(x.number);
        }
        return out;
      };
      UnitModulation u;
      for (double t : numbers("tanh")) {
        if (t != 0.0 && t != 1.0) bad("the manifest's modulation.units.tanh holds values other than 0 and 1");
        u.tanh.push_back(t == 1.0 ? 1 : 0);
      }
      for (double d : numbers("damping")) u.damping.push_back(float(d));
      for (double x : numbers("noise_scale")) u.noise_scale.push_back(float(x));
      mod.units.push_back(std::move(u));
    }
    try {
      mod.validate();
    } catch (const std::invalid_argument& err) {
      bad(std::string("the manifest's modulation.units is invalid: ") + err.what());
    }
  }
  return mod;
}

inline AdamMoments read_adam(Entries& e, const Json& a, const std::vector<LayerShape>& shapes) {
  AdamMoments m;
  m.step = integer(a, "step", 0, 9e15);
  m.options.lr = float(member(a, "lr", Json::Type::number).number);
  m.options.beta1 = float(member(a, "beta1", Json::Type::number).number);
  m.options.beta2 = float(member(a, "beta2", Json::Type::number).number);
  m.options.eps = float(member(a, "eps", Json::Type::number).number);
  try {
    m.options.validate();
  } catch (const std::invalid_argument& err) {
    bad(std::string("the manifest's Adam options are invalid: ") + err.what());
  }
  for (std::size_t k = 0; k < 2 * shapes.size(); ++k) {
    const bool bias = k % 2 == 1;
    const LayerShape& s = shapes[k / 2];
    const std::string name = s.prefix + (bias ? ".bias" : ".weight");
    m.m.push_back(e.matrix("adam.m." + name, s.out, bias ? 1 : s.in, bias));
    m.v.push_back(e.matrix("adam.v." + name, s.out, bias ? 1 : s.in, bias));
    if ((m.v.back().array() < 0.0f).any()) bad("'adam.v." + name + "' holds negative values");
  }
  return m;
}

/// Everything of a file but the network itself, checked: the layers'
/// arrays (mask, weight, bias per shape), Adam, streams and meta; then
/// that no array is left over. `c.net` is left to the caller, who builds
/// it with fill_layers once all is read.
struct NetworkArrays {
  std::vector<std::pair<Matrix, Matrix>> layers;  // (mask, weight)
  std::vector<Matrix> biases;
  Modulation modulation;
};
template <class Net>
NetworkArrays read_network(Entries& e, const Json& j, const std::vector<LayerShape>& shapes, NetworkCheckpoint<Net>& c) {
  NetworkArrays out;
  for (const LayerShape& s : shapes) {
    out.layers.push_back(read_layer(e, s));
    out.biases.push_back(e.matrix(s.prefix + ".bias", s.out, 1, true));
  }
  out.modulation = read_modulation(j);
  if (const Json* a = j.find("adam")) {
    if (a->type != Json::Type::object) bad("the manifest's 'adam' is not an object");
    c.adam = read_adam(e, *a, shapes);
  }
  for (const Json& s : member(j, "streams", Json::Type::array).items) {
    if (s.type != Json::Type::string) bad("the manifest's stream names must be strings");
    c.streams.emplace_back(s.text, e.words("stream." + s.text));
  }
  c.meta = member(j, "meta", Json::Type::object);
  e.require_all_used();
  return out;
}

/// Gives `net` (built with the right shapes) the arrays read_network read.
template <class Net>
void fill_layers(Net& net, const NetworkArrays& a) {
  try {
    a.modulation.require_fits(net.hidden_widths());
  } catch (const std::invalid_argument& err) {
    bad(std::string("the manifest's modulation does not fit the network: ") + err.what());
  }
  net.modulation() = a.modulation;
  std::vector<ParamRef> params = net.parameters();
  for (std::size_t l = 0; l < a.layers.size(); ++l) {
    net.layer(l).set_mask(a.layers[l].first);
    net.layer(l).set_weight(a.layers[l].second);
    params[2 * l + 1].values() = Eigen::Map<const Eigen::ArrayXf>(a.biases[l].data(), a.biases[l].size());
  }
}

/// Reads a file's arrays and hands a FormatError on with the path in front.
template <class Read>
auto load_file(const std::filesystem::path& path, Read&& read) {
  std::vector<NpyArray> arrays = read_npz(path);
  try {
    return read(std::move(arrays));
  } catch (const FormatError& e) {
    throw FormatError("'" + path.string() + "': " + e.what());
  }
}

}  // namespace detail

}  // namespace rewire::io
