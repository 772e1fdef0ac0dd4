// cluster_bench: a real 3-manager herd cluster on loopback, with real fsync, side by side with a
// 3-member etcd cluster, driven by the same HTTP/JSON client.
//
//   cluster_bench [--seconds N] [--clients 1,16,256] [--kills N] [--no-etcd] [--etcd PATH]
//                 [--cpu-profile FILE]   (a gperftools profile of the first leader; needs --kills
//                 0)
//
// For each concurrency it runs closed-loop clients (each sends a write, waits for its answer,
// sends the next) for N seconds against the leader and prints writes committed per second and
// the p50/p99/max latency: herd's write creates a secret (`POST /secrets`, one new store
// object through Raft), etcd's a put through its JSON gateway (`POST /v3/kv/put`), both
// with a 128-byte value and keep-alive connections. Then it kills the herd leader with SIGKILL
// `--kills` times and measures the time from the kill to the first write committed through a
// surviving manager. Both clusters tick Raft every 100 ms (etcd's default heartbeat; herd's
// election timeout is then 1-2 s, etcd's default election timeout is 1 s).
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/realnode/process_cluster.h"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Clock = std::chrono::steady_clock;
using herd::realnode::testing::free_port;
using herd::realnode::testing::ProcessCluster;
using herd::realnode::testing::spawn_logged;
using herd::realnode::testing::wait_until;

constexpr std::size_t kValueBytes = 128;

struct Endpoint {
  std::string host;
  unsigned short port = 0;
};

Endpoint parse_endpoint(const std::string& address) {
  const std::size_t colon = address.rfind(':');
  return {address.substr(0, colon),
          static_cast<unsigned short>(std::stoi(address.substr(colon + 1)))};
}

// What one system's write looks like; the client code around it is shared.
struct Target {
  std::string name;
  Endpoint endpoint;
  std::function<http::request<http::string_body>(std::size_t client, std::uint64_t n)> request;
};

struct LoadResult {
  std::uint64_t committed = 0;
  std::uint64_t failed = 0;
  double seconds = 0;
  std::vector<double> latencies_ms;

  double percentile(double p) {
    if (latencies_ms.empty()) return 0;
    std::sort(latencies_ms.begin(), latencies_ms.end());
    const auto index = static_cast<std::size_t>(p * static_cast<double>(latencies_ms.size() - 1));
    return latencies_ms[index];
  }
};

// One closed-loop client on a keep-alive connection.
class Client : public std::enable_shared_from_this<Client> {
 public:
  Client(asio::io_context& io, const Target& target, std::size_t id, LoadResult& result,
         const bool& running)
      : stream_(io), target_(target), id_(id), result_(result), running_(running) {}

  void start() {
    stream_.socket().connect(
        {asio::ip::make_address(target_.endpoint.host), target_.endpoint.port});
    stream_.socket().set_option(asio::ip::tcp::no_delay(true));
    send();
  }

 private:
  void send() {
    if (!running_) return;
    request_ = target_.request(id_, sequence_++);
    request_.keep_alive(true);
    request_.prepare_payload();
    sent_at_ = Clock::now();
    auto self = shared_from_this();
    http::async_write(stream_, request_, [self](beast::error_code error, std::size_t) {
      if (error) return self->fail();
      self->response_ = {};
      http::async_read(self->stream_, self->buffer_, self->response_,
                       [self](beast::error_code read_error, std::size_t) {
                         if (read_error) return self->fail();
                         self->done();
                       });
    });
  }

  void done() {
    if (response_.result_int() / 100 == 2) {
      ++result_.committed;
      result_.latencies_ms.push_back(
          std::chrono::duration<double, std::milli>(Clock::now() - sent_at_).count());
    } else {
      ++result_.failed;
      if (result_.failed <= 3) {
        std::cerr << target_.name << ": HTTP " << response_.result_int() << " " << response_.body()
                  << "\n";
      }
    }
    send();
  }

  void fail() { ++result_.failed; }

  beast::tcp_stream stream_;
  const Target& target_;
  std::size_t id_;
  LoadResult& result_;
  const bool& running_;
  std::uint64_t sequence_ = 0;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
  beast::flat_buffer buffer_;
  Clock::time_point sent_at_;
};

LoadResult run_load(const Target& target, std::size_t clients, double seconds) {
  asio::io_context io;
  LoadResult result;
  bool running = true;
  std::vector<std::shared_ptr<Client>> all;
  for (std::size_t i = 0; i < clients; ++i) {
    all.push_back(std::make_shared<Client>(io, target, i, result, running));
    all.back()->start();
  }
  // A short warm-up, then the measured window.
  io.run_for(std::chrono::milliseconds(500));
  result = LoadResult();
  const Clock::time_point start = Clock::now();
  io.run_for(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds)));
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  LoadResult measured = result;
  running = false;
  io.run_for(std::chrono::seconds(5));  // let the last requests finish before the sockets close
  return measured;
}

// One blocking write, for the failover measurement; true when it committed.
bool write_once(const Target& target) {
  try {
    asio::io_context io;
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::seconds(2));
    stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address(target.endpoint.host),
                                           target.endpoint.port));
    http::request<http::string_body> request = target.request(0, 0);
    request.prepare_payload();
    http::write(stream, request);
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    http::read(stream, buffer, response);
    return response.result_int() / 100 == 2;
  } catch (const std::exception&) {
    return false;
  }
}

std::string value_of(std::size_t client, std::uint64_t n) {
  std::string value = std::to_string(client) + "-" + std::to_string(n) + "-";
  value.resize(kValueBytes, 'v');
  return value;
}

std::string base64(const std::string& in);

// Each write creates a secret of its own: like etcd's puts, writes of different clients never
// touch one object, so herd's optimistic concurrency checks never refuse one.
Target herd_target(const std::string& api) {
  Target target{"herd", parse_endpoint(api), nullptr};
  target.request = [](std::size_t client, std::uint64_t n) {
    static std::uint64_t next = 0;  // secret names stay unique across every run of the process
    http::request<http::string_body> request(http::verb::post, "/secrets", 11);
    request.set(http::field::host, "localhost");
    request.set(http::field::content_type, "application/json");
    nlohmann::json body;
    body["name"] = "bench-" + std::to_string(next++);
    body["data"] = base64(value_of(client, n));
    request.body() = body.dump();
    return request;
  };
  return target;
}

std::string base64(const std::string& in) {
  static const char* const kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::uint32_t bits = 0;
  int count = 0;
  for (unsigned char c : in) {
    bits = (bits << 8) | c;
    count += 8;
    while (count >= 6) {
      count -= 6;
      out.push_back(kAlphabet[(bits >> count) & 63]);
    }
  }
  if (count > 0) out.push_back(kAlphabet[(bits << (6 - count)) & 63]);
  while (out.size() % 4 != 0) out.push_back('=');
  return out;
}

Target etcd_target(const Endpoint& endpoint) {
  Target target{"etcd", endpoint, nullptr};
  target.request = [](std::size_t client, std::uint64_t n) {
    http::request<http::string_body> request(http::verb::post, "/v3/kv/put", 11);
    request.set(http::field::host, "localhost");
    request.set(http::field::content_type, "application/json");
    nlohmann::json body;
    body["key"] = base64("bench." + std::to_string(client));
    body["value"] = base64(value_of(client, n));
    request.body() = body.dump();
    return request;
  };
  return target;
}

// A 3-member etcd cluster on loopback; members are killed when it goes.
class EtcdCluster {
 public:
  EtcdCluster(const std::string& binary, const std::string& dir) {
    std::string initial;
    for (int i = 0; i < 3; ++i) {
      members_.push_back({"e" + std::to_string(i + 1), free_port(), free_port(), 0});
      initial += (i ? "," : "") + members_[i].name +
                 "=http://127.0.0.1:" + std::to_string(members_[i].peer_port);
    }
    for (Member& m : members_) {
      const std::string client = "http://127.0.0.1:" + std::to_string(m.client_port);
      const std::string peer = "http://127.0.0.1:" + std::to_string(m.peer_port);
      m.pid = spawn_logged({binary,
                            "--name",
                            m.name,
                            "--data-dir",
                            dir + "/" + m.name,
                            "--listen-client-urls",
                            client,
                            "--advertise-client-urls",
                            client,
                            "--listen-peer-urls",
                            peer,
                            "--initial-advertise-peer-urls",
                            peer,
                            "--initial-cluster",
                            initial,
                            "--initial-cluster-state",
                            "new",
                            "--heartbeat-interval",
                            "100",
                            "--election-timeout",
                            "1000"},
                           dir + "/" + m.name + ".log");
    }
  }
  ~EtcdCluster() {
    for (const Member& m : members_) {
      ::kill(m.pid, SIGKILL);
      ::waitpid(m.pid, nullptr, 0);
    }
  }

  // The leader's client endpoint once a write commits, or nullopt.
  std::optional<Endpoint> leader() {
    for (const Member& m : members_) {
      const Endpoint endpoint{"127.0.0.1", static_cast<unsigned short>(m.client_port)};
      std::optional<nlohmann::json> status = post_json(endpoint, "/v3/maintenance/status", "{}");
      if (!status || !status->contains("leader")) continue;
      if ((*status)["leader"] == (*status)["header"]["member_id"]) return endpoint;
    }
    return std::nullopt;
  }

 private:
  struct Member {
    std::string name;
    int client_port;
    int peer_port;
    pid_t pid;
  };

  static std::optional<nlohmann::json> post_json(const Endpoint& endpoint,
                                                 const std::string& target,
                                                 const std::string& body) {
    try {
      asio::io_context io;
      beast::tcp_stream stream(io);
      stream.expires_after(std::chrono::seconds(2));
      stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address(endpoint.host), endpoint.port));
      http::request<http::string_body> request(http::verb::post, target, 11);
      request.set(http::field::host, "localhost");
      request.body() = body;
      request.prepare_payload();
      http::write(stream, request);
      beast::flat_buffer buffer;
      http::response<http::string_body> response;
      http::read(stream, buffer, response);
      const nlohmann::json parsed = nlohmann::json::parse(response.body(), nullptr, false);
      if (parsed.is_discarded()) return std::nullopt;
      return parsed;
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }

  std::vector<Member> members_;
};

std::vector<std::size_t> parse_list(const std::string& text) {
  std::vector<std::size_t> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(std::stoul(item));
  return out;
}

std::string leader_api(ProcessCluster& cluster) {
  const std::string leader = cluster.leader();
  return leader.empty() ? "" : cluster.node(leader).api;
}

int run(int argc, char** argv) {
  double seconds = 5;
  std::vector<std::size_t> concurrency = {1, 16, 256};
  int kills = 20;
  bool with_etcd = true;
  std::string etcd_binary = "/usr/bin/etcd";
  std::string leader_profile;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(flag + " needs a value");
      return argv[++i];
    };
    if (flag == "--seconds") {
      seconds = std::stod(value());
    } else if (flag == "--clients") {
      concurrency = parse_list(value());
    } else if (flag == "--kills") {
      kills = std::stoi(value());
    } else if (flag == "--no-etcd") {
      with_etcd = false;
    } else if (flag == "--etcd") {
      etcd_binary = value();
    } else if (flag == "--cpu-profile") {
      leader_profile = value();
    } else {
      std::cerr << "cluster_bench: unknown flag \"" << flag << "\"\n";
      return 2;
    }
  }
  if (with_etcd && !std::filesystem::exists(etcd_binary)) {
    std::cerr << "cluster_bench: no etcd at " << etcd_binary
              << " (scripts/install-deps --bench installs it; or pass --no-etcd)\n";
    return 2;
  }

  if (!leader_profile.empty() && kills != 0) {
    std::cerr << "cluster_bench: --cpu-profile profiles the first leader; pass --kills 0\n";
    return 2;
  }
  ProcessCluster herd(ProcessCluster::Api::kTcp);
  const std::vector<std::string> flags = {"--raft-tick", "100ms",       "--executor",
                                          "synthetic",   "--log-level", "warning"};
  std::vector<std::string> first_flags = flags;
  if (!leader_profile.empty()) {
    first_flags.push_back("--cpu-profile");
    first_flags.push_back(std::filesystem::absolute(leader_profile).string());
  }
  herd.init("m1", first_flags);
  if (!wait_until([&] { return !leader_api(herd).empty(); }, std::chrono::seconds(30))) {
    std::cerr << "herd: no leader\n" << herd.log_of("m1");
    return 1;
  }
  const std::string token = [&] {
    std::string out = herd.herdctl("m1", {"swarm", "join-token", "-q", "manager"}).out;
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    return out;
  }();
  herd.join("m2", "m1", token, true, flags);
  herd.join("m3", "m1", token, true, flags);
  if (!wait_until(
          [&] {
            const auto info = herd.info("m1");
            return info && info->value("voters", 0) == 3;
          },
          std::chrono::seconds(60))) {
    std::cerr << "herd: managers did not join\n";
    return 1;
  }

  std::unique_ptr<EtcdCluster> etcd;
  std::optional<Endpoint> etcd_leader;
  if (with_etcd) {
    etcd = std::make_unique<EtcdCluster>(etcd_binary, herd.dir());
    wait_until([&] { return (etcd_leader = etcd->leader()).has_value(); },
               std::chrono::seconds(30));
    if (!etcd_leader) {
      std::cerr << "etcd: no leader\n";
      return 1;
    }
  }

  std::printf(
      "writes committed on 3 managers over loopback, fsync on, %zu-byte values, %.0f s each\n",
      kValueBytes, seconds);
  std::printf("%-8s %8s %12s %9s %9s %9s %12s\n", "system", "clients", "writes/s", "p50 ms",
              "p99 ms", "max ms", "herd/etcd");
  for (std::size_t clients : concurrency) {
    const Target herd_writes = herd_target(leader_api(herd));
    LoadResult h = run_load(herd_writes, clients, seconds);
    const double herd_rate = static_cast<double>(h.committed) / h.seconds;
    std::printf("%-8s %8zu %12.0f %9.2f %9.2f %9.2f", "herd", clients, herd_rate, h.percentile(0.5),
                h.percentile(0.99), h.percentile(1.0));
    if (h.failed > 0) std::printf("  (%llu failed)", static_cast<unsigned long long>(h.failed));
    std::printf("\n");
    if (etcd) {
      const Target etcd_writes = etcd_target(*etcd_leader);
      LoadResult e = run_load(etcd_writes, clients, seconds);
      const double etcd_rate = static_cast<double>(e.committed) / e.seconds;
      std::printf("%-8s %8zu %12.0f %9.2f %9.2f %9.2f %11.2fx", "etcd", clients, etcd_rate,
                  e.percentile(0.5), e.percentile(0.99), e.percentile(1.0),
                  etcd_rate > 0 ? herd_rate / etcd_rate : 0.0);
      if (e.failed > 0) std::printf("  (%llu failed)", static_cast<unsigned long long>(e.failed));
      std::printf("\n");
    }
    std::fflush(stdout);
  }

  if (kills > 0) {
    std::vector<double> failover_ms;
    for (int k = 0; k < kills; ++k) {
      const std::string leader = herd.leader();
      if (leader.empty()) break;
      std::vector<std::string> others;
      for (const char* name : {"m1", "m2", "m3"}) {
        if (name != leader) others.push_back(name);
      }
      const Clock::time_point killed = Clock::now();
      herd.kill_node(leader);
      bool committed = false;
      while (!committed && Clock::now() - killed < std::chrono::seconds(30)) {
        for (const std::string& other : others) {
          if (write_once(herd_target(herd.node(other).api))) {
            committed = true;
            break;
          }
        }
        if (!committed) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      if (committed) {
        failover_ms.push_back(
            std::chrono::duration<double, std::milli>(Clock::now() - killed).count());
      }
      herd.restart(leader);
      wait_until(
          [&] {
            const auto info = herd.info(leader);
            return info && info->value("voters", 0) == 3 && info->value("leader_id", "0") != "0";
          },
          std::chrono::seconds(30));
    }
    std::sort(failover_ms.begin(), failover_ms.end());
    if (!failover_ms.empty()) {
      std::printf(
          "herd leader failover, kill -9 to the first new commit, %zu kills: min %.0f ms, "
          "median %.0f ms, max %.0f ms\n",
          failover_ms.size(), failover_ms.front(), failover_ms[failover_ms.size() / 2],
          failover_ms.back());
    }
  }
  if (!leader_profile.empty()) {
    herd.kill_node("m1", SIGTERM);  // a clean exit writes the profile
    const int status = herd.wait_exit("m1", std::chrono::seconds(10));
    if (status != 0) {
      std::cerr << "m1 exited with " << status << ":\n" << herd.log_of("m1");
      return 1;
    }
    std::printf("CPU profile of the leader: %s\n", leader_profile.c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "cluster_bench: " << e.what() << "\n";
    return 2;
  }
}
