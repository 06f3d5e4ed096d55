# The sources of the results room, relative to this directory (one list for
# results/CMakeLists.txt and fuzz/CMakeLists.txt, as config/sources.cmake).
set(CHRONIC_STRESS_RESULTS_SOURCES
  checkpoints.cpp
  files.cpp
  inference.cpp
  inference_record.cpp
  run_config.cpp
  seed_record.cpp
  statistics.cpp
  summary_record.cpp)
