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
#include <rewire/core/types.hpp>
#include <rewire/random/rng.hpp>
#include <rewire/random/transforms.hpp>

#include <cstdint>

namespace rewire {

/// Bulk standard-normal generator for noise injection. One per stream key;
/// not shared between threads.
class NoiseSource {
 public:
  static constexpr int kLanes = 16;
  /// Normals produced per round: two per lane.
  static constexpr int kBlock = 2 * kLanes;

  explicit NoiseSource(std::uint64_t key) {
    std::uint64_t s = key;
    for (int j = 0; j < kLanes; ++j) {
      // Seed each lane from SplitMix64; avoid the (forbidden) all-zero state.
      for (int w = 0; w < 4; ++w) lanes_[w][j] = static_cast<std::uint32_t>(splitmix64(s) >> 32);
      if ((lanes_[0][j] | lanes_[1][j] | lanes_[2][j] | lanes_[3][j]) == 0) lanes_[0][j] = 1;
    }
  }

  /// out[k] += sd * N(0,1) for k in [0, n). Draws are consumed in whole
  /// rounds of kBlock; the unused tail of the last round is discarded, so
  /// the stream position depends only on the sequence of n's requested.
  void add_normal(float* out, Index n, float sd) {
    for (Index start = 0; start < n; start += kBlock) {
      float z[kBlock];
      next_round(z);
      const Index count = (n - start < kBlock) ? n - start : Index(kBlock);
      for (Index k = 0; k < count; ++k) out[start + k] += sd * z[k];
    }
  }

  /// out[k] = sd * N(0,1) for k in [0, n) (same stream consumption as add_normal).
  void fill_normal(float* out, Index n, float sd) {
    for (Index k = 0; k < n; ++k) out[k] = 0.0f;
    add_normal(out, n, sd);
  }

 private:
  /// One round: kLanes pairs of uniforms -> kBlock normals, stored as
  /// z[0..kLanes) = cosine branch, z[kLanes..kBlock) = sine branch.
  void next_round(float* z) {
    std::uint32_t a[kLanes], b[kLanes];
    step(a);
    step(b);
    for (int j = 0; j < kLanes; ++j) detail::box_muller(a[j] >> 8, b[j] >> 8, z[j], z[kLanes + j]);
  }

  /// xoshiro128+ on all lanes at once: out[j] = next output of lane j.
  void step(std::uint32_t* out) {
    for (int j = 0; j < kLanes; ++j) {
      std::uint32_t* s0 = &lanes_[0][j];
      std::uint32_t* s1 = &lanes_[1][j];
      std::uint32_t* s2 = &lanes_[2][j];
      std::uint32_t* s3 = &lanes_[3][j];
      out[j] = *s0 + *s3;
      const std::uint32_t t = *s1 << 9;
      *s2 ^= *s0;
      *s3 ^= *s1;
      *s1 ^= *s2;
      *s0 ^= *s3;
      *s2 ^= t;
      *s3 = (*s3 << 11) | (*s3 >> 21);
    }
  }

  std::uint32_t lanes_[4][kLanes];  // (state word, lane): structure of arrays for SIMD
};

}  // namespace rewire
