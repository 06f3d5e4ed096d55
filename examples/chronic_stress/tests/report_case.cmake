# report_case.cmake - test of chronic_stress_report (cmake -P) on the
# hand-written seed files of testdata/report/ (2 seeds of a protocol that is
# not the paper's: small data, 2 cycles, an arm "combo" the paper does not
# have, with a probe named "stress_9"). chronic_stress reuses the seeds and
# writes summary.json; then:
#   (a) report.md: its sections, the "not the paper's protocol" notice naming
#       the changed values, our values only (no published values, no flag),
#       the probe "stress_9" not taken for a stress level; figure data with
#       the labels, scripts without them; PNGs when gnuplot is available;
#   (b) regenerating gives a byte-identical report.md;
#   (c) gnuplot missing: report.md still written, a warning;
#   (d) missing or malformed result files, a seed file of another config:
#       exit status 2 with a message naming the file;
#   (e) an arm named with a shell command in backquotes, in a seed file or in
#       summary.json: refused by the report, recomputed by chronic_stress, and
#       the command never runs;
#   (f) gnuplot exiting 0 with a truncated PNG (a full disk): no figure is
#       put in place, a warning says why;
#   (g) Ctrl-C while gnuplot runs ends the report (chronic_stress_check interrupt).
#
#   -DREPORT=<chronic_stress_report> -DEXE=<chronic_stress> -DCHECK=<chronic_stress_check>
#   -DTESTDATA=<testdata> -DWORK=<scratch dir> [-DGNUPLOT=<gnuplot path or empty>]
cmake_minimum_required(VERSION 3.21)
foreach(var REPORT EXE CHECK TESTDATA WORK)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "report_case.cmake: -D${var}=... is required")
  endif()
endforeach()
include("${CMAKE_CURRENT_LIST_DIR}/fixture.cmake")
file(REMOVE_RECURSE "${WORK}")
set(config "${TESTDATA}/report/config.toml")

set(failures 0)
macro(fail msg)
  message(SEND_ERROR "FAIL: ${msg}")
  math(EXPR failures "${failures} + 1")
endmacro()

# A run directory: the fixture's seeds and the summary chronic_stress makes of them.
set(template "${WORK}/template")
fixture_seeds("${EXE}" "${config}" "${TESTDATA}/report" "${template}" 0 1)
execute_process(COMMAND "${EXE}" --config "${config}" --out "${template}" --seeds 2 --threads 1 --no-report
  RESULT_VARIABLE rc ERROR_VARIABLE err TIMEOUT 120)
if(NOT rc EQUAL 0 OR NOT err MATCHES "reusing 2 finished seeds")
  message(FATAL_ERROR "chronic_stress did not reuse the fixture's seeds (exit status ${rc}): ${err}")
endif()
function(fresh_copy dir)
  file(REMOVE_RECURSE "${dir}")
  file(COPY "${template}/" DESTINATION "${dir}")
endfunction()

# run(<dir> <out-var-prefix> [env assignments...])
function(run dir prefix)
  execute_process(COMMAND "${CMAKE_COMMAND}" -E env ${ARGN} "${REPORT}" --out "${dir}"
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  set(${prefix}_rc "${rc}" PARENT_SCOPE)
  set(${prefix}_err "${err}" PARENT_SCOPE)
endfunction()

# --- (a) the normal run ------------------------------------------------------
set(run_dir "${WORK}/run")
fresh_copy("${run_dir}")
run("${run_dir}" a)
if(NOT a_rc EQUAL 0 OR NOT EXISTS "${run_dir}/report.md")
  message(FATAL_ERROR "FAIL: chronic_stress_report exited ${a_rc}: ${a_err}")
endif()
file(READ "${run_dir}/report.md" md)
foreach(text
    "## 1. Post-treatment efficacy (paper Table 1)"
    "## 2. Stress resilience (paper Table 2)"
    "## 3. Acute relapse and neurosteroid state dependence"
    "## 4. Combined-stress accuracy by cycle (paper Table 3)"
    "### Sparsity by cycle"
    "### Accuracy range (min–max over seeds) by cycle"
    "## 5. Longitudinal relapse summary (paper Table 4)"
    "### Relapse cycle per seed"
    "- **Seeds:** 0, 1 (n = 2)"
    "- **Epoch scale:** 1"
    "**Not the paper's protocol:**"
    "data.train_size = 1024 (paper: 12000)"
    "longitudinal.cycles = 2 (paper: 8)"
    "| Arm | Measure | Mean ± SD |"
    # ketamine sparsity 52.5 twice; combined 90.2, 89.6 (mean 89.9, SD 0.3).
    "| Ketamine-like | Sparsity (%) | 52.50 ± 0.00 |"
    "| Ketamine-like | Combined stress (%) | 89.9 ± 0.3 |"
    "| combo | Combined stress (%) | 95.6 ± 0.4 |"
    "| Arm | Internal noise | Mean ± SD |"
    "| combo | σ = 2.5 (extreme) |"
    # Probe rows: the probe, then the arm as treated. Seeds 0 and 1:
    # neurosteroid off_combined 70.3, 66.1 (mean 68.2, SD 2.1), combined
    # 97.6, 98.0 (97.8, 0.2); combo stress_9_combined 61.5, 63.5 (62.5, 1.0),
    # combined 96.0, 95.2 (95.6, 0.4).
    "| Neurosteroid-like | off (damping 1.0, ReLU) | Combined stress (%) | 68.2 ± 2.1 | 97.8 ± 0.2 |"
    "| combo | stress_9 (tanh) | Combined stress (%) | 62.5 ± 1.0 | 95.6 ± 0.4 |"
    "| Cycle | Ketamine-like | Neurosteroid-like | combo |"
    "cycle 2 (final 78.4 %)")
  string(FIND "${md}" "${text}" pos)
  if(pos EQUAL -1)
    fail("report.md lacks: ${text}")
  endif()
endforeach()
foreach(text "⚑" "Published mean" "(published)" "## 6. Verdict" "σ = 9")
  string(FIND "${md}" "${text}" pos)
  if(NOT pos EQUAL -1)
    fail("report.md of a non-paper run holds '${text}'")
  endif()
endforeach()

# Figures: labels in the data files, never in the scripts; the stress levels
# of the configuration only (no 9 from the probe "stress_9").
foreach(f longitudinal.dat longitudinal_seeds.dat longitudinal.gp stress_sweep.dat stress_sweep.gp
          relapse_drop.dat relapse_drop_seeds.dat relapse_drop.gp survival.dat survival.gp)
  if(NOT EXISTS "${run_dir}/figures/${f}")
    fail("figures/${f} was not written")
  endif()
endforeach()
file(READ "${run_dir}/figures/stress_sweep.dat" sweep)
file(READ "${run_dir}/figures/relapse_drop.dat" drop)
if(NOT sweep MATCHES "\n\"Ketamine-like\"\n" OR NOT drop MATCHES " \"Ketamine-like\"\n")
  fail("the arm labels are not in the figure data")
endif()
string(REGEX MATCHALL "\n[0-9][0-9.]* " levels "${sweep}")
list(REMOVE_DUPLICATES levels)
string(REPLACE "\n" "" levels "${levels}")
if(NOT levels STREQUAL "0 ;0.5 ;1 ;1.5 ;2.5 ")
  fail("stress_sweep.dat holds the levels '${levels}', expected 0, 0.5, 1, 1.5, 2.5")
endif()
foreach(f longitudinal stress_sweep relapse_drop survival)
  file(READ "${run_dir}/figures/${f}.gp" gp)
  foreach(text "Ketamine-like" "combo" "title \"published mean\"")
    string(FIND "${gp}" "${text}" pos)
    if(NOT pos EQUAL -1)
      fail("figures/${f}.gp holds '${text}'")
    endif()
  endforeach()
endforeach()
file(GLOB_RECURSE leftovers "${run_dir}/*.tmp" "${run_dir}/figures/.*")
if(leftovers)
  fail("temporary files left behind: ${leftovers}")
endif()
if(GNUPLOT)
  foreach(f longitudinal stress_sweep relapse_drop survival)
    set(png "${run_dir}/figures/${f}.png")
    file(SIZE "${png}" size)
    file(READ "${png}" magic LIMIT 4 HEX)
    if(size LESS 10000 OR NOT magic STREQUAL "89504e47")
      fail("figures/${f}.png is not a plausible PNG (${size} bytes, magic ${magic})")
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
file(READ "${run_dir}/report.md" md2)
if(NOT b_rc EQUAL 0 OR NOT md STREQUAL md2)
  fail("a second run (rc ${b_rc}) did not reproduce report.md byte for byte")
endif()

# --- (c) gnuplot missing: report.md still written, a warning, no PNGs --------
set(nogp_dir "${WORK}/no_gnuplot")
fresh_copy("${nogp_dir}")
run("${nogp_dir}" c "CHRONIC_STRESS_GNUPLOT=${WORK}/no-such-gnuplot")
file(READ "${nogp_dir}/report.md" md3)
string(FIND "${md3}" "not rendered (gnuplot not found" pos)
if(NOT c_rc EQUAL 0 OR NOT c_err MATCHES "warning: gnuplot not found" OR pos EQUAL -1
   OR EXISTS "${nogp_dir}/figures/longitudinal.png")
  fail("without gnuplot: exit ${c_rc}, stderr '${c_err}', or report.md/figures wrong")
endif()

# --- (d) missing or malformed result files: exit status 2 --------------------
# refused(<name> <stderr regex>): the report on ${bad_dir} exits 2 with that message.
set(bad_dir "${WORK}/bad")
function(refused name regex)
  run("${bad_dir}" r)
  if(NOT r_rc EQUAL 2 OR NOT r_err MATCHES "${regex}")
    fail("${name}: exit ${r_rc} (expected 2), stderr: ${r_err}")
  endif()
  set(failures ${failures} PARENT_SCOPE)
endfunction()
file(REMOVE_RECURSE "${bad_dir}")
file(MAKE_DIRECTORY "${bad_dir}")
refused(empty_directory "missing file .*summary\\.json")
fresh_copy("${bad_dir}")
file(REMOVE "${bad_dir}/seeds/seed-001.json")
refused(missing_seed_file "missing file .*seed-001\\.json")
fresh_copy("${bad_dir}")
file(WRITE "${bad_dir}/summary.json" "{ \"schema\": \"rewire.chronic_stress.summary/1\", \"seeds\": [0, ")
refused(truncated_summary "not valid JSON")
fresh_copy("${bad_dir}")
file(WRITE "${bad_dir}/seeds/seed-000.json" "{ \"schema\": \"something/else\", \"seed\": 0, \"arms\": {} }\n")
refused(wrong_schema "seed-000\\.json': .*schema")
fresh_copy("${bad_dir}")
file(READ "${bad_dir}/seeds/seed-001.json" seed1)
string(JSON seed1 SET "${seed1}" config_hash "\"0123456789abcdef\"")
file(WRITE "${bad_dir}/seeds/seed-001.json" "${seed1}")
refused(other_config "seed-001\\.json': it was computed with config 0123456789abcdef")
fresh_copy("${bad_dir}")
file(READ "${bad_dir}/summary.json" summary)
string(JSON summary SET "${summary}" config longitudinal cycles 3)
file(WRITE "${bad_dir}/summary.json" "${summary}")
refused(config_not_hashed "summary\\.json': config_hash .* is not the hash of config")
fresh_copy("${bad_dir}")
file(READ "${bad_dir}/seeds/seed-000.json" seed0)
string(JSON seed0 REMOVE "${seed0}" arms ketamine metrics combined)
file(WRITE "${bad_dir}/seeds/seed-000.json" "${seed0}")
refused(missing_metric "seed-000\\.json': arms\\.ketamine\\.metrics\\.combined is missing")

# --- (e) a hostile arm name: refused, recomputed, never run --------------------
# gnuplot would run the command in the figures directory; look everywhere.
set(hostile "z`touch PWNED`")
fresh_copy("${bad_dir}")
file(READ "${bad_dir}/seeds/seed-001.json" seed1)
string(JSON combo GET "${seed1}" arms combo)
string(JSON seed1 SET "${seed1}" arms "${hostile}" "${combo}")
file(WRITE "${bad_dir}/seeds/seed-001.json" "${seed1}")
refused(hostile_arm_in_seed "seed-001\\.json': arms\\.\"z`touch .* is not a valid name")
execute_process(COMMAND "${EXE}" --config "${config}" --out "${bad_dir}" --seeds 2 --threads 1
  RESULT_VARIABLE rc ERROR_VARIABLE err TIMEOUT 300)
if(NOT rc EQUAL 0 OR NOT err MATCHES "seed 1: not reusing [^\n]*is not a valid name")
  fail("chronic_stress over a seed file with a hostile arm: exit ${rc}, stderr: ${err}")
endif()
fresh_copy("${bad_dir}")
file(READ "${bad_dir}/summary.json" summary)
string(JSON arm GET "${summary}" arms combo)
string(JSON summary SET "${summary}" arms "${hostile}" "${arm}")
file(WRITE "${bad_dir}/summary.json" "${summary}")
refused(hostile_arm_in_summary "summary\\.json': arms\\.\"z`touch .* is not a valid name")
file(GLOB_RECURSE pwned "${WORK}/*PWNED")
if(pwned)
  fail("a command in an arm name was run: ${pwned}")
endif()

# --- (f) gnuplot exits 0 but writes a truncated PNG (a full disk) ------------
set(fake "${WORK}/fake-gnuplot-truncating")
file(WRITE "${fake}" [=[#!/bin/sh
[ "$1" = "--version" ] && exit 0
out=${2#outfile=\'}; out=${out%\'}
printf '\211PNG\r\n\032\n\000\000\000\015IHDR\000\000' > "$out"
exit 0
]=])
file(CHMOD "${fake}" PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE)
set(full_dir "${WORK}/full_disk")
fresh_copy("${full_dir}")
file(WRITE "${full_dir}/figures/longitudinal.png" "a stale figure")
run("${full_dir}" f "CHRONIC_STRESS_GNUPLOT=${fake}")
file(GLOB pngs "${full_dir}/figures/*.png*")
file(READ "${full_dir}/report.md" md4)
string(FIND "${md4}" "not rendered (gnuplot exited 0 on longitudinal.gp but wrote no complete PNG" pos)
if(NOT f_rc EQUAL 0 OR NOT f_err MATCHES "wrote no complete PNG \\(truncated" OR pngs
   OR pos EQUAL -1)
  fail("truncated PNG: exit ${f_rc}, PNG files '${pngs}', stderr: ${f_err}")
endif()

# --- (g) Ctrl-C while gnuplot runs ---------------------------------------------
set(fake "${WORK}/fake-gnuplot-sleeping")
file(WRITE "${fake}" [=[#!/bin/sh
[ "$1" = "--version" ] && exit 0
trap 'echo forwarded > "$CHRONIC_STRESS_TEST_MARK.int"; exit 130' INT
: > "$CHRONIC_STRESS_TEST_MARK"
sleep 5 &
wait $!
]=])
file(CHMOD "${fake}" PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE)
set(int_dir "${WORK}/interrupt")
fresh_copy("${int_dir}")
execute_process(COMMAND "${CHECK}" interrupt "${REPORT}" "${int_dir}" "${fake}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  fail("Ctrl-C while gnuplot runs (see the checker's output above)")
endif()

if(failures GREATER 0)
  message(FATAL_ERROR "${failures} check(s) failed; see ${WORK}")
endif()
message(STATUS "chronic_stress_report: all checks passed")
