# report_interrupt.cmake - Ctrl-C (or SIGTERM, a batch system's notice)
# while a run writes its report (cmake -P). A fake gnuplot (it creates
# $CHRONIC_STRESS_TEST_MARK, then sleeps; on the signal it writes MARK.int)
# renders the first figure; the signal to the run then ends it with status
# 130 (SIGINT) or 143 (SIGTERM) and a message that it was interrupted, as in
# its other phases. sh starts the run in the background, so with SIGINT
# ignored, as sweep_interrupt.cmake's run is: the run honours it anyway, as
# its pool does. gnuplot got the signal, no report.md and no temporary file
# are written (summary.json is: it comes before the report); the rerun
# reuses the seed and writes the report. Needs a POSIX sh with kill and sleep.
#   -DEXE=<chronic_stress> -DTINY=<tiny.toml> -DWORK=<scratch dir> [-DSIGNAL=INT|TERM]
cmake_minimum_required(VERSION 3.21)
if(NOT DEFINED SIGNAL)
  set(SIGNAL INT)
endif()
if(SIGNAL STREQUAL "INT")
  set(expected_rc 130)
elseif(SIGNAL STREQUAL "TERM")
  set(expected_rc 143)
else()
  message(FATAL_ERROR "SIGNAL must be INT or TERM, not '${SIGNAL}'")
endif()
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
set(fake "${WORK}/fake-gnuplot-sleeping")
file(WRITE "${fake}" [=[#!/bin/sh
[ "$1" = "--version" ] && exit 0
trap 'echo forwarded > "$CHRONIC_STRESS_TEST_MARK.int"; exit 130' @SIGNAL@
: > "$CHRONIC_STRESS_TEST_MARK"
sleep 5 &
wait $!
]=])
file(READ "${fake}" text)
string(REPLACE "@SIGNAL@" "${SIGNAL}" text "${text}")
file(WRITE "${fake}" "${text}")
file(CHMOD "${fake}" PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE)
set(out "${WORK}/out")
set(mark "${WORK}/gnuplot-started")
set(args --config "${TINY}" --out "${out}" --seeds 1 --threads 2)
execute_process(COMMAND "${CMAKE_COMMAND}" -E env "MARK=${mark}" "ERR=${WORK}/interrupted.err" "SIG=${SIGNAL}"
  "CHRONIC_STRESS_GNUPLOT=${fake}" "CHRONIC_STRESS_TEST_MARK=${mark}" sh -c [=[
"$@" 2>"$ERR" &
pid=$!
i=0
while [ ! -f "$MARK" ] && [ $i -lt 6000 ]; do sleep 0.01; i=$((i + 1)); done
kill -$SIG $pid
wait $pid
]=] sh "${EXE}" ${args} RESULT_VARIABLE rc)
file(READ "${WORK}/interrupted.err" err)
message("$ chronic_stress ${args} (SIG${SIGNAL} while gnuplot runs)\n${err}")
if(NOT EXISTS "${mark}")
  message(FATAL_ERROR "test is broken: the fake gnuplot never started")
endif()
if(NOT rc EQUAL expected_rc OR NOT err MATCHES "interrupted")
  message(FATAL_ERROR "SIG${SIGNAL} during the report ended the run with status ${rc}, expected ${expected_rc} and a "
                      "message that it was interrupted")
endif()
foreach(i RANGE 50)  # the fake's trap writes the file as it ends
  if(EXISTS "${mark}.int")
    break()
  endif()
  execute_process(COMMAND "${CMAKE_COMMAND}" -E sleep 0.1)
endforeach()
if(NOT EXISTS "${mark}.int")
  message(FATAL_ERROR "SIG${SIGNAL} was not forwarded to gnuplot")
endif()
file(GLOB temporary "${out}/figures/*.tmp" "${out}/figures/.*")
if(EXISTS "${out}/report.md" OR temporary OR NOT EXISTS "${out}/summary.json")
  message(FATAL_ERROR "after the interrupt: report.md or a temporary file is there ('${temporary}'), or no summary.json")
endif()

execute_process(COMMAND "${CMAKE_COMMAND}" -E env "CHRONIC_STRESS_GNUPLOT=${WORK}/no-gnuplot" "${EXE}" ${args}
  RESULT_VARIABLE rc OUTPUT_VARIABLE o ERROR_VARIABLE e)
message("$ chronic_stress ${args}\n${o}${e}")
if(NOT rc EQUAL 0 OR NOT e MATCHES "reusing 1 finished seed \\(0\\)" OR NOT EXISTS "${out}/report.md")
  message(FATAL_ERROR "the rerun failed (${rc}), did not reuse seed 0 or wrote no report.md")
endif()
message(STATUS "report_interrupt: all checks passed")
