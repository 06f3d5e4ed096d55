# regression_r.cmake - testdata/regression/ is what make_fixture.R writes,
# and the program agrees with R run now (cmake -P): runs the script into
# WORK/fixture, checks that it writes the committed seed files byte for byte
# and the same values in expected.txt (same pointers), then runs
# regression.cmake on the fresh copy. A changed script with stale files (or
# the reverse) fails. Without Rscript or R's survival package it prints
# "SKIP:" and CTest reports the test as skipped (Debian: r-base-core,
# r-cran-survival).
#   -DEXE=<chronic_stress> -DCHECK=<chronic_stress_check> -DTESTDATA=<testdata> -DWORK=<scratch dir>
cmake_minimum_required(VERSION 3.21)
find_program(RSCRIPT Rscript)
if(NOT RSCRIPT)
  message("SKIP: Rscript not found")
  return()
endif()
execute_process(COMMAND "${RSCRIPT}" -e "quit(status = if (requireNamespace('survival', quietly = TRUE)) 0 else 1)"
  RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
if(NOT rc EQUAL 0)
  message("SKIP: R package survival not installed")
  return()
endif()
set(committed "${TESTDATA}/regression")
set(fresh "${WORK}/fixture")
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${fresh}")
file(COPY "${committed}/config.toml" DESTINATION "${fresh}")
execute_process(COMMAND "${RSCRIPT}" "${committed}/make_fixture.R" "${fresh}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "make_fixture.R failed (${rc})")
endif()
file(GLOB written RELATIVE "${fresh}" "${fresh}/*.in")
file(GLOB kept RELATIVE "${committed}" "${committed}/*.in")
if(NOT written STREQUAL kept)
  message(FATAL_ERROR "make_fixture.R writes ${written}, testdata/regression holds ${kept}")
endif()
foreach(f IN LISTS written)
  execute_process(COMMAND "${CMAKE_COMMAND}" -E compare_files "${fresh}/${f}" "${committed}/${f}" RESULT_VARIABLE diff)
  if(NOT diff EQUAL 0)
    message(FATAL_ERROR "testdata/regression/${f} is not what make_fixture.R writes now: rerun it")
  endif()
endforeach()
foreach(dir "${fresh}" "${committed}")
  file(STRINGS "${dir}/expected.txt" lines REGEX "^/")
  list(TRANSFORM lines REPLACE "=.*" "")
  list(APPEND pointers_${dir} ${lines})
endforeach()
if(NOT pointers_${fresh} STREQUAL pointers_${committed})
  message(FATAL_ERROR "testdata/regression/expected.txt does not hold what make_fixture.R computes now: rerun it")
endif()
set(FIXTURE "${fresh}")
include("${CMAKE_CURRENT_LIST_DIR}/regression.cmake")
