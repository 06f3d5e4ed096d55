// regression_main - runs a fuzz target's LLVMFuzzerTestOneInput once on each
// file given (the seed corpus and every crash reproducer kept under
// fuzz/regressions/), without libFuzzer, so any compiler and the sanitizer
// presets run them as ordinary tests. Exit status 0: every input ended in a
// result or a clear error.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  int files = 0;
  for (int i = 1; i < argc; ++i) {
    std::vector<fs::path> paths;
    if (fs::is_directory(argv[i])) {
      for (const auto& e : fs::recursive_directory_iterator(argv[i]))
        if (e.is_regular_file()) paths.push_back(e.path());
    } else {
      paths.push_back(argv[i]);
    }
    for (const auto& p : paths) {
      std::ifstream in(p, std::ios::binary);
      const std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
      ++files;
    }
  }
  std::printf("%d inputs ran without a finding\n", files);
  return files > 0 ? 0 : 1;
}
