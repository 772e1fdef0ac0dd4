#include "realnode/node_options.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "realnode/node_state.h"

namespace herd::realnode {
namespace {

Result<NodeOptions> parse(std::vector<std::string_view> args) { return parse_node_options(args); }

std::string error_of(std::vector<std::string_view> args) {
  const Result<NodeOptions> options = parse(std::move(args));
  EXPECT_FALSE(options.ok());
  return options.ok() ? "" : options.status().message();
}

TEST(NodeOptionsTest, InitTakesItsFlags) {
  const Result<NodeOptions> options =
      parse({"init", "--state-dir", "/tmp/n1", "--listen", "127.0.0.1:4001", "--api",
             "unix:/tmp/n1.sock", "--raft-tick", "100ms", "--label", "zone=a", "--executor",
             "synthetic", "--log-level", "debug"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_TRUE(options->init);
  EXPECT_EQ(options->state_dir, "/tmp/n1");
  EXPECT_EQ(options->listen, "127.0.0.1:4001");
  EXPECT_EQ(options->api, "unix:/tmp/n1.sock");
  EXPECT_EQ(options->raft_tick, milliseconds(100));
  EXPECT_EQ(options->labels, std::vector<std::string>{"zone=a"});
  EXPECT_EQ(options->executor, ExecutorKind::kSynthetic);
  EXPECT_EQ(options->log_level, LogLevel::kDebug);
}

TEST(NodeOptionsTest, JoinNeedsBothAddressAndToken) {
  const Result<NodeOptions> options = parse(
      {"--join", "10.0.0.1:2377", "--token", "SWMTKN-1-x-y", "--state-dir", "d", "--manager"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_TRUE(options->manager);
  EXPECT_EQ(error_of({"--join", "10.0.0.1:2377", "--state-dir", "d"}),
            "--join needs --token TOKEN");
  EXPECT_EQ(error_of({"--token", "t", "--state-dir", "d"}), "--token needs --join ADDR");
  EXPECT_EQ(error_of({"--manager", "--state-dir", "d"}),
            "--manager only applies when joining (--join, --token)");
  EXPECT_EQ(error_of({"init", "--join", "1.2.3.4:5", "--token", "t", "--state-dir", "d"}),
            "init creates a new cluster; it takes no --join or --token");
}

TEST(NodeOptionsTest, BadFlagsNameTheProblem) {
  EXPECT_EQ(error_of({"--state-dir", "d", "--frobnicate"}), "unknown flag \"--frobnicate\"");
  EXPECT_EQ(error_of({"--listen", "127.0.0.1:4001"}), "--state-dir is required");
  EXPECT_EQ(error_of({"--state-dir"}), "--state-dir needs a value");
  EXPECT_EQ(error_of({"--state-dir", "d", "--listen", "localhost"}),
            "--listen: address \"localhost\" is not HOST:PORT");
  EXPECT_EQ(error_of({"--state-dir", "d", "--listen", "1.2.3.4:99999"}),
            "--listen: address \"1.2.3.4:99999\" has no valid port (0-65535)");
  EXPECT_EQ(error_of({"--state-dir", "d", "--listen", "1.2.3.4:0"}),
            "--listen: address \"1.2.3.4:0\" needs a port other than 0");
  EXPECT_EQ(error_of({"--state-dir", "d", "--api", "nowhere"}),
            "--api: address \"nowhere\" is not HOST:PORT (or unix:PATH)");
  EXPECT_EQ(error_of({"--state-dir", "d", "--executor", "docker"}),
            "--executor \"docker\" is unknown (process or synthetic)");
  EXPECT_EQ(error_of({"--state-dir", "d", "--raft-tick", "1ms"}),
            "--raft-tick \"1ms\" is not a duration of at least 10ms");
  EXPECT_EQ(error_of({"--state-dir", "d", "--label", "novalue"}),
            "--label \"novalue\" is not KEY=VALUE");
  EXPECT_EQ(error_of({"--state-dir", "d", "--log-level", "loud"}),
            "--log-level \"loud\" is unknown (debug, info, warning, error)");
}

TEST(NodeOptionsTest, HostPortAcceptsBracketedIpv6) {
  const Result<HostPort> v6 = parse_host_port("[::1]:2377", false);
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->to_string(), "[::1]:2377");
  EXPECT_FALSE(parse_host_port("::1:2377", false).ok());
  EXPECT_TRUE(parse_host_port("127.0.0.1:0", true).ok());
}

class NodeStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("herd-node-state-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(NodeStateTest, RoundTripsAndAMissingFileMeansANewNode) {
  const Result<std::optional<NodeState>> missing = load_node_state(dir_.string());
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
  NodeState state{.node_id = 0xfeedfacecafebeefULL,
                  .cluster_id = "abc",
                  .listen = "127.0.0.1:1",
                  .advertise = "127.0.0.1:1",
                  .hostname = "h",
                  .manager = true};
  ASSERT_TRUE(save_node_state(dir_.string(), state).is_ok());
  const Result<std::optional<NodeState>> loaded = load_node_state(dir_.string());
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
  EXPECT_EQ((*loaded)->node_id, state.node_id);
  EXPECT_EQ((*loaded)->cluster_id, "abc");
  EXPECT_TRUE((*loaded)->manager);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "node.json.tmp"));
}

TEST_F(NodeStateTest, ADamagedFileIsAnErrorNotANewIdentity) {
  std::ofstream(dir_ / "node.json") << "{\"node_id\": 12, \"cluster";
  const Result<std::optional<NodeState>> loaded = load_node_state(dir_.string());
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kCorruption);
  EXPECT_NE(loaded.status().message().find("node.json is damaged"), std::string::npos)
      << loaded.status();
}

}  // namespace
}  // namespace herd::realnode
