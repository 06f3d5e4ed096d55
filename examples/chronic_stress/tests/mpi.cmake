# mpi.cmake - chronic_stress_mpi on 2 ranks must write exactly the output of
# one chronic_stress process (chronic_stress.mpi), and a rerun reuses every
# seed file.
#
#   cmake -DMPIEXEC=<mpirun> -DEXE=<chronic_stress_mpi> -DCHECK=<chronic_stress_check>
#         -DCONFIG=<smoke.toml> -DSINGLE=<output of one process> -DWORK=<dir> -P mpi.cmake
file(REMOVE_RECURSE "${WORK}")
set(mpirun "${MPIEXEC}" -np 2 --allow-run-as-root --oversubscribe)
set(args --config "${CONFIG}" --seeds 2 --epoch-scale 0.05 --threads 1 --out "${WORK}/out")
foreach(pass first rerun)
  execute_process(COMMAND ${mpirun} "${EXE}" ${args} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${pass} run: exit status ${rc}\n${out}\n${err}")
  endif()
  # Every seed came from the ranks, and rank 0's summary step reused them
  # all (it would silently recompute a lost or damaged one).
  if(NOT out MATCHES "2 seeds \\(2 from the ranks; per rank: [0-2], [0-2]\\)" OR "${out}${err}" MATCHES "recomputing")
    message(FATAL_ERROR "${pass} run: the seeds did not all come from the ranks\n${out}\n${err}")
  endif()
  execute_process(COMMAND "${CHECK}" same "${SINGLE}" "${WORK}/out" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${pass} run: output differs from the single-process run\n${out}\n${err}")
  endif()
endforeach()
message(STATUS "mpi: 2 ranks give the single-process output")
