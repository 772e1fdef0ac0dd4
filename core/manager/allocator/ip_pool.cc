#include "core/manager/allocator/ip_pool.h"

#include <charconv>

namespace herd::manager {

bool Subnet::overlaps(const Subnet& other) const {
  return contains(other.base) || other.contains(base);
}

Result<std::uint32_t> parse_address(std::string_view text) {
  const std::size_t slash = text.find('/');
  if (slash != std::string_view::npos) text = text.substr(0, slash);
  std::uint32_t address = 0;
  int parts = 0;
  std::size_t pos = 0;
  while (parts < 4) {
    unsigned value = 0;
    const auto [end, error] = std::from_chars(text.data() + pos, text.data() + text.size(), value);
    if (error != std::errc() || value > 255 || end == text.data() + pos) break;
    address = (address << 8) | value;
    ++parts;
    pos = static_cast<std::size_t>(end - text.data());
    if (parts < 4) {
      if (pos >= text.size() || text[pos] != '.') break;
      ++pos;
    }
  }
  if (parts != 4 || pos != text.size()) {
    return Status::invalid_argument("'" + std::string(text) + "' is not an IPv4 address");
  }
  return address;
}

Result<Subnet> parse_subnet(std::string_view cidr) {
  const std::size_t slash = cidr.find('/');
  if (slash == std::string_view::npos) {
    return Status::invalid_argument("subnet '" + std::string(cidr) + "' needs a /prefix");
  }
  HERD_ASSIGN_OR_RETURN(const std::uint32_t base, parse_address(cidr.substr(0, slash)));
  int prefix = -1;
  const std::string_view prefix_text = cidr.substr(slash + 1);
  const auto [end, error] =
      std::from_chars(prefix_text.data(), prefix_text.data() + prefix_text.size(), prefix);
  if (error != std::errc() || end != prefix_text.data() + prefix_text.size() || prefix < 8 ||
      prefix > 30) {
    return Status::invalid_argument("subnet '" + std::string(cidr) +
                                    "': prefix must be a number from 8 to 30");
  }
  const std::uint32_t mask = prefix == 0 ? 0 : ~0U << (32 - prefix);
  if ((base & ~mask) != 0) {
    return Status::invalid_argument("subnet '" + std::string(cidr) + "': " + format_address(base) +
                                    " is not the network address of a /" + std::to_string(prefix));
  }
  return Subnet{base, prefix};
}

std::string format_address(std::uint32_t address) {
  return std::to_string(address >> 24) + "." + std::to_string((address >> 16) & 0xFF) + "." +
         std::to_string((address >> 8) & 0xFF) + "." + std::to_string(address & 0xFF);
}

std::string format_subnet(const Subnet& subnet) {
  return format_address(subnet.base) + "/" + std::to_string(subnet.prefix);
}

std::optional<std::uint32_t> IpPool::allocate() {
  if (used_.size() >= capacity()) return std::nullopt;
  const std::uint32_t first = subnet_.base + 2;                  // after the gateway
  const std::uint32_t last = subnet_.base + subnet_.size() - 2;  // before broadcast
  std::uint32_t candidate = next_ < first || next_ > last ? first : next_;
  for (std::size_t tries = 0; tries < capacity(); ++tries) {
    if (used_.insert(candidate).second) {
      next_ = candidate == last ? first : candidate + 1;
      return candidate;
    }
    candidate = candidate == last ? first : candidate + 1;
  }
  return std::nullopt;
}

bool IpPool::reserve(std::uint32_t address) {
  if (!subnet_.contains(address)) return false;
  return used_.insert(address).second;
}

}  // namespace herd::manager
