# durable.cmake - runs that cannot corrupt their output (cmake -P):
#  - two runs started together on the same --out: one runs, the other is
#    refused at once (exit status 1) with a message naming the holder's pid,
#    and the output is one valid run's;
#  - chronic_stress_report takes the same lock: run while another process
#    holds it, it is refused and writes no report;
#  - impossible sizes are refused before anything is created (exit status 2,
#    the key named, no output directory); both cases need over 200 GiB, more
#    than any machine this runs on.
#   -DEXE=<chronic_stress> -DREPORT=<chronic_stress_report> -DWORK=<scratch dir>
cmake_minimum_required(VERSION 3.21)
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
set(CONFIG "${WORK}/tiny.toml")
set(tiny [=[
[data]
train_size = 512
standard_size = 256
clean_size = 128
batch_size = 64

[network]
widths = [2, 64, 4]

[baseline]
steps = [ { op = "train", epochs = 80, lr = 1e-2 }, { op = "prune_to", target = 0.5 } ]

[longitudinal]
cycles = 3

[[arms]]
name = "plain"
maintenance = [ { op = "train", epochs = 10, lr = 1e-3 } ]
]=])
file(WRITE "${CONFIG}" "${tiny}")

# Both processes start together (a pipeline runs its commands concurrently).
set(run --config "${CONFIG}" --out "${WORK}/out" --seeds 2 --threads 1 --no-report -q)
execute_process(COMMAND "${EXE}" ${run} COMMAND "${EXE}" ${run}
  RESULTS_VARIABLE rcs OUTPUT_VARIABLE o ERROR_VARIABLE e)
list(SORT rcs)
if(NOT rcs STREQUAL "0;1")
  message(FATAL_ERROR "two runs on one --out: expected exit statuses 0 and 1, got ${rcs}\n${o}${e}")
endif()
if(NOT e MATCHES "output directory '[^']*out' is in use by another run \\(pid [0-9]+\\)")
  message(FATAL_ERROR "the refused run does not name the directory and the pid:\n${e}")
endif()
file(READ "${WORK}/out/summary.json" summary)
string(JSON seeds LENGTH "${summary}" seeds)  # fails on invalid JSON
if(NOT seeds EQUAL 2)
  message(FATAL_ERROR "summary.json holds ${seeds} seeds, expected 2")
endif()

# flock(1) holds the directory's lock (an flock(2) on DIR/.lock, as a run
# takes it) while the report tool runs under it.
find_program(FLOCK flock REQUIRED)
execute_process(COMMAND "${FLOCK}" "${WORK}/out/.lock" "${REPORT}" --out "${WORK}/out"
  RESULT_VARIABLE rc OUTPUT_VARIABLE o ERROR_VARIABLE e)
if(NOT rc EQUAL 1 OR NOT e MATCHES "output directory '[^']*out' is in use by another run" OR EXISTS "${WORK}/out/report.md")
  message(FATAL_ERROR "the report under a held lock: expected exit status 1, 'in use' and no report.md; got ${rc}:\n${o}${e}")
endif()
execute_process(COMMAND "${REPORT}" --out "${WORK}/out" RESULT_VARIABLE rc OUTPUT_VARIABLE o ERROR_VARIABLE e)
if(NOT rc EQUAL 0 OR NOT EXISTS "${WORK}/out/report.md")
  message(FATAL_ERROR "the report once the lock is free: expected exit status 0 and report.md; got ${rc}:\n${o}${e}")
endif()

# refused(<name> <stderr regex> <find> <replace>)
function(refused name regex find replace)
  string(REPLACE "${find}" "${replace}" text "${tiny}")
  file(WRITE "${WORK}/${name}.toml" "${text}")
  execute_process(COMMAND "${EXE}" --config "${WORK}/${name}.toml" --out "${WORK}/${name}" --seeds 1 --threads 1
    RESULT_VARIABLE rc OUTPUT_VARIABLE o ERROR_VARIABLE e)
  if(NOT rc EQUAL 2 OR NOT e MATCHES "${regex}" OR EXISTS "${WORK}/${name}")
    message(FATAL_ERROR "${name}: expected exit status 2, '${regex}' and no output directory; got ${rc}:\n${e}")
  endif()
endfunction()
refused(wide "network\\.widths = \\[2, 65536, 65536, 4\\]: the run needs about [0-9.]+ GiB of memory"
  "widths = [2, 64, 4]" "widths = [2, 65536, 65536, 4]")
# The paper's widths with one batch of 10^7 points: about 240 GiB of buffers.
refused(batch "data\\.batch_size = 10000000: the run needs about [0-9.]+ GiB of memory"
  "train_size = 512\nstandard_size = 256\nclean_size = 128\nbatch_size = 64\n\n[network]\nwidths = [2, 64, 4]"
  "train_size = 10000000\nstandard_size = 256\nclean_size = 128\nbatch_size = 10000000\n\n[network]\nwidths = [2, 512, 512, 256, 4]")
