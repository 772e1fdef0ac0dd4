// Sizes and rates as scenario files write them: "512MiB", "4GiB", "10Gbps", "100Mbps".
// Binary units for sizes (B, KiB, MiB, GiB, TiB; also decimal KB, MB, GB, TB), decimal units for
// rates (bps, Kbps, Mbps, Gbps, Tbps). A bare number is an error, as it is for durations.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/runtime/result.h"
#include "core/runtime/time.h"

namespace herd::scenarios {

Result<std::uint64_t> parse_size(std::string_view text);  // bytes
Result<std::uint64_t> parse_rate(std::string_view text);  // bits per second
// "2/min", "10/s", "1/h": events per unit of time, as the mean interval between them.
Result<Duration> parse_event_rate(std::string_view text);

}  // namespace herd::scenarios
