# mpi_failure.cmake - a rank whose task fails (chronic_stress.mpi_failure):
# the program ends with exit status 1 (not a hang, not an abort of the other
# ranks) and names the seed; the seeds that finished are saved and a rerun
# reuses them and writes exactly the single-process output.
#
#   cmake -DMPIEXEC=<mpirun> -DMPI_EXE=<chronic_stress_mpi> -DCHECK=<chronic_stress_check>
#         -DSMOKE=<smoke.toml> -DSINGLE=<output of one process> -DWORK=<dir> -P mpi_failure.cmake
#
# The failure is real, not injected: a non-empty directory stands where seed
# 1's file goes, so writing that file fails on whichever rank runs seed 1.
file(REMOVE_RECURSE "${WORK}")
set(mpirun "${MPIEXEC}" -np 2 --allow-run-as-root --oversubscribe)

# A configuration refused before anything is created: exit status 2 and
# one message (not one per rank) that matches `pattern`.
function(expect_refused what config once pattern)
  execute_process(COMMAND ${mpirun} "${MPI_EXE}" --config "${config}" --out "${WORK}/none" TIMEOUT 60
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  string(REGEX MATCHALL "${once}" said "${err}")
  list(LENGTH said times)
  if(NOT rc EQUAL 2 OR NOT times EQUAL 1 OR EXISTS "${WORK}/none" OR NOT err MATCHES "${pattern}")
    message(FATAL_ERROR "${what}: expected exit status 2 and one message, got ${rc}\n${out}\n${err}")
  endif()
endfunction()

# A --config no rank can read: refused as chronic_stress refuses it.
expect_refused("unreadable config" "${WORK}/missing.toml" "cannot read config file"
  "chronic_stress_mpi: config error: cannot read config file '[^']*missing\\.toml'")
# A sweep with a value one point cannot take: refused before anything runs,
# naming the point, as chronic_stress refuses it.
file(READ "${CMAKE_CURRENT_LIST_DIR}/tiny_sweep.toml" sweep)
string(REPLACE "[0.05, 0.2]" "[0.05, 2.0]" sweep "${sweep}")
file(WRITE "${WORK}/sweep.toml" "${sweep}")
expect_refused("bad sweep point" "${WORK}/sweep.toml" "config error"
  "chronic_stress_mpi: config error: [^\n]*sweep\\.toml:29:41: sweep point-01 \\(longitudinal\\.remove_fraction = 2\\.0\\): ")
# A network no node can hold (two 65536-wide layers: over 100 GiB for one
# task): refused by the memory estimate before any rank starts, as
# chronic_stress refuses it.
file(READ "${SMOKE}" wide)
string(REPLACE "widths = [2, 512, 512, 256, 4]" "widths = [2, 65536, 65536, 4]" wide "${wide}")
file(WRITE "${WORK}/wide.toml" "${wide}")
expect_refused("impossible size" "${WORK}/wide.toml" "config error"
  "chronic_stress_mpi: config error: network\\.widths = \\[2, 65536, 65536, 4\\]: the run needs about [0-9.]+ GiB")

set(obstacle "${WORK}/out/seeds/seed-001.json")
file(MAKE_DIRECTORY "${obstacle}")
file(WRITE "${obstacle}/keep" "a directory where a seed file belongs\n")
set(args --config "${SMOKE}" --seeds 2 --epoch-scale 0.05 --threads 1 --out "${WORK}/out")

# A hang at a collective after the failure would end here at the timeout.
execute_process(COMMAND ${mpirun} "${MPI_EXE}" ${args} TIMEOUT 120
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
set(log "exit status ${rc}\n${out}\n${err}")
if(NOT rc EQUAL 1)
  message(FATAL_ERROR "failing run: expected exit status 1, got ${log}")
endif()
if(NOT err MATCHES "chronic_stress_mpi: error: rank [01], seed 1: [^\n]*seed-001\\.json")
  message(FATAL_ERROR "failing run: the error does not name the rank, seed 1 and its file\n${log}")
endif()
if(NOT err MATCHES "1 of 2 seeds failed \\(seed 1\\)")
  message(FATAL_ERROR "failing run: no closing line naming the failed seed\n${log}")
endif()
if(EXISTS "${WORK}/out/summary.json")
  message(FATAL_ERROR "failing run: summary.json written although a seed failed\n${log}")
endif()
if(NOT EXISTS "${WORK}/out/seeds/seed-000.json")
  message(FATAL_ERROR "failing run: seed 0 finished on the other rank but its file is missing\n${log}")
endif()
file(READ "${WORK}/out/seeds/seed-000.json" seed0_after_failure)

# Rerun without the obstacle: seed 0 is reused (valid: same config, version
# and checksum), only seed 1 is computed, and the output is the single run's.
file(REMOVE_RECURSE "${obstacle}")
execute_process(COMMAND ${mpirun} "${MPI_EXE}" ${args} TIMEOUT 120
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
set(log "exit status ${rc}\n${out}\n${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "rerun: ${log}")
endif()
if(NOT out MATCHES "2 seeds \\(1 computed, 1 reused from an earlier run; tasks per rank: [0-5], [0-5]\\)"
   OR "${out}${err}" MATCHES "recomputing")
  message(FATAL_ERROR "rerun: seed 0's file was not reused as it was\n${log}")
endif()
file(READ "${WORK}/out/seeds/seed-000.json" seed0_after_rerun)
if(NOT seed0_after_rerun STREQUAL seed0_after_failure)
  message(FATAL_ERROR "rerun: seed 0's file changed")
endif()
execute_process(COMMAND "${CHECK}" same "${SINGLE}" "${WORK}/out" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "rerun: output differs from the single-process run\n${out}\n${err}")
endif()
message(STATUS "mpi_failure: the failed seed is named, the finished one is reused, the rerun gives the single-process output")
