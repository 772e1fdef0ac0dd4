#include "realnode/herdctl/http_client.h"

#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <vector>

#include "realnode/http/api_address.h"

namespace herd::herdctl {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Protocol = asio::generic::stream_protocol;

namespace {
// Large enough for a task list of a big cluster; a cap only against a runaway server.
constexpr std::uint64_t kMaxResponseBytes = std::uint64_t{1} << 30;
}  // namespace

struct HttpClient::Impl {
  explicit Impl(Duration step_timeout) : socket(io), timeout(step_timeout) {}

  // Runs the asynchronous step `start` begins until it completes or `timeout` passes.
  template <typename Start>
  Status run(std::string_view step, Start start) {
    bool done = false;
    beast::error_code result;
    start([&done, &result](const beast::error_code& ec, auto&&...) {
      done = true;
      result = ec;
    });
    io.restart();
    io.run_for(timeout);
    if (!done) {
      beast::error_code ignored;
      socket.close(ignored);
      // Let the cancelled operation finish before its captures go out of scope.
      io.restart();
      io.run();
      return Status::unavailable(std::string(step) + " " + address + ": timed out after " +
                                 format_duration(timeout));
    }
    if (result) {
      return Status::unavailable(std::string(step) + " " + address + ": " + result.message());
    }
    return Status::ok();
  }

  asio::io_context io;
  Protocol::socket socket;
  Duration timeout;
  std::string address;
  std::string host_header;
  beast::flat_buffer buffer;
};

HttpClient::HttpClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpClient::~HttpClient() = default;

Result<std::unique_ptr<HttpClient>> HttpClient::connect(std::string_view address,
                                                        Duration timeout) {
  HERD_ASSIGN_OR_RETURN(const realnode::ApiAddress parsed, realnode::parse_api_address(address));
  auto impl = std::make_unique<Impl>(timeout);
  impl->address = parsed.to_string();
  std::vector<Protocol::endpoint> endpoints;
  if (parsed.is_unix) {
    endpoints.emplace_back(asio::local::stream_protocol::endpoint(parsed.unix_path));
    impl->host_header = "localhost";
  } else {
    asio::ip::tcp::resolver resolver(impl->io);
    beast::error_code ec;
    const auto results = resolver.resolve(parsed.host, std::to_string(parsed.port),
                                          asio::ip::resolver_base::numeric_service, ec);
    if (ec) return Status::unavailable("resolving " + impl->address + ": " + ec.message());
    for (const auto& entry : results) endpoints.emplace_back(entry.endpoint());
    impl->host_header = impl->address;
  }
  Status status = Status::unavailable("resolving " + impl->address + ": no address");
  for (const Protocol::endpoint& endpoint : endpoints) {
    beast::error_code ignored;
    impl->socket.close(ignored);
    status = impl->run("connecting to", [&](auto handler) {
      impl->socket.async_connect(endpoint, std::move(handler));
    });
    if (status.is_ok()) break;
  }
  HERD_RETURN_IF_ERROR(status);
  return std::unique_ptr<HttpClient>(new HttpClient(std::move(impl)));
}

Result<HttpReply> HttpClient::request(std::string_view method, std::string_view target,
                                      std::string_view body, std::string_view connection_header) {
  Impl& impl = *impl_;
  http::request<http::string_body> request;
  request.method_string(beast::string_view(method.data(), method.size()));
  request.target(beast::string_view(target.data(), target.size()));
  request.version(11);
  request.set(http::field::host, impl.host_header);
  request.set(http::field::user_agent, "herdctl");
  request.set(http::field::connection,
              beast::string_view(connection_header.data(), connection_header.size()));
  if (!body.empty()) {
    request.set(http::field::content_type, "application/json");
    request.body() = std::string(body);
  }
  request.prepare_payload();
  HERD_RETURN_IF_ERROR(impl.run("sending a request to", [&](auto handler) {
    http::async_write(impl.socket, request, std::move(handler));
  }));
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxResponseBytes);
  HERD_RETURN_IF_ERROR(impl.run("reading the response of", [&](auto handler) {
    http::async_read(impl.socket, impl.buffer, parser, std::move(handler));
  }));
  http::response<http::string_body> response = parser.release();
  HttpReply reply;
  reply.status = response.result_int();
  reply.content_type = std::string(response[http::field::content_type]);
  reply.allow = std::string(response[http::field::allow]);
  reply.body = std::move(response.body());
  reply.keep_alive = response.keep_alive();
  return reply;
}

}  // namespace herd::herdctl
