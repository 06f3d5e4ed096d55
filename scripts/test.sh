#!/usr/bin/env bash
# test.sh - set up and run all tests.
#
#   scripts/test.sh           deps, then preset `release` and preset `asan`
#   scripts/test.sh --fast    deps, then preset `release` only
#   scripts/test.sh --clean   remove build/<preset> first (combinable)
#
# Each preset: configure, build (includes the header self-containment check),
# run ctest (unit tests + package_consumer). Exits non-zero on the first
# failure.
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
  # The release preset also builds and tests the MPI study program.
  extra=()
  if [ "$preset" = release ]; then extra=(-DREWIRE_WITH_MPI=ON); fi
  cmake --preset "$preset" "${extra[@]}"
  cmake --build --preset "$preset" -j2
  ctest --preset "$preset" -j2
done

echo
echo "=== test.sh: all tests passed (presets: ${presets[*]}) ==="
