// test_assert.cpp - REWIRE_ASSERT guards the sparse kernels' inner loops.
//
// A user may define REWIRE_ASSERT before including rewire (as Eigen's
// eigen_assert); here it throws, so that a broken invariant reaching the
// inner kernel (a corrupt pattern the public kernels would have refused) is
// seen as an exception, and an intact one passes. This executable defines
// the macro for all of its sources, so no other definition meets it.
#include <stdexcept>
#define REWIRE_ASSERT(cond) ((cond) ? (void)0 : throw std::logic_error("REWIRE_ASSERT(" #cond ")"))

#include <rewire/kernels/sparse_linear.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

using rewire::Index;

namespace {

// out(:, q) = sum_k val[k] * src(:, idx[k]) over a 3-row batch, 2 source
// columns and 2 lines: line 0 reads column 1, line 1 reads columns 0 and 1.
struct Case {
  std::vector<float> src{1, 2, 3, 10, 20, 30};  // column-major 3 x 2
  std::vector<std::int32_t> ptr{0, 1, 3};
  std::vector<std::int32_t> idx{1, 0, 1};
  std::vector<float> val{2, 1, -1};
  std::vector<float> out = std::vector<float>(6, -7.0f);

  void run() {
    rewire::SparseScratch<float> scratch;
    rewire::detail::sparse_axpy<float>(out.data(), src.data(), 3, 2, 2, ptr.data(), idx.data(), val.data(),
                                       nullptr, nullptr, rewire::detail::Epilogue<float>{}, scratch,
                                       rewire::active_isa());
  }
};

}  // namespace

TEST_CASE("an intact pattern passes the inner kernel's assertions and gives the products") {
  Case c;
  REQUIRE_NOTHROW(c.run());
  CHECK(c.out == std::vector<float>{20, 40, 60, -9, -18, -27});
}

TEST_CASE("a column index outside the source is caught by REWIRE_ASSERT in the inner kernel") {
  Case c;
  c.idx[2] = 2;  // the source has columns 0 and 1
  CHECK_THROWS_WITH(c.run(), Catch::Contains("idx[k] >= 0 && Index(idx[k]) < src_cols"));
  c.idx[2] = -1;
  CHECK_THROWS_AS(c.run(), std::logic_error);
}

TEST_CASE("line pointers that fall or do not start at 0 are caught by REWIRE_ASSERT") {
  Case c;
  c.ptr = {0, 2, 1};
  CHECK_THROWS_WITH(c.run(), Catch::Contains("ptr[q] <= ptr[q + 1]"));
  Case d;
  d.ptr = {1, 1, 3};
  CHECK_THROWS_WITH(d.run(), Catch::Contains("ptr[0] == 0"));
}

TEST_CASE("a pattern whose values permutation leaves the values is caught by REWIRE_ASSERT at the kernel entry") {
  // Sizes and line pointers are checked in every build type; the O(nnz)
  // indices are asserted where REWIRE_ASSERT is on (here: it throws).
  rewire::Matrix mask(2, 2);
  mask << 1, 0, 1, 1;
  rewire::SparsePattern p = rewire::make_sparse_pattern(mask);
  const std::vector<float> w{1, 2, 3};
  const rewire::Matrix X = rewire::Matrix::Ones(4, 2);
  const rewire::Vector b = rewire::Vector::Zero(2);
  rewire::SparseScratch<float> scratch;
  rewire::Matrix Y;
  REQUIRE_NOTHROW(rewire::sparse_linear_forward(Y, X, p, w, b, scratch));
  p.csr_to_csc[2] = 1000;  // the forward would read w[1000]
  CHECK_THROWS_AS(rewire::sparse_linear_forward(Y, X, p, w, b, scratch), std::logic_error);
}
