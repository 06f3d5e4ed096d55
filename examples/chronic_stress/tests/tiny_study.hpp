// tiny_study.hpp - a study small enough for unit tests (a 2-16-4 network,
// 256 training points, one arm, one cycle: milliseconds per seed).
#pragma once

namespace chronic_stress::testing {

inline constexpr const char* kTinyStudy = R"(
[data]
train_size = 256
standard_size = 128
clean_size = 64
batch_size = 64

[network]
widths = [2, 16, 4]

[baseline]
steps = [ { op = "train", epochs = 1, lr = 1e-2 } ]

[longitudinal]
cycles = 1

[[arms]]
name = "plain"
maintenance = [ { op = "train", epochs = 1, lr = 1e-3 } ]
)";

}  // namespace chronic_stress::testing
