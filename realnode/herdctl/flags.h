// herdctl's command-line flags: how a command declares them, how they are read, and parsers for
// their values.
//
// A Flag has a long name (--replicas), takes a value or not, may repeat or not, and may have a
// one-letter form (-f). parse_flag_at() reads one flag (--name VALUE, --name=VALUE or -n VALUE)
// into Args, checking it against the command's flags and the global ones (--host, --format,
// -h/--help). Every parser returns invalid_argument naming the flag and the value at fault
// ("--replicas: 'three' is not a non-negative integer"). Pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/runtime/result.h"
#include "proto/objects.pb.h"

namespace herd::herdctl {

struct Flag {
  std::string_view name;  // "replicas" for --replicas
  bool takes_value = true;
  bool repeatable = false;
  char short_name = 0;  // 'f' for -f
};

// What a command line said: flags by long name ("" as the value of a boolean), then operands.
struct Args {
  std::map<std::string, std::vector<std::string>, std::less<>> flags;
  std::vector<std::string> operands;

  bool has(std::string_view name) const { return flags.find(name) != flags.end(); }
  // The value of a flag that does not repeat; call only when has(name).
  const std::string& value(std::string_view name) const { return flags.find(name)->second.back(); }
  // Every value of a flag, none when it is absent.
  const std::vector<std::string>& values(std::string_view name) const;
  // No flags but --host, --format and --help.
  bool only_global_flags() const;
};

// Whether `token` is a flag rather than an operand ("-" alone is an operand: stdin).
bool is_flag(std::string_view token);

// Reads the flag at `args[index]`, and its value, into `parsed`; the index after them.
// `command` names the command in messages ("service create").
Result<std::size_t> parse_flag_at(const std::vector<std::string>& args, std::size_t index,
                                  const std::vector<Flag>& flags, std::string_view command,
                                  Args& parsed);

Status usage_error(std::string message);

Result<std::uint64_t> parse_uint(std::string_view flag, const std::string& text);
Result<std::int64_t> parse_int(std::string_view flag, const std::string& text);
Result<std::uint32_t> parse_uint32(std::string_view flag, const std::string& text);
// Go-style durations (500ms, 10s, 1m30s) in nanoseconds.
Result<std::int64_t> parse_duration_ns(std::string_view flag, const std::string& text);
// A number from 0 to 1.
Result<double> parse_ratio(std::string_view flag, const std::string& text);
// CPUs as a decimal ("0.5", "2") in nano-CPUs, exactly.
Result<std::int64_t> parse_cpus(std::string_view flag, const std::string& text);
// Bytes with an optional binary suffix, as docker takes them: 512m, 1g, 64k, 1048576.
Result<std::int64_t> parse_bytes(std::string_view flag, const std::string& text);
Result<std::pair<std::string, std::string>> parse_key_value(std::string_view flag,
                                                            const std::string& text);
// [PUBLISHED:]TARGET[/tcp|udp|sctp]; without PUBLISHED the cluster picks a port.
Result<proto::PortConfig> parse_publish(std::string_view flag, const std::string& text);
// A task state by its lower-case name: running, shutdown...
Result<proto::TaskState> parse_task_state(std::string_view flag, const std::string& text);

// One of `choices`, by name.
template <typename Enum>
Result<Enum> parse_choice(std::string_view flag, const std::string& text,
                          const std::vector<std::pair<std::string_view, Enum>>& choices) {
  std::string names;
  for (const auto& [name, value] : choices) {
    if (name == text) return value;
    names += (names.empty() ? "" : ", ") + std::string(name);
  }
  return usage_error("--" + std::string(flag) + ": '" + text + "' is not one of " + names);
}

}  // namespace herd::herdctl
