#include "realnode/node_state.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace herd::realnode {
namespace {

constexpr const char* kFileName = "node.json";

Status errno_status(const std::string& what, const std::string& path) {
  return Status::io_error(what + " " + path + ": " + std::strerror(errno));
}

Status fsync_path(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return errno_status("cannot open", path);
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return errno_status("cannot fsync", path);
  return Status::ok();
}

}  // namespace

Status write_file_atomically(const std::string& path, const std::string& contents) {
  const std::string temp = path + ".tmp";
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return errno_status("cannot create", temp);
  std::size_t written = 0;
  while (written < contents.size()) {
    const ssize_t n = ::write(fd, contents.data() + written, contents.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const Status status = errno_status("cannot write", temp);
      ::close(fd);
      return status;
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const Status status = errno_status("cannot fsync", temp);
    ::close(fd);
    return status;
  }
  ::close(fd);
  if (::rename(temp.c_str(), path.c_str()) != 0) return errno_status("cannot rename", temp);
  const std::string dir = std::filesystem::path(path).parent_path().string();
  return fsync_path(dir.empty() ? "." : dir, O_RDONLY | O_DIRECTORY);
}

Result<std::optional<NodeState>> load_node_state(const std::string& state_dir) {
  const std::string path = (std::filesystem::path(state_dir) / kFileName).string();
  std::ifstream in(path);
  if (!in) {
    if (!std::filesystem::exists(path)) return std::optional<NodeState>();
    return errno_status("cannot read", path);
  }
  std::stringstream text;
  text << in.rdbuf();
  NodeState state;
  try {
    const nlohmann::json json = nlohmann::json::parse(text.str());
    state.node_id = json.at("node_id").get<std::uint64_t>();
    state.cluster_id = json.at("cluster_id").get<std::string>();
    state.listen = json.at("listen").get<std::string>();
    state.advertise = json.at("advertise").get<std::string>();
    state.hostname = json.at("hostname").get<std::string>();
    state.manager = json.at("manager").get<bool>();
  } catch (const nlohmann::json::exception& e) {
    return Status::corruption(path + " is damaged: " + e.what());
  }
  if (state.node_id == 0) return Status::corruption(path + " is damaged: node_id is 0");
  return std::optional<NodeState>(state);
}

Status save_node_state(const std::string& state_dir, const NodeState& state) {
  nlohmann::json json;
  json["node_id"] = state.node_id;
  json["cluster_id"] = state.cluster_id;
  json["listen"] = state.listen;
  json["advertise"] = state.advertise;
  json["hostname"] = state.hostname;
  json["manager"] = state.manager;
  return write_file_atomically((std::filesystem::path(state_dir) / kFileName).string(),
                               json.dump(2) + "\n");
}

}  // namespace herd::realnode
