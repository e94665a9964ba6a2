// common/compact_string.h — any thread (value types, like std::string). Strings for state kept per
// call by the million (issue 14 §5). std::string costs 32 bytes inline and, past 15 characters, a
// heap block of its own; here N strings share one pointer and one heap block of exactly their size
// (their lengths, then their characters; one the first string contains is not stored again).
// Empty costs no allocation. Setting one rebuilds the block: these strings change a few times in a
// call's life, so nothing is kept for growth. Each string is at most 65535 bytes (a SIP header
// value from one UDP datagram always is).
#pragma once

#include <array>
#include <cassert>
#include <compare>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

namespace sipedge {

template <size_t N>
class PackedStrings {
 public:
  std::string_view get(size_t i) const noexcept {
    if (!block_) return {};
    const Places at = places();
    const char* text = block_.get() + sizeof(Places);
    if (i != 0 && at[i].in_first != kOwn) return {text + at[i].in_first, at[i].len};
    size_t off = 0;
    for (size_t k = 0; k < i; ++k)
      if (k == 0 || at[k].in_first == kOwn) off += at[k].len;
    return {text + off, at[i].len};
  }

  // `value` may view this block (the new one is filled before the old one goes). A string the
  // first one contains is not stored again (a leg's From value holds its URI and its tag).
  void set(size_t i, std::string_view value) { set({{i, value}}); }

  // Several strings at once, one rebuild of the block; none when each already holds its value.
  void set(std::initializer_list<std::pair<size_t, std::string_view>> values) {
    std::array<std::string_view, N> all;
    for (size_t k = 0; k < N; ++k) all[k] = get(k);
    bool changed = false;
    for (const auto& [i, value] : values) {
      assert(i < N && value.size() <= UINT16_MAX);
      changed = changed || all[i] != value;
      all[i] = value;
    }
    if (changed) rebuild(all);
  }

  bool empty() const noexcept { return !block_; }
  void clear() noexcept { block_.reset(); }

 private:
  void rebuild(const std::array<std::string_view, N>& all) {
    Places at{};
    size_t total = 0;
    for (size_t k = 0; k < N; ++k) {
      at[k].len = static_cast<uint16_t>(all[k].size());
      // Inside the first string, at most 65535 long: its position fits, below kOwn.
      const size_t pos = k != 0 && !all[k].empty() ? all[0].find(all[k]) : std::string_view::npos;
      at[k].in_first = pos != std::string_view::npos ? static_cast<uint16_t>(pos) : kOwn;
      if (at[k].in_first == kOwn) total += all[k].size();
    }
    if (total == 0) {
      block_.reset();
      return;
    }
    auto block = std::make_unique_for_overwrite<char[]>(sizeof at + total);
    std::memcpy(block.get(), at.data(), sizeof at);
    char* out = block.get() + sizeof at;
    for (size_t k = 0; k < N; ++k) {
      if (all[k].empty() || (k != 0 && at[k].in_first != kOwn)) continue;  // an empty view may be null
      std::memcpy(out, all[k].data(), all[k].size());
      out += all[k].size();
    }
    block_ = std::move(block);
  }

  static constexpr uint16_t kOwn = UINT16_MAX;
  struct Place {
    uint16_t len = 0;
    uint16_t in_first = kOwn;  // position inside the first string, or kOwn: stored in turn
  };
  using Places = std::array<Place, N>;
  Places places() const noexcept {
    Places p;
    std::memcpy(p.data(), block_.get(), sizeof p);
    return p;
  }

  std::unique_ptr<char[]> block_;
};

// One string: 8 bytes inline against std::string's 32. Read it as a std::string_view.
class CompactString {
 public:
  CompactString() = default;
  explicit CompactString(std::string_view s) { text_.set(0, s); }
  CompactString(const CompactString& other) { text_.set(0, other.view()); }
  CompactString(CompactString&&) noexcept = default;
  CompactString& operator=(const CompactString& other) {
    if (this != &other) text_.set(0, other.view());
    return *this;
  }
  CompactString& operator=(CompactString&&) noexcept = default;
  CompactString& operator=(std::string_view s) {
    text_.set(0, s);
    return *this;
  }

  std::string_view view() const noexcept { return text_.get(0); }
  operator std::string_view() const noexcept { return view(); }
  std::string str() const { return std::string(view()); }
  bool empty() const noexcept { return text_.empty(); }
  size_t size() const noexcept { return view().size(); }
  void clear() noexcept { text_.clear(); }

  friend bool operator==(const CompactString& a, std::string_view b) noexcept { return a.view() == b; }
  friend bool operator==(const CompactString& a, const CompactString& b) noexcept { return a.view() == b.view(); }
  friend auto operator<=>(const CompactString& a, const CompactString& b) noexcept { return a.view() <=> b.view(); }
  friend std::ostream& operator<<(std::ostream& os, const CompactString& s) { return os << s.view(); }

 private:
  PackedStrings<1> text_;
};

}  // namespace sipedge
