#include "core/manager/api/control_api.h"

#include <openssl/evp.h>

#include <algorithm>

#include "core/manager/api/spec_validation.h"
#include "core/manager/ca/root_ca.h"
#include "core/store/object_id.h"

namespace herd::manager {
namespace {

std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text;
  for (unsigned int i = 0; i < length; ++i) {
    text += kHex[digest[i] >> 4];
    text += kHex[digest[i] & 0xF];
  }
  return text;
}

proto::Secret without_data(proto::Secret secret) {
  secret.mutable_spec()->clear_data();
  return secret;
}

proto::ControlResponse ok_response() {
  proto::ControlResponse response;
  response.set_code("ok");
  return response;
}

void stamp(proto::Meta& meta, std::string id, TimePoint now) {
  meta.set_id(std::move(id));
  meta.set_created_at_ns(to_nanos(now));
  meta.set_updated_at_ns(to_nanos(now));
}

}  // namespace

void ControlApi::add_node(proto::ControlResponse& response, const proto::Node& node) const {
  proto::Node& out = *response.add_nodes();
  out = node;
  // Leadership and reachability change without store writes (Raft knows them, not the store):
  // they are filled in as the leader sees them now, as SwarmKit's node ls does.
  if (node.role() != proto::NODE_ROLE_MANAGER || context_.membership == nullptr) return;
  const NodeId member(node.manager_status().raft_id());
  if (member == kNoNode) return;
  proto::ManagerStatus& status = *out.mutable_manager_status();
  status.set_leader(member == context_.membership->self());
  status.set_reachability(context_.membership->reachable(member) ? proto::REACHABILITY_REACHABLE
                                                                 : proto::REACHABILITY_UNREACHABLE);
}

proto::ControlResponse ControlApi::error_response(const Status& status) {
  proto::ControlResponse response;
  response.set_code(std::string(status_code_name(status.code())));
  response.set_message(status.message());
  return response;
}

const proto::Service* ControlApi::find_service(const std::string& ref) const {
  if (const proto::Service* by_id = context_.store.get<proto::Service>(ref)) return by_id;
  return context_.store.table<proto::Service>().by_name(ref);
}

const proto::Node* ControlApi::find_node(const std::string& ref) const {
  if (const proto::Node* by_id = context_.store.get<proto::Node>(ref)) return by_id;
  const store::IdSet& ids = context_.store.table<proto::Node>().find(store::Index::kHostname, ref);
  return ids.size() == 1 ? context_.store.get<proto::Node>(*ids.begin()) : nullptr;
}

const proto::Network* ControlApi::find_network(const std::string& ref) const {
  if (const proto::Network* by_id = context_.store.get<proto::Network>(ref)) return by_id;
  return context_.store.table<proto::Network>().by_name(ref);
}

const proto::Secret* ControlApi::find_secret(const std::string& ref) const {
  if (const proto::Secret* by_id = context_.store.get<proto::Secret>(ref)) return by_id;
  return context_.store.table<proto::Secret>().by_name(ref);
}

void ControlApi::commit(store::WriteTx tx, Reply reply,
                        std::function<void(proto::ControlResponse&)> fill) {
  context_.proposer.propose(
      std::move(tx).release(),
      [reply = std::move(reply), fill = std::move(fill)](const Status& status) {
        if (!status.is_ok()) {
          reply(error_response(status));
          return;
        }
        proto::ControlResponse response = ok_response();
        if (fill) fill(response);
        reply(std::move(response));
      });
}

void ControlApi::handle(const proto::ControlRequest& request, Reply reply) {
  context_.cost.charge(Work::kControlApiRequest, 1);
  const store::Store& store = context_.store;
  const auto not_found = [&](std::string_view kind, const std::string& ref) {
    reply(error_response(Status::not_found(std::string(kind) + " '" + ref + "' not found")));
  };
  switch (request.request_case()) {
    case proto::ControlRequest::kCreateService:
      return create_service(request.create_service(), std::move(reply));
    case proto::ControlRequest::kUpdateService:
      return update_service(request.update_service(), std::move(reply));
    case proto::ControlRequest::kScaleService:
      return scale_service(request.scale_service(), std::move(reply));
    case proto::ControlRequest::kRemoveService:
      return remove_service(request.remove_service(), std::move(reply));
    case proto::ControlRequest::kRollbackService:
      return rollback_service(request.rollback_service(), std::move(reply));
    case proto::ControlRequest::kInspectService: {
      const proto::Service* service = find_service(request.inspect_service());
      if (service == nullptr) return not_found("service", request.inspect_service());
      proto::ControlResponse response = ok_response();
      *response.add_services() = *service;
      return reply(std::move(response));
    }
    case proto::ControlRequest::kListServices:
      return list_services(std::move(reply));
    case proto::ControlRequest::kListTasks:
      return list_tasks(request.list_tasks(), std::move(reply));
    case proto::ControlRequest::kInspectTask: {
      const proto::Task* task = store.get<proto::Task>(request.inspect_task());
      if (task == nullptr) return not_found("task", request.inspect_task());
      proto::ControlResponse response = ok_response();
      *response.add_tasks() = *task;
      return reply(std::move(response));
    }
    case proto::ControlRequest::kListNodes: {
      proto::ControlResponse response = ok_response();
      for (const auto& [id, node] : store.table<proto::Node>().all()) add_node(response, node);
      return reply(std::move(response));
    }
    case proto::ControlRequest::kInspectNode: {
      const proto::Node* node = find_node(request.inspect_node());
      if (node == nullptr) return not_found("node", request.inspect_node());
      proto::ControlResponse response = ok_response();
      *response.add_nodes() = *node;
      return reply(std::move(response));
    }
    case proto::ControlRequest::kUpdateNode:
      return update_node(request.update_node(), std::move(reply));
    case proto::ControlRequest::kPromoteNode:
      return set_desired_role(request.promote_node(), proto::NODE_ROLE_MANAGER, std::move(reply));
    case proto::ControlRequest::kDemoteNode:
      return set_desired_role(request.demote_node(), proto::NODE_ROLE_WORKER, std::move(reply));
    case proto::ControlRequest::kRemoveNode:
      return remove_node(request.remove_node(), std::move(reply));
    case proto::ControlRequest::kRotateJoinToken:
      return rotate_join_token(request.rotate_join_token(), std::move(reply));
    case proto::ControlRequest::kCreateNetwork:
      return create_network(request.create_network(), std::move(reply));
    case proto::ControlRequest::kListNetworks: {
      proto::ControlResponse response = ok_response();
      for (const auto& [id, network] : store.table<proto::Network>().all()) {
        *response.add_networks() = network;
      }
      return reply(std::move(response));
    }
    case proto::ControlRequest::kRemoveNetwork:
      return remove_network(request.remove_network(), std::move(reply));
    case proto::ControlRequest::kCreateSecret:
      return create_secret(request.create_secret(), std::move(reply));
    case proto::ControlRequest::kListSecrets: {
      proto::ControlResponse response = ok_response();
      for (const auto& [id, secret] : store.table<proto::Secret>().all()) {
        *response.add_secrets() = without_data(secret);
      }
      return reply(std::move(response));
    }
    case proto::ControlRequest::kRemoveSecret:
      return remove_secret(request.remove_secret(), std::move(reply));
    case proto::ControlRequest::kInspectCluster: {
      const auto& clusters = store.table<proto::Cluster>().all();
      if (clusters.empty()) return not_found("cluster", "default");
      proto::ControlResponse response = ok_response();
      *response.mutable_cluster() = clusters.begin()->second;
      // The CA key never leaves the managers' store.
      response.mutable_cluster()->mutable_root_ca()->clear_ca_key();
      return reply(std::move(response));
    }
    case proto::ControlRequest::kUpdateCluster:
      return update_cluster(request.update_cluster(), std::move(reply));
    case proto::ControlRequest::REQUEST_NOT_SET:
      break;
  }
  reply(error_response(Status::invalid_argument("request: empty or of an unknown kind")));
}

void ControlApi::create_service(const proto::ServiceSpec& requested, Reply reply) {
  proto::ServiceSpec spec = requested;
  apply_service_defaults(spec);
  if (Status status = validate_service_spec(spec, context_.store, ""); !status.is_ok()) {
    return reply(error_response(status));
  }
  proto::Service service;
  const std::string id = store::new_object_id(context_.rng);
  stamp(*service.mutable_meta(), id, context_.clock.now());
  *service.mutable_spec() = std::move(spec);
  service.set_spec_version(1);
  store::WriteTx tx;
  tx.create(std::move(service));
  commit(std::move(tx), std::move(reply), [this, id](proto::ControlResponse& response) {
    if (const proto::Service* created = context_.store.get<proto::Service>(id)) {
      *response.add_services() = *created;
    }
  });
}

void ControlApi::update_service(const proto::UpdateServiceRequest& request, Reply reply) {
  const proto::Service* current = find_service(request.service());
  if (current == nullptr) {
    return reply(
        error_response(Status::not_found("service '" + request.service() + "' not found")));
  }
  if (request.version() != 0 && request.version() != current->meta().version()) {
    return reply(error_response(
        Status::aborted("service " + current->spec().name() + " changed since version " +
                        std::to_string(request.version()) + " (now " +
                        std::to_string(current->meta().version()) + "); read it again")));
  }
  proto::ServiceSpec spec = request.spec();
  apply_service_defaults(spec);
  if (Status status = validate_service_spec(spec, context_.store, current->meta().id());
      !status.is_ok()) {
    return reply(error_response(status));
  }
  if (spec.mode() != current->spec().mode()) {
    return reply(error_response(Status::invalid_argument(
        "spec.mode: a service cannot change between replicated and global")));
  }
  proto::Service updated = *current;
  *updated.mutable_previous_spec() = current->spec();
  *updated.mutable_spec() = std::move(spec);
  updated.set_spec_version(current->spec_version() + 1);
  // A new spec starts a new rolling update, which also ends a paused one.
  proto::UpdateStatus* status = updated.mutable_update_status();
  status->set_state(proto::UPDATE_STATE_UPDATING);
  status->set_started_at_ns(to_nanos(context_.clock.now()));
  status->set_completed_at_ns(0);
  status->set_message("update in progress");
  updated.mutable_meta()->set_updated_at_ns(to_nanos(context_.clock.now()));
  const std::string id = current->meta().id();
  store::WriteTx tx;
  tx.update(std::move(updated));
  commit(std::move(tx), std::move(reply), [this, id](proto::ControlResponse& response) {
    if (const proto::Service* service = context_.store.get<proto::Service>(id)) {
      *response.add_services() = *service;
    }
  });
}

void ControlApi::scale_service(const proto::ScaleServiceRequest& request, Reply reply) {
  const proto::Service* current = find_service(request.service());
  if (current == nullptr) {
    return reply(
        error_response(Status::not_found("service '" + request.service() + "' not found")));
  }
  if (current->spec().mode() != proto::SERVICE_MODE_REPLICATED) {
    return reply(error_response(Status::failed_precondition(
        "service " + current->spec().name() + " is global; only replicated services scale")));
  }
  if (request.replicas() > kMaxReplicas) {
    return reply(error_response(
        Status::invalid_argument("replicas: " + std::to_string(request.replicas()) +
                                 " exceeds the maximum of " + std::to_string(kMaxReplicas))));
  }
  // Scaling changes only the replica count: no new spec version, so no rolling update.
  proto::Service updated = *current;
  updated.mutable_spec()->set_replicas(request.replicas());
  updated.mutable_meta()->set_updated_at_ns(to_nanos(context_.clock.now()));
  const std::string id = current->meta().id();
  store::WriteTx tx;
  tx.update(std::move(updated));
  commit(std::move(tx), std::move(reply), [this, id](proto::ControlResponse& response) {
    if (const proto::Service* service = context_.store.get<proto::Service>(id)) {
      *response.add_services() = *service;
    }
  });
}

void ControlApi::remove_service(const std::string& ref, Reply reply) {
  const proto::Service* service = find_service(ref);
  if (service == nullptr) {
    return reply(error_response(Status::not_found("service '" + ref + "' not found")));
  }
  store::WriteTx tx;
  tx.remove(*service);
  commit(std::move(tx), std::move(reply));
}

void ControlApi::rollback_service(const std::string& ref, Reply reply) {
  const proto::Service* current = find_service(ref);
  if (current == nullptr) {
    return reply(error_response(Status::not_found("service '" + ref + "' not found")));
  }
  if (!current->has_previous_spec()) {
    return reply(error_response(Status::failed_precondition(
        "service " + current->spec().name() + " has no previous spec to roll back to")));
  }
  proto::Service updated = *current;
  *updated.mutable_spec() = current->previous_spec();
  *updated.mutable_previous_spec() = current->spec();
  updated.set_spec_version(current->spec_version() + 1);
  proto::UpdateStatus* status = updated.mutable_update_status();
  status->set_state(proto::UPDATE_STATE_ROLLBACK_STARTED);
  status->set_started_at_ns(to_nanos(context_.clock.now()));
  status->set_completed_at_ns(0);
  status->set_message("manually requested rollback");
  const std::string id = current->meta().id();
  store::WriteTx tx;
  tx.update(std::move(updated));
  commit(std::move(tx), std::move(reply), [this, id](proto::ControlResponse& response) {
    if (const proto::Service* service = context_.store.get<proto::Service>(id)) {
      *response.add_services() = *service;
    }
  });
}

void ControlApi::list_services(Reply reply) const {
  const store::Store& store = context_.store;
  proto::ControlResponse response = ok_response();
  for (const auto& [id, service] : store.table<proto::Service>().all()) {
    std::uint64_t running = 0;
    std::uint64_t active = 0;
    for (const std::string_view task_id :
         store.table<proto::Task>().find(store::Index::kServiceId, id)) {
      const proto::Task* task = store.get<proto::Task>(task_id);
      if (task->desired_state() > proto::TASK_STATE_RUNNING) continue;
      ++active;
      if (task->status().state() == proto::TASK_STATE_RUNNING) ++running;
    }
    *response.add_services() = service;
    response.add_running(running);
    response.add_desired(
        service.spec().mode() == proto::SERVICE_MODE_GLOBAL ? active : service.spec().replicas());
  }
  reply(std::move(response));
}

void ControlApi::list_tasks(const proto::TaskFilter& filter, Reply reply) const {
  const store::Store& store = context_.store;
  const auto& tasks = store.table<proto::Task>();
  // Start from the narrowest index the filter allows.
  std::vector<std::string> candidates;
  if (!filter.service().empty()) {
    const proto::Service* service = find_service(filter.service());
    const std::string id = service != nullptr ? service->meta().id() : filter.service();
    const store::IdSet& ids = tasks.find(store::Index::kServiceId, id);
    candidates.assign(ids.begin(), ids.end());
  } else if (!filter.node().empty()) {
    const proto::Node* node = find_node(filter.node());
    const std::string id = node != nullptr ? node->meta().id() : filter.node();
    const store::IdSet& ids = tasks.find(store::Index::kNodeId, id);
    candidates.assign(ids.begin(), ids.end());
  } else {
    for (const auto& [id, task] : tasks.all()) candidates.push_back(id);
  }
  const proto::Node* node_filter = filter.node().empty() ? nullptr : find_node(filter.node());
  proto::ControlResponse response = ok_response();
  for (const std::string& id : candidates) {
    const proto::Task& task = *tasks.get(id);
    if (!filter.node().empty()) {
      const std::string wanted = node_filter != nullptr ? node_filter->meta().id() : filter.node();
      if (task.node_id() != wanted) continue;
    }
    if (!filter.desired_states().empty() &&
        std::find(filter.desired_states().begin(), filter.desired_states().end(),
                  task.desired_state()) == filter.desired_states().end()) {
      continue;
    }
    if (!filter.states().empty() && std::find(filter.states().begin(), filter.states().end(),
                                              task.status().state()) == filter.states().end()) {
      continue;
    }
    *response.add_tasks() = task;
  }
  reply(std::move(response));
}

void ControlApi::update_node(const proto::NodeUpdate& update, Reply reply) {
  const proto::Node* current = find_node(update.node());
  if (current == nullptr) {
    return reply(error_response(Status::not_found("node '" + update.node() + "' not found")));
  }
  if (update.version() != 0 && update.version() != current->meta().version()) {
    return reply(error_response(Status::aborted(
        "node " + update.node() + " changed since version " + std::to_string(update.version()))));
  }
  for (const auto& [key, value] : update.label_add()) {
    if (key.empty()) {
      return reply(error_response(Status::invalid_argument("label_add: empty label name")));
    }
  }
  proto::Node updated = *current;
  if (update.has_availability()) updated.mutable_spec()->set_availability(update.availability());
  for (const std::string& key : update.label_rm()) {
    if (updated.spec().labels().count(key) == 0) {
      return reply(error_response(
          Status::not_found("label_rm: node " + update.node() + " has no label '" + key + "'")));
    }
    updated.mutable_spec()->mutable_labels()->erase(key);
  }
  for (const auto& [key, value] : update.label_add()) {
    (*updated.mutable_spec()->mutable_labels())[key] = value;
  }
  updated.mutable_meta()->set_updated_at_ns(to_nanos(context_.clock.now()));
  const std::string id = current->meta().id();
  store::WriteTx tx;
  tx.update(std::move(updated));
  commit(std::move(tx), std::move(reply), [this, id](proto::ControlResponse& response) {
    if (const proto::Node* node = context_.store.get<proto::Node>(id))
      *response.add_nodes() = *node;
  });
}

Status ControlApi::check_demotion(const proto::Node& node) const {
  std::vector<const proto::Node*> managers;
  for (const auto& [id, candidate] : context_.store.table<proto::Node>().all()) {
    if (candidate.role() == proto::NODE_ROLE_MANAGER &&
        candidate.spec().desired_role() == proto::NODE_ROLE_MANAGER) {
      managers.push_back(&candidate);
    }
  }
  const std::string name =
      node.description().hostname().empty() ? node.meta().id() : node.description().hostname();
  if (managers.size() <= 1) {
    return Status::failed_precondition("node " + name +
                                       " is the last manager; a cluster needs at least one");
  }
  // After the change the remaining managers must still hold a quorum among themselves.
  const std::size_t remaining = managers.size() - 1;
  std::size_t reachable = 0;
  for (const proto::Node* manager : managers) {
    if (manager->meta().id() == node.meta().id()) continue;
    const NodeId raft_id(manager->manager_status().raft_id());
    const bool up = context_.membership != nullptr ? context_.membership->reachable(raft_id)
                                                   : manager->manager_status().reachability() !=
                                                         proto::REACHABILITY_UNREACHABLE;
    reachable += up ? 1 : 0;
  }
  const std::size_t quorum = remaining / 2 + 1;
  if (reachable < quorum) {
    return Status::failed_precondition("demoting " + name + " would leave " +
                                       std::to_string(reachable) + " reachable managers of " +
                                       std::to_string(remaining) + ", fewer than a quorum of " +
                                       std::to_string(quorum));
  }
  return Status::ok();
}

void ControlApi::set_desired_role(const std::string& ref, proto::NodeRole role, Reply reply) {
  const proto::Node* node = find_node(ref);
  if (node == nullptr)
    return reply(error_response(Status::not_found("node '" + ref + "' not found")));
  if (node->spec().desired_role() == role) {
    proto::ControlResponse response = ok_response();
    *response.add_nodes() = *node;
    return reply(std::move(response));
  }
  if (role == proto::NODE_ROLE_WORKER) {
    if (Status status = check_demotion(*node); !status.is_ok())
      return reply(error_response(status));
  }
  proto::Node updated = *node;
  updated.mutable_spec()->set_desired_role(role);
  const std::string id = node->meta().id();
  store::WriteTx tx;
  tx.update(std::move(updated));
  commit(std::move(tx), std::move(reply), [this, id](proto::ControlResponse& response) {
    if (const proto::Node* n = context_.store.get<proto::Node>(id)) *response.add_nodes() = *n;
  });
}

void ControlApi::remove_node(const proto::RemoveNodeRequest& request, Reply reply) {
  const proto::Node* node = find_node(request.node());
  if (node == nullptr) {
    return reply(error_response(Status::not_found("node '" + request.node() + "' not found")));
  }
  if (node->role() == proto::NODE_ROLE_MANAGER ||
      node->spec().desired_role() == proto::NODE_ROLE_MANAGER) {
    return reply(error_response(Status::failed_precondition(
        "node " + request.node() + " is a manager; demote it before removing it")));
  }
  if (node->status().state() == proto::NODE_STATE_READY && !request.force()) {
    return reply(error_response(Status::failed_precondition(
        "node " + request.node() + " is ready; stop it first or remove it with force")));
  }
  store::WriteTx tx;
  tx.remove(*node);
  commit(std::move(tx), std::move(reply));
}

void ControlApi::rotate_join_token(proto::NodeRole role, Reply reply) {
  const auto& clusters = context_.store.table<proto::Cluster>().all();
  if (clusters.empty()) return reply(error_response(Status::not_found("cluster not initialized")));
  proto::Cluster updated = clusters.begin()->second;
  if (Status status = RootCa::rotate_token(*updated.mutable_root_ca(), role, context_.rng);
      !status.is_ok()) {
    return reply(error_response(status));
  }
  store::WriteTx tx;
  tx.update(std::move(updated));
  commit(std::move(tx), std::move(reply), [this](proto::ControlResponse& response) {
    const auto& all = context_.store.table<proto::Cluster>().all();
    if (!all.empty()) {
      *response.mutable_cluster() = all.begin()->second;
      response.mutable_cluster()->mutable_root_ca()->clear_ca_key();
    }
  });
}

void ControlApi::create_network(const proto::NetworkSpec& requested, Reply reply) {
  proto::NetworkSpec spec = requested;
  if (spec.driver().empty()) spec.set_driver("overlay");
  if (Status status = validate_network_spec(spec, context_.store); !status.is_ok()) {
    return reply(error_response(status));
  }
  proto::Network network;
  const std::string id = store::new_object_id(context_.rng);
  stamp(*network.mutable_meta(), id, context_.clock.now());
  *network.mutable_spec() = std::move(spec);
  store::WriteTx tx;
  tx.create(std::move(network));
  commit(std::move(tx), std::move(reply), [this, id](proto::ControlResponse& response) {
    if (const proto::Network* n = context_.store.get<proto::Network>(id))
      *response.add_networks() = *n;
  });
}

void ControlApi::remove_network(const std::string& ref, Reply reply) {
  const proto::Network* network = find_network(ref);
  if (network == nullptr) {
    return reply(error_response(Status::not_found("network '" + ref + "' not found")));
  }
  for (const auto& [id, service] : context_.store.table<proto::Service>().all()) {
    for (const proto::NetworkAttachmentConfig& config : service.spec().task().networks()) {
      if (config.target() == network->meta().id() || config.target() == network->spec().name()) {
        return reply(error_response(
            Status::failed_precondition("network " + network->spec().name() +
                                        " is in use by service " + service.spec().name())));
      }
    }
  }
  store::WriteTx tx;
  tx.remove(*network);
  commit(std::move(tx), std::move(reply));
}

void ControlApi::create_secret(const proto::SecretSpec& spec, Reply reply) {
  if (Status status = validate_secret_spec(spec, context_.store); !status.is_ok()) {
    return reply(error_response(status));
  }
  proto::Secret secret;
  const std::string id = store::new_object_id(context_.rng);
  stamp(*secret.mutable_meta(), id, context_.clock.now());
  *secret.mutable_spec() = spec;
  secret.set_data_digest("sha256:" + sha256_hex(spec.data()));
  store::WriteTx tx;
  tx.create(std::move(secret));
  commit(std::move(tx), std::move(reply), [this, id](proto::ControlResponse& response) {
    if (const proto::Secret* s = context_.store.get<proto::Secret>(id)) {
      *response.add_secrets() = without_data(*s);
    }
  });
}

void ControlApi::remove_secret(const std::string& ref, Reply reply) {
  const proto::Secret* secret = find_secret(ref);
  if (secret == nullptr) {
    return reply(error_response(Status::not_found("secret '" + ref + "' not found")));
  }
  for (const auto& [id, service] : context_.store.table<proto::Service>().all()) {
    for (const proto::SecretReference& reference : service.spec().task().secrets()) {
      if (reference.secret_id() == secret->meta().id() ||
          reference.secret_name() == secret->spec().name()) {
        return reply(error_response(Status::failed_precondition(
            "secret " + secret->spec().name() + " is in use by service " + service.spec().name())));
      }
    }
  }
  store::WriteTx tx;
  tx.remove(*secret);
  commit(std::move(tx), std::move(reply));
}

void ControlApi::update_cluster(const proto::UpdateClusterRequest& request, Reply reply) {
  const auto& clusters = context_.store.table<proto::Cluster>().all();
  if (clusters.empty()) {
    return reply(error_response(Status::not_found("cluster not initialized")));
  }
  const proto::Cluster& current = clusters.begin()->second;
  if (request.version() != 0 && request.version() != current.meta().version()) {
    return reply(error_response(
        Status::aborted("cluster changed since version " + std::to_string(request.version()))));
  }
  if (Status status = validate_cluster_spec(request.spec()); !status.is_ok()) {
    return reply(error_response(status));
  }
  proto::Cluster updated = current;
  *updated.mutable_spec() = request.spec();
  updated.mutable_spec()->set_name(current.spec().name());
  store::WriteTx tx;
  tx.update(std::move(updated));
  commit(std::move(tx), std::move(reply), [this](proto::ControlResponse& response) {
    const auto& all = context_.store.table<proto::Cluster>().all();
    if (!all.empty()) {
      *response.mutable_cluster() = all.begin()->second;
      response.mutable_cluster()->mutable_root_ca()->clear_ca_key();
    }
  });
}

}  // namespace herd::manager
