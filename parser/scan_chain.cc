// parser/scan_chain.cc — any thread, pure. Scanning a message held in several segments
// (multi-segment mbufs): in place when there is one segment, else gathered once into scratch.
#include <cstring>

#include "parser/scanner.h"

namespace sipedge::parser {

ScanResult scan_chain(const Scanner& scanner, std::span<const std::string_view> chain, std::span<char> scratch,
                      Framing framing, Message& out) noexcept {
  if (chain.size() == 1) return scanner.scan(chain[0], framing, out);
  size_t total = 0;
  for (std::string_view seg : chain) total += seg.size();
  if (total > scratch.size()) {
    out.reset({});
    return {ScanStatus::Malformed, Fault::TooLarge, 0};
  }
  size_t at = 0;
  for (std::string_view seg : chain) {
    if (!seg.empty()) std::memcpy(scratch.data() + at, seg.data(), seg.size());
    at += seg.size();
  }
  return scanner.scan(std::string_view(scratch.data(), total), framing, out);
}

}  // namespace sipedge::parser
