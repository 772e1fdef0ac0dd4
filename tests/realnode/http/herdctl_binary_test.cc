// The built herdctl binary (HERDCTL_PATH, a compile definition naming the target's file) against
// a test server on a Unix socket: output, exit status and stderr as a user sees them.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/realnode/http/test_server.h"

namespace herd::realnode {
namespace {

struct ProcessRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Runs the binary in a temporary directory of its own, removed at the end.
class Herdctl {
 public:
  Herdctl() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/herdctl-XXXXXX";
    dir_ = ::mkdtemp(pattern.data());
  }
  Herdctl(const Herdctl&) = delete;
  Herdctl& operator=(const Herdctl&) = delete;
  ~Herdctl() { std::filesystem::remove_all(dir_); }

  const std::string& dir() const { return dir_; }

  // Runs herdctl with `args` (already shell-quoted where needed).
  ProcessRun operator()(const std::string& args, const std::string& environment = "") const {
    const std::string out = dir_ + "/out";
    const std::string err = dir_ + "/err";
    const std::string command =
        environment + " " + HERDCTL_PATH + " " + args + " >" + out + " 2>" + err;
    const int status = std::system(command.c_str());
    return ProcessRun{WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_file(out), read_file(err)};
  }

 private:
  std::string dir_;
};

TEST(HerdctlTest, BinaryTalksToTheApiAndExitsByOutcome) {
  const Herdctl herdctl;
  TestServer server(
      {.address = "unix:" + herdctl.dir() + "/api.sock"},
      [](const proto::ControlRequest& request, const ControlReply&) {
        proto::ControlResponse response = TestServer::ok();
        if (request.has_list_services()) {
          proto::Service& service = *response.add_services();
          service.mutable_meta()->set_id("svc1");
          service.mutable_spec()->set_name("web");
          service.mutable_spec()->mutable_task()->mutable_container()->set_image("nginx");
          response.add_running(2);
          response.add_desired(3);
        } else if (request.has_remove_node()) {
          response.set_code("not_found");
          response.set_message("node '" + request.remove_node().node() + "' not found");
        }
        return std::optional(response);
      });
  ASSERT_TRUE(server.status().is_ok()) << server.status();

  const ProcessRun ls = herdctl("--host " + server.address() + " service ls");
  EXPECT_EQ(ls.exit_code, 0) << ls.err;
  EXPECT_EQ(ls.out,
            "ID     NAME   MODE         REPLICAS   IMAGE\n"
            "svc1   web    replicated   2/3        nginx\n");
  EXPECT_EQ(ls.err, "");

  const ProcessRun rm = herdctl("node rm ghost", "HERD_HOST=" + server.address());
  EXPECT_EQ(rm.exit_code, 1);
  EXPECT_EQ(rm.out, "");
  EXPECT_EQ(rm.err, "Error: not_found: node 'ghost' not found\n");
  ASSERT_EQ(server.requests().size(), 2u);
  EXPECT_EQ(server.requests()[1].remove_node().node(), "ghost");

  const ProcessRun bad = herdctl("--host " + server.address() + " service create --bogus nginx");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.out, "");
  EXPECT_TRUE(
      bad.err.starts_with("herdctl: unknown flag '--bogus' for 'service create'\n\n"
                          "Usage: herdctl"))
      << bad.err;
  EXPECT_EQ(server.requests().size(), 2u);

  const ProcessRun help = herdctl("--help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_TRUE(help.out.starts_with("Usage: herdctl")) << help.out;
}

TEST(HerdctlTest, BinaryExits1WhenTheServerIsUnreachable) {
  const Herdctl herdctl;
  const ProcessRun run = herdctl("--host unix:" + herdctl.dir() + "/nobody.sock node ls");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.err, "Error: unavailable: connecting to unix:" + herdctl.dir() +
                         "/nobody.sock: No such file or directory\n");
}

}  // namespace
}  // namespace herd::realnode
