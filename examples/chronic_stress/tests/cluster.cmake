# cluster.cmake - the job scripts of cluster/ run here, as bash, with the
# variables Slurm would set given by hand (chronic_stress.cluster_scripts).
#
#   cmake -DSCRIPTS=<cluster/> -DBASH=<bash> [-DSHELLCHECK=<shellcheck>]
#         -DEXE=<chronic_stress> -DCHECK=<chronic_stress_check> -DTINY=<tiny.toml>
#         -DWORK=<dir> -DBUILD_ROOT=<the build tree of EXE>
#         [-DMPIEXEC=<mpirun> -DMPI_EXE=<chronic_stress_mpi>] -P cluster.cmake
#
# On the tiny study, seeds 5-8 at epoch scale 0.5 (so that a script that
# drops a setting gives another seed list or config hash):
#   1. shellcheck finds nothing in the scripts (when it is installed);
#   2. shards.sbatch as array tasks 0 and 1 of 2 computes exactly its own
#      seeds (5, 7 and 6, 8) into STUDY_SHARDS_DIR/shard-I; resubmitted
#      alone (an array of size 1, STUDY_SHARD_COUNT=2) after a seed file is
#      lost, task 0 reuses its other seed, recomputes the lost one and runs
#      --threads from SLURM_CPUS_PER_TASK; without SLURM_ARRAY_TASK_ID it
#      stops, naming the variable;
#   3. merge.sbatch gives exactly the output of one chronic_stress process
#      on the same seeds (chronic_stress_check same); with no shards it
#      stops with exit status 2;
#   4. with MPI, mpi.sbatch on 2 ranks (MPI_LAUNCHER = mpirun) gives that
#      output too, records 1 thread per rank, and a rerun reuses every seed.
# Steps 3 and 4 leave the program's path to the script's default, run from a
# directory where build/cluster is this build tree: the defaults name where
# the `cluster` preset puts the programs.
cmake_minimum_required(VERSION 3.21)
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
set(shards "${WORK}/merged-shards")
set(root "${WORK}/root")  # stands for the repository root: build/cluster -> BUILD_ROOT
file(MAKE_DIRECTORY "${root}/build")
file(CREATE_LINK "${BUILD_ROOT}" "${root}/build/cluster" SYMBOLIC)
set(script_cwd "${WORK}")

# Every variable the scripts read, unset first so that the caller's
# environment (a real Slurm job, a user's STUDY_*) cannot leak in.
set(unset_all)
foreach(v SLURM_ARRAY_TASK_ID SLURM_ARRAY_TASK_COUNT SLURM_CPUS_PER_TASK CHRONIC_STRESS CHRONIC_STRESS_MPI
    STUDY_CONFIG STUDY_SEEDS STUDY_FIRST_SEED STUDY_EPOCH_SCALE STUDY_OUT STUDY_SHARDS_DIR STUDY_SHARD_COUNT
    MPI_LAUNCHER)
  list(APPEND unset_all "--unset=${v}")
endforeach()
set(study "CHRONIC_STRESS=${EXE}" "STUDY_CONFIG=${TINY}" STUDY_SEEDS=4 STUDY_FIRST_SEED=5 STUDY_EPOCH_SCALE=0.5)

# run_script(<script> <expected exit status> <env NAME=VALUE>...): runs
# `bash SCRIPTS/<script>` in ${script_cwd} with only the given variables of
# those the scripts read; leaves its stdout + stderr in `log` (caller's scope).
function(run_script script expect_rc)
  execute_process(COMMAND "${CMAKE_COMMAND}" -E env ${unset_all} ${ARGN} "${BASH}" "${SCRIPTS}/${script}"
    WORKING_DIRECTORY "${script_cwd}" TIMEOUT 60 RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  string(JOIN " " env ${ARGN})
  message("(in ${script_cwd}) $ ${env} bash ${script}\n${out}${err}")
  if(NOT rc STREQUAL expect_rc)
    message(FATAL_ERROR "${script}: exit status ${rc}, expected ${expect_rc}")
  endif()
  set(log "${out}${err}" PARENT_SCOPE)
endfunction()

function(expect_log script regex)
  if(NOT log MATCHES "${regex}")
    message(FATAL_ERROR "${script}: output does not match '${regex}'")
  endif()
endfunction()

function(expect_same reference dir what)
  execute_process(COMMAND "${CHECK}" same "${reference}" "${dir}" RESULT_VARIABLE rc OUTPUT_VARIABLE out
    ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what}: output differs from the single-process run\n${out}${err}")
  endif()
endfunction()

# 1. Quoting and the rest of shellcheck's checks.
if(SHELLCHECK)
  file(GLOB scripts "${SCRIPTS}/*.sbatch")
  execute_process(COMMAND "${SHELLCHECK}" --shell=bash ${scripts} RESULT_VARIABLE rc OUTPUT_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "shellcheck:\n${out}")
  endif()
else()
  message(STATUS "shellcheck not found: the scripts are run but not linted")
endif()

# The reference: one process, every seed.
execute_process(COMMAND "${EXE}" --config "${TINY}" --seeds 4 --first-seed 5 --epoch-scale 0.5 --threads 1 -q
  --no-report --out "${WORK}/single" RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "single process: exit status ${rc}\n${err}")
endif()

# 2. The job array: tasks 0 and 1 of 2, each on its own seeds.
foreach(task 0 1)
  run_script(shards.sbatch 0 ${study} "STUDY_OUT=${WORK}/merged" SLURM_ARRAY_TASK_ID=${task}
    SLURM_ARRAY_TASK_COUNT=2 SLURM_CPUS_PER_TASK=1)
endforeach()
foreach(owned "0;005;007" "1;006;008")
  list(POP_FRONT owned task)
  file(GLOB files RELATIVE "${shards}/shard-${task}/seeds" "${shards}/shard-${task}/seeds/*")
  list(SORT files)
  list(TRANSFORM owned PREPEND "seed-")
  list(TRANSFORM owned APPEND ".json")
  if(NOT files STREQUAL owned)
    message(FATAL_ERROR "shard-${task} holds '${files}', expected '${owned}'")
  endif()
endforeach()
# Resubmitting task 0 alone (sbatch --array=0: an array of size 1) after its
# seed 7 was lost: reuses seed 5, recomputes seed 7, on 3 threads.
file(REMOVE "${shards}/shard-0/seeds/seed-007.json")
run_script(shards.sbatch 0 ${study} "STUDY_OUT=${WORK}/merged" SLURM_ARRAY_TASK_ID=0 SLURM_ARRAY_TASK_COUNT=1
  STUDY_SHARD_COUNT=2 SLURM_CPUS_PER_TASK=3)
expect_log(shards.sbatch "3 threads")
expect_log(shards.sbatch "reusing 1 finished seed \\(5\\)")
expect_log(shards.sbatch "1 seeds? computed, 1 reused")
if(NOT EXISTS "${shards}/shard-0/seeds/seed-007.json")
  message(FATAL_ERROR "shards.sbatch: the resubmitted task did not recompute seed 7")
endif()
run_script(shards.sbatch 1 ${study} "STUDY_OUT=${WORK}/merged" SLURM_ARRAY_TASK_COUNT=2)
expect_log(shards.sbatch "SLURM_ARRAY_TASK_ID: is not set")

# 3. The merge: exactly the single process's output.
set(script_cwd "${root}")
run_script(merge.sbatch 0 "STUDY_OUT=${WORK}/merged" SLURM_CPUS_PER_TASK=1)
expect_same("${WORK}/single" "${WORK}/merged" "merge.sbatch")
run_script(merge.sbatch 2 "CHRONIC_STRESS=${EXE}" "STUDY_OUT=${WORK}/nothing")
expect_log(merge.sbatch "no shard directories")

# 4. The MPI job on 2 ranks.
if(MPIEXEC AND MPI_EXE)
  set(mpi_env ${study} "STUDY_OUT=${WORK}/mpi" SLURM_CPUS_PER_TASK=1
    "MPI_LAUNCHER=${MPIEXEC} -np 2 --allow-run-as-root --oversubscribe")
  run_script(mpi.sbatch 0 ${mpi_env})
  expect_log(mpi.sbatch "4 seeds \\(4 computed, 0 reused")
  expect_same("${WORK}/single" "${WORK}/mpi" "mpi.sbatch")
  file(READ "${WORK}/mpi/summary.json" json)
  string(JSON threads GET "${json}" threads)
  if(NOT threads EQUAL 1)
    message(FATAL_ERROR "mpi.sbatch: summary.json records ${threads} threads per rank, expected 1 (SLURM_CPUS_PER_TASK)")
  endif()
  run_script(mpi.sbatch 0 ${mpi_env})
  expect_log(mpi.sbatch "4 seeds \\(0 computed, 4 reused")
  message(STATUS "cluster_scripts: merged shards and the MPI job equal the single-process run")
else()
  message(STATUS "cluster_scripts: merged shards equal the single-process run (built without MPI: mpi.sbatch not run)")
endif()
