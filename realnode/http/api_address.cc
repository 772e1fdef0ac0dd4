#include "realnode/http/api_address.h"

#include <sys/un.h>

#include <charconv>

namespace herd::realnode {

std::string ApiAddress::to_string() const {
  if (is_unix) return "unix:" + unix_path;
  const bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<ApiAddress> parse_api_address(std::string_view text) {
  const auto invalid = [text](std::string_view why) {
    return Status::invalid_argument("API address '" + std::string(text) + "': " + std::string(why));
  };
  ApiAddress address;
  if (text.starts_with("unix:")) {
    address.is_unix = true;
    address.unix_path = std::string(text.substr(5));
    if (address.unix_path.empty()) return invalid("the socket path is empty");
    // sun_path holds the path and its terminating NUL.
    if (address.unix_path.size() >= sizeof(sockaddr_un{}.sun_path)) {
      return invalid("the socket path is longer than " +
                     std::to_string(sizeof(sockaddr_un{}.sun_path) - 1) + " bytes");
    }
    return address;
  }
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return invalid("expected HOST:PORT or unix:PATH");
  std::string_view host = text.substr(0, colon);
  const std::string_view port = text.substr(colon + 1);
  if (host.starts_with('[')) {
    if (!host.ends_with(']')) return invalid("unbalanced '[' around the IPv6 host");
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return invalid("an IPv6 host must be written in brackets, as [::1]:2375");
  }
  if (host.empty()) return invalid("the host is empty");
  unsigned value = 0;
  const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || error != std::errc() || end != port.data() + port.size() || value > 65535) {
    return invalid("port '" + std::string(port) + "' is not a number from 0 to 65535");
  }
  address.host = std::string(host);
  address.port = static_cast<std::uint16_t>(value);
  return address;
}

}  // namespace herd::realnode
