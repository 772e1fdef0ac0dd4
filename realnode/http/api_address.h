// ApiAddress: where the HTTP control API listens or is reached, "HOST:PORT" or "unix:PATH".
//
// HOST is an IPv4 literal, a bracketed IPv6 literal ("[::1]:2375") or a name the resolver knows;
// PORT is 0-65535 (0 on a listener means "any free port"). A "unix:" address names a Unix-domain
// socket path, which must fit in sockaddr_un. Parsing is pure: nothing is resolved or opened.
// Shared by the server (realnode/http) and its client (herdctl), so both read addresses alike.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/runtime/result.h"

namespace herd::realnode {

// herdctl's default, and the port Docker uses for its plain-HTTP engine API.
inline constexpr std::string_view kDefaultApiAddress = "127.0.0.1:2375";

struct ApiAddress {
  bool is_unix = false;
  std::string unix_path;  // when is_unix
  std::string host;       // otherwise, without brackets
  std::uint16_t port = 0;

  // Back to the text form ("127.0.0.1:2375", "[::1]:80", "unix:/run/herd.sock").
  std::string to_string() const;
};

Result<ApiAddress> parse_api_address(std::string_view text);

}  // namespace herd::realnode
