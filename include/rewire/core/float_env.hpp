// rewire/core/float_env.hpp - the floating-point environment of a thread.
//
// Why this exists: training drives softmax probabilities of wrong classes,
// their gradients and Adam's second moments below FLT_MIN (1.2e-38). On x86
// every arithmetic operation on such a subnormal number can take a slow
// microcode path, which slows the study's dense training markedly
// (docs/performance.md, P11).
// Flushing them to zero changes values only below 1.2e-38.
// The mode is also part of the numbers: a CPU that keeps subnormals gives
// other bits than one that flushes them, so aarch64 sets its FPCR.FZ bit
// (flush inputs and results, like x86's FTZ + DAZ together).
#pragma once

#include <cstdint>

#if defined(__SSE__) || defined(_M_X64)
#include <xmmintrin.h>
#define REWIRE_HAS_MXCSR 1
#else
#define REWIRE_HAS_MXCSR 0
#endif

#if defined(__aarch64__) && (defined(__GNUC__) || defined(__clang__))
#define REWIRE_HAS_FPCR 1
#else
#define REWIRE_HAS_FPCR 0
#endif

namespace rewire {

/// While in scope, the calling thread flushes subnormal results to zero
/// (FTZ) and reads subnormal inputs as zero (DAZ); the previous mode is
/// restored at the end of the scope. The mode is per thread: set it in every
/// thread that computes, or results depend on which thread ran what. x86-64
/// sets MXCSR's FTZ and DAZ bits, aarch64 FPCR's FZ bit; on other targets it
/// does nothing (`active()` is false). `enable = false` makes a scope that
/// changes nothing.
class ScopedFlushDenormals {
 public:
  explicit ScopedFlushDenormals(bool enable = true) {
#if REWIRE_HAS_MXCSR
    saved_ = _mm_getcsr();
    if (enable) _mm_setcsr(saved_ | kFlushToZero | kDenormalsAreZero);
    active_ = enable;
#elif REWIRE_HAS_FPCR
    saved_ = read_fpcr();
    if (enable) write_fpcr(saved_ | kFlushToZero);
    active_ = enable;
#else
    (void)enable;
#endif
  }
  ~ScopedFlushDenormals() {
#if REWIRE_HAS_MXCSR
    _mm_setcsr(saved_);
#elif REWIRE_HAS_FPCR
    write_fpcr(saved_);
#endif
  }
  ScopedFlushDenormals(const ScopedFlushDenormals&) = delete;
  ScopedFlushDenormals& operator=(const ScopedFlushDenormals&) = delete;

  /// True when this scope turned flushing on.
  bool active() const { return active_; }

 private:
#if REWIRE_HAS_MXCSR
  static constexpr unsigned kFlushToZero = 0x8000;     // MXCSR bit 15
  static constexpr unsigned kDenormalsAreZero = 0x0040;  // MXCSR bit 6
  unsigned saved_ = 0;
#elif REWIRE_HAS_FPCR
  static constexpr std::uint64_t kFlushToZero = std::uint64_t{1} << 24;  // FPCR.FZ
  static std::uint64_t read_fpcr() {
    std::uint64_t value;
    __asm__ __volatile__("mrs %0, fpcr" : "=r"(value));
    return value;
  }
  static void write_fpcr(std::uint64_t value) {
    __asm__ __volatile__("msr fpcr, %0" : : "r"(value));
  }
  std::uint64_t saved_ = 0;
#endif
  bool active_ = false;
};

}  // namespace rewire
