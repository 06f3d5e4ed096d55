// examples/chronic_stress/published.hpp - the published reference values of
// the study (paper Tables 1-4 + protocol.md), embedded at build time from
// examples/chronic_stress/published.json (see CMakeLists.txt), so that no
// binary reads the source tree at run time.
#pragma once

#include <string_view>

namespace chronic_stress {

/// The text of published.json, exactly as in the source tree at build time.
std::string_view published_json_text() noexcept;

}  // namespace chronic_stress
