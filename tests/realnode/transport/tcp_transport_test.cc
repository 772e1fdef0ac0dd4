#include "realnode/transport/tcp_transport.h"

#include <gtest/gtest.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/codec/frame.h"
#include "core/codec/proto_codec.h"
#include "proto/transport.pb.h"
#include "realnode/asio_clock.h"

namespace herd::realnode {
namespace {

using boost::asio::ip::tcp;

class Recorder final : public TransportHandler {
 public:
  void on_message(NodeId from, std::string_view bytes) override {
    messages[from].emplace_back(bytes);
    ++received;
  }
  void on_peer_up(NodeId peer) override { events.push_back("up " + std::to_string(peer.value())); }
  void on_peer_down(NodeId peer) override {
    events.push_back("down " + std::to_string(peer.value()));
  }

  std::map<NodeId, std::vector<std::string>> messages;
  std::vector<std::string> events;
  std::size_t received = 0;
};

class CapturingSink final : public LogSink {
 public:
  void write(const LogLine& line) override { lines.push_back(format_log_line(line)); }

  bool has_line_with(std::initializer_list<std::string_view> parts) const {
    for (const std::string& line : lines) {
      bool all = true;
      for (std::string_view part : parts) all = all && line.find(part) != std::string::npos;
      if (all) return true;
    }
    return false;
  }

  std::vector<std::string> lines;
};

// A transport with its own logger and a recorder installed as its handler.
struct Node {
  NodeId id;
  std::unique_ptr<Logger> logger;
  Recorder recorder;
  std::unique_ptr<TcpTransport> transport;

  TcpTransport* operator->() { return transport.get(); }
};

// A plain asio socket speaking raw bytes to a transport, to feed it bad input. Its state is
// shared with the pending read, which may complete after the client is gone.
class RawClient {
 public:
  RawClient(boost::asio::io_context& io, std::uint16_t port) : state_(std::make_shared<State>(io)) {
    state_->socket.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
    watch(state_);
  }

  void write(const std::string& bytes) {
    boost::asio::write(state_->socket, boost::asio::buffer(bytes));
  }
  std::string local_endpoint() const {
    return "127.0.0.1:" + std::to_string(state_->socket.local_endpoint().port());
  }
  // EOF, or a reset when the transport closed with our bytes still unread.
  bool closed_by_peer() const {
    return state_->closed && (*state_->closed == boost::asio::error::eof ||
                              *state_->closed == boost::asio::error::connection_reset);
  }
  const std::string& received() const { return state_->received; }

 private:
  struct State {
    explicit State(boost::asio::io_context& io) : socket(io) {}
    tcp::socket socket;
    std::array<char, 4096> buffer;
    std::string received;
    std::optional<boost::system::error_code> closed;
  };

  static void watch(const std::shared_ptr<State>& state) {
    state->socket.async_read_some(boost::asio::buffer(state->buffer),
                                  [state](const boost::system::error_code& error, std::size_t n) {
                                    if (error) {
                                      state->closed = error;
                                      return;
                                    }
                                    state->received.append(state->buffer.data(), n);
                                    watch(state);
                                  });
  }

  std::shared_ptr<State> state_;
};

std::string handshake_frame(std::uint32_t version, std::string cluster, std::uint64_t node_id) {
  proto::Handshake handshake;
  handshake.set_version(version);
  handshake.set_cluster_id(std::move(cluster));
  handshake.set_node_id(node_id);
  return codec::encode_frame(codec::encode_message(handshake));
}

class TcpTransportTest : public ::testing::Test {
 protected:
  TcpTransportOptions options(std::uint64_t id) const {
    TcpTransportOptions o;
    o.self = NodeId(id);
    o.cluster_id = "c1";
    o.backoff_base = milliseconds(10);
    o.backoff_max = milliseconds(40);
    o.handshake_timeout = milliseconds(500);
    return o;
  }

  std::unique_ptr<Node> make_node(TcpTransportOptions o) {
    auto node = std::make_unique<Node>();
    node->id = o.self;
    node->logger = std::make_unique<Logger>(clock_, "n" + std::to_string(o.self.value()), &sink_,
                                            LogLevel::kDebug);
    Result<std::unique_ptr<TcpTransport>> created = TcpTransport::create(io_, o, *node->logger);
    EXPECT_TRUE(created.ok()) << created.status();
    if (!created.ok()) return nullptr;
    node->transport = std::move(created).value();
    node->transport->set_handler(&node->recorder);
    return node;
  }

  std::unique_ptr<Node> make_node(std::uint64_t id) { return make_node(options(id)); }

  static void introduce(Node& a, Node& b) {
    a->set_peer_address(b.id, b->advertise_address());
    b->set_peer_address(a.id, a->advertise_address());
  }

  // Runs the io_context until `done()` holds or `timeout` passes; false on timeout.
  template <typename Predicate>
  bool run_until(Predicate done, Duration timeout = seconds(3)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      if (io_.stopped()) io_.restart();
      io_.run_one_for(std::chrono::milliseconds(5));
    }
    return true;
  }

  void run_for(Duration duration) {
    const auto deadline = std::chrono::steady_clock::now() + duration;
    run_until([&] { return std::chrono::steady_clock::now() >= deadline; }, duration + seconds(1));
  }

  boost::asio::io_context io_;
  AsioClock clock_{io_};
  CapturingSink sink_;
};

std::string numbered(int i) { return "message " + std::to_string(i) + std::string(100, '.'); }

std::vector<std::string> numbered_range(int count) {
  std::vector<std::string> all;
  for (int i = 0; i < count; ++i) all.push_back(numbered(i));
  return all;
}

TEST_F(TcpTransportTest, ThreeTransportsExchangeMessagesInOrderPerPair) {
  std::vector<std::unique_ptr<Node>> nodes;
  for (std::uint64_t id = 1; id <= 3; ++id) nodes.push_back(make_node(id));
  for (auto& a : nodes) {
    for (auto& b : nodes) {
      if (a != b) (*a)->set_peer_address(b->id, (*b)->advertise_address());
    }
  }
  constexpr int kCount = 1000;
  for (int i = 0; i < kCount; ++i) {
    for (auto& a : nodes) {
      for (auto& b : nodes) {
        if (a != b) {
          ASSERT_TRUE((*a)->send(b->id, numbered(i)).is_ok());
        }
      }
    }
  }
  std::uint64_t payload_bytes = 0;
  for (const std::string& message : numbered_range(kCount)) payload_bytes += message.size();
  ASSERT_TRUE(run_until([&] {
    for (auto& node : nodes) {
      if (node->recorder.received < 2 * kCount) return false;
    }
    return true;
  }));
  ASSERT_TRUE(run_until([&] {
    for (auto& node : nodes) {
      if ((*node)->stats().connections_open != 2) return false;
    }
    return true;
  })) << "every pair keeps exactly one connection";
  for (auto& node : nodes) {
    for (auto& from : nodes) {
      if (from == node) continue;
      EXPECT_EQ(node->recorder.messages[from->id], numbered_range(kCount))
          << "from " << from->id << " to " << node->id;
    }
    const TcpTransportStats stats = (*node)->stats();
    EXPECT_EQ(stats.messages_sent, 2u * kCount);
    EXPECT_EQ(stats.messages_received, 2u * kCount);
    EXPECT_EQ(stats.bytes_received, 2 * payload_bytes);
    EXPECT_EQ(stats.peers_up, 2u);
    EXPECT_EQ(node->recorder.events.size(), 2u) << "one up per peer, no down";
  }
}

TEST_F(TcpTransportTest, ReportsPeerUpAndDownAndAnswersAnInboundPeerOverItsConnection) {
  auto a = make_node(1);
  auto b = make_node(2);
  (*a)->set_peer_address(NodeId(2), (*b)->advertise_address());
  ASSERT_TRUE((*a)->send(NodeId(2), "hello").is_ok());
  ASSERT_TRUE(run_until([&] { return b->recorder.received == 1; }));
  EXPECT_EQ(a->recorder.events, std::vector<std::string>{"up 2"});
  EXPECT_EQ(b->recorder.events, std::vector<std::string>{"up 1"});
  // b was never told where a is: it learnt the advertised address, and answers over a's dial.
  EXPECT_EQ((*b)->peer_address(NodeId(1)), (*a)->advertise_address());
  ASSERT_TRUE((*b)->send(NodeId(1), "hi back").is_ok());
  ASSERT_TRUE(run_until([&] { return a->recorder.received == 1; }));
  EXPECT_EQ(a->recorder.messages[NodeId(2)], std::vector<std::string>{"hi back"});
  EXPECT_EQ((*a)->stats().connections_open, 1u);

  (*b)->close();
  ASSERT_TRUE(run_until([&] { return a->recorder.events.size() == 2; }));
  EXPECT_EQ(a->recorder.events, (std::vector<std::string>{"up 2", "down 2"}));
  EXPECT_EQ(b->recorder.events, std::vector<std::string>{"up 1"}) << "no callback after close()";
  EXPECT_EQ((*b)->send(NodeId(1), "late").code(), StatusCode::kUnavailable);
}

TEST_F(TcpTransportTest, ReconnectsToAPeerThatComesBackOnTheSamePort) {
  auto a = make_node(1);
  auto b = make_node(2);
  const std::uint16_t port = (*b)->listen_port();
  introduce(*a, *b);
  ASSERT_TRUE((*a)->send(NodeId(2), "first").is_ok());
  ASSERT_TRUE(run_until([&] { return b->recorder.received == 1; }));

  b.reset();
  ASSERT_TRUE(run_until([&] { return a->recorder.events.size() == 2; }));
  // The queued message makes a dial that fails: the message is dropped, the handler hears the
  // peer is down (so a sender waiting on it can move on), and the peer is in backoff.
  ASSERT_TRUE((*a)->send(NodeId(2), "lost while down").is_ok());
  ASSERT_TRUE(run_until([&] { return (*a)->stats().failed_dials == 1; }));
  EXPECT_EQ(a->recorder.events, (std::vector<std::string>{"up 2", "down 2", "down 2"}));
  EXPECT_EQ((*a)->send(NodeId(2), "refused").code(), StatusCode::kUnavailable);

  TcpTransportOptions again = options(2);
  again.listen = "127.0.0.1:" + std::to_string(port);
  b = make_node(again);
  ASSERT_NE(b, nullptr);
  bool sent = false;
  ASSERT_TRUE(run_until([&] {
    if (!sent) sent = (*a)->send(NodeId(2), "again").is_ok();
    return b->recorder.received == 1;
  }));
  EXPECT_EQ(b->recorder.messages[NodeId(1)], (std::vector<std::string>{"again"}));
  EXPECT_EQ(a->recorder.events, (std::vector<std::string>{"up 2", "down 2", "down 2", "up 2"}));
}

TEST_F(TcpTransportTest, SimultaneousDialKeepsOneConnectionAndLosesNoMessage) {
  int raced = 0;
  for (int round = 0; round < 4; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    auto a = make_node(1);
    auto b = make_node(2);
    introduce(*a, *b);
    constexpr int kCount = 200;
    // Both sides dial before either runs; which goes first alternates.
    for (int i = 0; i < kCount; ++i) {
      Node& first = round % 2 == 0 ? *a : *b;
      Node& second = round % 2 == 0 ? *b : *a;
      ASSERT_TRUE(first->send(second.id, numbered(i)).is_ok());
      ASSERT_TRUE(second->send(first.id, numbered(i)).is_ok());
    }
    ASSERT_TRUE(run_until([&] {
      return a->recorder.received == kCount && b->recorder.received == kCount &&
             (*a)->stats().connections_open == 1 && (*b)->stats().connections_open == 1;
    }));
    run_for(milliseconds(30));
    EXPECT_EQ(a->recorder.messages[NodeId(2)], numbered_range(kCount));
    EXPECT_EQ(b->recorder.messages[NodeId(1)], numbered_range(kCount));
    EXPECT_EQ(a->recorder.events, std::vector<std::string>{"up 2"}) << "no flapping";
    EXPECT_EQ(b->recorder.events, std::vector<std::string>{"up 1"});
    EXPECT_EQ((*a)->stats().connections_open, 1u);
    EXPECT_EQ((*b)->stats().connections_open, 1u);
    EXPECT_EQ((*a)->stats().connects, 1u);
    EXPECT_EQ((*b)->stats().connects, 1u);
    if (sink_.has_line_with({"handshake_refused", "duplicate connection"})) ++raced;
    sink_.lines.clear();
  }
  EXPECT_GT(raced, 0) << "the dials never met: the test did not exercise the tie-break";
}

TEST_F(TcpTransportTest, ARedialFromThePeerReplacesItsOldConnection) {
  auto a = make_node(1);
  const auto handshake_from_9 = [](std::uint64_t incarnation) {
    proto::Handshake handshake;
    handshake.set_version(kTransportVersion);
    handshake.set_cluster_id("c1");
    handshake.set_node_id(9);
    handshake.set_incarnation(incarnation);
    return codec::encode_frame(codec::encode_message(handshake));
  };
  RawClient old_life(io_, (*a)->listen_port());
  old_life.write(handshake_from_9(1));
  ASSERT_TRUE(run_until([&] { return a->recorder.events.size() == 1; }));
  // Peer 9 restarted without its FIN reaching us: its new connection wins.
  RawClient new_life(io_, (*a)->listen_port());
  new_life.write(handshake_from_9(2));
  ASSERT_TRUE(run_until([&] { return old_life.closed_by_peer(); }));
  EXPECT_EQ(a->recorder.events, (std::vector<std::string>{"up 9", "down 9", "up 9"}));
  ASSERT_TRUE((*a)->send(NodeId(9), "to the new one").is_ok());
  ASSERT_TRUE(
      run_until([&] { return new_life.received().find("to the new one") != std::string::npos; }));
  EXPECT_FALSE(new_life.closed_by_peer());
}

TEST_F(TcpTransportTest, GarbageAndBadFramesCloseOnlyTheirConnection) {
  TcpTransportOptions small = options(1);
  small.max_frame_bytes = 64 * 1024;
  auto a = make_node(small);
  auto b = make_node(2);
  introduce(*a, *b);
  ASSERT_TRUE((*b)->send(NodeId(1), "before").is_ok());
  ASSERT_TRUE(run_until([&] { return a->recorder.received == 1; }));

  RawClient garbage(io_, (*a)->listen_port());
  garbage.write("GET / HTTP/1.1\r\nHost: herd\r\n\r\n");
  RawClient oversized(io_, (*a)->listen_port());
  // A well-formed header announcing one byte over the cap; no payload needs to follow.
  oversized.write(codec::encode_frame(std::string(small.max_frame_bytes + 1, 'x'))
                      .substr(0, codec::kFrameHeaderSize));
  RawClient corrupted(io_, (*a)->listen_port());
  std::string frame = codec::encode_frame("a payload whose checksum will not match");
  frame.back() ^= 0x01;
  corrupted.write(frame);

  ASSERT_TRUE(run_until([&] {
    return garbage.closed_by_peer() && oversized.closed_by_peer() && corrupted.closed_by_peer();
  }));
  EXPECT_TRUE(garbage.received().empty()) << "no handshake answer to garbage";
  EXPECT_EQ((*a)->stats().frames_rejected, 3u);
  EXPECT_TRUE(sink_.has_line_with(
      {"level=warning", "transport.connection_closed", garbage.local_endpoint(), "checksum"}));
  EXPECT_TRUE(sink_.has_line_with({"level=warning", "transport.connection_closed",
                                   oversized.local_endpoint(), "exceeds the cap of 65536"}));
  EXPECT_TRUE(sink_.has_line_with(
      {"level=warning", corrupted.local_endpoint(), "payload checksum mismatch"}));

  ASSERT_TRUE((*b)->send(NodeId(1), "after").is_ok());
  ASSERT_TRUE((*a)->send(NodeId(2), "still here").is_ok());
  ASSERT_TRUE(run_until([&] { return a->recorder.received == 2 && b->recorder.received == 1; }));
  EXPECT_EQ(a->recorder.events, std::vector<std::string>{"up 2"});
}

TEST_F(TcpTransportTest, SilentConnectionIsClosedAfterTheHandshakeTimeout) {
  TcpTransportOptions quick = options(1);
  quick.handshake_timeout = milliseconds(50);
  auto a = make_node(quick);
  RawClient silent(io_, (*a)->listen_port());
  ASSERT_TRUE(run_until([&] { return silent.closed_by_peer(); }, seconds(2)));
  EXPECT_TRUE(sink_.has_line_with({"level=warning", silent.local_endpoint(), "no handshake"}));
  EXPECT_EQ((*a)->stats().connections_open, 0u);
}

TEST_F(TcpTransportTest, BadHandshakesAreRefusedWithAReason) {
  auto a = make_node(1);
  struct Case {
    std::string frame;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {handshake_frame(99, "c1", 7), "handshake version 99"},
      {handshake_frame(kTransportVersion, "other", 7), "cluster id mismatch"},
      {handshake_frame(kTransportVersion, "c1", 1), "own id 1"},
      {handshake_frame(kTransportVersion, "c1", 0), "without a node id"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.reason);
    RawClient client(io_, (*a)->listen_port());
    client.write(c.frame);
    ASSERT_TRUE(run_until([&] { return client.closed_by_peer(); }));
    codec::FrameReader reader;
    reader.feed(client.received());
    Result<std::optional<std::string>> answer = reader.next();
    ASSERT_TRUE(answer.ok() && answer->has_value());
    proto::Handshake refusal;
    ASSERT_TRUE(codec::decode_message(**answer, refusal, "answer").is_ok());
    EXPECT_NE(refusal.refusal().find(c.reason), std::string::npos) << refusal.refusal();
    EXPECT_EQ(refusal.node_id(), 1u);
    EXPECT_TRUE(sink_.has_line_with({"transport.handshake_refused", client.local_endpoint()}));
  }
  EXPECT_TRUE(a->recorder.events.empty());
}

TEST_F(TcpTransportTest, AnotherClusterIsRefusedForSendAndDiscover) {
  auto a = make_node(1);
  TcpTransportOptions foreign = options(2);
  foreign.cluster_id = "c2";
  auto b = make_node(foreign);
  (*a)->set_peer_address(NodeId(2), (*b)->advertise_address());
  ASSERT_TRUE((*a)->send(NodeId(2), "x").is_ok());
  ASSERT_TRUE(
      run_until([&] { return (*a)->send(NodeId(2), "y").code() == StatusCode::kUnavailable; }));

  std::optional<Result<NodeId>> discovered;
  (*a)->discover((*b)->advertise_address(), [&](Result<NodeId> r) { discovered = r; });
  ASSERT_TRUE(run_until([&] { return discovered.has_value(); }));
  ASSERT_FALSE(discovered->ok());
  EXPECT_NE(discovered->status().message().find("cluster id mismatch"), std::string::npos)
      << discovered->status();
  EXPECT_NE(discovered->status().message().find((*b)->advertise_address()), std::string::npos);
  EXPECT_EQ(a->recorder.events, std::vector<std::string>{"down 2"}) << "the refused dial, never up";
  EXPECT_TRUE(b->recorder.events.empty());
  EXPECT_TRUE(b->recorder.messages.empty());
}

TEST_F(TcpTransportTest, APeerThatStopsReadingFillsItsQueueToTheCap) {
  TcpTransportOptions capped = options(1);
  capped.send_queue_cap_bytes = 1024 * 1024;
  auto a = make_node(capped);
  // A fake peer 9 that answers the handshake and then never reads.
  tcp::acceptor acceptor(io_, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  tcp::socket stalled(io_);
  acceptor.async_accept(stalled, [&](const boost::system::error_code& error) {
    ASSERT_FALSE(error);
    boost::asio::write(stalled, boost::asio::buffer(handshake_frame(kTransportVersion, "c1", 9)));
  });
  (*a)->set_peer_address(NodeId(9),
                         "127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()));
  ASSERT_TRUE((*a)->send(NodeId(9), "first").is_ok());
  ASSERT_TRUE(run_until([&] { return a->recorder.events.size() == 1; }));

  const std::string chunk(64 * 1024, 'z');
  std::size_t accepted = 0;
  Status status;
  while (accepted < 512u * 1024 * 1024) {
    status = (*a)->send(NodeId(9), chunk);
    if (!status.is_ok()) break;
    accepted += chunk.size();
    io_.poll();
  }
  EXPECT_EQ(status.code(), StatusCode::kResourceExhausted) << status;
  EXPECT_GT((*a)->stats().bytes_sent, 0u) << "the socket took what it could before back-pressure";
  EXPECT_GT(accepted, capped.send_queue_cap_bytes);
  EXPECT_EQ(a->recorder.events, std::vector<std::string>{"up 9"});
}

TEST_F(TcpTransportTest, SendNeedsAKnownPeerAndAFrameSizedMessage) {
  TcpTransportOptions small = options(1);
  small.max_frame_bytes = 1024;
  auto a = make_node(small);
  EXPECT_EQ((*a)->send(NodeId(42), "x").code(), StatusCode::kNotFound);
  (*a)->set_peer_address(NodeId(42), "127.0.0.1:1");
  EXPECT_EQ((*a)->send(NodeId(42), std::string(1025, 'x')).code(), StatusCode::kInvalidArgument);
  (*a)->set_peer_address(NodeId(43), "no port here");
  EXPECT_EQ((*a)->send(NodeId(43), "x").code(), StatusCode::kInvalidArgument);
}

TEST_F(TcpTransportTest, MessagesToSelfArriveThroughTheEventLoop) {
  auto a = make_node(1);
  ASSERT_TRUE((*a)->send(NodeId(1), "to me").is_ok());
  EXPECT_EQ(a->recorder.received, 0u) << "never inside send()";
  ASSERT_TRUE(run_until([&] { return a->recorder.received == 1; }));
  EXPECT_EQ(a->recorder.messages[NodeId(1)], std::vector<std::string>{"to me"});
}

TEST_F(TcpTransportTest, DiscoverLearnsTheNodeIdBehindAnAddress) {
  auto a = make_node(1);
  auto b = make_node(7);
  std::optional<Result<NodeId>> discovered;
  (*a)->discover((*b)->advertise_address(), [&](Result<NodeId> r) { discovered = r; });
  EXPECT_FALSE(discovered.has_value()) << "never inside discover()";
  ASSERT_TRUE(run_until([&] { return discovered.has_value(); }));
  ASSERT_TRUE(discovered->ok()) << discovered->status();
  EXPECT_EQ(**discovered, NodeId(7));
  EXPECT_EQ((*a)->peer_address(NodeId(7)), (*b)->advertise_address());
  EXPECT_EQ(a->recorder.events, std::vector<std::string>{"up 7"});
  // The discovery's connection is the peer's.
  ASSERT_TRUE((*a)->send(NodeId(7), "joined").is_ok());
  ASSERT_TRUE(run_until([&] { return b->recorder.received == 1; }));
  EXPECT_EQ((*a)->stats().connections_open, 1u);
  EXPECT_EQ((*b)->stats().connections_open, 1u);

  std::optional<Result<NodeId>> refused;
  (*a)->discover("127.0.0.1:1", [&](Result<NodeId> r) { refused = r; });
  std::optional<Result<NodeId>> malformed;
  (*a)->discover("nowhere", [&](Result<NodeId> r) { malformed = r; });
  ASSERT_TRUE(run_until([&] { return refused.has_value() && malformed.has_value(); }));
  ASSERT_FALSE(refused->ok());
  EXPECT_EQ(refused->status().code(), StatusCode::kUnavailable);
  EXPECT_NE(refused->status().message().find("cannot connect to 127.0.0.1:1"), std::string::npos)
      << refused->status();
  ASSERT_FALSE(malformed->ok());
  EXPECT_EQ(malformed->status().code(), StatusCode::kInvalidArgument) << malformed->status();
}

TEST_F(TcpTransportTest, ForgetPeerDropsItsConnectionWithoutCallingBack) {
  auto a = make_node(1);
  auto b = make_node(2);
  introduce(*a, *b);
  ASSERT_TRUE((*a)->send(NodeId(2), "hello").is_ok());
  ASSERT_TRUE(run_until([&] { return b->recorder.received == 1; }));
  (*a)->forget_peer(NodeId(2));
  EXPECT_EQ((*a)->send(NodeId(2), "gone").code(), StatusCode::kNotFound);
  ASSERT_TRUE(run_until([&] { return b->recorder.events.size() == 2; }));
  EXPECT_EQ(b->recorder.events, (std::vector<std::string>{"up 1", "down 1"}));
  EXPECT_EQ(a->recorder.events, std::vector<std::string>{"up 2"});
}
}  // namespace
}  // namespace herd::realnode
