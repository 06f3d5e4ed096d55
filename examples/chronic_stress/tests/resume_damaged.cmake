# resume_damaged.cmake - a damaged or foreign seed file is never reused
# (cmake -P). A run of seed 0 writes a good seed file; then, for each kind of
# damage, a copy of it with that damage goes in its place and the same run is
# repeated: chronic_stress must say why it does not reuse the file (naming the
# field), recompute the seed and write exactly the good file again (apart from
# its `seconds`), with exit status 0.
#   -DEXE=<chronic_stress> -DWORK=<scratch dir>
cmake_minimum_required(VERSION 3.21)
file(REMOVE_RECURSE "${WORK}")
set(out "${WORK}/out")
set(seed_file "${out}/seeds/seed-000.json")
set(CONFIG "${WORK}/tiny.toml")
# Two arms with follow-up (one with a probe) and one without: every part of a
# seed record occurs.
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
name = "none"
follow_up = false

[[arms]]
name = "plain"
maintenance = [ { op = "train", epochs = 1, lr = 1e-3 } ]
probes = [ { name = "tanh", activation = "tanh" } ]

[[arms]]
name = "stress"
treatment = [ { op = "train_with_stress", epochs = 2, lr = 1e-3, sigma0 = 0.5 } ]
]=])

function(run_seed0 var_err)
  execute_process(COMMAND "${EXE}" --config "${CONFIG}" --out "${out}" --seeds 1 --threads 1 --no-report
    RESULT_VARIABLE rc OUTPUT_VARIABLE o ERROR_VARIABLE e)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "chronic_stress failed with exit status ${rc}:\n${o}${e}")
  endif()
  set(${var_err} "${e}" PARENT_SCOPE)
endfunction()

# The seed file without its timing field (and the checksum, which covers
# it), for comparison.
function(normalized var text)
  string(JSON text REMOVE "${text}" seconds)
  string(JSON text REMOVE "${text}" checksum)
  set(${var} "${text}" PARENT_SCOPE)
endfunction()

run_seed0(ignored)
file(READ "${seed_file}" good)
normalized(good_norm "${good}")
string(JSON plain GET "${good}" arms plain)

set(failures 0)
# damaged(<name> <reason regex> <damaged text>)
function(damaged name reason text)
  file(WRITE "${seed_file}" "${text}")
  run_seed0(err)
  if(NOT err MATCHES "seed 0: not reusing [^\n]*\\(([^\n]*)\\): recomputing it")
    message(SEND_ERROR "FAIL ${name}: no 'not reusing ... recomputing' message; stderr:\n${err}")
    math(EXPR failures "${failures} + 1")
    set(failures ${failures} PARENT_SCOPE)
    return()
  endif()
  set(why "${CMAKE_MATCH_1}")
  message(STATUS "${name}: ${why}")
  if(NOT why MATCHES "${reason}")
    message(SEND_ERROR "FAIL ${name}: the reason '${why}' does not match '${reason}'")
    math(EXPR failures "${failures} + 1")
  endif()
  file(READ "${seed_file}" again)
  normalized(again_norm "${again}")
  if(NOT again_norm STREQUAL good_norm)
    message(SEND_ERROR "FAIL ${name}: the recomputed seed file differs from the original")
    math(EXPR failures "${failures} + 1")
  endif()
  set(failures ${failures} PARENT_SCOPE)
endfunction()

string(SUBSTRING "${good}" 0 300 truncated)
damaged(truncated "not valid JSON" "${truncated}")
damaged(empty_file "not valid JSON" "")
string(JSON t SET "${good}" seed 7)
damaged(wrong_seed "holds seed 7" "${t}")
string(JSON t SET "${good}" schema "\"rewire.chronic_stress.seed/0\"")
damaged(wrong_schema "schema" "${t}")
string(JSON t REMOVE "${good}" arms stress)
damaged(missing_arm "arms\\.stress is missing" "${t}")
string(JSON t SET "${good}" arms extra "${plain}")
damaged(extra_arm "arms\\.extra is not an arm of this configuration" "${t}")
string(JSON t REMOVE "${good}" arms plain metrics combined)
damaged(missing_metric "arms\\.plain\\.metrics\\.combined is missing" "${t}")
string(JSON t SET "${good}" arms plain metrics "{}")
damaged(empty_metrics "arms\\.plain\\.metrics\\.[a-z_.0-9]+ is missing" "${t}")
string(JSON t SET "${good}" arms none metrics tanh_combined 50.0)
damaged(extra_metric "arms\\.none\\.metrics\\.tanh_combined is not a metric of this arm" "${t}")
string(JSON t SET "${good}" arms plain metrics combined null)
damaged(null_metric "arms\\.plain\\.metrics\\.combined is null" "${t}")
string(JSON t SET "${good}" arms plain metrics combined "\"high\"")
damaged(string_metric "arms\\.plain\\.metrics\\.combined is not a number" "${t}")
string(JSON t SET "${good}" arms plain diverged "\"no\"")
damaged(diverged_not_bool "arms\\.plain\\.diverged" "${t}")
string(JSON t REMOVE "${good}" arms plain longitudinal accuracy 0)
damaged(short_series "arms\\.plain\\.longitudinal\\.accuracy has 2 values, expected 3" "${t}")
string(JSON t SET "${good}" arms stress longitudinal sparsity 3 50.0)
damaged(long_series "arms\\.stress\\.longitudinal\\.sparsity has 4 values, expected 3" "${t}")
string(JSON t SET "${good}" arms stress longitudinal null)
damaged(missing_longitudinal "arms\\.stress\\.longitudinal" "${t}")
string(JSON t GET "${good}" arms plain longitudinal)
string(JSON t SET "${good}" arms none longitudinal "${t}")
damaged(unexpected_longitudinal "arms\\.none\\.longitudinal" "${t}")
string(JSON t SET "${good}" arms plain longitudinal relapse_cycle 3)
damaged(relapse_cycle_out_of_range "arms\\.plain\\.longitudinal\\.relapse_cycle" "${t}")
# A changed digit that leaves a valid record: only the checksum can tell
# (one more decimal digit on a metric keeps it a plausible percentage).
string(JSON v GET "${good}" arms plain metrics combined)
string(JSON t SET "${good}" arms plain metrics combined "${v}1")
damaged(changed_digit "checksum does not match the record" "${t}")

if(failures GREATER 0)
  message(FATAL_ERROR "${failures} damaged seed file(s) were handled wrongly; see ${WORK}")
endif()
