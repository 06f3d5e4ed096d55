# sweep_interrupt.cmake - Ctrl-C during a sweep (cmake -P): SIGINT once the
# first seed file of point-00 exists ends the run with status 130, keeps that
# seed file and writes no summary (no point's summary.json, no sweep.json);
# the rerun reuses the kept seed files and finishes every point (a
# summary.json of all seeds each). (That a resumed point equals an
# uninterrupted run is sweep_pool.cmake's part 2.) Needs a POSIX sh with kill
# and sleep.
#   -DEXE=<chronic_stress> -DWORK=<scratch dir>
cmake_minimum_required(VERSION 3.21)
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
file(COPY_FILE "${CMAKE_CURRENT_LIST_DIR}/tiny_sweep.toml" "${WORK}/sweep.toml")
set(out "${WORK}/out")
set(mark "${out}/point-00/seeds/seed-000.json")
# sh runs the sweep in the background, waits for the mark (at most a
# minute) and sends SIGINT; its status is the sweep's. The interrupt races
# the rest of the sweep (about two thirds of it, and every task stops at its
# next epoch): 3 seeds at --epoch-scale 1000 take about a second on 2 threads
# here. Should a faster or busier machine finish before the signal lands
# (status 0), the attempt is repeated once with 12 seeds.
foreach(n_seeds 3 12)
  set(seeds ${n_seeds})  # the loop variable ends with the loop
  file(REMOVE_RECURSE "${out}")
  set(args --config "${WORK}/sweep.toml" --out "${out}" --threads 2 --seeds ${seeds} --epoch-scale 1000 --no-report)
  execute_process(COMMAND "${CMAKE_COMMAND}" -E env "MARK=${mark}" "ERR=${WORK}/interrupted.err" sh -c [=[
"$@" 2>"$ERR" &
pid=$!
i=0
while [ ! -f "$MARK" ] && [ $i -lt 6000 ]; do sleep 0.01; i=$((i + 1)); done
kill -INT $pid
wait $pid
]=] sh "${EXE}" ${args} RESULT_VARIABLE rc)
  file(READ "${WORK}/interrupted.err" err)
  message("$ chronic_stress ${args} (SIGINT)\n${err}")
  if(NOT rc EQUAL 0)
    break()
  endif()
endforeach()
if(NOT rc EQUAL 130 OR NOT err MATCHES "interrupted")
  message(FATAL_ERROR "the interrupted sweep ended with status ${rc}, expected 130 and a message saying it was interrupted")
endif()
if(NOT EXISTS "${mark}")
  message(FATAL_ERROR "the interrupted sweep lost its finished seed file ${mark}")
endif()
foreach(f point-00/summary.json point-01/summary.json sweep.json)
  if(EXISTS "${out}/${f}")
    message(FATAL_ERROR "the interrupted sweep wrote ${f}")
  endif()
endforeach()
file(SHA256 "${mark}" before)

execute_process(COMMAND "${EXE}" ${args} RESULT_VARIABLE rc OUTPUT_VARIABLE o ERROR_VARIABLE e)
message("$ chronic_stress ${args}\n${o}${e}")
if(NOT rc EQUAL 0 OR NOT e MATCHES "point-00, reusing [0-9]+ finished seeds? \\(0")
  message(FATAL_ERROR "the rerun failed (${rc}) or did not say it reuses point-00's seed 0")
endif()
file(SHA256 "${mark}" after)
if(NOT before STREQUAL after OR NOT EXISTS "${out}/sweep.json")
  message(FATAL_ERROR "the rerun rewrote the finished seed file or wrote no sweep.json")
endif()
foreach(point point-00 point-01)
  file(READ "${out}/${point}/summary.json" summary)
  string(JSON n LENGTH "${summary}" seeds)
  if(NOT n EQUAL "${seeds}")
    message(FATAL_ERROR "${point}/summary.json of the rerun has ${n} seeds, expected ${seeds}")
  endif()
endforeach()
