// TcpTransport: realnode's Transport, one TCP connection per peer carrying codec frames.
//
// Everything runs on the one io_context thread that drives the core: every public call is made
// on it and every handler callback is delivered on it, never inside a public call. A peer is
// dialled on demand and its connection kept; the first frame each way is a proto Handshake
// (proto/transport.proto), after which frames carry the caller's opaque messages, FIFO. Messages
// wait in a per-peer queue bounded in bytes (send() says resource_exhausted beyond it) until the
// peer's connection takes them, so a connection that loses a simultaneous-dial tie (the one
// dialled by the larger NodeId loses) never carries any. A failed dial drops the messages that
// waited for it and reports the peer down (so a sender can turn elsewhere); lost connections
// with messages waiting are redialled after a capped, jittered exponential backoff, and during
// any backoff send() says unavailable. Bad input (checksum, size cap, garbage, wrong handshake) closes only that
// connection, with a warning naming the remote endpoint. After close() or destruction no
// callback runs; the transport must not be destroyed from inside one of its callbacks.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/codec/frame.h"
#include "core/runtime/logger.h"
#include "core/runtime/result.h"
#include "core/runtime/transport.h"
#include "realnode/asio_clock.h"

namespace herd::proto {
class Handshake;
}

namespace herd::realnode {

inline constexpr std::uint32_t kTransportVersion = 1;

struct TcpTransportOptions {
  NodeId self;
  std::string cluster_id;              // empty until the node has joined a cluster
  std::string listen = "127.0.0.1:0";  // IP:PORT; port 0 picks a free one (see listen_port())
  std::string advertise;  // HOST:PORT peers dial; empty: the listen address if specific
  std::size_t max_frame_bytes = codec::kDefaultMaxFramePayload;
  std::size_t send_queue_cap_bytes = 64 * 1024 * 1024;  // per peer, messages not yet written
  Duration backoff_base = milliseconds(100);
  Duration backoff_max = seconds(10);
  double backoff_jitter = 0.2;              // each delay is drawn from [d * (1 - jitter), d]
  Duration handshake_timeout = seconds(5);  // from dial or accept until the handshake is done
};

struct TcpTransportStats {
  std::uint64_t messages_sent = 0;  // written to a socket
  std::uint64_t bytes_sent = 0;     // payload bytes of those messages
  std::uint64_t messages_received = 0;
  std::uint64_t bytes_received = 0;
  std::uint64_t connections_open = 0;  // sockets open now, handshaking or established
  std::uint64_t peers_up = 0;          // peers with an established connection now
  std::uint64_t connects = 0;          // connections established (handshake done), both ways
  std::uint64_t failed_dials = 0;      // dials that ended before an established connection
  std::uint64_t frames_rejected = 0;   // bad checksum, over the cap, garbage or bad handshake
};

class TcpTransport final : public Transport {
 public:
  // Binds and starts accepting. invalid_argument for a malformed option, io_error when the listen
  // address cannot be bound.
  static Result<std::unique_ptr<TcpTransport>> create(boost::asio::io_context& io,
                                                      TcpTransportOptions options, Logger& logger);
  TcpTransport(const TcpTransport&) = delete;
  TcpTransport& operator=(const TcpTransport&) = delete;
  ~TcpTransport() override;

  // Transport
  void set_handler(TransportHandler* handler) override { handler_ = handler; }
  void set_peer_address(NodeId peer, std::string address) override;
  // Drops the peer's connection, queue and timers without calling back: the caller forgot it.
  void forget_peer(NodeId peer) override;
  // Also: invalid_argument above the frame cap; not_found with no address and no connection;
  // unavailable after close(). A message to self is delivered through the io_context.
  Status send(NodeId to, std::string bytes) override;

  // Dials `address`, whose node id is unknown, and calls back with the id its handshake gives;
  // the connection is then that peer's and `address` is remembered as where it is. Errors name
  // the address and say why (cannot connect, refused, no handshake in time). Never calls back
  // inside discover().
  void discover(std::string address, std::function<void(Result<NodeId>)> callback);

  // A joining node learns its cluster id after it has connected to a manager.
  void set_cluster_id(std::string cluster_id) { options_.cluster_id = std::move(cluster_id); }

  std::uint16_t listen_port() const { return listen_port_; }
  const std::string& advertise_address() const { return options_.advertise; }
  // The address known for `peer` (set, discovered or advertised by it), or empty.
  std::string peer_address(NodeId peer) const;
  TcpTransportStats stats() const;

  // Stops accepting, closes every connection and cancels every timer. No callback after it.
  void close();

 private:
  class Connection;
  struct Peer;
  using ConnectionPtr = std::shared_ptr<Connection>;

  TcpTransport(boost::asio::io_context& io, TcpTransportOptions options, Logger& logger);

  Status listen();
  void accept_next();
  void on_accepted(boost::asio::ip::tcp::socket socket);

  Peer& peer_entry(NodeId id);
  Peer* find_peer(NodeId id);
  const Peer* find_peer(NodeId id) const;
  ConnectionPtr add_connection(boost::asio::ip::tcp::socket socket, bool outbound);
  Status dial(Peer& peer);
  Result<ConnectionPtr> start_dial(const std::string& address);
  void connect(const ConnectionPtr& connection,
               std::vector<boost::asio::ip::tcp::endpoint> endpoints);
  void on_connected(const ConnectionPtr& connection);

  void read_next(const ConnectionPtr& connection);
  void on_read(const ConnectionPtr& connection, std::size_t bytes);
  void on_handshake(const ConnectionPtr& connection, std::string_view payload);
  void on_inbound_handshake(const ConnectionPtr& connection, const proto::Handshake& handshake);
  void on_dial_answer(const ConnectionPtr& connection, const proto::Handshake& handshake);
  std::string check_handshake(const proto::Handshake& handshake) const;
  void refuse(const ConnectionPtr& connection, std::string reason, bool duplicate);
  void establish(const ConnectionPtr& connection, NodeId peer_id);

  void pump(const ConnectionPtr& connection);
  void on_written(const ConnectionPtr& connection, const boost::system::error_code& error);

  // Closes a connection, logging `why` at `level`, and settles what it leaves behind: a peer
  // down, a failed dial to back off from, a discovery to answer with `why`.
  void drop(const ConnectionPtr& connection, const Status& why, LogLevel level);
  // drop() for bad input: counted, and logged as a warning.
  void reject(const ConnectionPtr& connection, const std::string& reason);
  // Closes the socket and detaches the connection from its peer, with no other consequence.
  // By value: callers pass references into the maps it erases from.
  void close_quietly(ConnectionPtr connection);
  void back_off(Peer& peer);
  void yield_to_peer(Peer& peer);
  void on_retry(NodeId peer_id);
  void redial_if_waiting(Peer& peer);

  proto::Handshake own_handshake() const;
  void post_discovery_answer(std::function<void(Result<NodeId>)> callback, Result<NodeId> answer);

  boost::asio::io_context& io_;
  TcpTransportOptions options_;
  Logger& logger_;
  AsioClock clock_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint16_t listen_port_ = 0;
  std::uint64_t incarnation_;
  std::mt19937_64 jitter_rng_;
  TransportHandler* handler_ = nullptr;
  bool closed_ = false;
  std::uint64_t next_connection_serial_ = 1;
  std::map<std::uint64_t, ConnectionPtr> connections_;
  std::map<NodeId, std::unique_ptr<Peer>> peers_;
  std::size_t self_queued_bytes_ = 0;
  TcpTransportStats stats_;
  ScopedTimer accept_retry_;
  // Posted callbacks hold a weak reference so they do nothing once the transport is gone.
  std::shared_ptr<TcpTransport*> alive_;
};

}  // namespace herd::realnode
