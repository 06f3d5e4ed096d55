// fuzz_checkpoint - libFuzzer target for the checkpoint reader: the zip and
// .npy parsers (io/npz.hpp), the JSON manifest (io/json.hpp) and the checks
// that build a network (io/checkpoint.hpp). Every input must end in a
// checkpoint or a FormatError; anything else (another exception, a crash, a
// sanitizer report) is a finding.
#include <rewire/io/checkpoint.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    rewire::io::Checkpoint c = rewire::io::detail::read_checkpoint(rewire::io::parse_npz(bytes));
    (void)c.net.num_weights();  // a loaded network is complete
  } catch (const rewire::io::FormatError&) {
  }
  return 0;
}
