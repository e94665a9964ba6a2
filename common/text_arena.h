// common/text_arena.h — any thread, one owner. Stable storage for the short texts written while one
// message is built (a new Via, a Record-Route, a rewritten header value), which an edit list holds
// as views until the message is written. The first kInline bytes live inside the arena itself (on
// the builder's stack); only a message that needs more takes a heap chunk. It replaced a
// std::deque<std::string> per message: a node and a map allocated up front, then one allocation
// for every text longer than the small-string buffer.
#pragma once

#include <algorithm>
#include <array>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <string_view>
#include <vector>

namespace sipedge {

class TextArena {
 public:
  static constexpr size_t kInline = 2048;

  TextArena() = default;
  TextArena(const TextArena&) = delete;
  TextArena& operator=(const TextArena&) = delete;

  // Room for one text of at most `max` bytes; end it with commit() before the next begin().
  char* begin(size_t max) {
    if (kInline - inline_used_ >= max) {
      open_ = inline_.data() + inline_used_;
      open_inline_ = true;
    } else {
      if (chunk_room_ < max) {
        const size_t size = std::max(max, kInline);
        chunks_.push_back(std::make_unique_for_overwrite<char[]>(size));
        chunk_at_ = chunks_.back().get();
        chunk_room_ = size;
      }
      open_ = chunk_at_;
      open_inline_ = false;
    }
    return open_;
  }

  // The text written since begin(), which ends at `end`; its bytes stay put for the arena's life.
  std::string_view commit(const char* end) noexcept {
    const size_t n = static_cast<size_t>(end - open_);
    if (open_inline_) {
      inline_used_ += n;
    } else {
      chunk_at_ += n;
      chunk_room_ -= n;
    }
    return {open_, n};
  }

  // The parts, joined.
  std::string_view cat(std::initializer_list<std::string_view> parts) {
    size_t n = 0;
    for (std::string_view p : parts) n += p.size();
    char* at = begin(n);
    for (std::string_view p : parts) at = put(at, p);
    return commit(at);
  }
  std::string_view copy(std::string_view s) { return cat({s}); }
  // `v` in decimal.
  std::string_view number(uint64_t v) {
    char* at = begin(20);
    return commit(std::to_chars(at, at + 20, v).ptr);
  }

  // Writes `s` at `at` and returns the end: for texts written between begin() and commit().
  static char* put(char* at, std::string_view s) noexcept {
    if (!s.empty()) std::memcpy(at, s.data(), s.size());
    return at + s.size();
  }

 private:
  std::array<char, kInline> inline_;
  size_t inline_used_ = 0;
  std::vector<std::unique_ptr<char[]>> chunks_;
  char* chunk_at_ = nullptr;
  size_t chunk_room_ = 0;
  char* open_ = nullptr;
  bool open_inline_ = true;
};

}  // namespace sipedge
