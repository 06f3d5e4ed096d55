# RewireHeaderCheck.cmake - compile every public header on its own.
#
# rewire_add_header_check(<target> INCLUDE_DIR <dir> [LINK <targets>...])
#
# Globs <dir>/rewire/**/*.hpp at configure time (CONFIGURE_DEPENDS: a header
# added or removed later re-runs CMake on the next build), generates one
# translation unit per header that contains nothing but
# `#include <rewire/...>`, and compiles them all into OBJECT library <target>
# with -Wall -Wextra -Wpedantic -Werror in C++17. The target is part of `all`,
# so a header that is missing an #include (or warns) breaks the build.
#
# The flags are hard-wired rather than taken from rewire_warnings because this
# check must be strict even when REWIRE_WERROR is OFF.

include_guard(GLOBAL)

function(rewire_add_header_check target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "INCLUDE_DIR" "LINK")
  if(NOT arg_INCLUDE_DIR)
    message(FATAL_ERROR "rewire_add_header_check: INCLUDE_DIR is required")
  endif()

  # `rewire/*.hpp` with GLOB_RECURSE covers both include/rewire/*.hpp and
  # include/rewire/**/*.hpp.
  file(GLOB_RECURSE headers CONFIGURE_DEPENDS
       RELATIVE "${arg_INCLUDE_DIR}"
       "${arg_INCLUDE_DIR}/rewire/*.hpp")
  list(SORT headers)

  set(gen_dir "${CMAKE_CURRENT_BINARY_DIR}/${target}")
  set(sources "")
  foreach(header IN LISTS headers)
    # rewire/core/types.hpp -> <gen_dir>/rewire/core/types.hpp.cpp
    set(src "${gen_dir}/${header}.cpp")
    # file(CONFIGURE) rewrites the file only when its content changes, so a
    # re-configure does not trigger a rebuild of every check.
    file(CONFIGURE OUTPUT "${src}"
         CONTENT "#include <${header}>\n"
         @ONLY)
    list(APPEND sources "${src}")
  endforeach()

  if(NOT sources)
    # Keep the target valid (and the build green) while include/ is empty.
    set(src "${gen_dir}/no_headers.cpp")
    file(CONFIGURE OUTPUT "${src}"
         CONTENT "// no public headers found under ${arg_INCLUDE_DIR}/rewire\n")
    list(APPEND sources "${src}")
  endif()

  list(LENGTH headers n_headers)
  message(STATUS "rewire: header self-containment check covers ${n_headers} header(s)")

  add_library(${target} OBJECT ${sources})
  target_link_libraries(${target} PRIVATE ${arg_LINK})
  # Exactly C++17 (the minimum rewire promises) without GNU extensions
  # (-std=c++17, not gnu++17), so -Wpedantic sees what a strict consumer would.
  set_target_properties(${target} PROPERTIES
    CXX_STANDARD 17
    CXX_STANDARD_REQUIRED ON
    CXX_EXTENSIONS OFF
    # One header per translation unit is the point of the check: never
    # merged by a unity build (CMAKE_UNITY_BUILD, which scripts/test.sh sets).
    UNITY_BUILD OFF)
  if(MSVC)
    target_compile_options(${target} PRIVATE /W4 /permissive- /WX)
  else()
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Werror)
  endif()
endfunction()
