# sweep_pool.cmake - a sweep's points share one pool of threads (cmake -P):
#   1. the sweep run on --threads 1 and on --threads 3 gives identical point
#      outputs (summary.json, results.csv, every seed file, apart from timing)
#      and an identical sweep.json: the pool's order of work changes nothing;
#   2. a sweep with one seed file of one point deleted resumes: it reuses
#      every other seed file of every point (says so per point, the files are
#      untouched), recomputes only the missing seed, and the point's outputs
#      equal those of the complete run;
#   3. sweep.json carries each point's bootstrap ci95 of every key metric:
#      the same interval as the point's summary.json, and, with 2 seeds, the
#      interval a percentile bootstrap of a mean of two values must give, the
#      smaller and the larger value (a quarter of the 10,000 resamples draw
#      the smaller twice, a quarter the larger twice, so both 2.5% tails sit
#      on them).
#   -DEXE=<chronic_stress> -DCHECK=<chronic_stress_check> -DWORK=<scratch dir>
cmake_minimum_required(VERSION 3.21)
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
file(COPY_FILE "${CMAKE_CURRENT_LIST_DIR}/tiny_sweep.toml" "${WORK}/sweep.toml")

function(run_sweep out threads)  # -> ${stderr} in the caller
  execute_process(COMMAND "${EXE}" --config "${WORK}/sweep.toml" --out "${out}" --threads ${threads} --seeds 2
    --no-report RESULT_VARIABLE rc OUTPUT_VARIABLE o ERROR_VARIABLE e)
  message("$ chronic_stress --out ${out} --threads ${threads}\n${o}${e}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "the sweep on ${threads} threads failed with exit status ${rc}")
  endif()
  set(stderr "${e}" PARENT_SCOPE)
endfunction()

function(check_same a b)
  execute_process(COMMAND "${CHECK}" same "${a}" "${b}" RESULT_VARIABLE rc OUTPUT_VARIABLE o ERROR_VARIABLE e)
  message("${o}${e}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${a} and ${b} differ")
  endif()
endfunction()

# 1. One thread against three.
run_sweep("${WORK}/t1" 1)
run_sweep("${WORK}/t3" 3)
foreach(point point-00 point-01)
  check_same("${WORK}/t1/${point}" "${WORK}/t3/${point}")
endforeach()
file(READ "${WORK}/t1/sweep.json" j1)
file(READ "${WORK}/t3/sweep.json" j3)
if(NOT j1 STREQUAL j3)
  message(FATAL_ERROR "sweep.json differs between --threads 1 and --threads 3")
endif()

# 2. Resume with one seed file of point-01 gone.
set(kept point-00/seeds/seed-000.json point-00/seeds/seed-001.json point-01/seeds/seed-000.json)
foreach(f IN LISTS kept)
  file(SHA256 "${WORK}/t3/${f}" before_${f})
endforeach()
file(SHA256 "${WORK}/t3/point-01/seeds/seed-001.json" before_deleted)
file(REMOVE "${WORK}/t3/point-01/seeds/seed-001.json")
run_sweep("${WORK}/t3" 3)
if(NOT stderr MATCHES "point-00, reusing 2 finished seeds \\(0-1\\)" OR
   NOT stderr MATCHES "point-01, reusing 1 finished seed \\(0\\) ")
  message(FATAL_ERROR "the resumed sweep did not say it reuses seeds 0-1 of point-00 and seed 0 of point-01")
endif()
foreach(f IN LISTS kept)
  file(SHA256 "${WORK}/t3/${f}" after)
  if(NOT after STREQUAL before_${f})
    message(FATAL_ERROR "the reused seed file ${f} was rewritten")
  endif()
endforeach()
if(NOT EXISTS "${WORK}/t3/point-01/seeds/seed-001.json")
  message(FATAL_ERROR "the deleted seed file of point-01 was not recomputed")
endif()
foreach(point point-00 point-01)
  check_same("${WORK}/t1/${point}" "${WORK}/t3/${point}")
endforeach()

# 3. The intervals in sweep.json (run 1's output; 2 longitudinal cycles).
file(READ "${WORK}/t1/sweep.json" sweep)
function(expect_equal what got want)
  if(NOT got EQUAL want)
    message(FATAL_ERROR "sweep.json ${what}: ${got}, expected ${want}")
  endif()
endfunction()
foreach(p 0 1)
  file(READ "${WORK}/t1/point-0${p}/summary.json" summary)
  foreach(arm plain stress)
    foreach(end 0 1)
      string(JSON got GET "${sweep}" points ${p} arms ${arm} combined ci95 ${end})
      string(JSON ci GET "${summary}" arms ${arm} combined ci95 ${end})
      expect_equal("point ${p} ${arm} combined ci95[${end}]" "${got}" "${ci}")
      string(JSON got GET "${sweep}" points ${p} arms ${arm} final_accuracy ci95 ${end})
      string(JSON ci GET "${summary}" longitudinal ${arm} accuracy ci95 2 ${end})
      expect_equal("point ${p} ${arm} final_accuracy ci95[${end}]" "${got}" "${ci}")
    endforeach()
    string(JSON got GET "${sweep}" points ${p} arms ${arm} combined ci95 0)
    string(JSON lo GET "${summary}" arms ${arm} combined min)
    string(JSON hi GET "${summary}" arms ${arm} combined max)
    expect_equal("point ${p} ${arm} combined ci95[0] (the smaller value)" "${got}" "${lo}")
    string(JSON got GET "${sweep}" points ${p} arms ${arm} combined ci95 1)
    expect_equal("point ${p} ${arm} combined ci95[1] (the larger value)" "${got}" "${hi}")
    # relapsed_share is 0 or 100 per seed: [0 if a seed did not relapse else
    # 100, 100 if a seed relapsed else 0].
    set(lo 100)
    set(hi 0)
    foreach(s 0 1)
      string(JSON c GET "${summary}" longitudinal ${arm} relapse_cycles ${s})
      if(c STREQUAL "null" OR c STREQUAL "")  # a seed that never relapsed
        set(lo 0)
      else()
        set(hi 100)
      endif()
    endforeach()
    string(JSON got GET "${sweep}" points ${p} arms ${arm} relapsed_share ci95 0)
    expect_equal("point ${p} ${arm} relapsed_share ci95[0]" "${got}" "${lo}")
    string(JSON got GET "${sweep}" points ${p} arms ${arm} relapsed_share ci95 1)
    expect_equal("point ${p} ${arm} relapsed_share ci95[1]" "${got}" "${hi}")
  endforeach()
endforeach()
