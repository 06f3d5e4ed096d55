// rewire/protocol/network.hpp - the network of a study's subject: a
// feed-forward Mlp (the paper's) or a recurrent Rnn, with the data of its
// task (points or trials), so that every step, measurement and stressor of
// a protocol is written once for both kinds.
//
// The library's operations are overloaded with parallel signatures for the
// two kinds (train, train_scheduled, train_with_stress, regrow_by_gradient,
// prune_to, accuracy); with_data() hands a generic callable the network and
// data of matching kinds, and refuses a mismatch by name.
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/data/clusters.hpp>
#include <rewire/data/trials.hpp>
#include <rewire/nn/mlp.hpp>
#include <rewire/nn/rnn.hpp>
#include <rewire/random/noise_source.hpp>
#include <rewire/random/rng.hpp>
#include <rewire/train/evaluate.hpp>

#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace rewire::protocol {

/// The data of a task: points of the static cluster task (for an Mlp) or
/// trials of a task in time (for an Rnn).
using TaskSet = std::variant<Dataset, TrialSet>;

/// A subject's network, one of the two kinds; it owns it (one copy).
class Network {
 public:
  Network() = default;
  Network(Mlp net) : net_(std::move(net)) {}  // NOLINT(google-explicit-constructor): a network is a network
  Network(Rnn net) : net_(std::move(net)) {}  // NOLINT(google-explicit-constructor)

  bool recurrent() const { return std::holds_alternative<Rnn>(net_); }
  /// "mlp" or "rnn", for messages.
  const char* kind() const { return recurrent() ? "rnn" : "mlp"; }

  /// The network as its kind, or nullptr.
  Mlp* mlp() { return std::get_if<Mlp>(&net_); }
  const Mlp* mlp() const { return std::get_if<Mlp>(&net_); }
  Rnn* rnn() { return std::get_if<Rnn>(&net_); }
  const Rnn* rnn() const { return std::get_if<Rnn>(&net_); }

  /// The network as a variant (e.g. for std::get_if<Rnn>).
  const std::variant<Mlp, Rnn>& variant() const { return net_; }

  /// f(Mlp&) or f(Rnn&), whichever it is.
  template <class F>
  decltype(auto) visit(F&& f) {
    return std::visit(std::forward<F>(f), net_);
  }
  template <class F>
  decltype(auto) visit(F&& f) const {
    return std::visit(std::forward<F>(f), net_);
  }

  Modulation& modulation() {
    return visit([](auto& n) -> Modulation& { return n.modulation(); });
  }
  const Modulation& modulation() const {
    return visit([](const auto& n) -> const Modulation& { return n.modulation(); });
  }
  /// Pruned weights / all weights (biases not counted).
  double sparsity() const {
    return visit([](const auto& n) { return n.sparsity(); });
  }
  void init(Rng& rng) {
    visit([&rng](auto& n) { n.init(rng); });
  }
  void release_buffers() {
    visit([](auto& n) { n.release_buffers(); });
  }

 private:
  std::variant<Mlp, Rnn> net_;
};

}  // namespace rewire::protocol

namespace rewire::detail {

using protocol::TaskSet;

template <class Net, class Data>
inline constexpr bool kMatches = (std::is_same_v<std::decay_t<Net>, Mlp> && std::is_same_v<Data, Dataset>) ||
                                 (std::is_same_v<std::decay_t<Net>, Rnn> && std::is_same_v<Data, TrialSet>);

[[noreturn]] inline void mismatched(const char* kind, bool trials) {
  throw std::invalid_argument(std::string("rewire: a network of kind ") + kind + " cannot take " +
                              (trials ? "trials (a task in time)" : "points (the static task)"));
}

template <class NetworkRef, class F>
auto with_data(NetworkRef& net, const TaskSet& data, F&& f) {
  using MlpRef = std::conditional_t<std::is_const_v<NetworkRef>, const Mlp&, Mlp&>;
  using R = std::invoke_result_t<F&, MlpRef, const Dataset&>;
  return net.visit([&](auto& n) -> R {
    return std::visit(
        [&](const auto& d) -> R {
          if constexpr (kMatches<decltype(n), std::decay_t<decltype(d)>>) {
            return f(n, d);
          } else {
            mismatched(net.kind(), std::is_same_v<std::decay_t<decltype(d)>, TrialSet>);
          }
        },
        data);
  });
}

}  // namespace rewire::detail

namespace rewire::protocol {

/// f(net, data) with `net` as its kind and `data` as the matching set (an
/// Mlp with points, an Rnn with trials); std::invalid_argument on a mismatch.
template <class F>
auto with_data(Network& net, const TaskSet& data, F&& f) {
  return detail::with_data(net, data, f);
}
template <class F>
auto with_data(const Network& net, const TaskSet& data, F&& f) {
  return detail::with_data(net, data, f);
}

/// Accuracy (%) of either kind on its task's data under `condition`.
inline double accuracy(const Network& net, const TaskSet& data, const EvalCondition& condition, NoiseSource& noise) {
  return with_data(net, data, [&](const auto& n, const auto& d) { return accuracy(n, d, condition, noise); });
}

}  // namespace rewire::protocol
