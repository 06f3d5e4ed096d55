# The sources of the config room, relative to this directory: one list for
# config/CMakeLists.txt and fuzz/CMakeLists.txt (the same sources built with
# the fuzzer's instrumentation), so a new source cannot be missed by one of
# them. paper_config.cpp is generated and added by each user.
set(CHRONIC_STRESS_CONFIG_SOURCES
  canonical.cpp
  locate.cpp
  memory_estimate.cpp
  prepare.cpp
  read_cohort.cpp
  read_arms.cpp
  read_sections.cpp
  read_study.cpp
  sweep_points.cpp
  toml_text.cpp)
