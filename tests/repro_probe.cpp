// tests/repro_probe.cpp - runs the reproducibility sequence (repro_sequence.hpp)
// for the seed given as argv[1] (default 0) and prints the 64-bit FNV-1a hash
// of all parameter bytes as 16 hex digits. test_reproducibility runs it in
// separate processes and compares the outputs.
#include "repro_sequence.hpp"

#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  const std::uint64_t seed = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 0;
  const rewire_test::ReproResult r = rewire_test::run_repro_sequence(seed);
  std::printf("%016llx\n", static_cast<unsigned long long>(r.hash()));
  return 0;
}
