# resume.cmake - resuming and range handling of chronic_stress (cmake -P):
#   1. a run of seed 0, then of seeds 0-1 reuses seed 0 (says so, the file is
#      untouched) and computes seed 1;
#   2. a run of seed 1 alone summarizes seed 1 only (not every file in seeds/);
#   3. a run with another epoch scale (another config hash) refuses to mix
#      in the old seed 0: says so and recomputes it.
# Resuming does not depend on the protocol, so this uses a tiny one (a few
# seconds even under ASan), which also exercises a non-paper config with
# defaults left out.
# Finally the output of this non-paper protocol must pass the checker too.
#   -DEXE=<chronic_stress> -DCHECK=<chronic_stress_check> -DWORK=<scratch dir>
cmake_minimum_required(VERSION 3.21)
file(REMOVE_RECURSE "${WORK}")
set(out "${WORK}/out")
set(CONFIG "${WORK}/tiny.toml")
file(WRITE "${CONFIG}" [=[
[data]
train_size = 256
standard_size = 128
clean_size = 64
batch_size = 64

[network]
widths = [2, 16, 4]

[baseline]
steps = [ { op = "train", epochs = 2, lr = 1e-2 }, { op = "prune_to", target = 0.5 } ]

[longitudinal]
cycles = 2

[[arms]]
name = "plain"
maintenance = [ { op = "train", epochs = 1, lr = 1e-3 } ]
probes = [ { name = "tanh", activation = "tanh" } ]

[[arms]]
name = "stress"
treatment = [ { op = "train_with_stress", epochs = 4, lr = 1e-3, sigma0 = 0.5 } ]
]=])

function(run_cs)  # run_cs(<args>...) -> ${stderr} in the caller
  execute_process(COMMAND "${EXE}" --config "${CONFIG}" --out "${out}" --threads 2 ${ARGN}
    RESULT_VARIABLE rc OUTPUT_VARIABLE o ERROR_VARIABLE e)
  message("$ chronic_stress ${ARGN}\n${o}${e}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "chronic_stress ${ARGN} failed with exit status ${rc}")
  endif()
  set(stderr "${e}" PARENT_SCOPE)
endfunction()

function(summary_seeds var)
  file(READ "${out}/summary.json" json)
  string(JSON n LENGTH "${json}" seeds)
  set(list "")
  math(EXPR last "${n} - 1")
  foreach(i RANGE ${last})
    string(JSON s GET "${json}" seeds ${i})
    list(APPEND list ${s})
  endforeach()
  set(${var} "${list}" PARENT_SCOPE)
endfunction()

run_cs(--seeds 1)
file(SHA256 "${out}/seeds/seed-000.json" before)

run_cs(--seeds 2)
if(NOT stderr MATCHES "reusing 1 finished seed \\(0\\)")
  message(FATAL_ERROR "the rerun did not say it reuses seed 0")
endif()
file(SHA256 "${out}/seeds/seed-000.json" after)
if(NOT before STREQUAL after)
  message(FATAL_ERROR "the reused seed file was rewritten")
endif()
summary_seeds(seeds)
if(NOT seeds STREQUAL "0;1" OR NOT EXISTS "${out}/seeds/seed-001.json")
  message(FATAL_ERROR "expected seeds 0;1 in the summary, got ${seeds}")
endif()

run_cs(--first-seed 1 --seeds 1)
summary_seeds(seeds)
if(NOT seeds STREQUAL "1" OR NOT stderr MATCHES "reusing 1 finished seed \\(1\\)")
  message(FATAL_ERROR "a run of seed 1 must summarize seed 1 only (reused), got ${seeds}")
endif()

run_cs(--seeds 1 --epoch-scale 0.5)
if(NOT stderr MATCHES "seed 0: not reusing [^\n]*computed with config [0-9a-f]+, this run's is [0-9a-f]+\\): recomputing it")
  message(FATAL_ERROR "a run with another config did not say it recomputes seed 0")
endif()
file(SHA256 "${out}/seeds/seed-000.json" recomputed)
if(recomputed STREQUAL before)
  message(FATAL_ERROR "seed 0 of another config was not recomputed")
endif()
file(READ "${out}/summary.json" json)
file(READ "${out}/seeds/seed-000.json" seed)
string(JSON h1 GET "${json}" config_hash)
string(JSON h2 GET "${seed}" config_hash)
if(NOT h1 STREQUAL h2)
  message(FATAL_ERROR "summary hash ${h1} != seed hash ${h2}")
endif()

execute_process(COMMAND "${CHECK}" outputs "${out}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "chronic_stress_check outputs failed on the tiny protocol")
endif()
