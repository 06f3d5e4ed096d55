# mpi.cmake - chronic_stress_mpi on 2 ranks must write exactly the output of
# one chronic_stress process (chronic_stress.mpi), and a rerun reuses every
# seed file.
#
#   cmake -DMPIEXEC=<mpirun> -DMPI_EXE=<chronic_stress_mpi> -DCHECK=<chronic_stress_check>
#         -DSMOKE=<smoke.toml> -DSINGLE=<output of one process> -DWORK=<dir> -P mpi.cmake
file(REMOVE_RECURSE "${WORK}")
set(mpirun "${MPIEXEC}" -np 2 --allow-run-as-root --oversubscribe)
set(args --config "${SMOKE}" --seeds 2 --epoch-scale 0.05 --threads 1 --out "${WORK}/out")
foreach(pass first rerun)
  execute_process(COMMAND ${mpirun} "${MPI_EXE}" ${args} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${pass} run: exit status ${rc}\n${out}\n${err}")
  endif()
  # The first run computes both seeds on the ranks (10 tasks: a baseline
  # and 4 arms each); the rerun reuses both files as they are. Rank 0's
  # summary step reuses them all (it would silently recompute a lost or
  # damaged one, saying so).
  if(pass STREQUAL "first")
    set(expected "2 seeds \\(2 computed, 0 reused from an earlier run; tasks per rank: ([0-9]+), ([0-9]+)\\)")
  else()
    set(expected "2 seeds \\(0 computed, 2 reused from an earlier run; tasks per rank: 0, 0\\)")
  endif()
  string(REGEX MATCH "${expected}" line "${out}")
  set(tasks "${CMAKE_MATCH_1} + ${CMAKE_MATCH_2}")
  if(NOT line OR "${out}${err}" MATCHES "recomputing")
    message(FATAL_ERROR "${pass} run: the seeds did not all come from the ranks\n${out}\n${err}")
  endif()
  if(pass STREQUAL "first")
    math(EXPR tasks "${tasks}")
    if(NOT tasks EQUAL 10)
      message(FATAL_ERROR "first run: ${tasks} tasks ran, not 10 (2 seeds x (baseline + 4 arms))\n${out}")
    endif()
  endif()
  execute_process(COMMAND "${CHECK}" same "${SINGLE}" "${WORK}/out" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${pass} run: output differs from the single-process run\n${out}\n${err}")
  endif()
endforeach()
message(STATUS "mpi: 2 ranks give the single-process output")
