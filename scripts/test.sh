#!/usr/bin/env bash
# test.sh - set up and run all tests.
#
#   scripts/test.sh           deps, then preset `release` and preset `asan`
#   scripts/test.sh --fast    deps, then preset `release` only
#   scripts/test.sh --clean   remove build/<preset> first (combinable)
#
# Each preset: configure, build (includes the header self-containment check),
# run ctest (unit tests + package_consumer; with `release` also the Python
# module's pytest suite and the notebooks, see docs/python.md). Exits
# non-zero on the first failure.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

fast=0
clean=0
for arg in "$@"; do
  case "$arg" in
    --fast)  fast=1 ;;
    --clean) clean=1 ;;
    -h|--help) sed -n '2,11p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "test.sh: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

bash scripts/install-deps.sh

presets=(release)
if [ "$fast" -eq 0 ]; then
  presets+=(asan)
fi

for preset in "${presets[@]}"; do
  echo
  echo "=== test.sh: preset '$preset' ==="
  if [ "$clean" -eq 1 ]; then
    rm -rf "build/$preset"
  fi
  cmake --preset "$preset"
  cmake --build --preset "$preset" -j2
  ctest --preset "$preset" -j2
done

# The checkpoint reader under libFuzzer (clang++), a bounded run from the
# seed corpus (fuzz/corpus/checkpoint): about a minute with the build. A
# finding stops the script; its reproducer (build/fuzz/findings/) belongs in
# fuzz/regressions/checkpoint/, which ctest replays.
echo
echo "=== test.sh: fuzzers (clang++) ==="
cmake -S . -B build/fuzz -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Release -DREWIRE_BUILD_FUZZERS=ON \
  -DREWIRE_BUILD_TESTS=OFF -DREWIRE_BUILD_EXAMPLES=OFF -DREWIRE_BUILD_BENCH=OFF -DREWIRE_INSTALL=OFF
cmake --build build/fuzz --target fuzz_checkpoint -j2
rm -rf build/fuzz/corpus-checkpoint && mkdir -p build/fuzz/corpus-checkpoint build/fuzz/findings
build/fuzz/fuzz/fuzz_checkpoint -max_total_time=40 -max_len=8192 -artifact_prefix=build/fuzz/findings/ \
  build/fuzz/corpus-checkpoint fuzz/corpus/checkpoint

echo
echo "=== test.sh: all tests passed (presets: ${presets[*]}) ==="
