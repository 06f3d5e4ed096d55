# checkpoint_files.cmake - what a run does with DIR/checkpoints (cmake -P):
#  1. a finished seed removes the checkpoint files the program writes (and a
#     temporary one a killed run left) and nothing else: a file someone put
#     in checkpoints/seed-000/ or in an arm's directory stays, with the
#     directories that hold it;
#  2. an arm without follow-up, resumed from its checkpoint, says it resumes
#     after the treatment (not "after cycle 2", a cycle it never ran);
#  3. a shard stopped by SIGTERM between two seeds (the first seed's file
#     written, the second seed in its long baseline, before any of its arms
#     saved a checkpoint) leaves no empty checkpoints/ behind. Needs a POSIX
#     sh with kill and sleep.
#   -DEXE=<chronic_stress> -DTINY=<tiny.toml> -DWORK=<scratch dir>
cmake_minimum_required(VERSION 3.21)
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")

function(run_cs)  # run_cs(<args>...) -> ${stderr} in the caller
  execute_process(COMMAND "${EXE}" --config "${TINY}" --seeds 1 --threads 2 --no-report ${ARGN}
    RESULT_VARIABLE rc OUTPUT_VARIABLE o ERROR_VARIABLE e)
  message("$ chronic_stress ${ARGN}\n${o}${e}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "chronic_stress ${ARGN} failed with exit status ${rc}")
  endif()
  set(stderr "${e}" PARENT_SCOPE)
endfunction()

# ---- 1. only the program's own files go -------------------------------------
set(out "${WORK}/own_files")
set(seed_dir "${out}/checkpoints/seed-000")
file(WRITE "${seed_dir}/notes.txt" "someone's notes")
file(WRITE "${seed_dir}/plain/mine.npz" "someone's network")
file(WRITE "${seed_dir}/stress/cycle-001.npz.tmp-12345-0" "a temporary file of a killed run")
run_cs(--out "${out}")
file(GLOB_RECURSE left RELATIVE "${out}/checkpoints" "${out}/checkpoints/*")
list(SORT left)
if(NOT left STREQUAL "seed-000/notes.txt;seed-000/plain/mine.npz")
  message(FATAL_ERROR "after the seed was saved, checkpoints/ holds '${left}': expected exactly the two files "
                      "the program did not write (seed-000/notes.txt, seed-000/plain/mine.npz)")
endif()

# ---- 2. an arm without follow-up resumes after its treatment -----------------
set(out "${WORK}/resume")
run_cs(--out "${out}" --keep-checkpoints)
if(NOT EXISTS "${out}/checkpoints/seed-000/none/treatment.npz")
  message(FATAL_ERROR "test is broken: no checkpoint of the arm without follow-up ('none') was kept")
endif()
file(REMOVE "${out}/seeds/seed-000.json")  # every arm now resumes from its last checkpoint
run_cs(--out "${out}" --keep-checkpoints)
if(NOT stderr MATCHES "arm none: resuming from its checkpoint after the treatment"
   OR stderr MATCHES "arm none: resuming from its checkpoint after cycle")
  message(FATAL_ERROR "the arm without follow-up did not say it resumes after its treatment")
endif()
if(NOT stderr MATCHES "arm plain: resuming from its checkpoint after cycle 2")
  message(FATAL_ERROR "the arm with follow-up did not say it resumes after its last cycle")
endif()

# ---- 3. an interrupted shard leaves no empty checkpoints/ ---------------------
# Seed 0's arms save checkpoints and remove them once its file is written;
# the signal comes as that file appears, while seed 1 trains its baseline
# (about a second here): none of seed 1's arms has started.
set(config "${WORK}/long_baseline.toml")
file(WRITE "${config}" [=[
[data]
train_size = 256
standard_size = 128
clean_size = 64
batch_size = 64

[network]
widths = [2, 16, 4]

[baseline]
steps = [ { op = "train", epochs = 20000, lr = 1e-3 }, { op = "prune_to", target = 0.5 } ]

[longitudinal]
cycles = 1

[[arms]]
name = "plain"
maintenance = [ { op = "train", epochs = 1, lr = 1e-3 } ]
]=])
set(out "${WORK}/shard")
set(mark "${out}/seeds/seed-000.json")
execute_process(COMMAND "${CMAKE_COMMAND}" -E env "MARK=${mark}" "ERR=${WORK}/shard.err" sh -c [=[
"$@" 2>"$ERR" &
pid=$!
i=0
while [ ! -f "$MARK" ] && [ $i -lt 6000 ]; do sleep 0.01; i=$((i + 1)); done
kill -TERM $pid
wait $pid
]=] sh "${EXE}" --config "${config}" --out "${out}" --seeds 2 --threads 1 --shard 0/1 RESULT_VARIABLE rc)
file(READ "${WORK}/shard.err" err)
message("$ chronic_stress --shard 0/1 (SIGTERM once seed 0 is saved)\n${err}")
if(NOT rc EQUAL 143 OR NOT err MATCHES "interrupted" OR EXISTS "${out}/seeds/seed-001.json")
  message(FATAL_ERROR "test is broken: the shard was not stopped between its two seeds (exit status ${rc})")
endif()
file(GLOB_RECURSE held "${out}/checkpoints/*")
if(IS_DIRECTORY "${out}/checkpoints" AND NOT held)
  message(FATAL_ERROR "the interrupted shard left an empty checkpoints/ in ${out}")
endif()
message(STATUS "checkpoint_files: all checks passed")
