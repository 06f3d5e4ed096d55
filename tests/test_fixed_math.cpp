// Tests of kernels/fixed_math.hpp: accuracy of exp_fixed, tanh_fixed and
// log_fixed against long double libm, their special values, and the
// contract: the same bits from a plain (scalar) loop and from loops compiled
// for AVX2+FMA and AVX-512F (vectorised, with the compiler free to contract).
#include <catch2/catch.hpp>

#include <rewire/kernels/fixed_math.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

using rewire::Index;
using rewire::detail::exp_fixed;
using rewire::detail::log_fixed;
using rewire::detail::tanh_fixed;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

float from_bits(std::uint32_t b) {
  float f;
  std::memcpy(&f, &b, sizeof f);
  return f;
}

std::uint32_t bits(float f) {
  std::uint32_t b;
  std::memcpy(&b, &f, sizeof b);
  return b;
}

// Position on the number line in units of the format's spacing: the
// difference of two keys is the distance in ulp (crossing 0 counts -0 and
// +0 as one point).
std::int64_t key(float f) {
  const std::int32_t b = std::int32_t(bits(f));
  return b < 0 ? -std::int64_t(b & 0x7FFFFFFF) : std::int64_t(b);
}

std::int64_t key(double d) {
  std::int64_t b;
  std::memcpy(&b, &d, sizeof b);
  return b < 0 ? -(b & 0x7FFFFFFFFFFFFFFFll) : b;
}

std::string hex(double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%a (%.9g)", x, x);
  return buf;
}

// The inputs of the accuracy tests: every 4099th float bit pattern (both
// signs, every exponent); every 2003rd float of |x| < 0.7 (both signs: tiny
// inputs, exp's reduction n = 0, tanh's polynomial); and every float in the
// narrow regions where the functions change method, saturate, overflow or
// underflow.
std::vector<float> accuracy_inputs() {
  std::vector<float> xs;
  for (std::uint64_t b = 0; b <= 0xFFFFFFFFull; b += 4099) {
    const float x = from_bits(std::uint32_t(b));
    if (std::isfinite(x)) xs.push_back(x);
  }
  for (std::uint32_t b = 0; b < bits(0.7f); b += 2003) {  // subnormals included
    xs.push_back(from_bits(b));
    xs.push_back(from_bits(b | 0x80000000u));
  }
  const float ranges[][2] = {
      {0.62f, 0.63f},        // tanh: polynomial -> exp form at 0.625
      {-0.63f, -0.62f},      //
      {0.34f, 0.35f},        // exp: reduction n = 0 -> 1 at ln2/2
      {9.0f, 9.02f},         // tanh saturates to 1 at 9.0109
      {-9.02f, -9.0f},       //
      {88.7f, 88.75f},       // exp overflows at 88.7228
      {-104.0f, -103.9f},    // exp underflows to 0 at -103.972
      {-87.4f, -87.3f},      // exp leaves the normal range at -87.336
  };
  for (const auto& r : ranges)
    for (float x = r[0]; x <= r[1]; x = std::nextafter(x, kInf)) xs.push_back(x);
  return xs;
}

// Largest distance in ulp between f(x) and the float nearest to ref(x)
// (computed in long double), and where it occurs.
template <typename F, typename R>
void max_ulp(const std::vector<float>& xs, F f, R ref, std::int64_t& worst, float& where) {
  worst = 0;
  where = 0.0f;
  for (float x : xs) {
    const float want = float(ref((long double)x));
    const std::int64_t d = std::llabs(key(f(x)) - key(want));
    if (d > worst) {
      worst = d;
      where = x;
    }
  }
}

}  // namespace

TEST_CASE("exp_fixed is within 2 ulp of the correctly rounded exp for every finite float sampled", "[fixed_math]") {
  const std::vector<float> xs = accuracy_inputs();
  std::int64_t worst;
  float where;
  max_ulp(xs, [](float x) { return exp_fixed(x); }, [](long double x) { return std::exp(x); }, worst, where);
  INFO(xs.size() << " inputs; max error " << worst << " ulp at x = " << hex(where));
  CHECK(worst <= 2);
}

TEST_CASE("tanh_fixed is within 2 ulp of the correctly rounded tanh for every finite float sampled", "[fixed_math]") {
  const std::vector<float> xs = accuracy_inputs();
  std::int64_t worst;
  float where;
  max_ulp(xs, [](float x) { return tanh_fixed(x); }, [](long double x) { return std::tanh(x); }, worst, where);
  INFO(xs.size() << " inputs; max error " << worst << " ulp at x = " << hex(where));
  CHECK(worst <= 2);
}

TEST_CASE("exp_fixed: special values, overflow and underflow", "[fixed_math]") {
  CHECK(exp_fixed(-kInf) == 0.0f);
  CHECK(exp_fixed(kInf) == kInf);
  CHECK(std::isnan(exp_fixed(std::numeric_limits<float>::quiet_NaN())));
  CHECK(std::isnan(exp_fixed(-std::numeric_limits<float>::quiet_NaN())));
  CHECK(exp_fixed(0.0f) == 1.0f);
  CHECK(exp_fixed(-0.0f) == 1.0f);
  // The largest float with a finite exp, and the next one.
  CHECK(std::isfinite(exp_fixed(88.7228317f)));
  CHECK(exp_fixed(88.7228317f) > 3.4e38f);
  CHECK(exp_fixed(std::nextafter(88.7228317f, kInf)) == kInf);
  CHECK(exp_fixed(1000.0f) == kInf);
  // Subnormal results down to the smallest, then 0 (ties to even at 2^-150).
  CHECK(exp_fixed(-103.0f) > 0.0f);
  CHECK(exp_fixed(-103.0f) < std::numeric_limits<float>::min());
  CHECK(exp_fixed(-103.9720f) == std::numeric_limits<float>::denorm_min());
  CHECK(exp_fixed(-103.9721f) == 0.0f);
  CHECK(exp_fixed(-1000.0f) == 0.0f);
  CHECK(exp_fixed(-std::numeric_limits<float>::max()) == 0.0f);
}

TEST_CASE("tanh_fixed: special values, sign of zero, saturation, tiny inputs", "[fixed_math]") {
  CHECK(bits(tanh_fixed(0.0f)) == bits(0.0f));
  CHECK(bits(tanh_fixed(-0.0f)) == bits(-0.0f));
  CHECK(tanh_fixed(kInf) == 1.0f);
  CHECK(tanh_fixed(-kInf) == -1.0f);
  CHECK(std::isnan(tanh_fixed(std::numeric_limits<float>::quiet_NaN())));
  // Exactly +-1 from 9.0109 on (where the true tanh rounds to 1), not before.
  CHECK(tanh_fixed(9.011f) == 1.0f);
  CHECK(tanh_fixed(-9.011f) == -1.0f);
  CHECK(tanh_fixed(9.0f) < 1.0f);
  for (float x = 9.011f; x < 1e6f; x *= 1.37f) {
    CHECK(tanh_fixed(x) == 1.0f);
    CHECK(tanh_fixed(-x) == -1.0f);
  }
  // Tiny |x|: tanh x rounds to x.
  for (float x : {1e-30f, 1e-10f, 3e-5f, std::numeric_limits<float>::min(), std::numeric_limits<float>::denorm_min()}) {
    CHECK(tanh_fixed(x) == x);
    CHECK(tanh_fixed(-x) == -x);
  }
}

TEST_CASE("log_fixed is within 1 ulp of the correctly rounded log for positive doubles", "[fixed_math]") {
  std::vector<double> xs;
  for (std::uint64_t b = 1; b < 0x7FF0000000000000ull; b += 0x7FF0000000000000ull / 1000003) {
    double x;
    std::memcpy(&x, &b, sizeof x);
    xs.push_back(x);  // subnormals, normals, near the largest double
  }
  for (int i = 0; i <= 1000000; ++i) xs.push_back(1.0 + i * (1023.0 / 1000000));  // sums of a softmax: [1, classes]
  for (double x = 0.70; x < 1.42; x += 1.0 / 65536) xs.push_back(x);           // around 1: log x ~ x - 1
  xs.push_back(std::numeric_limits<double>::denorm_min());
  xs.push_back(std::numeric_limits<double>::min());
  xs.push_back(std::numeric_limits<double>::max());
  std::int64_t worst = 0;
  double where = 0.0;
  for (double x : xs) {
    const double want = double(std::log((long double)x));
    const std::int64_t d = std::llabs(key(log_fixed(x)) - key(want));
    if (d > worst) {
      worst = d;
      where = x;
    }
  }
  INFO(xs.size() << " inputs; max error " << worst << " ulp at x = " << hex(where));
  CHECK(worst <= 1);
  CHECK(log_fixed(1.0) == 0.0);
  CHECK(log_fixed(2.0) == double(std::log((long double)2.0)));
}

TEST_CASE("log_fixed: special values", "[fixed_math]") {
  constexpr double inf = std::numeric_limits<double>::infinity();
  CHECK(log_fixed(0.0) == -inf);
  CHECK(log_fixed(-0.0) == -inf);
  CHECK(log_fixed(inf) == inf);
  CHECK(std::isnan(log_fixed(-1.0)));
  CHECK(std::isnan(log_fixed(-inf)));
  CHECK(std::isnan(log_fixed(std::numeric_limits<double>::quiet_NaN())));
}

// ---- the same bits from scalar and vectorised code ------------------------
//
// Three copies of each loop: plain (this file compiles for baseline x86-64,
// where std::fma is libm's exact fmaf and nothing vectorises it), AVX2+FMA
// and AVX-512F (GCC/Clang vectorise these 8 and 16 lanes wide, and would fuse
// any bare a*b + c: fp-contraction is on by default in GNU mode).

namespace {

void log_plain(double* out, const double* in, Index n) {
  for (Index i = 0; i < n; ++i) out[i] = log_fixed(in[i]);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define REWIRE_TEST_X86_COPIES 1
// log_fixed (double: the gradient checks' type) has no run-time versions in
// the library; these copies check that its bits do not depend on the target.
__attribute__((target("avx2,fma"))) void log_avx2(double* out, const double* in, Index n) {
  for (Index i = 0; i < n; ++i) out[i] = log_fixed(in[i]);
}
__attribute__((target("avx512f"))) void log_avx512(double* out, const double* in, Index n) {
  for (Index i = 0; i < n; ++i) out[i] = log_fixed(in[i]);
}
#endif

// A few million floats: random bit patterns (every exponent, NaNs and
// infinities included) and random values where the functions do their work.
std::vector<float> equality_inputs() {
  std::vector<float> xs;
  std::uint64_t s = 0x9E3779B97F4A7C15ull;
  auto next = [&s] {  // splitmix64
    std::uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  };
  for (int i = 0; i < 1000000; ++i) xs.push_back(from_bits(std::uint32_t(next())));
  for (int i = 0; i < 1500000; ++i) xs.push_back(-12.0f + 24.0f * float(next() >> 40) * 0x1p-24f);
  for (int i = 0; i < 1500000; ++i) xs.push_back(-110.0f + 200.0f * float(next() >> 40) * 0x1p-24f);
  return xs;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

std::size_t first_difference(const std::vector<float>& a, const std::vector<float>& b) {
  std::size_t i = 0;
  while (i < a.size() && bits(a[i]) == bits(b[i])) ++i;
  return i;
}

using FloatLoop = void (*)(float*, const float*, Index, rewire::Isa);
using FloatFunction = float (*)(float);

// One value at a time through a function that is not inlined: scalar
// instructions, nothing vectorised (the reference of the array versions).
[[gnu::noinline]] float tanh_one(float x) { return tanh_fixed(x); }
[[gnu::noinline]] float exp_one(float x) { return exp_fixed(x); }

// Runs the library's array version `loop` on every instruction set this CPU
// has and requires the bits of `one` applied value by value.
void require_same_as_one_by_one(const char* name, FloatLoop loop, FloatFunction one, const std::vector<float>& xs) {
  const Index n = Index(xs.size());
  std::vector<float> want(xs.size()), got(xs.size());
  for (std::size_t i = 0; i < xs.size(); ++i) want[i] = one(xs[i]);
  const rewire::CpuIsas cpu = rewire::detect_cpu_isas();
  for (const rewire::Isa isa : {rewire::Isa::scalar, rewire::Isa::avx2, rewire::Isa::avx512}) {
    if (!cpu.has(isa)) {
      WARN("this CPU lacks " << rewire::to_string(isa) << ": " << name << " not compared there");
      continue;
    }
    loop(got.data(), xs.data(), n, isa);
    const std::size_t i = first_difference(want, got);
    INFO(name << " on " << rewire::to_string(isa) << ": first difference at x = "
              << (i < xs.size() ? hex(xs[i]) : std::string("-")) << ": one by one "
              << (i < xs.size() ? hex(want[i]) : std::string("-")) << ", array "
              << (i < xs.size() ? hex(got[i]) : std::string("-")));
    REQUIRE(same_bits(want, got));
  }
}

}  // namespace

TEST_CASE("tanh_fixed and exp_fixed arrays give the same bits on every instruction set", "[fixed_math]") {
  const std::vector<float> xs = equality_inputs();
  require_same_as_one_by_one("tanh_fixed", rewire::detail::tanh_fixed, tanh_one, xs);
  require_same_as_one_by_one("exp_fixed", rewire::detail::exp_fixed, exp_one, xs);
}

TEST_CASE("log_fixed gives the same bits in plain, AVX2 and AVX-512 code", "[fixed_math]") {
#if defined(REWIRE_TEST_X86_COPIES)
  std::vector<double> xs;
  for (int i = 0; i < 200000; ++i) xs.push_back(1.0 + i * (1023.0 / 200000));
  for (std::uint64_t b = 1; b < 0x7FF0000000000000ull; b += 0x7FF0000000000000ull / 200003) {
    double x;
    std::memcpy(&x, &b, sizeof x);
    xs.push_back(x);
  }
  const Index n = Index(xs.size());
  std::vector<double> want(xs.size()), got(xs.size());
  log_plain(want.data(), xs.data(), n);
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    log_avx2(got.data(), xs.data(), n);
    CHECK(std::memcmp(want.data(), got.data(), want.size() * sizeof(double)) == 0);
  }
  if (__builtin_cpu_supports("avx512f")) {
    log_avx512(got.data(), xs.data(), n);
    CHECK(std::memcmp(want.data(), got.data(), want.size() * sizeof(double)) == 0);
  }
#else
  WARN("not an x86-64 GCC/Clang build: only the plain loop exists here");
#endif
}
