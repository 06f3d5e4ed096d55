# sweep.cmake - a [sweep] of two points gives, point by point, exactly the
# files of the two single runs of the same configurations (cmake -P):
# summary.json, results.csv and every seed file, bit for bit (apart from
# timing), each point under its own directory with its own config hash, its
# swept value a number in sweep.json.
# The study is tiny and uses a cycle-dependent schedule, an arm stressor,
# train_with_noise and discontinue, so those run end to end here too.
#   -DEXE=<chronic_stress> -DCHECK=<chronic_stress_check> -DWORK=<scratch dir>
cmake_minimum_required(VERSION 3.21)
file(REMOVE_RECURSE "${WORK}")
set(base [=[
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
cycles = 3

[[arms]]
name = "bridge"
treatment = [ { op = "modulate", activation = "tanh", damping = 0.7 }, { op = "train", epochs = 2, lr = 1e-3 } ]
maintenance = [
  { cycles = [1, 2], steps = [{ op = "train", epochs = 1, lr = @LR@ }] },
  { at = [2], steps = [{ op = "discontinue" }] },
  { cycles = [3, 3], steps = [{ op = "train_with_noise", epochs = 1, lr = 1e-3, sigma = 0.2 }] },
]
stress = [ { at = [1], remove_fraction = 0.0 } ]

[[arms]]
name = "plain"
maintenance = [ { op = "train", epochs = 1, lr = 1e-3 } ]
]=])

function(run_cs config out)
  execute_process(COMMAND "${EXE}" --config "${config}" --out "${out}" --threads 2 --seeds 2 --no-report
    RESULT_VARIABLE rc OUTPUT_VARIABLE o ERROR_VARIABLE e)
  message("$ chronic_stress --config ${config} --out ${out}\n${o}${e}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "chronic_stress --config ${config} failed with exit status ${rc}")
  endif()
endfunction()

function(check_same a b)
  execute_process(COMMAND "${CHECK}" same "${a}" "${b}" RESULT_VARIABLE rc OUTPUT_VARIABLE o ERROR_VARIABLE e)
  message("${o}${e}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${a} and ${b} differ")
  endif()
endfunction()

set(lrs "1e-3" "5e-3")
string(REPLACE "@LR@" "1e-3" sweep_text "${base}")
file(WRITE "${WORK}/sweep.toml" "${sweep_text}\n[sweep]\n\"arms[0].maintenance[0].steps[0].lr\" = [1e-3, 5e-3]\n")
run_cs("${WORK}/sweep.toml" "${WORK}/sweep")
set(i 0)
foreach(lr IN LISTS lrs)
  string(REPLACE "@LR@" "${lr}" text "${base}")
  file(WRITE "${WORK}/single-${i}.toml" "${text}")
  run_cs("${WORK}/single-${i}.toml" "${WORK}/single-${i}")
  check_same("${WORK}/sweep/point-0${i}" "${WORK}/single-${i}")
  math(EXPR i "${i} + 1")
endforeach()

# The two points are two configurations: two hashes, both in sweep.json.
file(READ "${WORK}/sweep/sweep.json" json)
string(JSON h0 GET "${json}" points 0 config_hash)
string(JSON h1 GET "${json}" points 1 config_hash)
string(JSON t1 TYPE "${json}" points 1 values "arms[0].maintenance[0].steps[0].lr")
# (string(JSON GET) would print the number with 17 digits: read the file's text.)
if(h0 STREQUAL h1 OR NOT t1 STREQUAL "NUMBER"
   OR NOT json MATCHES "\"arms\\[0\\]\\.maintenance\\[0\\]\\.steps\\[0\\]\\.lr\": 0\\.005\n")
  message(FATAL_ERROR "sweep.json: expected two hashes and the number 0.005 at point 1, got ${h0} ${h1} (${t1})\n${json}")
endif()
