#include "core/runtime/time.h"

#include <array>
#include <cstdint>
#include <limits>

namespace herd {
namespace {

struct Unit {
  std::string_view name;
  std::int64_t nanos;
};

// Longest names first so that "ms" is not read as "m" followed by garbage.
constexpr std::array<Unit, 7> kUnits = {{
    {"ns", 1},
    {"us", 1'000},
    {"\xC2\xB5s", 1'000},  // µs
    {"ms", 1'000'000},
    {"s", 1'000'000'000},
    {"m", 60'000'000'000},
    {"h", 3'600'000'000'000},
}};

__extension__ typedef __int128 Int128;  // GCC/Clang builtin, to detect overflow

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

Result<Duration> parse_duration(std::string_view text) {
  std::string quoted = "'";
  quoted.append(text).append("'");
  if (text.empty()) return Status::invalid_argument("empty duration");
  if (text == "0") return Duration(0);
  std::size_t pos = 0;
  bool negative = false;
  if (text[0] == '-' || text[0] == '+') {
    negative = text[0] == '-';
    pos = 1;
  }
  if (pos == text.size()) return Status::invalid_argument("duration " + quoted + " has no number");
  // Summed as 128-bit so that overflow is detected rather than wrapped.
  Int128 total = 0;
  while (pos < text.size()) {
    std::int64_t whole = 0;
    std::int64_t fraction = 0;
    std::int64_t fraction_scale = 1;
    const std::size_t number_start = pos;
    while (pos < text.size() && is_digit(text[pos])) {
      if (whole > std::numeric_limits<std::int64_t>::max() / 10 - 9) {
        return Status::invalid_argument("duration " + quoted + " is too large");
      }
      whole = whole * 10 + (text[pos] - '0');
      ++pos;
    }
    if (pos < text.size() && text[pos] == '.') {
      ++pos;
      while (pos < text.size() && is_digit(text[pos])) {
        if (fraction_scale < 1'000'000'000'000'000) {
          fraction = fraction * 10 + (text[pos] - '0');
          fraction_scale *= 10;
        }
        ++pos;
      }
    }
    if (pos == number_start || (pos == number_start + 1 && text[number_start] == '.')) {
      return Status::invalid_argument("duration " + quoted + ": expected a number at offset " +
                                      std::to_string(number_start));
    }
    const Unit* unit = nullptr;
    for (const Unit& candidate : kUnits) {
      if (text.substr(pos, candidate.name.size()) == candidate.name &&
          (unit == nullptr || candidate.name.size() > unit->name.size())) {
        unit = &candidate;
      }
    }
    if (unit == nullptr) {
      return Status::invalid_argument("duration " + quoted +
                                      " needs a unit (ns, us, ms, s, m, h) at offset " +
                                      std::to_string(pos));
    }
    pos += unit->name.size();
    total += static_cast<Int128>(whole) * unit->nanos +
             static_cast<Int128>(fraction) * unit->nanos / fraction_scale;
    if (total > std::numeric_limits<std::int64_t>::max()) {
      return Status::invalid_argument("duration " + quoted + " is too large");
    }
  }
  const auto nanos = static_cast<std::int64_t>(total);
  return Duration(negative ? -nanos : nanos);
}

std::string format_duration(Duration d) {
  std::int64_t nanos = d.count();
  if (nanos == 0) return "0s";
  std::string text;
  if (nanos < 0) {
    text = "-";
    // The most negative value cannot be negated; it is far outside any herd duration.
    nanos = nanos == std::numeric_limits<std::int64_t>::min()
                ? std::numeric_limits<std::int64_t>::max()
                : -nanos;
  }
  for (auto it = kUnits.rbegin(); it != kUnits.rend(); ++it) {
    if (it->name == "\xC2\xB5s") continue;
    if (nanos >= it->nanos) {
      text += std::to_string(nanos / it->nanos);
      text += it->name;
      nanos %= it->nanos;
    }
  }
  return text;
}

}  // namespace herd
