// rewire/random/rng.hpp - portable, keyed random streams.
//
// Why our own generators: std::normal_distribution and the std::uniform_*
// distributions are implemented differently by each standard library, so a
// simulation that used them would not reproduce across platforms. Everything
// here is a fixed algorithm on fixed-width integers.
//
// Streams are *keyed*, not shared: every consumer (data, init, shuffling,
// noise, regrowth, evaluation) builds its own generator from
// stream_key(seed, purpose, index). Independent work therefore never draws
// from a common stream, and results cannot depend on thread count or on the
// order in which independent simulations run.
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/core/types.hpp>
#include <rewire/random/transforms.hpp>

#include <array>
#include <cstdint>

namespace rewire {

/// What a random stream is used for; part of its key.
enum class Purpose : std::uint64_t {
  data = 1,     ///< sampling a data set
  init = 2,     ///< initial weights and biases
  shuffle = 3,  ///< mini-batch order
  noise = 4,    ///< internal (activation) noise during training
  regrow = 5,   ///< values of regrown weights
  eval = 6,     ///< noise drawn while evaluating
  units = 7,    ///< which hidden units form a randomly chosen cell type
  adherence = 8,  ///< which scheduled maintenance doses are taken
  cohort = 16,  ///< a virtual patient's parameter values (protocol/cohort.hpp)
};

/// One step of SplitMix64 (Steele, Lea, Flood 2014): the standard mixer used to
/// seed xoshiro generators; advances `state`.
inline std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/// Key of an independent stream: a hash of (seed, purpose, index). `index`
/// separates streams of the same purpose (e.g. one per treatment arm).
inline std::uint64_t stream_key(std::uint64_t seed, Purpose purpose, std::uint64_t index = 0) {
  std::uint64_t s = seed;
  std::uint64_t h = splitmix64(s);
  s = h ^ (static_cast<std::uint64_t>(purpose) * 0xD1B54A32D192ED03ull);
  h = splitmix64(s);
  s = h ^ (index * 0x8CB92BA72F3D8DD7ull);
  return splitmix64(s);
}

/// General-purpose scalar generator: xoshiro256** (Blackman & Vigna 2018),
/// seeded from a stream key by SplitMix64. Used where draws are few (data,
/// initialisation, shuffling, regrowth); bulk noise uses NoiseSource.
class Rng {
 public:
  explicit Rng(std::uint64_t key) {
    std::uint64_t s = key;
    for (auto& word : state_) word = splitmix64(s);
  }

  /// Next 64 random bits.
  std::uint64_t next_u64() {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  /// Uniform float in [0, 1) with 24 random bits (every value exact in float).
  float uniform() { return detail::unit_from_bits(static_cast<std::uint32_t>(next_u64() >> 40)); }

  /// Uniform float in [lo, hi).
  float uniform(float lo, float hi) { return lo + (hi - lo) * uniform(); }

  /// Uniform integer in [0, n), unbiased (Lemire's multiply-and-reject).
  std::uint32_t below(std::uint32_t n) {
    detail::require(n > 0, "Rng::below(n) needs n > 0");
    std::uint64_t m = (next_u64() >> 32) * n;
    auto low = static_cast<std::uint32_t>(m);
    if (low < n) {
      const std::uint32_t threshold = static_cast<std::uint32_t>(-n) % n;
      while (low < threshold) {
        m = (next_u64() >> 32) * n;
        low = static_cast<std::uint32_t>(m);
      }
    }
    return static_cast<std::uint32_t>(m >> 32);
  }

  /// One standard normal draw (Box-Muller; the sine branch is discarded so
  /// that every call consumes the same amount of the stream).
  float normal() {
    const auto a = static_cast<std::uint32_t>(next_u64() >> 40);
    const auto b = static_cast<std::uint32_t>(next_u64() >> 40);
    float c, s;
    detail::box_muller(a, b, c, s);
    return c;
  }

  /// The generator's position (checkpoints): from_state(state()) continues
  /// the same sequence.
  std::array<std::uint64_t, 4> state() const { return {state_[0], state_[1], state_[2], state_[3]}; }

  /// A generator at a saved position; throws std::invalid_argument on the
  /// all-zero state, which xoshiro can never reach.
  static Rng from_state(const std::array<std::uint64_t, 4>& s) {
    detail::require((s[0] | s[1] | s[2] | s[3]) != 0, "an Rng state cannot be all zero");
    Rng r(0);
    for (int k = 0; k < 4; ++k) r.state_[k] = s[std::size_t(k)];
    return r;
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t state_[4];
};

}  // namespace rewire
