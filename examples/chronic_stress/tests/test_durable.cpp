// Durable output of the study program: the output-directory lock, atomic
// writes that no leftover or second writer can break, and the memory
// estimate that refuses impossible configurations.
#include "config/config.hpp"

#include <rewire/io/files.hpp>
#include "results/results.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <unistd.h>

namespace fs = std::filesystem;
using chronic_stress::DirLock;

namespace {

fs::path scratch(const std::string& name) {
  const fs::path p = fs::temp_directory_path() / ("chronic_stress_durable_" + std::to_string(::getpid())) / name;
  fs::remove_all(p);
  return p;
}

std::string lock_error(const fs::path& dir) {
  try {
    DirLock second(dir);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("a locked output directory is refused, naming the holder's pid") {
  const fs::path dir = scratch("locked");
  {
    const DirLock first(dir);
    // flock locks belong to an open file, so a second open in this process
    // conflicts exactly as another process would.
    const std::string e = lock_error(dir);
    CHECK_THAT(e, Catch::Contains("'" + dir.string() + "' is in use by another run (pid " +
                                  std::to_string(::getpid()) + ")"));
  }
  CHECK(lock_error(dir).empty());  // released with its holder
}

TEST_CASE("an atomic write is not blocked by a leftover temporary of the same file") {
  const fs::path dir = scratch("leftover");
  fs::create_directories(dir / "summary.json.tmp");  // what a fixed temporary name would collide with
  fs::create_directories(dir / "summary.json.tmp-1-0");
  rewire::io::write_file_atomic(dir / "summary.json", "{}\n");
  CHECK(rewire::io::read_file(dir / "summary.json") == "{}\n");
}

TEST_CASE("the memory estimate refuses impossible sizes naming the key") {
  rewire::protocol::StudySpec spec = chronic_stress::parse_config(chronic_stress::paper_config(), "paper.toml");
  const double eight_gib = 8.0 * 1024 * 1024 * 1024;
  // The paper's configuration: about 400k weights, far below 8 GiB.
  CHECK_NOTHROW(chronic_stress::require_memory(spec, 64, 100, "paper.toml", eight_gib));
  auto wide = spec;
  wide.widths = {2, 65536, 65536, 4};  // 4.3e9 weights: 17 GiB for one copy of the weights alone
  CHECK_THROWS_WITH(chronic_stress::require_memory(wide, 1, 1, "wide.toml", eight_gib),
                    Catch::StartsWith("wide.toml: network.widths = [2, 65536, 65536, 4]: the run needs about"));
  auto big_batch = spec;
  big_batch.data.train_size = big_batch.data.batch_size = 10000000;  // 1e7 x 1282 units x 4 bytes: 51 GB per buffer
  CHECK_THROWS_WITH(chronic_stress::require_memory(big_batch, 1, 1, "batch.toml", eight_gib),
                    Catch::StartsWith("batch.toml: data.batch_size = 10000000: the run needs about"));
}
