// report/gnuplot.cpp - see gnuplot.hpp.
#include "report/gnuplot.hpp"

#include <rewire/io/files.hpp>

#include <fmt/format.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <stdexcept>
#include <vector>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace chronic_stress {

namespace fs = std::filesystem;

namespace {

// The stop signal (SIGINT or SIGTERM) that arrived while gnuplot ran, else 0.
volatile std::sig_atomic_t g_stop_signal = 0;
// extern "C" names share one namespace across the program: a unique name.
extern "C" void chronic_stress_gnuplot_on_stop(int sig) { g_stop_signal = sig; }

constexpr int kStopSignals[] = {SIGINT, SIGTERM};

struct Exit {
  int status = -1;  ///< exit status, or 128 + signal number
  int stop_signal = 0;  ///< SIGINT or SIGTERM if one interrupted the run, else 0
};

// Waits for `pid`. A stop signal meanwhile is forwarded to the child (it may
// not be in our terminal's process group, or the signal was sent to us
// alone, as a batch system's SIGTERM is).
Exit wait_forwarding_stop(pid_t pid, bool forward) {
  Exit e;
  int status = 0;
  for (;;) {
    const pid_t r = waitpid(pid, &status, 0);
    if (r == pid) break;
    if (r == -1 && errno != EINTR) return e;
    if (forward && g_stop_signal != 0 && e.stop_signal == 0) {
      e.stop_signal = g_stop_signal;
      kill(pid, e.stop_signal);
    }
  }
  if (e.stop_signal == 0) e.stop_signal = g_stop_signal;
  e.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return e;
}

// Catches SIGINT and SIGTERM for the lifetime of a child, and restores the
// handlers the caller had. A signal the caller ignores stays ignored.
class StopSignalsCaught {
 public:
  StopSignalsCaught() {
    struct sigaction ours {};
    ours.sa_handler = chronic_stress_gnuplot_on_stop;  // no SA_RESTART: waitpid returns EINTR
    sigemptyset(&ours.sa_mask);
    g_stop_signal = 0;
    for (int i = 0; i < 2; ++i) {
      sigaction(kStopSignals[i], nullptr, &previous_[i]);
      caught_[i] = previous_[i].sa_handler != SIG_IGN;
      if (caught_[i]) sigaction(kStopSignals[i], &ours, nullptr);
    }
  }
  ~StopSignalsCaught() {
    for (int i = 0; i < 2; ++i)
      if (caught_[i]) sigaction(kStopSignals[i], &previous_[i], nullptr);
  }
  StopSignalsCaught(const StopSignalsCaught&) = delete;
  StopSignalsCaught& operator=(const StopSignalsCaught&) = delete;
  bool any() const { return caught_[0] || caught_[1]; }

 private:
  struct sigaction previous_[2] {};
  bool caught_[2] = {false, false};
};

// Runs argv[0] (a path) with `argv` in `cwd`: stdin and stdout /dev/null,
// stderr to `err_file`. No shell is involved.
Exit run(const std::vector<std::string>& argv, const fs::path& cwd, const fs::path& err_file) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const std::string dir = cwd.string();
  const int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  const int err_fd = open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (null_fd < 0 || err_fd < 0) {
    if (null_fd >= 0) close(null_fd);
    if (err_fd >= 0) close(err_fd);
    throw std::runtime_error("cannot open /dev/null or '" + err_file.string() + "'");
  }
  const StopSignalsCaught caught;
  const pid_t pid = fork();
  if (pid == 0) {  // the child: only async-signal-safe calls until exec
    if (chdir(dir.c_str()) != 0) _exit(126);
    dup2(null_fd, 0);
    dup2(null_fd, 1);
    dup2(err_fd, 2);
    execv(args[0], args.data());
    _exit(127);
  }
  close(null_fd);
  close(err_fd);
  Exit e;
  if (pid > 0) e = wait_forwarding_stop(pid, caught.any());
  if (pid < 0) throw std::runtime_error("cannot start gnuplot (fork failed)");
  return e;
}

// After an interrupted gnuplot: the same signal again, now with the
// caller's handler (by default: the process ends, as Ctrl-C or kill asks).
[[noreturn]] void raise_interrupt(int sig) {
  std::raise(sig);
  throw std::runtime_error("interrupted while rendering figures");
}

std::string read_trimmed(const fs::path& file) {
  std::string text;
  try {
    text = rewire::io::read_file(file);
  } catch (const std::exception&) {
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text.size() > 600 ? text.substr(0, 600) + " ..." : text;
}

// `name` without a '/' is looked up in PATH, as a shell would.
std::string executable(const std::string& name) {
  // Absolute, since gnuplot starts in the figures directory.
  if (name.find('/') != std::string::npos)
    return access(name.c_str(), X_OK) == 0 ? fs::absolute(name).string() : "";
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    const std::size_t end = std::min(dirs.find(':', start), dirs.size());
    const std::string dir = end > start ? dirs.substr(start, end - start) : ".";
    const std::string candidate = dir + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return fs::absolute(candidate).string();
    start = end + 1;
  }
  return "";
}

}  // namespace

Gnuplot find_gnuplot() {
  std::string name = "gnuplot";
  if (const char* env = std::getenv("CHRONIC_STRESS_GNUPLOT"); env != nullptr && *env != '\0') name = env;
  Gnuplot g;
  const std::string missing = "gnuplot not found or not runnable ('" + name + "'; install Debian's gnuplot-nox)";
  const std::string path = executable(name);
  if (path.empty()) {
    g.problem = missing;
    return g;
  }
  const Exit e = run({path, "--version"}, fs::current_path(), "/dev/null");
  if (e.stop_signal != 0) raise_interrupt(e.stop_signal);
  if (e.status != 0) g.problem = missing;
  else g.path = path;
  return g;
}

FigureResult render_figure(const fs::path& dir, const std::string& name, const Gnuplot& gnuplot) {
  FigureResult r;
  r.name = name;
  const fs::path png = dir / (name + ".png");
  const fs::path tmp = dir / (name + ".png.tmp");
  const fs::path err_file = dir / ("." + name + ".gnuplot-stderr");
  std::error_code ignored;
  if (gnuplot.path.empty()) {
    fs::remove(png, ignored);  // a stale figure must not sit beside a new report
    r.problem = gnuplot.problem;
    return r;
  }
  // The output name is ours (a figure name), never a name read from a file.
  const Exit e = run({gnuplot.path, "-e", "outfile='" + tmp.filename().string() + "'", name + ".gp"}, dir, err_file);
  const std::string err = read_trimmed(err_file);
  fs::remove(err_file, ignored);
  if (e.stop_signal != 0) {
    fs::remove(tmp, ignored);
    raise_interrupt(e.stop_signal);
  }
  std::string why;
  if (e.status != 0 || !png_complete(tmp, why)) {
    fs::remove(tmp, ignored);
    fs::remove(png, ignored);
    r.problem = e.status != 0 ? fmt::format("gnuplot failed on {}.gp (exit status {})", name, e.status)
                              : fmt::format("gnuplot exited 0 on {}.gp but wrote no complete PNG ({})", name, why);
    if (!err.empty()) r.problem += ": " + err;
    return r;
  }
  std::error_code ec;
  fs::rename(tmp, png, ec);
  if (ec) {
    fs::remove(tmp, ignored);
    r.problem = fmt::format("cannot rename {} to {}: {}", tmp.string(), png.string(), ec.message());
    return r;
  }
  r.rendered = true;
  if (!err.empty()) r.problem = fmt::format("gnuplot warned on {}.gp: {}", name, err);  // rendered anyway
  return r;
}

bool png_complete(const fs::path& file, std::string& why) {
  std::string data;
  try {
    data = rewire::io::read_file(file);
  } catch (const std::exception&) {
    why = "no output file";
    return false;
  }
  static const std::string signature("\x89PNG\r\n\x1a\n", 8);
  if (data.compare(0, 8, signature) != 0) {
    why = "no PNG signature";
    return false;
  }
  auto be32 = [&data](std::size_t at) {
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(data[at + i]);
    return std::size_t(v);
  };
  for (std::size_t at = 8; at + 12 <= data.size();) {
    const std::string type = data.substr(at + 4, 4);
    if (at == 8 && type != "IHDR") {
      why = "the first chunk is not IHDR";
      return false;
    }
    const std::size_t next = at + 12 + be32(at);
    if (next > data.size()) {
      why = "truncated in a " + type + " chunk";
      return false;
    }
    if (type == "IEND") {
      why = next == data.size() ? "" : "data after the IEND chunk";
      return next == data.size();
    }
    at = next;
  }
  why = "truncated: no IEND chunk";
  return false;
}

}  // namespace chronic_stress
