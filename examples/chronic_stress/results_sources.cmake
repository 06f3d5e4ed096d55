# The sources of chronic_stress's results model (configuration, seed files,
# summary.json, results.csv, statistics), relative to this directory. One
# list, read by examples/chronic_stress/CMakeLists.txt (the library
# chronic_stress_results) and by fuzz/CMakeLists.txt (the same sources built
# with the fuzzer's instrumentation), so a new source cannot be missed by one
# of them. paper_config.cpp is generated and added by each user.
set(CHRONIC_STRESS_RESULTS_SOURCES
  config.cpp
  config_arms.cpp
  canonical.cpp
  memory_estimate.cpp
  statistics.cpp
  seed_record.cpp
  summary_record.cpp
  results.cpp
  run_config.cpp)
