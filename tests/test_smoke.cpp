// Smoke test: the build, the include path and Catch2 discovery work, and the
// core error-reporting helper and the float environment behave as documented.
#include <rewire/core/error.hpp>
#include <rewire/core/float_env.hpp>
#include <rewire/core/types.hpp>

#include <catch2/catch.hpp>

#include <limits>
#include <stdexcept>

TEST_CASE("require_in_range rejects out-of-range values and names the parameter",
          "[core][error]") {
  using rewire::detail::require_in_range;

  CHECK_THROWS_AS(require_in_range(2.0, 0.0, 1.0, "sparsity"), std::invalid_argument);
  CHECK_THROWS_WITH(require_in_range(2.0, 0.0, 1.0, "sparsity"),
                    Catch::Matchers::Contains("sparsity"));
  CHECK_NOTHROW(require_in_range(0.5, 0.0, 1.0, "sparsity"));
}

TEST_CASE("ScopedFlushDenormals flushes subnormals in scope and restores the mode", "[float_env]") {
  // volatile: the arithmetic must happen at run time, under the current mode.
  volatile float tiny = std::numeric_limits<float>::min();  // smallest normal
  volatile float half = 0.5f;
  const auto product = [&] { return tiny * half; };  // subnormal unless flushed
  REQUIRE(product() != 0.0f);
  {
    rewire::ScopedFlushDenormals flush;
    if (!flush.active()) {
      WARN("no floating-point control register known on this target: nothing to check");
      return;
    }
    CHECK(product() == 0.0f);
    {
      rewire::ScopedFlushDenormals off(false);  // nested, changes nothing
      CHECK(product() == 0.0f);
    }
    CHECK(product() == 0.0f);
  }
  CHECK(product() != 0.0f);  // restored
}
