# RewireFlags.cmake - internal INTERFACE "flag carrier" targets for rewire's
# own tests, examples and benchmarks.
#
# Why targets instead of CMAKE_CXX_FLAGS / add_compile_options: flags stay off
# the public rewire::rewire target and off any parent project, and each kind of
# binary opts in to exactly what it needs:
#
#   target             linked by                  carries
#   -----------------  -------------------------  ------------------------------
#   rewire_warnings    tests, examples, bench     -Wall -Wextra -Wpedantic
#                                                 (+ -Werror if REWIRE_WERROR)
#   rewire_native      examples, bench            code generation: -march=x86-64-v3
#                                                 (portable, default) or -march=native
#                                                 (REWIRE_NATIVE), -fno-math-errno
#                                                 + sanitizers
#   rewire_test_flags  tests                      -fno-math-errno + sanitizers
#   rewire_sanitize    (via the two above)        ASan+UBSan if REWIRE_SANITIZE
#
# Every internal executable links either rewire_native or rewire_test_flags,
# so the sanitizer flags reach all of them without a fourth link line.
# None of these targets is installed or exported.

include_guard(GLOBAL)

# Quoted genexes with ';' separators: an unquoted space inside $<...> would
# split the expression into broken pieces.
set(_rewire_gcc_like "$<CXX_COMPILER_ID:GNU,Clang,AppleClang>")
set(_rewire_msvc "$<CXX_COMPILER_ID:MSVC>")

# --- warnings ---------------------------------------------------------------
add_library(rewire_warnings INTERFACE)
target_compile_options(rewire_warnings INTERFACE
  "$<${_rewire_gcc_like}:-Wall;-Wextra;-Wpedantic>"
  "$<${_rewire_msvc}:/W4;/permissive->")
if(REWIRE_WERROR)
  target_compile_options(rewire_warnings INTERFACE
    "$<${_rewire_gcc_like}:-Werror>"
    "$<${_rewire_msvc}:/WX>")
endif()

# --- sanitizers -------------------------------------------------------------
# -fno-sanitize-recover=all turns every UBSan finding into a hard failure (the
# test fails instead of printing a warning nobody reads). float-cast-overflow
# is part of Clang's `undefined` but not of GCC's: named, so both compilers
# catch a float converted to an integer type that cannot hold it. The flags go on both
# compile and link lines because the sanitizer runtimes must be linked in.
add_library(rewire_sanitize INTERFACE)
if(REWIRE_SANITIZE)
  if(MSVC)
    message(FATAL_ERROR "REWIRE_SANITIZE is only supported with GCC/Clang")
  endif()
  set(_rewire_san_flags
    -fsanitize=address,undefined,float-cast-overflow -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_compile_options(rewire_sanitize INTERFACE ${_rewire_san_flags})
  target_link_options(rewire_sanitize INTERFACE ${_rewire_san_flags})
  unset(_rewire_san_flags)
endif()

# --- code generation (examples + benchmarks only) -------------------------
# Two modes, both only for programs (never the public target: flags would
# leak into every consumer; never the tests, which must run on any x86-64):
#
#   portable (default)  -march=x86-64-v3: AVX2 + FMA, 8-float vectors for
#                       the compiler's own vectorisation; runs on every
#                       x86-64 CPU with AVX2. On aarch64 (cross build,
#                       docs/cross.md): -march=armv8-a, the baseline every
#                       64-bit ARM CPU runs. Other architectures get the
#                       compiler's default target.
#   native (REWIRE_NATIVE=ON)  -march=native: programs for the build
#                       machine, e.g. an x86-64 CPU without AVX2. The same
#                       numbers: the kernels fix their summation orders and
#                       choose their instruction set at run time in every
#                       build (docs/architecture.md, "Same bits everywhere"),
#                       so on an AVX-512 CPU this is no faster
#                       (docs/performance.md, P25).
#
# FMA policy: -ffp-contract=off is a usage requirement of rewire::rewire
# itself (CMakeLists.txt), so the compiler never fuses a*b+c; the only
# fused multiply-adds are the ones the code writes (std::fma, intrinsics).
# -fno-math-errno lets std::sqrt/exp etc. vectorise; rewire never reads errno.
add_library(rewire_native INTERFACE)
target_link_libraries(rewire_native INTERFACE rewire_sanitize)
target_compile_options(rewire_native INTERFACE
  "$<${_rewire_gcc_like}:-fno-math-errno>")
if(REWIRE_NATIVE)
  set(REWIRE_CODEGEN "native")
  target_compile_options(rewire_native INTERFACE "$<${_rewire_gcc_like}:-march=native>")
  # GCC 12 reports a false -Wmaybe-uninitialized inside Eigen's AVX-512
  # code (GCC bug 105593) whenever -march enables AVX-512; with
  # -Werror that would break every native build. Not our code, not a real
  # problem: silence exactly that warning, for exactly those compilers.
  target_compile_options(rewire_native INTERFACE
    "$<$<AND:$<CXX_COMPILER_ID:GNU>,$<VERSION_LESS:$<CXX_COMPILER_VERSION>,13>>:-Wno-maybe-uninitialized>")
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  set(REWIRE_CODEGEN "x86-64-v3")
  target_compile_options(rewire_native INTERFACE "$<${_rewire_gcc_like}:-march=x86-64-v3>")
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64|ARM64)$")
  set(REWIRE_CODEGEN "armv8-a")
  target_compile_options(rewire_native INTERFACE "$<${_rewire_gcc_like}:-march=armv8-a>")
else()
  set(REWIRE_CODEGEN "default")
endif()
# Available to the programs as a string (not yet printed or recorded).
target_compile_definitions(rewire_native INTERFACE "REWIRE_CODEGEN=\"${REWIRE_CODEGEN}\"")
message(STATUS "rewire: code generation for examples and benchmarks: ${REWIRE_CODEGEN}")

# --- test flags -------------------------------------------------------------
# Same math semantics as the examples (-fno-math-errno) so tests exercise the
# same code paths, but no -march=native.
add_library(rewire_test_flags INTERFACE)
target_link_libraries(rewire_test_flags INTERFACE rewire_sanitize)
target_compile_options(rewire_test_flags INTERFACE
  "$<${_rewire_gcc_like}:-fno-math-errno>")

unset(_rewire_gcc_like)
unset(_rewire_msvc)
