// StrongInt<Tag>: an integer with a type of its own, so that a Term cannot be passed where a
// LogIndex is expected. Comparisons, hashing and printing come with it; arithmetic is limited to
// adding or subtracting a plain count, and the difference of two values of the same type.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <ostream>

namespace herd {

template <typename Tag, typename Rep = std::uint64_t>
class StrongInt {
 public:
  using rep_type = Rep;

  constexpr StrongInt() = default;
  constexpr explicit StrongInt(Rep value) : value_(value) {}

  constexpr Rep value() const { return value_; }

  friend constexpr auto operator<=>(StrongInt, StrongInt) = default;
  friend constexpr bool operator==(StrongInt, StrongInt) = default;

  constexpr StrongInt& operator++() {
    ++value_;
    return *this;
  }
  constexpr StrongInt operator++(int) {
    StrongInt before = *this;
    ++value_;
    return before;
  }
  constexpr StrongInt& operator--() {
    --value_;
    return *this;
  }
  constexpr StrongInt& operator+=(Rep count) {
    value_ += count;
    return *this;
  }
  constexpr StrongInt& operator-=(Rep count) {
    value_ -= count;
    return *this;
  }
  friend constexpr StrongInt operator+(StrongInt a, Rep count) {
    return StrongInt(a.value_ + count);
  }
  friend constexpr StrongInt operator-(StrongInt a, Rep count) {
    return StrongInt(a.value_ - count);
  }
  friend constexpr Rep operator-(StrongInt a, StrongInt b) { return a.value_ - b.value_; }

  friend std::ostream& operator<<(std::ostream& out, StrongInt v) { return out << v.value_; }

 private:
  Rep value_{};
};

}  // namespace herd

template <typename Tag, typename Rep>
struct std::hash<herd::StrongInt<Tag, Rep>> {
  std::size_t operator()(herd::StrongInt<Tag, Rep> v) const noexcept {
    return std::hash<Rep>()(v.value());
  }
};
