#include "realnode/http/http_api.h"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "realnode/herdctl/http_client.h"
#include "realnode/http/api_address.h"
#include "realnode/http/json_codec.h"
#include "tests/realnode/http/test_server.h"

namespace herd::realnode {
namespace {

using google::protobuf::util::MessageDifferencer;
using herdctl::HttpClient;
using herdctl::HttpReply;

std::unique_ptr<HttpClient> connect_to(const TestServer& server) {
  Result<std::unique_ptr<HttpClient>> client = HttpClient::connect(server.address(), seconds(5));
  EXPECT_TRUE(client.ok()) << client.status();
  return client.ok() ? std::move(client).value() : nullptr;
}

HttpReply call(const TestServer& server, std::string_view method, std::string_view target,
               std::string_view body = {}) {
  std::unique_ptr<HttpClient> client = connect_to(server);
  if (client == nullptr) return {};
  Result<HttpReply> reply = client->request(method, target, body);
  EXPECT_TRUE(reply.ok()) << reply.status();
  return reply.ok() ? std::move(reply).value() : HttpReply{};
}

proto::ControlRequest request_from_json(std::string_view json) {
  Result<proto::ControlRequest> request = parse_json_as<proto::ControlRequest>(json);
  EXPECT_TRUE(request.ok()) << request.status();
  return request.ok() ? *request : proto::ControlRequest();
}

// A directory under $TMPDIR (or /tmp), removed with everything in it at the end of the test.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/herd-http-XXXXXX";
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(HttpApiTest, BindsPortZeroAndReportsTheBoundPort) {
  TestServer server;
  ASSERT_TRUE(server.status().is_ok()) << server.status();
  Result<ApiAddress> address = parse_api_address(server.address());
  ASSERT_TRUE(address.ok()) << address.status();
  EXPECT_EQ(address->host, "127.0.0.1");
  EXPECT_NE(address->port, 0);
}

TEST(HttpApiTest, RefusesAnAddressItCannotUse) {
  TestServer bad_address({.address = "127.0.0.1"});
  EXPECT_EQ(bad_address.status().code(), StatusCode::kInvalidArgument);
  TestServer first;
  TestServer taken({.address = first.address()});
  EXPECT_EQ(taken.status().code(), StatusCode::kIoError) << taken.status();
  EXPECT_NE(taken.status().message().find(first.address()), std::string::npos);
}

struct RouteCase {
  std::string method;
  std::string target;
  std::string body;
  std::string expected;  // the ControlRequest, as JSON
  unsigned status = 200;
};

TEST(HttpApiTest, EachRouteSendsItsControlRequest) {
  const std::vector<RouteCase> cases = {
      {"GET", "/services", "", R"({"listServices": true})"},
      {"POST", "/services", R"({"name": "web", "replicas": "3", "mode": "SERVICE_MODE_GLOBAL"})",
       R"({"createService": {"name": "web", "replicas": 3, "mode": "SERVICE_MODE_GLOBAL"}})", 201},
      {"GET", "/services/web", "", R"({"inspectService": "web"})"},
      {"GET", "/services/my%2Fsvc%20x", "", R"({"inspectService": "my/svc x"})"},
      {"GET", "/services/web/", "", R"({"inspectService": "web"})"},
      {"POST", "/services/web/update", R"({"version": 4, "spec": {"name": "web"}})",
       R"({"updateService": {"service": "web", "version": 4, "spec": {"name": "web"}}})"},
      {"POST", "/services/web/scale", R"({"replicas": 7})",
       R"({"scaleService": {"service": "web", "replicas": 7}})"},
      {"POST", "/services/web/scale", R"({"replicas": "8"})",
       R"({"scaleService": {"service": "web", "replicas": 8}})"},
      {"POST", "/services/web/rollback", "", R"({"rollbackService": "web"})"},
      {"DELETE", "/services/web", "", R"({"removeService": "web"})"},
      {"GET", "/tasks", "", R"({"listTasks": {}})"},
      {"GET", "/tasks?service=web&node=n%201&state=running,failed&desired-state=RUNNING", "",
       R"({"listTasks": {"service": "web", "node": "n 1",
           "states": ["TASK_STATE_RUNNING", "TASK_STATE_FAILED"],
           "desiredStates": ["TASK_STATE_RUNNING"]}})"},
      {"GET", "/tasks?state=pending&state=TASK_STATE_READY&node=a+b", "",
       R"({"listTasks": {"node": "a b", "states": ["TASK_STATE_PENDING", "TASK_STATE_READY"]}})"},
      {"GET", "/tasks/t1", "", R"({"inspectTask": "t1"})"},
      {"GET", "/nodes", "", R"({"listNodes": true})"},
      {"GET", "/nodes/worker-1", "", R"({"inspectNode": "worker-1"})"},
      {"POST", "/nodes/worker-1/update",
       R"({"availability": "NODE_AVAILABILITY_DRAIN", "labelAdd": {"zone": "a"},
           "labelRm": ["old"]})",
       R"({"updateNode": {"node": "worker-1", "availability": "NODE_AVAILABILITY_DRAIN",
           "labelAdd": {"zone": "a"}, "labelRm": ["old"]}})"},
      {"POST", "/nodes/worker-1/promote", "", R"({"promoteNode": "worker-1"})"},
      {"POST", "/nodes/worker-1/demote", "", R"({"demoteNode": "worker-1"})"},
      {"DELETE", "/nodes/worker-1", "", R"({"removeNode": {"node": "worker-1"}})"},
      {"DELETE", "/nodes/worker-1?force=true", "",
       R"({"removeNode": {"node": "worker-1", "force": true}})"},
      {"DELETE", "/nodes/worker-1?force=false", "", R"({"removeNode": {"node": "worker-1"}})"},
      {"GET", "/networks", "", R"({"listNetworks": true})"},
      {"POST", "/networks", R"({"name": "backend", "ipam": {"subnet": "10.1.0.0/24"}})",
       R"({"createNetwork": {"name": "backend", "ipam": {"subnet": "10.1.0.0/24"}}})", 201},
      {"DELETE", "/networks/backend", "", R"({"removeNetwork": "backend"})"},
      {"GET", "/secrets", "", R"({"listSecrets": true})"},
      {"POST", "/secrets", R"({"name": "key", "data": "c2VjcmV0"})",
       R"({"createSecret": {"name": "key", "data": "c2VjcmV0"}})", 201},
      {"DELETE", "/secrets/key", "", R"({"removeSecret": "key"})"},
      {"GET", "/swarm", "", R"({"inspectCluster": true})"},
      {"POST", "/swarm/update",
       R"({"version": "12", "spec": {"orchestration": {"taskHistoryRetentionLimit": "10"}}})",
       R"({"updateCluster": {"version": 12,
           "spec": {"orchestration": {"taskHistoryRetentionLimit": 10}}}})"},
      {"POST", "/swarm/join-token/worker/rotate", "", R"({"rotateJoinToken": "NODE_ROLE_WORKER"})"},
      {"POST", "/swarm/join-token/manager/rotate", "",
       R"({"rotateJoinToken": "NODE_ROLE_MANAGER"})"},
  };
  TestServer server;
  ASSERT_TRUE(server.status().is_ok()) << server.status();
  std::unique_ptr<HttpClient> client = connect_to(server);
  ASSERT_NE(client, nullptr);
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const RouteCase& route = cases[i];
    SCOPED_TRACE(route.method + " " + route.target);
    Result<HttpReply> reply = client->request(route.method, route.target, route.body);
    ASSERT_TRUE(reply.ok()) << reply.status();
    EXPECT_EQ(reply->status, route.status) << reply->body;
    EXPECT_EQ(reply->body, R"({"code":"ok"})");
    const std::vector<proto::ControlRequest> seen = server.requests();
    ASSERT_EQ(seen.size(), i + 1);
    EXPECT_TRUE(MessageDifferencer::Equals(seen.back(), request_from_json(route.expected)))
        << seen.back().DebugString();
  }
}

TEST(HttpApiTest, BadPathValuesAndQueriesAre400WithoutCallingTheHandler) {
  TestServer server;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/tasks?state=sleeping", "'sleeping' is not a task state"},
      {"/tasks?colour=red", "unknown query parameter 'colour'"},
      {"/tasks?service=a&service=b", "'service' given twice"},
      {"/services/bad%zzescape", "bad percent escape"},
  };
  for (const auto& [target, message] : cases) {
    SCOPED_TRACE(target);
    const HttpReply reply = call(server, "GET", target);
    EXPECT_EQ(reply.status, 400u);
    EXPECT_NE(reply.body.find(message), std::string::npos) << reply.body;
  }
  HttpReply rotate = call(server, "POST", "/swarm/join-token/admin/rotate");
  EXPECT_EQ(rotate.status, 400u);
  EXPECT_NE(rotate.body.find("'admin': expected worker or manager"), std::string::npos);
  HttpReply force = call(server, "DELETE", "/nodes/n1?force=maybe");
  EXPECT_EQ(force.status, 400u);
  HttpReply mismatch =
      call(server, "POST", "/services/web/update", R"({"service": "api", "spec": {}})");
  EXPECT_EQ(mismatch.status, 400u);
  EXPECT_NE(mismatch.body.find("'api' differs from the path's 'web'"), std::string::npos);
  EXPECT_TRUE(server.requests().empty());
}

TEST(HttpApiTest, ResponsesAreTheProto3JsonOfTheControlResponse) {
  proto::ControlResponse scripted = TestServer::ok();
  proto::Service& service = *scripted.add_services();
  service.mutable_meta()->set_id("svc1");
  service.mutable_meta()->set_version(42);
  service.mutable_spec()->set_name("web");
  service.mutable_spec()->set_mode(proto::SERVICE_MODE_GLOBAL);
  service.mutable_spec()->mutable_task()->mutable_container()->set_image("nginx");
  scripted.add_running(2);
  scripted.add_desired(3);
  TestServer server({}, [&](const proto::ControlRequest&, const ControlReply&) {
    return std::optional(scripted);
  });
  const HttpReply reply = call(server, "GET", "/services");
  EXPECT_EQ(reply.status, 200u);
  EXPECT_EQ(reply.content_type, "application/json");
  // Names are lowerCamelCase, enums names, 64-bit integers strings, defaults left out.
  EXPECT_EQ(reply.body,
            R"({"code":"ok","services":[{"meta":{"id":"svc1","version":"42"},"spec":{"name":"web",)"
            R"("task":{"container":{"image":"nginx"}},"mode":"SERVICE_MODE_GLOBAL"}}],)"
            R"("running":["2"],"desired":["3"]})");
}

TEST(HttpApiTest, ErrorCodesMapToHttpStatuses) {
  const std::vector<std::pair<std::string, unsigned>> cases = {
      {"invalid_argument", 400}, {"not_found", 404},
      {"already_exists", 409},   {"failed_precondition", 409},
      {"aborted", 409},          {"resource_exhausted", 429},
      {"not_leader", 503},       {"unavailable", 503},
      {"corruption", 500},       {"io_error", 500},
      {"no_such_code", 500},
  };
  std::string code;
  TestServer server({}, [&](const proto::ControlRequest&, const ControlReply&) {
    proto::ControlResponse response;
    response.set_code(code);
    response.set_message("service 'web' is \"busy\"");
    return std::optional(response);
  });
  for (const auto& [name, status] : cases) {
    SCOPED_TRACE(name);
    code = name;
    const HttpReply reply = call(server, "GET", "/services/web");
    EXPECT_EQ(reply.status, status);
    EXPECT_EQ(reply.content_type, "application/json");
    if (name == "no_such_code") {
      EXPECT_EQ(reply.body,
                R"({"code":"io_error","message":"the control API answered with unknown code )"
                R"('no_such_code': service 'web' is \"busy\""})");
    } else {
      EXPECT_EQ(reply.body, R"({"code":")" + name + R"(","message":"service 'web' is \"busy\""})");
    }
  }
}

TEST(HttpApiTest, MalformedJsonIs400NamingTheProblemAndNeverReachesTheHandler) {
  TestServer server;
  const std::vector<std::tuple<std::string, std::string, std::string, std::string>> cases = {
      {"POST", "/services", "{not json",
       "POST /services: request body: invalid JSON for herd.proto.ServiceSpec"},
      {"POST", "/services", "", "invalid JSON for herd.proto.ServiceSpec"},
      {"POST", "/services", R"({"nmae": "web"})", "nmae"},
      {"POST", "/services", R"({"replicas": "many"})", "replicas"},
      {"POST", "/services", R"({"mode": "SERVICE_MODE_SOMETIMES"})", "SERVICE_MODE_SOMETIMES"},
      {"POST", "/nodes/n1/update", "[1, 2]", "herd.proto.NodeUpdate"},
      {"POST", "/swarm/update", R"({"spec": 3})", "herd.proto.UpdateClusterRequest"},
      {"POST", "/services/web/scale", "{\"replicas\": ", "request body: invalid JSON"},
      {"POST", "/services/web/scale", R"({"replicas": -1})", "non-negative integer"},
      {"POST", "/services/web/scale", R"({"count": 1})", R"(expected {\"replicas\": N})"},
      {"POST", "/services/web/scale", R"({"replicas": 1, "x": 2})", "unknown field 'x'"},
  };
  for (const auto& [method, target, body, message] : cases) {
    SCOPED_TRACE(body);
    const HttpReply reply = call(server, method, target, body);
    EXPECT_EQ(reply.status, 400u);
    const nlohmann::json error = nlohmann::json::parse(reply.body, nullptr, false);
    ASSERT_TRUE(error.is_object()) << reply.body;
    EXPECT_EQ(error["code"], "invalid_argument");
    EXPECT_NE(reply.body.find(message), std::string::npos) << reply.body;
  }
  EXPECT_TRUE(server.requests().empty());
}

TEST(HttpApiTest, UnknownRouteIs404) {
  TestServer server;
  for (const char* target :
       {"/", "/nope", "/services/web/restart", "/services//scale", "/swarm/join-token/worker"}) {
    SCOPED_TRACE(target);
    const HttpReply reply = call(server, "GET", target);
    EXPECT_EQ(reply.status, 404u);
    EXPECT_EQ(reply.body, R"({"code":"not_found","message":"no route for GET )" +
                              std::string(target) + R"("})");
  }
  EXPECT_TRUE(server.requests().empty());
}

TEST(HttpApiTest, WrongMethodIs405NamingTheAllowedOnes) {
  TestServer server;
  HttpReply put = call(server, "PUT", "/services");
  EXPECT_EQ(put.status, 405u);
  EXPECT_EQ(put.allow, "GET, POST");
  EXPECT_EQ(put.body,
            R"({"code":"invalid_argument","message":"method PUT is not allowed on /services )"
            R"x((allowed: GET, POST)"})x");
  HttpReply get = call(server, "GET", "/networks/backend");
  EXPECT_EQ(get.status, 405u);
  EXPECT_EQ(get.allow, "DELETE");
  HttpReply scale = call(server, "GET", "/services/web/scale");
  EXPECT_EQ(scale.status, 405u);
  EXPECT_EQ(scale.allow, "POST");
  EXPECT_TRUE(server.requests().empty());
}

TEST(HttpApiTest, BodyOverTheCapIs413) {
  TestServer server({.max_body_bytes = 1024});
  const std::string big = R"({"name": ")" + std::string(4096, 'x') + R"("})";
  const HttpReply reply = call(server, "POST", "/services", big);
  EXPECT_EQ(reply.status, 413u);
  EXPECT_EQ(reply.body,
            R"({"code":"resource_exhausted","message":"request body over the cap of 1024 bytes"})");
  EXPECT_FALSE(reply.keep_alive);
  const std::string fits = R"({"name": ")" + std::string(900, 'x') + R"("})";
  EXPECT_EQ(call(server, "POST", "/services", fits).status, 201u);
  EXPECT_EQ(server.requests().size(), 1u);
}

// A plain TCP connection, for what HttpClient would not send.
class RawConnection {
 public:
  explicit RawConnection(const TestServer& server) : socket_(io_) {
    Result<ApiAddress> address = parse_api_address(server.address());
    EXPECT_TRUE(address.ok()) << address.status();
    socket_.connect({boost::asio::ip::make_address(address->host), address->port});
  }

  void write(const std::string& text) { boost::asio::write(socket_, boost::asio::buffer(text)); }

  // Everything up to the end of the next header block.
  std::string read_header() {
    const std::size_t end =
        boost::asio::read_until(socket_, boost::asio::dynamic_buffer(data_), "\r\n\r\n");
    std::string header = data_.substr(0, end);
    data_.erase(0, end);
    return header;
  }

  // Everything until the server closes the connection.
  std::string read_to_end() {
    boost::system::error_code ec;
    boost::asio::read(socket_, boost::asio::dynamic_buffer(data_), ec);
    EXPECT_EQ(ec, boost::asio::error::eof);
    return std::exchange(data_, "");
  }

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket socket_;
  std::string data_;
};

TEST(HttpApiTest, MalformedHttpIs400) {
  TestServer server;
  RawConnection connection(server);
  connection.write("NOT HTTP AT ALL\r\n\r\n");
  const std::string response = connection.read_to_end();
  EXPECT_TRUE(response.starts_with("HTTP/1.1 400 Bad Request\r\n")) << response;
  EXPECT_NE(response.find(R"({"code":"invalid_argument","message":"malformed HTTP request: )"),
            std::string::npos)
      << response;
}

TEST(HttpApiTest, ExpectContinueIsAnsweredBeforeTheBody) {
  TestServer server({.max_body_bytes = 1024});
  const std::string body = R"({"name": "web"})";
  RawConnection connection(server);
  connection.write(
      "POST /services HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
      "Expect: 100-continue\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n");
  EXPECT_EQ(connection.read_header(), "HTTP/1.1 100 Continue\r\n\r\n");
  connection.write(body);
  const std::string response = connection.read_to_end();
  EXPECT_TRUE(response.starts_with("HTTP/1.1 201 Created\r\n")) << response;
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(server.requests()[0].create_service().name(), "web");

  // Over the cap: refused from the header alone, so the client need not send the body.
  RawConnection refused(server);
  refused.write(
      "POST /services HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
      "Content-Length: 5000\r\n\r\n");
  EXPECT_TRUE(refused.read_to_end().starts_with("HTTP/1.1 413 Payload Too Large\r\n"));
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(HttpApiTest, HandlerMayAnswerLaterOnTheIoThread) {
  TestServer* server_pointer = nullptr;
  TestServer server({}, [&](const proto::ControlRequest&, const ControlReply& reply) {
    auto timer = std::make_shared<boost::asio::steady_timer>(server_pointer->io(),
                                                             std::chrono::milliseconds(50));
    timer->async_wait([timer, reply](const boost::system::error_code&) {
      proto::ControlResponse response = TestServer::ok();
      response.add_nodes()->mutable_meta()->set_id("late");
      reply(response);
    });
    return std::optional<proto::ControlResponse>();
  });
  server_pointer = &server;
  std::unique_ptr<HttpClient> client = connect_to(server);
  ASSERT_NE(client, nullptr);
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 2; ++i) {
    Result<HttpReply> reply = client->request("GET", "/nodes");
    ASSERT_TRUE(reply.ok()) << reply.status();
    EXPECT_EQ(reply->status, 200u);
    EXPECT_EQ(reply->body, R"({"code":"ok","nodes":[{"meta":{"id":"late"}}]})");
  }
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(100));
}

TEST(HttpApiTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  TestServer server;
  std::unique_ptr<HttpClient> client = connect_to(server);
  ASSERT_NE(client, nullptr);
  for (const char* target : {"/nodes", "/services", "/nope", "/tasks"}) {
    Result<HttpReply> reply = client->request("GET", target);
    ASSERT_TRUE(reply.ok()) << target << ": " << reply.status();
    EXPECT_TRUE(reply->keep_alive);
  }
  EXPECT_EQ(server.requests().size(), 3u);
  Result<HttpReply> last = client->request("GET", "/nodes", "", "close");
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_FALSE(last->keep_alive);
  EXPECT_EQ(client->request("GET", "/nodes").status().code(), StatusCode::kUnavailable);
}

TEST(HttpApiTest, IdleConnectionsAreClosed) {
  TestServer server({.idle_timeout = milliseconds(100)});
  std::unique_ptr<HttpClient> client = connect_to(server);
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->request("GET", "/nodes").ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(client->request("GET", "/nodes").status().code(), StatusCode::kUnavailable);
}

TEST(HttpApiTest, AnswerAfterTheServerStoppedIsDropped) {
  ControlReply kept;
  TestServer server({}, [&](const proto::ControlRequest&, const ControlReply& reply) {
    kept = reply;
    return std::optional<proto::ControlResponse>();
  });
  std::unique_ptr<HttpClient> client = connect_to(server);
  ASSERT_NE(client, nullptr);
  // The request waits for an answer that only comes after the API is gone.
  std::thread caller([&] {
    Result<HttpReply> reply = client->request("GET", "/nodes");
    EXPECT_EQ(reply.status().code(), StatusCode::kUnavailable);
  });
  while (server.requests().empty()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  server.stop_api();
  caller.join();
  std::promise<void> answered;
  boost::asio::post(server.io(), [&] {
    kept(TestServer::ok());
    kept = nullptr;
    answered.set_value();
  });
  answered.get_future().wait();
}

TEST(HttpApiTest, MetricsAndInfoAreServed) {
  TestServer server(
      {.metrics = [] { return std::string("# TYPE herd_up gauge\nherd_up 1\n"); },
       .info =
           [] {
             return nlohmann::json{
                 {"node_id", "n1"}, {"role", "manager"}, {"leader", true}, {"raft_term", 3}};
           }});
  const HttpReply metrics = call(server, "GET", "/metrics");
  EXPECT_EQ(metrics.status, 200u);
  EXPECT_EQ(metrics.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(metrics.body, "# TYPE herd_up gauge\nherd_up 1\n");
  const HttpReply info = call(server, "GET", "/info");
  EXPECT_EQ(info.status, 200u);
  EXPECT_EQ(info.content_type, "application/json");
  EXPECT_EQ(
      nlohmann::json::parse(info.body),
      (nlohmann::json{{"node_id", "n1"}, {"role", "manager"}, {"leader", true}, {"raft_term", 3}}));
  EXPECT_EQ(call(server, "POST", "/metrics").status, 405u);
  EXPECT_TRUE(server.requests().empty());

  TestServer bare;
  EXPECT_EQ(call(bare, "GET", "/metrics").status, 404u);
  EXPECT_EQ(call(bare, "GET", "/info").body,
            R"({"code":"not_found","message":"no info on this node"})");
}

TEST(HttpApiTest, ServesOnAUnixSocketAndRemovesIt) {
  TempDir dir;
  const std::string path = dir.path() + "/api.sock";
  {
    // A socket file left behind by a process that died.
    const int stale = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
    ASSERT_EQ(::bind(stale, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    ::close(stale);
    ASSERT_TRUE(std::filesystem::is_socket(path));
  }
  {
    TestServer server({.address = "unix:" + path});
    ASSERT_TRUE(server.status().is_ok()) << server.status();
    EXPECT_EQ(server.address(), "unix:" + path);
    const HttpReply reply = call(server, "POST", "/nodes/n1/promote");
    EXPECT_EQ(reply.status, 200u);
    ASSERT_EQ(server.requests().size(), 1u);
    EXPECT_EQ(server.requests()[0].promote_node(), "n1");
  }
  EXPECT_FALSE(std::filesystem::exists(path));

  const std::string regular = dir.path() + "/not-a-socket";
  std::ofstream(regular) << "data";
  TestServer refused({.address = "unix:" + regular});
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition) << refused.status();
  EXPECT_TRUE(std::filesystem::exists(regular));
}

TEST(HttpApiTest, ApiAddressesParse) {
  EXPECT_EQ(parse_api_address("127.0.0.1:2375")->to_string(), "127.0.0.1:2375");
  EXPECT_EQ(parse_api_address("[::1]:80")->host, "::1");
  EXPECT_EQ(parse_api_address("[::1]:80")->to_string(), "[::1]:80");
  EXPECT_EQ(parse_api_address("localhost:0")->port, 0);
  EXPECT_EQ(parse_api_address("unix:/run/herd.sock")->unix_path, "/run/herd.sock");
  for (const char* bad :
       {"127.0.0.1", ":80", "host:99999", "host:8x", "::1:80", "[::1:80", "unix:"}) {
    EXPECT_EQ(parse_api_address(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(parse_api_address("unix:/" + std::string(200, 'x')).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace herd::realnode
