// rewire/core/hash.hpp - FNV-1a 64, the one non-cryptographic hash of the
// project: configuration hashes, seed-file checksums, random-stream keys
// from names and digests of exact bits all use it, so one definition keeps
// them the same hash.
//
// FNV-1a 64 (Fowler, Noll, Vo): start from the offset basis
// 14695981039346656037 (0xcbf29ce484222325); for every byte, XOR it into the
// state, then multiply by the prime 1099511628211 (0x100000001b3) modulo
// 2^64. Stable across platforms and releases: changing it changes every
// stored hash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace rewire {

inline constexpr std::uint64_t kFnv1a64OffsetBasis = 14695981039346656037ull;
inline constexpr std::uint64_t kFnv1a64Prime = 1099511628211ull;

/// Incremental FNV-1a 64: feeding bytes in pieces gives the hash of their
/// concatenation.
class Fnv1a64 {
 public:
  /// Adds `n` bytes from `data`.
  void bytes(const void* data, std::size_t n) {
    const auto* c = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < n; ++i) step(c[i]);
  }
  /// Adds the bytes of `text`.
  constexpr void text(std::string_view text) {
    for (const char c : text) step(static_cast<unsigned char>(c));
  }
  /// The hash of every byte added so far.
  constexpr std::uint64_t value() const { return h_; }

 private:
  constexpr void step(unsigned char c) {
    h_ ^= c;
    h_ *= kFnv1a64Prime;
  }
  std::uint64_t h_ = kFnv1a64OffsetBasis;
};

/// FNV-1a 64 of the bytes of `text`.
constexpr std::uint64_t fnv1a64(std::string_view text) {
  Fnv1a64 f;
  f.text(text);
  return f.value();
}

}  // namespace rewire
