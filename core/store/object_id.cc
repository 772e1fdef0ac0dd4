#include "core/store/object_id.h"

namespace herd::store {
namespace {

constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";

}  // namespace

std::string new_object_id(Rng& rng) {
  __extension__ typedef unsigned __int128 Uint128;  // GCC/Clang builtin
  Uint128 value = (static_cast<Uint128>(rng.next_u64()) << 64) | rng.next_u64();
  // 36^25 > 2^128, so 25 digits always hold the value; leading zeros keep the length fixed.
  std::string id(kObjectIdLength, '0');
  for (std::size_t i = kObjectIdLength; i > 0; --i) {
    id[i - 1] = kDigits[static_cast<int>(value % 36)];
    value /= 36;
  }
  return id;
}

bool is_object_id(std::string_view text) {
  if (text.size() != kObjectIdLength) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'))) return false;
  }
  return true;
}

}  // namespace herd::store
