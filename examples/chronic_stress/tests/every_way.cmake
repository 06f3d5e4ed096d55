# every_way.cmake - included by the -P scripts that run one study through
# every way the program runs a study (recurrent.cmake, cohort.cmake).
#
# run(<command>...): runs it, fails the test with its output on a non-zero
# exit status; its stderr is left in `err`.
#
# run_every_way(<reference args>...): with the caller's EXE, CHECK, WORK,
# `common` (the study's arguments) and, if set, MPIEXEC and MPI_EXE: 2 threads
# (plus <reference args>) into WORK/reference; 1 thread, two shards merged and
# 2 MPI ranks must each give exactly its output (chronic_stress_check same),
# and the 1-thread run's files must be complete and consistent
# (chronic_stress_check outputs).
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "exit status ${rc}: ${ARGN}\n${out}\n${err}")
  endif()
  set(err "${err}" PARENT_SCOPE)
endfunction()

function(run_every_way)
  run("${EXE}" ${common} --threads 2 --out "${WORK}/reference" ${ARGN})
  run("${EXE}" ${common} --threads 1 --out "${WORK}/one_thread")
  run("${CHECK}" outputs "${WORK}/one_thread")
  run("${CHECK}" same "${WORK}/reference" "${WORK}/one_thread")
  run("${EXE}" ${common} --threads 1 --shard 0/2 --out "${WORK}/s0")
  run("${EXE}" ${common} --threads 1 --shard 1/2 --out "${WORK}/s1")
  run("${EXE}" merge --out "${WORK}/merged" "${WORK}/s0" "${WORK}/s1" -q)
  run("${CHECK}" same "${WORK}/reference" "${WORK}/merged")
  if(DEFINED MPI_EXE AND NOT MPI_EXE STREQUAL "")
    run("${MPIEXEC}" -np 2 --allow-run-as-root --oversubscribe "${MPI_EXE}" ${common} --threads 1 --out "${WORK}/mpi")
    run("${CHECK}" same "${WORK}/reference" "${WORK}/mpi")
  endif()
endfunction()
