# mpi_sweep.cmake - a sweep over MPI (chronic_stress.mpi_sweep): the tasks of
# both points of tests/tiny_sweep.toml in one queue on 2 ranks give exactly
# what one chronic_stress process writes for the same sweep: each point's
# outputs (summary.json apart from timing, results.csv, seed files) and
# sweep.json (no timing fields: equal byte for byte).
#
#   cmake -DMPIEXEC=<mpirun> -DMPI_EXE=<chronic_stress_mpi> -DEXE=<chronic_stress>
#         -DCHECK=<chronic_stress_check> -DWORK=<dir> -P mpi_sweep.cmake
file(REMOVE_RECURSE "${WORK}")
set(args --config "${CMAKE_CURRENT_LIST_DIR}/tiny_sweep.toml" --seeds 2 --threads 1 --no-report)

include("${CMAKE_CURRENT_LIST_DIR}/mpi_run.cmake")
run_single_then_mpi(${args})
# Every seed of both points came from the ranks' tasks (2 points x 2 seeds x
# (baseline + 2 arms) = 12), and the summary step reused them all.
string(REGEX MATCH "2 points x 2 seeds \\(4 computed, 0 reused from an earlier run; tasks per rank: ([0-9]+), ([0-9]+)\\)"
  line "${out}")
set(tasks "${CMAKE_MATCH_1} + ${CMAKE_MATCH_2}")
if(NOT line OR "${out}${err}" MATCHES "recomputing")
  message(FATAL_ERROR "2 ranks: the seeds did not all come from the ranks\n${log}")
endif()
math(EXPR tasks "${tasks}")
if(NOT tasks EQUAL 12)
  message(FATAL_ERROR "2 ranks: ${tasks} tasks ran, not 12\n${log}")
endif()

foreach(point point-00 point-01)
  execute_process(COMMAND "${CHECK}" same "${WORK}/single/${point}" "${WORK}/mpi/${point}"
    RESULT_VARIABLE rc OUTPUT_VARIABLE o ERROR_VARIABLE e)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "2 ranks: ${point} differs from the single-process sweep\n${o}\n${e}")
  endif()
endforeach()
file(READ "${WORK}/single/sweep.json" single_json)
file(READ "${WORK}/mpi/sweep.json" mpi_json)
if(NOT single_json STREQUAL mpi_json)
  message(FATAL_ERROR "2 ranks: sweep.json differs from the single-process sweep")
endif()
message(STATUS "mpi_sweep: both points and sweep.json equal the single-process sweep")
