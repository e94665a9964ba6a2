// tests/control/copy_count_test.cc — how many times control copies an INVITE between the ring and
// the wire, counted by a global operator new hook: a request padded to 12 kB makes every heap block
// of at least that size one of its copies. Expected: the proxy context's owned copy (OwnedMessage,
// for serial forking and local answers) and the rewritten INVITE the client transaction keeps for
// retransmission. The transport writes that one into the mbuf (not counted: no heap). Neither a
// retransmission from the caller nor Timer A's retransmission towards the callee copies again.
// Frees of such blocks are counted too: the context's copy goes once the final answer went upstream.
#include <malloc.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include <gtest/gtest.h>

#include "control/owned_message.h"
#include "parser/scanner_hand.h"
#include "tests/control/proxy_test_util.h"

namespace {

std::atomic<bool> g_armed{false};
std::atomic<size_t> g_threshold{0};
std::atomic<unsigned> g_large{0};
std::atomic<unsigned> g_large_freed{0};

}  // namespace

// Replaces the program's allocation functions (C++ [replacement.functions]); counts only while armed.
// Every unaligned form is replaced so each new pairs with its own delete: a sanitizer's runtime
// supplies the forms left out, and its std::stable_sort buffer (nothrow new) would then meet this
// free(). GCC pairs the inlined malloc/free with new/delete and warns; they are this family's own.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
namespace {
void* counted_malloc(std::size_t n) noexcept {
  if (g_armed.load(std::memory_order_relaxed) && n >= g_threshold.load(std::memory_order_relaxed)) {
    g_large.fetch_add(1, std::memory_order_relaxed);
  }
  return std::malloc(n == 0 ? 1 : n);
}
void counted_free(void* p) noexcept {
  if (p != nullptr && g_armed.load(std::memory_order_relaxed) &&
      malloc_usable_size(p) >= g_threshold.load(std::memory_order_relaxed)) {
    g_large_freed.fetch_add(1, std::memory_order_relaxed);
  }
  std::free(p);
}
void* counted_new(std::size_t n) {
  if (void* p = counted_malloc(n)) {
    return p;
  }
  throw std::bad_alloc();
}
}  // namespace
void* operator new(std::size_t n) { return counted_new(n); }
void* operator new[](std::size_t n) { return counted_new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return counted_malloc(n); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return counted_malloc(n); }
void operator delete(void* p) noexcept { counted_free(p); }
void operator delete[](void* p) noexcept { counted_free(p); }
void operator delete(void* p, std::size_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::size_t) noexcept { counted_free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { counted_free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { counted_free(p); }
#pragma GCC diagnostic pop

namespace sipedge::control {
namespace {

using testing::test_config;

constexpr size_t kPadding = 12000;

// A transport that keeps nothing: what it is handed goes to the wire (ControlIo copies into an
// mbuf), so a recorder's own copy must not be counted.
struct SizeOnlyTransport : SipTransport {
  std::vector<std::pair<std::string, size_t>> sent;  // first line, size
  std::string last;                                    // the last message, whole
  SendResult transmit(uint16_t, const Endpoint&, std::string_view bytes) override {
    const bool armed = g_armed.exchange(false);
    sent.emplace_back(std::string(bytes.substr(0, bytes.find("\r\n"))), bytes.size());
    last = bytes;
    g_armed = armed;
    return SendResult::Sent;
  }
};

template <SignallingMode kMode>
class CopyCountFixture : public ::testing::Test {
 protected:
  static_assert(sizeof(OwnedMessage) < kPadding, "the padding must dwarf the message index");

  ControlConfig config = [] {
    ControlConfig c = test_config();
    c.trusted = {*IpPrefix::parse("10.201.0.2/32")};
    c.default_mode = kMode;
    return c;
  }();
  SizeOnlyTransport wire;
  testing::FakeRelay relay;
  ManualClock clock;
  MediaManager media{config, relay};
  parser::HandScanner scanner;
  Proxy proxy{config, wire, media, clock, scanner, RouteToken("copy-test")};

  static std::string invite() {
    const std::string sdp =
        "v=0\r\no=a 1 1 IN IP4 10.201.0.2\r\ns=-\r\nc=IN IP4 10.201.0.2\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n";
    return "INVITE sip:+4930123@sipedge.test SIP/2.0\r\nVia: SIP/2.0/UDP 10.201.0.2:5060;branch=z9hG4bKcopy;rport\r\n"
           "Max-Forwards: 70\r\nFrom: <sip:1006@sipedge.test>;tag=a1\r\nTo: <sip:+4930123@sipedge.test>\r\n"
           "Call-ID: copy-count\r\nCSeq: 1 INVITE\r\nContact: <sip:1006@10.201.0.2:5060>\r\nX-Padding: " +
           std::string(kPadding, 'p') + "\r\nContent-Type: application/sdp\r\nContent-Length: " +
           std::to_string(sdp.size()) + "\r\n\r\n" + sdp;
  }
  // Large heap blocks made (`counter` g_large) or freed (g_large_freed) while `fn` runs.
  template <typename Fn>
  static unsigned counted(std::atomic<unsigned>& counter, Fn fn) {
    counter = 0;
    g_threshold = kPadding;
    g_armed = true;
    fn();
    g_armed = false;
    return counter.load();
  }
  // The caller's padded INVITE, handed over once: 100 Trying back, the INVITE on to the trunk.
  void forward_invite() {
    const std::string bytes = invite();
    parser::Message msg;
    ASSERT_EQ(scanner.scan(bytes, parser::Framing::Datagram, msg).status, parser::ScanStatus::Complete);
    proxy.on_message(Inbound{msg, testing::kAlice, Endpoint{IpAddr::v4(10, 201, 0, 1), 5060}, 0});
    ASSERT_EQ(wire.sent.size(), 2u);
  }
  template <typename Fn>
  static unsigned large_allocations(Fn fn) {
    return counted(g_large, fn);
  }
  template <typename Fn>
  static unsigned large_frees(Fn fn) {
    return counted(g_large_freed, fn);
  }
};

class CopyCountTest : public CopyCountFixture<SignallingMode::Proxy> {};
class B2buaCopyCountTest : public CopyCountFixture<SignallingMode::B2bua> {};

TEST_F(CopyCountTest, AnInviteIsCopiedOnceAndRewrittenOnceOnItsWayThrough) {
  const std::string bytes = invite();
  parser::Message msg;  // the dataplane's scan of the datagram in its mbuf
  ASSERT_EQ(scanner.scan(bytes, parser::Framing::Datagram, msg).status, parser::ScanStatus::Complete);
  const Inbound in{msg, testing::kAlice, Endpoint{IpAddr::v4(10, 201, 0, 1), 5060}, 0};

  EXPECT_EQ(large_allocations([&] { proxy.on_message(in); }), 2u);
  ASSERT_EQ(wire.sent.size(), 2u);
  EXPECT_EQ(wire.sent[0].first, "SIP/2.0 100 Trying");
  EXPECT_EQ(wire.sent[1].first, "INVITE sip:+4930123@sipedge.test SIP/2.0");
  EXPECT_GT(wire.sent[1].second, kPadding);

  // The caller retransmits: the server transaction absorbs it without copying anything.
  EXPECT_EQ(large_allocations([&] { proxy.on_message(in); }), 0u);
  // Timer A: the client transaction resends the bytes it keeps.
  EXPECT_EQ(large_allocations([&] {
              clock.advance(600);
              proxy.on_tick();
            }),
            0u);
  ASSERT_EQ(wire.sent.size(), 4u);  // + 100 Trying again for the retransmission, + INVITE again
  EXPECT_EQ(wire.sent[3].first, "INVITE sip:+4930123@sipedge.test SIP/2.0");
}

// The proxy context lives 64*T1 past its final answer (for its transactions), but without its
// copy of the request: dropped when the answer goes upstream. The client transaction's rewritten
// INVITE goes at the same time: the ACK for the 603 is built from it first, and a retransmitted
// 603 gets that ACK again through Timer D.
TEST_F(CopyCountTest, TheContextsCopyGoesWhenTheFinalAnswerGoesUpstream) {
  ASSERT_NO_FATAL_FAILURE(forward_invite());
  // 603, a global failure: no other trunk is tried (a 486 would fail over to the second one).
  const std::string decline = testing::response_to(wire.last, 603, "Decline", "b1", "sip:trunk@10.202.0.2:5060");
  parser::Message answer;
  ASSERT_EQ(scanner.scan(decline, parser::Framing::Datagram, answer).status, parser::ScanStatus::Complete);
  EXPECT_EQ(large_frees([&] { proxy.on_message(Inbound{answer, testing::kTrunk, {}, 1}); }), 2u);
  ASSERT_EQ(wire.sent.size(), 4u);  // ACK to the trunk, 603 to the caller
  EXPECT_EQ(wire.sent[2].first, "ACK sip:+4930123@sipedge.test SIP/2.0");
  EXPECT_EQ(wire.sent[3].first, "SIP/2.0 603 Decline");
  EXPECT_EQ(proxy.context_count(), 1u) << "the context stays for its transactions";
  // The trunk missed the ACK and sends the 603 again: the same ACK, nothing copied.
  EXPECT_EQ(large_allocations([&] { proxy.on_message(Inbound{answer, testing::kTrunk, {}, 1}); }), 0u);
  ASSERT_EQ(wire.sent.size(), 5u);
  EXPECT_EQ(wire.sent[4], wire.sent[2]);
  // Its transactions end (Timer D, 64*T1 on UDP) with nothing large left to free.
  EXPECT_EQ(large_frees([&] {
              for (int t = 0; t < 40; ++t) {
                clock.advance(1000);
                proxy.on_tick();
              }
            }),
            0u);
  EXPECT_EQ(proxy.context_count(), 0u);
  EXPECT_EQ(proxy.transactions().size(), 0u);
}

// B2BUA mode builds every answer to the caller anew: the context keeps the lines they start with
// (Via .. CSeq) in place of the request, which goes when the first 2xx goes upstream. A 2xx the
// callee retransmits before sipedge's ACK reaches it still gets to the caller, with those lines.
TEST_F(B2buaCopyCountTest, TheContextKeepsTheAnswersFirstLinesInPlaceOfItsCopy) {
  ASSERT_NO_FATAL_FAILURE(forward_invite());
  ASSERT_EQ(wire.sent[1].first, "INVITE sip:+4930123@sipedge.test SIP/2.0");
  const std::string sdp =
      "v=0\r\no=t 1 1 IN IP4 10.202.0.2\r\ns=-\r\nc=IN IP4 10.202.0.2\r\nt=0 0\r\nm=audio 50000 RTP/AVP 0\r\n";
  const std::string ok = testing::response_to(wire.last, 200, "OK", "t1", "sip:trunk@10.202.0.2:5060", sdp);
  parser::Message answer;
  ASSERT_EQ(scanner.scan(ok, parser::Framing::Datagram, answer).status, parser::ScanStatus::Complete);
  // The context's copy, and the INVITE its client transaction sent (it lingers without it).
  EXPECT_EQ(large_frees([&] { proxy.on_message(Inbound{answer, testing::kTrunk, {}, 1}); }), 2u);
  ASSERT_EQ(wire.sent.size(), 3u);  // the 200 to the caller (sipedge's ACK waits for the caller's)
  EXPECT_EQ(wire.sent[2].first, "SIP/2.0 200 OK");
  const std::string first_ok = wire.last;
  // The context's request is gone: the retransmitted 200 is answered from what the context kept.
  proxy.on_message(Inbound{answer, testing::kTrunk, {}, 1});
  ASSERT_EQ(wire.sent.size(), 4u);
  const std::string again = wire.last;
  EXPECT_EQ(testing::first_line(again), "SIP/2.0 200 OK");
  for (parser::HeaderId id : {parser::HeaderId::Via, parser::HeaderId::From, parser::HeaderId::To,
                              parser::HeaderId::CallId, parser::HeaderId::CSeq})
    EXPECT_EQ(testing::header(again, id), testing::header(first_ok, id));
  EXPECT_EQ(testing::header(again, parser::HeaderId::Via),
            "SIP/2.0/UDP 10.201.0.2:5060;branch=z9hG4bKcopy;received=10.201.0.2;rport=5060");
  EXPECT_EQ(testing::header(again, parser::HeaderId::CallId), "copy-count");
  EXPECT_EQ(testing::header(again, parser::HeaderId::CSeq), "1 INVITE");
}

}  // namespace
}  // namespace sipedge::control
