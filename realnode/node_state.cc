#include "realnode/node_state.h"

#include <fcntl.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "realnode/storage/posix_file.h"

namespace herd::realnode {
namespace {

constexpr const char* kFileName = "node.json";

}  // namespace

Result<std::optional<NodeState>> load_node_state(const std::string& state_dir) {
  const std::string path = (std::filesystem::path(state_dir) / kFileName).string();
  HERD_ASSIGN_OR_RETURN(const std::optional<std::string> text, read_whole_file(path));
  if (!text) return std::optional<NodeState>();
  NodeState state;
  try {
    const nlohmann::json json = nlohmann::json::parse(*text);
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
  HERD_ASSIGN_OR_RETURN(const UniqueFd dir, open_file(state_dir, O_RDONLY | O_DIRECTORY));
  return replace_file_atomically(dir.get(), state_dir, kFileName, json.dump(2) + "\n");
}

}  // namespace herd::realnode
