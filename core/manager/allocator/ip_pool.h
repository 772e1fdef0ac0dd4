// IpPool: addresses of one IPv4 subnet, handed out lowest-free-after-the-last first (so recently
// released addresses are not reused at once), skipping the network and broadcast addresses and
// the gateway (the first host address). Deterministic.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "core/runtime/result.h"

namespace herd::manager {

struct Subnet {
  std::uint32_t base = 0;  // network address, host byte order
  int prefix = 0;          // 8..30

  std::uint32_t size() const { return prefix >= 32 ? 1U : (1U << (32 - prefix)); }
  bool contains(std::uint32_t address) const { return address - base < size(); }
  bool overlaps(const Subnet& other) const;
};

// "10.0.1.0/24"; the address must be the network address of its prefix.
Result<Subnet> parse_subnet(std::string_view cidr);
std::string format_subnet(const Subnet& subnet);
std::string format_address(std::uint32_t address);
// "10.0.1.5/24" -> 10.0.1.5
Result<std::uint32_t> parse_address(std::string_view text);

class IpPool {
 public:
  explicit IpPool(Subnet subnet) : subnet_(subnet), next_(subnet.base + 2) {}

  const Subnet& subnet() const { return subnet_; }
  std::string gateway() const { return format_address(subnet_.base + 1); }

  std::optional<std::uint32_t> allocate();
  // Marks an address as used (rebuilding from the store); false when outside or already used.
  bool reserve(std::uint32_t address);
  void release(std::uint32_t address) { used_.erase(address); }
  std::size_t used() const { return used_.size(); }
  std::size_t capacity() const { return subnet_.size() > 3 ? subnet_.size() - 3 : 0; }

 private:
  Subnet subnet_;
  std::uint32_t next_;
  std::set<std::uint32_t> used_;
};

}  // namespace herd::manager
