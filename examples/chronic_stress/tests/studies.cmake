# studies.cmake - every shipped study file (studies/*.toml) is accepted, and
# its canonical form reads back to the same text and hash (cmake -P): the
# printed config of each point is run through --print-config again.
#   -DEXE=<chronic_stress> -DSTUDIES=<studies dir> -DWORK=<scratch dir>
cmake_minimum_required(VERSION 3.21)
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
file(GLOB studies "${STUDIES}/*.toml")
list(LENGTH studies n)
if(NOT n EQUAL 8)
  message(FATAL_ERROR "expected the eight study files, found ${n}")
endif()

function(print_config config var)
  execute_process(COMMAND "${EXE}" --config "${config}" --print-config
    RESULT_VARIABLE rc OUTPUT_VARIABLE o ERROR_VARIABLE e)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "--print-config of ${config} failed (${rc}): ${e}")
  endif()
  set(${var} "${o}" PARENT_SCOPE)
endfunction()

foreach(study IN LISTS studies)
  get_filename_component(name "${study}" NAME_WE)
  print_config("${study}" text)
  # One "# ---- sweep point-NN" section per point, or the one config.
  string(REGEX REPLACE "# ---- sweep point-[0-9]+\n" "@POINT@" text "${text}")
  set(i 0)
  while(NOT text STREQUAL "")
    string(FIND "${text}" "@POINT@" at)
    if(at EQUAL 0)
      string(SUBSTRING "${text}" 7 -1 text)
      continue()
    endif()
    if(at EQUAL -1)
      set(part "${text}")
      set(text "")
    else()
      string(SUBSTRING "${text}" 0 ${at} part)
      string(SUBSTRING "${text}" ${at} -1 text)
    endif()
    file(WRITE "${WORK}/${name}-${i}.toml" "${part}")
    print_config("${WORK}/${name}-${i}.toml" again)
    string(REGEX MATCH "config_hash [0-9a-f]+" h1 "${part}")
    string(REGEX MATCH "config_hash [0-9a-f]+" h2 "${again}")
    if(NOT h1 STREQUAL h2 OR h1 STREQUAL "")
      message(FATAL_ERROR "${name} part ${i}: canonical form does not read back (${h1} vs ${h2})")
    endif()
    message("${name} part ${i}: ${h1}")
    math(EXPR i "${i} + 1")
  endwhile()
endforeach()

# The paper's config keeps the hash it had before schedules, sweeps and the
# task shape existed (fb0ecf17ed7b2bee, printed by the program of that time):
# its canonical form must not change, or every saved paper run would be
# recomputed. The severity study's 0.95 point is the paper's study itself.
execute_process(COMMAND "${EXE}" --print-config OUTPUT_VARIABLE paper RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT paper MATCHES "config_hash fb0ecf17ed7b2bee ")
  message(FATAL_ERROR "the built-in paper.toml no longer hashes to fb0ecf17ed7b2bee")
endif()
print_config("${STUDIES}/severity.toml" severity)
if(NOT severity MATCHES "# ---- sweep point-03\n[^\n]*\n[^\n]*config_hash fb0ecf17ed7b2bee ")
  message(FATAL_ERROR "severity.toml point-03 (target 0.95) is not the paper's config")
endif()
