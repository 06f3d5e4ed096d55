// rewire/version.hpp - library version (kept equal to project() in CMakeLists.txt).
#pragma once

#define REWIRE_VERSION_MAJOR 0
#define REWIRE_VERSION_MINOR 1
#define REWIRE_VERSION_PATCH 0
#define REWIRE_VERSION_STRING "0.1.0"

namespace rewire {
/// "major.minor.patch" of the headers in use.
inline constexpr const char* version = REWIRE_VERSION_STRING;
}  // namespace rewire
