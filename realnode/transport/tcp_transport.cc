#include "realnode/transport/tcp_transport.h"

#include <algorithm>
#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <deque>
#include <utility>
#include <vector>

#include "core/codec/proto_codec.h"
#include "proto/transport.pb.h"

namespace herd::realnode {
namespace {

using boost::asio::ip::tcp;
using boost::system::error_code;

// One write carries every queued message up to this size, so small messages share syscalls.
constexpr std::size_t kWriteBatchBytes = 256 * 1024;
constexpr std::size_t kReadChunkBytes = 64 * 1024;
// A handshake is a few dozen bytes: more unparsed input than this before one is garbage, and
// must not be buffered up to the frame cap.
constexpr std::size_t kMaxHandshakeBytes = 64 * 1024;

struct HostPort {
  std::string host;
  std::uint16_t port = 0;
};

// "HOST:PORT" or "[V6]:PORT".
Result<HostPort> split_address(std::string_view address) {
  const auto malformed = [&](std::string_view why) {
    return Status::invalid_argument("address '" + std::string(address) + "' " + std::string(why));
  };
  const std::size_t colon = address.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return malformed("is not HOST:PORT");
  std::string_view host = address.substr(0, colon);
  const std::string_view port = address.substr(colon + 1);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return malformed("has an unclosed '['");
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return malformed("needs brackets around an IPv6 host");
  }
  if (port.empty() || port.size() > 5) return malformed("has no valid port");
  std::uint32_t value = 0;
  for (const char c : port) {
    if (c < '0' || c > '9') return malformed("has no valid port");
    value = value * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (value > 65535) return malformed("has a port above 65535");
  return HostPort{std::string(host), static_cast<std::uint16_t>(value)};
}

std::string endpoint_text(const tcp::endpoint& endpoint) {
  const std::string host = endpoint.address().to_string();
  const std::string port = std::to_string(endpoint.port());
  return endpoint.address().is_v6() ? "[" + host + "]:" + port : host + ":" + port;
}

void tune(tcp::socket& socket) {
  error_code ignored;
  // Raft heartbeats and session messages are small and latency-bound.
  socket.set_option(tcp::no_delay(true), ignored);
  // A peer host that vanishes without a FIN is eventually noticed even on an idle connection.
  socket.set_option(boost::asio::socket_base::keep_alive(true), ignored);
}

}  // namespace

class TcpTransport::Connection {
 public:
  enum class Phase {
    kConnecting,   // dial: resolving and connecting
    kHandshaking,  // waiting for the other side's handshake
    kEstablished,  // the peer's connection: carries messages
    kRefusing,     // writing a refusal, then closing
  };

  Connection(TcpTransport& owner_transport, std::uint64_t connection_serial, tcp::socket s,
             bool dialled, std::size_t max_frame_bytes, Clock& clock)
      : owner(&owner_transport),
        serial(connection_serial),
        outbound(dialled),
        socket(std::move(s)),
        reader(max_frame_bytes),
        handshake_timer(clock) {}

  // Null once closed: completion handlers still queued for the connection then do nothing.
  TcpTransport* owner;
  const std::uint64_t serial;
  const bool outbound;
  tcp::socket socket;
  std::unique_ptr<tcp::resolver> resolver;
  Phase phase = Phase::kHandshaking;
  std::string remote;        // the remote endpoint, or the dialled address until connected
  std::string dial_address;  // outbound only
  // The peer it belongs to: set from the start for a dial by id, at the handshake otherwise.
  NodeId peer;
  std::uint64_t remote_incarnation = 0;
  std::function<void(Result<NodeId>)> discovery;  // a dial made by discover()

  codec::FrameReader reader;
  std::array<char, kReadChunkBytes> read_buffer;

  std::string control;  // handshake frames, written before any message
  std::string write_buffer;
  bool writing = false;
  std::uint64_t batch_messages = 0;  // what write_buffer holds besides control frames
  std::uint64_t batch_bytes = 0;

  ScopedTimer handshake_timer;
};

struct TcpTransport::Peer {
  enum class Retry {
    kNone,
    kBackoff,  // a dial failed or the connection was lost: send() says unavailable until it ends
    kYield,    // our dial lost the simultaneous-dial tie: the peer's own dial is on its way
  };

  Peer(NodeId peer_id, Clock& clock) : id(peer_id), retry_timer(clock) {}

  const NodeId id;
  std::string address;
  ConnectionPtr link;  // established
  ConnectionPtr dial;  // our dial in progress
  std::deque<std::string> queue;
  std::size_t queued_bytes = 0;
  int failed_dials = 0;  // in a row, for the backoff's exponent
  Retry retry = Retry::kNone;
  ScopedTimer retry_timer;
};

Result<std::unique_ptr<TcpTransport>> TcpTransport::create(boost::asio::io_context& io,
                                                           TcpTransportOptions options,
                                                           Logger& logger) {
  if (options.self == kNoNode) return Status::invalid_argument("transport: self node id is 0");
  if (options.max_frame_bytes == 0) {
    return Status::invalid_argument("transport: max_frame_bytes is 0");
  }
  if (options.backoff_base <= Duration::zero() || options.backoff_max < options.backoff_base) {
    return Status::invalid_argument("transport: backoff needs 0 < base <= max, got base " +
                                    format_duration(options.backoff_base) + ", max " +
                                    format_duration(options.backoff_max));
  }
  if (!(options.backoff_jitter >= 0.0 && options.backoff_jitter <= 1.0)) {
    return Status::invalid_argument("transport: backoff_jitter must be within [0, 1]");
  }
  if (options.handshake_timeout <= Duration::zero()) {
    return Status::invalid_argument("transport: handshake_timeout must be positive");
  }
  std::unique_ptr<TcpTransport> transport(new TcpTransport(io, std::move(options), logger));
  HERD_RETURN_IF_ERROR(transport->listen());
  return transport;
}

TcpTransport::TcpTransport(boost::asio::io_context& io, TcpTransportOptions options, Logger& logger)
    : io_(io),
      options_(std::move(options)),
      logger_(logger),
      clock_(io),
      acceptor_(io),
      accept_retry_(clock_),
      alive_(std::make_shared<TcpTransport*>(this)) {
  std::random_device entropy;
  jitter_rng_.seed((static_cast<std::uint64_t>(entropy()) << 32) | entropy());
  incarnation_ = jitter_rng_();
}

TcpTransport::~TcpTransport() {
  alive_.reset();
  close();
}

Status TcpTransport::listen() {
  HERD_ASSIGN_OR_RETURN(const HostPort where, split_address(options_.listen));
  error_code error;
  const boost::asio::ip::address ip = boost::asio::ip::make_address(where.host, error);
  if (error) {
    return Status::invalid_argument("listen address '" + options_.listen + "': '" + where.host +
                                    "' is not an IP address");
  }
  const tcp::endpoint endpoint(ip, where.port);
  const auto failed = [&](std::string_view step) {
    return Status::io_error("cannot listen on " + options_.listen + " (" + std::string(step) +
                            "): " + error.message());
  };
  if (acceptor_.open(endpoint.protocol(), error)) return failed("open");
  // A restarted node takes its port back while old connections sit in TIME_WAIT.
  if (acceptor_.set_option(tcp::acceptor::reuse_address(true), error)) return failed("option");
  if (acceptor_.bind(endpoint, error)) return failed("bind");
  if (acceptor_.listen(boost::asio::socket_base::max_listen_connections, error)) {
    return failed("listen");
  }
  listen_port_ = acceptor_.local_endpoint(error).port();
  if (error) return failed("local endpoint");
  if (options_.advertise.empty() && !ip.is_unspecified()) {
    options_.advertise = endpoint_text(tcp::endpoint(ip, listen_port_));
  }
  logger_.info("transport.listening", {{"listen", endpoint_text(tcp::endpoint(ip, listen_port_))},
                                       {"advertise", options_.advertise}});
  accept_next();
  return Status::ok();
}

void TcpTransport::accept_next() {
  std::weak_ptr<TcpTransport*> alive = alive_;
  acceptor_.async_accept([alive](const error_code& error, tcp::socket socket) {
    const std::shared_ptr<TcpTransport*> self = alive.lock();
    if (!self || (*self)->closed_) return;
    TcpTransport& transport = **self;
    if (error) {
      if (error == boost::asio::error::operation_aborted) return;
      // Typically out of file descriptors: try again shortly instead of spinning.
      transport.logger_.warning("transport.accept_failed", {{"reason", error.message()}});
      transport.accept_retry_.arm(transport.options_.backoff_base,
                                  [&transport] { transport.accept_next(); });
      return;
    }
    transport.on_accepted(std::move(socket));
    transport.accept_next();
  });
}

void TcpTransport::on_accepted(tcp::socket socket) {
  error_code error;
  const tcp::endpoint remote = socket.remote_endpoint(error);
  if (error) return;  // reset before we got to it
  tune(socket);
  const ConnectionPtr connection = add_connection(std::move(socket), /*outbound=*/false);
  connection->remote = endpoint_text(remote);
  read_next(connection);
}

TcpTransport::ConnectionPtr TcpTransport::add_connection(tcp::socket socket, bool outbound) {
  auto connection =
      std::make_shared<Connection>(*this, next_connection_serial_++, std::move(socket), outbound,
                                   options_.max_frame_bytes, clock_);
  connections_.emplace(connection->serial, connection);
  std::weak_ptr<Connection> weak = connection;
  connection->handshake_timer.arm(options_.handshake_timeout, [this, weak] {
    const ConnectionPtr timed_out = weak.lock();
    if (!timed_out) return;
    const std::string within = " within " + format_duration(options_.handshake_timeout);
    if (timed_out->phase == Connection::Phase::kConnecting) {
      drop(timed_out, Status::unavailable("cannot connect to " + timed_out->remote + within),
           LogLevel::kInfo);
    } else {
      drop(timed_out, Status::unavailable("no handshake from " + timed_out->remote + within),
           LogLevel::kWarning);
    }
  });
  return connection;
}

TcpTransport::Peer& TcpTransport::peer_entry(NodeId id) {
  std::unique_ptr<Peer>& entry = peers_[id];
  if (!entry) entry = std::make_unique<Peer>(id, clock_);
  return *entry;
}

TcpTransport::Peer* TcpTransport::find_peer(NodeId id) {
  auto it = peers_.find(id);
  return it == peers_.end() ? nullptr : it->second.get();
}

const TcpTransport::Peer* TcpTransport::find_peer(NodeId id) const {
  auto it = peers_.find(id);
  return it == peers_.end() ? nullptr : it->second.get();
}

void TcpTransport::set_peer_address(NodeId peer_id, std::string address) {
  if (closed_ || peer_id == options_.self) return;
  Peer& peer = peer_entry(peer_id);
  if (peer.address == address) return;
  peer.address = std::move(address);
  // A new address deserves a fresh try, not the backoff the old one earned.
  if (peer.retry == Peer::Retry::kBackoff) {
    peer.retry_timer.cancel();
    peer.retry = Peer::Retry::kNone;
    peer.failed_dials = 0;
    redial_if_waiting(peer);
  }
}

void TcpTransport::forget_peer(NodeId peer_id) {
  auto it = peers_.find(peer_id);
  if (it == peers_.end()) return;
  if (it->second->link) close_quietly(it->second->link);
  if (it->second->dial) close_quietly(it->second->dial);
  peers_.erase(it);
}

Status TcpTransport::send(NodeId to, std::string bytes) {
  if (closed_) return Status::unavailable("transport is closed");
  if (bytes.size() > options_.max_frame_bytes) {
    return Status::invalid_argument("message of " + std::to_string(bytes.size()) +
                                    " bytes to node " + std::to_string(to.value()) +
                                    " exceeds the frame cap of " +
                                    std::to_string(options_.max_frame_bytes));
  }
  const auto over_cap = [&](std::size_t queued) {
    return queued > 0 && queued + bytes.size() > options_.send_queue_cap_bytes;
  };
  const auto exhausted = [&](std::size_t queued) {
    return Status::resource_exhausted("send queue to node " + std::to_string(to.value()) +
                                      " holds " + std::to_string(queued) + " bytes, cap " +
                                      std::to_string(options_.send_queue_cap_bytes));
  };
  if (to == options_.self) {
    if (over_cap(self_queued_bytes_)) return exhausted(self_queued_bytes_);
    self_queued_bytes_ += bytes.size();
    std::weak_ptr<TcpTransport*> alive = alive_;
    boost::asio::post(io_, [alive, message = std::move(bytes)] {
      const std::shared_ptr<TcpTransport*> self = alive.lock();
      if (!self) return;
      TcpTransport& transport = **self;
      transport.self_queued_bytes_ -= message.size();
      if (!transport.closed_ && transport.handler_ != nullptr) {
        transport.handler_->on_message(transport.options_.self, message);
      }
    });
    return Status::ok();
  }
  Peer* peer = find_peer(to);
  if (peer == nullptr || (peer->address.empty() && !peer->link)) {
    return Status::not_found("no address known for node " + std::to_string(to.value()));
  }
  if (peer->retry == Peer::Retry::kBackoff) {
    return Status::unavailable("node " + std::to_string(to.value()) + " at " + peer->address +
                               " is unreachable; retrying after a backoff");
  }
  const std::size_t queued = peer->queued_bytes + (peer->link ? peer->link->batch_bytes : 0);
  if (over_cap(queued)) return exhausted(queued);
  peer->queued_bytes += bytes.size();
  peer->queue.push_back(std::move(bytes));
  if (peer->link) {
    pump(peer->link);
  } else if (!peer->dial && peer->retry == Peer::Retry::kNone) {
    const Status dialled = dial(*peer);
    if (!dialled.is_ok()) {
      peer->queued_bytes -= peer->queue.back().size();
      peer->queue.pop_back();
      return dialled;
    }
  }
  return Status::ok();
}

void TcpTransport::discover(std::string address, std::function<void(Result<NodeId>)> callback) {
  if (closed_) return;
  for (const auto& [id, peer] : peers_) {
    if (peer->link && peer->address == address) {
      post_discovery_answer(std::move(callback), id);
      return;
    }
  }
  Result<ConnectionPtr> connection = start_dial(address);
  if (!connection.ok()) {
    post_discovery_answer(std::move(callback), connection.status());
    return;
  }
  (*connection)->discovery = std::move(callback);
}

void TcpTransport::post_discovery_answer(std::function<void(Result<NodeId>)> callback,
                                         Result<NodeId> answer) {
  std::weak_ptr<TcpTransport*> alive = alive_;
  boost::asio::post(io_, [alive, callback = std::move(callback), answer = std::move(answer)] {
    const std::shared_ptr<TcpTransport*> self = alive.lock();
    if (self && !(*self)->closed_) callback(answer);
  });
}

std::string TcpTransport::peer_address(NodeId peer_id) const {
  const Peer* peer = find_peer(peer_id);
  return peer == nullptr ? std::string() : peer->address;
}

TcpTransportStats TcpTransport::stats() const {
  TcpTransportStats stats = stats_;
  stats.connections_open = connections_.size();
  stats.peers_up =
      static_cast<std::uint64_t>(std::count_if(peers_.begin(), peers_.end(), [](const auto& entry) {
        return entry.second->link != nullptr;
      }));
  return stats;
}

void TcpTransport::close() {
  if (closed_) return;
  closed_ = true;
  error_code ignored;
  acceptor_.close(ignored);
  accept_retry_.cancel();
  while (!connections_.empty()) close_quietly(connections_.begin()->second);
  peers_.clear();
  logger_.info("transport.closed");
}

Status TcpTransport::dial(Peer& peer) {
  HERD_ASSIGN_OR_RETURN(const ConnectionPtr connection, start_dial(peer.address));
  connection->peer = peer.id;
  peer.dial = connection;
  return Status::ok();
}

Result<TcpTransport::ConnectionPtr> TcpTransport::start_dial(const std::string& address) {
  HERD_ASSIGN_OR_RETURN(const HostPort target, split_address(address));
  const ConnectionPtr connection = add_connection(tcp::socket(io_), /*outbound=*/true);
  connection->phase = Connection::Phase::kConnecting;
  connection->remote = address;
  connection->dial_address = address;
  error_code not_numeric;
  const boost::asio::ip::address ip = boost::asio::ip::make_address(target.host, not_numeric);
  if (!not_numeric) {
    connect(connection, {tcp::endpoint(ip, target.port)});
    return connection;
  }
  connection->resolver = std::make_unique<tcp::resolver>(io_);
  connection->resolver->async_resolve(
      target.host, std::to_string(target.port),
      [connection](const error_code& error, const tcp::resolver::results_type& results) {
        TcpTransport* transport = connection->owner;
        if (transport == nullptr) return;
        if (error) {
          transport->drop(connection,
                          Status::unavailable("cannot resolve " + connection->dial_address + ": " +
                                              error.message()),
                          LogLevel::kInfo);
          return;
        }
        transport->connect(connection, std::vector<tcp::endpoint>(results.begin(), results.end()));
      });
  return connection;
}

void TcpTransport::connect(const ConnectionPtr& connection, std::vector<tcp::endpoint> endpoints) {
  boost::asio::async_connect(
      connection->socket, endpoints, [connection](const error_code& error, const tcp::endpoint&) {
        TcpTransport* transport = connection->owner;
        if (transport == nullptr) return;
        if (error) {
          transport->drop(connection,
                          Status::unavailable("cannot connect to " + connection->dial_address +
                                              ": " + error.message()),
                          LogLevel::kInfo);
          return;
        }
        transport->on_connected(connection);
      });
}

void TcpTransport::on_connected(const ConnectionPtr& connection) {
  error_code error;
  const tcp::endpoint remote = connection->socket.remote_endpoint(error);
  if (!error) connection->remote = endpoint_text(remote);
  tune(connection->socket);
  connection->phase = Connection::Phase::kHandshaking;
  proto::Handshake handshake = own_handshake();
  handshake.set_expected_node_id(connection->peer.value());
  codec::append_frame(connection->control, codec::encode_message(handshake));
  pump(connection);
  read_next(connection);
}

proto::Handshake TcpTransport::own_handshake() const {
  proto::Handshake handshake;
  handshake.set_version(kTransportVersion);
  handshake.set_cluster_id(options_.cluster_id);
  handshake.set_node_id(options_.self.value());
  handshake.set_advertise_addr(options_.advertise);
  handshake.set_incarnation(incarnation_);
  return handshake;
}

void TcpTransport::read_next(const ConnectionPtr& connection) {
  connection->socket.async_read_some(
      boost::asio::buffer(connection->read_buffer),
      [connection](const error_code& error, std::size_t bytes) {
        TcpTransport* transport = connection->owner;
        if (transport == nullptr) return;
        if (error) {
          transport->drop(connection,
                          Status::unavailable(error == boost::asio::error::eof
                                                  ? connection->remote + " closed the connection"
                                                  : "reading from " + connection->remote + ": " +
                                                        error.message()),
                          LogLevel::kInfo);
          return;
        }
        transport->on_read(connection, bytes);
      });
}

void TcpTransport::on_read(const ConnectionPtr& connection, std::size_t bytes) {
  connection->reader.feed(std::string_view(connection->read_buffer.data(), bytes));
  const auto reading = [&] {
    return connection->owner != nullptr && connection->phase != Connection::Phase::kRefusing;
  };
  while (reading()) {
    Result<std::optional<std::string>> frame = connection->reader.next();
    if (!frame.ok()) {
      reject(connection, "bad frame from " + connection->remote + ": " + frame.status().message());
      return;
    }
    if (!frame->has_value()) {
      if (connection->phase != Connection::Phase::kEstablished &&
          connection->reader.buffered() > kMaxHandshakeBytes) {
        reject(connection, "no handshake in the first " + std::to_string(kMaxHandshakeBytes) +
                               " bytes from " + connection->remote);
        return;
      }
      break;
    }
    if (connection->phase != Connection::Phase::kEstablished) {
      on_handshake(connection, **frame);
      continue;
    }
    ++stats_.messages_received;
    stats_.bytes_received += (*frame)->size();
    // The handler may close the transport or forget the peer; reading() notices.
    if (handler_ != nullptr) handler_->on_message(connection->peer, **frame);
  }
  if (reading()) read_next(connection);
}

void TcpTransport::on_handshake(const ConnectionPtr& connection, std::string_view payload) {
  proto::Handshake handshake;
  const Status parsed = codec::decode_message(payload, handshake, "handshake");
  if (!parsed.is_ok()) {
    reject(connection, "from " + connection->remote + ": " + parsed.message());
    return;
  }
  if (connection->outbound) {
    on_dial_answer(connection, handshake);
  } else {
    on_inbound_handshake(connection, handshake);
  }
}

std::string TcpTransport::check_handshake(const proto::Handshake& handshake) const {
  if (handshake.version() != kTransportVersion) {
    return "handshake version " + std::to_string(handshake.version()) + ", this node speaks " +
           std::to_string(kTransportVersion);
  }
  if (handshake.node_id() == 0) return "handshake without a node id";
  if (NodeId(handshake.node_id()) == options_.self) {
    return "handshake from this node's own id " + std::to_string(handshake.node_id());
  }
  if (!handshake.cluster_id().empty() && !options_.cluster_id.empty() &&
      handshake.cluster_id() != options_.cluster_id) {
    return "cluster id mismatch: node " + std::to_string(handshake.node_id()) + " is in '" +
           handshake.cluster_id() + "', this node in '" + options_.cluster_id + "'";
  }
  return std::string();
}

void TcpTransport::on_inbound_handshake(const ConnectionPtr& connection,
                                        const proto::Handshake& handshake) {
  std::string problem = check_handshake(handshake);
  if (problem.empty() && handshake.expected_node_id() != 0 &&
      NodeId(handshake.expected_node_id()) != options_.self) {
    problem = "dialled node " + std::to_string(handshake.expected_node_id()) +
              " but this is node " + std::to_string(options_.self.value());
  }
  if (!problem.empty()) {
    ++stats_.frames_rejected;
    refuse(connection, problem, /*duplicate=*/false);
    return;
  }
  const NodeId from(handshake.node_id());
  Peer& peer = peer_entry(from);
  // An inbound-only peer is answered over its connection; its advertised address is where to
  // find it again. An address the core set stays: it knows the cluster's view.
  if (peer.address.empty()) peer.address = handshake.advertise_addr();
  connection->remote_incarnation = handshake.incarnation();
  // Simultaneous dial: both sides keep the connection dialled by the smaller NodeId. Only the
  // smaller side ever refuses a duplicate, and the dialer sends nothing before the answer, so the
  // losing connection carries no message and no peer sees it come up. A dial from the larger
  // side while ours is established means it lost that connection, unless it comes from the same
  // incarnation and ours is the one it already accepted: then it is a stale duplicate.
  if (options_.self < from) {
    const bool own_link_current = peer.link && peer.link->outbound &&
                                  peer.link->remote_incarnation == handshake.incarnation();
    if (peer.dial || own_link_current) {
      refuse(connection,
             "duplicate connection: node " + std::to_string(options_.self.value()) +
                 " keeps its own dial",
             /*duplicate=*/true);
      return;
    }
  }
  establish(connection, from);
}

void TcpTransport::on_dial_answer(const ConnectionPtr& connection,
                                  const proto::Handshake& handshake) {
  if (!handshake.refusal().empty()) {
    if (handshake.duplicate() && handshake.node_id() != 0) {
      const NodeId id(handshake.node_id());
      std::function<void(Result<NodeId>)> discovery = std::move(connection->discovery);
      logger_.debug("transport.dial_yielded", {{"peer", id}, {"remote", connection->remote}});
      close_quietly(connection);
      Peer& peer = peer_entry(id);
      if (discovery) {
        peer.address = connection->dial_address;
        discovery(id);
      } else {
        yield_to_peer(peer);
      }
      return;
    }
    drop(connection,
         Status::failed_precondition(connection->remote +
                                     " refused the handshake: " + handshake.refusal()),
         LogLevel::kWarning);
    return;
  }
  std::string problem = check_handshake(handshake);
  if (problem.empty() && connection->peer != kNoNode &&
      NodeId(handshake.node_id()) != connection->peer) {
    problem = connection->dial_address + " is node " + std::to_string(handshake.node_id()) +
              ", not node " + std::to_string(connection->peer.value());
  }
  if (!problem.empty()) {
    reject(connection, problem);
    return;
  }
  const NodeId id(handshake.node_id());
  connection->remote_incarnation = handshake.incarnation();
  std::function<void(Result<NodeId>)> discovery = std::move(connection->discovery);
  if (discovery) peer_entry(id).address = connection->dial_address;
  establish(connection, id);
  if (discovery && !closed_) discovery(id);
}

void TcpTransport::refuse(const ConnectionPtr& connection, std::string reason, bool duplicate) {
  logger_.log(duplicate ? LogLevel::kDebug : LogLevel::kWarning, "transport.handshake_refused",
              {{"remote", connection->remote}, {"reason", reason}});
  proto::Handshake answer = own_handshake();
  answer.set_refusal(std::move(reason));
  answer.set_duplicate(duplicate);
  codec::append_frame(connection->control, codec::encode_message(answer));
  connection->phase = Connection::Phase::kRefusing;
  connection->handshake_timer.cancel();
  pump(connection);
}

void TcpTransport::establish(const ConnectionPtr& connection, NodeId peer_id) {
  if (!connection->outbound) {
    codec::append_frame(connection->control, codec::encode_message(own_handshake()));
  }
  connection->phase = Connection::Phase::kEstablished;
  connection->peer = peer_id;
  connection->handshake_timer.cancel();
  Peer& peer = peer_entry(peer_id);
  // Our own dial lost the tie, or this connection is it.
  if (peer.dial && peer.dial != connection) {
    logger_.debug("transport.dial_abandoned", {{"peer", peer_id}, {"remote", peer.dial->remote}});
    close_quietly(peer.dial);
  }
  peer.dial = nullptr;
  // The peer dialled again although we hold a connection: it lost that one, or restarted.
  const bool replaced = peer.link && peer.link != connection;
  if (replaced) {
    logger_.info("transport.connection_replaced",
                 {{"peer", peer_id}, {"old", peer.link->remote}, {"new", connection->remote}});
    close_quietly(peer.link);
  }
  peer.link = connection;
  peer.failed_dials = 0;
  peer.retry = Peer::Retry::kNone;
  peer.retry_timer.cancel();
  ++stats_.connects;
  logger_.info(
      "transport.peer_up",
      {{"peer", peer_id}, {"remote", connection->remote}, {"dialled", connection->outbound}});
  pump(connection);
  if (handler_ == nullptr) return;
  if (replaced) {
    handler_->on_peer_down(peer_id);
    // The handler may have closed the transport or forgotten the peer meanwhile.
    const Peer* still = find_peer(peer_id);
    if (connection->owner == nullptr || still == nullptr || still->link != connection ||
        handler_ == nullptr) {
      return;
    }
  }
  handler_->on_peer_up(peer_id);
}

void TcpTransport::pump(const ConnectionPtr& connection) {
  if (connection->owner == nullptr || connection->writing) return;
  connection->write_buffer.clear();
  connection->write_buffer.append(connection->control);
  connection->control.clear();
  connection->batch_messages = 0;
  connection->batch_bytes = 0;
  if (connection->phase == Connection::Phase::kEstablished) {
    Peer* peer = find_peer(connection->peer);
    if (peer != nullptr && peer->link == connection) {
      while (!peer->queue.empty() && connection->write_buffer.size() < kWriteBatchBytes) {
        const std::string& message = peer->queue.front();
        codec::append_frame(connection->write_buffer, message);
        ++connection->batch_messages;
        connection->batch_bytes += message.size();
        peer->queued_bytes -= message.size();
        peer->queue.pop_front();
      }
    }
  }
  if (connection->write_buffer.empty()) {
    if (connection->phase == Connection::Phase::kRefusing) close_quietly(connection);
    return;
  }
  connection->writing = true;
  boost::asio::async_write(connection->socket, boost::asio::buffer(connection->write_buffer),
                           [connection](const error_code& error, std::size_t) {
                             TcpTransport* transport = connection->owner;
                             if (transport != nullptr) transport->on_written(connection, error);
                           });
}

void TcpTransport::on_written(const ConnectionPtr& connection, const error_code& error) {
  connection->writing = false;
  if (error) {
    drop(connection,
         Status::unavailable("writing to " + connection->remote + ": " + error.message()),
         LogLevel::kInfo);
    return;
  }
  stats_.messages_sent += connection->batch_messages;
  stats_.bytes_sent += connection->batch_bytes;
  connection->batch_messages = 0;
  connection->batch_bytes = 0;
  pump(connection);
}

void TcpTransport::drop(const ConnectionPtr& connection, const Status& why, LogLevel level) {
  if (connection->owner == nullptr) return;
  const NodeId peer_id = connection->peer;
  Peer* peer = find_peer(peer_id);
  const bool was_link = peer != nullptr && peer->link == connection;
  const bool was_dial = peer != nullptr && peer->dial == connection;
  std::function<void(Result<NodeId>)> discovery = std::move(connection->discovery);
  logger_.log(level, "transport.connection_closed",
              {{"remote", connection->remote}, {"peer", peer_id}, {"reason", why.message()}});
  close_quietly(connection);
  if (discovery) {
    ++stats_.failed_dials;
    discovery(why);
    return;
  }
  if (was_dial) {
    ++stats_.failed_dials;
    ++peer->failed_dials;
    // What waited for this peer cannot be delivered now: drop it and tell the handler, so an
    // agent registering with a dead manager moves on instead of waiting for its timeout (Raft
    // resends anyway). Sends fail with unavailable until the backoff has passed.
    peer->queue.clear();
    peer->queued_bytes = 0;
    back_off(*peer);
    logger_.info("transport.peer_unreachable", {{"peer", peer_id}});
    if (handler_ != nullptr) handler_->on_peer_down(peer_id);
  } else if (was_link) {
    if (peer->address.empty()) {
      // Reachable only over the connection it made: nothing to redial.
      peer->queue.clear();
      peer->queued_bytes = 0;
    } else if (!peer->queue.empty()) {
      back_off(*peer);
    }
    logger_.info("transport.peer_down", {{"peer", peer_id}});
    if (handler_ != nullptr) handler_->on_peer_down(peer_id);
  }
}

void TcpTransport::reject(const ConnectionPtr& connection, const std::string& reason) {
  ++stats_.frames_rejected;
  drop(connection, Status::corruption(reason), LogLevel::kWarning);
}

void TcpTransport::close_quietly(ConnectionPtr connection) {
  if (connection->owner == nullptr) return;
  connection->owner = nullptr;
  connection->handshake_timer.cancel();
  error_code ignored;
  if (connection->resolver) connection->resolver->cancel();
  connection->socket.shutdown(tcp::socket::shutdown_both, ignored);
  connection->socket.close(ignored);
  connections_.erase(connection->serial);
  if (Peer* peer = find_peer(connection->peer)) {
    if (peer->link == connection) peer->link = nullptr;
    if (peer->dial == connection) peer->dial = nullptr;
  }
}

void TcpTransport::back_off(Peer& peer) {
  // base * 2^(failures - 1), capped; the first retry after a lost connection waits `base`.
  Duration delay = options_.backoff_base;
  for (int i = 1; i < peer.failed_dials && delay < options_.backoff_max; ++i) delay *= 2;
  delay = std::min(delay, options_.backoff_max);
  // Jitter spreads the redials of many nodes that lost the same peer at the same moment.
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  delay -= Duration(static_cast<Duration::rep>(static_cast<double>(delay.count()) *
                                               options_.backoff_jitter * unit(jitter_rng_)));
  logger_.debug("transport.backoff",
                {{"peer", peer.id}, {"delay", delay}, {"failed_dials", peer.failed_dials}});
  peer.retry = Peer::Retry::kBackoff;
  const NodeId id = peer.id;
  peer.retry_timer.arm(delay, [this, id] { on_retry(id); });
}

void TcpTransport::yield_to_peer(Peer& peer) {
  // If the peer's own dial never arrives (it may not reach our advertised address), dial again.
  peer.retry = Peer::Retry::kYield;
  const NodeId id = peer.id;
  peer.retry_timer.arm(options_.handshake_timeout, [this, id] { on_retry(id); });
}

void TcpTransport::on_retry(NodeId peer_id) {
  Peer* peer = find_peer(peer_id);
  if (peer == nullptr) return;
  peer->retry = Peer::Retry::kNone;
  redial_if_waiting(*peer);
}

void TcpTransport::redial_if_waiting(Peer& peer) {
  if (peer.link || peer.dial || peer.queue.empty() || peer.address.empty()) return;
  const Status dialled = dial(peer);
  if (!dialled.is_ok()) {
    logger_.warning("transport.dial_failed", {{"peer", peer.id}, {"reason", dialled.message()}});
  }
}

}  // namespace herd::realnode
