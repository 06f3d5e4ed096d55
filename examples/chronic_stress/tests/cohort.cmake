# cohort.cmake - a cohort study (tiny_cohort.toml: every seed draws four
# config values) through every way the program runs a study
# (chronic_stress.cohort):
#
#   cmake -DEXE=<chronic_stress> -DCHECK=<chronic_stress_check> -DCOHORT=<tiny_cohort.toml>
#         -DWORK=<dir> [-DMPIEXEC=<mpirun> -DMPI_EXE=<chronic_stress_mpi>] -P cohort.cmake
#
# 2 threads is the reference; 1 thread, two shards merged and (with MPI) 2
# ranks must give exactly its output (chronic_stress_check same), complete
# and consistent (chronic_stress_check outputs). A patient's draws do not
# depend on the other patients: seed 2 run alone (--first-seed 2) has the
# same seed file. The seeds drew different values, which the seed files,
# results.csv and the regressions' terms carry, and config.toml reruns to
# the same config hash.
file(REMOVE_RECURSE "${WORK}")
set(common --config "${COHORT}" --seeds 3 -q)

include("${CMAKE_CURRENT_LIST_DIR}/every_way.cmake")
run_every_way()

# Seed 2 alone: the same patient.
run("${EXE}" --config "${COHORT}" --first-seed 2 --seeds 1 -q --threads 1 --out "${WORK}/alone")
file(READ "${WORK}/reference/seeds/seed-002.json" with_others)
file(READ "${WORK}/alone/seeds/seed-002.json" alone)
string(REGEX REPLACE "\"seconds\": [0-9.e+-]+" "" with_others "${with_others}")
string(REGEX REPLACE "\"seconds\": [0-9.e+-]+" "" alone "${alone}")
string(REGEX REPLACE "\"checksum\": \"[^\"]+\"" "" with_others "${with_others}")
string(REGEX REPLACE "\"checksum\": \"[^\"]+\"" "" alone "${alone}")
if(NOT with_others STREQUAL alone)
  message(FATAL_ERROR "seed 2 run alone differs from seed 2 run with seeds 0 and 1")
endif()

# Every seed drew its own values, inside each distribution's support.
set(keys "baseline.steps[1].target" "evaluation.combined_input_sigma" "arms[2].treatment[1].lr"
         "arms[1].maintenance[0].epochs")
foreach(key IN LISTS keys)
  set(seen "")
  foreach(seed 000 001 002)
    file(READ "${WORK}/reference/seeds/seed-${seed}.json" doc)
    string(JSON v GET "${doc}" cohort "${key}")
    list(APPEND seen "${v}")
  endforeach()
  list(REMOVE_DUPLICATES seen)
  list(LENGTH seen n)
  if(key MATCHES "epochs")
    if(NOT seen MATCHES "^[12](\\.0)?(;[12](\\.0)?)*$")
      message(FATAL_ERROR "${key}: drew ${seen}, not a choice of 1 and 2")
    endif()
  elseif(NOT n EQUAL 3)
    message(FATAL_ERROR "${key}: the three seeds drew ${seen}, not three values")
  endif()
endforeach()
file(STRINGS "${WORK}/reference/results.csv" header LIMIT_COUNT 1)
if(NOT header MATCHES ",cohort\\.arms\\[1\\]\\.maintenance\\[0\\]\\.epochs,cohort\\.arms\\[2\\]\\.treatment\\[1\\]\\.lr,cohort\\.baseline\\.steps\\[1\\]\\.target,cohort\\.evaluation\\.combined_input_sigma$")
  message(FATAL_ERROR "results.csv has no column per cohort key: ${header}")
endif()
file(READ "${WORK}/reference/summary.json" summary)
string(JSON terms GET "${summary}" cox plain terms)
string(JSON status GET "${summary}" cox plain status)
if(status STREQUAL "fitted" AND NOT terms MATCHES "cohort\\.baseline\\.steps\\[1\\]\\.target")
  message(FATAL_ERROR "cox.plain.terms lacks the cohort keys: ${terms}")
endif()

# config.toml holds the [cohort]: rerun from it, the same identity.
run("${EXE}" --config "${WORK}/reference/config.toml" --seeds 3 -q --threads 2 --out "${WORK}/rerun")
run("${CHECK}" same "${WORK}/reference" "${WORK}/rerun")
