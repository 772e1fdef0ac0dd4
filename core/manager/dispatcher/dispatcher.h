// Dispatcher: the leader's side of every node's session (SwarmKit's dispatcher).
//
// Registration: a new node presents a join token (the role comes from the token) and its
// public key, and gets a node id and a certificate; a known node presents its id and
// certificate. More than 3 registrations of one node within 8 s are refused (re-registration
// storms after a leader change). Heartbeats come every period (the cluster's, 5 s by default,
// with up to 0.5 s jitter, sent back in each reply); a node silent for 3 periods is marked DOWN.
// A new dispatcher (a new leader) marks every node that is not DOWN as UNKNOWN with a 6-period
// grace. No store write per heartbeat: only status changes are written, batched. Task status
// reports are kept per task (latest wins, regressions dropped) and flushed every 100 ms or at
// 10,000, as independent task-status patches. Assignments: the full set at session start, then
// changes (new task, desired state or spec changed, removed), flushed 100 ms after the last change
// or at 100 changes for one node. Deterministic: ordered maps, time from the Clock, jitter and
// ids from the Rng.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/manager/leader_context.h"
#include "proto/session.pb.h"

namespace herd::manager {

class SessionSender {
 public:
  virtual ~SessionSender() = default;
  virtual void send(NodeId to, const proto::SessionMessage& message) = 0;
};

struct DispatcherConfig {
  Duration default_heartbeat_period = seconds(5);
  Duration heartbeat_jitter = milliseconds(500);
  int grace_periods = 3;
  int leader_change_grace_periods = 6;
  Duration status_flush_interval = milliseconds(100);
  std::size_t status_flush_max = 10'000;
  Duration assignment_quiet = milliseconds(100);
  std::size_t assignment_max = 100;
  int max_registrations = 3;
  Duration registration_window = seconds(8);
};

class Dispatcher final : public store::Watcher {
 public:
  using Config = DispatcherConfig;
  using ManagerList = std::function<std::vector<proto::ManagerPeer>()>;

  Dispatcher(LeaderContext& context, SessionSender& sender, ManagerList managers,
             Config config = Config());
  ~Dispatcher() override;
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  void handle(NodeId from, const proto::SessionMessage& message);

  std::size_t sessions() const { return sessions_.size(); }
  std::uint64_t heartbeats() const { return heartbeats_; }
  Duration heartbeat_period() const;

  void on_store_event(const store::Event& event) override;
  void on_store_commit(std::uint64_t) override {}
  void on_store_reset() override {}

 private:
  struct Session {
    std::string session_id;
    NodeId peer;
  };
  struct PendingAssignments {
    std::set<std::string, std::less<>> changed;
    std::set<std::string, std::less<>> removed;
  };

  void register_node(NodeId from, const proto::RegisterRequest& request);
  void start_session(NodeId from, const std::string& node_id, proto::RegisterResponse response);
  void heartbeat(NodeId from, const proto::Heartbeat& request);
  void report(NodeId from, const proto::TaskStatusReport& report);
  void leave(NodeId from, const proto::LeaveRequest& request);
  void reject(NodeId to, const Status& status);

  // Session bookkeeping; node ids are the store's.
  const std::string* node_of_session(const std::string& session_id) const;
  void set_deadline(const std::string& node_id, Duration grace);
  void clear_deadline(const std::string& node_id);
  void arm_expiry();
  void expire();
  void end_session(const std::string& node_id);

  // Batched writes.
  void queue_node_status(const std::string& node_id, proto::NodeState state,
                         const std::string& message, const std::string& addr = "",
                         NodeId transport_id = kNoNode);
  void arm_status_flush();
  void flush_statuses();

  // Assignments.
  void send_full_assignments(const std::string& node_id);
  void queue_assignment(const std::string& node_id, const std::string& task_id, bool removed);
  void flush_assignments();
  void send_assignments(const std::string& node_id, PendingAssignments& pending);

  LeaderContext& context_;
  SessionSender& sender_;
  ManagerList managers_;
  Config config_;

  // Looked up on every heartbeat and status report, never iterated (expiry_order_ gives the
  // order): hash maps, so that 4,700 sessions cost no string-compare walk per message.
  // herd-lint: allow(unordered) lookup only, never iterated
  std::unordered_map<std::string, Session> sessions_;  // by node id
  // herd-lint: allow(unordered) lookup only, never iterated
  std::unordered_map<std::string, std::string> session_nodes_;  // session id -> node id
  // herd-lint: allow(unordered) lookup only, never iterated
  std::unordered_map<std::string, TimePoint> deadlines_;  // node id -> expiry
  std::set<std::pair<TimePoint, std::string>> expiry_order_;
  std::map<std::string, std::deque<TimePoint>, std::less<>> registrations_;
  ScopedTimer expiry_timer_;

  struct NodeStatusChange {
    proto::NodeState state;
    std::string message;
    std::string addr;
    NodeId transport_id;
  };
  std::map<std::string, NodeStatusChange, std::less<>> pending_nodes_;
  std::map<std::string, proto::TaskStatus, std::less<>> pending_tasks_;
  ScopedTimer status_timer_;

  std::map<std::string, PendingAssignments, std::less<>> pending_assignments_;
  ScopedTimer assignment_timer_;
  std::uint64_t assignment_sequence_ = 0;
  std::uint64_t heartbeats_ = 0;
};

}  // namespace herd::manager
