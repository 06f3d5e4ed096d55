# run_case.cmake - one chronic_stress invocation as a CTest test (cmake -P).
#
#   -DEXE=<chronic_stress>   -DWORK=<scratch dir, emptied first>
#   -DARGS=<arguments separated by '|'; @WORK@ and @CONFIG@ are substituted>
#   -DBASE_CONFIG=<toml> -DFIND=<text> -DREPLACE=<text>
#        optional: @CONFIG@ = WORK/config.toml, a copy of BASE_CONFIG with the
#        text FIND (which must occur exactly once) replaced by REPLACE
#   -DEXPECT_RC=<exit status>          (default 0)
#   -DEXPECT_STDERR=<regex>            optional, must match stderr
#   -DEXPECT_NO_OUT=<dir>              optional, must NOT exist afterwards
# An optional setting given as "" counts as not given.
# Why a script: a plain add_test with WILL_FAIL would also pass on a crash;
# this checks the exact exit status, the message and the file system.
cmake_minimum_required(VERSION 3.21)
foreach(v EXE WORK ARGS)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "run_case.cmake: -D${v}=... is required")
  endif()
endforeach()
if(NOT DEFINED EXPECT_RC OR EXPECT_RC STREQUAL "")
  set(EXPECT_RC 0)
endif()

file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
set(CONFIG "")
if(NOT "${BASE_CONFIG}" STREQUAL "")
  file(READ "${BASE_CONFIG}" text)
  string(FIND "${text}" "${FIND}" first)
  string(FIND "${text}" "${FIND}" last REVERSE)
  if(first EQUAL -1 OR NOT first EQUAL last)
    message(FATAL_ERROR "test is broken: '${FIND}' must occur exactly once in ${BASE_CONFIG}")
  endif()
  string(REPLACE "${FIND}" "${REPLACE}" text "${text}")
  set(CONFIG "${WORK}/config.toml")
  file(WRITE "${CONFIG}" "${text}")
endif()

string(REPLACE "@WORK@" "${WORK}" ARGS "${ARGS}")
string(REPLACE "@CONFIG@" "${CONFIG}" ARGS "${ARGS}")
string(REPLACE "|" ";" ARGS "${ARGS}")
execute_process(COMMAND "${EXE}" ${ARGS}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("exit status ${rc}\n--- stdout\n${out}--- stderr\n${err}---")

if(NOT "${rc}" STREQUAL "${EXPECT_RC}")
  message(FATAL_ERROR "expected exit status ${EXPECT_RC}, got ${rc}")
endif()
if(NOT "${EXPECT_STDERR}" STREQUAL "" AND NOT err MATCHES "${EXPECT_STDERR}")
  message(FATAL_ERROR "stderr does not match: ${EXPECT_STDERR}")
endif()
if(NOT "${EXPECT_NO_OUT}" STREQUAL "" AND EXISTS "${EXPECT_NO_OUT}")
  message(FATAL_ERROR "'${EXPECT_NO_OUT}' was created, but a refused run must create nothing")
endif()
