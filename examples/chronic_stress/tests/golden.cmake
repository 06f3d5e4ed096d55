# golden.cmake - the golden test: the digests of a small study (smoke.toml,
# 2 seeds, epochs x0.05) must equal the committed ones bit for bit.
#
#   cmake -DGOLDEN=<chronic_stress_golden> -DSMOKE=<smoke.toml> -DEXPECTED=<file>
#         -DWORK=<dir> [-DISA=scalar|avx2|avx512] -P golden.cmake
#
# The committed file holds the digests every build computes, on every CPU
# (x86-64 and aarch64, GCC and Clang, any -march). With ISA, the kernels run
# on that instruction set (REWIRE_ISA); a CPU without it prints
# "golden: skipped" (the test's SKIP_REGULAR_EXPRESSION). A difference means
# the numbers of the study changed: if that was intended (a change of
# protocol or numerics), regenerate the file with the command in its first
# lines and say why in the commit.
if(DEFINED ISA)
  set(ENV{REWIRE_ISA} "${ISA}")
endif()
file(STRINGS "${EXPECTED}" expected_lines REGEX "^seed ")
file(STRINGS "${EXPECTED}" header REGEX "^# args: ")
string(REGEX REPLACE "^# args: " "" args "${header}")
separate_arguments(args UNIX_COMMAND "${args}")
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
execute_process(COMMAND "${GOLDEN}" "${SMOKE}" ${args}
  OUTPUT_FILE "${WORK}/digests.txt" ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  if(DEFINED ISA AND err MATCHES "REWIRE_ISA.*lacks")
    message(STATUS "golden: skipped: this CPU lacks ${ISA} (${err})")
    return()
  endif()
  message(FATAL_ERROR "chronic_stress_golden failed (${rc}): ${err}")
endif()
file(STRINGS "${WORK}/digests.txt" actual_lines)
list(LENGTH expected_lines n_expected)
list(LENGTH actual_lines n_actual)
if(n_expected EQUAL 0)
  message(FATAL_ERROR "${EXPECTED} holds no digests")
endif()
set(diffs "")
foreach(line IN LISTS expected_lines)
  list(FIND actual_lines "${line}" at)
  if(at EQUAL -1)
    string(APPEND diffs "\n  expected: ${line}")
  endif()
endforeach()
if(NOT n_expected EQUAL n_actual OR NOT diffs STREQUAL "")
  list(JOIN actual_lines "\n  " got)
  message(FATAL_ERROR "the study's numbers differ from the golden digests "
    "(${n_actual} lines, ${n_expected} expected); missing:${diffs}\ngot:\n  ${got}")
endif()
if(DEFINED ISA)
  message(STATUS "golden digests match (${n_expected} lines, REWIRE_ISA=${ISA})")
else()
  message(STATUS "golden digests match (${n_expected} lines)")
endif()
