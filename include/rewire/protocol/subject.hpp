// rewire/protocol/subject.hpp - one simulated "patient": a network and the
// random streams that belong to it alone.
#pragma once

#include <rewire/protocol/network.hpp>
#include <rewire/protocol/stream_keys.hpp>
#include <rewire/random/noise_source.hpp>
#include <rewire/random/rng.hpp>

#include <cstdint>
#include <utility>

namespace rewire::protocol {

/// A network plus its private streams. `lineage` tells apart subjects of
/// the same seed (the pre-treatment network, each treatment arm, a branch
/// for a relapse test), so no two ever share a stream and none depends on
/// the order in which the others run.
struct Subject {
  Network net;  ///< feed-forward or recurrent (network.hpp)
  std::uint64_t seed = 0;
  std::uint64_t lineage = 0;
  Rng shuffle;              // mini-batch order
  NoiseSource train_noise;  // internal noise while training
  Rng regrow_values;        // values of regrown weights
  /// Some training of this network, or of the state it was branched from,
  /// met a non-finite loss (set by apply()): its measurements are suspect.
  bool diverged = false;

  Subject(Network network, std::uint64_t seed_, std::uint64_t lineage_)
      : net(std::move(network)),
        seed(seed_),
        lineage(lineage_),
        shuffle(stream_key(seed_, Purpose::shuffle, lineage_)),
        train_noise(stream_key(seed_, Purpose::noise, lineage_)),
        regrow_values(stream_key(seed_, Purpose::regrow, lineage_)) {}

  /// A fresh evaluation-noise stream for `phase` (e.g. post-treatment,
  /// relapse, cycle c): each measurement draws its own noise, so adding or
  /// removing one measurement never changes another.
  NoiseSource eval_noise(std::uint64_t phase) const {
    return NoiseSource(stream_key(seed, Purpose::eval, eval_stream_index(lineage, phase)));
  }

  /// A copy of the current network with new streams (lineage `lineage_`);
  /// it inherits `diverged`, since it inherits the weights.
  Subject branch(std::uint64_t lineage_) const {
    Subject copy(net, seed, lineage_);
    copy.diverged = diverged;
    return copy;
  }
};

}  // namespace rewire::protocol
