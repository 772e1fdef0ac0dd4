#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "realnode/herdctl/commands.h"
#include "realnode/herdctl/table.h"
#include "realnode/http/json_codec.h"

namespace herd::herdctl {
namespace {

using google::protobuf::util::MessageDifferencer;
using realnode::parse_json_as;

// Records every request and answers from a script; unscripted requests get {"code":"ok"}.
class FakeApi {
 public:
  void answer(const std::string& method_target, std::string body) {
    answers_[method_target] = std::move(body);
  }
  void fail(const std::string& method_target, Status status) {
    failures_[method_target] = std::move(status);
  }

  ApiCaller caller() {
    return [this](const ApiRequest& request) -> Result<std::string> {
      requests.push_back(request);
      const std::string key = request.method + " " + request.target;
      if (const auto failure = failures_.find(key); failure != failures_.end()) {
        return failure->second;
      }
      const auto answer = answers_.find(key);
      return answer != answers_.end() ? answer->second : std::string(R"({"code":"ok"})");
    };
  }

  std::vector<ApiRequest> requests;

 private:
  std::map<std::string, std::string> answers_;
  std::map<std::string, Status> failures_;
};

struct Outcome {
  Status status;
  std::string out;
};

Outcome run(FakeApi& api, const std::vector<std::string>& args) {
  Result<Invocation> invocation = parse_command_line(args, "");
  EXPECT_TRUE(invocation.ok()) << invocation.status();
  if (!invocation.ok()) return {invocation.status(), ""};
  std::ostringstream out;
  Status status = invocation->run(api.caller(), out);
  return {std::move(status), out.str()};
}

Status refusal(const std::vector<std::string>& args) {
  return parse_command_line(args, "").status();
}

template <typename Message>
void expect_body(const ApiRequest& request, std::string_view expected_json) {
  Result<Message> body = parse_json_as<Message>(request.body);
  ASSERT_TRUE(body.ok()) << body.status() << "\n" << request.body;
  Result<Message> expected = parse_json_as<Message>(expected_json);
  ASSERT_TRUE(expected.ok()) << expected.status();
  EXPECT_TRUE(MessageDifferencer::Equals(*body, *expected))
      << "sent:     " << body->ShortDebugString() << "\nexpected: " << expected->ShortDebugString();
}

ApiRequest get(std::string target) { return ApiRequest{"GET", std::move(target), ""}; }

TEST(HerdctlTest, ServiceCreateMapsFlagsToAServiceSpec) {
  FakeApi api;
  api.answer("POST /services", R"({"code":"ok","services":[{"meta":{"id":"svc1"}}]})");
  const Outcome outcome = run(api, {"service",
                                    "create",
                                    "--name",
                                    "web",
                                    "--replicas=3",
                                    "--constraint",
                                    "node.labels.zone==a",
                                    "--constraint",
                                    "node.role!=manager",
                                    "--placement-pref",
                                    "spread=node.labels.rack",
                                    "-e",
                                    "A=1",
                                    "--env",
                                    "B=x=y",
                                    "--label",
                                    "team=core",
                                    "-w",
                                    "/srv",
                                    "--network",
                                    "backend",
                                    "--secret",
                                    "key",
                                    "-p",
                                    "8080:80",
                                    "--publish",
                                    "53/udp",
                                    "--stop-grace-period",
                                    "30s",
                                    "--limit-cpu",
                                    "0.5",
                                    "--limit-memory",
                                    "512m",
                                    "--reserve-cpu",
                                    "2",
                                    "--reserve-memory",
                                    "1G",
                                    "--restart-condition",
                                    "on-failure",
                                    "--restart-delay",
                                    "2s",
                                    "--restart-max-attempts",
                                    "4",
                                    "--restart-window",
                                    "1m",
                                    "--update-parallelism",
                                    "2",
                                    "--update-delay",
                                    "10s",
                                    "--update-failure-action",
                                    "rollback",
                                    "--update-monitor",
                                    "500ms",
                                    "--update-max-failure-ratio",
                                    "0.25",
                                    "--update-order",
                                    "start-first",
                                    "--rollback-parallelism",
                                    "0",
                                    "--rollback-order",
                                    "stop-first",
                                    "--host",
                                    "127.0.0.1:1",
                                    "busybox",
                                    "sleep",
                                    "--for",
                                    "10"});
  ASSERT_TRUE(outcome.status.is_ok()) << outcome.status;
  EXPECT_EQ(outcome.out, "svc1\n");
  ASSERT_EQ(api.requests.size(), 1u);
  EXPECT_EQ(api.requests[0].method, "POST");
  EXPECT_EQ(api.requests[0].target, "/services");
  expect_body<proto::ServiceSpec>(api.requests[0], R"({
    "name": "web", "replicas": 3, "labels": {"team": "core"},
    "task": {
      "container": {"image": "busybox", "command": ["sleep", "--for", "10"],
                    "env": {"A": "1", "B": "x=y"}, "dir": "/srv",
                    "stopGracePeriodNs": "30000000000"},
      "resources": {"limits": {"nanoCpus": "500000000", "memoryBytes": "536870912"},
                    "reservations": {"nanoCpus": "2000000000", "memoryBytes": "1073741824"}},
      "restart": {"condition": "RESTART_CONDITION_ON_FAILURE", "delayNs": "2000000000",
                  "maxAttempts": 4, "windowNs": "60000000000"},
      "placement": {"constraints": ["node.labels.zone==a", "node.role!=manager"],
                    "preferences": ["spread=node.labels.rack"]},
      "networks": [{"target": "backend"}],
      "secrets": [{"secretName": "key", "target": "key"}]},
    "update": {"parallelism": 2, "delayNs": "10000000000",
               "failureAction": "UPDATE_FAILURE_ACTION_ROLLBACK", "monitorNs": "500000000",
               "maxFailureRatio": 0.25, "order": "UPDATE_ORDER_START_FIRST"},
    "rollback": {"parallelism": 0, "order": "UPDATE_ORDER_STOP_FIRST"},
    "endpoint": {"ports": [{"targetPort": 80, "publishedPort": 8080},
                           {"targetPort": 53, "protocol": "PORT_PROTOCOL_UDP"}]}
  })");
}

TEST(HerdctlTest, ServiceCreateDefaultsToOneReplicaAndGlobalToNone) {
  FakeApi api;
  ASSERT_TRUE(run(api, {"service", "create", "nginx"}).status.is_ok());
  ASSERT_TRUE(run(api, {"service", "create", "--mode", "global", "--name", "agent", "node-agent"})
                  .status.is_ok());
  ASSERT_EQ(api.requests.size(), 2u);
  expect_body<proto::ServiceSpec>(api.requests[0],
                                  R"({"replicas": 1, "task": {"container": {"image": "nginx"}}})");
  expect_body<proto::ServiceSpec>(api.requests[1],
                                  R"({"name": "agent", "mode": "SERVICE_MODE_GLOBAL",
          "task": {"container": {"image": "node-agent"}}})");
}

TEST(HerdctlTest, ServiceUpdateEditsTheSpecItReadAtItsVersion) {
  FakeApi api;
  api.answer("GET /services/web", R"({"code": "ok", "services": [{
    "meta": {"id": "svc1", "version": "7"},
    "spec": {"name": "web", "replicas": "2", "labels": {"keep": "1", "drop": "2"},
             "task": {"container": {"image": "nginx:1", "env": {"A": "1", "OLD": "x"}},
                      "placement": {"constraints": ["c1", "c2"]}, "forceUpdate": "3"}}}]})");
  const Outcome outcome =
      run(api, {"service",         "update", "--image",    "nginx:2", "--env-add",        "B=2",
                "--env-rm",        "OLD",    "--label-rm", "drop",    "--constraint-add", "c3",
                "--constraint-rm", "c1",     "--replicas", "5",       "--update-delay",   "1s",
                "--force",         "web"});
  ASSERT_TRUE(outcome.status.is_ok()) << outcome.status;
  EXPECT_EQ(outcome.out, "web\n");
  ASSERT_EQ(api.requests.size(), 2u);
  EXPECT_EQ(api.requests[0], get("/services/web"));
  EXPECT_EQ(api.requests[1].method, "POST");
  EXPECT_EQ(api.requests[1].target, "/services/web/update");
  expect_body<proto::UpdateServiceRequest>(api.requests[1], R"({"version": 7, "spec": {
    "name": "web", "replicas": 5, "labels": {"keep": "1"},
    "task": {"container": {"image": "nginx:2", "env": {"A": "1", "B": "2"}},
             "placement": {"constraints": ["c2", "c3"]}, "forceUpdate": 4},
    "update": {"delayNs": "1000000000"}}})");
}

TEST(HerdctlTest, ServiceUpdateListFlagsReplaceTheWholeList) {
  FakeApi api;
  api.answer("GET /services/web", R"({"code": "ok", "services": [{
    "meta": {"version": "1"},
    "spec": {"task": {"container": {"env": {"A": "1"}}, "placement": {"constraints": ["c1"]}}}}]})");
  ASSERT_TRUE(
      run(api, {"service", "update", "--env", "Z=9", "--constraint", "c9", "web"}).status.is_ok());
  ASSERT_EQ(api.requests.size(), 2u);
  expect_body<proto::UpdateServiceRequest>(api.requests[1], R"({"version": 1, "spec": {
    "task": {"container": {"env": {"Z": "9"}}, "placement": {"constraints": ["c9"]}}}})");
}

TEST(HerdctlTest, ServiceVerbsEscapeTheirRefs) {
  FakeApi api;
  api.answer("GET /services", R"({"code":"ok"})");
  ASSERT_TRUE(run(api, {"service", "ls"}).status.is_ok());
  ASSERT_TRUE(run(api, {"service", "scale", "web=5", "my svc/1=0"}).status.is_ok());
  ASSERT_TRUE(run(api, {"service", "rollback", "web"}).status.is_ok());
  ASSERT_TRUE(run(api, {"service", "rm", "web", "api"}).status.is_ok());
  ASSERT_TRUE(run(api, {"service", "ps", "web&co"}).status.is_ok());
  ASSERT_TRUE(run(api, {"service", "inspect", "web"}).status.is_ok());
  const std::vector<ApiRequest> expected = {
      get("/services"),
      {"POST", "/services/web/scale", R"({"replicas":5})"},
      {"POST", "/services/my%20svc%2F1/scale", R"({"replicas":0})"},
      {"POST", "/services/web/rollback", ""},
      {"DELETE", "/services/web", ""},
      {"DELETE", "/services/api", ""},
      get("/tasks?service=web%26co"),
      get("/nodes"),
      get("/services/web"),
  };
  EXPECT_EQ(api.requests, expected);
}

TEST(HerdctlTest, TaskLsPassesItsFilters) {
  FakeApi api;
  ASSERT_TRUE(run(api, {"task", "ls", "--service", "web", "--node", "worker 1", "--state",
                        "running", "--state", "failed", "--desired-state", "shutdown"})
                  .status.is_ok());
  ASSERT_TRUE(run(api, {"task", "inspect", "t1", "t2"}).status.is_ok());
  const std::vector<ApiRequest> expected = {
      get("/tasks?service=web&node=worker%201&state=running&state=failed&"
          "desired-state=shutdown"),
      get("/nodes"),
      get("/tasks/t1"),
      get("/tasks/t2"),
  };
  EXPECT_EQ(api.requests, expected);
}

TEST(HerdctlTest, NodeVerbs) {
  FakeApi api;
  EXPECT_EQ(run(api, {"node", "update", "--availability", "drain", "--label-add", "zone=a",
                      "--label-add", "rack=r1", "--label-rm", "old", "worker-1"})
                .out,
            "worker-1\n");
  EXPECT_EQ(run(api, {"node", "promote", "w1", "w2"}).out,
            "Node w1 promoted to a manager in the swarm.\n"
            "Node w2 promoted to a manager in the swarm.\n");
  EXPECT_EQ(run(api, {"node", "demote", "m2"}).out, "Manager m2 demoted in the swarm.\n");
  EXPECT_EQ(run(api, {"node", "rm", "-f", "w3"}).out, "w3\n");
  EXPECT_EQ(run(api, {"node", "rm", "w4"}).out, "w4\n");
  ASSERT_TRUE(run(api, {"node", "ls"}).status.is_ok());
  ASSERT_TRUE(run(api, {"node", "inspect", "w1"}).status.is_ok());
  ASSERT_EQ(api.requests.size(), 8u);
  EXPECT_EQ(api.requests[0].target, "/nodes/worker-1/update");
  expect_body<proto::NodeUpdate>(api.requests[0], R"({"availability": "NODE_AVAILABILITY_DRAIN",
      "labelAdd": {"zone": "a", "rack": "r1"}, "labelRm": ["old"]})");
  const std::vector<ApiRequest> rest(api.requests.begin() + 1, api.requests.end());
  const std::vector<ApiRequest> expected = {
      {"POST", "/nodes/w1/promote", ""},
      {"POST", "/nodes/w2/promote", ""},
      {"POST", "/nodes/m2/demote", ""},
      {"DELETE", "/nodes/w3?force=true", ""},
      {"DELETE", "/nodes/w4", ""},
      get("/nodes"),
      get("/nodes/w1"),
  };
  EXPECT_EQ(rest, expected);
}

constexpr std::string_view kCluster = R"({"code": "ok", "cluster": {
  "meta": {"id": "c1", "version": "12"},
  "spec": {"name": "default", "orchestration": {"taskHistoryRetentionLimit": "5"},
           "raft": {"snapshotInterval": "10000", "electionTick": 10}},
  "rootCa": {"joinTokens": {"worker": "SWMTKN-1-abc-worker", "manager": "SWMTKN-1-abc-mgr"}}}})";

TEST(HerdctlTest, SwarmJoinToken) {
  FakeApi api;
  api.answer("GET /swarm", std::string(kCluster));
  api.answer("POST /swarm/join-token/manager/rotate", std::string(kCluster));
  api.answer("GET /nodes", R"({"code": "ok", "nodes": [
    {"meta": {"id": "n2"}, "role": "NODE_ROLE_MANAGER",
     "managerStatus": {"raftId": "7", "addr": "10.0.0.2:2377"}},
    {"meta": {"id": "n1"}, "role": "NODE_ROLE_MANAGER",
     "managerStatus": {"raftId": "5", "addr": "10.0.0.1:2377", "leader": true}}]})");
  EXPECT_EQ(run(api, {"swarm", "join-token", "worker"}).out,
            "To add a worker to this swarm, start realnode on the new node with:\n\n"
            "    realnode --join 10.0.0.1:2377 --token SWMTKN-1-abc-worker --state-dir DIR "
            "--listen HOST:PORT\n\n");
  EXPECT_EQ(run(api, {"swarm", "join-token", "-q", "manager"}).out, "SWMTKN-1-abc-mgr\n");
  EXPECT_EQ(run(api, {"swarm", "join-token", "--rotate", "manager"}).out,
            "Successfully rotated manager join token.\n\n"
            "To add a manager to this swarm, start realnode on the new node with:\n\n"
            "    realnode --manager --join 10.0.0.1:2377 --token SWMTKN-1-abc-mgr --state-dir DIR "
            "--listen HOST:PORT\n\n");
  const std::vector<ApiRequest> expected = {get("/swarm"),
                                            get("/nodes"),
                                            get("/swarm"),
                                            {"POST", "/swarm/join-token/manager/rotate", ""},
                                            get("/nodes")};
  EXPECT_EQ(api.requests, expected);
}

TEST(HerdctlTest, SwarmUpdateEditsTheClusterSpecAtItsVersion) {
  FakeApi api;
  api.answer("GET /swarm", std::string(kCluster));
  const Outcome outcome = run(api, {"swarm",
                                    "update",
                                    "--task-history-limit",
                                    "10",
                                    "--dispatcher-heartbeat",
                                    "10s",
                                    "--cert-expiry",
                                    "720h",
                                    "--snapshot-interval",
                                    "5000",
                                    "--max-snapshots",
                                    "2",
                                    "--log-entries-for-slow-followers",
                                    "800",
                                    "--heartbeat-tick",
                                    "2",
                                    "--election-tick",
                                    "20",
                                    "--raft-tick",
                                    "500ms"});
  ASSERT_TRUE(outcome.status.is_ok()) << outcome.status;
  EXPECT_EQ(outcome.out, "Swarm updated.\n");
  ASSERT_EQ(api.requests.size(), 2u);
  EXPECT_EQ(api.requests[1].target, "/swarm/update");
  expect_body<proto::UpdateClusterRequest>(api.requests[1], R"({"version": 12, "spec": {
    "name": "default",
    "orchestration": {"taskHistoryRetentionLimit": 10},
    "dispatcher": {"heartbeatPeriodNs": "10000000000"},
    "ca": {"nodeCertExpiryNs": "2592000000000000"},
    "raft": {"snapshotInterval": 5000, "keepOldSnapshots": 2, "logEntriesForSlowFollowers": 800,
             "heartbeatTick": 2, "electionTick": 20, "tickNs": "500000000"}}})");
}

TEST(HerdctlTest, NetworkAndSecretVerbs) {
  const std::string file =
      std::string(std::getenv("TMPDIR") != nullptr ? std::getenv("TMPDIR") : "/tmp") +
      "/herdctl-test-secret-" + std::to_string(::getpid());
  std::ofstream(file) << "hunter2";
  FakeApi api;
  api.answer("POST /networks", R"({"code":"ok","networks":[{"meta":{"id":"net1"}}]})");
  api.answer("POST /secrets", R"({"code":"ok","secrets":[{"meta":{"id":"sec1"}}]})");
  EXPECT_EQ(run(api, {"network", "create", "--subnet", "10.1.0.0/24", "--gateway", "10.1.0.1",
                      "--label", "env=prod", "--attachable", "backend"})
                .out,
            "net1\n");
  EXPECT_EQ(run(api, {"secret", "create", "-l", "a=b", "db-password", file}).out, "sec1\n");
  std::filesystem::remove(file);
  ASSERT_TRUE(run(api, {"network", "rm", "backend"}).status.is_ok());
  ASSERT_TRUE(run(api, {"secret", "ls"}).status.is_ok());
  EXPECT_EQ(run(api, {"secret", "create", "x", file}).status.code(), StatusCode::kIoError);
  ASSERT_EQ(api.requests.size(), 4u);
  expect_body<proto::NetworkSpec>(api.requests[0], R"({"name": "backend", "labels": {"env": "prod"},
      "attachable": true, "ipam": {"subnet": "10.1.0.0/24", "gateway": "10.1.0.1"}})");
  expect_body<proto::SecretSpec>(api.requests[1],
                                 R"({"name": "db-password", "labels": {"a": "b"},
                                     "data": "aHVudGVyMg=="})");
  EXPECT_EQ(api.requests[2], (ApiRequest{"DELETE", "/networks/backend", ""}));
  EXPECT_EQ(api.requests[3], get("/secrets"));
}

TEST(HerdctlTest, ApiErrorsComeBackAndLaterOperandsStillRun) {
  FakeApi api;
  api.fail("DELETE /services/a", Status::not_found("service 'a' not found"));
  api.fail("DELETE /services/c", Status::not_leader("no leader"));
  const Outcome outcome = run(api, {"service", "rm", "a", "b", "c"});
  EXPECT_EQ(outcome.status, Status::not_found("service 'a' not found; no leader"));
  EXPECT_EQ(outcome.out, "b\n");
  EXPECT_EQ(api.requests.size(), 3u);

  FakeApi down;
  down.fail("GET /nodes", Status::unavailable("connecting to 127.0.0.1:2375: Connection refused"));
  EXPECT_EQ(run(down, {"node", "ls"}).status.code(), StatusCode::kUnavailable);
}

TEST(HerdctlTest, JsonFormatPrintsTheResponse) {
  FakeApi api;
  api.answer("GET /nodes", R"({"code":"ok","nodes":[{"meta":{"id":"n1"}}]})");
  api.answer("GET /nodes/n1", R"({"code":"ok","nodes":[{"meta":{"id":"n1"}}]})");
  EXPECT_EQ(run(api, {"--format", "json", "node", "ls"}).out,
            "{\n \"code\": \"ok\",\n \"nodes\": [\n  {\n   \"meta\": {\n    \"id\": \"n1\"\n   "
            "}\n  }\n ]\n}\n");
  EXPECT_EQ(run(api, {"node", "inspect", "--format=json", "n1"}).out,
            "[\n    {\n        \"meta\": {\n            \"id\": \"n1\"\n        }\n    }\n]\n");
}

TEST(HerdctlTest, AnswersWithFieldsItDoesNotKnowAreStillRead) {
  FakeApi api;
  api.answer("GET /secrets", R"({"code": "ok", "addedLater": 1,
      "secrets": [{"meta": {"id": "s1"}, "spec": {"name": "key", "addedLater": "x"}}]})");
  EXPECT_EQ(run(api, {"secret", "ls"}).out,
            "ID   NAME\n"
            "s1   key\n");
}

TEST(HerdctlTest, HostComesFromTheFlagThenTheEnvironmentThenTheDefault) {
  EXPECT_EQ(parse_command_line({"node", "ls"}, "")->host, "127.0.0.1:2375");
  EXPECT_EQ(parse_command_line({"node", "ls"}, "unix:/run/h.sock")->host, "unix:/run/h.sock");
  EXPECT_EQ(parse_command_line({"--host", "10.0.0.1:80", "node", "ls"}, "unix:/x")->host,
            "10.0.0.1:80");
  EXPECT_EQ(parse_command_line({"node", "ls", "--host=[::1]:9"}, "")->host, "[::1]:9");
  EXPECT_TRUE(parse_command_line({"--help"}, "")->help);
  EXPECT_TRUE(parse_command_line({"service", "create", "-h"}, "")->help);
}

TEST(HerdctlTest, BadCommandLinesAreRefusedNamingWhatIsWrong) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{}, "no command given"},
      {{"serve"}, "unknown command 'serve'"},
      {{"service"}, "'service' needs a subcommand"},
      {{"service", "restart"}, "unknown command 'service restart'"},
      {{"service", "ls", "--quiet"}, "unknown flag '--quiet' for 'service ls'"},
      {{"node", "rm", "-x", "n1"}, "unknown flag '-x' for 'node rm'"},
      {{"--colour", "node", "ls"}, "unknown flag '--colour' for 'herdctl'"},
      {{"service", "create", "--replicas"}, "--replicas needs a value"},
      {{"service", "create", "--replicas", "three", "nginx"},
       "--replicas: 'three' is not a non-negative integer"},
      {{"service", "create", "--replicas", "1", "--replicas", "2", "nginx"},
       "--replicas given more than once"},
      {{"service", "create", "--mode", "daemon", "nginx"},
       "--mode: 'daemon' is not one of replicated, global"},
      {{"service", "create", "--restart-condition", "always", "nginx"},
       "--restart-condition: 'always' is not one of any, on-failure, none"},
      {{"service", "create", "--update-delay", "10", "nginx"},
       "--update-delay: '10' is not a duration"},
      {{"service", "create", "--update-max-failure-ratio", "1.5", "nginx"},
       "--update-max-failure-ratio: '1.5' is not a number from 0 to 1"},
      {{"service", "create", "--limit-cpu", "lots", "nginx"},
       "--limit-cpu: 'lots' is not a number of CPUs"},
      {{"service", "create", "--limit-memory", "12q", "nginx"},
       "--limit-memory: '12q' is not a size"},
      {{"service", "create", "-p", "80:99999", "nginx"}, "--publish: '80:99999' is not"},
      {{"service", "create", "--env", "NOVALUE", "nginx"}, "--env: 'NOVALUE' is not KEY=VALUE"},
      {{"service", "create"}, "'service create' needs IMAGE [COMMAND [ARG...]]"},
      {{"service", "update", "web"}, "service update: nothing to change"},
      {{"service", "update", "--name", "x", "web"}, "unknown flag '--name' for 'service update'"},
      {{"service", "ps"}, "'service ps' needs SERVICE"},
      {{"service", "ps", "a", "b"}, "'service ps' takes SERVICE, got also 'b'"},
      {{"service", "ls", "x"}, "'service ls' takes no arguments, got 'x'"},
      {{"service", "scale", "web"}, "service scale: 'web' is not SERVICE=REPLICAS"},
      {{"service", "scale", "web=-1"}, "'-1' in 'web=-1' is not a non-negative integer"},
      {{"node", "update", "--availability", "off", "n1"},
       "--availability: 'off' is not one of active, pause, drain"},
      {{"node", "update", "n1"}, "node update: nothing to change"},
      {{"node", "rm", "--force=yes", "n1"}, "--force takes no value"},
      {{"task", "ls", "--state", "sleeping"}, "--state: 'sleeping' is not a task state"},
      {{"swarm", "join-token", "admin"}, "swarm join-token: 'admin' is not worker or manager"},
      {{"swarm", "update"}, "swarm update: nothing to change"},
      {{"swarm", "update", "--heartbeat-tick", "5000000000"},
       "--heartbeat-tick: 5000000000 is "
       "too large"},
      {{"swarm", "init"}, "unknown command 'swarm init'"},
      {{"--format", "yaml", "node", "ls"}, "--format: 'yaml' is not one of table, json"},
      {{"--host", "nowhere", "node", "ls"}, "--host: API address 'nowhere'"},
  };
  for (const auto& [args, message] : cases) {
    std::string line;
    for (const std::string& arg : args) line += arg + " ";
    SCOPED_TRACE(line);
    const Status status = refusal(args);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << status;
    EXPECT_NE(status.message().find(message), std::string::npos) << status.message();
  }
  EXPECT_EQ(parse_command_line({"node", "ls"}, "bad").status().message().find("HERD_HOST: "), 0u);
}

// ---------------------------------------------------------------- tables

proto::ControlResponse response_from(std::string_view json) {
  Result<proto::ControlResponse> response = parse_json_as<proto::ControlResponse>(json);
  EXPECT_TRUE(response.ok()) << response.status();
  return response.ok() ? *response : proto::ControlResponse();
}

TEST(HerdctlTest, FormatTableAlignsColumnsLikeDocker) {
  EXPECT_EQ(format_table({"ID", "NAME", "X"}, {{"a", "long-name", ""}, {"bbbbbb", "n", "last"}}),
            "ID       NAME        X\n"
            "a        long-name\n"
            "bbbbbb   n           last\n");
  EXPECT_EQ(format_table({"ID"}, {}), "ID\n");
}

TEST(HerdctlTest, ServiceTable) {
  const proto::ControlResponse services = response_from(R"({"code": "ok", "services": [
    {"meta": {"id": "svc-web"}, "spec": {"name": "web", "replicas": "3",
      "task": {"container": {"image": "nginx:1.25"}}}},
    {"meta": {"id": "svc-api"}, "spec": {"name": "api", "mode": "SERVICE_MODE_GLOBAL",
      "task": {"container": {"command": ["/bin/api", "--port", "80"]}}}}],
    "running": ["2", "4"], "desired": ["3", "4"]})");
  EXPECT_EQ(service_table(services),
            "ID        NAME   MODE         REPLICAS   IMAGE\n"
            "svc-api   api    global       4/4        /bin/api --port 80\n"
            "svc-web   web    replicated   2/3        nginx:1.25\n");
}

TEST(HerdctlTest, NodeTable) {
  const proto::ControlResponse nodes = response_from(R"({"code": "ok", "nodes": [
    {"meta": {"id": "n-w1"}, "description": {"hostname": "worker-1"},
     "status": {"state": "NODE_STATE_READY"}, "spec": {"availability": "NODE_AVAILABILITY_DRAIN"}},
    {"meta": {"id": "n-m2"}, "description": {"hostname": "manager-2"}, "role": "NODE_ROLE_MANAGER",
     "status": {"state": "NODE_STATE_READY"},
     "managerStatus": {"reachability": "REACHABILITY_REACHABLE"}},
    {"meta": {"id": "n-m1"}, "description": {"hostname": "manager-1"}, "role": "NODE_ROLE_MANAGER",
     "status": {"state": "NODE_STATE_READY"},
     "managerStatus": {"leader": true, "reachability": "REACHABILITY_REACHABLE"}},
    {"meta": {"id": "n-m3"}, "description": {"hostname": "manager-3"}, "role": "NODE_ROLE_MANAGER",
     "status": {"state": "NODE_STATE_DOWN"}, "spec": {"availability": "NODE_AVAILABILITY_PAUSE"},
     "managerStatus": {"reachability": "REACHABILITY_UNREACHABLE"}},
    {"meta": {"id": "n-w2"}, "description": {"hostname": "worker-2"}}]})");
  EXPECT_EQ(node_table(nodes),
            "ID     HOSTNAME    STATUS    AVAILABILITY   MANAGER STATUS\n"
            "n-m1   manager-1   Ready     Active         Leader\n"
            "n-m2   manager-2   Ready     Active         Reachable\n"
            "n-m3   manager-3   Down      Pause          Unreachable\n"
            "n-w1   worker-1    Ready     Drain\n"
            "n-w2   worker-2    Unknown   Active\n");
}

TEST(HerdctlTest, TaskTableShowsHistoryUnderTheNewestTaskOfASlot) {
  const proto::ControlResponse tasks = response_from(R"({"code": "ok", "tasks": [
    {"meta": {"id": "t-old", "createdAtNs": "100"}, "serviceName": "web", "slot": "1",
     "nodeId": "n1", "desiredState": "TASK_STATE_SHUTDOWN",
     "status": {"state": "TASK_STATE_FAILED", "err": "exit status 1"}},
    {"meta": {"id": "t-new", "createdAtNs": "200"}, "serviceName": "web", "slot": "1",
     "nodeId": "n1", "desiredState": "TASK_STATE_RUNNING",
     "status": {"state": "TASK_STATE_RUNNING"}},
    {"meta": {"id": "t-2", "createdAtNs": "150"}, "serviceName": "web", "slot": "2",
     "desiredState": "TASK_STATE_RUNNING", "status": {"state": "TASK_STATE_PENDING"}},
    {"meta": {"id": "t-g"}, "serviceName": "agent", "nodeId": "n2",
     "desiredState": "TASK_STATE_RUNNING", "status": {"state": "TASK_STATE_STARTING"}}]})");
  const proto::ControlResponse nodes = response_from(R"({"code": "ok", "nodes": [
    {"meta": {"id": "n1"}, "description": {"hostname": "worker-1"}}]})");
  EXPECT_EQ(task_table(tasks, nodes),
            "ID      NAME        NODE       DESIRED STATE   CURRENT STATE   ERROR\n"
            "t-g     agent.n2    n2         Running         Starting\n"
            "t-new   web.1       worker-1   Running         Running\n"
            "t-old    \\_ web.1   worker-1   Shutdown        Failed          exit status 1\n"
            "t-2     web.2                  Running         Pending\n");
}

TEST(HerdctlTest, NetworkAndSecretTables) {
  EXPECT_EQ(network_table(response_from(R"({"networks": [
              {"meta": {"id": "net2"}, "spec": {"name": "front", "driver": "overlay"},
               "ipam": {"subnet": "10.0.2.0/24"}},
              {"meta": {"id": "net1"}, "spec": {"name": "back", "driver": "overlay",
               "ipam": {"subnet": "10.0.9.0/24"}}}]})")),
            "ID     NAME    DRIVER    SUBNET\n"
            "net1   back    overlay   10.0.9.0/24\n"
            "net2   front   overlay   10.0.2.0/24\n");
  EXPECT_EQ(secret_table(response_from(R"({"secrets": [{"meta": {"id": "s1"},
              "spec": {"name": "key"}}]})")),
            "ID   NAME\n"
            "s1   key\n");
}

TEST(HerdctlTest, ServiceLsAndPsPrintTables) {
  FakeApi api;
  api.answer("GET /services", R"({"code": "ok", "services": [{"meta": {"id": "s1"},
      "spec": {"name": "web", "replicas": "1", "task": {"container": {"image": "nginx"}}}}],
      "running": ["1"], "desired": ["1"]})");
  api.answer("GET /tasks?service=web", R"({"code": "ok", "tasks": [{"meta": {"id": "t1"},
      "serviceName": "web", "slot": "1", "nodeId": "n1", "desiredState": "TASK_STATE_RUNNING",
      "status": {"state": "TASK_STATE_RUNNING"}}]})");
  api.answer("GET /nodes", R"({"code": "ok", "nodes": [{"meta": {"id": "n1"},
      "description": {"hostname": "worker-1"}}]})");
  EXPECT_EQ(run(api, {"service", "ls"}).out,
            "ID   NAME   MODE         REPLICAS   IMAGE\n"
            "s1   web    replicated   1/1        nginx\n");
  EXPECT_EQ(run(api, {"service", "ps", "web"}).out,
            "ID   NAME    NODE       DESIRED STATE   CURRENT STATE   ERROR\n"
            "t1   web.1   worker-1   Running         Running\n");
}

}  // namespace
}  // namespace herd::herdctl
