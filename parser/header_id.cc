// parser/header_id.cc — any thread, pure; no loop over the name, no allocation. Name -> id by a perfect
// hash of (length, first, middle, last byte), checked at compile time, then a case-folded compare of at
// most three 8-byte words (RFC 3261 §7.3.1 case-insensitive names, §7.3.3 compact forms).
#include "parser/header_id.h"

#include <array>
#include <cstring>

namespace sipedge::parser {
namespace {

struct Entry {
  std::string_view name;
  char compact;
};

constexpr Entry kEntries[] = {
    {"", 0},
#define SIPEDGE_HEADER_ENTRY(name, text, compact) {text, compact},
    SIPEDGE_HEADERS(SIPEDGE_HEADER_ENTRY)
#undef SIPEDGE_HEADER_ENTRY
};

// Header names are tokens; `c | 0x20` folds letters and maps no other token byte onto a letter, so
// it is a safe fold for the hash. The compare below folds letter positions only, because `| 0x20`
// would also turn CR (0x0d) into '-' (0x2d).
constexpr uint32_t fold(char c) noexcept { return static_cast<uint8_t>(c) | 0x20u; }

constexpr unsigned kSlots = 256;
constexpr size_t kMaxNameLen = 24;  // three compare words

// Collision-free over the dictionary (checked below). Refer-To and Reply-To share length, first and
// last byte, hence the middle byte. If a new header collides, change the multipliers.
constexpr unsigned slot_of(const char* p, size_t len) noexcept {
  return (fold(p[0]) + 2 * fold(p[len / 2]) + 5 * fold(p[len - 1]) + 30 * static_cast<uint32_t>(len)) % kSlots;
}

constexpr bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Byte offsets of the compare words for a name of `len` (>= 2) bytes: overlapping words of 2, 4 or 8
// bytes that together cover the name and never read outside it. Word 0 is the head, word 1 the tail,
// word 2 (names over 16 bytes) the middle.
struct Words {
  uint8_t width;
  uint8_t count;
  uint8_t off[3];
};

constexpr Words words_for(size_t len) noexcept {
  const auto tail = [len](size_t w) { return static_cast<uint8_t>(len - w); };
  if (len < 4) return {2, 2, {0, tail(2), 0}};
  if (len < 8) return {4, 2, {0, tail(4), 0}};
  if (len <= 16) return {8, 2, {0, tail(8), 0}};
  return {8, 3, {0, tail(8), 8}};
}

// Little-endian word of `width` bytes at p (constexpr-friendly; the hot path uses memcpy loads).
constexpr uint64_t word_of(const char* p, unsigned width, bool mask_only) noexcept {
  uint64_t w = 0;
  for (unsigned i = 0; i < width; ++i) {
    const uint64_t b = mask_only ? (is_alpha(p[i]) ? 0x20u : 0u) : (is_alpha(p[i]) ? fold(p[i]) : static_cast<uint8_t>(p[i]));
    w |= b << (8 * i);
  }
  return w;
}

struct Name {
  uint8_t len = 0;
  uint64_t want[3]{};  // folded canonical name words (see words_for)
  uint64_t mask[3]{};  // 0x20 at letter bytes: the input is folded there only
};

struct Table {
  std::array<uint8_t, kSlots> slot{};  // HeaderId value, 0 = empty
  std::array<Name, kHeaderIdCount> name{};
  bool perfect = true;
};

constexpr Table build_table() {
  Table t{};
  for (unsigned id = 1; id < kHeaderIdCount; ++id) {
    const std::string_view name = kEntries[id].name;
    if (name.size() < 2 || name.size() > kMaxNameLen) {
      t.perfect = false;
      continue;
    }
    uint8_t& slot = t.slot[slot_of(name.data(), name.size())];
    if (slot != 0) t.perfect = false;
    slot = static_cast<uint8_t>(id);
    Name& n = t.name[id];
    n.len = static_cast<uint8_t>(name.size());
    const Words w = words_for(name.size());
    for (unsigned k = 0; k < w.count; ++k) {
      n.want[k] = word_of(name.data() + w.off[k], w.width, false);
      n.mask[k] = word_of(name.data() + w.off[k], w.width, true);
    }
  }
  return t;
}

constexpr Table kTable = build_table();
static_assert(kTable.perfect, "header name hash collides (or a name is 1 or > 24 bytes): change slot_of");

constexpr std::array<uint8_t, 128> build_compact() {
  std::array<uint8_t, 128> c{};
  for (unsigned id = 1; id < kHeaderIdCount; ++id) {
    char l = kEntries[id].compact;
    if (l != 0) {
      c[static_cast<uint8_t>(l)] = static_cast<uint8_t>(id);
      c[static_cast<uint8_t>(l) & ~0x20u] = static_cast<uint8_t>(id);
    }
  }
  return c;
}

constexpr std::array<uint8_t, 128> kCompact = build_compact();

template <typename T>
inline uint64_t load(const char* p) noexcept {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Folded compare of `p` (len bytes, len == n.len) against a dictionary name.
inline bool name_matches(const Name& n, const char* p, size_t len) noexcept {
  uint64_t diff;
  if (len < 4) {
    diff = ((load<uint16_t>(p) | n.mask[0]) ^ n.want[0]) | ((load<uint16_t>(p + len - 2) | n.mask[1]) ^ n.want[1]);
  } else if (len < 8) {
    diff = ((load<uint32_t>(p) | n.mask[0]) ^ n.want[0]) | ((load<uint32_t>(p + len - 4) | n.mask[1]) ^ n.want[1]);
  } else {
    diff = ((load<uint64_t>(p) | n.mask[0]) ^ n.want[0]) | ((load<uint64_t>(p + len - 8) | n.mask[1]) ^ n.want[1]);
    if (len > 16) diff |= (load<uint64_t>(p + 8) | n.mask[2]) ^ n.want[2];
  }
  return diff == 0;
}

}  // namespace

HeaderId header_id_lookup(std::string_view name) noexcept {
  const size_t len = name.size();
  const char* const p = name.data();
  if (len == 1) {
    auto c = static_cast<uint8_t>(p[0]);
    return c < 128 ? static_cast<HeaderId>(kCompact[c]) : HeaderId::Other;
  }
  if (len < 2 || len > kMaxNameLen) return HeaderId::Other;
  const uint8_t id = kTable.slot[slot_of(p, len)];
  const Name& n = kTable.name[id];  // id 0: len 0, never equal
  if (n.len != len || !name_matches(n, p, len)) return HeaderId::Other;
  return static_cast<HeaderId>(id);
}

std::string_view header_canonical_name(HeaderId id) noexcept {
  return kEntries[static_cast<uint8_t>(id)].name;
}

char header_compact_form(HeaderId id) noexcept { return kEntries[static_cast<uint8_t>(id)].compact; }

}  // namespace sipedge::parser
