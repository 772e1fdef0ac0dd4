#include "realnode/http/http_api.h"

#include <array>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http.hpp>
#include <cstring>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "realnode/http/api_address.h"
#include "realnode/http/json_codec.h"
#include "realnode/http/routes.h"

namespace herd::realnode {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
// One socket type for TCP and Unix-domain connections alike.
using Protocol = asio::generic::stream_protocol;
using Acceptor = asio::basic_socket_acceptor<Protocol>;

class Session;

struct HttpApiState {
  HttpApiState(asio::io_context& io_context, Logger& node_logger, HttpApiOptions api_options,
               ControlHandler control_handler)
      : io(io_context),
        logger(node_logger),
        options(std::move(api_options)),
        handler(std::move(control_handler)),
        acceptor(io_context),
        accept_retry(io_context) {}

  asio::io_context& io;
  Logger& logger;
  HttpApiOptions options;
  ControlHandler handler;
  Acceptor acceptor;
  asio::steady_timer accept_retry;
  std::string unix_path;  // the socket file to remove on shutdown, when listening on one
  bool stopped = false;   // the HttpApi is gone: completions only release what they hold
  std::uint64_t next_session_id = 0;
  std::map<std::uint64_t, std::weak_ptr<Session>> sessions;
};

namespace {

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kPrometheusText = "text/plain; version=0.0.4; charset=utf-8";
// After a response that ends the connection the request's unread rest is read and dropped, so
// that closing does not reset the connection before the client has read the response.
constexpr std::size_t kDrainLimit = 1 << 20;
constexpr Duration kDrainTimeout = seconds(2);
constexpr Duration kAcceptRetryDelay = milliseconds(100);

bool is_http_error(const beast::error_code& ec) {
  return ec.category() == make_error_code(http::error::bad_target).category();
}

}  // namespace

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(std::shared_ptr<HttpApiState> state, Protocol::socket socket, std::uint64_t id)
      : state_(std::move(state)), socket_(std::move(socket)), timer_(state_->io), id_(id) {}
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session() { state_->sessions.erase(id_); }

  void start() { read_request(); }

  void close() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ignored;
    socket_.close(ignored);
    timer_.cancel();
  }

 private:
  // The timer ends the connection if the read it guards is still waiting when it fires.
  void guard_read(Duration timeout) {
    reading_ = true;
    const std::uint64_t generation = ++timer_generation_;
    timer_.expires_after(timeout);
    timer_.async_wait([self = shared_from_this(), generation](const beast::error_code& ec) {
      if (!ec && self->reading_ && self->timer_generation_ == generation) self->close();
    });
  }

  void end_read() {
    reading_ = false;
    timer_.cancel();
  }

  // The header first, so that a body over the cap is refused before it is sent and a client
  // that waits for "100 Continue" (curl does, for bodies over 1 KiB) gets it.
  void read_request() {
    parser_.emplace();
    parser_->body_limit(state_->options.max_body_bytes);
    method_.clear();
    target_.clear();
    guard_read(state_->options.idle_timeout);
    http::async_read_header(socket_, buffer_, *parser_,
                            [self = shared_from_this()](const beast::error_code& ec, std::size_t) {
                              self->on_header(ec);
                            });
  }

  void on_header(const beast::error_code& ec) {
    end_read();
    if (ec || closed_ || state_->stopped) return on_read(ec);
    const http::request<http::string_body>& request = parser_->get();
    method_ = std::string(request.method_string());
    target_ = std::string(request.target());
    if (!beast::iequals(request[http::field::expect], "100-continue")) return read_body();
    continue_ = http::response<http::empty_body>(http::status::continue_, request.version());
    http::async_write(socket_, continue_,
                      [self = shared_from_this()](const beast::error_code& write_ec, std::size_t) {
                        if (write_ec || self->closed_ || self->state_->stopped) {
                          return self->close();
                        }
                        self->read_body();
                      });
  }

  void read_body() {
    guard_read(state_->options.idle_timeout);
    http::async_read(socket_, buffer_, *parser_,
                     [self = shared_from_this()](const beast::error_code& ec, std::size_t) {
                       self->on_read(ec);
                     });
  }

  void on_read(const beast::error_code& ec) {
    end_read();
    if (closed_ || state_->stopped) return close();
    if (ec == http::error::body_limit) {
      version_ = 11;
      keep_alive_ = false;
      return send_error(413, Status::resource_exhausted(
                                 "request body over the cap of " +
                                 std::to_string(state_->options.max_body_bytes) + " bytes"));
    }
    if (ec && is_http_error(ec) && ec != http::error::end_of_stream &&
        ec != http::error::partial_message) {
      version_ = 11;
      keep_alive_ = false;
      return send_error(400, Status::invalid_argument("malformed HTTP request: " + ec.message()));
    }
    // The peer closed or reset the connection, or it broke: nobody is left to answer.
    if (ec) return close();
    serve(parser_->release());
  }

  void serve(http::request<http::string_body> request) {
    version_ = request.version();
    keep_alive_ = request.keep_alive();
    std::variant<ApiCall, RouteError> routed = route_request(method_, target_, request.body());
    if (const auto* error = std::get_if<RouteError>(&routed)) {
      return send_error(error->http_status, error->status, error->allow);
    }
    const ApiCall& call = std::get<ApiCall>(routed);
    const HttpApiOptions& options = state_->options;
    switch (call.endpoint) {
      case Endpoint::kMetrics:
        if (!options.metrics) return send_error(404, Status::not_found("no metrics on this node"));
        return send(200, kPrometheusText, options.metrics());
      case Endpoint::kInfo:
        if (!options.info) return send_error(404, Status::not_found("no info on this node"));
        return send(200, kJson,
                    options.info().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
      case Endpoint::kControl:
        break;
    }
    auto answered = std::make_shared<bool>(false);
    state_->handler(call.request, [self = shared_from_this(), answered,
                                   ok_status = call.ok_status](proto::ControlResponse response) {
      HERD_CHECK(!*answered) << "a ControlHandler answered one request twice";
      *answered = true;
      self->answer(response, ok_status);
    });
  }

  void answer(const proto::ControlResponse& response, unsigned ok_status) {
    // The client left, or the server stopped, while the handler worked.
    if (closed_ || state_->stopped) return;
    if (response.code() == "ok") return send(ok_status, kJson, message_to_json(response));
    const std::optional<StatusCode> code = status_code_from_name(response.code());
    if (!code) {
      return send_error(500, Status::io_error("the control API answered with unknown code '" +
                                              response.code() + "': " + response.message()));
    }
    send_error(http_status_for(*code), Status(*code, response.message()));
  }

  void send_error(unsigned status, const Status& error, std::string_view allow = {}) {
    send(status, kJson, error_json(error), allow);
  }

  void send(unsigned status, std::string_view content_type, std::string body,
            std::string_view allow = {}) {
    state_->logger.debug("http.request",
                         {{"method", method_}, {"target", target_}, {"status", status}});
    response_ = {};
    response_.version(version_);
    response_.result(status);
    response_.set(http::field::server, "herd");
    response_.set(http::field::content_type,
                  beast::string_view(content_type.data(), content_type.size()));
    if (!allow.empty())
      response_.set(http::field::allow, beast::string_view(allow.data(), allow.size()));
    response_.body() = std::move(body);
    response_.keep_alive(keep_alive_);
    response_.prepare_payload();
    http::async_write(socket_, response_,
                      [self = shared_from_this()](const beast::error_code& ec, std::size_t) {
                        self->on_sent(ec);
                      });
  }

  void on_sent(const beast::error_code& ec) {
    if (closed_ || state_->stopped || ec) return close();
    if (!response_.keep_alive()) return drain();
    read_request();
  }

  void drain() {
    beast::error_code ignored;
    socket_.shutdown(Protocol::socket::shutdown_send, ignored);
    drain_more();
  }

  void drain_more() {
    guard_read(std::min(kDrainTimeout, state_->options.idle_timeout));
    socket_.async_read_some(
        asio::buffer(scratch_),
        [self = shared_from_this()](const beast::error_code& ec, std::size_t bytes) {
          self->end_read();
          self->drained_ += bytes;
          if (ec || self->closed_ || self->drained_ > kDrainLimit) return self->close();
          self->drain_more();
        });
  }

  std::shared_ptr<HttpApiState> state_;
  Protocol::socket socket_;
  asio::steady_timer timer_;
  std::uint64_t id_;
  std::uint64_t timer_generation_ = 0;
  bool reading_ = false;
  bool closed_ = false;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::empty_body> continue_;
  http::response<http::string_body> response_;
  // Of the request being served.
  unsigned version_ = 11;
  bool keep_alive_ = true;
  std::string method_;
  std::string target_;
  std::size_t drained_ = 0;
  std::array<char, 4096> scratch_;
};

namespace {

void accept_next(const std::shared_ptr<HttpApiState>& state) {
  state->acceptor.async_accept([state](const beast::error_code& ec, Protocol::socket socket) {
    if (state->stopped) return;
    if (ec) {
      state->logger.warning("http.accept_failed", {{"error", ec.message()}});
      // Out of descriptors, say: wait a little rather than spin on an error that repeats.
      state->accept_retry.expires_after(kAcceptRetryDelay);
      state->accept_retry.async_wait([state](const beast::error_code& wait_ec) {
        if (!wait_ec && !state->stopped) accept_next(state);
      });
      return;
    }
    if (state->unix_path.empty()) {
      beast::error_code ignored;
      socket.set_option(asio::ip::tcp::no_delay(true), ignored);
    }
    const std::uint64_t id = ++state->next_session_id;
    auto session = std::make_shared<Session>(state, std::move(socket), id);
    state->sessions.emplace(id, session);
    session->start();
    accept_next(state);
  });
}

// A socket file left by a process that died is in the way of bind(); anything else is not ours.
Status remove_stale_socket(const std::string& path) {
  std::error_code ec;
  const std::filesystem::file_status status = std::filesystem::symlink_status(path, ec);
  if (!std::filesystem::exists(status)) return Status::ok();
  if (!std::filesystem::is_socket(status)) {
    return Status::failed_precondition("API socket path " + path + " exists and is not a socket");
  }
  if (!std::filesystem::remove(path, ec) && ec) {
    return Status::io_error("removing the stale API socket " + path + ": " + ec.message());
  }
  return Status::ok();
}

Result<Protocol::endpoint> resolve(asio::io_context& io, const ApiAddress& address) {
  if (address.is_unix) {
    return Protocol::endpoint(asio::local::stream_protocol::endpoint(address.unix_path));
  }
  asio::ip::tcp::resolver resolver(io);
  beast::error_code ec;
  const auto results = resolver.resolve(
      address.host, std::to_string(address.port),
      asio::ip::resolver_base::passive | asio::ip::resolver_base::numeric_service, ec);
  if (ec || results.empty()) {
    return Status::io_error("resolving API address " + address.to_string() + ": " +
                            (ec ? ec.message() : std::string("no address")));
  }
  return Protocol::endpoint(results.begin()->endpoint());
}

std::string bound_address(const Protocol::endpoint& local, const ApiAddress& asked) {
  if (asked.is_unix) return asked.to_string();
  asio::ip::tcp::endpoint tcp;
  std::memcpy(tcp.data(), local.data(), local.size());
  tcp.resize(local.size());
  ApiAddress bound;
  bound.host = tcp.address().to_string();
  bound.port = tcp.port();
  return bound.to_string();
}

}  // namespace

Result<std::unique_ptr<HttpApi>> HttpApi::start(asio::io_context& io, Logger& logger,
                                                HttpApiOptions options, ControlHandler handler) {
  if (!handler) return Status::invalid_argument("the HTTP API needs a ControlHandler");
  HERD_ASSIGN_OR_RETURN(const ApiAddress address, parse_api_address(options.address));
  HERD_ASSIGN_OR_RETURN(const Protocol::endpoint endpoint, resolve(io, address));
  if (address.is_unix) HERD_RETURN_IF_ERROR(remove_stale_socket(address.unix_path));
  auto state = std::make_shared<HttpApiState>(io, logger, std::move(options), std::move(handler));
  const auto failed = [&address](std::string_view step, const beast::error_code& ec) {
    return Status::io_error(std::string(step) + " " + address.to_string() + ": " + ec.message());
  };
  beast::error_code ec;
  if (state->acceptor.open(endpoint.protocol(), ec); ec) return failed("opening", ec);
  if (!address.is_unix) {
    if (state->acceptor.set_option(asio::socket_base::reuse_address(true), ec); ec) {
      return failed("setting SO_REUSEADDR on", ec);
    }
  }
  if (state->acceptor.bind(endpoint, ec); ec) return failed("binding", ec);
  if (address.is_unix) state->unix_path = address.unix_path;
  Protocol::endpoint local;
  if (state->acceptor.listen(asio::socket_base::max_listen_connections, ec); !ec) {
    local = state->acceptor.local_endpoint(ec);
  }
  if (ec) {
    std::error_code removed;
    if (address.is_unix) std::filesystem::remove(address.unix_path, removed);
    return failed("listening on", ec);
  }
  std::string bound = bound_address(local, address);
  logger.info("http.listening", {{"address", bound}});
  accept_next(state);
  return std::unique_ptr<HttpApi>(new HttpApi(std::move(state), std::move(bound)));
}

HttpApi::~HttpApi() {
  state_->stopped = true;
  beast::error_code ignored;
  state_->acceptor.close(ignored);
  state_->accept_retry.cancel();
  // Closing may release a session, whose destructor erases it from the map: walk a copy.
  const auto sessions = state_->sessions;
  for (const auto& [id, weak] : sessions) {
    if (const std::shared_ptr<Session> session = weak.lock()) session->close();
  }
  if (!state_->unix_path.empty()) {
    std::error_code removed;
    std::filesystem::remove(state_->unix_path, removed);
  }
}

}  // namespace herd::realnode
