#include "scenarios/units.h"

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <string>

namespace herd::scenarios {
namespace {

struct Unit {
  std::string_view suffix;
  double factor;
};

Result<double> number_prefix(std::string_view text, std::string_view what, std::size_t& end) {
  std::size_t pos = 0;
  while (pos < text.size() &&
         (std::isdigit(static_cast<unsigned char>(text[pos])) || text[pos] == '.')) {
    ++pos;
  }
  if (pos == 0) {
    return Status::invalid_argument(std::string(what) + " '" + std::string(text) +
                                    "' must start with a number");
  }
  double value = 0;
  const auto [ptr, error] = std::from_chars(text.data(), text.data() + pos, value);
  if (error != std::errc() || ptr != text.data() + pos) {
    return Status::invalid_argument(std::string(what) + " '" + std::string(text) +
                                    "' has a malformed number");
  }
  end = pos;
  return value;
}

template <std::size_t N>
Result<std::uint64_t> parse_with_units(std::string_view text, std::string_view what,
                                       const std::array<Unit, N>& units,
                                       std::string_view expected) {
  std::size_t end = 0;
  HERD_ASSIGN_OR_RETURN(const double value, number_prefix(text, what, end));
  const std::string_view suffix = text.substr(end);
  for (const Unit& unit : units) {
    if (suffix != unit.suffix) continue;
    const double total = value * unit.factor;
    if (!(total < 1.8e19)) {
      return Status::invalid_argument(std::string(what) + " '" + std::string(text) +
                                      "' is too large");
    }
    return static_cast<std::uint64_t>(std::llround(total));
  }
  return Status::invalid_argument(std::string(what) + " '" + std::string(text) +
                                  "' needs a unit (" + std::string(expected) + ")");
}

}  // namespace

Result<std::uint64_t> parse_size(std::string_view text) {
  static constexpr std::array<Unit, 9> kUnits = {{{"B", 1.0},
                                                  {"KiB", 1024.0},
                                                  {"MiB", 1024.0 * 1024},
                                                  {"GiB", 1024.0 * 1024 * 1024},
                                                  {"TiB", 1024.0 * 1024 * 1024 * 1024},
                                                  {"KB", 1e3},
                                                  {"MB", 1e6},
                                                  {"GB", 1e9},
                                                  {"TB", 1e12}}};
  return parse_with_units(text, "size", kUnits, "B, KiB, MiB, GiB, TiB");
}

Result<std::uint64_t> parse_rate(std::string_view text) {
  static constexpr std::array<Unit, 5> kUnits = {
      {{"bps", 1.0}, {"Kbps", 1e3}, {"Mbps", 1e6}, {"Gbps", 1e9}, {"Tbps", 1e12}}};
  return parse_with_units(text, "rate", kUnits, "bps, Kbps, Mbps, Gbps, Tbps");
}

Result<Duration> parse_event_rate(std::string_view text) {
  const std::size_t slash = text.find('/');
  if (slash == std::string_view::npos) {
    return Status::invalid_argument("rate '" + std::string(text) + "' must look like 2/min");
  }
  std::size_t end = 0;
  HERD_ASSIGN_OR_RETURN(const double count, number_prefix(text.substr(0, slash), "rate", end));
  if (end != slash || !(count > 0)) {
    return Status::invalid_argument("rate '" + std::string(text) + "' needs a positive count");
  }
  const std::string_view unit = text.substr(slash + 1);
  Duration per;
  if (unit == "s") {
    per = seconds(1);
  } else if (unit == "min" || unit == "m") {
    per = minutes(1);
  } else if (unit == "h") {
    per = hours(1);
  } else {
    return Status::invalid_argument("rate '" + std::string(text) + "': unit must be s, min or h");
  }
  return Duration(static_cast<std::int64_t>(static_cast<double>(per.count()) / count));
}

}  // namespace herd::scenarios
