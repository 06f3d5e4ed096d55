// The Catch2 v2 main(), compiled exactly once (object library
// rewire_catch_main) and linked into every test executable. Test files must
// NOT define CATCH_CONFIG_MAIN themselves.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
