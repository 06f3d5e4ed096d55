// run/console.hpp - messages and progress on stderr (or a sink, e.g. a
// notebook).
//
// Worker threads and the progress loop all print through one Console, so a
// message never lands in the middle of the progress bar: it clears the bar,
// prints, and the next refresh redraws it. A terminal gets the bar (one
// line rewritten in place); a log file gets progress lines at a steady pace
// instead, so a cluster job's log shows where the run is.
#pragma once

#include <cstdio>
#include <functional>
#include <mutex>
#include <string>

namespace chronic_stress {

/// How progress is shown: a line rewritten in place (a terminal), a line
/// appended every few seconds (a log file), or not at all.
enum class ProgressMode { bar, lines, none };

/// "bar", "lines", "none".
const char* to_string(ProgressMode mode);

/// The mode named `name`; std::invalid_argument naming the allowed ones otherwise.
ProgressMode parse_progress_mode(const std::string& name);

/// bar when stderr is a terminal, else lines.
ProgressMode default_progress_mode();

class Console {
 public:
  /// `verbose`: print informational messages (not --quiet). Warnings and
  /// errors always print.
  Console(ProgressMode mode, bool verbose) : mode_(mode), verbose_(verbose) {}

  ProgressMode progress_mode() const { return mode_; }

  /// What a sink receives: a message line, a new progress bar, or a progress line.
  enum class Kind { info, warning, status, progress };
  /// Where output goes instead of stderr, e.g. a notebook (the Python
  /// module). Called under the console's lock, from any thread.
  using Sink = std::function<void(Kind, const std::string&)>;
  void set_sink(Sink sink) { sink_ = std::move(sink); }

  void info(const std::string& message) {
    if (verbose_) print(Kind::info, message);
  }
  void warn(const std::string& message) { print(Kind::warning, "warning: " + message); }

  /// Replaces the progress bar (mode bar only).
  void status(const std::string& line) {
    if (mode_ != ProgressMode::bar) return;
    std::lock_guard<std::mutex> lock(mutex_);
    if (sink_) return sink_(Kind::status, line);
    std::fprintf(stderr, "\r%s\033[K", line.c_str());
    std::fflush(stderr);
    shown_ = true;
  }
  /// Appends a progress line (mode lines only).
  void progress(const std::string& line) {
    if (mode_ == ProgressMode::lines) print(Kind::progress, "progress: " + line);
  }
  /// Removes the progress bar, e.g. before the final report.
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
  const ProgressMode mode_;
  const bool verbose_;
  bool shown_ = false;
  Sink sink_;
};

}  // namespace chronic_stress
