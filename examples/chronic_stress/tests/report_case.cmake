# report_case.cmake - test of chronic_stress_report on the hand-written
# fixture in testdata/ (2 seeds, epoch scale 0.05, 2 cycles, an arm "combo"
# the paper does not have, and ketamine values engineered to differ from the
# published ones beyond noise: sparsity 52.5 vs 47.5, combined 89.9 vs 97.3).
#
#   cmake -DEXE=<chronic_stress_report> -DFIXTURE=<testdata dir> -DWORK=<scratch dir>
#         [-DGNUPLOT=<gnuplot path or empty>] -P report_case.cmake
#
# Checks: report.md and its headings, the flagged and unflagged rows, the
# notices; the figure data/scripts always and the PNGs when gnuplot is
# available; a second run gives a byte-identical report.md; with gnuplot
# "missing" the report is still written and a warning printed; missing or
# malformed result files give exit status 2.
cmake_minimum_required(VERSION 3.21)
foreach(var EXE FIXTURE WORK)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "report_case.cmake: -D${var}=... is required")
  endif()
endforeach()

set(failures 0)
macro(fail msg)
  message(SEND_ERROR "FAIL: ${msg}")
  math(EXPR failures "${failures} + 1")
endmacro()

function(fresh_copy dir)
  file(REMOVE_RECURSE "${dir}")
  file(MAKE_DIRECTORY "${dir}/seeds")
  file(COPY "${FIXTURE}/summary.json" DESTINATION "${dir}")
  file(GLOB seed_files "${FIXTURE}/seeds/seed-*.json")
  file(COPY ${seed_files} DESTINATION "${dir}/seeds")
endfunction()

# run(<dir> <out-var-prefix> [env assignments...])
function(run dir prefix)
  execute_process(COMMAND "${CMAKE_COMMAND}" -E env ${ARGN} "${EXE}" --out "${dir}"
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  set(${prefix}_rc "${rc}" PARENT_SCOPE)
  set(${prefix}_out "${out}" PARENT_SCOPE)
  set(${prefix}_err "${err}" PARENT_SCOPE)
endfunction()

# --- (a) the normal run ------------------------------------------------------
set(run_dir "${WORK}/run")
fresh_copy("${run_dir}")
run("${run_dir}" a)
if(NOT a_rc EQUAL 0)
  fail("chronic_stress_report exited ${a_rc}: ${a_err}")
endif()
set(report "${run_dir}/report.md")
if(NOT EXISTS "${report}")
  message(FATAL_ERROR "FAIL: ${report} was not written (stderr: ${a_err})")
endif()
file(READ "${report}" md)

foreach(text
    "## 1. Post-treatment efficacy (paper Table 1)"
    "## 2. Stress resilience (paper Table 2)"
    "## 3. Acute relapse and neurosteroid state dependence"
    "## 4. Combined-stress accuracy by cycle (paper Table 3)"
    "### Sparsity by cycle"
    "### Accuracy range (min–max over seeds) by cycle"
    "## 5. Longitudinal relapse summary (paper Table 4)"
    "### Relapse cycle per seed"
    "## 8. How far two correct runs differ"
    "| Arm | Measure | Ours mean ± SD | Published mean ± SD | Δ | Flag |"
    "- **Configuration hash:** `0123456789abcdef`"
    "- **Seeds:** 0, 1 (n = 2)"
    "**Non-paper configuration: comparison is indicative only**"
    "epoch scale 0.05 (paper: 1)"
    "longitudinal cycles 2 (paper: 8)"
    "**Only 2 seed(s)**"
    "Arm(s) `combo` are not in the paper"
    "Flag rule (⚑ = beyond sampling noise)"
    # Engineered differences: flagged.
    "| Ketamine-like | Sparsity (%) | 52.50 ± 0.00 | 47.5 ± 0.0 | +5.00 | ⚑ beyond noise |"
    "| Ketamine-like | Combined stress (%) | 89.9 ± 0.3 | 97.3 ± 0.2 | -7.4 | ⚑ beyond noise |"
    # Within noise: not flagged.
    "| Untreated (pruned) | Combined stress (%) | 28.7 ± 1.6 | 28.9 ± 2.4 | -0.2 |  |"
    "| Neurosteroid-like | Relapse drop (pp) | 7.1 ± 0.6 | 6.9 ± 5.6 | +0.2 |  |"
    # Probe (state dependence) row with the as-treated value.
    "| Neurosteroid-like | off (damping 1.0, ReLU) | Combined stress (%) | 68.2 ± 2.1 | 68.8 ± 9.9 | -0.6 |  | 97.8 ± 0.1 |"
    # The new arm: no published columns.
    "| combo | Combined stress (%) | 95.6 ± 0.4 | — | — |  |"
    "| Cycle | Ketamine-like ours (published) | Neurosteroid-like ours (published) | combo ours |"
    "Published values omitted for Ketamine-like, Neurosteroid-like"
    # Table 3 cell (ours (published)), flagged; per-seed relapse.
    "| 0 | 89.8 ± 0.3 (97.5 ± 0.2) ⚑ |"
    "cycle 2 (final 78.4 %)"
    # Calibration: the rule must not flag two correct runs.
    "The flag rule flags 0 of these")
  string(FIND "${md}" "${text}" pos)
  if(pos EQUAL -1)
    fail("report.md lacks: ${text}")
  endif()
endforeach()

foreach(f longitudinal.dat longitudinal_seeds.dat longitudinal.gp stress_sweep.dat stress_sweep.gp
          relapse_drop.dat relapse_drop_seeds.dat relapse_drop.gp)
  if(NOT EXISTS "${run_dir}/figures/${f}")
    fail("figures/${f} was not written")
  endif()
endforeach()
file(GLOB_RECURSE leftovers "${run_dir}/*.tmp" "${run_dir}/figures/.*")
if(leftovers)
  fail("temporary files left behind: ${leftovers}")
endif()

if(GNUPLOT)
  foreach(f longitudinal stress_sweep relapse_drop)
    set(png "${run_dir}/figures/${f}.png")
    if(NOT EXISTS "${png}")
      fail("figures/${f}.png was not rendered although gnuplot is available (stderr: ${a_err})")
    else()
      file(SIZE "${png}" size)
      file(READ "${png}" magic LIMIT 4 HEX)
      if(size LESS 10000 OR NOT magic STREQUAL "89504e47")
        fail("figures/${f}.png is not a plausible PNG (${size} bytes, magic ${magic})")
      endif()
    endif()
    string(FIND "${md}" "](figures/${f}.png)" pos)
    if(pos EQUAL -1)
      fail("report.md does not embed figures/${f}.png")
    endif()
  endforeach()
  if(NOT a_err STREQUAL "")
    fail("unexpected warnings with gnuplot available: ${a_err}")
  endif()
else()
  message(STATUS "gnuplot not found at configure time: PNG checks skipped")
endif()

# --- (b) regenerating gives the same report (no dates in it) ----------------
run("${run_dir}" b)
file(READ "${report}" md2)
if(NOT b_rc EQUAL 0 OR NOT md STREQUAL md2)
  fail("a second run (rc ${b_rc}) did not reproduce report.md byte for byte")
endif()

# --- (c) gnuplot missing: report.md still written, a warning, no PNGs --------
set(nogp_dir "${WORK}/no_gnuplot")
fresh_copy("${nogp_dir}")
run("${nogp_dir}" c "CHRONIC_STRESS_GNUPLOT=${WORK}/no-such-gnuplot")
if(NOT c_rc EQUAL 0)
  fail("without gnuplot: exit ${c_rc}, expected 0 (${c_err})")
endif()
if(NOT c_err MATCHES "warning: gnuplot not found")
  fail("without gnuplot: no warning on stderr (got: ${c_err})")
endif()
if(NOT EXISTS "${nogp_dir}/report.md" OR EXISTS "${nogp_dir}/figures/longitudinal.png")
  fail("without gnuplot: report.md missing or a PNG present")
else()
  file(READ "${nogp_dir}/report.md" md3)
  string(FIND "${md3}" "not rendered (gnuplot not found" pos)
  if(pos EQUAL -1)
    fail("without gnuplot: report.md does not say the figures were not rendered")
  endif()
endif()

# --- (d) missing or malformed result files: exit status 2 --------------------
set(bad_dir "${WORK}/bad")
file(REMOVE_RECURSE "${bad_dir}")
file(MAKE_DIRECTORY "${bad_dir}")
run("${bad_dir}" d)
if(NOT d_rc EQUAL 2 OR NOT d_err MATCHES "missing file .*summary\\.json")
  fail("empty directory: exit ${d_rc} (expected 2), stderr: ${d_err}")
endif()

fresh_copy("${bad_dir}")
file(REMOVE "${bad_dir}/seeds/seed-001.json")
run("${bad_dir}" e)
if(NOT e_rc EQUAL 2 OR NOT e_err MATCHES "missing file .*seed-001\\.json")
  fail("missing seed file: exit ${e_rc} (expected 2), stderr: ${e_err}")
endif()

fresh_copy("${bad_dir}")
file(WRITE "${bad_dir}/summary.json" "{ \"schema\": \"rewire.chronic_stress.summary/1\", \"seeds\": [0, ")
run("${bad_dir}" f)
if(NOT f_rc EQUAL 2 OR NOT f_err MATCHES "not valid JSON")
  fail("truncated summary.json: exit ${f_rc} (expected 2), stderr: ${f_err}")
endif()

fresh_copy("${bad_dir}")
file(WRITE "${bad_dir}/seeds/seed-000.json" "{ \"schema\": \"something/else\", \"seed\": 0, \"arms\": {} }\n")
run("${bad_dir}" g)
if(NOT g_rc EQUAL 2 OR NOT g_err MATCHES "schema")
  fail("seed file with a wrong schema: exit ${g_rc} (expected 2), stderr: ${g_err}")
endif()

if(failures GREATER 0)
  message(FATAL_ERROR "${failures} check(s) failed; see ${WORK}")
endif()
message(STATUS "chronic_stress_report: all checks passed")
