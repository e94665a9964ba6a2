// parser/header_id.cc — any thread, pure. Name -> id through a small open-addressed table built at
// compile time; one hash of the folded name, one compare. No allocation.
#include "parser/header_id.h"

#include <array>

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

// Header names are tokens; `c | 0x20` folds letters and leaves '-', '.', '!', '%', '*', '_', '+',
// '`', '\'', '~' and digits as they are, so it is a safe case fold for a hash (the compare below
// is exact).
constexpr uint8_t fold(char c) noexcept { return static_cast<uint8_t>(c) | 0x20; }

constexpr uint32_t name_hash(std::string_view s) noexcept {
  uint32_t h = 2166136261u;
  for (char c : s) h = (h ^ fold(c)) * 16777619u;
  return h;
}

constexpr unsigned kSlots = 256;  // > 3x the entries (full names + compact forms): short probes

struct Table {
  std::array<uint8_t, kSlots> slot{};  // HeaderId value, 0 = empty
};

constexpr Table build_table() {
  Table t{};
  for (unsigned id = 1; id < kHeaderIdCount; ++id) {
    uint32_t h = name_hash(kEntries[id].name) % kSlots;
    while (t.slot[h] != 0) h = (h + 1) % kSlots;
    t.slot[h] = static_cast<uint8_t>(id);
  }
  return t;
}

constexpr Table kTable = build_table();

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

}  // namespace

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x == y) continue;
    if ((x | 0x20) != (y | 0x20)) return false;
    char l = static_cast<char>(x | 0x20);
    if (l < 'a' || l > 'z') return false;
  }
  return true;
}

HeaderId header_id_lookup(std::string_view name) noexcept {
  if (name.size() == 1) {
    auto c = static_cast<uint8_t>(name[0]);
    return c < 128 ? static_cast<HeaderId>(kCompact[c]) : HeaderId::Other;
  }
  uint32_t h = name_hash(name) % kSlots;
  for (;;) {
    uint8_t id = kTable.slot[h];
    if (id == 0) return HeaderId::Other;
    if (iequals(kEntries[id].name, name)) return static_cast<HeaderId>(id);
    h = (h + 1) % kSlots;
  }
}

std::string_view header_canonical_name(HeaderId id) noexcept {
  return kEntries[static_cast<uint8_t>(id)].name;
}

char header_compact_form(HeaderId id) noexcept { return kEntries[static_cast<uint8_t>(id)].compact; }

}  // namespace sipedge::parser
