// End-to-end tests of real realnode processes on loopback: TCP between the nodes, WAL files with
// fsync in temporary state dirs, tasks as child processes, the HTTP API on Unix sockets, and
// herdctl as the client. Raft ticks every 100 ms and heartbeats every second so that elections
// and the down bound take seconds, not the production tens of seconds.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "tests/realnode/process_cluster.h"

namespace herd::realnode::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const std::vector<std::string> kFastRaft = {"--raft-tick", "100ms"};

std::string trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

class RealClusterTest : public ::testing::Test {
 protected:
  // Starts the first manager and waits until it leads; returns the worker and manager tokens.
  std::pair<std::string, std::string> start_first_manager() {
    cluster_.init("m1", kFastRaft);
    EXPECT_TRUE(wait_until([&] { return cluster_.leader() == "m1"; }, seconds(20)))
        << cluster_.log_of("m1");
    const CommandResult worker = cluster_.herdctl("m1", {"swarm", "join-token", "-q", "worker"});
    const CommandResult manager = cluster_.herdctl("m1", {"swarm", "join-token", "-q", "manager"});
    EXPECT_EQ(worker.exit_code, 0) << worker.err;
    EXPECT_EQ(manager.exit_code, 0) << manager.err;
    const CommandResult update =
        cluster_.herdctl("m1", {"swarm", "update", "--dispatcher-heartbeat", "1s"});
    EXPECT_EQ(update.exit_code, 0) << update.err;
    return {trim(worker.out), trim(manager.out)};
  }

  // Node ls as the leader sees it: hostname -> node JSON.
  std::map<std::string, nlohmann::json> nodes(const std::string& via) {
    std::map<std::string, nlohmann::json> out;
    const std::optional<nlohmann::json> listed = cluster_.herdctl_json(via, {"node", "ls"});
    if (!listed || !listed->contains("nodes")) return out;
    for (const nlohmann::json& node : (*listed)["nodes"]) {
      out[node["description"]["hostname"].get<std::string>()] = node;
    }
    return out;
  }

  int ready_nodes(const std::string& via) {
    int ready = 0;
    for (const auto& [name, node] : nodes(via)) {
      ready += node["status"].value("state", "") == "NODE_STATE_READY";
    }
    return ready;
  }

  std::size_t processes_on(const std::vector<std::string>& names) {
    std::size_t total = 0;
    for (const std::string& name : names) total += cluster_.task_processes(name).size();
    return total;
  }

  // "running/desired" of a service as `service ls` reports it.
  std::string replicas(const std::string& via, const std::string& service) {
    const std::optional<nlohmann::json> listed = cluster_.herdctl_json(via, {"service", "ls"});
    if (!listed || !listed->contains("services")) return "";
    const nlohmann::json& services = (*listed)["services"];
    for (std::size_t i = 0; i < services.size(); ++i) {
      if (services[i]["spec"]["name"] == service) {
        const auto number = [](const nlohmann::json& value) {
          return value.is_string() ? value.get<std::string>() : std::to_string(value.get<int>());
        };
        return number((*listed)["running"][i]) + "/" + number((*listed)["desired"][i]);
      }
    }
    return "";
  }

  ProcessCluster cluster_;
};

TEST_F(RealClusterTest, ServiceProcessesSurviveLeaderAndWorkerKillsAndFollowADrain) {
  const auto [worker_token, manager_token] = start_first_manager();
  cluster_.join("m2", "m1", manager_token, /*manager=*/true, kFastRaft);
  cluster_.join("m3", "m1", manager_token, /*manager=*/true, kFastRaft);
  cluster_.join("w1", "m1", worker_token, /*manager=*/false, kFastRaft);
  cluster_.join("w2", "m1", worker_token, /*manager=*/false, kFastRaft);
  ASSERT_TRUE(wait_until([&] { return ready_nodes("m1") == 5; }, seconds(30)))
      << nodes("m1").size() << " nodes\n"
      << cluster_.log_of("m2");
  // Through a follower: it tells the worker where the leader is.
  cluster_.join("w3", "m2", worker_token, /*manager=*/false, kFastRaft);
  ASSERT_TRUE(wait_until([&] { return ready_nodes("m1") == 6; }, seconds(30)))
      << nodes("m1").size() << " nodes\n"
      << cluster_.log_of("m2");
  ASSERT_TRUE(wait_until(
      [&] {
        const std::optional<nlohmann::json> about = cluster_.info("m1");
        return about && about->value("voters", 0) == 3;
      },
      seconds(30)))
      << cluster_.log_of("m1");
  for (const char* manager : {"m1", "m2", "m3"}) {
    const CommandResult drained =
        cluster_.herdctl("m1", {"node", "update", "--availability", "drain", manager});
    ASSERT_EQ(drained.exit_code, 0) << drained.err;
  }

  const CommandResult created = cluster_.herdctl(
      "m1", {"service", "create", "--name", "web", "--replicas", "3", "--restart-delay", "100ms",
             "--stop-grace-period", "1s", "busybox", "sleep", "1000"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  const std::vector<std::string> workers = {"w1", "w2", "w3"};
  ASSERT_TRUE(wait_until([&] { return processes_on(workers) == 3; }, seconds(30)))
      << cluster_.log_of("w1");
  EXPECT_TRUE(wait_until([&] { return replicas("m1", "web") == "3/3"; }, seconds(10)));
  EXPECT_EQ(processes_on({"m1", "m2", "m3"}), 0U) << "managers are drained";

  // kill -9 the leader: a new one is elected, and the tasks never stop.
  const std::set<std::string> pids_before = [&] {
    std::set<std::string> pids;
    for (const std::string& w : workers) {
      for (const auto& [pid, task] : cluster_.task_processes(w)) pids.insert(std::to_string(pid));
    }
    return pids;
  }();
  const auto killed_at = std::chrono::steady_clock::now();
  cluster_.kill_node("m1");
  std::string leader;
  ASSERT_TRUE(wait_until(
      [&] {
        leader = cluster_.leader();
        return !leader.empty();
      },
      seconds(15)));
  const auto elected_after = std::chrono::steady_clock::now() - killed_at;
  EXPECT_NE(leader, "m1");
  EXPECT_LT(elected_after, seconds(10)) << "election timeout is 1-2 s at a 100 ms tick";
  EXPECT_TRUE(wait_until([&] { return replicas(leader, "web") == "3/3"; }, seconds(15)));
  EXPECT_EQ(processes_on(workers), 3U);

  // The killed manager restarts from its state dir and catches up.
  cluster_.restart("m1");
  ASSERT_TRUE(wait_until(
      [&] {
        const std::optional<nlohmann::json> old = cluster_.info("m1");
        const std::optional<nlohmann::json> now = cluster_.info(leader);
        return old && now && old->value("commit", 0) > 0 &&
               old->value("applied", 0) >= now->value("commit", 0) - 5;
      },
      seconds(20)))
      << cluster_.log_of("m1");
  EXPECT_TRUE(wait_until([&] { return ready_nodes(leader) == 6; }, seconds(20)));

  // kill -9 a worker that runs a task, with its machine: the tasks start elsewhere once the
  // leader marks it down (3 missed 1 s heartbeats).
  std::string victim;
  for (const std::string& w : workers) {
    if (!cluster_.task_processes(w).empty()) victim = w;
  }
  ASSERT_FALSE(victim.empty());
  cluster_.kill_node(victim);
  for (const auto& [pid, task] : cluster_.task_processes(victim)) ::kill(pid, SIGKILL);
  std::vector<std::string> survivors;
  for (const std::string& w : workers) {
    if (w != victim) survivors.push_back(w);
  }
  EXPECT_TRUE(wait_until(
      [&] { return nodes(leader)[victim]["status"]["state"] == "NODE_STATE_DOWN"; }, seconds(15)));
  EXPECT_TRUE(wait_until([&] { return processes_on(survivors) == 3; }, seconds(20)))
      << cluster_.log_of(survivors[0]);
  EXPECT_TRUE(wait_until([&] { return replicas(leader, "web") == "3/3"; }, seconds(10)));

  // Draining a worker moves its processes to the other one.
  const CommandResult drained =
      cluster_.herdctl(leader, {"node", "update", "--availability", "drain", survivors[0]});
  ASSERT_EQ(drained.exit_code, 0) << drained.err;
  EXPECT_TRUE(wait_until(
      [&] {
        return cluster_.task_processes(survivors[0]).empty() &&
               cluster_.task_processes(survivors[1]).size() == 3;
      },
      seconds(20)));
}

TEST_F(RealClusterTest, WorkersArePromotedIntoTheRaftGroupAndDemotedOut) {
  const auto [worker_token, manager_token] = start_first_manager();
  cluster_.join("w1", "m1", worker_token, /*manager=*/false, kFastRaft);
  cluster_.join("w2", "m1", worker_token, /*manager=*/false, kFastRaft);
  ASSERT_TRUE(wait_until([&] { return ready_nodes("m1") == 3; }, seconds(30)));
  const auto voters = [&](const std::string& name) {
    const std::optional<nlohmann::json> about = cluster_.info(name);
    return about ? about->value("voters", 0) : -1;
  };
  const CommandResult promoted = cluster_.herdctl("m1", {"node", "promote", "w1", "w2"});
  ASSERT_EQ(promoted.exit_code, 0) << promoted.err;
  EXPECT_TRUE(wait_until([&] { return voters("m1") == 3 && voters("w2") == 3; }, seconds(20)))
      << cluster_.log_of("w2");
  EXPECT_TRUE(wait_until(
      [&] {
        const std::optional<nlohmann::json> w1 = cluster_.info("w1");
        return w1 && w1->value("manager", false);
      },
      seconds(10)));

  const CommandResult demoted = cluster_.herdctl("m1", {"node", "demote", "w2"});
  ASSERT_EQ(demoted.exit_code, 0) << demoted.err;
  EXPECT_TRUE(wait_until([&] { return voters("m1") == 2; }, seconds(20)));
  EXPECT_TRUE(cluster_.alive("w2")) << "a demoted node keeps running as a worker";
  EXPECT_EQ(ready_nodes("m1"), 3);
}

TEST_F(RealClusterTest, WrongOrMalformedTokensAreRefused) {
  const auto [worker_token, manager_token] = start_first_manager();
  std::string wrong = worker_token;
  wrong.back() = wrong.back() == 'a' ? 'b' : 'a';
  cluster_.join("bad", "m1", wrong, /*manager=*/false, kFastRaft);
  EXPECT_EQ(cluster_.wait_exit("bad", seconds(20)), 1);
  EXPECT_NE(cluster_.log_of("bad").find("the cluster refused this node: not_found: join token"),
            std::string::npos)
      << cluster_.log_of("bad");

  cluster_.join("malformed", "m1", "SWMTKN-1-nonsense", /*manager=*/false, kFastRaft);
  EXPECT_EQ(cluster_.wait_exit("malformed", seconds(10)), 1);
  EXPECT_NE(cluster_.log_of("malformed").find("join token"), std::string::npos)
      << cluster_.log_of("malformed");

  cluster_.join("fake-manager", "m1", worker_token, /*manager=*/true, kFastRaft);
  EXPECT_EQ(cluster_.wait_exit("fake-manager", seconds(20)), 1);
  EXPECT_NE(cluster_.log_of("fake-manager").find("worker token"), std::string::npos)
      << cluster_.log_of("fake-manager");
  EXPECT_EQ(ready_nodes("m1"), 2) << "m1 itself and the worker-token node, nothing written for "
                                     "the refused tokens";
}

TEST_F(RealClusterTest, TornWalTailRecoversAndACorruptMiddleRecordRefusesToStart) {
  start_first_manager();
  const CommandResult created = cluster_.herdctl(
      "m1", {"service", "create", "--name", "svc", "--replicas", "0", "busybox", "sleep", "1"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  cluster_.kill_node("m1", SIGTERM);
  ASSERT_EQ(cluster_.wait_exit("m1", seconds(10)), 0) << "a clean shutdown on SIGTERM";

  std::string segment;
  for (const auto& entry : std::filesystem::directory_iterator(cluster_.node("m1").state_dir)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with("wal-") && name.ends_with(".log")) segment = entry.path().string();
  }
  ASSERT_FALSE(segment.empty());
  const auto size = std::filesystem::file_size(segment);
  std::ofstream(segment, std::ios::app) << "\x01\x02\x03 torn tail";
  cluster_.restart("m1");
  ASSERT_TRUE(wait_until([&] { return cluster_.leader() == "m1"; }, seconds(20)))
      << cluster_.log_of("m1");
  EXPECT_NE(cluster_.log_of("m1").find("storage.torn_tail_truncated"), std::string::npos);
  EXPECT_EQ(cluster_.herdctl("m1", {"service", "inspect", "svc"}).exit_code, 0)
      << "nothing committed was lost";
  cluster_.kill_node("m1", SIGTERM);
  ASSERT_EQ(cluster_.wait_exit("m1", seconds(10)), 0);

  {
    std::fstream file(segment, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(size / 2));
    file.put('\x5a');
  }
  cluster_.restart("m1");
  EXPECT_EQ(cluster_.wait_exit("m1", seconds(10)), 1);
  const std::string log = cluster_.log_of("m1");
  EXPECT_NE(log.find("offset"), std::string::npos) << log;
  EXPECT_NE(log.find(std::filesystem::path(segment).filename().string()), std::string::npos) << log;
}

TEST_F(RealClusterTest, GarbageOnThePeerPortAndASecondProcessOnTheStateDirAreRefused) {
  start_first_manager();
  const std::string listen = cluster_.node("m1").listen;
  const int port = std::stoi(listen.substr(listen.rfind(':') + 1));
  for (const std::string& garbage :
       {std::string(64, '\xff'), std::string("GET / HTTP/1.1\r\n\r\n"),
        std::string("\x7f\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00", 12)}) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address = {};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    ASSERT_EQ(::send(fd, garbage.data(), garbage.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(garbage.size()));
    timeval timeout{.tv_sec = 10, .tv_usec = 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    char buffer[256];
    ssize_t n = 0;
    // The node may answer with its own handshake first; it must then close the connection.
    while ((n = ::recv(fd, buffer, sizeof(buffer), 0)) > 0) {
    }
    EXPECT_EQ(n, 0) << "the node closed the connection";
    ::close(fd);
  }
  EXPECT_TRUE(cluster_.alive("m1"));
  EXPECT_EQ(cluster_.leader(), "m1") << "and still serves";
  std::optional<std::string> metrics;
  // The first manager's own agent registers once the cluster object exists.
  ASSERT_TRUE(wait_until(
      [&] {
        metrics = cluster_.http_get("m1", "/metrics");
        return metrics && metrics->find("herd_dispatcher_sessions 1\n") != std::string::npos;
      },
      seconds(10)))
      << cluster_.log_of("m1");
  EXPECT_NE(metrics->find("herd_raft_leader 1\n"), std::string::npos) << *metrics;
  EXPECT_NE(metrics->find("herd_transport_frames_rejected_total 3\n"), std::string::npos)
      << *metrics;
  EXPECT_NE(metrics->find("herd_store_objects{table=\"node\"} 1\n"), std::string::npos) << *metrics;
  EXPECT_NE(cluster_.log_of("m1").find("transport."), std::string::npos);

  const CommandResult second =
      run_command({HERD_REALNODE_PATH, "--state-dir", cluster_.node("m1").state_dir, "--listen",
                   "127.0.0.1:" + std::to_string(free_port())});
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_NE(second.err.find("in use"), std::string::npos) << second.err;

  const CommandResult bad_flag =
      run_command({HERD_REALNODE_PATH, "--state-dir", "x", "--listen", "nowhere"});
  EXPECT_EQ(bad_flag.exit_code, 2);
  EXPECT_NE(bad_flag.err.find("--listen: address \"nowhere\" is not HOST:PORT"), std::string::npos)
      << bad_flag.err;
}

}  // namespace
}  // namespace herd::realnode::testing
