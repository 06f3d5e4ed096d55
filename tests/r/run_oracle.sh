#!/bin/sh
# run_oracle.sh CHECKER FRESH COMMITTED - runs tests/r/oracle.R now, writing
# FRESH, and compares rewire/stats with it (CHECKER = stats_oracle_check),
# and the committed reference COMMITTED with it. The CTest test
# stats_r_oracle. Exits 77, which CTest reports as a skipped test (its
# SKIP_RETURN_CODE), when Rscript or R's survival package is missing.
# REWIRE_TARGET_EMULATOR (a cross build's emulator command, docs/cross.md)
# runs CHECKER, a program built for another architecture.
set -u
checker=$1
fresh=$2
committed=$3
here=${0%/*}
if ! command -v Rscript >/dev/null 2>&1; then
  echo "SKIP: Rscript not found (Debian: r-base-core)"
  exit 77
fi
if ! Rscript -e 'quit(status = if (requireNamespace("survival", quietly = TRUE)) 0 else 1)' >/dev/null 2>&1; then
  echo "SKIP: R package survival not installed (Debian: r-cran-survival)"
  exit 77
fi
Rscript "$here/oracle.R" "$fresh" || exit 1
# Unquoted on purpose: the emulator is a command with its arguments.
# shellcheck disable=SC2086
exec ${REWIRE_TARGET_EMULATOR:-} "$checker" "$fresh" "$committed"
