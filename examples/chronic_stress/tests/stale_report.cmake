# stale_report.cmake - a new summary never sits beside an earlier run's
# report (cmake -P). A run with its report (no gnuplot: the figures' data and
# scripts; a PNG of an earlier gnuplot is put there by hand, and a file of
# someone else's), then a run of another configuration (another epoch scale)
# with --no-report into the same --out: report.md and every file of figures/
# the report writes are gone, and the run says so; the other file stays. A
# rerun with the report writes it again. The same for a sweep: sweep.md,
# figures/sweep_* and each point's report.
#   -DEXE=<chronic_stress> -DTINY=<tiny.toml> -DWORK=<scratch dir>
cmake_minimum_required(VERSION 3.21)
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
set(sweep "${CMAKE_CURRENT_LIST_DIR}/tiny_sweep.toml")

function(run_cs)  # run_cs(<args>...) -> ${stderr} in the caller
  execute_process(COMMAND "${CMAKE_COMMAND}" -E env "CHRONIC_STRESS_GNUPLOT=${WORK}/no-gnuplot"
    "${EXE}" --seeds 1 --threads 2 ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE o ERROR_VARIABLE e)
  message("$ chronic_stress ${ARGN}\n${o}${e}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "chronic_stress ${ARGN} failed with exit status ${rc}")
  endif()
  set(stderr "${e}" PARENT_SCOPE)
endfunction()

function(config_hash dir var)
  file(READ "${dir}/summary.json" json)
  string(JSON hash GET "${json}" config_hash)
  set(${var} "${hash}" PARENT_SCOPE)
endfunction()

# ---- one study ----------------------------------------------------------------
set(out "${WORK}/out")
run_cs(--config "${TINY}" --out "${out}")
foreach(f report.md figures/longitudinal.dat figures/longitudinal.gp figures/stress_sweep.dat)
  if(NOT EXISTS "${out}/${f}")
    message(FATAL_ERROR "test is broken: the first run wrote no ${f}")
  endif()
endforeach()
file(WRITE "${out}/figures/longitudinal.png" "a figure of the first run")
file(WRITE "${out}/figures/notes.txt" "someone's notes")
config_hash("${out}" first)

run_cs(--config "${TINY}" --out "${out}" --epoch-scale 2 --no-report)
config_hash("${out}" second)
if(first STREQUAL second)
  message(FATAL_ERROR "test is broken: the second run has the first one's configuration")
endif()
file(GLOB left RELATIVE "${out}" "${out}/report.md" "${out}/figures/*")
if(NOT left STREQUAL "figures/notes.txt")
  message(FATAL_ERROR "beside the summary.json of another configuration, --no-report left the earlier report: "
                      "${left} (expected only figures/notes.txt, which the report never writes)")
endif()
if(NOT stderr MATCHES "removed report\\.md and figures/ of an earlier run from ")
  message(FATAL_ERROR "the run did not say it removed the earlier report")
endif()

run_cs(--config "${TINY}" --out "${out}" --epoch-scale 2)
if(NOT EXISTS "${out}/report.md" OR NOT EXISTS "${out}/figures/longitudinal.gp" OR NOT EXISTS "${out}/figures/notes.txt")
  message(FATAL_ERROR "the rerun with the report did not write it, or removed figures/notes.txt")
endif()

# ---- a sweep ------------------------------------------------------------------
set(out "${WORK}/sweep")
run_cs(--config "${sweep}" --out "${out}")
file(GLOB reports RELATIVE "${out}" "${out}/sweep.md" "${out}/figures/*" "${out}/point-*/report.md")
if(NOT "sweep.md" IN_LIST reports OR NOT "point-00/report.md" IN_LIST reports OR NOT "figures/sweep_standard.gp" IN_LIST reports)
  message(FATAL_ERROR "test is broken: the first sweep wrote no sweep.md, figures/sweep_standard.gp or point-00/report.md")
endif()
run_cs(--config "${sweep}" --out "${out}" --epoch-scale 2 --no-report)
file(GLOB left RELATIVE "${out}" "${out}/sweep.md" "${out}/figures" "${out}/point-*/report.md" "${out}/point-*/figures")
if(left)
  message(FATAL_ERROR "beside the sweep.json of another configuration, --no-report left the earlier reports: ${left}")
endif()
if(NOT stderr MATCHES "removed sweep\\.md and figures/sweep_\\* of an earlier sweep from ")
  message(FATAL_ERROR "the sweep did not say it removed the earlier sweep.md")
endif()
message(STATUS "stale_report: all checks passed")
