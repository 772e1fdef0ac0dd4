#include "tests/realnode/process_cluster.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace herd::realnode::testing {
namespace {

namespace fs = std::filesystem;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<char*> c_argv(std::vector<std::string>& args) {
  std::vector<char*> out;
  for (std::string& arg : args) out.push_back(arg.data());
  out.push_back(nullptr);
  return out;
}

// Every process whose working directory lies under `root` (task processes and their children).
std::vector<pid_t> processes_under(const std::string& root) {
  std::vector<pid_t> pids;
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator("/proc", error)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::error_code link_error;
    const fs::path cwd = fs::read_symlink(entry.path() / "cwd", link_error);
    if (link_error) continue;
    if (cwd.string().starts_with(root)) pids.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return pids;
}

template <typename Socket>
std::optional<std::string> get_body(Socket& socket, const std::string& target) {
  namespace http = boost::beast::http;
  http::request<http::string_body> request(http::verb::get, target, 11);
  request.set(http::field::host, "localhost");
  http::write(socket, request);
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(socket, buffer, response);
  if (response.result() != http::status::ok) return std::nullopt;
  return response.body();
}

// Starts `argv` with stdout and stderr on the given descriptors; throws when it cannot.
pid_t spawn_with_output(const std::vector<std::string>& argv, int out_fd, int err_fd) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_fd, 1);
  posix_spawn_file_actions_adddup2(&actions, err_fd, 2);
  std::vector<std::string> args = argv;
  std::vector<char*> c_args = c_argv(args);
  pid_t pid = 0;
  const int error = posix_spawn(&pid, c_args[0], &actions, nullptr, c_args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (error != 0) {
    throw std::runtime_error("cannot start " + argv[0] + ": " + std::string(strerror(error)));
  }
  return pid;
}

}  // namespace

CommandResult run_command(const std::vector<std::string>& argv) {
  char out_template[] = "/tmp/herd-cmd-out-XXXXXX";
  char err_template[] = "/tmp/herd-cmd-err-XXXXXX";
  const int out_fd = ::mkstemp(out_template);
  const int err_fd = ::mkstemp(err_template);
  const pid_t pid = spawn_with_output(argv, out_fd, err_fd);
  ::close(out_fd);
  ::close(err_fd);
  CommandResult result;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = read_file(out_template);
  result.err = read_file(err_template);
  ::unlink(out_template);
  ::unlink(err_template);
  return result;
}

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return condition();
}

ProcessCluster::ProcessCluster(Api api) : api_(api) {
  char dir_template[] = "/tmp/herd-cluster-XXXXXX";
  if (::mkdtemp(dir_template) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = dir_template;
}

ProcessCluster::~ProcessCluster() {
  for (auto& [name, node] : nodes_) {
    if (node.pid > 0) {
      ::kill(node.pid, SIGKILL);
      ::waitpid(node.pid, nullptr, 0);
    }
  }
  // Tasks lead their own process groups; killing the group takes their children too.
  for (pid_t pid : processes_under(dir_)) {
    ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);
  }
  std::error_code error;
  fs::remove_all(dir_, error);
}

pid_t spawn_logged(const std::vector<std::string>& argv, const std::string& log) {
  const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  const pid_t pid = spawn_with_output(argv, log_fd, log_fd);
  ::close(log_fd);
  return pid;
}

pid_t ProcessCluster::spawn(Node& node, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {HERD_REALNODE_PATH};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), node.extra_flags.begin(), node.extra_flags.end());
  node.pid = spawn_logged(argv, node.log);
  return node.pid;
}

ProcessCluster::Node& ProcessCluster::add_node(const std::string& name,
                                               std::vector<std::string> flags) {
  Node& node = nodes_[name];
  node.name = name;
  node.state_dir = dir_ + "/" + name;
  node.listen = "127.0.0.1:" + std::to_string(free_port());
  node.api = api_ == Api::kTcp ? "127.0.0.1:" + std::to_string(free_port())
                               : "unix:" + dir_ + "/" + name + ".sock";
  node.log = dir_ + "/" + name + ".log";
  node.extra_flags = std::move(flags);
  return node;
}

std::string ProcessCluster::init(const std::string& name, std::vector<std::string> flags) {
  Node& node = add_node(name, std::move(flags));
  spawn(node, {"init", "--state-dir", node.state_dir, "--listen", node.listen, "--api", node.api,
               "--hostname", name});
  return name;
}

std::string ProcessCluster::join(const std::string& name, const std::string& via,
                                 const std::string& token, bool manager,
                                 std::vector<std::string> flags) {
  Node& node = add_node(name, std::move(flags));
  std::vector<std::string> args = {
      "--join",   nodes_.at(via).listen, "--token", token,    "--state-dir", node.state_dir,
      "--listen", node.listen,           "--api",   node.api, "--hostname",  name};
  if (manager) args.push_back("--manager");
  spawn(node, args);
  return name;
}

void ProcessCluster::restart(const std::string& name) {
  Node& node = nodes_.at(name);
  spawn(node, {"--state-dir", node.state_dir, "--api", node.api});
}

void ProcessCluster::kill_node(const std::string& name, int signal) {
  Node& node = nodes_.at(name);
  if (node.pid <= 0) return;
  ::kill(node.pid, signal);
  if (signal == SIGKILL) {
    ::waitpid(node.pid, nullptr, 0);
    node.pid = 0;
  }
}

int ProcessCluster::wait_exit(const std::string& name, std::chrono::milliseconds timeout) {
  Node& node = nodes_.at(name);
  int status = 0;
  const bool exited = wait_until(
      [&] { return node.pid > 0 && ::waitpid(node.pid, &status, WNOHANG) == node.pid; }, timeout);
  if (!exited) return -1;
  node.pid = 0;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

bool ProcessCluster::alive(const std::string& name) {
  Node& node = nodes_.at(name);
  return node.pid > 0 && ::waitpid(node.pid, nullptr, WNOHANG) == 0;
}

std::string ProcessCluster::log_of(const std::string& name) { return read_file(node(name).log); }

CommandResult ProcessCluster::herdctl(const std::string& name, std::vector<std::string> args) {
  std::vector<std::string> argv = {HERD_HERDCTL_PATH, "--host", node(name).api};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv);
}

std::optional<nlohmann::json> ProcessCluster::herdctl_json(const std::string& name,
                                                           std::vector<std::string> args) {
  args.insert(args.begin(), {"--format", "json"});
  const CommandResult result = herdctl(name, std::move(args));
  if (result.exit_code != 0) return std::nullopt;
  const nlohmann::json parsed = nlohmann::json::parse(result.out, nullptr, false);
  if (parsed.is_discarded()) return std::nullopt;
  return parsed;
}

std::optional<std::string> ProcessCluster::http_get(const std::string& name,
                                                    const std::string& target) {
  const std::string& api = node(name).api;
  try {
    boost::asio::io_context io;
    if (api.starts_with("unix:")) {
      boost::asio::local::stream_protocol::socket socket(io);
      socket.connect(boost::asio::local::stream_protocol::endpoint(api.substr(5)));
      return get_body(socket, target);
    }
    boost::asio::ip::tcp::socket socket(io);
    const std::size_t colon = api.rfind(':');
    socket.connect({boost::asio::ip::make_address(api.substr(0, colon)),
                    static_cast<unsigned short>(std::stoi(api.substr(colon + 1)))});
    return get_body(socket, target);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::optional<nlohmann::json> ProcessCluster::info(const std::string& name) {
  const std::optional<std::string> body = http_get(name, "/info");
  if (!body) return std::nullopt;
  const nlohmann::json parsed = nlohmann::json::parse(*body, nullptr, false);
  if (parsed.is_discarded()) return std::nullopt;
  return parsed;
}

std::string ProcessCluster::leader() {
  for (auto& [name, node] : nodes_) {
    if (node.pid <= 0) continue;
    const std::optional<nlohmann::json> about = info(name);
    if (about && about->value("leader", false)) return name;
  }
  return "";
}

std::map<pid_t, std::string> ProcessCluster::task_processes(const std::string& name) {
  std::map<pid_t, std::string> tasks;
  const std::string root = node(name).state_dir + "/tasks/";
  for (pid_t pid : processes_under(root)) {
    std::error_code error;
    const fs::path cwd = fs::read_symlink("/proc/" + std::to_string(pid) + "/cwd", error);
    if (error) continue;
    const std::string relative = cwd.string().substr(root.size());
    tasks[pid] = relative.substr(0, relative.find('/'));
  }
  return tasks;
}

}  // namespace herd::realnode::testing
