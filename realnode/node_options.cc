#include "realnode/node_options.h"

#include <charconv>
#include <optional>

namespace herd::realnode {

const std::string_view kRealnodeUsage =
    R"(realnode: one herd node (manager or worker) over real TCP, disks and processes.

Usage:
  realnode init --state-dir DIR [--listen ADDR] [--advertise ADDR] [--api ADDR] [flags]
      creates a new cluster with this node as its first manager and prints the join commands
  realnode --join ADDR --token TOKEN --state-dir DIR [--manager] [--listen ADDR] [flags]
      joins the cluster a manager at ADDR belongs to; the token decides the role
  realnode --state-dir DIR [flags]
      restarts the node whose state DIR holds

Flags:
  --listen HOST:PORT     where peers connect (default 0.0.0.0:2377)
  --advertise HOST:PORT  the address other nodes dial (default: --listen, when not 0.0.0.0)
  --join HOST:PORT       a manager of the cluster to join
  --token TOKEN          the join token (SWMTKN-1-...) from `herdctl swarm join-token`
  --manager              expect to join as a manager (refused unless the token is a manager's)
  --state-dir DIR        the node's WAL, snapshots, identity and task directories
  --api ADDR             serve the HTTP/JSON control API on HOST:PORT or unix:PATH
  --hostname NAME        the name the node registers with (default: this machine's)
  --label KEY=VALUE      an engine label of the node (repeatable)
  --executor KIND        process (default: tasks are child processes) or synthetic
                         (simulated tasks on the real clock, for control-plane benchmarks)
  --raft-tick DURATION   Raft's tick (default 1s; elections after 10-20 ticks)
  --cpu-profile FILE     write a gperftools CPU profile of the whole run to FILE
  --log-level LEVEL      debug, info (default), warning or error
  --help, --version
)";

std::string HostPort::to_string() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

Result<HostPort> parse_host_port(std::string_view text, bool allow_zero_port) {
  const std::string quoted = "\"" + std::string(text) + "\"";
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return Status::invalid_argument("address " + quoted + " is not HOST:PORT");
  }
  std::string_view host = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  if (host.front() == '[') {
    if (host.back() != ']' || host.size() < 3) {
      return Status::invalid_argument("address " + quoted + " has an unclosed [IPv6] host");
    }
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return Status::invalid_argument("address " + quoted + ": write an IPv6 host as [HOST]:PORT");
  }
  unsigned port = 0;
  const auto [end, error] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || error != std::errc() || end != port_text.data() + port_text.size() ||
      port > 65535) {
    return Status::invalid_argument("address " + quoted + " has no valid port (0-65535)");
  }
  if (port == 0 && !allow_zero_port) {
    return Status::invalid_argument("address " + quoted + " needs a port other than 0");
  }
  return HostPort{std::string(host), static_cast<std::uint16_t>(port)};
}

Result<NodeOptions> parse_node_options(const std::vector<std::string_view>& args) {
  NodeOptions options;
  std::size_t i = 0;
  if (!args.empty() && args[0] == "init") {
    options.init = true;
    i = 1;
  }
  for (; i < args.size(); ++i) {
    const std::string_view flag = args[i];
    const auto value = [&]() -> Result<std::string> {
      if (i + 1 >= args.size() || args[i + 1].starts_with("--")) {
        return Status::invalid_argument(std::string(flag) + " needs a value");
      }
      return std::string(args[++i]);
    };
    const auto address = [&](std::string& out, bool allow_zero) -> Status {
      HERD_ASSIGN_OR_RETURN(std::string text, value());
      const Result<HostPort> parsed = parse_host_port(text, allow_zero);
      if (!parsed.ok()) {
        return Status::invalid_argument(std::string(flag) + ": " + parsed.status().message());
      }
      out = std::move(text);
      return Status::ok();
    };
    if (flag == "--help" || flag == "-h") {
      options.help = true;
    } else if (flag == "--version") {
      options.version = true;
    } else if (flag == "--manager") {
      options.manager = true;
    } else if (flag == "--listen") {
      HERD_RETURN_IF_ERROR(address(options.listen, /*allow_zero=*/false));
    } else if (flag == "--advertise") {
      HERD_RETURN_IF_ERROR(address(options.advertise, /*allow_zero=*/false));
    } else if (flag == "--join") {
      HERD_RETURN_IF_ERROR(address(options.join, /*allow_zero=*/false));
    } else if (flag == "--token") {
      HERD_ASSIGN_OR_RETURN(options.token, value());
    } else if (flag == "--state-dir") {
      HERD_ASSIGN_OR_RETURN(options.state_dir, value());
    } else if (flag == "--api") {
      HERD_ASSIGN_OR_RETURN(options.api, value());
      if (!options.api.starts_with("unix:")) {
        const Result<HostPort> parsed = parse_host_port(options.api, /*allow_zero_port=*/true);
        if (!parsed.ok()) {
          return Status::invalid_argument("--api: " + parsed.status().message() +
                                          " (or unix:PATH)");
        }
      } else if (options.api.size() == 5) {
        return Status::invalid_argument("--api unix: needs a socket path");
      }
    } else if (flag == "--cpu-profile") {
      HERD_ASSIGN_OR_RETURN(options.cpu_profile, value());
    } else if (flag == "--hostname") {
      HERD_ASSIGN_OR_RETURN(options.hostname, value());
    } else if (flag == "--label") {
      HERD_ASSIGN_OR_RETURN(std::string label, value());
      const std::size_t equals = label.find('=');
      if (equals == std::string::npos || equals == 0) {
        return Status::invalid_argument("--label \"" + label + "\" is not KEY=VALUE");
      }
      options.labels.push_back(std::move(label));
    } else if (flag == "--executor") {
      HERD_ASSIGN_OR_RETURN(const std::string kind, value());
      if (kind == "process") {
        options.executor = ExecutorKind::kProcess;
      } else if (kind == "synthetic") {
        options.executor = ExecutorKind::kSynthetic;
      } else {
        return Status::invalid_argument("--executor \"" + kind +
                                        "\" is unknown (process or synthetic)");
      }
    } else if (flag == "--raft-tick") {
      HERD_ASSIGN_OR_RETURN(const std::string text, value());
      const Result<Duration> tick = parse_duration(text);
      if (!tick.ok() || *tick < milliseconds(10)) {
        return Status::invalid_argument("--raft-tick \"" + text +
                                        "\" is not a duration of at least 10ms");
      }
      options.raft_tick = *tick;
    } else if (flag == "--log-level") {
      HERD_ASSIGN_OR_RETURN(const std::string text, value());
      const Result<LogLevel> level = parse_log_level(text);
      if (!level.ok()) {
        return Status::invalid_argument("--log-level \"" + text +
                                        "\" is unknown (debug, info, warning, error)");
      }
      options.log_level = *level;
    } else {
      return Status::invalid_argument("unknown flag \"" + std::string(flag) + "\"");
    }
  }
  if (options.help || options.version) return options;
  if (options.state_dir.empty()) return Status::invalid_argument("--state-dir is required");
  if (options.init && (!options.join.empty() || !options.token.empty())) {
    return Status::invalid_argument("init creates a new cluster; it takes no --join or --token");
  }
  if (options.join.empty() != options.token.empty()) {
    return Status::invalid_argument(options.join.empty() ? "--token needs --join ADDR"
                                                         : "--join needs --token TOKEN");
  }
  if (options.manager && options.join.empty()) {
    return Status::invalid_argument("--manager only applies when joining (--join, --token)");
  }
  return options;
}

}  // namespace herd::realnode
