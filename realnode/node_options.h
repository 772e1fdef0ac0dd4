// NodeOptions: what a realnode process is told on its command line, parsed and checked.
//
//   realnode init --state-dir DIR --listen ADDR [--advertise ADDR] [--api ADDR] ...
//   realnode [--manager] --join ADDR --token TOKEN --state-dir DIR --listen ADDR ...
//   realnode --state-dir DIR [--listen ADDR] ...        (restart from an existing state dir)
//
// parse_node_options() never exits or throws: a bad flag, a missing value or a malformed
// address comes back as invalid_argument naming the flag and what was wrong. Which flags are
// needed depends on whether the state dir already holds a node; that is checked later, when the
// dir has been read (see NodeState).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/runtime/logger.h"
#include "core/runtime/result.h"
#include "core/runtime/time.h"

namespace herd::realnode {

enum class ExecutorKind { kProcess, kSynthetic };

struct HostPort {
  std::string host;
  std::uint16_t port = 0;

  std::string to_string() const;
};

// "HOST:PORT" with a numeric port (0 allowed only where `allow_zero_port`); "[v6]:PORT" too.
Result<HostPort> parse_host_port(std::string_view text, bool allow_zero_port);

struct NodeOptions {
  bool help = false;
  bool version = false;
  bool init = false;      // `realnode init`: bootstrap a new cluster
  bool manager = false;   // join as a manager (the token must be a manager token)
  std::string listen;     // HOST:PORT for peers; default 0.0.0.0:2377
  std::string advertise;  // HOST:PORT others dial; default the listen address when it is specific
  std::string join;       // HOST:PORT of a manager of the cluster to join
  std::string token;
  std::string state_dir;
  std::string api;  // HOST:PORT or unix:PATH; empty: no API
  std::string cpu_profile;
  std::string hostname;             // default: the machine's hostname
  std::vector<std::string> labels;  // engine labels, key=value
  LogLevel log_level = LogLevel::kInfo;
  ExecutorKind executor = ExecutorKind::kProcess;
  // Raft's tick: the election timeout is 10 ticks, heartbeats every tick (SwarmKit's defaults
  // with its 1 s tick). Tests and benchmarks on loopback use shorter ticks.
  Duration raft_tick = seconds(1);
};

Result<NodeOptions> parse_node_options(const std::vector<std::string_view>& args);

extern const std::string_view kRealnodeUsage;

}  // namespace herd::realnode
