# aarch64-linux-gnu.cmake - cross build for 64-bit ARM Linux with Debian's
# cross compiler (g++-aarch64-linux-gnu), run under qemu-user (qemu-aarch64).
# docs/cross.md has the commands; preset `cross-aarch64` uses this file.
#
# Debian's cross compiler brings its own C and C++ runtime (glibc, libstdc++)
# in /usr/aarch64-linux-gnu. The project's dependencies are header-only from
# /usr/include (Eigen, Catch2 2.13, CLI11, nlohmann-json, and fmt and toml++
# in header-only mode, REWIRE_HEADER_ONLY_DEPS), so nothing of the host's
# x86-64 libraries may be linked: libraries come from the cross runtime only.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

# ctest (and Catch2's test discovery after each build) runs the test programs
# through this; -L points the emulator's dynamic loader at the cross runtime.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -L /usr/aarch64-linux-gnu)

# Libraries only from the target's root; programs (the build tools) only from
# the host; headers and package configs from both, so that the configs of
# Eigen (/usr/share/eigen3/cmake) and Catch2 (/usr/lib/cmake/Catch2) are found.
# The configs of fmt and toml++ live in the host's multiarch directory
# (/usr/lib/x86_64-linux-gnu/cmake), which a search for aarch64-linux-gnu
# never looks in: they would import the host's x86-64 libfmt.so.
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)

# The header-only dependencies' configs name /usr/include as their include
# directory. Given as -isystem, it would come before the cross compiler's
# own system directories, and the host's glibc headers would shadow the
# target's. -idirafter searches it last, only for what the cross runtime does
# not have; and because the compiler then reports /usr/include among its
# implicit directories, CMake leaves it off the command lines of targets.
set(CMAKE_CXX_FLAGS_INIT "-idirafter /usr/include")
set(CMAKE_C_FLAGS_INIT "-idirafter /usr/include")
