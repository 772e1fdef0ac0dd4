#include "core/runtime/logger.h"

#include <cstdio>
#include <ostream>

namespace herd {
namespace {

void append_value(std::string& out, std::string_view value) {
  const bool needs_quotes =
      value.empty() || value.find_first_of(" \t\n\"=") != std::string_view::npos;
  if (!needs_quotes) {
    out += value;
    return;
  }
  out += '"';
  for (char c : value) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  out += '"';
}

}  // namespace

std::string_view log_level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "unknown";
}

Result<LogLevel> parse_log_level(std::string_view name) {
  if (name == "debug") return LogLevel::kDebug;
  if (name == "info") return LogLevel::kInfo;
  if (name == "warning" || name == "warn") return LogLevel::kWarning;
  if (name == "error") return LogLevel::kError;
  return Status::invalid_argument("unknown log level '" + std::string(name) +
                                  "' (expected debug, info, warning or error)");
}

std::string format_log_line(const LogLine& line) {
  const std::int64_t nanos = to_nanos(line.time);
  char time_text[48];
  std::snprintf(
      time_text, sizeof(time_text), "t=%lld.%09llds", static_cast<long long>(nanos / 1'000'000'000),
      static_cast<long long>(nanos < 0 ? -(nanos % 1'000'000'000) : nanos % 1'000'000'000));
  std::string out = time_text;
  out += " node=";
  append_value(out, line.node);
  out += " level=";
  out += log_level_name(line.level);
  out += " event=";
  out += line.event;
  for (const LogField& field : line.fields) {
    out += ' ';
    out += field.key;
    out += '=';
    append_value(out, field.value);
  }
  return out;
}

void StreamLogSink::write(const LogLine& line) { *out_ << format_log_line(line) << '\n'; }

}  // namespace herd
