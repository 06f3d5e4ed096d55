#!/usr/bin/env bash
# test.sh - set up and run all tests.
#
#   scripts/test.sh           deps, then preset `release` and preset `asan`
#   scripts/test.sh --fast    deps, then preset `release` only
#   scripts/test.sh --clean   remove build/<preset> first (combinable)
#
# Each preset: configure, build (release: includes the header self-containment check),
# run ctest (unit tests + package_consumer; with `release` also the Python
# module's pytest suite and the notebooks, see docs/python.md; the module is
# then installed for python3 by scripts/install-python.sh). Exits non-zero on
# the first failure.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

fast=0
clean=0
for arg in "$@"; do
  case "$arg" in
    --fast)  fast=1 ;;
    --clean) clean=1 ;;
    -h|--help) sed -n '2,12p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "test.sh: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

bash scripts/install-deps.sh

# Each step's wall time, printed as it ends: "=== test.sh: 312 s: build asan ===".
timed() {
  local label="$1" start=$SECONDS
  shift
  "$@"
  echo "=== test.sh: $((SECONDS - start)) s: ${label} ==="
}

# The CPU the tests ran on, in the first and last lines: the golden test
# (chronic_stress.golden) checks the portable build's committed digests, so
# a passing log records one more CPU model that reproduces them.
cpu="$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)"
if grep -qw avx512f /proc/cpuinfo 2>/dev/null; then isa=AVX-512
elif grep -qw avx2 /proc/cpuinfo 2>/dev/null; then isa=AVX2
else isa="no AVX2"; fi
machine="${cpu:-unknown CPU}, ${isa}, $(nproc) CPUs"
echo "=== test.sh: machine: ${machine} ==="

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
  # Unity builds: the sources of one target (the study program's rooms, the
  # Python module) compile as a few merged translation units, so the heavy
  # headers (Eigen, nlohmann/json, toml++, fmt, pybind11) are parsed once per
  # batch instead of once per file; four report sources take 23 s merged
  # against 77 s apart. Presets used directly keep one unit per file.
  # The release preset also builds and tests the MPI study program.
  extra=(-DCMAKE_UNITY_BUILD=ON)
  if [ "$preset" = release ]; then extra+=(-DREWIRE_WITH_MPI=ON); fi
  timed "configure ${preset}" cmake --preset "$preset" "${extra[@]}"
  timed "build ${preset}" cmake --build --preset "$preset" -j2
  timed "ctest ${preset}" ctest --preset "$preset" -j2
  # The tested module goes where python3 finds it (scripts/install-python.sh).
  if [ "$preset" = release ]; then bash scripts/install-python.sh "build/$preset"; fi
done

# The readers of untrusted files under libFuzzer (clang++): the checkpoint
# reader, chronic_stress's TOML config reader and its seed/summary readers,
# each a bounded run from its seed corpus (fuzz/corpus/<target>). About 2-3
# minutes with the build on 2 cores. A finding stops the script; its
# reproducer (build/fuzz/findings/) belongs in fuzz/regressions/<target>/,
# which ctest replays (fuzz_regression_<target>). -max_len caps an input a
# little above the largest seed (a checkpoint of the corpus, paper.toml, the
# paper protocol's summary.json), so the time goes into mutating inputs of
# the size the program meets rather than ever longer ones.
#
# The same clang++ tree also builds the golden-digest program with
# -march=native (REWIRE_NATIVE): another compiler and, on an AVX-512 CPU,
# other vector widths than the release preset's GCC x86-64-v3 build, and
# the same committed digests (examples/chronic_stress/tests/golden.cmake).
# (Tests on: the golden program is defined with the study's tests; only the
# targets named below are built.)
echo
echo "=== test.sh: fuzzers and golden digests (clang++, -march=native) ==="
cmake -S . -B build/fuzz -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Release -DREWIRE_BUILD_FUZZERS=ON -DCMAKE_UNITY_BUILD=ON \
  -DREWIRE_BUILD_TESTS=ON -DREWIRE_BUILD_EXAMPLES=ON -DREWIRE_NATIVE=ON -DREWIRE_BUILD_BENCH=OFF -DREWIRE_INSTALL=OFF
timed "build fuzzers and golden (clang)" cmake --build build/fuzz \
  --target fuzz_checkpoint fuzz_config fuzz_results chronic_stress_golden -j2
timed "golden digests (clang, native)" cmake -DGOLDEN=build/fuzz/examples/chronic_stress/tests/chronic_stress_golden \
  -DSMOKE=examples/chronic_stress/smoke.toml -DEXPECTED=examples/chronic_stress/testdata/golden/digests.txt \
  -DWORK=build/fuzz/golden -P examples/chronic_stress/tests/golden.cmake
mkdir -p build/fuzz/findings
for run in checkpoint:8192 config:4096 results:20000; do
  target=${run%%:*}
  rm -rf "build/fuzz/corpus-$target" && mkdir -p "build/fuzz/corpus-$target"
  timed "fuzz ${target}" "build/fuzz/fuzz/fuzz_$target" -max_total_time=30 -max_len="${run##*:}" \
    -artifact_prefix="build/fuzz/findings/$target-" "build/fuzz/corpus-$target" "fuzz/corpus/$target"
done

echo
echo "=== test.sh: all tests passed (presets: ${presets[*]}) on ${machine}, ${SECONDS} s ==="
