# RewireInstall.cmake - install headers and a relocatable CMake package so that
# consumers can `find_package(rewire 0.1 REQUIRED)` and link `rewire::rewire`.
# Included from the top-level CMakeLists.txt when REWIRE_INSTALL is ON.

include_guard(GLOBAL)
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# Package files go to <prefix>/share/cmake/rewire, not <libdir>/cmake/rewire:
# rewire is header-only and architecture independent, and on Debian-style
# multiarch systems CMAKE_INSTALL_LIBDIR is lib/<triplet>, which would wrongly
# tie the package to one architecture. find_package() searches
# <prefix>/share/cmake/<name>*/ on every platform.
set(REWIRE_INSTALL_CMAKEDIR "${CMAKE_INSTALL_DATADIR}/cmake/rewire"
    CACHE STRING "Install directory (relative to prefix) for rewire's CMake package files")
mark_as_advanced(REWIRE_INSTALL_CMAKEDIR)

# Headers. FILES_MATCHING keeps editor backups and stray files out.
install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/"
        DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}"
        COMPONENT rewire_Development
        FILES_MATCHING PATTERN "*.hpp" PATTERN "*.h")

# The INTERFACE target itself; its INSTALL_INTERFACE include dir and the
# Eigen3::Eigen link are recorded in the export set.
install(TARGETS rewire EXPORT rewire-targets)

install(EXPORT rewire-targets
        FILE rewire-targets.cmake
        NAMESPACE rewire::
        DESTINATION "${REWIRE_INSTALL_CMAKEDIR}"
        COMPONENT rewire_Development)

configure_package_config_file(
  "${PROJECT_SOURCE_DIR}/cmake/rewire-config.cmake.in"
  "${PROJECT_BINARY_DIR}/rewire-config.cmake"
  INSTALL_DESTINATION "${REWIRE_INSTALL_CMAKEDIR}")

# SameMinorVersion: while we are 0.x, a minor bump may break the API, so a
# request for 0.1 accepts 0.1.z only. ARCH_INDEPENDENT: header-only, so the
# package must not be rejected for a 32/64-bit mismatch (CMAKE_SIZEOF_VOID_P).
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/rewire-config-version.cmake"
  VERSION "${PROJECT_VERSION}"
  COMPATIBILITY SameMinorVersion
  ARCH_INDEPENDENT)

install(FILES
          "${PROJECT_BINARY_DIR}/rewire-config.cmake"
          "${PROJECT_BINARY_DIR}/rewire-config-version.cmake"
        DESTINATION "${REWIRE_INSTALL_CMAKEDIR}"
        COMPONENT rewire_Development)

install(FILES "${PROJECT_SOURCE_DIR}/LICENSE"
        DESTINATION "${CMAKE_INSTALL_DATADIR}/doc/rewire"
        COMPONENT rewire_Development)
