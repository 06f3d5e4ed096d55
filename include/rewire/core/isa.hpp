// rewire/core/isa.hpp - which instruction set the fixed-order kernels run on.
//
// The fixed-order dense kernels (kernels/dense_gemm.hpp) come in three
// versions, all compiled into every x86-64 build (GCC/Clang target
// attributes, no -march flag needed): plain C++ (std::fma), AVX2+FMA (8
// lanes) and AVX-512F (16 lanes). They produce the same bits, so the choice
// is about speed only: active_isa() picks the widest one the CPU has, once
// per process. The environment variable REWIRE_ISA=scalar|avx2|avx512
// overrides it (to compare paths, or to rule one out); a value that is not
// one of these, or names an instruction set this CPU lacks, is refused with
// a SpecError keyed "REWIRE_ISA". Other architectures, and compilers
// without the GNU target attributes, have the scalar path only.
#pragma once

#include <rewire/core/error.hpp>

#include <cstdlib>
#include <string>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define REWIRE_X86_KERNELS 1
#else
#define REWIRE_X86_KERNELS 0
#endif

// A function whose body the AVX2 and AVX-512 versions of a kernel share:
// those versions are thin functions with a target attribute around it, and
// only a body inlined into them is compiled for their target (GCC and Clang
// inline a function of the build's target into one of a wider target).
#if defined(__GNUC__) || defined(__clang__)
#define REWIRE_ALWAYS_INLINE __attribute__((always_inline)) inline
#else
#define REWIRE_ALWAYS_INLINE inline
#endif

// The target attributes of the AVX2+FMA and AVX-512F versions of the
// kernels, in one place (a build without -march flags contains them; call
// them only where active_isa() says the CPU has them).
#if REWIRE_X86_KERNELS
#define REWIRE_TARGET_AVX2 __attribute__((target("avx2,fma")))
#define REWIRE_TARGET_AVX512 __attribute__((target("avx512f")))
#endif

namespace rewire {

enum class Isa { scalar, avx2, avx512 };

inline const char* to_string(Isa isa) {
  switch (isa) {
    case Isa::scalar: return "scalar";
    case Isa::avx2: return "avx2";
    case Isa::avx512: return "avx512";
  }
  return "unknown";
}

/// What a CPU can run: `avx2` means AVX2 and FMA, `avx512` AVX-512F (the
/// AVX-512 kernels use nothing else). Scalar always.
struct CpuIsas {
  bool avx2 = false;
  bool avx512 = false;

  bool has(Isa isa) const {
    switch (isa) {
      case Isa::scalar: return true;
      case Isa::avx2: return avx2;
      case Isa::avx512: return avx512;
    }
    return false;
  }
  Isa best() const { return avx512 ? Isa::avx512 : avx2 ? Isa::avx2 : Isa::scalar; }
  /// "scalar, avx2, avx512" (the ones this CPU has).
  std::string describe() const {
    std::string s = "scalar";
    if (avx2) s += ", avx2";
    if (avx512) s += ", avx512";
    return s;
  }
};

/// The instruction sets of the CPU this process runs on. The CPUID checks
/// of GCC/Clang (__builtin_cpu_supports) include the operating system's
/// support for the wider registers (XCR0), so a kernel chosen here can run.
inline CpuIsas detect_cpu_isas() {
  CpuIsas cpu;
#if REWIRE_X86_KERNELS
  __builtin_cpu_init();
  cpu.avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  // The AVX-512 kernels are only worth having where AVX2 is too (every
  // AVX-512 CPU has it); requiring both keeps "avx512" a superset.
  cpu.avx512 = cpu.avx2 && __builtin_cpu_supports("avx512f");
#endif
  return cpu;
}

/// The instruction set for a value of REWIRE_ISA (`value` null or empty:
/// unset, the best the CPU has). Throws SpecError("REWIRE_ISA", ...) for an
/// unknown value or one the CPU lacks, naming the value and what it has.
inline Isa parse_isa_override(const char* value, const CpuIsas& cpu) {
  if (value == nullptr || *value == '\0') return cpu.best();
  const std::string v = value;
  for (const Isa isa : {Isa::scalar, Isa::avx2, Isa::avx512}) {
    if (v != to_string(isa)) continue;
    if (!cpu.has(isa))
      throw SpecError("REWIRE_ISA", "{} = \"" + v + "\" names an instruction set this CPU (or build) lacks; it has: " +
                                        cpu.describe());
    return isa;
  }
  throw SpecError("REWIRE_ISA", "{} = \"" + v + "\" is not one of scalar, avx2, avx512 (this CPU has: " +
                                    cpu.describe() + ")");
}

/// The instruction set of the fixed-order kernels in this process: decided
/// on the first call (CPU and REWIRE_ISA), the same afterwards. A bad
/// REWIRE_ISA throws on every call (the static is not initialised).
inline Isa active_isa() {
  static const Isa isa = parse_isa_override(std::getenv("REWIRE_ISA"), detect_cpu_isas());
  return isa;
}

/// Throws unless this CPU can run `isa` (kernels given an explicit Isa).
inline void require_isa(Isa isa, const char* where) {
  static const CpuIsas cpu = detect_cpu_isas();
  if (!cpu.has(isa))
    detail::require(false, std::string(where) + ": instruction set " + to_string(isa) +
                               " requested, but this CPU (or build) has only " + cpu.describe());
}

}  // namespace rewire
