// tests/fuzz/scan_fuzz.cc — fuzz thread. Any bytes through HandScanner with both framings, through
// scan_chain split in two segments, and (when built) through HyperscanScanner: every result must keep
// the Scanner contract, and the scanners must produce identical indexes (DESIGN §4, RFC 3261 §7).
// abort() on any disagreement so libFuzzer keeps the input.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string_view>
#include <vector>

#include "parser/scanner.h"
#include "parser/scanner_hand.h"
#if __has_include("parser/scanner_hyperscan.h")
#include "parser/scanner_hyperscan.h"
#define SIPEDGE_FUZZ_HYPERSCAN 1
#endif

namespace {

using namespace sipedge::parser;

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "scan_fuzz: %s\n", what);
  std::abort();
}

bool same_span(Span a, Span b) { return a.off == b.off && a.len == b.len; }

// Everything a consumer of the index can observe.
void expect_same_index(const Message& a, const Message& b, const char* who) {
  bool same = a.is_request() == b.is_request() && same_span(a.start_line(), b.start_line()) &&
              a.headers().size() == b.headers().size() && a.headers_begin() == b.headers_begin() &&
              a.headers_end() == b.headers_end() && same_span(a.body_span(), b.body_span()) &&
              a.size() == b.size() && a.content_length() == b.content_length();
  if (same && a.is_request())
    same = a.method() == b.method() && a.method_token() == b.method_token() &&
           same_span(a.request_uri_span(), b.request_uri_span()) && a.sip_version() == b.sip_version();
  if (same && a.is_response())
    same = a.status_code() == b.status_code() && a.reason_phrase() == b.reason_phrase() &&
           a.sip_version() == b.sip_version();
  for (size_t i = 0; same && i < a.headers().size(); ++i) {
    const HeaderField& x = a.headers()[i];
    const HeaderField& y = b.headers()[i];
    same = x.id == y.id && x.next_same == y.next_same && same_span(x.name, y.name) && same_span(x.value, y.value);
  }
  if (!same) die(who);
}

void expect_contract(const ScanResult& r, Framing framing, size_t size) {
  if (r.consumed > size) die("consumed more bytes than given");
  switch (r.status) {
    case ScanStatus::Complete:
      if (r.fault != Fault::None) die("Complete with a fault");
      break;
    case ScanStatus::Malformed:
      if (r.fault == Fault::None) die("Malformed without a fault");
      break;
    case ScanStatus::NeedMore:
      if (framing != Framing::Stream) die("NeedMore on a datagram");
      break;
  }
}

bool same_result(const ScanResult& a, const ScanResult& b) {
  return a.status == b.status && a.fault == b.fault && a.consumed == b.consumed;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static HandScanner hand;
  static auto msg = std::make_unique<Message>();
  static auto other = std::make_unique<Message>();
  static std::vector<char> scratch(kMaxMessageBytes + 1);
#ifdef SIPEDGE_FUZZ_HYPERSCAN
  static auto hyperscan = HyperscanScanner::create();
  if (!hyperscan.ok()) die("HyperscanScanner::create failed");
#endif
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);

  for (Framing framing : {Framing::Datagram, Framing::Stream}) {
    const ScanResult r = hand.scan(bytes, framing, *msg);
    expect_contract(r, framing, size);

    // Two segments cut where the first byte says: scan_chain gathers them and must agree.
    const size_t cut = size == 0 ? 0 : data[0] % (size + 1);
    const std::string_view chain[2] = {bytes.substr(0, cut), bytes.substr(cut)};
    const ScanResult c = scan_chain(hand, chain, scratch, framing, *other);
    if (size <= kMaxMessageBytes) {
      if (!same_result(r, c)) die("scan_chain result differs from a single-segment scan");
      if (r.status != ScanStatus::NeedMore) expect_same_index(*msg, *other, "scan_chain index differs");
    }

#ifdef SIPEDGE_FUZZ_HYPERSCAN
    const ScanResult h = hyperscan->scan(bytes, framing, *other);
    expect_contract(h, framing, size);
    if (!same_result(r, h)) die("HyperscanScanner result differs from HandScanner");
    if (r.status != ScanStatus::NeedMore) expect_same_index(*msg, *other, "HyperscanScanner index differs");
#endif
  }
  return 0;
}
