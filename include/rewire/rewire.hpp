// rewire/rewire.hpp - everything, in dependency order:
// core -> random -> kernels -> nn -> train -> prune -> data -> protocol.
#pragma once

#include <rewire/version.hpp>

#include <rewire/core/error.hpp>
#include <rewire/core/float_env.hpp>
#include <rewire/core/gemm_blocking.hpp>
#include <rewire/core/hash.hpp>
#include <rewire/core/range.hpp>
#include <rewire/core/types.hpp>

#include <rewire/random/noise_source.hpp>
#include <rewire/random/rng.hpp>

#include <rewire/kernels/activation.hpp>
#include <rewire/kernels/linear.hpp>
#include <rewire/kernels/loss.hpp>
#include <rewire/kernels/modulation.hpp>
#include <rewire/kernels/sign_constraint.hpp>

#include <rewire/nn/layer_storage.hpp>
#include <rewire/nn/masked_linear.hpp>
#include <rewire/nn/mlp.hpp>
#include <rewire/nn/modulation.hpp>
#include <rewire/nn/parameter.hpp>
#include <rewire/nn/rnn.hpp>

#include <rewire/data/batches.hpp>
#include <rewire/data/clusters.hpp>
#include <rewire/data/tasks.hpp>
#include <rewire/data/trials.hpp>

#include <rewire/train/adam.hpp>
#include <rewire/train/lr_schedule.hpp>
#include <rewire/train/sgd.hpp>
#include <rewire/train/evaluate.hpp>
#include <rewire/train/train.hpp>

#include <rewire/io/adam_moments.hpp>
#include <rewire/io/checkpoint.hpp>
#include <rewire/io/files.hpp>
#include <rewire/io/checkpoint_format.hpp>
#include <rewire/io/json.hpp>
#include <rewire/io/npz.hpp>
#include <rewire/io/rnn_checkpoint.hpp>
#include <rewire/prune/magnitude.hpp>
#include <rewire/prune/regrow.hpp>
#include <rewire/prune/drop_grow.hpp>
#include <rewire/prune/layer_densities.hpp>

#include <rewire/protocol/cell_types.hpp>
#include <rewire/protocol/circuit.hpp>
#include <rewire/protocol/cohort.hpp>
#include <rewire/protocol/dose.hpp>
#include <rewire/protocol/limits.hpp>
#include <rewire/protocol/measure.hpp>
#include <rewire/protocol/metric_keys.hpp>
#include <rewire/protocol/schedule.hpp>
#include <rewire/protocol/spec.hpp>
#include <rewire/protocol/steps.hpp>
#include <rewire/protocol/study.hpp>
#include <rewire/protocol/subject.hpp>
#include <rewire/stats/interval.hpp>
#include <rewire/stats/distributions.hpp>
#include <rewire/stats/bootstrap.hpp>
#include <rewire/stats/outcomes.hpp>
#include <rewire/stats/survival.hpp>
#include <rewire/stats/regression.hpp>
#include <rewire/stats/cox.hpp>
#include <rewire/stats/logistic.hpp>
#include <rewire/stats/holm.hpp>
#include <rewire/stats/equivalence.hpp>
