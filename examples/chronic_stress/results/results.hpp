// results/results.hpp - front door of the results room: what a run leaves on
// disk and every reader of it reads back (docs/results-schema.md).
//
// It owns the typed records of seed files and summary.json (model.hpp), the
// statistics over seeds (statistics.hpp), the files of an output directory
// (files.hpp: seed files, summary.json, results.csv; the directory lock),
// the configuration a finished run records (run_config.hpp) and the arm
// checkpoints (checkpoints.hpp). Nothing here simulates.
#pragma once

#include "results/checkpoints.hpp"
#include "results/dir_lock.hpp"
#include "results/files.hpp"
#include "results/model.hpp"
#include "results/run_config.hpp"
#include "results/statistics.hpp"
