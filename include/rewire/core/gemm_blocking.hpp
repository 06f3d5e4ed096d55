// rewire/core/gemm_blocking.hpp - fixed cache sizes for Eigen's matrix
// products, so their summation order does not follow the CPU.
//
// Why this exists: Eigen's dense products (linear.hpp) split the inner
// dimension into panels of kc values, and kc is derived from the L1 size
// (and nc, mc from the L1/L2/L3 sizes) that Eigen reads with CPUID the
// first time a product runs. Each panel's partial sum is added to the
// result separately, so a different kc is a different summation order:
// two CPUs with the same instruction set but other caches (or a hypervisor
// that reports other sizes) would produce different bits. Pinning the sizes
// makes the blocking a function of the matrix shapes alone. It costs no
// accuracy; at most some speed on CPUs whose caches are larger.
//
// The values are Eigen's own x86 fallbacks (what it uses when CPUID says
// nothing): 32 KiB L1, 256 KiB L2, 2 MiB L3. Changing them changes results.
#pragma once

#include <Eigen/Core>

#include <cstddef>

namespace rewire {

inline constexpr std::ptrdiff_t kGemmL1Bytes = 32 * 1024;
inline constexpr std::ptrdiff_t kGemmL2Bytes = 256 * 1024;
inline constexpr std::ptrdiff_t kGemmL3Bytes = 2 * 1024 * 1024;

/// Makes every later Eigen product in this process block as if the CPU had
/// the caches above. Process-wide (Eigen keeps one setting): call it once at
/// start-up, before any thread computes. Programs that promise the same
/// numbers on every CPU call it (the study runner does); the library itself
/// never changes this global setting behind a caller's back.
inline void pin_gemm_blocking() { Eigen::setCpuCacheSizes(kGemmL1Bytes, kGemmL2Bytes, kGemmL3Bytes); }

}  // namespace rewire
