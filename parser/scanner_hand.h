// parser/scanner_hand.h — any thread, pure. The hand-written scanner: SSE2 line search, one pass over
// the header block, no allocation. The default scanner (bench/RESULTS.md "Parser" has the numbers).
#pragma once

#include "parser/scanner.h"

namespace sipedge::parser {

// Scanning rules, shared with HyperscanScanner (they must agree byte for byte):
//  - Leading CR/LF bytes before the start line are skipped (RFC 3261 §7.5 keepalives).
//  - Lines end in CRLF or a bare LF; a CR before the LF is not part of the line.
//  - A line starting with SP or HT continues the previous header (LWS folding); the value span then
//    runs over the fold, whose CRLF+WS accessors treat as LWS.
//  - Header name: token characters, optional SP/HT, then ':'; value: trimmed of SP/HT both ends.
//  - The first empty line ends the header block. A NUL before it is refused (NulByte) unless it is
//    the escaped octet of a quoted-pair in a quoted-string or comment (RFC 3261 §25.1).
//  - A header line the rules refuse does not end the scan: the following lines are indexed too, so
//    the message can be answered (400 with the first fault); the result is Malformed.
//  - Content-Length frames the body; several Content-Length headers must agree. Datagram without
//    Content-Length: the body is the rest of the datagram; bytes after a declared body are ignored.
class HandScanner final : public Scanner {
 public:
  ScanResult scan(std::string_view bytes, Framing framing, Message& out) const noexcept override;
};

}  // namespace sipedge::parser
