# mpi_run.cmake - included by the MPI tests that compare chronic_stress_mpi
# with one chronic_stress process (mpi_tasks.cmake, mpi_sweep.cmake).
#
# run_single_then_mpi(<args>...): runs `EXE <args> --out WORK/single`,
# then `mpirun -np 2 MPI_EXE <args> --out WORK/mpi`; stops the test if either
# fails. Afterwards `out` and `err` hold the MPI run's output and `log` a
# summary of it for messages. A macro, so they land in the caller's scope.
macro(run_single_then_mpi)
  execute_process(COMMAND "${EXE}" ${ARGN} --out "${WORK}/single" TIMEOUT 120
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "single process: exit status ${rc}\n${out}\n${err}")
  endif()
  execute_process(COMMAND "${MPIEXEC}" -np 2 --allow-run-as-root --oversubscribe "${MPI_EXE}" ${ARGN} --out "${WORK}/mpi"
    TIMEOUT 120 RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  set(log "exit status ${rc}\n${out}\n${err}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "2 ranks: ${log}")
  endif()
endmacro()
