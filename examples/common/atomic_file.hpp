// examples/common/atomic_file.hpp - write a file so that readers (and a
// crash) only ever see the old content or the complete new content.
#pragma once

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>

#include <unistd.h>

namespace examples {

/// Writes `content` to `path` via a uniquely named temporary file in the
/// same directory and a rename (atomic on POSIX file systems). Creates the parent directories.
/// Throws std::runtime_error naming the path on any failure; on failure the
/// temporary file is removed and `path` is untouched.
inline void write_file_atomically(const std::filesystem::path& path, std::string_view content) {
  namespace fs = std::filesystem;
  if (path.has_parent_path()) fs::create_directories(path.parent_path());
  // A name no other writer uses (pid, then a per-process counter): writers
  // of the same file in two processes or threads never share a temporary,
  // and a leftover from a killed run is never in the way.
  static std::atomic<unsigned long> counter{0};
  fs::path tmp = path;
  tmp += ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1));
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot open '" + tmp.string() + "' for writing");
    out.write(content.data(), std::streamsize(content.size()));
    out.flush();
    if (!out) {
      out.close();
      std::error_code ignored;
      fs::remove(tmp, ignored);
      throw std::runtime_error("cannot write '" + tmp.string() + "' (disk full?)");
    }
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw std::runtime_error("cannot rename '" + tmp.string() + "' to '" + path.string() +
                             "': " + ec.message());
  }
}

/// Reads a whole file; throws std::runtime_error naming the path if it cannot.
inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read '" + path.string() + "'");
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace examples
