// rewire/core/float_env.hpp - the floating-point environment of a thread.
//
// Why this exists: training drives softmax probabilities of wrong classes,
// their gradients and Adam's second moments below FLT_MIN (1.2e-38). On x86
// every arithmetic operation on such a subnormal number can take a slow
// microcode path, which slows the study's dense training markedly
// (docs/performance.md, P11).
// Flushing them to zero changes values only below 1.2e-38.
#pragma once

#if defined(__SSE__) || defined(_M_X64)
#include <xmmintrin.h>
#define REWIRE_HAS_MXCSR 1
#else
#define REWIRE_HAS_MXCSR 0
#endif

namespace rewire {

/// While in scope, the calling thread flushes subnormal results to zero
/// (FTZ) and reads subnormal inputs as zero (DAZ); the previous mode is
/// restored at the end of the scope. The mode is per thread: set it in every
/// thread that computes, or results depend on which thread ran what. On
/// targets without SSE control registers it does nothing (`active()` is
/// false). `enable = false` makes a scope that changes nothing.
class ScopedFlushDenormals {
 public:
  explicit ScopedFlushDenormals(bool enable = true) {
#if REWIRE_HAS_MXCSR
    saved_ = _mm_getcsr();
    if (enable) _mm_setcsr(saved_ | kFlushToZero | kDenormalsAreZero);
    active_ = enable;
#else
    (void)enable;
#endif
  }
  ~ScopedFlushDenormals() {
#if REWIRE_HAS_MXCSR
    _mm_setcsr(saved_);
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
#endif
  bool active_ = false;
};

}  // namespace rewire
