// Agent: a node's worker side (SwarmKit's agent). It keeps a session with the leader's
// dispatcher, runs its assigned tasks through the Executor and reports every transition.
//
// Session: register (with the join token the first time, afterwards with the node's id and
// certificate), then heartbeat at the period the manager sends; a rejection, a lost connection
// or a silent manager ends the session, and the agent registers again with the next manager of
// the list it was given, backing off from 100 ms, doubling to 8 s, with jitter. A node removed
// from the cluster stops for good. Tasks: on an assignment the agent reports ACCEPTED, PREPARING
// and READY, starts the task once its desired state is RUNNING (holds it at READY before), and
// stops it when the desired state passes RUNNING; executor events become STARTING, RUNNING,
// COMPLETE, FAILED (REJECTED when it never started) and SHUTDOWN. A full assignment set also
// reconciles the executor: tasks it still runs that the manager no longer assigns are stopped.
// Reports made while no session exists are sent after the next registration. Deterministic.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/runtime/clock.h"
#include "core/runtime/cost_meter.h"
#include "core/runtime/executor.h"
#include "core/runtime/logger.h"
#include "core/runtime/rng.h"
#include "proto/session.pb.h"

namespace herd::agent {

// Where the agent's session messages go: the node wraps them for the Transport.
class ManagerChannel {
 public:
  virtual ~ManagerChannel() = default;
  virtual void send(NodeId manager, const proto::SessionMessage& message) = 0;
};

struct AgentIdentity {
  std::string node_id;
  proto::Certificate certificate;
};

struct AgentConfig {
  std::string join_token;  // for the first registration
  std::string public_key;  // Ed25519, the node's
  proto::NodeDescription description;
  std::string addr;
  std::vector<NodeId> managers;  // where to register first
  Duration session_timeout = seconds(5);
  Duration backoff_initial = milliseconds(100);
  Duration backoff_max = seconds(8);
};

// How long a task may take to stop after SIGTERM when its spec does not say (Docker's default).
inline constexpr Duration kDefaultStopGrace = seconds(10);

class Agent final : public ExecutorListener {
 public:
  enum class State { kDisconnected, kRegistering, kConnected, kRemoved };

  // `identity` is empty on a node that has never joined. `on_identity` runs when the manager
  // gives the node its identity, so the node can persist it.
  Agent(Clock& clock, Rng& rng, Executor& executor, ManagerChannel& channel, Logger& logger,
        CostMeter& cost, AgentConfig config, AgentIdentity identity,
        std::function<void(const AgentIdentity&)> on_identity);
  ~Agent() override;
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  void start();

  // A session message from `from` (a manager).
  void on_message(NodeId from, const proto::SessionMessage& message);
  // The connection to `peer` broke.
  void on_peer_down(NodeId peer);

  void on_run_status(const RunStatus& status) override;

  State state() const { return state_; }
  // Why the cluster refused or removed this node, once state() is kRemoved.
  const std::string& removed_reason() const { return removed_reason_; }
  const AgentIdentity& identity() const { return identity_; }
  NodeId manager() const { return manager_; }
  std::size_t tasks() const { return tasks_.size(); }
  std::uint64_t registrations() const { return registrations_; }

 private:
  struct TaskEntry {
    proto::Task task;
    proto::TaskState reported = proto::TASK_STATE_ASSIGNED;
    bool started = false;
  };

  void connect();
  void session_failed(const std::string& reason);
  void send(const proto::SessionMessage& message);
  void send_heartbeat();
  void apply_assignments(const proto::Assignments& assignments);
  void assign(const proto::Task& task);
  void forget(const std::string& task_id);
  void advance(TaskEntry& entry);
  void report(const std::string& task_id, proto::TaskState state, const std::string& message,
              int exit_code = 0, const std::string& err = "");
  void flush_reports();

  Clock& clock_;
  Rng& rng_;
  Executor& executor_;
  ManagerChannel& channel_;
  Logger& logger_;
  CostMeter& cost_;
  AgentConfig config_;
  AgentIdentity identity_;
  std::function<void(const AgentIdentity&)> on_identity_;

  State state_ = State::kDisconnected;
  std::vector<NodeId> managers_;
  std::size_t next_manager_ = 0;
  NodeId manager_;
  NodeId preferred_;  // the leader a rejection named, tried first
  std::string session_id_;
  std::string removed_reason_;
  Duration heartbeat_period_ = seconds(5);
  Duration backoff_;
  ScopedTimer heartbeat_timer_;
  ScopedTimer timeout_timer_;
  ScopedTimer reconnect_timer_;
  std::uint64_t registrations_ = 0;

  std::map<std::string, TaskEntry, std::less<>> tasks_;
  std::vector<proto::TaskStatusUpdate> unsent_;
};

}  // namespace herd::agent
