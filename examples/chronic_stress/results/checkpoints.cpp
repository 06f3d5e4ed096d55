// results/checkpoints.cpp - see checkpoints.hpp.
#include "results/checkpoints.hpp"

#include <rewire/io/checkpoint.hpp>
#include <rewire/io/files.hpp>
#include <rewire/io/rnn_checkpoint.hpp>
#include <rewire/version.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <type_traits>
#include <stdexcept>
#include <system_error>
#include <vector>

namespace chronic_stress {

namespace fs = std::filesystem;
using rewire::io::Json;
using rewire::protocol::ArmResult;
using rewire::protocol::ArmState;
using rewire::protocol::StudySpec;

namespace {

// Doubles exactly: JSON numbers (17 digits) when finite, else a word (a
// diverged arm can measure NaN; the seed file writes it as null anyway).
Json exact_json(double v) {
  if (std::isfinite(v)) return Json::of(v);
  return Json::of(std::isnan(v) ? "nan" : v > 0 ? "inf" : "-inf");
}

double exact_json_value(const Json& j) {
  if (j.type == Json::Type::number) return j.number;
  if (j.type == Json::Type::string && j.text == "nan") return std::nan("");
  if (j.type == Json::Type::string && (j.text == "inf" || j.text == "-inf"))
    return j.text == "inf" ? HUGE_VAL : -HUGE_VAL;
  throw std::runtime_error("a result value is not a number");
}

Json series(const std::vector<double>& xs) {
  Json a = Json::array();
  for (double x : xs) a.items.push_back(exact_json(x));
  return a;
}

const Json& field(const Json& j, const char* key, Json::Type type) {
  const Json* f = j.find(key);
  if (f == nullptr || f->type != type) throw std::runtime_error(std::string("meta.") + key + " is missing or has the wrong type");
  return *f;
}

Json result_json(const ArmResult& r) {
  Json metrics = Json::object();
  for (const auto& [name, v] : r.metrics) metrics.set(name, exact_json(v));
  Json j = Json::object()
               .set("metrics", metrics)
               .set("cycle_sparsity", series(r.cycle_sparsity))
               .set("cycle_accuracy", series(r.cycle_accuracy))
               .set("relapse_cycle", r.relapse_cycle ? Json::of(double(*r.relapse_cycle)) : Json())
               .set("diverged", Json::of(r.diverged))
               .set("baseline_diverged", Json::of(r.baseline_diverged));
  if (r.doses_taken.empty()) return j;  // every dose taken: as such results always were
  Json doses = Json::array();
  for (int n : r.doses_taken) doses.items.push_back(Json::of(double(n)));
  return j.set("doses_taken", doses);
}

ArmResult result_from(const Json& j, const std::string& arm) {
  ArmResult r;
  r.arm = arm;
  for (const auto& [name, v] : field(j, "metrics", Json::Type::object).members) r.metrics[name] = exact_json_value(v);
  for (const Json& x : field(j, "cycle_sparsity", Json::Type::array).items) r.cycle_sparsity.push_back(exact_json_value(x));
  for (const Json& x : field(j, "cycle_accuracy", Json::Type::array).items) r.cycle_accuracy.push_back(exact_json_value(x));
  const Json* rc = j.find("relapse_cycle");
  if (rc != nullptr && rc->type == Json::Type::number) r.relapse_cycle = int(rc->number);
  r.diverged = field(j, "diverged", Json::Type::boolean).boolean;
  r.baseline_diverged = field(j, "baseline_diverged", Json::Type::boolean).boolean;
  if (j.find("doses_taken") != nullptr)
    for (const Json& x : field(j, "doses_taken", Json::Type::array).items) {
      if (x.type != Json::Type::number || !(x.number >= 0 && x.number <= 1e5) || x.number != std::floor(x.number))
        throw std::runtime_error("doses_taken holds a value that is not a count");
      r.doses_taken.push_back(int(x.number));
    }
  return r;
}

template <typename Array>
std::vector<std::uint64_t> words(const Array& a) {
  return std::vector<std::uint64_t>(a.begin(), a.end());
}

template <typename Array, class Net>
Array stream_from(const rewire::io::NetworkCheckpoint<Net>& c, const std::string& name) {
  for (const auto& [n, w] : c.streams)
    if (n == name) {
      Array a{};
      if (w.size() != a.size()) throw std::runtime_error("stream." + name + " has " + std::to_string(w.size()) + " words");
      for (std::size_t k = 0; k < a.size(); ++k) {
        if (w[k] > std::uint64_t(std::numeric_limits<typename Array::value_type>::max()))
          throw std::runtime_error("stream." + name + " holds a word out of range");
        a[k] = typename Array::value_type(w[k]);
      }
      return a;
    }
  throw std::runtime_error("stream." + name + " is missing");
}

// A checkpoint holding `s`'s network (of kind Net) and random streams (meta: the caller's).
template <class Net>
rewire::io::NetworkCheckpoint<Net> subject_checkpoint(const rewire::protocol::Subject& s, const Net& net) {
  rewire::io::NetworkCheckpoint<Net> c;
  c.net = net;
  c.streams.push_back({"shuffle", words(s.shuffle.state())});
  c.streams.push_back({"train_noise", words(s.train_noise.state())});
  c.streams.push_back({"regrow_values", words(s.regrow_values.state())});
  return c;
}

// The subject subject_checkpoint saved (c.net is moved from).
template <class Net>
rewire::protocol::Subject subject_from(rewire::io::NetworkCheckpoint<Net>& c, std::uint64_t seed, std::uint64_t lineage) {
  rewire::protocol::Subject subject(std::move(c.net), seed, lineage);
  subject.shuffle = rewire::Rng::from_state(stream_from<std::array<std::uint64_t, 4>>(c, "shuffle"));
  subject.train_noise =
      rewire::NoiseSource::from_state(stream_from<std::array<std::uint32_t, 4 * rewire::NoiseSource::kLanes>>(c, "train_noise"));
  subject.regrow_values = rewire::Rng::from_state(stream_from<std::array<std::uint64_t, 4>>(c, "regrow_values"));
  subject.diverged = field(c.meta, "subject_diverged", Json::Type::boolean).boolean;
  return subject;
}

// The network has the configuration's shape.
void check_shape(const rewire::Mlp& net, const StudySpec& spec) {
  std::vector<rewire::Index> widths{net.in_features()};
  for (std::size_t l = 0; l < net.num_layers(); ++l) widths.push_back(net.layer(l).out_features());
  if (spec.network != rewire::protocol::NetworkKind::mlp || widths != spec.widths)
    throw std::runtime_error("its network has other widths than the configuration");
}
void check_shape(const rewire::Rnn& net, const StudySpec& spec) {
  if (spec.network != rewire::protocol::NetworkKind::rnn || net.in_features() != spec.task_inputs() ||
      net.units() != spec.rnn.units || net.out_features() != spec.task_classes())
    throw std::runtime_error("its recurrent network has another shape than the configuration");
}

// The whole checkpoint of `bytes` (or a file), of the network kind the
// configuration trains, handed to f(checkpoint).
template <class F>
auto with_checkpoint_bytes(const std::string& bytes, const StudySpec& spec, F&& f) {
  if (spec.network == rewire::protocol::NetworkKind::rnn) {
    rewire::io::RnnCheckpoint c = rewire::io::parse_rnn_checkpoint(bytes);
    return f(c);
  }
  rewire::io::Checkpoint c = rewire::io::parse_checkpoint(bytes);
  return f(c);
}

// The bytes of the checkpoint of `s` with `meta` added.
std::string subject_checkpoint_bytes(const rewire::protocol::Subject& s, const Json& meta) {
  return s.net.visit([&](const auto& net) {
    auto c = subject_checkpoint(s, net);
    for (const auto& [key, value] : meta.members) c.meta.set(key, value);
    using Net = std::decay_t<decltype(net)>;
    if constexpr (std::is_same_v<Net, rewire::Rnn>) return rewire::io::rnn_checkpoint_bytes(c);
    else return rewire::io::checkpoint_bytes(c);
  });
}

// An arm's state from its checkpoint `c`, checked against `key` and `spec`.
template <class Net>
ArmState arm_state_of(rewire::io::NetworkCheckpoint<Net>& c, const StudySpec& spec, const ArmKey& key) {
  const Json& m = c.meta;
  const std::string& arm = spec.arms.at(key.arm).name;
  if (field(m, "config_hash", Json::Type::string).text != key.config_hash)
    throw std::runtime_error("it belongs to another configuration");
  if (field(m, "seed", Json::Type::string).text != std::to_string(key.seed)) throw std::runtime_error("it belongs to another seed");
  if (field(m, "arm", Json::Type::string).text != arm) throw std::runtime_error("it belongs to another arm");
  const std::uint64_t lineage = rewire::protocol::arm_lineage(key.arm);
  if (field(m, "lineage", Json::Type::string).text != std::to_string(lineage)) throw std::runtime_error("its lineage is wrong");
  check_shape(c.net, spec);
  const double next = field(m, "next_cycle", Json::Type::number).number;
  const int cycles = spec.longitudinal.cycles;
  const bool follow_up = spec.arms[key.arm].follow_up;
  ArmResult result = result_from(field(m, "result", Json::Type::object), arm);
  const int done = follow_up ? int(next) : 0;  // cycles measured so far
  if (!(next >= 0 && next <= cycles + 1 && next == std::floor(next)) || (!follow_up && next != cycles + 1) ||
      result.cycle_accuracy.size() != std::size_t(done) || result.cycle_sparsity.size() != std::size_t(done))
    throw std::runtime_error("its protocol position disagrees with its results");
  return ArmState{subject_from(c, key.seed, lineage), std::move(result), int(next)};
}

}  // namespace

fs::path seed_checkpoint_dir(const fs::path& out_dir, std::uint64_t seed) {
  char name[32];
  std::snprintf(name, sizeof name, "seed-%03llu", static_cast<unsigned long long>(seed));
  return out_dir / "checkpoints" / name;
}

fs::path checkpoint_path(const fs::path& out_dir, const StudySpec& spec, const ArmKey& key, const ArmState& state) {
  const fs::path dir = seed_checkpoint_dir(out_dir, key.seed) / spec.arms.at(key.arm).name;
  if (state.result.cycle_accuracy.empty()) return dir / "treatment.npz";
  char name[32];
  std::snprintf(name, sizeof name, "cycle-%03d.npz", state.next_cycle - 1);
  return dir / name;
}

void save_arm_state(const fs::path& file, const StudySpec& spec, const ArmKey& key, const ArmState& state) {
  // Integers up to 2^53 are exact as JSON numbers; seeds and lineages are
  // 64-bit, so they travel as decimal strings.
  Json meta = Json::object();
  meta.set("kind", Json::of("chronic_stress arm state"))
      .set("config_hash", Json::of(key.config_hash))
      .set("seed", Json::of(std::to_string(key.seed)))
      .set("arm", Json::of(spec.arms.at(key.arm).name))
      .set("arm_index", Json::of(double(key.arm)))
      .set("next_cycle", Json::of(double(state.next_cycle)))
      .set("lineage", Json::of(std::to_string(state.subject.lineage)))
      .set("subject_diverged", Json::of(state.subject.diverged))
      .set("result", result_json(state.result));
  rewire::io::write_file_atomic(file, subject_checkpoint_bytes(state.subject, meta));
}

ArmState load_arm_state(const fs::path& file, const StudySpec& spec, const ArmKey& key) {
  std::string bytes;
  try {
    bytes = rewire::io::read_file(file);
  } catch (const std::exception&) {
    throw rewire::io::FormatError("'" + file.string() + "': cannot open it for reading");
  }
  try {
    return with_checkpoint_bytes(bytes, spec, [&](auto& c) { return arm_state_of(c, spec, key); });
  } catch (const std::exception& e) {
    throw std::runtime_error("'" + file.string() + "': " + e.what());
  }
}

std::optional<ArmState> latest_arm_state(const fs::path& out_dir, const StudySpec& spec, const ArmKey& key,
                                         std::string& notes) {
  const fs::path dir = seed_checkpoint_dir(out_dir, key.seed) / spec.arms.at(key.arm).name;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return std::nullopt;
  std::vector<fs::path> files;  // cycle-CCC.npz newest first, then treatment.npz
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() == ".npz" && (name.rfind("cycle-", 0) == 0 || name == "treatment.npz"))
      files.push_back(entry.path());
  }
  const auto position = [](const fs::path& p) {  // treatment: -1, cycle-CCC: CCC
    const std::string name = p.filename().string();
    return name == "treatment.npz" ? -1L : std::strtol(name.c_str() + 6, nullptr, 10);
  };
  std::sort(files.begin(), files.end(), [&](const fs::path& a, const fs::path& b) { return position(a) > position(b); });
  for (const auto& f : files) {
    try {
      return load_arm_state(f, spec, key);
    } catch (const std::exception& e) {
      notes += std::string(notes.empty() ? "" : "\n") + "not resuming from " + e.what();
    }
  }
  return std::nullopt;
}

namespace {

// A name checkpoint_path gives (treatment.npz, cycle-CCC.npz), or that of a
// temporary file of its atomic write (NAME.tmp-...) a killed run left.
bool checkpoint_file_name(const std::string& name) {
  const std::string base = name.substr(0, name.find(".tmp-"));
  if (base == "treatment.npz") return true;
  const std::string prefix = "cycle-", suffix = ".npz";
  if (base.size() <= prefix.size() + suffix.size() || base.compare(0, prefix.size(), prefix) != 0 ||
      base.compare(base.size() - suffix.size(), suffix.size(), suffix) != 0)
    return false;
  return std::all_of(base.begin() + std::ptrdiff_t(prefix.size()), base.end() - std::ptrdiff_t(suffix.size()),
                     [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

void remove_seed_checkpoints(const fs::path& out_dir, const StudySpec& spec, std::uint64_t seed) {
  const fs::path seed_dir = seed_checkpoint_dir(out_dir, seed);
  std::error_code ec;
  for (const auto& arm : spec.arms) {
    const fs::path dir = seed_dir / arm.name;
    ec.clear();
    std::vector<fs::path> ours;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))  // none if no such directory
      if (checkpoint_file_name(it->path().filename().string())) ours.push_back(it->path());
    for (const auto& file : ours) fs::remove(file, ec);
    fs::remove(dir, ec);  // only if that emptied it
  }
  fs::remove(seed_dir, ec);  // likewise
}

namespace {

Json subject_meta(const rewire::protocol::Subject& subject, const std::string& config_hash) {
  Json meta = Json::object();
  meta.set("kind", Json::of("chronic_stress subject"))
      .set("config_hash", Json::of(config_hash))
      .set("seed", Json::of(std::to_string(subject.seed)))
      .set("lineage", Json::of(std::to_string(subject.lineage)))
      .set("subject_diverged", Json::of(subject.diverged));
  return meta;
}

}  // namespace

std::string subject_bytes(const rewire::protocol::Subject& subject, const std::string& config_hash) {
  return subject_checkpoint_bytes(subject, subject_meta(subject, config_hash));
}

std::string baseline_bytes(const rewire::protocol::Subject& subject, const rewire::protocol::Metrics& measures,
                           const std::string& config_hash) {
  Json meta = subject_meta(subject, config_hash);
  Json m = Json::object();
  for (const auto& [name, v] : measures) m.set(name, exact_json(v));
  meta.set("baseline_measures", m);
  return subject_checkpoint_bytes(subject, meta);
}

rewire::protocol::Metrics baseline_measures_from_bytes(const std::string& bytes, const StudySpec& spec) {
  try {
    return with_checkpoint_bytes(bytes, spec, [&](auto& c) {
      rewire::protocol::Metrics out;
      for (const auto& [name, v] : field(c.meta, "baseline_measures", Json::Type::object).members)
        out[name] = exact_json_value(v);
      return out;
    });
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("the baseline measures of a subject's state: ") + e.what());
  }
}

rewire::protocol::Subject subject_from_bytes(const std::string& bytes, const StudySpec& spec, std::uint64_t seed,
                                             const std::string& config_hash) {
  try {
    return with_checkpoint_bytes(bytes, spec, [&](auto& c) {
      const Json& m = c.meta;
      if (field(m, "kind", Json::Type::string).text != "chronic_stress subject")
        throw std::runtime_error("it is not a subject's state");
      if (field(m, "config_hash", Json::Type::string).text != config_hash)
        throw std::runtime_error("it belongs to another configuration");
      if (field(m, "seed", Json::Type::string).text != std::to_string(seed))
        throw std::runtime_error("it belongs to another seed");
      check_shape(c.net, spec);
      const std::string& lineage = field(m, "lineage", Json::Type::string).text;
      return subject_from(c, seed, std::stoull(lineage));
    });
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("a subject's state of seed ") + std::to_string(seed) + ": " + e.what());
  }
}

std::string arm_result_text(const ArmResult& result) { return rewire::io::dump_json(result_json(result)); }

ArmResult arm_result_from_text(const std::string& text, const std::string& arm) {
  try {
    return result_from(rewire::io::parse_json(text), arm);
  } catch (const std::exception& e) {
    throw std::runtime_error("the result of arm " + arm + ": " + e.what());
  }
}

}  // namespace chronic_stress
