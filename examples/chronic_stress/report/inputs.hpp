// report/inputs.hpp - what a report is made from: a run's effective
// configuration, its summary and its seed records (checked to belong together).
#pragma once

#include "results/results.hpp"

#include <rewire/protocol/study.hpp>

#include <vector>

namespace chronic_stress {

struct ReportInputs {
  rewire::protocol::StudySpec spec;  ///< the run's effective configuration
  Summary summary;                   ///< summary.json
  std::vector<SeedRecord> seeds;     ///< the seed records of the run, in the summary's seed order
};

}  // namespace chronic_stress
