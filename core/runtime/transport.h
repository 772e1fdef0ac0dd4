// Transport: moves encoded messages between nodes, addressed by NodeId.
//
// send() queues `bytes` for `to` and returns at once; delivery is reliable and FIFO per
// (sender, receiver) pair while the connection lasts, like TCP. When a connection breaks, or an
// attempt to connect fails, the messages waiting for it may be lost and the handler hears
// on_peer_down(); on_peer_up() comes when a connection is (re)established. Callbacks run on the node's event thread. simnet
// implements it over simulated links, realnode over TCP with length-prefixed CRC-checked frames.
#pragma once

#include <string>
#include <string_view>

#include "core/runtime/ids.h"
#include "core/runtime/status.h"

namespace herd {

class TransportHandler {
 public:
  virtual ~TransportHandler() = default;

  virtual void on_message(NodeId from, std::string_view bytes) = 0;
  virtual void on_peer_up(NodeId peer) = 0;
  virtual void on_peer_down(NodeId peer) = 0;
};

class Transport {
 public:
  virtual ~Transport() = default;

  // The handler must outlive the transport or be replaced with nullptr before it dies.
  virtual void set_handler(TransportHandler* handler) = 0;

  // Where `peer` can be reached ("10.0.0.5:2377" for realnode, a hostname in simnet). Sending to
  // a peer with no known address fails with not_found.
  virtual void set_peer_address(NodeId peer, std::string address) = 0;
  virtual void forget_peer(NodeId peer) = 0;

  // unavailable when the peer cannot be reached now, resource_exhausted when its send queue is
  // full (back-pressure). An ok return is no promise of delivery.
  virtual Status send(NodeId to, std::string bytes) = 0;
};

}  // namespace herd
