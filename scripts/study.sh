#!/usr/bin/env bash
# study.sh - set up and run the main job: the full chronic-stress study of
# the paper (10 seeds, all arms), with report and figures.
#
#   scripts/study.sh                      deps, build, run with paper.toml
#   scripts/study.sh --epoch-scale 0.1    any further arguments go to chronic_stress
#
# Results: results/chronic_stress/ (report.md, summary.json, results.csv,
# figures/, seeds/). A rerun with the same configuration reuses finished seeds.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/install-deps.sh
# Its own build tree (build/study), so the test presets' caches are untouched;
# only the study program is needed, so tests and benchmarks are not configured.
cmake -S . -B build/study -DCMAKE_BUILD_TYPE=Release \
  -DREWIRE_BUILD_TESTS=OFF -DREWIRE_BUILD_BENCH=OFF -DREWIRE_BUILD_EXAMPLES=ON >/dev/null
cmake --build build/study -j2 --target chronic_stress
./build/study/examples/chronic_stress/app/chronic_stress "$@"
# (chronic_stress prints where the results went: --out, default results/chronic_stress)
