// rewire/core/with_flags.hpp - run-time flags made compile-time.
//
// A hot loop with a few boolean options (noise on/off, tanh or ReLU, ...)
// is compiled once per combination, without branches inside: the caller
// writes the loop once, as a generic lambda of std::bool_constant flags.
#pragma once

#include <type_traits>

namespace rewire {

namespace detail {
/// f(std::bool_constant<a>{}, ...): runtime flags made compile-time, so that
/// a hot loop is compiled once per combination, without branches inside.
template <class F>
void with_flags(bool a, F&& f) {
  if (a)
    f(std::true_type{});
  else
    f(std::false_type{});
}
template <class F>
void with_flags(bool a, bool b, F&& f) {
  with_flags(a, [&](auto x) { with_flags(b, [&](auto y) { f(x, y); }); });
}
template <class F>
void with_flags(bool a, bool b, bool c, F&& f) {
  with_flags(a, [&](auto x) { with_flags(b, c, [&](auto y, auto z) { f(x, y, z); }); });
}
}  // namespace detail

}  // namespace rewire
