#include "scenarios/runner.h"

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "reports/html_report.h"
#include "scenarios/message_kind.h"
#include "scenarios/sim_cluster.h"

namespace herd::scenarios {
namespace {

using nlohmann::json;

double seconds_of(Duration d) { return static_cast<double>(d.count()) / 1e9; }

std::string hex(std::uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof(text), "0x%016llx", static_cast<unsigned long long>(value));
  return text;
}

std::uint64_t peak_rss_bytes() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  return 0;
}

std::string task_state_name(proto::TaskState state) {
  std::string name = proto::TaskState_Name(state);
  const std::string prefix = "TASK_STATE_";
  if (name.rfind(prefix, 0) == 0) name = name.substr(prefix.size());
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

std::string node_state_name(proto::NodeState state) {
  switch (state) {
    case proto::NODE_STATE_READY:
      return "ready";
    case proto::NODE_STATE_DOWN:
      return "down";
    case proto::NODE_STATE_DISCONNECTED:
      return "disconnected";
    default:
      return "unknown";
  }
}

class Run final : public manager::ManagerObserver {
 public:
  Run(const Scenario& scenario, const RunOptions& options)
      : scenario_(scenario),
        options_(options),
        seed_(options.seed.value_or(scenario.seed)),
        cluster_(scenario, seed_),
        rng_(Rng(seed_).fork("scenario")),
        checker_(InvariantChecker::Bounds{scenario.cluster.heartbeat_period}) {
    cluster_.set_manager_observer(this);
    for (const Expectation& e : scenario.expect) {
      wants_node_states_ = wants_node_states_ || e.kind == ExpectationKind::kNodeStatus;
    }
    cluster_.sim().set_message_classifier(
        [](std::string_view bytes) { return static_cast<std::size_t>(classify_message(bytes)); },
        kMessageKinds);
  }

  Result<RunResult> execute();

  // manager::ManagerObserver
  void on_applied(NodeId manager, LogIndex index, Term, std::uint64_t entry_hash) override {
    sync_checker();
    checker_.observe_applied(host_name(manager), index.value(), entry_hash);
  }
  void on_leadership(NodeId manager, Term term, bool leader) override {
    sync_checker();
    if (leader) checker_.observe_leader(host_name(manager), term.value());
    event(leader ? "leader" : "follower", host_name(manager) +
                                              (leader ? " became leader" : " stepped down") +
                                              " in term " + std::to_string(term.value()));
  }

 private:
  struct Sample {
    double t;
    int leader_index;
    std::uint64_t term;
    std::map<std::string, std::uint64_t> commit;
    std::map<std::string, std::uint64_t> applied;
    std::map<std::string, int> nodes;
    std::map<std::string, int> tasks;
    std::uint64_t messages;
    std::uint64_t bytes;
    std::array<std::uint64_t, kMessageKinds> messages_by_kind;
    std::array<std::uint64_t, kMessageKinds> bytes_by_kind;
    std::map<std::string, std::map<std::string, double>> cpu;  // host -> component -> cores busy
    std::map<std::string, std::uint64_t> running;              // service -> running tasks
    std::map<std::string, std::uint64_t> desired;
    std::map<std::string, std::uint64_t> pending;
    std::map<std::string, proto::NodeState> node_states;  // hostname -> state
  };

  std::string host_name(NodeId id) {
    simnet::SimHost* host = cluster_.sim().host(id);
    return host == nullptr ? std::to_string(id.value()) : host->name();
  }
  void sync_checker() {
    checker_.set_position(cluster_.sim().now(), cluster_.sim().trace_position());
  }
  double now_s() { return seconds_of(cluster_.sim().now().time_since_epoch()); }
  void event(const std::string& kind, const std::string& text) {
    events_.push_back(json{{"t_s", now_s()}, {"kind", kind}, {"text", text}});
  }
  void fault(const std::string& kind, const std::string& target, std::optional<Duration> length) {
    ++faults_by_kind_[kind];
    json entry{{"kind", kind}, {"target", target}, {"start_s", now_s()}};
    entry["end_s"] = length ? now_s() + seconds_of(*length) : seconds_of(scenario_.duration);
    if (kind == "crash" || kind == "leave") open_crashes_[target] = faults_.size();
    faults_.push_back(entry);
    event("fault", kind + " " + target);
  }
  // A restart ends the host's crash period.
  void restarted(const std::string& host) {
    const auto it = open_crashes_.find(host);
    if (it == open_crashes_.end()) return;
    faults_[it->second]["end_s"] = now_s();
    open_crashes_.erase(it);
  }

  // Rolling updates show in the event list as their state changes.
  void note_update_state(const proto::Service& service) {
    const proto::UpdateState state = service.update_status().state();
    proto::UpdateState& last = update_states_[service.spec().name()];
    if (state == last) return;
    last = state;
    event("update", service.spec().name() + ": " + proto::UpdateState_Name(state));
  }

  // A node that cannot start from its disk (a corrupt WAL) stays down; the event says why.
  void restart_host(NodeId id) {
    checker_.observe_restart(host_name(id));
    cluster_.sim().restart(id);
    simnet::SimHost* host = cluster_.sim().host(id);
    if (host == nullptr || !host->up()) return;
    const Status started = cluster_.start_status(*host);
    if (!started.is_ok()) event("error", host->name() + " failed to start: " + started.to_string());
  }

  std::vector<NodeId> resolve(const Target& target);
  void control(proto::ControlRequest request, const std::string& what,
               std::function<void(const proto::ControlResponse&)> then = nullptr, int attempt = 0);
  void apply(const Action& action);
  void node_action(const Action& action,
                   const std::function<void(proto::ControlRequest&, const std::string&)>& fill);
  void inject_random_fault();
  void sample();
  void check_no_task_on(const store::Store& store, const RunningTasks& running_on, double t);
  void evaluate(RunResult& result);
  json build_report(RunResult& result, double wall);

  const Scenario& scenario_;
  const RunOptions& options_;
  std::uint64_t seed_;
  SimCluster cluster_;
  Rng rng_;
  InvariantChecker checker_;
  std::vector<Sample> samples_;
  json events_ = json::array();
  json faults_ = json::array();
  std::map<std::string, int> faults_by_kind_;
  std::map<std::string, proto::UpdateState> update_states_;  // by service name
  // no_task_on expectations, by index in scenario_.expect: hosts resolved when the check starts,
  // and the first breach seen.
  std::map<std::size_t, std::vector<NodeId>> no_task_targets_;
  std::map<std::size_t, std::string> no_task_breaches_;
  std::uint64_t last_messages_ = 0;
  std::uint64_t last_bytes_ = 0;
  std::array<std::uint64_t, kMessageKinds> last_messages_by_kind_{};
  std::array<std::uint64_t, kMessageKinds> last_bytes_by_kind_{};
  std::map<std::string, std::array<std::int64_t, kComponentCount>> last_cpu_;
  std::map<std::string, std::size_t> open_crashes_;  // host -> index in faults_
  int active_explore_faults_ = 0;
  bool hooked_ = false;
  // Per-host node states are kept in samples only when an expectation reads them (4,700 hosts a
  // second add up).
  bool wants_node_states_ = false;
};

std::vector<NodeId> Run::resolve(const Target& target) {
  simnet::Simulation& sim = cluster_.sim();
  std::vector<NodeId> out;
  switch (target.kind) {
    case Target::Kind::kLeader:
      if (simnet::SimHost* leader = cluster_.leader()) out.push_back(leader->id());
      break;
    case Target::Kind::kManager:
      if (target.index < static_cast<int>(cluster_.managers().size()))
        out.push_back(cluster_.managers()[target.index]);
      break;
    case Target::Kind::kWorker:
      if (target.index < static_cast<int>(cluster_.workers().size()))
        out.push_back(cluster_.workers()[target.index]);
      break;
    case Target::Kind::kDatacenter:
      out = sim.hosts_in(target.name);
      break;
    case Target::Kind::kRandomManager:
    case Target::Kind::kRandomWorker: {
      const auto& pool =
          target.kind == Target::Kind::kRandomManager ? cluster_.managers() : cluster_.workers();
      std::vector<NodeId> live;
      for (NodeId id : pool) {
        if (simnet::SimHost* host = sim.host(id); host != nullptr && host->up()) live.push_back(id);
      }
      if (!live.empty()) out.push_back(live[rng_.below(live.size())]);
      break;
    }
    case Target::Kind::kCrashed:
      for (const auto& [id, host] : sim.hosts()) {
        if (!host->up()) out.push_back(id);
      }
      break;
    case Target::Kind::kHost:
      if (simnet::SimHost* host = sim.host_by_name(target.name)) out.push_back(host->id());
      break;
  }
  return out;
}

void Run::control(proto::ControlRequest request, const std::string& what,
                  std::function<void(const proto::ControlResponse&)> then, int attempt) {
  constexpr int kMaxAttempts = 120;  // half-second retries: a minute for failovers
  simnet::SimHost* leader = cluster_.leader();
  const auto retry = [this, request, what, then, attempt]() {
    if (attempt + 1 >= kMaxAttempts) {
      event("control", what + " failed: no leader answered");
      return;
    }
    cluster_.sim().at(
        cluster_.sim().now() + milliseconds(500),
        [this, request, what, then, attempt] { control(request, what, then, attempt + 1); });
  };
  if (leader == nullptr) return retry();
  manager::ManagerNode* manager = cluster_.manager_of(*leader);
  leader->run_at(cluster_.sim().now(), [this, manager, request, what, then, retry]() {
    manager->control(request, [this, what, then, retry](proto::ControlResponse response) {
      if (response.code() == "not_leader" || response.code() == "unavailable") return retry();
      event("control", what + ": " + response.code() +
                           (response.message().empty() ? "" : " (" + response.message() + ")"));
      if (then) then(response);
    });
  });
}

void Run::node_action(const Action& action,
                      const std::function<void(proto::ControlRequest&, const std::string&)>& fill) {
  for (NodeId id : resolve(action.target)) {
    simnet::SimHost* host = cluster_.sim().host(id);
    const std::string node_id = host == nullptr ? "" : cluster_.store_node_id(*host);
    if (node_id.empty()) {
      event("action", std::string(action_name(action.kind)) + " skipped: " + host_name(id) +
                          " has not joined");
      continue;
    }
    proto::ControlRequest request;
    fill(request, node_id);
    control(request, std::string(action_name(action.kind)) + " " + host_name(id));
  }
}

void Run::apply(const Action& action) {
  simnet::Simulation& sim = cluster_.sim();
  const std::string name(action_name(action.kind));
  switch (action.kind) {
    case ActionKind::kServiceCreate: {
      proto::ControlRequest request;
      *request.mutable_create_service() = action.spec;
      control(request, name + " " + action.service,
              [this, service = action.service](const proto::ControlResponse& r) {
                if (r.code() == "ok" && r.services_size() == 1) {
                  checker_.observe_acknowledged_write("service create " + service,
                                                      r.services(0).meta().id(), false);
                }
              });
      return;
    }
    case ActionKind::kServiceScale: {
      proto::ControlRequest request;
      request.mutable_scale_service()->set_service(action.service);
      request.mutable_scale_service()->set_replicas(action.replicas);
      control(request, name + " " + action.service + " to " + std::to_string(action.replicas));
      return;
    }
    case ActionKind::kServiceUpdate: {
      // Read the current spec, overlay the given fields, write it back.
      proto::ControlRequest inspect;
      inspect.set_inspect_service(action.service);
      control(inspect, "service.inspect " + action.service,
              [this, action, name](const proto::ControlResponse& r) {
                if (r.code() != "ok" || r.services_size() != 1) return;
                proto::ServiceSpec spec = r.services(0).spec();
                const proto::ServiceSpec& given = action.spec;
                for (const std::string& field : action.spec_fields) {
                  if (field == "image")
                    spec.mutable_task()->mutable_container()->set_image(
                        given.task().container().image());
                  if (field == "replicas") spec.set_replicas(given.replicas());
                  if (field == "command")
                    *spec.mutable_task()->mutable_container()->mutable_command() =
                        given.task().container().command();
                  if (field == "args")
                    *spec.mutable_task()->mutable_container()->mutable_args() =
                        given.task().container().args();
                  if (field == "env")
                    *spec.mutable_task()->mutable_container()->mutable_env() =
                        given.task().container().env();
                  if (field == "resources")
                    *spec.mutable_task()->mutable_resources() = given.task().resources();
                  if (field == "constraints")
                    *spec.mutable_task()->mutable_placement()->mutable_constraints() =
                        given.task().placement().constraints();
                  if (field == "preferences")
                    *spec.mutable_task()->mutable_placement()->mutable_preferences() =
                        given.task().placement().preferences();
                  if (field == "restart")
                    *spec.mutable_task()->mutable_restart() = given.task().restart();
                  if (field == "update") *spec.mutable_update() = given.update();
                  if (field == "rollback") *spec.mutable_rollback() = given.rollback();
                  if (field == "publish") *spec.mutable_endpoint() = given.endpoint();
                  if (field == "labels") *spec.mutable_labels() = given.labels();
                  if (field == "task")
                    *spec.mutable_task()->mutable_container()->mutable_simulated() =
                        given.task().container().simulated();
                }
                proto::ControlRequest update;
                update.mutable_update_service()->set_service(action.service);
                *update.mutable_update_service()->mutable_spec() = spec;
                control(update, name + " " + action.service);
              });
      return;
    }
    case ActionKind::kServiceRollback: {
      proto::ControlRequest request;
      request.set_rollback_service(action.service);
      control(request, name + " " + action.service);
      return;
    }
    case ActionKind::kServiceRm: {
      proto::ControlRequest request;
      request.set_remove_service(action.service);
      control(request, name + " " + action.service);
      return;
    }
    case ActionKind::kNodeDrain:
    case ActionKind::kNodePause:
    case ActionKind::kNodeActivate: {
      const proto::NodeAvailability availability =
          action.kind == ActionKind::kNodeDrain   ? proto::NODE_AVAILABILITY_DRAIN
          : action.kind == ActionKind::kNodePause ? proto::NODE_AVAILABILITY_PAUSE
                                                  : proto::NODE_AVAILABILITY_ACTIVE;
      node_action(action, [availability](proto::ControlRequest& r, const std::string& node) {
        r.mutable_update_node()->set_node(node);
        r.mutable_update_node()->set_availability(availability);
      });
      return;
    }
    case ActionKind::kNodePromote:
      node_action(action, [](proto::ControlRequest& r, const std::string& node) {
        r.set_promote_node(node);
      });
      return;
    case ActionKind::kNodeDemote:
      node_action(action, [](proto::ControlRequest& r, const std::string& node) {
        r.set_demote_node(node);
      });
      return;
    case ActionKind::kNodeLabel:
      node_action(action, [&action](proto::ControlRequest& r, const std::string& node) {
        r.mutable_update_node()->set_node(node);
        for (const auto& [k, v] : action.label_add)
          (*r.mutable_update_node()->mutable_label_add())[k] = v;
        for (const std::string& k : action.label_rm) r.mutable_update_node()->add_label_rm(k);
      });
      return;
    case ActionKind::kNodeRm:
      node_action(action, [&action](proto::ControlRequest& r, const std::string& node) {
        r.mutable_remove_node()->set_node(node);
        r.mutable_remove_node()->set_force(action.force);
      });
      return;
    case ActionKind::kNodeJoin:
      cluster_.join(action.count, action.role, action.dc);
      event("action", name + " " + std::to_string(action.count) + " in " + action.dc);
      return;
    case ActionKind::kNodeLeave:
      // The node stops on its own: to the cluster it is a node that went away.
      for (NodeId id : resolve(action.target)) {
        fault("leave", host_name(id), std::nullopt);
        sim.crash(id);
      }
      return;
    case ActionKind::kTokenRotate: {
      proto::ControlRequest request;
      request.set_rotate_join_token(action.role);
      control(request, name);
      return;
    }
    case ActionKind::kCrash:
      for (NodeId id : resolve(action.target)) {
        simnet::SimHost* host = sim.host(id);
        if (host == nullptr || !host->up()) continue;
        sync_checker();
        checker_.observe_crash(host->name(), cluster_.store_node_id(*host));
        fault("crash", host->name(), std::nullopt);
        sim.crash(id);
      }
      return;
    case ActionKind::kRestart:
      for (NodeId id : resolve(action.target)) {
        restarted(host_name(id));
        event("fault", "restart " + host_name(id));
        restart_host(id);
      }
      return;
    case ActionKind::kPowerCycle:
      for (NodeId id : resolve(action.target)) {
        simnet::SimHost* host = sim.host(id);
        if (host == nullptr || !host->up()) continue;
        sync_checker();
        checker_.observe_crash(host->name(), cluster_.store_node_id(*host));
        fault("power_cycle", host->name(), action.duration);
        sim.crash(id);
        sim.at(sim.now() + *action.duration, [this, id] { restart_host(id); });
      }
      return;
    case ActionKind::kPartition: {
      std::vector<std::vector<NodeId>> groups;
      if (action.isolate) {
        std::vector<NodeId> alone = resolve(*action.isolate);
        std::vector<NodeId> rest;
        for (const auto& [id, host] : sim.hosts()) {
          if (std::find(alone.begin(), alone.end(), id) == alone.end()) rest.push_back(id);
        }
        groups = {alone, rest};
      } else {
        for (const auto& group : action.groups) {
          std::vector<NodeId> ids;
          for (const Target& t : group) {
            for (NodeId id : resolve(t)) ids.push_back(id);
          }
          groups.push_back(ids);
        }
      }
      std::vector<int> cuts;
      for (std::size_t i = 0; i < groups.size(); ++i) {
        for (std::size_t j = i + 1; j < groups.size(); ++j)
          cuts.push_back(sim.partition(groups[i], groups[j], action.one_way));
      }
      fault(action.one_way ? "partition (one way)" : "partition",
            std::to_string(groups.size()) + " groups", action.duration);
      if (action.duration) {
        sim.at(sim.now() + *action.duration, [this, cuts] {
          for (int cut : cuts) cluster_.sim().heal_partition(cut);
        });
      }
      return;
    }
    case ActionKind::kHeal:
      sim.heal();
      event("fault", "heal");
      return;
    case ActionKind::kClog:
      for (NodeId id : resolve(action.target)) {
        fault("clog", host_name(id), action.duration);
        sim.clog(id, *action.duration);
      }
      return;
    case ActionKind::kLinkSlow:
    case ActionKind::kLinkLoss: {
      const std::vector<NodeId> a = resolve(action.between[0]);
      const std::vector<NodeId> b = resolve(action.between[1]);
      simnet::LinkFault link;
      link.extra_latency = action.latency;
      link.loss = action.loss;
      link.duplicate = action.duplicate;
      link.reorder = action.reorder;
      const Duration length = action.duration.value_or(scenario_.duration);
      for (NodeId x : a) {
        for (NodeId y : b) {
          if (x != y) sim.set_link_fault(x, y, link, length);
        }
      }
      fault(name, action.between[0].text + " <-> " + action.between[1].text, action.duration);
      return;
    }
    case ActionKind::kDiskFailSync:
    case ActionKind::kDiskCorrupt:
    case ActionKind::kDiskSlow:
      for (NodeId id : resolve(action.target)) {
        if (action.kind == ActionKind::kDiskFailSync) sim.disk_fail_sync(id);
        if (action.kind == ActionKind::kDiskCorrupt) sim.disk_corrupt_older_record(id);
        if (action.kind == ActionKind::kDiskSlow) sim.disk_slow(id, action.latency);
        fault(name, host_name(id), action.duration);
      }
      return;
    case ActionKind::kClockSkew:
      for (NodeId id : resolve(action.target)) {
        sim.set_clock(id, action.offset, action.drift_ppm);
        fault(name, host_name(id), std::nullopt);
      }
      return;
    case ActionKind::kCpuSlow:
      for (NodeId id : resolve(action.target)) {
        const Duration length = action.duration.value_or(scenario_.duration);
        sim.set_cpu_factor(id, static_cast<std::int64_t>(action.factor * 100), length);
        fault(name, host_name(id), action.duration);
      }
      return;
  }
}

void Run::inject_random_fault() {
  const ExploreSpec& explore = *scenario_.explore;
  simnet::Simulation& sim = cluster_.sim();
  // The next one, whatever happens to this one.
  const Duration gap(
      rng_.between(explore.mean_interval.count() / 2, explore.mean_interval.count() * 3 / 2));
  sim.at(sim.now() + gap, [this] { inject_random_fault(); });
  if (active_explore_faults_ >= explore.max_concurrent) return;
  const ActionKind kind = explore.faults[rng_.below(explore.faults.size())];
  const Duration length(rng_.between(Duration(seconds(5)).count(), Duration(seconds(45)).count()));
  // Protect a quorum: never take down (or cut off) more than a minority of the managers.
  std::vector<NodeId> candidates;
  int managers_down = 0;
  for (NodeId id : cluster_.managers())
    managers_down += sim.host(id) != nullptr && !sim.host(id)->up();
  const int minority = (static_cast<int>(cluster_.managers().size()) - 1) / 2;
  for (const auto& [id, host] : sim.hosts()) {
    if (!host->up()) continue;
    const bool manager = std::find(cluster_.managers().begin(), cluster_.managers().end(), id) !=
                         cluster_.managers().end();
    if (manager && explore.protect_quorum && managers_down >= minority) continue;
    candidates.push_back(id);
  }
  if (candidates.empty()) return;
  const NodeId target = candidates[rng_.below(candidates.size())];
  ++active_explore_faults_;
  const auto done = [this] { --active_explore_faults_; };
  Action action;
  action.kind = kind;
  action.target.kind = Target::Kind::kHost;
  action.target.name = host_name(target);
  action.target.text = action.target.name;
  action.duration = length;
  switch (kind) {
    case ActionKind::kCrash:
      action.kind =
          ActionKind::kPowerCycle;  // explored crashes come back, or the run would only decay
      break;
    case ActionKind::kPartition:
      action.isolate = action.target;
      break;
    case ActionKind::kLinkSlow:
    case ActionKind::kLinkLoss: {
      const NodeId other = candidates[rng_.below(candidates.size())];
      Target peer = action.target;
      peer.name = host_name(other);
      peer.text = peer.name;
      action.between = {action.target, peer};
      action.latency = milliseconds(rng_.between(10, 500));
      action.loss = 0.2;
      action.duplicate = 0.05;
      action.reorder = 0.1;
      break;
    }
    case ActionKind::kDiskSlow:
      action.latency = milliseconds(rng_.between(5, 100));
      break;
    case ActionKind::kClockSkew:
      action.offset = milliseconds(rng_.between(-5000, 5000));
      action.drift_ppm = rng_.between(-500, 500);
      break;
    case ActionKind::kCpuSlow:
      action.factor = static_cast<double>(rng_.between(2, 10));
      break;
    case ActionKind::kDiskCorrupt:
    case ActionKind::kDiskFailSync:
      // Only bites at the next crash: crash it too, and bring it back.
      apply(action);
      action.kind = ActionKind::kPowerCycle;
      break;
    default:
      break;
  }
  apply(action);
  sim.at(sim.now() + length, done);
}

void Run::sample() {
  simnet::Simulation& sim = cluster_.sim();
  Sample s;
  s.t = now_s();
  s.leader_index = -1;
  s.term = 0;
  for (std::size_t i = 0; i < cluster_.managers().size(); ++i) {
    simnet::SimHost* host = sim.host(cluster_.managers()[i]);
    if (host == nullptr || !host->up()) continue;
    manager::ManagerNode* m = cluster_.manager_of(*host);
    if (m == nullptr) continue;
    const raft::RaftStatus status = m->raft_status();
    s.commit[host->name()] = status.commit.value();
    s.applied[host->name()] = status.applied.value();
    if (m->is_leader()) {
      s.leader_index = static_cast<int>(i);
      s.term = status.term.value();
    }
  }
  const simnet::NetworkStats& stats = sim.stats();
  s.messages = stats.messages_delivered - last_messages_;
  s.bytes = stats.bytes_delivered - last_bytes_;
  last_messages_ = stats.messages_delivered;
  last_bytes_ = stats.bytes_delivered;
  for (std::size_t k = 0; k < kMessageKinds; ++k) {
    s.messages_by_kind[k] = stats.messages_by_class[k] - last_messages_by_kind_[k];
    s.bytes_by_kind[k] = stats.bytes_by_class[k] - last_bytes_by_kind_[k];
    last_messages_by_kind_[k] = stats.messages_by_class[k];
    last_bytes_by_kind_[k] = stats.bytes_by_class[k];
  }
  for (NodeId id : cluster_.managers()) {
    simnet::SimHost* host = sim.host(id);
    if (host == nullptr) continue;
    auto& last = last_cpu_[host->name()];
    const auto& now = host->cpu_ns();
    for (int c = 0; c < kComponentCount; ++c) {
      const double busy = static_cast<double>(now[static_cast<std::size_t>(c)] -
                                              last[static_cast<std::size_t>(c)]) /
                          1e9;
      s.cpu[host->name()][std::string(component_name(static_cast<Component>(c)))] = busy;
      last[static_cast<std::size_t>(c)] = now[static_cast<std::size_t>(c)];
    }
  }
  const RunningTasks running_on = cluster_.running_tasks();
  // The leader's store; with no leader (an election), the most advanced manager's.
  simnet::SimHost* source = cluster_.leader();
  LogIndex best;
  for (NodeId id : cluster_.managers()) {
    if (source != nullptr && source == cluster_.leader()) break;
    simnet::SimHost* host = sim.host(id);
    manager::ManagerNode* m = host != nullptr && host->up() ? cluster_.manager_of(*host) : nullptr;
    if (m != nullptr && (source == nullptr || m->raft_status().applied > best)) {
      source = host;
      best = m->raft_status().applied;
    }
  }
  if (source != nullptr) {
    const bool leading = source == cluster_.leader();
    const store::Store& store = cluster_.manager_of(*source)->store();
    // Counts kept current as the store is applied: a sample costs O(services + states), not
    // O(tasks).
    const StoreCounts& counts = *cluster_.store_counts(*source);
    for (const auto& [state, count] : counts.nodes_by_state()) {
      if (count > 0) s.nodes[node_state_name(state)] += static_cast<int>(count);
    }
    if (wants_node_states_) {
      for (const auto& [id, node] : store.table<proto::Node>().all()) {
        s.node_states[node.description().hostname()] = node.status().state();
      }
    }
    for (const auto& [state, count] : counts.tasks_by_state()) {
      if (count > 0) s.tasks[task_state_name(state)] = static_cast<int>(count);
    }
    for (const auto& [id, service] : store.table<proto::Service>().all()) {
      const std::string& name = service.spec().name();
      const auto counted = counts.services().find(id);
      const StoreCounts::Service zero;
      const StoreCounts::Service& c = counted == counts.services().end() ? zero : counted->second;
      s.desired[name] = service.spec().mode() == proto::SERVICE_MODE_REPLICATED
                            ? service.spec().replicas()
                            : c.wanted;
      s.running[name] = c.running;
      s.pending[name] = c.pending;
      note_update_state(service);
    }
    if (leading) {
      sync_checker();
      checker_.check_store(store, running_on);
    }
    check_no_task_on(store, running_on, s.t);
  }
  samples_.push_back(std::move(s));
}

// Checked as the run goes rather than from the samples: keeping every second's task placement
// would cost gigabytes at Swarm2k scale.
void Run::check_no_task_on(const store::Store& store, const RunningTasks& running_on, double t) {
  for (std::size_t i = 0; i < scenario_.expect.size(); ++i) {
    const Expectation& e = scenario_.expect[i];
    if (e.kind != ExpectationKind::kNoTaskOn || t < seconds_of(e.after) ||
        no_task_breaches_.contains(i)) {
      continue;
    }
    auto targets = no_task_targets_.find(i);
    if (targets == no_task_targets_.end()) {
      targets = no_task_targets_.emplace(i, resolve(e.target)).first;
    }
    for (NodeId id : targets->second) {
      simnet::SimHost* host = cluster_.sim().host(id);
      if (host == nullptr) continue;
      const auto on = running_on.find(cluster_.store_node_id(*host));
      if (on == running_on.end()) continue;
      std::size_t count = 0;
      for (const std::string& task_id : on->second) {
        const proto::Task* task = store.get<proto::Task>(task_id);
        count += task != nullptr && task->service_name() == e.service ? 1 : 0;
      }
      if (count > 0) {
        no_task_breaches_[i] = std::to_string(count) + " tasks of " + e.service + " run on " +
                               host->name() + " at " + std::to_string(static_cast<int>(t)) + " s";
        break;
      }
    }
  }
}

void Run::evaluate(RunResult& result) {
  json expectations = json::array();
  const auto at_or_after = [this](double t) -> const Sample* {
    for (const Sample& s : samples_) {
      if (s.t + 1e-9 >= t) return &s;
    }
    return samples_.empty() ? nullptr : &samples_.back();
  };
  for (std::size_t index = 0; index < scenario_.expect.size(); ++index) {
    const Expectation& e = scenario_.expect[index];
    bool passed = false;
    std::string detail;
    switch (e.kind) {
      case ExpectationKind::kServiceRunning: {
        double first = -1;
        for (const Sample& s : samples_) {
          const auto it = s.running.find(e.service);
          if (it != s.running.end() && it->second >= e.replicas) {
            first = s.t;
            break;
          }
        }
        const std::uint64_t final_count = samples_.empty() ? 0
                                          : samples_.back().running.count(e.service)
                                              ? samples_.back().running.at(e.service)
                                              : 0;
        passed = first >= 0 && first <= seconds_of(e.by) + 1e-9 && final_count >= e.replicas;
        detail = first < 0 ? "never reached " + std::to_string(e.replicas) + " running"
                           : "reached " + std::to_string(e.replicas) + " running at " +
                                 std::to_string(static_cast<int>(first)) + " s; " +
                                 std::to_string(final_count) + " at the end";
        break;
      }
      case ExpectationKind::kLeaderElected:
      case ExpectationKind::kConverged: {
        const double from = seconds_of(e.after);
        const double to = from + seconds_of(e.within);
        for (const Sample& s : samples_) {
          if (s.t < from - 1e-9 || s.t > to + 1e-9) continue;
          bool ok = s.leader_index >= 0;
          if (e.kind == ExpectationKind::kConverged) {
            for (const auto& [service, desired] : s.desired)
              ok = ok && s.running.at(service) == desired;
          }
          if (ok) {
            passed = true;
            detail = "held at " + std::to_string(static_cast<int>(s.t)) + " s";
            break;
          }
        }
        if (!passed)
          detail = "did not hold between " + std::to_string(static_cast<int>(from)) + " s and " +
                   std::to_string(static_cast<int>(to)) + " s";
        break;
      }
      case ExpectationKind::kNodeStatus: {
        const std::vector<NodeId> ids = resolve(e.target);
        const std::string host = ids.empty() ? e.target.text : host_name(ids.front());
        const double from = seconds_of(e.after);
        const double to = from + seconds_of(e.within);
        for (const Sample& s : samples_) {
          if (s.t < from - 1e-9 || s.t > to + 1e-9) continue;
          const auto it = s.node_states.find(host);
          if (it != s.node_states.end() && it->second == e.status) {
            passed = true;
            detail = host + " was " + node_state_name(e.status) + " at " +
                     std::to_string(static_cast<int>(s.t)) + " s";
            break;
          }
        }
        if (!passed) detail = host + " was not " + node_state_name(e.status) + " in the window";
        break;
      }
      case ExpectationKind::kTasksPending: {
        const Sample* s = at_or_after(seconds_of(e.at));
        const std::uint64_t count =
            s != nullptr && s->pending.count(e.service) ? s->pending.at(e.service) : 0;
        passed = count == e.count;
        detail = std::to_string(count) + " pending";
        break;
      }
      case ExpectationKind::kNoTaskOn: {
        const auto breach = no_task_breaches_.find(index);
        passed = breach == no_task_breaches_.end();
        detail = passed ? "none" : breach->second;
        break;
      }
    }
    expectations.push_back(json{{"that", std::string(expectation_name(e.kind))},
                                {"path", e.path},
                                {"passed", passed},
                                {"detail", detail}});
    if (!passed)
      result.failures.push_back(e.path + " (" + std::string(expectation_name(e.kind)) +
                                "): " + detail);
  }
  result.report["expectations"] = expectations;
  json invariants = json::array();
  const auto counts = checker_.counts();
  for (const char* name : {"one_leader_per_term", "log_matching", "acknowledged_writes",
                           "placement", "replica_bound", "down_detection"}) {
    const auto it = counts.find(name);
    const std::size_t count = it == counts.end() ? 0 : it->second;
    std::string detail = count == 0 ? "held" : std::to_string(count) + " violations";
    for (const Violation& v : checker_.violations()) {
      if (v.invariant != name) continue;
      detail += "; first at " + std::to_string(seconds_of(v.time.time_since_epoch())) +
                " s (trace position " + std::to_string(v.trace_position) + "): " + v.detail;
      result.failures.push_back(
          std::string(name) + " at " +
          std::to_string(static_cast<int>(seconds_of(v.time.time_since_epoch()))) +
          " s: " + v.detail);
      break;
    }
    invariants.push_back(
        json{{"name", name}, {"passed", count == 0}, {"detail", detail}, {"violations", count}});
  }
  result.report["invariants"] = invariants;
  result.violations_by_kind = counts;
}

json Run::build_report(RunResult& result, double wall) {
  json& report = result.report;
  report["format"] = "herd-report/1";
  report["scenario"] = json{{"name", scenario_.name},
                            {"description", scenario_.description},
                            {"file", options_.scenario_file}};
  report["seed"] = seed_;
  report["trace_hash"] = hex(result.trace_hash);
  report["simulated_s"] = seconds_of(scenario_.duration);
  report["wall_time_s"] = wall;
  report["speed"] = wall > 0 ? seconds_of(scenario_.duration) / wall : 0.0;
  report["peak_rss_bytes"] = peak_rss_bytes();
  report["events_run"] = cluster_.sim().loop().events_run();
  json series;
  json time = json::array();
  json leader = json::array();
  json term = json::array();
  json messages = json::array();
  json bytes = json::array();
  std::set<std::string> managers;
  std::set<std::string> node_states;
  std::set<std::string> task_states;
  for (const Sample& s : samples_) {
    for (const auto& [k, v] : s.commit) managers.insert(k);
    for (const auto& [k, v] : s.nodes) node_states.insert(k);
    for (const auto& [k, v] : s.tasks) task_states.insert(k);
  }
  json commit;
  json applied;
  json nodes;
  json tasks;
  json cpu;
  for (const Sample& s : samples_) {
    time.push_back(s.t);
    leader.push_back(s.leader_index);
    term.push_back(s.term);
    messages.push_back(s.messages);
    bytes.push_back(s.bytes);
    for (const std::string& m : managers) {
      commit[m].push_back(s.commit.count(m) ? s.commit.at(m) : 0);
      applied[m].push_back(s.applied.count(m) ? s.applied.at(m) : 0);
    }
    for (const std::string& k : node_states)
      nodes[k].push_back(s.nodes.count(k) ? s.nodes.at(k) : 0);
    for (const std::string& k : task_states)
      tasks[k].push_back(s.tasks.count(k) ? s.tasks.at(k) : 0);
    for (const auto& [host, components] : s.cpu) {
      for (const auto& [component, busy] : components) cpu[host][component].push_back(busy);
    }
  }
  series["time_s"] = time;
  series["leader"] = leader;
  series["term"] = term;
  series["commit_index"] = commit;
  series["applied_index"] = applied;
  series["nodes_by_status"] = nodes;
  series["tasks_by_state"] = tasks;
  json messages_by_kind{{"all", messages}};
  json bytes_by_kind{{"all", bytes}};
  for (std::size_t k = 0; k < kMessageKinds; ++k) {
    // Only the kinds that occurred, so that a report lists what the cluster really sent.
    if (cluster_.sim().stats().messages_by_class[k] == 0) continue;
    json m = json::array();
    json b = json::array();
    for (const Sample& s : samples_) {
      m.push_back(s.messages_by_kind[k]);
      b.push_back(s.bytes_by_kind[k]);
    }
    messages_by_kind[std::string(kMessageKindNames[k])] = std::move(m);
    bytes_by_kind[std::string(kMessageKindNames[k])] = std::move(b);
  }
  series["messages_per_s"] = messages_by_kind;
  series["bytes_per_s"] = bytes_by_kind;
  series["cpu_by_component"] = cpu;
  report["series"] = series;
  json totals;
  for (NodeId id : cluster_.managers()) {
    simnet::SimHost* host = cluster_.sim().host(id);
    if (host == nullptr) continue;
    for (int c = 0; c < kComponentCount; ++c) {
      const double seconds = static_cast<double>(host->cpu_ns()[static_cast<std::size_t>(c)]) / 1e9;
      if (seconds > 0)
        totals[host->name()][std::string(component_name(static_cast<Component>(c)))] = seconds;
    }
  }
  report["cpu_totals"] = totals;
  report["reference"] =
      json{{"swarm3k",
            "Raft and Go's GC about 30% (book); dispatcher gRPC streams 25-33%, gossip about 12%, "
            "scheduler 0.42%, Raft under 0.5% (Swarm3k flame graphs)"}};
  report["faults"] = faults_;
  report["events"] = events_;
  report["result"] = json{{"passed", result.passed}, {"failures", result.failures}};
  return report;
}

Result<RunResult> Run::execute() {
  const auto wall_start = std::chrono::steady_clock::now();
  simnet::Simulation& sim = cluster_.sim();
  std::ofstream trace;
  if (!options_.trace_file.empty()) {
    trace.open(options_.trace_file);
    if (!trace)
      return Status::io_error("cannot write the trace file '" + options_.trace_file + "'");
    sim.set_trace_output(&trace, 1);
  }
  const TimePoint start = sim.now();
  const TimePoint end = start + scenario_.duration;
  for (const Action& action : scenario_.timeline) {
    sim.at(start + action.at, [this, &action] { apply(action); });
  }
  if (options_.explore && scenario_.explore) {
    sim.at(start + seconds(30), [this] { inject_random_fault(); });
  }
  // Sampling and invariant checks, every simulated second.
  std::function<void()> tick = [&] {
    sample();
    if (!hooked_ && options_.test_hook && sim.now() >= start + scenario_.duration / 2) {
      hooked_ = true;
      options_.test_hook(checker_);
    }
    if (sim.now() + seconds(1) <= end) sim.at(sim.now() + seconds(1), tick);
  };
  sim.at(start + seconds(1), tick);
  HERD_RETURN_IF_ERROR(cluster_.form(scenario_.duration));
  if (scenario_.cluster.drain_managers) {
    sim.at(sim.now() + seconds(15), [this] {
      for (NodeId id : cluster_.managers()) {
        simnet::SimHost* host = cluster_.sim().host(id);
        const std::string node_id = host == nullptr ? "" : cluster_.store_node_id(*host);
        if (node_id.empty()) continue;
        proto::ControlRequest request;
        request.mutable_update_node()->set_node(node_id);
        request.mutable_update_node()->set_availability(proto::NODE_AVAILABILITY_DRAIN);
        control(request, "drain manager " + host->name());
      }
    });
  }
  auto last_progress = std::chrono::steady_clock::now();
  while (sim.now() < end) {
    sim.run_until(std::min(end, sim.now() + seconds(10)));
    if (options_.stop_on_violation && !checker_.violations().empty()) break;
    const auto wall_now = std::chrono::steady_clock::now();
    if (!options_.quiet && wall_now - last_progress > std::chrono::seconds(2)) {
      last_progress = wall_now;
      const double wall = std::chrono::duration<double>(wall_now - wall_start).count();
      const Sample* s = samples_.empty() ? nullptr : &samples_.back();
      std::fprintf(
          stderr,
          "\r[herdsim] %s sim %.0fs / %.0fs  wall %.1fs  speed %.0fx  running %llu  leader %s   ",
          scenario_.name.c_str(), now_s(), seconds_of(scenario_.duration), wall,
          now_s() / std::max(wall, 1e-9),
          static_cast<unsigned long long>(
              s != nullptr && s->tasks.count("running") ? s->tasks.at("running") : 0),
          s != nullptr && s->leader_index >= 0 ? ("mg" + std::to_string(s->leader_index)).c_str()
                                               : "none");
    }
  }
  if (!options_.quiet) std::fprintf(stderr, "\n");
  RunResult result;
  result.seed = seed_;
  if (simnet::SimHost* leader = cluster_.leader()) {
    sync_checker();
    checker_.check_final(cluster_.manager_of(*leader)->store());
  }
  result.trace_hash = sim.trace_hash();
  evaluate(result);
  result.passed = result.failures.empty();
  result.faults_by_kind = faults_by_kind_;
  result.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  build_report(result, result.wall_seconds);
  if (options_.write_reports) {
    std::error_code error;
    std::filesystem::create_directories(options_.out_dir, error);
    if (error)
      return Status::io_error("cannot create '" + options_.out_dir + "': " + error.message());
    const std::string base = options_.out_dir + "/" + scenario_.name + "-" + std::to_string(seed_);
    result.json_path = base + ".json";
    result.html_path = base + ".html";
    std::ofstream json_out(result.json_path);
    json_out << result.report.dump(1) << "\n";
    std::ofstream html_out(result.html_path);
    html_out << reports::render_html(result.report);
    if (!json_out || !html_out)
      return Status::io_error("cannot write the report under '" + options_.out_dir + "'");
  }
  return result;
}

}  // namespace

Result<RunResult> run_scenario(const Scenario& scenario, const RunOptions& options) {
  auto run = std::make_unique<Run>(scenario, options);
  return run->execute();
}

}  // namespace herd::scenarios
