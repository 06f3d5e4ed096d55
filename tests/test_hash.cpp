// test_hash.cpp - rewire/core/hash.hpp: FNV-1a 64 against published test
// vectors, and the incremental interface against the one-shot hash.
#include <rewire/core/hash.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

using rewire::Fnv1a64;
using rewire::fnv1a64;

// Expected values: the FNV-1a 64 test vectors published with the reference
// implementation by Fowler, Noll and Vo (test_fnv.c, fnv1a_64 vectors, at
// http://www.isthe.com/chongo/tech/comp/fnv/) and repeated in the IETF draft
// "The FNV Non-Cryptographic Hash Algorithm" (draft-eastlake-fnv).
TEST_CASE("fnv1a64 gives the published FNV-1a 64 test vectors", "[hash]") {
  CHECK(fnv1a64("") == 0xcbf29ce484222325ull);  // the offset basis itself
  CHECK(fnv1a64("a") == 0xaf63dc4c8601ec8cull);
  CHECK(fnv1a64("b") == 0xaf63df4c8601f1a5ull);
  CHECK(fnv1a64("foobar") == 0x85944171f73967e8ull);
}

TEST_CASE("fnv1a64 of one byte follows the definition by hand", "[hash]") {
  // (basis ^ 'a') * prime mod 2^64, written out with the documented constants.
  const std::uint64_t by_hand = (14695981039346656037ull ^ 0x61ull) * 1099511628211ull;
  CHECK(fnv1a64("a") == by_hand);
  CHECK(rewire::kFnv1a64OffsetBasis == 0xcbf29ce484222325ull);
  CHECK(rewire::kFnv1a64Prime == 0x100000001b3ull);
}

TEST_CASE("Fnv1a64 fed in pieces equals the hash of the whole", "[hash]") {
  Fnv1a64 pieces;
  pieces.bytes("fo", 2);
  pieces.text("");
  pieces.text("ob");
  const unsigned char tail[] = {'a', 'r'};
  pieces.bytes(tail, sizeof tail);
  CHECK(pieces.value() == 0x85944171f73967e8ull);  // "foobar", published above

  // Bytes >= 0x80 are hashed as unsigned bytes whatever char's signedness:
  // "\xff" by hand is (basis ^ 0xff) * prime.
  const std::string high(1, char(0xff));
  CHECK(fnv1a64(high) == ((14695981039346656037ull ^ 0xffull) * 1099511628211ull));
  Fnv1a64 raw;
  raw.bytes(high.data(), high.size());
  CHECK(raw.value() == fnv1a64(high));
}

static_assert(fnv1a64("a") == 0xaf63dc4c8601ec8cull, "usable in constant expressions");
