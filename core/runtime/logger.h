// Logger: structured log lines stamped with the node's Clock, never the wall clock.
//
//   logger.info("raft.elected", {{"term", term.value()}, {"votes", 2}});
//
// produces `t=12.000000000s node=mg0 level=info event=raft.elected term=1 votes=2` on its sink.
// Events are dotted names ("dispatcher.node_down"); fields are key=value pairs whose values are
// quoted when they hold spaces. Lines below the minimum level cost one comparison. The sink is
// owned by the caller and decides where lines go (stderr, a trace file, a test's vector).
#pragma once

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <string>
#include <string_view>

#include "core/runtime/clock.h"

namespace herd {

enum class LogLevel : std::uint8_t { kDebug, kInfo, kWarning, kError };

std::string_view log_level_name(LogLevel level);
// "debug", "info", "warning" (or "warn"), "error".
Result<LogLevel> parse_log_level(std::string_view name);

struct LogField {
  LogField(std::string_view k, std::string_view v) : key(k), value(v) {}
  LogField(std::string_view k, const char* v) : key(k), value(v) {}
  LogField(std::string_view k, const std::string& v) : key(k), value(v) {}
  LogField(std::string_view k, bool v) : key(k), value(v ? "true" : "false") {}
  template <std::integral T>
  LogField(std::string_view k, T v) : key(k), value(std::to_string(v)) {}
  LogField(std::string_view k, Duration v) : key(k), value(format_duration(v)) {}
  template <typename Tag, typename Rep>
  LogField(std::string_view k, StrongInt<Tag, Rep> v) : key(k), value(std::to_string(v.value())) {}

  std::string_view key;
  std::string value;
};

struct LogLine {
  TimePoint time;
  LogLevel level;
  std::string_view node;
  std::string_view event;
  std::initializer_list<LogField> fields;
};

// The text form of a line, without a trailing newline.
std::string format_log_line(const LogLine& line);

class LogSink {
 public:
  virtual ~LogSink() = default;
  virtual void write(const LogLine& line) = 0;
};

// Writes formatted lines to a stream the caller owns.
class StreamLogSink final : public LogSink {
 public:
  explicit StreamLogSink(std::ostream& out) : out_(&out) {}
  void write(const LogLine& line) override;

 private:
  std::ostream* out_;
};

class Logger {
 public:
  Logger(const Clock& clock, std::string node, LogSink* sink, LogLevel min_level = LogLevel::kInfo)
      : clock_(&clock), node_(std::move(node)), sink_(sink), min_level_(min_level) {}

  bool enabled(LogLevel level) const { return sink_ != nullptr && level >= min_level_; }
  void set_min_level(LogLevel level) { min_level_ = level; }
  const std::string& node() const { return node_; }

  void log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields = {}) {
    if (enabled(level)) sink_->write(LogLine{clock_->now(), level, node_, event, fields});
  }
  void debug(std::string_view event, std::initializer_list<LogField> fields = {}) {
    log(LogLevel::kDebug, event, fields);
  }
  void info(std::string_view event, std::initializer_list<LogField> fields = {}) {
    log(LogLevel::kInfo, event, fields);
  }
  void warning(std::string_view event, std::initializer_list<LogField> fields = {}) {
    log(LogLevel::kWarning, event, fields);
  }
  void error(std::string_view event, std::initializer_list<LogField> fields = {}) {
    log(LogLevel::kError, event, fields);
  }

 private:
  const Clock* clock_;
  std::string node_;
  LogSink* sink_;
  LogLevel min_level_;
};

}  // namespace herd
