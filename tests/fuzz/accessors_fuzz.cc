// tests/fuzz/accessors_fuzz.cc — fuzz thread. Scans any bytes, then calls every accessor on every
// header, validate() and the SDP accessors on the body (tests/fuzz/accessor_sweep.h). The control
// lcore reads malformed messages too (to build the 400), so partial indexes get the same sweep.
// abort() when an accessor returns a view outside its input or breaks its own contract.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "parser/scanner_hand.h"
#include "tests/fuzz/accessor_sweep.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sipedge::parser;
  static HandScanner scanner;
  static auto msg = std::make_unique<Message>();
  static auto sweep = std::make_unique<testing::AccessorSweep>();
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);

  for (Framing framing : {Framing::Datagram, Framing::Stream}) {
    const ScanResult r = scanner.scan(bytes, framing, *msg);
    if (r.status == ScanStatus::NeedMore) continue;
    const testing::SweepResult s = sweep->run(*msg, r.status == ScanStatus::Complete);
    if (s.violation != nullptr) {
      std::fprintf(stderr, "accessors_fuzz: %s\n", s.violation);
      std::abort();
    }
  }
  return 0;
}
