#include "realnode/node_process.h"

#include <gperftools/profiler.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "core/agent/synthetic_executor.h"
#include "core/manager/ca/root_ca.h"
#include "core/node/node.h"
#include "core/runtime/cost_meter.h"
#include "core/runtime/env.h"
#include "core/runtime/logger.h"
#include "core/runtime/rng.h"
#include "realnode/asio_clock.h"
#include "realnode/executor/process_executor.h"
#include "realnode/http/http_api.h"
#include "realnode/metrics.h"
#include "realnode/node_state.h"
#include "realnode/storage/file_storage.h"
#include "realnode/transport/tcp_transport.h"

namespace herd::realnode {
namespace {

constexpr Duration kWatchInterval = milliseconds(200);
constexpr Duration kJoinRetry = seconds(1);
constexpr int kJoinAttempts = 30;
constexpr const char* kDefaultListen = "0.0.0.0:2377";

std::uint64_t random_u64() {
  std::random_device device;
  return (static_cast<std::uint64_t>(device()) << 32) ^ device();
}

std::string machine_hostname() {
  char name[256] = {};
  if (::gethostname(name, sizeof(name) - 1) != 0) return "localhost";
  return name;
}

bool unspecified_host(const std::string& address) {
  const Result<HostPort> parsed = parse_host_port(address, /*allow_zero_port=*/true);
  return parsed.ok() && (parsed->host == "0.0.0.0" || parsed->host == "::" || parsed->host.empty());
}

proto::NodeDescription describe_machine(const NodeOptions& options, const std::string& hostname) {
  proto::NodeDescription description;
  description.set_hostname(hostname);
  struct utsname uts = {};
  if (::uname(&uts) == 0) {
    description.mutable_platform()->set_os(uts.sysname);
    description.mutable_platform()->set_architecture(uts.machine);
  }
  const unsigned cores = std::max(1U, std::thread::hardware_concurrency());
  description.mutable_resources()->set_nano_cpus(static_cast<std::int64_t>(cores) * 1'000'000'000);
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page_size = ::sysconf(_SC_PAGESIZE);
  if (pages > 0 && page_size > 0) {
    description.mutable_resources()->set_memory_bytes(static_cast<std::int64_t>(pages) * page_size);
  }
  for (const std::string& label : options.labels) {
    const std::size_t equals = label.find('=');
    (*description.mutable_engine_labels())[label.substr(0, equals)] = label.substr(equals + 1);
  }
  return description;
}

}  // namespace

class NodeProcess::Impl {
 public:
  Impl(NodeOptions options, std::ostream& out)
      : options_(std::move(options)),
        out_(out),
        clock_(io_),
        sink_(std::cerr),
        signals_(io_, SIGINT, SIGTERM),
        watch_timer_(clock_) {}

  int run() {
    if (!options_.cpu_profile.empty() && ProfilerStart(options_.cpu_profile.c_str()) == 0) {
      std::cerr << "realnode: cannot write a CPU profile to " << options_.cpu_profile << "\n";
      return 1;
    }
    const Status prepared = prepare();
    if (!prepared.is_ok()) {
      std::cerr << "realnode: " << prepared.message() << "\n";
      if (!options_.cpu_profile.empty()) ProfilerStop();
      return 1;
    }
    signals_.async_wait([this](const boost::system::error_code& error, int signal) {
      if (error) return;
      logger_->info("realnode.signal", {{"signal", signal == SIGINT ? "SIGINT" : "SIGTERM"}});
      shutdown(0);
    });
    io_.run();
    if (!options_.cpu_profile.empty()) ProfilerStop();
    return exit_status_;
  }

 private:
  Status prepare() {
    std::error_code error;
    std::filesystem::create_directories(options_.state_dir, error);
    if (error) {
      return Status::io_error("cannot create --state-dir " + options_.state_dir + ": " +
                              error.message());
    }
    HERD_ASSIGN_OR_RETURN(std::optional<NodeState> stored, load_node_state(options_.state_dir));
    const std::string hostname = !options_.hostname.empty()
                                     ? options_.hostname
                                     : (stored ? stored->hostname : machine_hostname());
    logger_ = std::make_unique<Logger>(clock_, hostname, &sink_, options_.log_level);
    // The storage takes the state dir's lock: nothing else may touch the dir before it.
    HERD_ASSIGN_OR_RETURN(storage_,
                          FileStorage::open(options_.state_dir, *logger_, FileStorageOptions()));
    HERD_RETURN_IF_ERROR(settle_state(stored, hostname));

    rng_ = std::make_unique<Rng>(random_u64());
    HERD_RETURN_IF_ERROR(start_transport());
    if (options_.executor == ExecutorKind::kProcess) {
      HERD_ASSIGN_OR_RETURN(
          executor_,
          ProcessExecutor::open(io_, *logger_,
                                (std::filesystem::path(options_.state_dir) / "tasks").string()));
    } else {
      executor_ = std::make_unique<agent::SyntheticExecutor>(clock_, *rng_);
    }
    env_ = std::make_unique<Env>(
        Env{clock_, *transport_, *storage_, executor_.get(), *rng_, cost_, *logger_});
    if (!options_.api.empty()) HERD_RETURN_IF_ERROR(start_api());

    if (!options_.join.empty()) {
      discover_and_join(1);
    } else {
      HERD_RETURN_IF_ERROR(start_node({}));
    }
    return Status::ok();
  }

  // Checks the flags against what the state dir holds, and fills in state_ for a new node.
  Status settle_state(const std::optional<NodeState>& stored, const std::string& hostname) {
    if (stored) {
      if (options_.init || !options_.join.empty()) {
        return Status::failed_precondition(
            "--state-dir " + options_.state_dir + " already holds node " +
            std::to_string(stored->node_id) +
            "; start realnode with just --state-dir to restart it, or use an empty dir");
      }
      state_ = *stored;
      if (!options_.listen.empty()) state_.listen = options_.listen;
      if (!options_.advertise.empty()) state_.advertise = options_.advertise;
      if (!options_.hostname.empty()) state_.hostname = options_.hostname;
      return save_node_state(options_.state_dir, state_);
    }
    if (!options_.init && options_.join.empty()) {
      return Status::failed_precondition(
          "--state-dir " + options_.state_dir +
          " holds no node: run `realnode init` for a new cluster, or pass --join and --token");
    }
    new_node_ = true;
    state_.node_id = random_u64() | 1;  // never 0, which is kNoNode
    state_.hostname = hostname;
    state_.listen = options_.listen.empty() ? kDefaultListen : options_.listen;
    state_.advertise = options_.advertise;
    if (state_.advertise.empty()) {
      if (unspecified_host(state_.listen)) {
        return Status::invalid_argument("--listen " + state_.listen +
                                        " is not an address others can dial; pass --advertise");
      }
      state_.advertise = state_.listen;
    }
    state_.manager = options_.init || options_.manager;
    if (!options_.join.empty()) {
      HERD_ASSIGN_OR_RETURN(const manager::ParsedToken token,
                            manager::parse_join_token(options_.token));
      state_.cluster_id = token.ca_digest;
    }
    return save_node_state(options_.state_dir, state_);
  }

  Status start_transport() {
    TcpTransportOptions transport_options;
    transport_options.self = NodeId(state_.node_id);
    transport_options.cluster_id = state_.cluster_id;
    transport_options.listen = state_.listen;
    transport_options.advertise = state_.advertise;
    HERD_ASSIGN_OR_RETURN(transport_, TcpTransport::create(io_, transport_options, *logger_));
    return Status::ok();
  }

  Status start_api() {
    HttpApiOptions api_options;
    api_options.address = options_.api;
    api_options.metrics = [this] { return metrics_text(); };
    api_options.info = [this] { return info_json(); };
    HERD_ASSIGN_OR_RETURN(api_,
                          HttpApi::start(io_, *logger_, api_options,
                                         [this](const proto::ControlRequest& request,
                                                std::function<void(proto::ControlResponse)> reply) {
                                           control(request, std::move(reply));
                                         }));
    logger_->info("realnode.api", {{"address", api_->address()}});
    return Status::ok();
  }

  void discover_and_join(int attempt) {
    transport_->discover(options_.join, [this, attempt](Result<NodeId> manager) {
      if (!manager.ok()) {
        if (attempt >= kJoinAttempts) {
          std::cerr << "realnode: cannot reach a manager at --join " << options_.join << ": "
                    << manager.status().message() << "\n";
          shutdown(1);
          return;
        }
        logger_->warning("realnode.join_retry",
                         {{"address", options_.join}, {"error", manager.status().message()}});
        retry_timer_.arm(kJoinRetry, [this, attempt] { discover_and_join(attempt + 1); });
        return;
      }
      const Status started = start_node({*manager});
      if (!started.is_ok()) {
        std::cerr << "realnode: " << started.message() << "\n";
        shutdown(1);
      }
    });
  }

  Status start_node(std::vector<NodeId> join_managers) {
    node::NodeConfig config;
    config.id = NodeId(state_.node_id);
    config.hostname = state_.hostname;
    config.addr = state_.advertise;
    // Every realnode can hold a manager replica, so any node can be promoted (as with Docker);
    // a node outside the Raft group keeps it idle.
    config.manager = true;
    config.bootstrap = options_.init && new_node_;
    config.join_token = options_.token;
    config.join_managers = std::move(join_managers);
    config.description = describe_machine(options_, state_.hostname);
    config.manager_config.tick = options_.raft_tick;
    config.run_agent = true;
    node_ = std::make_unique<node::Node>(*env_, std::move(config));
    HERD_RETURN_IF_ERROR(node_->start());
    logger_->info("realnode.started", {{"node", state_.node_id},
                                       {"listen", state_.listen},
                                       {"advertise", state_.advertise},
                                       {"new", new_node_}});
    watch();
    return Status::ok();
  }

  // Follows what the node learns: the cluster it belongs to (for the handshake and the init
  // banner), a refused join, and whether a --manager join really made a manager.
  void watch() {
    if (manager::ManagerNode* manager = node_->manager(); manager != nullptr) {
      const auto& clusters = manager->store().table<proto::Cluster>().all();
      if (!clusters.empty()) learn_cluster(clusters.begin()->second);
    }
    if (const agent::Agent* agent = node_->agent(); agent != nullptr) {
      if (agent->state() == agent::Agent::State::kRemoved) {
        std::cerr << "realnode: the cluster refused this node: " << agent->removed_reason() << "\n";
        shutdown(1);
        return;
      }
      // The role the join gave, checked once: a later demotion is the cluster's decision.
      const proto::Certificate& certificate = node_->identity().certificate();
      if (expect_manager_role_ && !certificate.certificate().empty()) {
        expect_manager_role_ = false;
        if (certificate.role() != proto::NODE_ROLE_MANAGER) {
          std::cerr << "realnode: --manager was asked but the token is a worker token; the node "
                       "joined as a worker\n";
          shutdown(1);
          return;
        }
      }
    }
    watch_timer_.arm(kWatchInterval, [this] { watch(); });
  }

  void learn_cluster(const proto::Cluster& cluster) {
    const std::string& digest = cluster.root_ca().ca_cert_digest();
    if (digest.empty() || digest == state_.cluster_id) return;
    state_.cluster_id = digest;
    transport_->set_cluster_id(digest);
    const Status saved = save_node_state(options_.state_dir, state_);
    if (!saved.is_ok()) logger_->error("realnode.state", {{"error", saved.message()}});
    if (options_.init && new_node_ && !printed_join_) {
      printed_join_ = true;
      print_join_commands(cluster);
    }
  }

  void print_join_commands(const proto::Cluster& cluster) {
    out_ << "Swarm initialized: current node (" << state_.node_id << ", " << state_.hostname
         << ") is now a manager.\n\n"
         << "To add a worker to this swarm, run the following command:\n\n"
         << "    realnode --join " << state_.advertise << " --token "
         << cluster.root_ca().join_tokens().worker() << " --state-dir DIR --listen HOST:PORT\n\n"
         << "To add a manager to this swarm, run the following command:\n\n"
         << "    realnode --manager --join " << state_.advertise << " --token "
         << cluster.root_ca().join_tokens().manager() << " --state-dir DIR --listen HOST:PORT\n\n"
         << "`herdctl swarm join-token worker|manager` prints them again.\n"
         << std::flush;
  }

  void control(const proto::ControlRequest& request,
               std::function<void(proto::ControlResponse)> reply) {
    manager::ManagerNode* manager = node_ ? node_->manager() : nullptr;
    if (manager == nullptr) {
      reply(manager::ControlApi::error_response(
          Status::unavailable("this node has not started its manager yet")));
      return;
    }
    if (manager->raft_status().voters.empty() ||
        std::find(manager->voters().begin(), manager->voters().end(), manager->self()) ==
            manager->voters().end()) {
      reply(manager::ControlApi::error_response(Status::unavailable(
          "this node is not a manager of the cluster; point --host at a manager")));
      return;
    }
    manager->control(request, std::move(reply));
  }

  std::string metrics_text() {
    MetricsText metrics;
    if (node_) append_node_metrics(*node_, metrics);
    const TcpTransportStats transport = transport_->stats();
    metrics.counter("herd_transport_messages_sent_total", "Messages written to peers.",
                    static_cast<double>(transport.messages_sent));
    metrics.counter("herd_transport_bytes_sent_total", "Payload bytes written to peers.",
                    static_cast<double>(transport.bytes_sent));
    metrics.counter("herd_transport_messages_received_total", "Messages read from peers.",
                    static_cast<double>(transport.messages_received));
    metrics.counter("herd_transport_bytes_received_total", "Payload bytes read from peers.",
                    static_cast<double>(transport.bytes_received));
    metrics.gauge("herd_transport_peers_up", "Peers with an established connection.",
                  static_cast<double>(transport.peers_up));
    metrics.counter("herd_transport_failed_dials_total", "Dials that never got a handshake.",
                    static_cast<double>(transport.failed_dials));
    metrics.counter("herd_transport_frames_rejected_total",
                    "Connections closed for a bad frame or handshake.",
                    static_cast<double>(transport.frames_rejected));
    return metrics.text();
  }

  nlohmann::json info_json() {
    nlohmann::json info;
    info["node_id"] = std::to_string(state_.node_id);
    info["hostname"] = state_.hostname;
    info["advertise"] = state_.advertise;
    info["cluster_id"] = state_.cluster_id;
    if (node_) {
      info["store_node_id"] = node_->identity().store_node_id();
      if (manager::ManagerNode* manager = node_->manager(); manager != nullptr) {
        const raft::RaftStatus raft = manager->raft_status();
        const bool member =
            std::find(raft.voters.begin(), raft.voters.end(), manager->self()) != raft.voters.end();
        info["manager"] = member;
        info["voters"] = raft.voters.size();
        info["leader"] = manager->is_leader();
        info["leader_id"] = std::to_string(raft.leader.value());
        info["term"] = raft.term.value();
        info["commit"] = raft.commit.value();
        info["applied"] = raft.applied.value();
      }
    }
    return info;
  }

  // May be called from inside any callback (the transport's, a timer's), so the teardown runs
  // later, from the io_context's queue, when no component is on the stack.
  void shutdown(int status) {
    if (stopping_) return;
    stopping_ = true;
    exit_status_ = status;
    boost::asio::post(io_, [this] { teardown(); });
  }

  void teardown() {
    watch_timer_.cancel();
    retry_timer_.cancel();
    signals_.cancel();
    api_.reset();
    node_.reset();
    if (storage_) (void)storage_->sync();
    transport_.reset();
    io_.stop();
  }

  NodeOptions options_;
  std::ostream& out_;
  boost::asio::io_context io_;
  AsioClock clock_;
  StreamLogSink sink_;
  boost::asio::signal_set signals_;
  std::unique_ptr<Logger> logger_;
  std::unique_ptr<FileStorage> storage_;
  NodeState state_;
  bool new_node_ = false;
  std::unique_ptr<Rng> rng_;
  NullCostMeter cost_;
  std::unique_ptr<TcpTransport> transport_;
  std::unique_ptr<Executor> executor_;
  std::unique_ptr<Env> env_;
  std::unique_ptr<node::Node> node_;
  std::unique_ptr<HttpApi> api_;
  ScopedTimer watch_timer_;
  ScopedTimer retry_timer_{clock_};
  bool printed_join_ = false;
  bool expect_manager_role_ = options_.manager;
  bool stopping_ = false;
  int exit_status_ = 0;
};

NodeProcess::NodeProcess(NodeOptions options, std::ostream& out)
    : impl_(std::make_unique<Impl>(std::move(options), out)) {}

NodeProcess::~NodeProcess() = default;

int NodeProcess::run() { return impl_->run(); }

}  // namespace herd::realnode
