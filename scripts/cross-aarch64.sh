#!/usr/bin/env bash
# cross-aarch64.sh - rewire for 64-bit ARM (aarch64) on an x86-64 Debian 12
# machine: Debian's cross compiler builds the unit tests and the golden-digest
# program, qemu-user runs them (docs/cross.md).
#
#   scripts/cross-aarch64.sh               all four steps below
#   scripts/cross-aarch64.sh --jobs N      build and run tests with N jobs (default 1)
#   scripts/cross-aarch64.sh --no-golden   skip step 4, the slowest
#
#   1. install what is missing (g++-aarch64-linux-gnu, qemu-user, the
#      header-only dependencies), with sudo when not root
#   2. configure preset cross-aarch64 (build/cross-aarch64), build the target
#      rewire_unit_tests (every program of tests/) and chronic_stress_golden
#   3. ctest -L unit under qemu-aarch64
#   4. chronic_stress_golden on the golden test's study (the arguments in the
#      header of the committed digests) under qemu-aarch64, each digest line
#      compared with the committed one (testdata/golden/digests.txt)
#
# Exit status: non-zero if a step fails, a unit test fails or a golden
# digest differs from the committed one (the same bits as on x86-64 are the
# promise, docs/scale-out.md).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

jobs=1
golden=1
while [ $# -gt 0 ]; do
  case "$1" in
    --jobs) jobs="${2:?--jobs needs a number}"; shift ;;
    --no-golden) golden=0 ;;
    -h|--help) sed -n '2,20p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "cross-aarch64.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

build=build/cross-aarch64
sysroot=/usr/aarch64-linux-gnu   # the cross compiler's C/C++ runtime
committed=examples/chronic_stress/testdata/golden/digests.txt

# Runs a step and prints its wall time (a failing step ends the script).
timed() {
  local label="$1" start=$SECONDS
  shift
  "$@"
  echo "=== cross-aarch64.sh: $((SECONDS - start)) s: ${label} ==="
}

install_missing() {
  local packages=(g++-aarch64-linux-gnu qemu-user cmake make libeigen3-dev catch2
                  libfmt-dev libtomlplusplus-dev libcli11-dev nlohmann-json3-dev)
  local missing=() pkg
  for pkg in "${packages[@]}"; do
    dpkg -s "$pkg" 2>/dev/null | grep -q '^Status: install ok installed$' || missing+=("$pkg")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  echo "cross-aarch64.sh: installing ${missing[*]}"
  local as_root=()
  [ "$(id -u)" -eq 0 ] || as_root=(sudo)
  "${as_root[@]}" apt-get update
  DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
}

configure_and_build() {
  local launcher=()
  # ccache when there is one: a rebuild after a small change takes seconds.
  if command -v ccache >/dev/null 2>&1; then
    launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
    export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"
  fi
  cmake --preset cross-aarch64 "${launcher[@]}"
  cmake --build "$build" -j "$jobs" --target rewire_unit_tests chronic_stress_golden
}

# A failing unit test fails the script, but only after the golden
# comparison: both are worth seeing in one run.
unit_status=0
golden_status=0
run_unit_tests() {
  ctest --preset cross-aarch64 -L unit -j "$jobs" || unit_status=$?
}

# Runs the golden program as the golden test does (same study, same
# arguments) and prints, per committed line, whether aarch64 gives it.
compare_golden() {
  local args study=examples/chronic_stress/smoke.toml out="$build/golden"
  args="$(sed -n 's/^# args: //p' "$committed")"
  mkdir -p "$out"
  # shellcheck disable=SC2086  # args: several words on purpose
  qemu-aarch64 -L "$sysroot" "$build/examples/chronic_stress/tests/chronic_stress_golden" \
    "$study" $args > "$out/digests.txt"
  local same=0 differ=0 line
  while IFS= read -r line; do
    if grep -qxF "$line" "$out/digests.txt"; then
      echo "  same     $line"; same=$((same + 1))
    else
      echo "  differs  $line (aarch64: $(grep -F "${line% *} " "$out/digests.txt" | awk '{print $NF}'))"
      differ=$((differ + 1))
    fi
  done < <(grep '^seed ' "$committed")
  echo "cross-aarch64.sh: golden digests ($study $args): $same same as committed, $differ differ"
  echo "cross-aarch64.sh: aarch64 digests in $out/digests.txt"
  if [ "$differ" -ne 0 ] || [ "$same" -eq 0 ]; then
    echo "cross-aarch64.sh: aarch64 does not give the committed golden digests" >&2
    golden_status=1
  fi
}

timed "install" install_missing
timed "configure + build" configure_and_build
timed "unit tests under qemu-aarch64" run_unit_tests
if [ "$golden" -eq 1 ]; then
  timed "golden digests under qemu-aarch64" compare_golden
fi
if [ "$unit_status" -ne 0 ]; then
  echo "cross-aarch64.sh: unit tests failed under qemu-aarch64 (ctest exit status $unit_status)" >&2
  exit "$unit_status"
fi
exit "$golden_status"
