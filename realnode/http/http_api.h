// HttpApi: realnode's HTTP/JSON control API (Boost.Beast), REST routes over the ControlRequest.
//
// It listens on a TCP address ("HOST:PORT", port 0 picks a free one, see address()) or a Unix
// socket ("unix:PATH"; a stale socket file there is replaced, and removed again on destruction).
// Everything runs on the io_context passed in, the node's one thread: accepting, parsing, and the
// calls into ControlHandler, metrics and info. The handler may answer at once or later, but on
// that same thread, and exactly once; the connection waits for it. Destroying the HttpApi closes
// the listener and every connection; an answer that arrives afterwards is dropped. Connections
// are kept alive between requests and closed after `idle_timeout` without one. Request bodies
// over `max_body_bytes` get 413. No exception leaves this module.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "core/runtime/logger.h"
#include "core/runtime/result.h"
#include "core/runtime/time.h"
#include "proto/control.pb.h"

namespace herd::realnode {

struct HttpApiState;

using ControlReply = std::function<void(proto::ControlResponse)>;
// The request lives only during the call; the reply may be kept and called later.
using ControlHandler = std::function<void(const proto::ControlRequest&, ControlReply)>;

struct HttpApiOptions {
  std::string address;  // "HOST:PORT" or "unix:PATH"
  // GET /metrics: Prometheus text exposition format 0.0.4. Unset: the route answers 404.
  std::function<std::string()> metrics;
  // GET /info: what this node is (id, role, leader, Raft term and commit...). Unset: 404.
  std::function<nlohmann::json()> info;
  std::size_t max_body_bytes = 1 << 20;
  Duration idle_timeout = seconds(60);
};

class HttpApi {
 public:
  // Binds and starts accepting; io_error (or invalid_argument for a bad address) if it cannot.
  static Result<std::unique_ptr<HttpApi>> start(boost::asio::io_context& io, Logger& logger,
                                                HttpApiOptions options, ControlHandler handler);
  HttpApi(const HttpApi&) = delete;
  HttpApi& operator=(const HttpApi&) = delete;
  ~HttpApi();

  // The address actually bound: the real port when 0 was asked for ("127.0.0.1:41234"), or
  // "unix:PATH". herdctl --host takes it as is.
  const std::string& address() const { return address_; }

 private:
  HttpApi(std::shared_ptr<HttpApiState> state, std::string address)
      : state_(std::move(state)), address_(std::move(address)) {}

  // Shared with the connections and pending completion handlers, which may outlive this object.
  std::shared_ptr<HttpApiState> state_;
  std::string address_;
};

}  // namespace herd::realnode
