// rewire/protocol/cell_types.hpp - which hidden units a modulation reaches:
// every unit, a named population of the network (the excitatory or the
// inhibitory units of a recurrent network under Dale's law), or a share of
// each hidden layer's units chosen at random per seed (stream_keys.hpp).
//
// Real extrasynaptic GABA_A receptors sit on select neurons; a modulate step
// with a unit choice models a drug that reaches one cell type only.
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/nn/modulation.hpp>
#include <rewire/protocol/network.hpp>
#include <rewire/protocol/stream_keys.hpp>
#include <rewire/random/rng.hpp>

#include <cmath>
#include <cstdint>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

namespace rewire::protocol {

/// A named population of units.
enum class Population { excitatory, inhibitory };

/// "excitatory" / "inhibitory".
inline const char* to_string(Population p) { return p == Population::excitatory ? "excitatory" : "inhibitory"; }

/// Parses "excitatory" / "inhibitory"; throws std::invalid_argument otherwise.
inline Population parse_population(const std::string& name) {
  if (name == "excitatory") return Population::excitatory;
  if (name == "inhibitory") return Population::inhibitory;
  detail::require(false, "population '" + name + "' is unknown (allowed: excitatory, inhibitory)");
  return Population::excitatory;
}

/// The units a modulation applies to: all (neither set), a population, or a
/// fraction in (0, 1] of each hidden layer's units (not both).
struct UnitChoice {
  std::optional<Population> population{};
  std::optional<double> fraction{};

  bool all() const { return !population && !fraction; }
  bool operator==(const UnitChoice& o) const { return population == o.population && fraction == o.fraction; }
};

/// round(f * n), half away from zero: how many of n units a fraction takes.
inline Index units_in_fraction(double f, Index n) { return Index(std::llround(f * double(n))); }

/// The units of `net` that `choice` names, for study seed `seed` (empty:
/// every unit). A fraction takes, per hidden layer l, the first
/// units_in_fraction(f, width) units of a Fisher-Yates order of its units
/// drawn from stream_key(seed, Purpose::units, unit_order_index(l)). Throws
/// std::invalid_argument for a population the network does not have (an
/// Mlp, or an Rnn without Dale's law) or a fraction outside (0, 1].
inline UnitSelection select_units(const Network& net, std::uint64_t seed, const UnitChoice& choice) {
  if (choice.all()) return {};
  detail::require(!(choice.population && choice.fraction), "a unit choice is a population or a fraction, not both");
  const std::vector<Index> widths = net.visit([](const auto& n) { return n.hidden_widths(); });
  UnitSelection selected;
  if (choice.population) {
    const Rnn* rnn = net.rnn();
    detail::require(rnn != nullptr && rnn->options().dale,
                    std::string("population '") + to_string(*choice.population) +
                        "' needs a recurrent network with Dale's law (excitatory and inhibitory units)");
    const Index excitatory = rnn->excitatory_units();
    std::vector<unsigned char> in(std::size_t(rnn->units()), 0);
    for (Index j = 0; j < rnn->units(); ++j)
      in[std::size_t(j)] = (j < excitatory) == (*choice.population == Population::excitatory);
    selected.push_back(std::move(in));
    return selected;
  }
  const double f = *choice.fraction;
  detail::require(std::isfinite(f) && f > 0.0 && f <= 1.0,
                  "unit fraction = " + std::to_string(f) + " is outside the allowed range (0, 1]");
  for (std::size_t l = 0; l < widths.size(); ++l) {
    std::vector<Index> order(static_cast<std::size_t>(widths[l]));
    std::iota(order.begin(), order.end(), Index(0));
    Rng rng(stream_key(seed, Purpose::units, unit_order_index(l)));
    for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.below(std::uint32_t(i))]);
    std::vector<unsigned char> in(order.size(), 0);
    const Index take = units_in_fraction(f, widths[l]);
    for (Index k = 0; k < take; ++k) in[std::size_t(order[std::size_t(k)])] = 1;
    selected.push_back(std::move(in));
  }
  return selected;
}

}  // namespace rewire::protocol
