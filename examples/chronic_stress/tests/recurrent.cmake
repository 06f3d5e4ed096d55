# recurrent.cmake - a recurrent study (tiny_recurrent.toml: a 12-unit rate
# RNN with Dale's law on clusters over time) through every way the program
# runs a study (chronic_stress.recurrent):
#
#   cmake -DEXE=<chronic_stress> -DCHECK=<chronic_stress_check> -DRNN=<tiny_recurrent.toml>
#         -DWORK=<dir> [-DMPIEXEC=<mpirun> -DMPI_EXE=<chronic_stress_mpi>] -P recurrent.cmake
#
# 2 threads is the reference; 1 thread, two shards merged and (with MPI) 2
# ranks must give exactly its output (chronic_stress_check same: summary.json
# apart from timing, every seed file apart from its seconds, results.csv),
# and its files must be complete and consistent (chronic_stress_check
# outputs). Then an arm resumes from the checkpoints of a recurrent network:
# the seed file is removed but the arms' last checkpoints are kept, and the
# rerun says it resumes and gives the reference's output again.
file(REMOVE_RECURSE "${WORK}")
set(common --config "${RNN}" --seeds 2 -q)

include("${CMAKE_CURRENT_LIST_DIR}/every_way.cmake")
run_every_way(--keep-checkpoints)  # the checkpoints serve the resume below

# Resume from the recurrent networks' checkpoints: keep each arm's state
# after cycle 1 (the last cycle's files go, so there is work left), drop the
# seed file.
file(COPY "${WORK}/reference/" DESTINATION "${WORK}/resumed")
file(REMOVE "${WORK}/resumed/seeds/seed-001.json" "${WORK}/resumed/summary.json")
file(GLOB last "${WORK}/resumed/checkpoints/seed-001/*/cycle-002.npz")
if(last STREQUAL "")
  message(FATAL_ERROR "no checkpoint of cycle 2 was kept under ${WORK}/resumed/checkpoints/seed-001")
endif()
file(REMOVE ${last})
run("${EXE}" --config "${RNN}" --seeds 2 --threads 2 --out "${WORK}/resumed")
if(NOT err MATCHES "seed 1, arm plain: resuming from its checkpoint after cycle 1")
  message(FATAL_ERROR "the rerun did not resume arm plain of seed 1 from its checkpoint:\n${err}")
endif()
run("${CHECK}" same "${WORK}/reference" "${WORK}/resumed")
