#include "core/manager/dispatcher/dispatcher.h"

#include "core/manager/ca/root_ca.h"
#include "core/manager/orchestrator/task_factory.h"
#include "core/store/object_id.h"
#include "core/store/write_tx.h"

namespace herd::manager {
namespace {

const proto::Cluster* cluster_of(const store::Store& store) {
  const auto& clusters = store.table<proto::Cluster>().all();
  return clusters.empty() ? nullptr : &clusters.begin()->second;
}

// Tasks an agent must know about: assigned to it and not both ended and unwanted.
bool belongs_in_assignments(const proto::Task& task) {
  return task.status().state() >= proto::TASK_STATE_ASSIGNED &&
         !(has_ended(task) && task.desired_state() > proto::TASK_STATE_RUNNING);
}

}  // namespace

Dispatcher::Dispatcher(LeaderContext& context, SessionSender& sender, ManagerList managers,
                       Config config)
    : context_(context),
      sender_(sender),
      managers_(std::move(managers)),
      config_(config),
      expiry_timer_(context.clock),
      status_timer_(context.clock),
      assignment_timer_(context.clock) {
  context_.store.add_watcher(this);
  // A new leader does not know who is alive: every node that is not down gets a longer grace to
  // find us, and is UNKNOWN until it does (SwarmKit's markNodesUnknown).
  for (const auto& [id, node] : context_.store.table<proto::Node>().all()) {
    if (node.status().state() == proto::NODE_STATE_DOWN) continue;
    queue_node_status(id, proto::NODE_STATE_UNKNOWN, "leader changed; waiting for the node");
    set_deadline(id, heartbeat_period() * config_.leader_change_grace_periods);
  }
}

Dispatcher::~Dispatcher() { context_.store.remove_watcher(this); }

Duration Dispatcher::heartbeat_period() const {
  const proto::Cluster* cluster = cluster_of(context_.store);
  if (cluster == nullptr || cluster->spec().dispatcher().heartbeat_period_ns() <= 0) {
    return config_.default_heartbeat_period;
  }
  return Duration(cluster->spec().dispatcher().heartbeat_period_ns());
}

void Dispatcher::reject(NodeId to, const Status& status) {
  proto::SessionMessage message;
  proto::SessionRejected* rejected = message.mutable_rejected();
  rejected->set_code(std::string(status_code_name(status.code())));
  rejected->set_message(status.message());
  sender_.send(to, message);
}

void Dispatcher::handle(NodeId from, const proto::SessionMessage& message) {
  switch (message.message_case()) {
    case proto::SessionMessage::kRegisterRequest:
      return register_node(from, message.register_request());
    case proto::SessionMessage::kHeartbeat:
      return heartbeat(from, message.heartbeat());
    case proto::SessionMessage::kStatusReport:
      return report(from, message.status_report());
    case proto::SessionMessage::kLeave:
      return leave(from, message.leave());
    default:
      reject(from, Status::invalid_argument("session: unexpected message from a node"));
  }
}

void Dispatcher::register_node(NodeId from, const proto::RegisterRequest& request) {
  const store::Store& store = context_.store;
  const proto::Cluster* cluster = cluster_of(store);
  if (cluster == nullptr)
    return reject(from, Status::unavailable("the cluster is not initialized"));
  const TimePoint now = context_.clock.now();

  if (!request.node_id().empty()) {
    // A known node coming back.
    const proto::Node* node = store.get<proto::Node>(request.node_id());
    if (node == nullptr) {
      return reject(from,
                    Status::not_found("node " + request.node_id() +
                                      " was removed from the cluster; join again with a token"));
    }
    Result<proto::NodeRole> role =
        RootCa::verify(cluster->root_ca(), request.certificate(), request.node_id());
    if (!role.ok()) return reject(from, role.status());
    std::deque<TimePoint>& recent = registrations_[request.node_id()];
    while (!recent.empty() && recent.front() + config_.registration_window <= now) {
      recent.pop_front();
    }
    if (static_cast<int>(recent.size()) >= config_.max_registrations) {
      return reject(from, Status::unavailable(
                              "node " + request.node_id() + " registered " +
                              std::to_string(recent.size()) + " times in the last " +
                              format_duration(config_.registration_window) + "; retry later"));
    }
    recent.push_back(now);
    queue_node_status(request.node_id(), proto::NODE_STATE_READY, "", request.addr(), from);
    proto::RegisterResponse response;
    response.set_node_id(request.node_id());
    return start_session(from, request.node_id(), std::move(response));
  }

  // A new node joining with a token.
  Result<proto::NodeRole> role = RootCa::role_for_token(cluster->root_ca(), request.token());
  if (!role.ok()) return reject(from, role.status());
  const std::string node_id = store::new_object_id(context_.rng);
  const Duration expiry = cluster->spec().ca().node_cert_expiry_ns() > 0
                              ? Duration(cluster->spec().ca().node_cert_expiry_ns())
                              : kDefaultCertExpiry;
  Result<proto::Certificate> certificate =
      RootCa::issue(cluster->root_ca(), node_id, *role, request.public_key(), now, expiry);
  if (!certificate.ok()) return reject(from, certificate.status());
  context_.cost.charge(Work::kCaSignature, 1);

  proto::Node node;
  node.mutable_meta()->set_id(node_id);
  node.mutable_meta()->set_created_at_ns(to_nanos(now));
  *node.mutable_description() = request.description();
  node.mutable_status()->set_state(proto::NODE_STATE_READY);
  node.mutable_status()->set_addr(request.addr());
  node.mutable_status()->set_transport_id(from.value());
  // A manager token only asks for the role: the role manager makes it a manager once the node
  // has joined the Raft group.
  node.set_role(proto::NODE_ROLE_WORKER);
  node.mutable_spec()->set_desired_role(*role);
  *node.mutable_certificate() = *certificate;
  store::WriteTx tx;
  tx.create(std::move(node));
  proto::RegisterResponse response;
  response.set_node_id(node_id);
  *response.mutable_certificate() = std::move(certificate).value();
  response.set_ca_cert(cluster->root_ca().ca_cert());
  context_.proposer.propose(
      std::move(tx).release(),
      [this, from, node_id, response = std::move(response)](const Status& status) mutable {
        if (status.code() == StatusCode::kNotLeader) return;
        if (!status.is_ok()) return reject(from, status);
        registrations_[node_id].push_back(context_.clock.now());
        start_session(from, node_id, std::move(response));
      });
}

void Dispatcher::start_session(NodeId from, const std::string& node_id,
                               proto::RegisterResponse response) {
  // A node has at most one session: a new one replaces the old.
  end_session(node_id);
  const std::string session_id = store::new_object_id(context_.rng);
  sessions_[node_id] = Session{session_id, from};
  session_nodes_[session_id] = node_id;
  const Duration period = context_.rng.jitter(heartbeat_period(), config_.heartbeat_jitter);
  set_deadline(node_id, period * config_.grace_periods);

  response.set_session_id(session_id);
  response.set_heartbeat_period_ns(period.count());
  for (proto::ManagerPeer& peer : managers_()) *response.add_managers() = std::move(peer);
  proto::SessionMessage message;
  *message.mutable_register_response() = std::move(response);
  sender_.send(from, message);
  send_full_assignments(node_id);
}

const std::string* Dispatcher::node_of_session(const std::string& session_id) const {
  const auto it = session_nodes_.find(session_id);
  return it == session_nodes_.end() ? nullptr : &it->second;
}

void Dispatcher::heartbeat(NodeId from, const proto::Heartbeat& request) {
  const std::string* node_id = node_of_session(request.session_id());
  if (node_id == nullptr) {
    return reject(from, Status::unavailable("session " + request.session_id() +
                                            " is not known to the leader; register again"));
  }
  ++heartbeats_;
  context_.cost.charge(Work::kDispatcherHeartbeat, 1);
  const Duration period = context_.rng.jitter(heartbeat_period(), config_.heartbeat_jitter);
  set_deadline(*node_id, period * config_.grace_periods);
  proto::SessionMessage message;
  message.mutable_heartbeat_response()->set_period_ns(period.count());
  // The manager list travels with every heartbeat, so agents learn of managers added since they
  // registered and can fail over to them.
  for (proto::ManagerPeer& peer : managers_())
    *message.mutable_heartbeat_response()->add_managers() = std::move(peer);
  sender_.send(from, message);
}

void Dispatcher::report(NodeId from, const proto::TaskStatusReport& report) {
  const std::string* node_id = node_of_session(report.session_id());
  if (node_id == nullptr) {
    return reject(from, Status::unavailable("session " + report.session_id() +
                                            " is not known to the leader; register again"));
  }
  context_.cost.charge(Work::kDispatcherStatusUpdate,
                       static_cast<std::uint64_t>(report.updates_size()));
  for (const proto::TaskStatusUpdate& update : report.updates()) {
    const proto::Task* task = context_.store.get<proto::Task>(update.task_id());
    // A node reports only on its own tasks, and states only move forward.
    if (task == nullptr || task->node_id() != *node_id) continue;
    if (update.status().state() <= task->status().state()) continue;
    auto [pending, inserted] = pending_tasks_.try_emplace(update.task_id(), update.status());
    if (!inserted && update.status().state() > pending->second.state())
      pending->second = update.status();
  }
  if (pending_tasks_.size() >= config_.status_flush_max) {
    flush_statuses();
  } else {
    arm_status_flush();
  }
}

void Dispatcher::leave(NodeId from, const proto::LeaveRequest& request) {
  const std::string* found = node_of_session(request.session_id());
  if (found == nullptr) return reject(from, Status::unavailable("unknown session"));
  const std::string node_id = *found;
  const proto::Node* node = context_.store.get<proto::Node>(node_id);
  if (node != nullptr && node->role() == proto::NODE_ROLE_MANAGER) {
    return reject(from, Status::failed_precondition("node " + node_id +
                                                    " is a manager; demote it before it leaves"));
  }
  end_session(node_id);
  clear_deadline(node_id);
  queue_node_status(node_id, proto::NODE_STATE_DOWN, "node left the swarm");
}

void Dispatcher::end_session(const std::string& node_id) {
  const auto it = sessions_.find(node_id);
  if (it == sessions_.end()) return;
  session_nodes_.erase(it->second.session_id);
  pending_assignments_.erase(node_id);
  sessions_.erase(it);
}

void Dispatcher::set_deadline(const std::string& node_id, Duration grace) {
  clear_deadline(node_id);
  const TimePoint deadline = context_.clock.now() + grace;
  deadlines_[node_id] = deadline;
  expiry_order_.emplace(deadline, node_id);
  arm_expiry();
}

void Dispatcher::clear_deadline(const std::string& node_id) {
  const auto it = deadlines_.find(node_id);
  if (it == deadlines_.end()) return;
  expiry_order_.erase({it->second, node_id});
  deadlines_.erase(it);
}

void Dispatcher::arm_expiry() {
  if (expiry_order_.empty()) {
    expiry_timer_.cancel();
    return;
  }
  const Duration wait = expiry_order_.begin()->first - context_.clock.now();
  expiry_timer_.arm(std::max(wait, Duration::zero()), [this] { expire(); });
}

void Dispatcher::expire() {
  const TimePoint now = context_.clock.now();
  while (!expiry_order_.empty() && expiry_order_.begin()->first <= now) {
    const std::string node_id = expiry_order_.begin()->second;
    expiry_order_.erase(expiry_order_.begin());
    deadlines_.erase(node_id);
    end_session(node_id);
    queue_node_status(node_id, proto::NODE_STATE_DOWN, "heartbeat failure");
  }
  arm_expiry();
}

void Dispatcher::queue_node_status(const std::string& node_id, proto::NodeState state,
                                   const std::string& message, const std::string& addr,
                                   NodeId transport_id) {
  pending_nodes_[node_id] = NodeStatusChange{state, message, addr, transport_id};
  arm_status_flush();
}

void Dispatcher::arm_status_flush() {
  if (!status_timer_.armed()) {
    status_timer_.arm(config_.status_flush_interval, [this] { flush_statuses(); });
  }
}

void Dispatcher::flush_statuses() {
  status_timer_.cancel();
  if (pending_nodes_.empty() && pending_tasks_.empty()) return;
  const store::Store& store = context_.store;
  store::WriteTx tx;
  tx.set_independent_actions();
  std::map<std::string, NodeStatusChange, std::less<>> nodes;
  nodes.swap(pending_nodes_);
  for (const auto& [node_id, change] : nodes) {
    const proto::Node* node = store.get<proto::Node>(node_id);
    if (node == nullptr) continue;
    const bool addr_changes = !change.addr.empty() && change.addr != node->status().addr();
    const bool id_changes = change.transport_id != kNoNode &&
                            change.transport_id.value() != node->status().transport_id();
    if (node->status().state() == change.state && !addr_changes && !id_changes) continue;
    proto::Node updated = *node;
    updated.mutable_status()->set_state(change.state);
    updated.mutable_status()->set_message(change.message);
    if (!change.addr.empty()) updated.mutable_status()->set_addr(change.addr);
    if (change.transport_id != kNoNode)
      updated.mutable_status()->set_transport_id(change.transport_id.value());
    tx.update(std::move(updated));
  }
  for (auto& [task_id, status] : pending_tasks_) {
    const proto::Task* task = store.get<proto::Task>(task_id);
    if (task == nullptr || status.state() <= task->status().state()) continue;
    tx.task_status(task_id, 0, "", std::move(status));
  }
  pending_tasks_.clear();
  if (tx.empty()) return;
  context_.proposer.propose(std::move(tx).release(), [this, nodes](const Status& status) {
    if (status.is_ok() || status.code() == StatusCode::kNotLeader ||
        status.code() == StatusCode::kUnavailable) {
      return;
    }
    // A node write raced another write to the node: queue what is still not in the store.
    for (const auto& [node_id, change] : nodes) {
      const proto::Node* node = context_.store.get<proto::Node>(node_id);
      if (node != nullptr && node->status().state() != change.state &&
          pending_nodes_.find(node_id) == pending_nodes_.end()) {
        pending_nodes_[node_id] = change;
      }
    }
    if (!pending_nodes_.empty()) arm_status_flush();
  });
}

void Dispatcher::send_full_assignments(const std::string& node_id) {
  const auto session = sessions_.find(node_id);
  if (session == sessions_.end()) return;
  proto::SessionMessage message;
  proto::Assignments* assignments = message.mutable_assignments();
  assignments->set_session_id(session->second.session_id);
  assignments->set_full(true);
  assignments->set_sequence(++assignment_sequence_);
  for (const std::string_view task_id :
       context_.store.table<proto::Task>().find(store::Index::kNodeId, node_id)) {
    const proto::Task* task = context_.store.get<proto::Task>(task_id);
    if (belongs_in_assignments(*task)) *assignments->add_tasks() = *task;
  }
  pending_assignments_.erase(node_id);
  context_.cost.charge(Work::kDispatcherAssignment,
                       static_cast<std::uint64_t>(assignments->tasks_size()));
  sender_.send(session->second.peer, message);
}

void Dispatcher::on_store_event(const store::Event& event) {
  const auto* change = std::get_if<store::Change<proto::Task>>(&event);
  if (change == nullptr) {
    if (const auto* node = std::get_if<store::Change<proto::Node>>(&event);
        node != nullptr && node->removed()) {
      // A removed node's session ends and it cannot come back with its old identity.
      const std::string& node_id = node->before->meta().id();
      const auto session = sessions_.find(node_id);
      if (session != sessions_.end()) {
        reject(session->second.peer,
               Status::not_found("node " + node_id + " was removed from the cluster"));
      }
      end_session(node_id);
      clear_deadline(node_id);
    }
    return;
  }
  const proto::Task* before = change->before;
  const proto::Task* after = change->after;
  if (after == nullptr) {
    if (!before->node_id().empty()) queue_assignment(before->node_id(), before->meta().id(), true);
    return;
  }
  if (after->node_id().empty() || !belongs_in_assignments(*after)) return;
  // Only what the agent did not cause itself: a task new to the node, a new desired state or a
  // new spec. Status changes come from the agent and are not echoed back.
  const bool new_to_node = before == nullptr || before->node_id() != after->node_id() ||
                           !belongs_in_assignments(*before);
  const bool changed = before != nullptr && (before->desired_state() != after->desired_state() ||
                                             before->spec_version() != after->spec_version());
  if (new_to_node || changed) queue_assignment(after->node_id(), after->meta().id(), false);
}

void Dispatcher::queue_assignment(const std::string& node_id, const std::string& task_id,
                                  bool removed) {
  if (sessions_.find(node_id) == sessions_.end()) return;  // sent in full at registration
  PendingAssignments& pending = pending_assignments_[node_id];
  if (removed) {
    pending.changed.erase(task_id);
    pending.removed.insert(task_id);
  } else {
    pending.changed.insert(task_id);
  }
  if (pending.changed.size() + pending.removed.size() >= config_.assignment_max) {
    send_assignments(node_id, pending);
    pending_assignments_.erase(node_id);
    return;
  }
  // Flushed once changes have been quiet for a while.
  assignment_timer_.arm(config_.assignment_quiet, [this] { flush_assignments(); });
}

void Dispatcher::flush_assignments() {
  std::map<std::string, PendingAssignments, std::less<>> pending;
  pending.swap(pending_assignments_);
  for (auto& [node_id, changes] : pending) send_assignments(node_id, changes);
}

void Dispatcher::send_assignments(const std::string& node_id, PendingAssignments& pending) {
  const auto session = sessions_.find(node_id);
  if (session == sessions_.end()) return;
  proto::SessionMessage message;
  proto::Assignments* assignments = message.mutable_assignments();
  assignments->set_session_id(session->second.session_id);
  assignments->set_full(false);
  assignments->set_sequence(++assignment_sequence_);
  for (const std::string& task_id : pending.changed) {
    if (const proto::Task* task = context_.store.get<proto::Task>(task_id)) {
      *assignments->add_tasks() = *task;
    }
  }
  for (const std::string& task_id : pending.removed) assignments->add_removed(task_id);
  context_.cost.charge(
      Work::kDispatcherAssignment,
      static_cast<std::uint64_t>(assignments->tasks_size() + assignments->removed_size()));
  sender_.send(session->second.peer, message);
}

}  // namespace herd::manager
