// parser/scanner.h — any thread, pure. Finds a SIP message's structure in place: start line, header
// boundaries, Content-Length framing. Two interchangeable implementations: HandScanner (SIMD line
// search, the default the benchmark picked) and HyperscanScanner (one Hyperscan pass that also
// reports operator signature hits). Both must produce identical indexes (tests/parser/
// scanner_equivalence_test.cc). Never allocates, never throws.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "parser/fault.h"
#include "parser/message.h"

namespace sipedge::parser {

enum class Framing : uint8_t {
  Datagram,  // UDP: one message per datagram; bytes after the declared body are ignored
  Stream,    // TCP/TLS: Content-Length is mandatory; a short buffer means "read more"
};

enum class ScanStatus : uint8_t {
  Complete,  // `out` describes a whole message of `consumed` bytes
  NeedMore,  // stream framing only: the buffer ends before the message does
  Malformed, // `fault` says why; `out` holds what was indexed so far (for building a 400)
};

struct ScanResult {
  ScanStatus status = ScanStatus::Malformed;
  Fault fault = Fault::None;
  uint32_t consumed = 0;  // bytes of input this message used (incl. leading CRLF keepalives)
};

class Scanner {
 public:
  virtual ~Scanner() = default;
  // Index `bytes` into `out`. `bytes` must outlive `out`.
  virtual ScanResult scan(std::string_view bytes, Framing framing, Message& out) const noexcept = 0;
};

// Messages larger than this are refused with TooLarge (513) before any work.
inline constexpr uint32_t kMaxMessageBytes = 65535;

// Scan a message spread over several segments (multi-segment mbufs). A single segment is scanned in
// place; several are first gathered into `scratch` (one copy, as rte_pktmbuf_read does), because
// header values may straddle segment boundaries. Fails with TooLarge when scratch is too small.
ScanResult scan_chain(const Scanner& scanner, std::span<const std::string_view> chain,
                      std::span<char> scratch, Framing framing, Message& out) noexcept;

// Structural checks on a scanned request or response beyond framing: mandatory headers, single
// From/To/Call-ID/CSeq, CSeq number and method, Max-Forwards, Content-Length agreement, SIP
// version, top Via. Returns Fault::None when the message may be processed.
Fault validate(const Message& msg) noexcept;

}  // namespace sipedge::parser
