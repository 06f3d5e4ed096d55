# fixture.cmake - hand-written seed files for the tests (include()d by cmake -P
# scripts).
#
# fixture_seeds(<chronic_stress> <config.toml or ""> <template dir> <out dir> <seed>...)
#   Writes <out dir>/seeds/seed-NNN.json from <template dir>/seed-NNN.json.in,
#   with @HASH@ = the config hash of <config.toml> ("" = the built-in
#   paper.toml) and @VERSION@ = the library version, both asked from
#   chronic_stress itself. A later `chronic_stress --config <config.toml>
#   --out <out dir>` then reuses these seeds instead of computing them, so a
#   test controls every value the summary and the report are made from.
#   Sets FIXTURE_HASH and FIXTURE_VERSION in the caller.
function(fixture_seeds exe config templates out)
  set(config_args "")
  if(NOT config STREQUAL "")
    set(config_args --config "${config}")
  endif()
  execute_process(COMMAND "${exe}" ${config_args} --print-config
    RESULT_VARIABLE rc OUTPUT_VARIABLE text ERROR_VARIABLE err)
  if(NOT rc EQUAL 0 OR NOT text MATCHES "config_hash ([0-9a-f]+)")
    message(FATAL_ERROR "cannot get the config hash of '${config}' (exit status ${rc}): ${err}")
  endif()
  set(HASH "${CMAKE_MATCH_1}")
  execute_process(COMMAND "${exe}" --version RESULT_VARIABLE rc OUTPUT_VARIABLE text)
  if(NOT rc EQUAL 0 OR NOT text MATCHES "rewire ([^)]+)\\)")
    message(FATAL_ERROR "cannot get the library version from '${exe} --version': ${text}")
  endif()
  set(VERSION "${CMAKE_MATCH_1}")
  foreach(seed IN LISTS ARGN)
    string(LENGTH "${seed}" digits)
    set(name "${seed}")
    while(digits LESS 3)
      set(name "0${name}")
      math(EXPR digits "${digits} + 1")
    endwhile()
    configure_file("${templates}/seed-${name}.json.in" "${out}/seeds/seed-${name}.json" @ONLY)
  endforeach()
  set(FIXTURE_HASH "${HASH}" PARENT_SCOPE)
  set(FIXTURE_VERSION "${VERSION}" PARENT_SCOPE)
endfunction()
