// The cluster's certificate authority and join tokens (SwarmKit's ca/ package).
//
// A root CA is an Ed25519 key and a self-signed X.509 certificate. The key bytes come from the
// caller's Rng and the validity period from the caller's clock, and Ed25519 signatures are
// deterministic, so a simulated cluster creates the same CA, tokens and node certificates for
// the same seed. Join tokens have SwarmKit's shape, SWMTKN-1-<digest>-<secret>: the digest
// (base-36 SHA-256 of the CA certificate) lets a joining node check that it reached the right
// cluster; the secret (base-36, 25 characters) decides the role. Token comparison takes constant
// time. Node certificates name the node id (CN) and its role (OU) and expire after 90 days by
// default. Errors are Status values naming what is wrong; nothing here aborts on bad input.
#pragma once

#include <string>
#include <string_view>

#include "core/runtime/result.h"
#include "core/runtime/rng.h"
#include "core/runtime/time.h"
#include "proto/objects.pb.h"

namespace herd::manager {

inline constexpr Duration kDefaultCertExpiry = hours(24 * 90);

struct ParsedToken {
  std::string ca_digest;
  std::string secret;
};

// Parses "SWMTKN-1-<digest>-<secret>"; invalid_argument names the part that is wrong.
Result<ParsedToken> parse_join_token(std::string_view token);

class RootCa {
 public:
  // A new CA (key, certificate valid for 20 years from `now`) and fresh worker/manager tokens.
  static Result<proto::RootCa> create(Rng& rng, TimePoint now);

  // A new secret for `role`'s token; the old token stops working for new joins.
  static Status rotate_token(proto::RootCa& ca, proto::NodeRole role, Rng& rng);

  // The role a valid token grants; permission-style errors otherwise: invalid_argument for a
  // malformed token, failed_precondition when it names another cluster's CA, not_found when the
  // secret matches neither current token (wrong or rotated).
  static Result<proto::NodeRole> role_for_token(const proto::RootCa& ca, std::string_view token);

  // A certificate for `node_id` with `role`, signed by the CA, for the node's Ed25519 public
  // key (32 raw bytes).
  static Result<proto::Certificate> issue(const proto::RootCa& ca, std::string_view node_id,
                                          proto::NodeRole role, std::string_view public_key,
                                          TimePoint now, Duration validity);

  // Checks that `certificate` was signed by the CA and names `node_id`; the role it carries.
  static Result<proto::NodeRole> verify(const proto::RootCa& ca,
                                        const proto::Certificate& certificate,
                                        std::string_view node_id);
};

// An Ed25519 key pair for a node, from its Rng: {private 32 bytes, public 32 bytes}.
struct NodeKey {
  std::string private_key;
  std::string public_key;
};
Result<NodeKey> generate_node_key(Rng& rng);

}  // namespace herd::manager
