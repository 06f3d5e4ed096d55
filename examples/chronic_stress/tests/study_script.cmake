# study_script.cmake - scripts/study.sh (the README's first command) still
# builds and starts this program (cmake -P): the path it runs is where the
# build puts chronic_stress, the target it builds is chronic_stress, and
# every REWIRE_* option it sets is one the project declares. The script
# itself installs packages and builds a tree of its own, so it is checked
# here against this build instead of being run.
#   -DEXE=<chronic_stress> -DBIN=<top build dir> -DSRC=<top source dir>
cmake_minimum_required(VERSION 3.21)
file(READ "${SRC}/scripts/study.sh" script)
file(READ "${SRC}/CMakeLists.txt" top)

if(NOT script MATCHES "\n\\./build/study/([^ \n]+) \"\\$@\"")
  message(FATAL_ERROR "scripts/study.sh: no line './build/study/<path> \"$@\"' that starts the program")
endif()
set(runs "${CMAKE_MATCH_1}")
file(RELATIVE_PATH built "${BIN}" "${EXE}")
if(NOT runs STREQUAL built)
  message(FATAL_ERROR "scripts/study.sh runs build/study/${runs}, but the build puts chronic_stress at <build>/${built}")
endif()

if(NOT script MATCHES "--target chronic_stress[\n ]")
  message(FATAL_ERROR "scripts/study.sh does not build the target chronic_stress")
endif()

string(REGEX MATCHALL "-D(REWIRE_[A-Z_]+)=" options "${script}")
if(NOT options)
  message(FATAL_ERROR "test is broken: no -DREWIRE_* option found in scripts/study.sh")
endif()
foreach(o IN LISTS options)
  string(REGEX REPLACE "^-D(.*)=$" "\\1" name "${o}")
  if(NOT top MATCHES "option\\(${name} ")
    message(FATAL_ERROR "scripts/study.sh sets ${name}, which CMakeLists.txt does not declare")
  endif()
endforeach()

# The program at that path starts (its --help), from the build the test runs in.
execute_process(COMMAND "${BIN}/${runs}" --help RESULT_VARIABLE rc OUTPUT_VARIABLE o ERROR_VARIABLE e)
if(NOT rc EQUAL 0 OR NOT o MATCHES "chronic_stress")
  message(FATAL_ERROR "<build>/${runs} --help: status ${rc}\n${o}${e}")
endif()
message(STATUS "study_script: scripts/study.sh runs <build>/${runs}; options ${options}")
