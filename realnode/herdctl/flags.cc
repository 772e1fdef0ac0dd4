#include "realnode/herdctl/flags.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>

#include "core/runtime/time.h"

namespace herd::herdctl {
namespace {

const std::vector<Flag> kGlobalFlags = {{"host"}, {"format"}, {"help", false, false, 'h'}};

std::string flag_text(std::string_view name) { return "--" + std::string(name); }

const Flag* find_flag(const std::vector<Flag>& flags, std::string_view name, char short_name) {
  for (const std::vector<Flag>* set : {&flags, &kGlobalFlags}) {
    for (const Flag& flag : *set) {
      if (short_name != 0 ? flag.short_name == short_name : flag.name == name) return &flag;
    }
  }
  return nullptr;
}

}  // namespace

const std::vector<std::string>& Args::values(std::string_view name) const {
  static const std::vector<std::string> kNone;
  const auto it = flags.find(name);
  return it == flags.end() ? kNone : it->second;
}

bool Args::only_global_flags() const {
  return std::all_of(flags.begin(), flags.end(), [](const auto& entry) {
    return std::any_of(kGlobalFlags.begin(), kGlobalFlags.end(),
                       [&](const Flag& flag) { return flag.name == entry.first; });
  });
}

bool is_flag(std::string_view token) { return token.size() >= 2 && token[0] == '-'; }

Result<std::size_t> parse_flag_at(const std::vector<std::string>& args, std::size_t index,
                                  const std::vector<Flag>& flags, std::string_view command,
                                  Args& parsed) {
  const std::string& token = args[index];
  const bool long_form = token.starts_with("--");
  const std::size_t equals = long_form ? token.find('=') : std::string::npos;
  const std::string name =
      token.substr(long_form ? 2 : 1, equals == std::string::npos ? std::string::npos : equals - 2);
  const Flag* flag =
      long_form || name.size() == 1 ? find_flag(flags, name, long_form ? 0 : name[0]) : nullptr;
  if (flag == nullptr) {
    return usage_error("unknown flag '" + token.substr(0, equals) + "' for '" +
                       std::string(command) + "'");
  }
  std::string value;
  if (!flag->takes_value) {
    if (equals != std::string::npos) return usage_error(flag_text(flag->name) + " takes no value");
  } else if (equals != std::string::npos) {
    value = token.substr(equals + 1);
  } else if (index + 1 < args.size()) {
    value = args[++index];
  } else {
    return usage_error(flag_text(flag->name) + " needs a value");
  }
  std::vector<std::string>& values = parsed.flags[std::string(flag->name)];
  if (!values.empty() && !flag->repeatable) {
    return usage_error(flag_text(flag->name) + " given more than once");
  }
  values.push_back(std::move(value));
  return index + 1;
}

Status usage_error(std::string message) { return Status::invalid_argument(std::move(message)); }

Result<std::uint64_t> parse_uint(std::string_view flag, const std::string& text) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
    return usage_error(flag_text(flag) + ": '" + text + "' is not a non-negative integer");
  }
  return value;
}

Result<std::int64_t> parse_int(std::string_view flag, const std::string& text) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
    return usage_error(flag_text(flag) + ": '" + text + "' is not an integer");
  }
  return value;
}

Result<std::uint32_t> parse_uint32(std::string_view flag, const std::string& text) {
  HERD_ASSIGN_OR_RETURN(const std::uint64_t value, parse_uint(flag, text));
  if (value > std::numeric_limits<std::uint32_t>::max()) {
    return usage_error(flag_text(flag) + ": " + text + " is too large");
  }
  return static_cast<std::uint32_t>(value);
}

Result<std::int64_t> parse_duration_ns(std::string_view flag, const std::string& text) {
  Result<Duration> duration = parse_duration(text);
  if (!duration.ok()) {
    return usage_error(flag_text(flag) + ": '" + text +
                       "' is not a duration such as 500ms, 10s or 1m30s");
  }
  return duration->count();
}

Result<double> parse_ratio(std::string_view flag, const std::string& text) {
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || value < 0 ||
      value > 1) {
    return usage_error(flag_text(flag) + ": '" + text + "' is not a number from 0 to 1");
  }
  return value;
}

// CPUs as a decimal ("0.5", "2") in nano-CPUs, exactly: no floating point on the way.
Result<std::int64_t> parse_cpus(std::string_view flag, const std::string& text) {
  const auto bad = [&] {
    return usage_error(flag_text(flag) + ": '" + text + "' is not a number of CPUs such as 0.5");
  };
  const std::size_t dot = text.find('.');
  const std::string whole = text.substr(0, dot);
  std::string fraction = dot == std::string::npos ? "" : text.substr(dot + 1);
  if ((whole.empty() && fraction.empty()) || fraction.size() > 9) return bad();
  std::int64_t nanos = 0;
  if (!whole.empty()) {
    const Result<std::uint64_t> cpus = parse_uint(flag, whole);
    if (!cpus.ok() || *cpus > 1'000'000) return bad();
    nanos = static_cast<std::int64_t>(*cpus) * 1'000'000'000;
  }
  if (!fraction.empty()) {
    fraction.append(9 - fraction.size(), '0');
    const Result<std::uint64_t> part = parse_uint(flag, fraction);
    if (!part.ok()) return bad();
    nanos += static_cast<std::int64_t>(*part);
  }
  return nanos;
}

Result<std::int64_t> parse_bytes(std::string_view flag, const std::string& text) {
  std::string number;
  for (char c : text) number += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  // "512mb" means "512m"; "100b" is 100 bytes.
  if (number.ends_with('b')) number.pop_back();
  std::int64_t unit = 1;
  constexpr std::string_view kSuffixes = "kmg";
  if (const std::size_t power = number.empty() ? std::string::npos : kSuffixes.find(number.back());
      power != std::string_view::npos) {
    unit = std::int64_t{1} << (10 * (power + 1));
    number.pop_back();
  }
  const Result<std::uint64_t> count = parse_uint(flag, number);
  if (!count.ok() ||
      *count > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max() / unit)) {
    return usage_error(flag_text(flag) + ": '" + text + "' is not a size such as 512m or 2g");
  }
  return static_cast<std::int64_t>(*count) * unit;
}

Result<std::pair<std::string, std::string>> parse_key_value(std::string_view flag,
                                                            const std::string& text) {
  const std::size_t equals = text.find('=');
  if (equals == std::string::npos || equals == 0) {
    return usage_error(flag_text(flag) + ": '" + text + "' is not KEY=VALUE");
  }
  return std::make_pair(text.substr(0, equals), text.substr(equals + 1));
}

Result<proto::PortConfig> parse_publish(std::string_view flag, const std::string& text) {
  const auto bad = [&] {
    return usage_error(flag_text(flag) + ": '" + text +
                       "' is not [PUBLISHED:]TARGET[/tcp|udp|sctp], such as 8080:80");
  };
  proto::PortConfig port;
  std::string ports = text;
  if (const std::size_t slash = text.find('/'); slash != std::string::npos) {
    ports = text.substr(0, slash);
    const Result<proto::PortProtocol> protocol =
        parse_choice<proto::PortProtocol>(flag, text.substr(slash + 1),
                                          {{"tcp", proto::PORT_PROTOCOL_TCP},
                                           {"udp", proto::PORT_PROTOCOL_UDP},
                                           {"sctp", proto::PORT_PROTOCOL_SCTP}});
    if (!protocol.ok()) return bad();
    port.set_protocol(*protocol);
  }
  const std::size_t colon = ports.find(':');
  const auto port_number = [&](const std::string& number) -> Result<std::uint32_t> {
    const Result<std::uint64_t> value = parse_uint(flag, number);
    if (!value.ok() || *value == 0 || *value > 65535) return bad();
    return static_cast<std::uint32_t>(*value);
  };
  if (colon != std::string::npos) {
    HERD_ASSIGN_OR_RETURN(const std::uint32_t published, port_number(ports.substr(0, colon)));
    port.set_published_port(published);
  }
  HERD_ASSIGN_OR_RETURN(const std::uint32_t target,
                        port_number(colon == std::string::npos ? ports : ports.substr(colon + 1)));
  port.set_target_port(target);
  return port;
}

Result<proto::TaskState> parse_task_state(std::string_view flag, const std::string& text) {
  std::string name = "TASK_STATE_";
  for (char c : text) name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  proto::TaskState state;
  if (text.empty() || !proto::TaskState_Parse(name, &state)) {
    return usage_error(flag_text(flag) + ": '" + text +
                       "' is not a task state (new, pending, assigned, accepted, preparing, "
                       "ready, starting, running, complete, shutdown, failed, rejected, remove, "
                       "orphaned)");
  }
  return state;
}

}  // namespace herd::herdctl
