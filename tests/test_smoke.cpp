// Smoke test: the build, the include path and Catch2 discovery work, and the
// core error-reporting helper behaves as documented.
#include <rewire/core/error.hpp>
#include <rewire/core/types.hpp>

#include <catch2/catch.hpp>

#include <stdexcept>

TEST_CASE("require_in_range rejects out-of-range values and names the parameter",
          "[core][error]") {
  using rewire::detail::require_in_range;

  CHECK_THROWS_AS(require_in_range(2.0, 0.0, 1.0, "sparsity"), std::invalid_argument);
  CHECK_THROWS_WITH(require_in_range(2.0, 0.0, 1.0, "sparsity"),
                    Catch::Matchers::Contains("sparsity"));
  CHECK_NOTHROW(require_in_range(0.5, 0.0, 1.0, "sparsity"));
}
