# run.cmake - driver for the `package_consumer` CTest test (cmake -P script).
#
# 1. cmake --install <REWIRE_BUILD_DIR> --prefix <WORK_DIR>/prefix
# 2. configure tests/package against that prefix only
# 3. build it
# 4. run the produced executable
# Any failing step fails the test (message(FATAL_ERROR) -> non-zero exit).
#
# Inputs (-D...): REWIRE_BUILD_DIR, CONSUMER_SOURCE_DIR, WORK_DIR,
#                 CONFIG (may be empty), GENERATOR, CXX_COMPILER.

cmake_minimum_required(VERSION 3.21)

foreach(var REWIRE_BUILD_DIR CONSUMER_SOURCE_DIR WORK_DIR GENERATOR)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "run.cmake: -D${var}=... is required")
  endif()
endforeach()
if(NOT CONFIG)
  set(CONFIG Release)
endif()

set(prefix "${WORK_DIR}/prefix")
set(consumer_build "${WORK_DIR}/build")

# Start from scratch every time: a stale prefix could hide a missing install
# rule, a stale consumer cache could remember an old rewire_DIR.
file(REMOVE_RECURSE "${prefix}" "${consumer_build}")

function(step what)
  message(STATUS "package_consumer: ${what}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "package_consumer: '${what}' failed (${rc})")
  endif()
endfunction()

step("install rewire to ${prefix}"
  "${CMAKE_COMMAND}" --install "${REWIRE_BUILD_DIR}" --prefix "${prefix}" --config "${CONFIG}")

set(compiler_arg "")
if(CXX_COMPILER)
  set(compiler_arg "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}")
endif()

# Only our scratch prefix is added to the search path, and both package
# registries are disabled; CMAKE_PREFIX_PATH is searched before the system
# prefixes, and the consumer additionally verifies rewire_DIR against
# REWIRE_EXPECTED_PREFIX, so a system-wide rewire can never be used silently.
# Eigen3 still comes from the system, as it would for any real consumer.
step("configure consumer"
  "${CMAKE_COMMAND}"
    -S "${CONSUMER_SOURCE_DIR}"
    -B "${consumer_build}"
    -G "${GENERATOR}"
    ${compiler_arg}
    "-DCMAKE_BUILD_TYPE=${CONFIG}"
    "-DCMAKE_PREFIX_PATH=${prefix}"
    "-DREWIRE_EXPECTED_PREFIX=${prefix}"
    -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
    -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF)

step("build consumer"
  "${CMAKE_COMMAND}" --build "${consumer_build}" --config "${CONFIG}")

# Single-config generators put the binary in the build dir, multi-config ones
# in a per-config subdirectory.
set(exe "")
foreach(candidate "${consumer_build}/consumer" "${consumer_build}/${CONFIG}/consumer"
                  "${consumer_build}/consumer.exe" "${consumer_build}/${CONFIG}/consumer.exe")
  if(EXISTS "${candidate}")
    set(exe "${candidate}")
    break()
  endif()
endforeach()
if(NOT exe)
  message(FATAL_ERROR "package_consumer: built executable not found in ${consumer_build}")
endif()

step("run ${exe}" "${exe}")
message(STATUS "package_consumer: OK")
