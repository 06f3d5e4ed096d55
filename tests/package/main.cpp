// Consumer of an installed rewire (see CMakeLists.txt next to this file).
//
// TODO(lead): switch to the umbrella header <rewire/rewire.hpp> once it exists,
// so the packaging test also proves that every header got installed. Only
// core/types.hpp is used for now because it is what exists today.
#include <rewire/core/types.hpp>

int main() {
  rewire::Matrix m = rewire::Matrix::Zero(2, 3);
  m(1, 2) = 1.0f;
  // Returns 0 iff the library type behaves as expected.
  return (m.rows() == 2 && m.cols() == 3 && m.sum() == 1.0f) ? 0 : 1;
}
