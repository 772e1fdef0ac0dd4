#include "core/agent/agent.h"

#include <set>

namespace herd::agent {
namespace {

bool alive(const std::optional<RunStatus>& status) {
  return status && (status->state == RunState::kStarting || status->state == RunState::kRunning);
}

}  // namespace

Agent::Agent(Clock& clock, Rng& rng, Executor& executor, ManagerChannel& channel, Logger& logger,
             CostMeter& cost, AgentConfig config, AgentIdentity identity,
             std::function<void(const AgentIdentity&)> on_identity)
    : clock_(clock),
      rng_(rng),
      executor_(executor),
      channel_(channel),
      logger_(logger),
      cost_(cost),
      config_(std::move(config)),
      identity_(std::move(identity)),
      on_identity_(std::move(on_identity)),
      managers_(config_.managers),
      backoff_(config_.backoff_initial),
      heartbeat_timer_(clock),
      timeout_timer_(clock),
      reconnect_timer_(clock) {
  executor_.set_listener(this);
}

Agent::~Agent() { executor_.set_listener(nullptr); }

void Agent::start() {
  if (managers_.empty()) {
    logger_.error("agent.no_managers");
    return;
  }
  connect();
}

void Agent::connect() {
  if (state_ == State::kRemoved) return;
  state_ = State::kRegistering;
  if (preferred_ != kNoNode) {
    manager_ = preferred_;  // a manager told us who leads
    preferred_ = kNoNode;
  } else {
    manager_ = managers_[next_manager_++ % managers_.size()];
  }
  ++registrations_;
  proto::SessionMessage message;
  proto::RegisterRequest* request = message.mutable_register_request();
  if (identity_.node_id.empty()) {
    request->set_token(config_.join_token);
    request->set_public_key(config_.public_key);
  } else {
    request->set_node_id(identity_.node_id);
    *request->mutable_certificate() = identity_.certificate;
  }
  *request->mutable_description() = config_.description;
  request->set_addr(config_.addr);
  channel_.send(manager_, message);
  timeout_timer_.arm(config_.session_timeout, [this] { session_failed("registration timed out"); });
}

void Agent::session_failed(const std::string& reason) {
  if (state_ == State::kRemoved) return;
  logger_.info("agent.session_failed",
               {{"reason", reason}, {"manager", manager_}, {"retry_in", backoff_}});
  state_ = State::kDisconnected;
  session_id_.clear();
  heartbeat_timer_.cancel();
  timeout_timer_.cancel();
  // Jitter spreads the reconnections of thousands of agents after a leader loss.
  const Duration delay = rng_.duration_between(backoff_ / 2, backoff_);
  backoff_ = std::min(backoff_ * 2, config_.backoff_max);
  reconnect_timer_.arm(delay, [this] { connect(); });
}

void Agent::send_heartbeat() {
  proto::SessionMessage message;
  message.mutable_heartbeat()->set_session_id(session_id_);
  channel_.send(manager_, message);
  timeout_timer_.arm(config_.session_timeout, [this] { session_failed("heartbeat timed out"); });
}

void Agent::on_peer_down(NodeId peer) {
  if (peer == manager_ && state_ != State::kDisconnected) {
    session_failed("connection to the manager broke");
  }
}

void Agent::on_message(NodeId from, const proto::SessionMessage& message) {
  if (from != manager_ || state_ == State::kRemoved) return;
  switch (message.message_case()) {
    case proto::SessionMessage::kRegisterResponse: {
      if (state_ != State::kRegistering) return;
      const proto::RegisterResponse& response = message.register_response();
      if (identity_.node_id != response.node_id() || response.has_certificate()) {
        identity_.node_id = response.node_id();
        if (response.has_certificate()) identity_.certificate = response.certificate();
        if (on_identity_) on_identity_(identity_);
      }
      session_id_ = response.session_id();
      if (!response.managers().empty()) {
        managers_.clear();
        for (const proto::ManagerPeer& peer : response.managers()) {
          managers_.push_back(NodeId(peer.node_id()));
        }
        next_manager_ = 0;
      }
      heartbeat_period_ = Duration(response.heartbeat_period_ns());
      state_ = State::kConnected;
      backoff_ = config_.backoff_initial;
      timeout_timer_.cancel();
      heartbeat_timer_.arm(heartbeat_period_, [this] { send_heartbeat(); });
      logger_.info("agent.registered", {{"node", identity_.node_id}, {"manager", manager_}});
      flush_reports();
      return;
    }
    case proto::SessionMessage::kHeartbeatResponse: {
      if (state_ != State::kConnected) return;
      timeout_timer_.cancel();
      if (!message.heartbeat_response().managers().empty()) {
        managers_.clear();
        for (const proto::ManagerPeer& peer : message.heartbeat_response().managers()) {
          managers_.push_back(NodeId(peer.node_id()));
        }
      }
      const Duration period(message.heartbeat_response().period_ns());
      heartbeat_timer_.arm(period > Duration::zero() ? period : heartbeat_period_,
                           [this] { send_heartbeat(); });
      return;
    }
    case proto::SessionMessage::kAssignments:
      apply_assignments(message.assignments());
      flush_reports();
      return;
    case proto::SessionMessage::kRejected: {
      const proto::SessionRejected& rejected = message.rejected();
      // Refused identities are final: a wrong or rotated token, or a node removed from the
      // cluster, which can never come back under its old identity.
      const bool join_refused = identity_.node_id.empty() && state_ == State::kRegistering &&
                                rejected.code() != "unavailable" && rejected.code() != "not_leader";
      if (join_refused || rejected.code() == "not_found") {
        logger_.error("agent.removed", {{"reason", rejected.message()}});
        state_ = State::kRemoved;
        removed_reason_ = rejected.code() + ": " + rejected.message();
        heartbeat_timer_.cancel();
        timeout_timer_.cancel();
        reconnect_timer_.cancel();
        for (auto& [id, entry] : tasks_) {
          if (alive(executor_.inspect(id))) (void)executor_.stop(id, seconds(10));
        }
        return;
      }
      if (rejected.leader() != 0) preferred_ = NodeId(rejected.leader());
      session_failed(rejected.code() + ": " + rejected.message());
      return;
    }
    default:
      return;
  }
}

void Agent::apply_assignments(const proto::Assignments& assignments) {
  if (state_ != State::kConnected || assignments.session_id() != session_id_) return;
  if (assignments.full()) {
    std::set<std::string, std::less<>> assigned;
    for (const proto::Task& task : assignments.tasks()) assigned.insert(task.meta().id());
    std::vector<std::string> stale;
    for (const auto& [id, entry] : tasks_) {
      if (assigned.count(id) == 0) stale.push_back(id);
    }
    // After a restart the executor may still run tasks the manager has since given away.
    for (const std::string& id : executor_.list()) {
      if (assigned.count(id) == 0 && tasks_.count(id) == 0) stale.push_back(id);
    }
    for (const std::string& id : stale) forget(id);
  }
  for (const proto::Task& task : assignments.tasks()) assign(task);
  for (const std::string& id : assignments.removed()) forget(id);
}

void Agent::assign(const proto::Task& task) {
  const std::string& id = task.meta().id();
  auto [it, inserted] = tasks_.try_emplace(id);
  TaskEntry& entry = it->second;
  entry.task = task;
  if (inserted) {
    entry.reported = task.status().state();
    const std::optional<RunStatus> existing = executor_.inspect(id);
    if (existing) {
      // Still known to the executor from before a restart: adopt it as it is.
      entry.started = true;
      on_run_status(*existing);
    } else if (entry.reported >= proto::TASK_STATE_STARTING &&
               entry.reported <= proto::TASK_STATE_RUNNING) {
      // The manager believes it runs here, but it does not (it died with the node).
      report(id, proto::TASK_STATE_FAILED, "task lost: not running on this node after a restart");
    } else if (entry.reported < proto::TASK_STATE_READY) {
      report(id, proto::TASK_STATE_ACCEPTED, "accepted");
      report(id, proto::TASK_STATE_PREPARING, "preparing");
      report(id, proto::TASK_STATE_READY, "prepared");
    }
  }
  advance(entry);
}

void Agent::advance(TaskEntry& entry) {
  const std::string& id = entry.task.meta().id();
  const proto::TaskState desired = entry.task.desired_state();
  if (desired == proto::TASK_STATE_RUNNING && !entry.started &&
      entry.reported == proto::TASK_STATE_READY) {
    const Status started = executor_.start(id, entry.task.spec().container());
    if (!started.is_ok()) {
      report(id, proto::TASK_STATE_REJECTED, "start refused", 0, started.message());
      return;
    }
    entry.started = true;
    return;
  }
  if (desired > proto::TASK_STATE_RUNNING) {
    if (entry.started && alive(executor_.inspect(id))) {
      // Unset means Docker's default of 10 s between SIGTERM and SIGKILL, not zero.
      const proto::ContainerSpec& container = entry.task.spec().container();
      const Duration grace = container.has_stop_grace_period_ns()
                                 ? Duration(container.stop_grace_period_ns())
                                 : kDefaultStopGrace;
      (void)executor_.stop(id, grace);
    } else if (!entry.started && entry.reported < proto::TASK_STATE_COMPLETE) {
      report(id, proto::TASK_STATE_SHUTDOWN, "shut down before it started");
    }
  }
}

void Agent::forget(const std::string& task_id) {
  const std::optional<RunStatus> status = executor_.inspect(task_id);
  tasks_.erase(task_id);
  if (alive(status)) {
    (void)executor_.stop(task_id, seconds(10));  // removed once it reports that it stopped
  } else if (status) {
    (void)executor_.remove(task_id);
  }
}

void Agent::on_run_status(const RunStatus& status) {
  const auto it = tasks_.find(status.task_id);
  if (it == tasks_.end()) {
    // A task the manager no longer assigns: clean it up once it has ended.
    if (!alive(status)) (void)executor_.remove(status.task_id);
    return;
  }
  TaskEntry& entry = it->second;
  switch (status.state) {
    case RunState::kStarting:
      report(status.task_id, proto::TASK_STATE_STARTING, "starting");
      break;
    case RunState::kRunning:
      report(status.task_id, proto::TASK_STATE_STARTING, "starting");
      report(status.task_id, proto::TASK_STATE_RUNNING, "started");
      break;
    case RunState::kExited:
      report(status.task_id, proto::TASK_STATE_COMPLETE, "finished", status.exit_code);
      break;
    case RunState::kFailed:
      report(status.task_id,
             entry.reported < proto::TASK_STATE_STARTING ? proto::TASK_STATE_REJECTED
                                                         : proto::TASK_STATE_FAILED,
             "task failed", status.exit_code, status.message);
      break;
    case RunState::kStopped:
      report(status.task_id, proto::TASK_STATE_SHUTDOWN, "shut down", status.exit_code);
      break;
  }
  // A task asked to stop while it was starting: stop it now that it runs.
  if (status.state == RunState::kRunning &&
      entry.task.desired_state() > proto::TASK_STATE_RUNNING) {
    advance(entry);
  }
  flush_reports();
}

void Agent::report(const std::string& task_id, proto::TaskState state, const std::string& message,
                   int exit_code, const std::string& err) {
  const auto it = tasks_.find(task_id);
  if (it == tasks_.end() || state <= it->second.reported) return;
  it->second.reported = state;
  cost_.charge(Work::kAgentTask, 1);
  proto::TaskStatusUpdate& update = unsent_.emplace_back();
  update.set_task_id(task_id);
  proto::TaskStatus* status = update.mutable_status();
  status->set_state(state);
  status->set_message(message);
  status->set_timestamp_ns(to_nanos(clock_.now()));
  status->set_exit_code(exit_code);
  status->set_err(err);
}

void Agent::flush_reports() {
  if (state_ != State::kConnected || unsent_.empty()) return;
  proto::SessionMessage message;
  proto::TaskStatusReport* report = message.mutable_status_report();
  report->set_session_id(session_id_);
  for (proto::TaskStatusUpdate& update : unsent_) *report->add_updates() = std::move(update);
  unsent_.clear();
  channel_.send(manager_, message);
}

}  // namespace herd::agent
