// rewire/random/noise_source.hpp - fast, reproducible bulk Gaussian noise.
//
// Internal noise is the one place where a simulation draws millions of
// normals per epoch (about 164k per training step of the paper's network),
// so the generator must vectorise. NoiseSource runs kLanes independent
// xoshiro128+ generators side by side (each seeded from the stream key) and
// turns each pair of lane outputs into two normals by Box-Muller. The loops
// are plain arrays of kLanes so that GCC vectorises them; the result is the
// same number sequence whether or not it does.
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/core/isa.hpp>
#include <rewire/core/types.hpp>
#include <rewire/random/rng.hpp>
#include <rewire/random/transforms.hpp>

#include <array>
#include <cstdint>
#include <cstring>

namespace rewire {

/// Bulk standard-normal generator for noise injection. One per stream key;
/// not shared between threads.
class NoiseSource {
 public:
  static constexpr int kLanes = 16;
  /// Normals produced per block (the unit in which the stream is consumed).
  static constexpr int kBlock = 256;

  explicit NoiseSource(std::uint64_t key) {
    std::uint64_t s = key;
    for (int j = 0; j < kLanes; ++j) {
      // Seed each lane from SplitMix64; avoid the (forbidden) all-zero state.
      for (int w = 0; w < 4; ++w) lanes_[w][j] = static_cast<std::uint32_t>(splitmix64(s) >> 32);
      if ((lanes_[0][j] | lanes_[1][j] | lanes_[2][j] | lanes_[3][j]) == 0) lanes_[0][j] = 1;
    }
  }

  /// out[k] += sd * N(0,1) for k in [0, n). Draws are consumed in whole
  /// blocks of kBlock; the unused tail of the last block is discarded, so
  /// the stream position depends only on the sequence of n's requested.
  /// Runs the AVX-512F, AVX2 or the build's own version of the same loops
  /// (active_isa(), core/isa.hpp): element-wise integer and float
  /// operations without contraction, so the same bits in each.
  void add_normal(float* out, Index n, float sd) {
#if REWIRE_X86_KERNELS
    switch (active_isa()) {
      case Isa::avx512: return add_normal_avx512(out, n, sd);
      case Isa::avx2: return add_normal_avx2(out, n, sd);
      case Isa::scalar: break;
    }
#endif
    add_normal_blocks(out, n, sd);
  }

  /// out[k] = sd * N(0,1) for k in [0, n) (same stream consumption as add_normal).
  void fill_normal(float* out, Index n, float sd) {
    for (Index k = 0; k < n; ++k) out[k] = 0.0f;
    add_normal(out, n, sd);
  }

  /// The generator's position (checkpoints), word by word and lane by lane:
  /// from_state(state()) continues the same sequence (no draws are buffered).
  std::array<std::uint32_t, 4 * kLanes> state() const {
    std::array<std::uint32_t, 4 * kLanes> s{};
    std::memcpy(s.data(), lanes_, sizeof lanes_);
    return s;
  }

  /// A source at a saved position; throws std::invalid_argument if a lane is
  /// all zero (a state the generator can never reach).
  static NoiseSource from_state(const std::array<std::uint32_t, 4 * kLanes>& s) {
    NoiseSource n(0);
    std::memcpy(n.lanes_, s.data(), sizeof n.lanes_);
    for (int j = 0; j < kLanes; ++j)
      detail::require((n.lanes_[0][j] | n.lanes_[1][j] | n.lanes_[2][j] | n.lanes_[3][j]) != 0,
                      "a NoiseSource state cannot have an all-zero lane");
    return n;
  }

 private:
  static constexpr int kRounds = kBlock / kLanes;  // generator steps per block

  /// add_normal's loops, always inlined: into add_normal for the build's own
  /// target, and into the two functions below, compiled for AVX-512F and
  /// AVX2 whatever the build's -march (16 or 8 lanes for the generator and
  /// Box-Muller).
  REWIRE_ALWAYS_INLINE void add_normal_blocks(float* out, Index n, float sd) {
    for (Index start = 0; start < n; start += kBlock) {
      float z[kBlock];
      next_block(z);
      const Index count = (n - start < kBlock) ? n - start : Index(kBlock);
      for (Index k = 0; k < count; ++k) out[start + k] += sd * z[k];
    }
  }
#if REWIRE_X86_KERNELS
  REWIRE_TARGET_AVX512 void add_normal_avx512(float* out, Index n, float sd) {
    add_normal_blocks(out, n, sd);
  }
  REWIRE_TARGET_AVX2 void add_normal_avx2(float* out, Index n, float sd) {
    add_normal_blocks(out, n, sd);
  }
#endif

  /// One block: kBlock uniforms (kRounds steps of all lanes) -> kBlock
  /// normals; pair k is (bits[k], bits[k + kBlock/2]) and yields z[k] (cosine
  /// branch) and z[k + kBlock/2] (sine branch). Two flat loops, so both
  /// vectorise.
  REWIRE_ALWAYS_INLINE void next_block(float* z) {
    std::uint32_t bits[kBlock];
    for (int r = 0; r < kRounds; ++r) step(bits + r * kLanes);
    constexpr int half = kBlock / 2;
    for (int k = 0; k < half; ++k) detail::box_muller(bits[k] >> 8, bits[half + k] >> 8, z[k], z[half + k]);
  }

  /// xoshiro128+ on all lanes at once: out[j] = next output of lane j.
  REWIRE_ALWAYS_INLINE void step(std::uint32_t* out) {
#if defined(__GNUC__)
    // GCC's cost model declines to vectorise this short loop on its own, and
    // the scalar version costs as much as the whole Box-Muller transform;
    // GCC/Clang vector extensions state the SIMD intent portably (they lower
    // to whatever vector width the target has, or to scalar code).
    using Lanes = std::uint32_t __attribute__((vector_size(4 * kLanes)));
    Lanes s0, s1, s2, s3;
    std::memcpy(&s0, lanes_[0], sizeof s0);
    std::memcpy(&s1, lanes_[1], sizeof s1);
    std::memcpy(&s2, lanes_[2], sizeof s2);
    std::memcpy(&s3, lanes_[3], sizeof s3);
    const Lanes result = s0 + s3;
    const Lanes t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >> 21);
    std::memcpy(out, &result, sizeof result);
    std::memcpy(lanes_[0], &s0, sizeof s0);
    std::memcpy(lanes_[1], &s1, sizeof s1);
    std::memcpy(lanes_[2], &s2, sizeof s2);
    std::memcpy(lanes_[3], &s3, sizeof s3);
#else
    for (int j = 0; j < kLanes; ++j) {  // the same recurrence, lane by lane
      std::uint32_t s0 = lanes_[0][j], s1 = lanes_[1][j], s2 = lanes_[2][j], s3 = lanes_[3][j];
      out[j] = s0 + s3;
      const std::uint32_t t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >> 21);
      lanes_[0][j] = s0;
      lanes_[1][j] = s1;
      lanes_[2][j] = s2;
      lanes_[3][j] = s3;
    }
#endif
  }

  std::uint32_t lanes_[4][kLanes];  // (state word, lane): structure of arrays for SIMD
};

}  // namespace rewire
