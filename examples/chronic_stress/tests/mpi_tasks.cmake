# mpi_tasks.cmake - the task, not the seed, is chronic_stress_mpi's unit of
# work (chronic_stress.mpi_tasks): ONE seed on 2 ranks x 1 thread keeps both
# ranks busy (one runs the baseline, then the 4 arms of smoke.toml spread
# over both), and the output is exactly that of one chronic_stress process
# on the same seed. With whole seeds as the unit one rank would run all 5
# tasks and the other none.
#
#   cmake -DMPIEXEC=<mpirun> -DMPI_EXE=<chronic_stress_mpi> -DEXE=<chronic_stress>
#         -DCHECK=<chronic_stress_check> -DSMOKE=<smoke.toml> -DWORK=<dir> -P mpi_tasks.cmake
file(REMOVE_RECURSE "${WORK}")
set(args --config "${SMOKE}" --seeds 1 --first-seed 3 --epoch-scale 0.05 --threads 1 --no-report)

include("${CMAKE_CURRENT_LIST_DIR}/mpi_run.cmake")
run_single_then_mpi(${args})  # the reference: one process, one thread
if(NOT out MATCHES "1 seeds \\(1 computed, 0 reused from an earlier run; tasks per rank: ([0-9]+), ([0-9]+)\\)")
  message(FATAL_ERROR "2 ranks: no line with the tasks per rank\n${log}")
endif()
set(rank0 "${CMAKE_MATCH_1}")
set(rank1 "${CMAKE_MATCH_2}")
# Rank 0's summary step reuses the seed file the ranks made; it would
# recompute (and say so) a seed file that is missing, incomplete or wrong.
if("${out}${err}" MATCHES "recomputing")
  message(FATAL_ERROR "2 ranks: the seed file from the tasks was not reused\n${log}")
endif()
math(EXPR tasks "${rank0} + ${rank1}")
# 1 baseline + 4 arms (smoke.toml), each run exactly once, on both ranks.
if(NOT tasks EQUAL 5 OR rank0 LESS 1 OR rank1 LESS 1)
  message(FATAL_ERROR "2 ranks: tasks per rank ${rank0}, ${rank1}: expected 5 in all and at least 1 on each rank\n${log}")
endif()

execute_process(COMMAND "${CHECK}" same "${WORK}/single" "${WORK}/mpi" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "2 ranks: output differs from the single-process run\n${out}\n${err}")
endif()
message(STATUS "mpi_tasks: one seed's tasks ran on both ranks (${rank0} and ${rank1}) with the single-process output")
