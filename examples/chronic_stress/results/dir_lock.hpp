// results/dir_lock.hpp - one run at a time per output directory.
//
// Two runs writing the same directory would interleave their files (and,
// before temporary names were unique, break each other's writes). A run
// holds an exclusive flock(2) on DIR/.lock for its lifetime; the lock file
// holds the holder's pid, so a second run can name it. The kernel drops the
// lock when the process ends, however it ends (also SIGKILL), so a stale
// lock file never blocks a later run.
#pragma once

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace chronic_stress {

class DirLock {
 public:
  /// Creates `dir` if needed and locks it. Throws std::runtime_error naming
  /// the directory and the pid of the process that holds it.
  explicit DirLock(const std::filesystem::path& dir) {
    std::filesystem::create_directories(dir);
    const std::filesystem::path file = dir / ".lock";
    fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw std::runtime_error("cannot open '" + file.string() + "': " + std::strerror(errno));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      const std::string holder = read_pid();
      ::close(fd_);
      if (err == EWOULDBLOCK)
        throw std::runtime_error("output directory '" + dir.string() + "' is in use by another run (pid " +
                                 (holder.empty() ? std::string("unknown") : holder) +
                                 "); wait for it to end or choose another --out");
      throw std::runtime_error("cannot lock '" + file.string() + "': " + std::strerror(err));
    }
    const std::string pid = std::to_string(::getpid()) + "\n";
    // Best effort: the pid is only for the message above.
    if (::ftruncate(fd_, 0) == 0) {
      const ssize_t written = ::pwrite(fd_, pid.data(), pid.size(), 0);
      (void)written;
    }
  }
  ~DirLock() { ::close(fd_); }  // releases the lock
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;

 private:
  std::string read_pid() const {
    char b[32] = {};
    const ssize_t n = ::pread(fd_, b, sizeof b - 1, 0);
    std::string s = n > 0 ? std::string(b, std::size_t(n)) : std::string();
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s.find_first_not_of("0123456789") == std::string::npos ? s : std::string();
  }
  int fd_ = -1;
};

}  // namespace chronic_stress
