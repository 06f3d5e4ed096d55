#!/usr/bin/env bash
# install-deps.sh - install rewire's build/test dependencies from Debian
# packages (Debian 12 "bookworm"). Idempotent: packages that are already
# installed are left alone, and apt is not touched at all if nothing is
# missing. Uses sudo only when not running as root (CI runs as root).
set -euo pipefail

packages=(
  g++                  # C++17 compiler
  cmake                # >= 3.21 (bookworm has 3.25)
  make                 # generator used by CMakePresets.json
  libeigen3-dev        # the library's only dependency (3.4)
  catch2               # unit tests (Catch2 v2, single header)
  libbenchmark-dev     # bench/
  libfmt-dev           # examples/
  libtomlplusplus-dev  # examples/
  libcli11-dev         # examples/
  nlohmann-json3-dev   # examples/
  gnuplot-nox          # plotting of example results (pngcairo terminal)
  python3-dev          # python/: headers of Debian's python3 (the module is built for /usr/bin/python3)
  pybind11-dev         # python/: the bindings (CMake package pybind11)
  python3-pybind11     # python/: pybind11 for that interpreter
  python3-numpy        # python/ (arrays in and out of the module), tests/checkpoint (numpy reads .npz)
  python3-pytest       # python/tests
  python3-pandas       # StudyResult.to_dataframe, the notebook
  python3-matplotlib   # examples/notebooks
  python3-nbclient     # examples/notebooks: executed headless by ctest
  python3-ipykernel    # examples/notebooks: the kernel nbclient starts
  clang-14             # fuzz/ (libFuzzer targets need clang++)
  libfuzzer-14-dev     # fuzz/ (libFuzzer runtime)
  libopenmpi-dev       # chronic_stress_mpi (REWIRE_WITH_MPI, on in CI)
  openmpi-bin          # mpirun for the chronic_stress.mpi test
  r-base-core          # tests/r: Rscript, the oracle of rewire/stats (test stats_r_oracle)
  r-cran-survival      # tests/r: coxph and survdiff
)

is_installed() {
  # `dpkg -s` also succeeds for removed-but-not-purged packages, so check the
  # status line rather than the exit code alone.
  dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed$'
}

missing=()
for pkg in "${packages[@]}"; do
  if is_installed "$pkg"; then
    echo "install-deps: ok       $pkg"
  else
    echo "install-deps: missing  $pkg"
    missing+=("$pkg")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present, nothing to do"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "install-deps: need root to install: ${missing[*]} (and sudo is not available)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-deps: running: ${as_root[*]:+${as_root[*]} }apt-get update"
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
echo "install-deps: running: ${as_root[*]:+${as_root[*]} }apt-get install -y --no-install-recommends ${missing[*]}"
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y --no-install-recommends "${missing[@]}"
echo "install-deps: done"
