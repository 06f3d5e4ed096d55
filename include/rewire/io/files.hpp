// rewire/io/files.hpp - whole files in and out: the one atomic writer of
// the library (checkpoints) and of the programs built on it (result files,
// reports), and a plain reader.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>

namespace rewire::io::detail {

/// A temporary name beside `path` that no other writer (thread or process)
/// picks: an atomic write then renames it over `path`.
inline std::filesystem::path unique_temp_name(const std::filesystem::path& path) {
  static std::atomic<std::uint64_t> counter{0};
  std::random_device rd;
  const std::uint64_t r = (std::uint64_t(rd()) << 32) ^ rd() ^
                          std::uint64_t(std::chrono::steady_clock::now().time_since_epoch().count()) ^
                          std::hash<std::thread::id>()(std::this_thread::get_id());
  std::filesystem::path tmp = path;
  tmp += ".tmp-" + std::to_string(r % 1000000007u) + "-" + std::to_string(counter.fetch_add(1));
  return tmp;
}

}  // namespace rewire::io::detail

namespace rewire::io {

/// Writes `bytes` to `path` atomically: a uniquely named temporary file
/// beside it, then a rename, so a reader or a crash sees the old file or the
/// complete new one. Missing parent directories are created (as
/// `mkdir -p` would; result trees and checkpoint folders need no set-up).
/// Throws std::runtime_error naming the path; on failure `path` is
/// untouched and no temporary file is left.
inline void write_file_atomic(const std::filesystem::path& path, std::string_view bytes) {
  namespace fs = std::filesystem;
  if (path.has_parent_path()) {
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    if (ec)
      throw std::runtime_error("rewire: cannot write '" + path.string() + "': cannot create its directory '" +
                               path.parent_path().string() + "': " + ec.message());
  }
  const fs::path tmp = detail::unique_temp_name(path);
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("rewire: cannot open '" + tmp.string() + "' for writing");
    out.write(bytes.data(), std::streamsize(bytes.size()));
    out.flush();
    if (!out) {
      out.close();
      std::error_code ignored;
      fs::remove(tmp, ignored);
      throw std::runtime_error("rewire: cannot write '" + path.string() + "' (disk full or no permission?)");
    }
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw std::runtime_error("rewire: cannot rename a temporary file to '" + path.string() + "': " + ec.message());
  }
}

/// The whole content of the regular file `path`. Throws std::runtime_error
/// naming the path if it is missing, not a regular file or unreadable.
inline std::string read_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw std::runtime_error("rewire: cannot read '" + path.string() + "': not a regular file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("rewire: cannot read '" + path.string() + "'");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw std::runtime_error("rewire: cannot read '" + path.string() + "': read error");
  return bytes;
}

}  // namespace rewire::io
