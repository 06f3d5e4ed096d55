# shards.cmake - job-array shards and their merge (chronic_stress.shards).
#
#   cmake -DEXE=<chronic_stress> -DCHECK=<chronic_stress_check> -DSMOKE=<smoke.toml>
#         -DSINGLE=<output of one process, same seeds> -DWORK=<dir> -P shards.cmake
#
# Two shards (seeds 0 and 1 of `--seeds 2`) merged in reverse order must give
# exactly the single-process output (chronic_stress_check same: summary.json
# apart from timing, every seed file apart from its seconds, results.csv).
# A finished shard leaves no checkpoints/ directory.
# Then the refusals: a missing shard, a damaged seed, a shard of another
# configuration and of another library version; each exits with status 2,
# names the problem and creates no output directory.
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
set(common --config "${SMOKE}" --seeds 2 --epoch-scale 0.05 --threads 2 -q)

function(run expect_rc expect_stderr)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL expect_rc)
    message(FATAL_ERROR "exit status ${rc}, expected ${expect_rc}: ${ARGN}\n${out}\n${err}")
  endif()
  if(NOT expect_stderr STREQUAL "" AND NOT err MATCHES "${expect_stderr}")
    message(FATAL_ERROR "stderr does not match '${expect_stderr}': ${ARGN}\n${err}")
  endif()
endfunction()

function(refused name expect_stderr)
  run(2 "${expect_stderr}" "${EXE}" merge --out "${WORK}/${name}" ${ARGN})
  if(EXISTS "${WORK}/${name}")
    message(FATAL_ERROR "a refused merge (${name}) created ${WORK}/${name}")
  endif()
endfunction()

run(0 "" "${EXE}" ${common} --shard 0/2 --out "${WORK}/s0")
run(0 "" "${EXE}" ${common} --shard 1/2 --out "${WORK}/s1")
foreach(pair "s0;seed-000.json;seed-001.json" "s1;seed-001.json;seed-000.json")
  list(GET pair 0 dir)
  list(GET pair 1 own)
  list(GET pair 2 other)
  if(NOT EXISTS "${WORK}/${dir}/seeds/${own}" OR EXISTS "${WORK}/${dir}/seeds/${other}")
    message(FATAL_ERROR "shard ${dir} did not compute exactly its own seed (${own})")
  endif()
  if(EXISTS "${WORK}/${dir}/checkpoints")  # its seeds finished: nothing to resume from
    message(FATAL_ERROR "shard ${dir} finished but left a checkpoints/ directory behind")
  endif()
endforeach()
run(0 "" "${EXE}" merge --out "${WORK}/merged" "${WORK}/s1" "${WORK}/s0" --threads 2 -q)
run(0 "" "${CHECK}" same "${SINGLE}" "${WORK}/merged")

refused(missing "seed 1: shard 1/2 not given" "${WORK}/s0")
file(COPY "${WORK}/s1/" DESTINATION "${WORK}/s1_damaged")
file(WRITE "${WORK}/s1_damaged/seeds/seed-001.json" "{\"seed\": 1")
refused(damaged "seed 1: " "${WORK}/s0" "${WORK}/s1_damaged")
refused(twice "given twice" "${WORK}/s0" "${WORK}/s0")
file(COPY "${WORK}/s1/" DESTINATION "${WORK}/s1_version")
file(READ "${WORK}/s1_version/shard.json" text)
string(REGEX REPLACE "\"library_version\": \"[^\"]*\"" "\"library_version\": \"0.0.1\"" text "${text}")
file(WRITE "${WORK}/s1_version/shard.json" "${text}")
refused(version "was made by rewire 0\\.0\\.1" "${WORK}/s0" "${WORK}/s1_version")
run(0 "" "${EXE}" --config "${SMOKE}" --seeds 2 --epoch-scale 0.02 --threads 2 -q --shard 1/2 --out "${WORK}/s1_other")
refused(other_config "is of another configuration" "${WORK}/s0" "${WORK}/s1_other")
refused(not_a_shard "not a readable shard directory" "${WORK}/s0" "${SINGLE}")
run(2 "--shard 2/2: expected i/n" "${EXE}" ${common} --shard 2/2 --out "${WORK}/bad_shard")
message(STATUS "shards: merged output identical to the single-process run; refusals named")
