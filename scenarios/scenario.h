// Scenario: a parsed, validated scenario file (../shared/SCENARIO-FORMAT.md, version 1).
//
// Everything the runner needs comes out typed: topology, cluster settings, a timeline of actions
// and faults in non-decreasing time, expectations and the explore block. Targets stay symbolic
// ("leader", "random:worker") because some resolve only while the run is going; the parser has
// already checked that every named host, datacenter, index and service reference can exist.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/runtime/time.h"
#include "proto/objects.pb.h"

namespace herd::scenarios {

struct HostSpec {
  int cores = 1;
  std::uint64_t memory_bytes = 1ULL << 30;
  std::map<std::string, std::string> labels;
};

struct LinkSpec {
  Duration latency = microseconds(200);
  Duration jitter = microseconds(50);
  std::uint64_t bandwidth_bps = 10'000'000'000;
  double loss = 0.0;
};

struct DatacenterSpec {
  std::string name;
  int managers = 0;
  int workers = 0;
  HostSpec manager_host;
  HostSpec worker_host;
  LinkSpec lan;
  std::vector<std::string> manager_names;  // empty: mgN / wN by global index
  std::vector<std::string> worker_names;
};

struct WanSpec {
  std::string a;
  std::string b;
  LinkSpec link;
};

struct Topology {
  std::vector<DatacenterSpec> datacenters;
  std::vector<WanSpec> wan;

  int manager_count() const;
  int worker_count() const;
};

struct ClusterSettings {
  Duration tick = seconds(1);
  int heartbeat_tick = 1;
  int election_tick = 10;
  std::uint64_t snapshot_interval = 10'000;
  Duration heartbeat_period = seconds(5);
  int task_history_limit = 5;
  bool drain_managers = false;
  Duration join_spread = seconds(10);
};

// "leader", "manager:N", "worker:N", "dc:NAME", "random:manager", "random:worker", "crashed",
// or a hostname.
struct Target {
  enum class Kind {
    kLeader,
    kManager,
    kWorker,
    kDatacenter,
    kRandomManager,
    kRandomWorker,
    kCrashed,
    kHost
  };
  Kind kind = Kind::kLeader;
  int index = 0;
  std::string name;  // datacenter or hostname
  std::string text;  // as written
};

enum class ActionKind {
  kServiceCreate,
  kServiceScale,
  kServiceUpdate,
  kServiceRollback,
  kServiceRm,
  kNodeDrain,
  kNodePause,
  kNodeActivate,
  kNodePromote,
  kNodeDemote,
  kNodeLabel,
  kNodeRm,
  kNodeJoin,
  kNodeLeave,
  kTokenRotate,
  kCrash,
  kRestart,
  kPowerCycle,
  kPartition,
  kHeal,
  kClog,
  kLinkSlow,
  kLinkLoss,
  kDiskFailSync,
  kDiskCorrupt,
  kDiskSlow,
  kClockSkew,
  kCpuSlow,
};

std::string_view action_name(ActionKind kind);

struct Action {
  Duration at;
  ActionKind kind = ActionKind::kHeal;
  std::string path;  // "timeline[3]", for messages

  proto::ServiceSpec spec;               // service.create, service.update (only given fields)
  std::vector<std::string> spec_fields;  // service.update: which top-level spec fields were given
  std::string service;
  std::uint64_t replicas = 0;
  Target target;
  std::map<std::string, std::string> label_add;
  std::vector<std::string> label_rm;
  bool force = false;
  int count = 0;
  proto::NodeRole role = proto::NODE_ROLE_WORKER;
  std::string dc;
  std::optional<Duration> duration;         // "for"
  std::vector<std::vector<Target>> groups;  // partition
  std::optional<Target> isolate;
  bool one_way = false;
  std::vector<Target> between;  // link.slow, link.loss
  Duration latency{0};
  double loss = 0.0;
  double duplicate = 0.0;
  double reorder = 0.0;
  Duration offset{0};
  std::int64_t drift_ppm = 0;
  double factor = 1.0;
};

enum class ExpectationKind {
  kServiceRunning,
  kLeaderElected,
  kNodeStatus,
  kTasksPending,
  kNoTaskOn,
  kConverged
};

std::string_view expectation_name(ExpectationKind kind);

struct Expectation {
  ExpectationKind kind = ExpectationKind::kConverged;
  std::string path;
  std::string service;
  std::uint64_t replicas = 0;
  std::uint64_t count = 0;
  Duration by{0};
  Duration after{0};
  Duration within{0};
  Duration at{0};
  Target target;
  proto::NodeState status = proto::NODE_STATE_READY;
};

struct ExploreSpec {
  std::vector<ActionKind> faults;
  Duration mean_interval = seconds(30);  // from "rate"
  int max_concurrent = 1;
  bool protect_quorum = true;
};

struct Scenario {
  std::string name;
  std::string description;
  std::uint64_t seed = 1;
  Duration duration{0};
  Topology topology;
  ClusterSettings cluster;
  std::vector<Action> timeline;
  std::vector<Expectation> expect;
  std::optional<ExploreSpec> explore;

  // The hostname of the i-th manager / worker in topology order.
  std::string manager_name(int index) const;
  std::string worker_name(int index) const;
};

}  // namespace herd::scenarios
