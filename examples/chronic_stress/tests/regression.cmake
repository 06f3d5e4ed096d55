# regression.cmake - the regressions, log-rank tests, paired differences per
# cycle, equivalence tests and Holm's adjustment of summary.json against R
# (cmake -P). testdata/regression/ holds 20 seed files of a two-arm study and
# expected.txt, the values R computed from them (coxph with Efron ties, glm,
# survdiff with and without strata(seed), t.test, p.adjust), both written by
# its make_fixture.R. chronic_stress reuses the seed files (no simulation)
# and summarizes them; every value of expected.txt must be in summary.json.
#   -DEXE=<chronic_stress> -DCHECK=<chronic_stress_check> -DTESTDATA=<testdata> -DWORK=<scratch dir>
#   [-DFIXTURE=<dir>: another copy of the fixture, as regression_r.cmake writes it]
cmake_minimum_required(VERSION 3.21)
include("${CMAKE_CURRENT_LIST_DIR}/fixture.cmake")
set(out "${WORK}/out")
file(REMOVE_RECURSE "${out}")
if(DEFINED FIXTURE)
  set(fixture "${FIXTURE}")
else()
  set(fixture "${TESTDATA}/regression")
endif()
set(seeds "")
foreach(s RANGE 0 19)
  list(APPEND seeds ${s})
endforeach()
fixture_seeds("${EXE}" "${fixture}/config.toml" "${fixture}" "${out}" ${seeds})

execute_process(COMMAND "${EXE}" --config "${fixture}/config.toml" --out "${out}" --seeds 20 --threads 1 --no-report
  RESULT_VARIABLE rc OUTPUT_VARIABLE o ERROR_VARIABLE e)
message("${o}${e}")
if(NOT rc EQUAL 0 OR NOT e MATCHES "reusing 20 finished seeds \\(0-19\\)")
  message(FATAL_ERROR "chronic_stress did not reuse the 20 seeds of make_fixture.R (exit status ${rc})")
endif()

# R and rewire stop iterating at their own tolerances, and both then polish
# the estimate with one more Newton step: on this fixture every value agrees
# to 1.6e-14 of itself (commit of this test, GCC 12 Release); each is
# checked to 1e-10 of itself.
file(STRINGS "${fixture}/expected.txt" expected REGEX "^/")
list(LENGTH expected n)
if(n LESS 50)
  message(FATAL_ERROR "${fixture}/expected.txt holds ${n} values, not the 50 and more make_fixture.R writes")
endif()
execute_process(COMMAND "${CHECK}" expect --relative 1e-10 "${out}/summary.json" ${expected} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "summary.json differs from R's values (${fixture}/expected.txt)")
endif()
