// ProcessCluster: real realnode processes on loopback for end-to-end tests.
//
// Each node is a child process with its own state dir and log file under one temporary
// directory, listening on a free 127.0.0.1 port, with its HTTP API on a Unix socket (or on a
// loopback TCP port, for clients that speak TCP only). Shared by tests and benchmarks. Helpers
// start, kill -9 and restart nodes, run herdctl against a node, and wait for conditions with a
// deadline. The destructor kills every node and every task process whose working directory lies
// under the temporary directory (task processes outlive their worker by design), then removes
// the directory.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace herd::realnode::testing {

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `argv` to completion, capturing stdout and stderr.
CommandResult run_command(const std::vector<std::string>& argv);

// A TCP port on 127.0.0.1 that was free a moment ago.
int free_port();

// Starts `argv` (argv[0] a path) with stdout and stderr appended to `log`; returns its pid.
pid_t spawn_logged(const std::vector<std::string>& argv, const std::string& log);

class ProcessCluster {
 public:
  struct Node {
    std::string name;
    std::string state_dir;
    std::string listen;  // 127.0.0.1:PORT
    std::string api;     // unix:PATH or 127.0.0.1:PORT
    std::string log;     // stdout and stderr of the process
    pid_t pid = 0;
    std::vector<std::string> extra_flags;
  };

  enum class Api { kUnixSocket, kTcp };
  explicit ProcessCluster(Api api = Api::kUnixSocket);
  ~ProcessCluster();
  ProcessCluster(const ProcessCluster&) = delete;
  ProcessCluster& operator=(const ProcessCluster&) = delete;

  const std::string& dir() const { return dir_; }

  // `realnode init` on a new node; returns its name.
  std::string init(const std::string& name, std::vector<std::string> flags = {});
  // A new node joining through `via` with the given token.
  std::string join(const std::string& name, const std::string& via, const std::string& token,
                   bool manager, std::vector<std::string> flags = {});
  // Starts a node again from its state dir (after kill_node or a clean stop).
  void restart(const std::string& name);
  void kill_node(const std::string& name, int signal = 9);
  // Waits for the process to exit and returns its exit status (-1 on a timeout).
  int wait_exit(const std::string& name, std::chrono::milliseconds timeout);
  bool alive(const std::string& name);

  Node& node(const std::string& name) { return nodes_.at(name); }
  std::string log_of(const std::string& name);

  // herdctl --host <node's API> ARGS...
  CommandResult herdctl(const std::string& name, std::vector<std::string> args);
  // herdctl ... --format json, parsed; nullopt when it failed or printed no JSON.
  std::optional<nlohmann::json> herdctl_json(const std::string& name,
                                             std::vector<std::string> args);
  // The body of a GET on a node's API, or nullopt when it does not answer 200.
  std::optional<std::string> http_get(const std::string& name, const std::string& target);
  // GET /info of a node's API, or nullopt when it does not answer.
  std::optional<nlohmann::json> info(const std::string& name);
  // The name of the node that leads, as every live manager sees it, or empty.
  std::string leader();

  // Task processes running under the worker's state dir: pid -> task id.
  std::map<pid_t, std::string> task_processes(const std::string& name);

 private:
  pid_t spawn(Node& node, const std::vector<std::string>& args);
  Node& add_node(const std::string& name, std::vector<std::string> flags);

  Api api_;
  std::string dir_;
  std::map<std::string, Node> nodes_;
};

// Polls `condition` every 50 ms until it holds or `timeout` passes; returns whether it held.
bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

}  // namespace herd::realnode::testing
