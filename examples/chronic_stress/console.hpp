// console.hpp - messages and the in-place progress line on stderr.
//
// Worker threads and the progress loop all print through one Console, so a
// message never lands in the middle of the progress line: it clears the line,
// prints, and the next refresh redraws it. The progress line is only drawn
// when stderr is a terminal (a log file gets no \r-rewritten lines).
#pragma once

#include <cstdio>
#include <functional>
#include <mutex>
#include <string>

namespace chronic_stress {

class Console {
 public:
  /// `progress`: draw the \r line (stderr is a TTY); `verbose`: print
  /// informational messages (not --quiet). Warnings and errors always print.
  Console(bool progress, bool verbose) : progress_(progress), verbose_(verbose) {}

  bool progress_enabled() const { return progress_; }

  /// What a sink receives: a message line, or the new progress line.
  enum class Kind { info, warning, status };
  /// Where output goes instead of stderr, e.g. a notebook (the Python
  /// module). Called under the console's lock, from any thread.
  using Sink = std::function<void(Kind, const std::string&)>;
  void set_sink(Sink sink) { sink_ = std::move(sink); }

  void info(const std::string& message) {
    if (verbose_) print(Kind::info, message);
  }
  void warn(const std::string& message) { print(Kind::warning, "warning: " + message); }

  /// Replaces the progress line (no-op unless enabled).
  void status(const std::string& line) {
    if (!progress_) return;
    std::lock_guard<std::mutex> lock(mutex_);
    if (sink_) return sink_(Kind::status, line);
    std::fprintf(stderr, "\r%s\033[K", line.c_str());
    std::fflush(stderr);
    shown_ = true;
  }
  /// Removes the progress line, e.g. before the final report.
  void clear_status() {
    std::lock_guard<std::mutex> lock(mutex_);
    clear_locked();
  }

 private:
  void print(Kind kind, const std::string& message) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (sink_) return sink_(kind, message);
    clear_locked();
    std::fprintf(stderr, "%s\n", message.c_str());
    std::fflush(stderr);
  }
  void clear_locked() {
    if (!shown_) return;
    std::fputs("\r\033[K", stderr);
    shown_ = false;
  }

  std::mutex mutex_;
  bool progress_, verbose_;
  bool shown_ = false;
  Sink sink_;
};

}  // namespace chronic_stress
