# kill_resume.cmake - a study killed by SIGKILL in the middle of an arm and
# rerun gives the same summary.json (apart from timing) and the same final
# networks as an uninterrupted run (cmake -P). The kill comes right after the arm "stress" saved its
# checkpoint of cycle 1, while it trains cycle 2; the rerun must resume that
# arm from that checkpoint (it says so), not from the start. Seven cycles of
# 100 epochs are left after the mark (about 0.1 s here, kill_probe looks every
# 2 ms), so a busy machine still kills the run mid-arm.
#   -DEXE=<chronic_stress> -DCHECK=<chronic_stress_check> -DPROBE=<kill_probe> -DWORK=<scratch dir>
cmake_minimum_required(VERSION 3.21)
file(REMOVE_RECURSE "${WORK}")
set(CONFIG "${WORK}/tiny.toml")
# Every random stream of an arm is used after the checkpoint: mini-batch
# order (train), internal noise (train_with_stress) and regrown values (regrow,
# part of them placed at random); half of the units carry their own damping
# and noise scale (a per-unit modulation the checkpoint must keep).
file(WRITE "${CONFIG}" [=[
[data]
train_size = 512
standard_size = 256
clean_size = 128
batch_size = 64

[network]
widths = [2, 48, 4]

[baseline]
steps = [ { op = "train", epochs = 10, lr = 1e-2 }, { op = "prune_to", target = 0.8 } ]

[longitudinal]
cycles = 8
remove_fraction = 0.1

[[arms]]
name = "plain"
maintenance = [ { op = "train", epochs = 5, lr = 1e-3 } ]

[[arms]]
name = "stress"
treatment = [ { op = "regrow", batches = 2, fraction = 0.5, sd = 0.03, ties = "random" },
              { op = "modulate", damping = 0.8, noise_scale = 0.5, unit_fraction = 0.5 } ]
maintenance = [ { op = "regrow", batches = 2, fraction = 0.3, sd = 0.03, ties = "random", random_share = 0.5 },
                { op = "train_with_stress", epochs = 100, lr = 1e-3, sigma0 = 0.5 } ]
probes = [ { name = "tanh", activation = "tanh" } ]
]=])

# --keep-checkpoints: the final networks are compared too, byte for byte
# (the summary holds accuracies, which a small change of weights can leave equal).
set(args --config "${CONFIG}" --seeds 1 --threads 1 --no-report --keep-checkpoints)
execute_process(COMMAND "${EXE}" ${args} --out "${WORK}/whole" RESULT_VARIABLE rc ERROR_VARIABLE e)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the uninterrupted run failed (${rc}):\n${e}")
endif()

set(killed "${WORK}/killed")
execute_process(COMMAND "${PROBE}" "${killed}/checkpoints/seed-000/stress/cycle-001.npz" "${EXE}" ${args} --out "${killed}"
  RESULT_VARIABLE rc OUTPUT_VARIABLE o ERROR_VARIABLE e)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the run was not killed mid-arm (kill_probe ${rc}):\n${o}${e}")
endif()
if(EXISTS "${killed}/summary.json" OR EXISTS "${killed}/seeds/seed-000.json")
  message(FATAL_ERROR "the killed run finished its seed; the kill came too late to test anything")
endif()

execute_process(COMMAND "${EXE}" ${args} --out "${killed}" RESULT_VARIABLE rc ERROR_VARIABLE e)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the resumed run failed (${rc}):\n${e}")
endif()
if(NOT e MATCHES "arm stress: resuming from its checkpoint after cycle [1-8]")
  message(FATAL_ERROR "the rerun did not resume the arm 'stress' from a cycle checkpoint:\n${e}")
endif()
foreach(arm plain stress)
  file(SHA256 "${WORK}/whole/checkpoints/seed-000/${arm}/cycle-008.npz" want)
  file(SHA256 "${killed}/checkpoints/seed-000/${arm}/cycle-008.npz" got)
  if(NOT want STREQUAL got)
    message(FATAL_ERROR "the final state of arm ${arm} differs between the resumed and the uninterrupted run")
  endif()
endforeach()
execute_process(COMMAND "${CHECK}" same "${WORK}/whole" "${killed}" RESULT_VARIABLE rc OUTPUT_VARIABLE o ERROR_VARIABLE e)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the resumed run differs from the uninterrupted one:\n${o}${e}")
endif()
