// test_random.cpp - the keyed generators: SplitMix64 / xoshiro256** (Rng)
// against published test vectors, stream independence, below()/uniform()/
// normal() statistics, NoiseSource (xoshiro128+ lanes + Box-Muller) against a
// re-implementation and its moments, the stream consumption rule, and the
// polynomial log / Box-Muller against <cmath>.
//
// Statistical bounds are loose (>= 5 standard errors) but every one of them
// fails for the obvious mistakes (a biased below(), a uniform or a wrongly
// scaled "normal", correlated lanes). Seeds are fixed, so the tests are
// deterministic.
#include <catch2/catch.hpp>
#include <rewire/rewire.hpp>

#include "test_helpers.hpp"

#include <cfloat>
#include <cmath>
#include <cstring>
#include <set>
#include <vector>

using namespace rewire;

namespace {

/// Reference xoshiro256** (Blackman & Vigna, prng.di.unimi.it/xoshiro256starstar.c).
struct RefXoshiro256ss {
  std::uint64_t s[4];
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t next() {
    const std::uint64_t result = rotl(s[1] * 5, 7) * 9;
    const std::uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
  }
};

/// Reference xoshiro128+ (prng.di.unimi.it/xoshiro128plus.c).
struct RefXoshiro128p {
  std::uint32_t s[4];
  static std::uint32_t rotl(std::uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }
  std::uint32_t next() {
    const std::uint32_t result = s[0] + s[3];
    const std::uint32_t t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }
};

/// Reference SplitMix64 (prng.di.unimi.it/splitmix64.c).
std::uint64_t ref_splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

struct Moments {
  double mean = 0, var = 0, skew = 0, kurt = 0;
};
Moments moments(const std::vector<float>& x) {
  double s = 0;
  for (const float v : x) s += v;
  Moments m;
  m.mean = s / double(x.size());
  double m2 = 0, m3 = 0, m4 = 0;
  for (const float v : x) {
    const double d = v - m.mean;
    m2 += d * d;
    m3 += d * d * d;
    m4 += d * d * d * d;
  }
  m2 /= double(x.size());
  m3 /= double(x.size());
  m4 /= double(x.size());
  m.var = m2;
  m.skew = m3 / std::pow(m2, 1.5);
  m.kurt = m4 / (m2 * m2);
  return m;
}

double correlation(const std::vector<float>& a, const std::vector<float>& b) {
  double ma = 0, mb = 0;
  for (std::size_t k = 0; k < a.size(); ++k) {
    ma += a[k];
    mb += b[k];
  }
  ma /= double(a.size());
  mb /= double(b.size());
  double sab = 0, saa = 0, sbb = 0;
  for (std::size_t k = 0; k < a.size(); ++k) {
    sab += (a[k] - ma) * (b[k] - mb);
    saa += (a[k] - ma) * (a[k] - ma);
    sbb += (b[k] - mb) * (b[k] - mb);
  }
  return sab / std::sqrt(saa * sbb);
}

}  // namespace

TEST_CASE("SplitMix64 and xoshiro256** follow the published algorithms", "[random][rng]") {
  // SplitMix64 from state 0 (published first outputs).
  std::uint64_t s = 0;
  CHECK(splitmix64(s) == 0xe220a8397b1dcdafull);
  CHECK(splitmix64(s) == 0x6e789e6aa1b965f4ull);
  CHECK(splitmix64(s) == 0x06c45d188009454full);
  CHECK(splitmix64(s) == 0xf88bb8a8724c81ecull);
  // The reference xoshiro256** itself, on the state {1, 2, 3, 4} (published vector).
  RefXoshiro256ss ref{{1, 2, 3, 4}};
  CHECK(ref.next() == 11520ull);
  CHECK(ref.next() == 0ull);
  CHECK(ref.next() == 1509978240ull);
  CHECK(ref.next() == 1215971899390074240ull);
  // Rng(key) = xoshiro256** seeded with four SplitMix64 outputs of the key.
  for (const std::uint64_t key : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{0x123456789abcdefull}, ~std::uint64_t{0},
                                 stream_key(7, Purpose::shuffle, 3)}) {
    CAPTURE(key);
    std::uint64_t x = key;
    RefXoshiro256ss r{};
    for (auto& w : r.s) w = ref_splitmix64(x);
    Rng rng(key);
    for (int k = 0; k < 1000; ++k) REQUIRE(rng.next_u64() == r.next());
  }
}

TEST_CASE("Rng: same key, same stream - different keys, different streams", "[random][rng]") {
  Rng a(42), b(42), c(43);
  std::vector<std::uint64_t> va, vb, vc;
  for (int k = 0; k < 100; ++k) {
    va.push_back(a.next_u64());
    vb.push_back(b.next_u64());
    vc.push_back(c.next_u64());
  }
  CHECK(va == vb);
  int same = 0;
  for (int k = 0; k < 100; ++k) same += va[k] == vc[k];
  CHECK(same == 0);
  // stream_key separates seeds, purposes and indices: all distinct.
  std::set<std::uint64_t> keys;
  int count = 0;
  for (std::uint64_t seed = 0; seed < 10; ++seed)
    for (const Purpose p : {Purpose::data, Purpose::init, Purpose::shuffle, Purpose::noise, Purpose::regrow, Purpose::eval})
      for (std::uint64_t index = 0; index < 5; ++index) {
        keys.insert(stream_key(seed, p, index));
        ++count;
      }
  CHECK(int(keys.size()) == count);
  CHECK(stream_key(3, Purpose::noise, 1) == stream_key(3, Purpose::noise, 1));
  CHECK(stream_key(3, Purpose::noise) == stream_key(3, Purpose::noise, 0));
}

TEST_CASE("Rng::below(n): in range, uniform (chi-square), unbiased for large n", "[random][rng]") {
  const std::uint64_t key = 101;
  CAPTURE(key);
  Rng rng(key);
  for (const std::uint32_t n : {1u, 2u, 3u, 7u, 1000u, (1u << 31) + 1u, 0xFFFFFFFFu}) {
    CAPTURE(n);
    for (int k = 0; k < 2000; ++k) REQUIRE(rng.below(n) < n);
  }
  for (const std::uint32_t n : {6u, 10u}) {
    CAPTURE(n);
    const int draws = 100000;
    std::vector<int> counts(n, 0);
    for (int k = 0; k < draws; ++k) ++counts[rng.below(n)];
    const double expected = double(draws) / n;
    double chi2 = 0;
    for (const int c : counts) chi2 += (c - expected) * (c - expected) / expected;
    CAPTURE(chi2);
    // df = n - 1 <= 9: mean 9, sd 4.2; P(chi2 > 45) < 1e-6.
    CHECK(chi2 < 45.0);
  }
  // n = 3 * 2^30: "(x >> 32) * n" without rejection, or "x % n", would be
  // visibly biased here (the bottom third would get 1/2 of the draws with the modulo).
  const std::uint32_t n = 3u << 30;
  const int draws = 60000;
  int thirds[3] = {0, 0, 0};
  for (int k = 0; k < draws; ++k) ++thirds[rng.below(n) >> 30];
  for (const int t : thirds) {
    CAPTURE(t);
    CHECK(std::abs(double(t) / draws - 1.0 / 3.0) < 0.01);  // SE 0.0019
  }
}

TEST_CASE("Rng::uniform: 0 <= u < 1 with 24-bit resolution, and uniform(lo, hi)", "[random][rng]") {
  CHECK(detail::unit_from_bits(0) == 0.0f);
  CHECK(detail::unit_from_bits(0xFFFFFFu) == 1.0f - 0x1.0p-24f);
  CHECK(detail::unit_from_bits(0xFFFFFFu) < 1.0f);
  Rng rng(102);
  const int draws = 1000000;
  double sum = 0, sum2 = 0;
  float lo = 1, hi = 0;
  for (int k = 0; k < draws; ++k) {
    const float u = rng.uniform();
    REQUIRE(u >= 0.0f);
    REQUIRE(u < 1.0f);
    REQUIRE(std::ldexp(double(u), 24) == std::floor(std::ldexp(double(u), 24)));  // a multiple of 2^-24
    lo = std::min(lo, u);
    hi = std::max(hi, u);
    sum += u;
    sum2 += double(u) * u;
  }
  const double mean = sum / draws, var = sum2 / draws - mean * mean;
  CAPTURE(mean, var);
  CHECK(std::abs(mean - 0.5) < 0.002);          // SE 2.9e-4
  CHECK(std::abs(var - 1.0 / 12.0) < 0.001);    // SE 7.5e-5
  CHECK(lo < 1e-5f);
  CHECK(hi > 1.0f - 1e-5f);
  for (int k = 0; k < 10000; ++k) {
    const float v = rng.uniform(-0.25f, 0.75f);
    REQUIRE(v >= -0.25f);
    REQUIRE(v <= 0.75f);
  }
}

TEST_CASE("Rng::normal: moments and determinism", "[random][rng]") {
  Rng a(103), b(103);
  std::vector<float> x;
  for (int k = 0; k < 200000; ++k) {
    const float z = a.normal();
    REQUIRE(z == b.normal());
    x.push_back(z);
  }
  const Moments m = moments(x);
  CAPTURE(m.mean, m.var, m.skew, m.kurt);
  CHECK(std::abs(m.mean) < 0.012);      // SE 0.0022
  CHECK(std::abs(m.var - 1) < 0.02);    // SE 0.0032
  CHECK(std::abs(m.skew) < 0.05);       // SE 0.0055
  CHECK(std::abs(m.kurt - 3) < 0.1);    // SE 0.011
  // Each call consumes exactly two 64-bit outputs.
  Rng c(104), d(104);
  c.normal();
  d.next_u64();
  d.next_u64();
  CHECK(c.next_u64() == d.next_u64());
}

TEST_CASE("NoiseSource = kLanes xoshiro128+ lanes + Box-Muller, as documented", "[random][noise]") {
  // Re-implementation of the documented generator: lane j is seeded with the
  // high halves of four SplitMix64 outputs of the key (lanes in order). A
  // block of kBlock normals takes kBlock / kLanes steps of all lanes,
  // bits[r * kLanes + j] = output of lane j at step r; pair k < kBlock/2 is
  // (bits[k] >> 8, bits[k + kBlock/2] >> 8) and yields z[k] (cosine branch)
  // and z[k + kBlock/2] (sine branch). (With kBlock = 2 kLanes this is: step
  // every lane twice, a then b, pair (a_j, b_j) -> z[j], z[kLanes + j].)
  STATIC_REQUIRE(NoiseSource::kBlock % (2 * NoiseSource::kLanes) == 0);
  constexpr int L = NoiseSource::kLanes, B = NoiseSource::kBlock;
  RefXoshiro128p check{{1, 2, 3, 4}};  // the reference itself, published vector
  CHECK(check.next() == 5u);
  CHECK(check.next() == 12295u);
  CHECK(check.next() == 25178119u);
  CHECK(check.next() == 27286542u);

  for (const std::uint64_t key : {std::uint64_t{0}, std::uint64_t{5}, stream_key(1, Purpose::noise, 2)}) {
    CAPTURE(key);
    std::uint64_t x = key;
    std::vector<RefXoshiro128p> lane(L);
    for (auto& l : lane)
      for (auto& w : l.s) w = std::uint32_t(ref_splitmix64(x) >> 32);
    NoiseSource src(key);
    for (int block = 0; block < 4; ++block) {
      std::vector<float> got(B);
      src.fill_normal(got.data(), B, 1.0f);
      std::vector<std::uint32_t> bits(B);
      for (int r = 0; r < B / L; ++r)
        for (int j = 0; j < L; ++j) bits[r * L + j] = lane[j].next();
      for (int k = 0; k < B / 2; ++k) {
        float z0, z1;
        detail::box_muller(bits[k] >> 8, bits[B / 2 + k] >> 8, z0, z1);
        CAPTURE(block, k);
        REQUIRE(got[k] == z0);
        REQUIRE(got[B / 2 + k] == z1);
      }
    }
  }
}

TEST_CASE("NoiseSource: moments of ~1e6 draws, no correlation between branches or lanes", "[random][noise]") {
  const std::uint64_t key = stream_key(0, Purpose::noise);
  CAPTURE(key);
  NoiseSource src(key);
  const int n = 1 << 20;
  std::vector<float> z(n);
  src.fill_normal(z.data(), n, 1.0f);
  const Moments m = moments(z);
  CAPTURE(m.mean, m.var, m.skew, m.kurt);
  // Standard errors at n = 2^20: mean 0.001, var 0.0014, skew 0.0024, kurtosis 0.0048.
  CHECK(std::abs(m.mean) < 0.005);
  CHECK(std::abs(m.var - 1) < 0.01);
  CHECK(std::abs(m.skew) < 0.02);
  CHECK(std::abs(m.kurt - 3) < 0.05);  // a uniform would give 1.8, a Laplace 6
  // Tails: P(|z| > 3) = 0.0027 for N(0,1); draws are bounded by sqrt(2 * 24 ln 2) ~ 5.77.
  long beyond3 = 0;
  float biggest = 0;
  for (const float v : z) {
    beyond3 += std::abs(v) > 3.0f;
    biggest = std::max(biggest, std::abs(v));
  }
  CAPTURE(beyond3, biggest);
  CHECK(std::abs(double(beyond3) / n - 0.0026998) < 0.0005);  // SE 5e-5
  CHECK(biggest < 5.8f);
  // Cosine vs sine branch of the same pair, and neighbouring entries.
  constexpr int B = NoiseSource::kBlock;
  std::vector<float> cosb, sinb, lane0, lane1;
  for (int r = 0; r < n / B; ++r) {
    const float* block = z.data() + r * B;
    for (int j = 0; j < B / 2; ++j) {
      cosb.push_back(block[j]);
      sinb.push_back(block[B / 2 + j]);
    }
    for (int j = 0; j + 1 < B; j += 2) {
      lane0.push_back(block[j]);
      lane1.push_back(block[j + 1]);
    }
  }
  const double c1 = correlation(cosb, sinb), c2 = correlation(lane0, lane1);
  CAPTURE(c1, c2);
  CHECK(std::abs(c1) < 0.01);  // SE 0.0014
  CHECK(std::abs(c2) < 0.01);  // SE 0.0014
  // Scale: fill_normal(sd) = sd * z.
  NoiseSource s1(key);
  std::vector<float> w(64);
  s1.fill_normal(w.data(), 64, 0.5f);
  for (int k = 0; k < 64; ++k) REQUIRE(w[k] == 0.5f * z[k]);
}

TEST_CASE("NoiseSource: deterministic per key, different keys differ", "[random][noise]") {
  NoiseSource a(7), b(7), c(8);
  std::vector<float> va(100), vb(100), vc(100);
  a.fill_normal(va.data(), 100, 1.0f);
  b.fill_normal(vb.data(), 100, 1.0f);
  c.fill_normal(vc.data(), 100, 1.0f);
  CHECK(std::memcmp(va.data(), vb.data(), 100 * sizeof(float)) == 0);
  int same = 0;
  for (int k = 0; k < 100; ++k) same += va[k] == vc[k];
  CHECK(same == 0);
}

TEST_CASE("NoiseSource: draws are consumed in whole blocks of kBlock", "[random][noise]") {
  // The rule: every add_normal/fill_normal call of n draws consumes
  // ceil(n / kBlock) whole blocks; the unused tail of the last one is
  // discarded. (The test follows the constant, whatever its value.)
  constexpr Index B = NoiseSource::kBlock;
  const std::uint64_t key = 9;
  NoiseSource ref(key);
  std::vector<float> stream(std::size_t(B * 6));
  ref.fill_normal(stream.data(), Index(stream.size()), 1.0f);

  SECTION("a request of 5 uses a whole block; the next request starts at block 1") {
    NoiseSource s(key);
    std::vector<float> a(5), b(static_cast<std::size_t>(B));
    s.add_normal(a.data(), 5, 1.0f);
    s.add_normal(b.data(), B, 1.0f);
    for (Index k = 0; k < 5; ++k) REQUIRE(a[k] == stream[k]);
    for (Index k = 0; k < B; ++k) REQUIRE(b[k] == stream[B + k]);
  }
  SECTION("B + 1 uses two blocks, 2B two, 2B + 1 three") {
    NoiseSource s(key);
    std::vector<float> a(std::size_t(B + 1)), b(std::size_t(2 * B)), c(std::size_t(2 * B + 1)), d(1);
    s.fill_normal(a.data(), B + 1, 1.0f);  // blocks 0-1
    s.fill_normal(b.data(), 2 * B, 1.0f);  // blocks 2-3
    s.fill_normal(d.data(), 1, 1.0f);      // block 4
    for (Index k = 0; k < B + 1; ++k) REQUIRE(a[k] == stream[k]);
    for (Index k = 0; k < 2 * B; ++k) REQUIRE(b[k] == stream[2 * B + k]);
    REQUIRE(d[0] == stream[4 * B]);
    NoiseSource t(key);
    t.fill_normal(c.data(), 2 * B + 1, 1.0f);  // blocks 0-2
    t.fill_normal(d.data(), 1, 1.0f);          // block 3
    REQUIRE(d[0] == stream[3 * B]);
  }
  SECTION("n = 0 draws nothing; add_normal adds, fill_normal overwrites") {
    NoiseSource s(key);
    float none[1] = {42.0f};
    s.add_normal(none, 0, 1.0f);
    CHECK(none[0] == 42.0f);
    float a[3] = {1.0f, 2.0f, 3.0f};
    s.add_normal(a, 3, 2.0f);  // block 0
    for (int k = 0; k < 3; ++k) REQUIRE(a[k] == float(k + 1) + 2.0f * stream[k]);
    float b[3] = {1.0f, 2.0f, 3.0f};
    s.fill_normal(b, 3, 1.0f);  // block 1
    for (int k = 0; k < 3; ++k) REQUIRE(b[k] == stream[B + k]);
  }
}

TEST_CASE("detail::log_unit matches std::log to 2e-6 (relative) for normal floats 0 < x <= 1", "[random][transforms]") {
  CHECK(detail::log_unit(1.0f) == 0.0f);
  double worst = 0;
  float worst_x = 0;
  const auto check = [&](float x) {
    const double want = std::log(double(x));
    const double got = detail::log_unit(x);
    const double err = want == 0.0 ? std::abs(got) : std::abs(got - want) / std::abs(want);
    if (err > worst) {
      worst = err;
      worst_x = x;
    }
  };
  // Every input Box-Muller can see near both ends, (a + 1) 2^-24, and a
  // stride through the rest.
  for (std::uint32_t a = 0; a < (1u << 24); a += (a < 65536 || a > (1u << 24) - 65536) ? 1 : 97)
    check(float(a + 1) * 0x1.0p-24f);
  // Every binade of normal floats down to FLT_MIN, with random mantissas.
  Rng rng(105);
  for (int e = 0; e >= -125; --e)
    for (int k = 0; k < 200; ++k) {
      const float x = std::ldexp(1.0f + rng.uniform(), e - 1);  // [2^(e-1), 2^e)
      if (x <= 1.0f) check(x);
    }
  check(FLT_MIN);
  check(std::nextafter(1.0f, 0.0f));
  INFO("worst relative error " << worst << " at x = " << std::scientific << double(worst_x));
  CHECK(worst < 2e-6);
}

TEST_CASE("detail::log_unit at the ends of its documented domain [2^-126, 1]", "[random][transforms]") {
  // transforms.hpp documents log_unit for normal floats in [2^-126, 1] (the
  // exponent trick assumes a normal float; subnormals are outside the
  // contract, and Box-Muller only passes inputs >= 2^-24).
  for (const float x : {FLT_MIN, std::nextafter(FLT_MIN, 1.0f), 0x1.0p-100f, 0x1.0p-24f, 0x1.8p-24f}) {
    INFO("x = " << std::scientific << double(x) << ", log_unit " << detail::log_unit(x) << ", std::log "
                << std::log(double(x)));
    const double want = std::log(double(x));
    CHECK(std::abs(double(detail::log_unit(x)) - want) / std::abs(want) < 2e-6);
  }
}

TEST_CASE("detail::box_muller matches the std::cos / std::sin formula to 1e-5", "[random][transforms]") {
  // z0 = sqrt(-2 ln u1) cos(2 pi u2), z1 = sqrt(-2 ln u1) sin(2 pi u2),
  // u1 = (a + 1) 2^-24 in (0, 1], u2 = b 2^-24 in [0, 1).
  const double two_pi = 6.283185307179586476925286766559;
  std::vector<std::uint32_t> as = {0, 1, 2, 1000, 0x7FFFFF, 0x800000, 0xFFFFFE, 0xFFFFFF};
  std::vector<std::uint32_t> bs = {0, 1, 0x3FFFFF, 0x400000, 0x400001, 0x7FFFFF, 0x800000,
                                   0xBFFFFF, 0xC00000, 0xFFFFFF};
  Rng rng(106);
  for (int k = 0; k < 3000; ++k) {
    as.push_back(std::uint32_t(rng.next_u64() >> 40));
    bs.push_back(std::uint32_t(rng.next_u64() >> 40));
  }
  double worst = 0;
  for (std::size_t i = 0; i < as.size(); ++i)
    for (std::size_t j = 0; j < bs.size(); j += (i < 8 ? 1 : 97)) {
      const std::uint32_t a = as[i], b = bs[(i < 8) ? j : (i + j) % bs.size()];
      float z0, z1;
      detail::box_muller(a, b, z0, z1);
      const double r = std::sqrt(-2.0 * std::log(double(a + 1) * 0x1.0p-24));
      const double phi = two_pi * double(b) * 0x1.0p-24;
      const double e = std::max(std::abs(z0 - r * std::cos(phi)), std::abs(z1 - r * std::sin(phi)));
      if (e > worst) {
        worst = e;
        INFO("a = " << a << ", b = " << b << ", z0 = " << z0 << ", z1 = " << z1);
        CHECK(e < 1e-5);
      }
    }
  CAPTURE(worst);
  CHECK(worst < 1e-5);
  // u1 = 1 gives exactly 0; the largest radius is sqrt(2 * 24 ln 2).
  float z0, z1;
  detail::box_muller(0xFFFFFF, 12345, z0, z1);
  CHECK(z0 == 0.0f);
  CHECK(z1 == 0.0f);
  detail::box_muller(0, 0, z0, z1);
  CHECK(z0 == Approx(std::sqrt(48.0 * std::log(2.0))).epsilon(1e-6));
}
