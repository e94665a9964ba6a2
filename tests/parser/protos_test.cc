// tests/parser/protos_test.cc — test thread. The PROTOS c07-sip robustness suite (4527 INVITE cases
// and their CANCELs, OUSPG) through scan (datagram and stream framing), validate, every accessor and
// SDP, read straight from the shared tar.gz (never copied into the repo). The oracle is the suite's:
// no crash, no sanitizer report, and every malformed request refused with a named fault (DESIGN §3).
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "parser/contact.h"
#include "parser/headers.h"
#include "parser/scanner.h"
#include "parser/scanner_hand.h"
#include "parser/sdp.h"
#include "tests/fuzz/accessor_sweep.h"
#include "tests/parser/protos_corpus.h"

namespace sipedge::parser {
namespace {

using test::kProtosCaseCount;
using test::ProtosMessage;
constexpr size_t kCaseCount = kProtosCaseCount;
const char* const kCorpus = test::kProtosCorpus;

class ProtosTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!std::filesystem::exists(kCorpus)) return;
    messages_ = new std::vector<ProtosMessage>;
    corpus_ok_ = test::load_protos(*messages_);
  }
  static void TearDownTestSuite() {
    delete messages_;
    messages_ = nullptr;
  }
  void SetUp() override {
    if (messages_ == nullptr)
      GTEST_SKIP() << "PROTOS corpus not found at " << kCorpus << " (it lives in ../shared beside the clone)";
    ASSERT_TRUE(corpus_ok_) << "truncated or corrupt archive " << kCorpus;
  }

  const ProtosMessage& invite(unsigned number) const {
    for (const ProtosMessage& m : *messages_)
      if (m.number == number && m.invite) return m;
    ADD_FAILURE() << "case " << number << " missing";
    return messages_->front();
  }

  // Scans a case's INVITE as a datagram into `msg_`.
  ScanResult scan_invite(unsigned number) {
    msg_ = std::make_unique<Message>();
    return scanner_.scan(invite(number).bytes, Framing::Datagram, *msg_);
  }

  static inline std::vector<ProtosMessage>* messages_ = nullptr;
  static inline bool corpus_ok_ = false;
  HandScanner scanner_;
  std::unique_ptr<Message> msg_;
};

TEST_F(ProtosTest, ArchiveHoldsAnInviteAndACancelPerCase) {
  EXPECT_EQ(messages_->size(), 2 * kCaseCount);
  std::vector<int> seen(kCaseCount, 0);
  for (const ProtosMessage& m : *messages_) {
    ASSERT_LT(m.number, kCaseCount);
    seen[m.number] += m.invite ? 1 : 2;
  }
  for (unsigned i = 0; i < kCaseCount; ++i) EXPECT_EQ(seen[i], 3) << "case " << i;
}

TEST_F(ProtosTest, ValidReferenceCaseScansAndValidates) {
  const ScanResult r = scan_invite(0);
  ASSERT_EQ(r.status, ScanStatus::Complete);
  EXPECT_EQ(r.fault, Fault::None);
  EXPECT_EQ(r.consumed, invite(0).bytes.size());
  EXPECT_EQ(validate(*msg_), Fault::None);
  EXPECT_EQ(msg_->method(), Method::Invite);
  EXPECT_EQ(msg_->request_uri(), "sip:service@127.0.0.1");
  EXPECT_EQ(msg_->headers().size(), 10u);
  EXPECT_EQ(msg_->content_length(), 119);
  EXPECT_EQ(msg_->value(HeaderId::Expires), "1200");
  testing::AccessorSweep sweep;
  const testing::SweepResult s = sweep.run(*msg_, true);
  EXPECT_EQ(s.violation, nullptr) << s.violation;
  EXPECT_TRUE(s.sdp_parsed);
}

// Every message, both framings: Complete with no fault, Malformed with a named fault, or (stream
// only) NeedMore; then validate + every accessor + SDP on whatever was indexed.
TEST_F(ProtosTest, EveryCaseScansOrIsRefusedWithANamedFault) {
  std::map<std::string_view, unsigned> by_fault;  // scan fault, or validate's on a complete scan
  unsigned complete = 0, accepted = 0, sdp_parsed = 0, need_more = 0;
  testing::AccessorSweep sweep;
  auto msg = std::make_unique<Message>();
  for (const ProtosMessage& m : *messages_) {
    const std::string where = "case " + std::to_string(m.number) + (m.invite ? " invite" : " cancel");
    for (Framing framing : {Framing::Datagram, Framing::Stream}) {
      const ScanResult r = scanner_.scan(m.bytes, framing, *msg);
      switch (r.status) {
        case ScanStatus::Complete:
          ASSERT_EQ(r.fault, Fault::None) << where;
          ASSERT_LE(r.consumed, m.bytes.size()) << where;
          break;
        case ScanStatus::Malformed:
          ASSERT_NE(r.fault, Fault::None) << where;
          break;
        case ScanStatus::NeedMore:
          ASSERT_EQ(framing, Framing::Stream) << where << ": NeedMore on a datagram";
          ++need_more;
          continue;
      }
      const testing::SweepResult s = sweep.run(*msg, r.status == ScanStatus::Complete);
      ASSERT_EQ(s.violation, nullptr) << where << ": " << s.violation;
      if (framing != Framing::Datagram) continue;
      const Fault verdict = r.status == ScanStatus::Complete ? s.validate_fault : r.fault;
      ++by_fault[fault_name(verdict)];
      complete += r.status == ScanStatus::Complete;
      accepted += verdict == Fault::None;
      sdp_parsed += s.sdp_parsed;
    }
  }
  std::printf("PROTOS c07-sip: %zu messages, %u scanned complete, %u accepted, %u SDP bodies parsed, "
              "%u stream NeedMore\n",
              messages_->size(), complete, accepted, sdp_parsed, need_more);
  for (const auto& [name, n] : by_fault) std::printf("  %-28.*s %u\n", int(name.size()), name.data(), n);
  EXPECT_GT(by_fault.size(), 10u);
  EXPECT_GT(accepted, 0u);
  EXPECT_LT(accepted, messages_->size());
}

// A few cases per PROTOS group (GROUPS.tsv) whose verdict RFC 3261 fixes: the scan fault, or
// validate()'s when the scan completes.
struct KnownCase {
  unsigned number;
  const char* mutation;  // INDEX.tsv's first differing line, for the failure message
  Fault verdict;
};

TEST_F(ProtosTest, KnownCasesGetTheirFault) {
  const KnownCase kKnown[] = {
      // Request-Line 1-329, 2407-2416
      {20, "non-ASCII bytes as the method", Fault::BadMethod},
      {48, "NUL inside the method", Fault::NulByte},
      {195, "INVITE aaaaa:noone@sip.no.invalid (§8.2.2.1: 416)", Fault::UnsupportedUriScheme},
      {237, "INVITE sip:noone@@@@...@sip.no.invalid", Fault::BadRequestUri},
      {258, "INVITE sip:<To> aaaa.../2.0", Fault::BadSipVersion},
      {2413, "bare LFs after the Request-Line end the header block", Fault::MissingVia},
      // Via 330-629
      {454, "Via sent-by port -1", Fault::BadVia},
      {461, "Via sent-by port 128", Fault::None},
      {475, "Via sent-by port 16777215", Fault::BadVia},
      // From 630-956, To 1243-1467
      {825, "From ...>;;;;;=token (empty params)", Fault::BadFrom},
      {933, "From <sip:@sip.no.invalid> (empty user)", Fault::BadFrom},
      {1248, "the To header name replaced by a's", Fault::MissingTo},
      {1437, "To: Receiver <<<<<<<<<sip:...>", Fault::BadTo},
      // Call-ID 1468-1782
      {1662, "Call-ID: 1662@@@@@@@@@127.0.0.1", Fault::BadCallId},
      // Max-Forwards 1829-1874
      {1838, "Max-Forwards: 128", Fault::None},
      {1846, "Max-Forwards: 4096", Fault::BadMaxForwards},
      // CSeq 1875-2113
      {1876, "CSeq: 1 INVITE", Fault::None},
      {1877, "CSeq: -1 INVITE", Fault::BadCSeq},
      {1903, "CSeq: 2147483647 INVITE", Fault::None},
      {1904, "CSeq: 2147483648 INVITE (2**31, §8.1.1.5)", Fault::BadCSeqNumber},
      {1922, "CSeq: 1 aaaaaaaaa", Fault::CSeqMethodMismatch},
      // Content-Length 2361-2406 (the body is 128 bytes)
      {2370, "Content-Length: 128", Fault::None},
      {2371, "Content-Length: -127", Fault::BadContentLength},
      {2373, "Content-Length: 256 on a datagram (§18.3)", Fault::ContentLengthTooLarge},
  };
  for (const KnownCase& k : kKnown) {
    const ScanResult r = scan_invite(k.number);
    const Fault verdict = r.status == ScanStatus::Complete ? validate(*msg_) : r.fault;
    EXPECT_EQ(fault_name(verdict), fault_name(k.verdict)) << "case " << k.number << ": " << k.mutation;
  }
}

// Headers validate() leaves to their accessors: the accessor must refuse or saturate them.
TEST_F(ProtosTest, KnownCasesGetTheirAccessorVerdict) {
  ASSERT_EQ(scan_invite(1810).status, ScanStatus::Complete);  // Expires: -1073741823
  Result<uint32_t, Fault> neg = parse_expires(msg_->value(HeaderId::Expires));
  ASSERT_FALSE(neg.ok());
  EXPECT_EQ(neg.error(), Fault::BadExpires);

  ASSERT_EQ(scan_invite(1818).status, ScanStatus::Complete);  // Expires: 140737488355328
  Result<uint32_t, Fault> big = parse_expires(msg_->value(HeaderId::Expires));
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(*big, kMaxDeltaSeconds);  // RFC 3261 §10.2.1.1: saturate at 2**32-1

  ASSERT_EQ(scan_invite(2117).status, ScanStatus::Complete);  // Content-Type: aaaa... (no '/')
  Result<ContentType, Fault> ct = parse_content_type(msg_->value(HeaderId::ContentType));
  ASSERT_FALSE(ct.ok());
  EXPECT_EQ(ct.error(), Fault::BadContentType);

  ASSERT_EQ(scan_invite(1212).status, ScanStatus::Complete);  // Contact: 1212 <<<<<<<<<sip:...>
  ContactList contacts(*msg_);
  Result<Contact, Fault> c = Err{Fault::None};
  ASSERT_TRUE(contacts.next(c));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error(), Fault::BadContact);
}

// The body/SDP group (2427-4526) mutates one SDP line; RFC 8866 §5 makes these unreadable.
TEST_F(ProtosTest, KnownSdpCasesAreRefused) {
  const KnownCase kKnown[] = {
      {2440, "aaaa...=0 in place of v=0", Fault::BadSdp},
      {3500, "c=aaaa...", Fault::BadSdp},
      {3800, "m= followed by spaces", Fault::BadSdp},
  };
  for (const KnownCase& k : kKnown) {
    ASSERT_EQ(scan_invite(k.number).status, ScanStatus::Complete) << k.number;
    EXPECT_EQ(validate(*msg_), Fault::None) << k.number;
    Result<Sdp, SdpError> sdp = parse_sdp(msg_->body());
    ASSERT_FALSE(sdp.ok()) << "case " << k.number << ": " << k.mutation;
    EXPECT_EQ(sdp.error().fault, k.verdict);
  }
  ASSERT_EQ(scan_invite(0).status, ScanStatus::Complete);
  Result<Sdp, SdpError> ok = parse_sdp(msg_->body());
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->media()[0].port, 9876);
}

TEST_F(ProtosTest, HugeCSeqNumbersAreRefused) {
  // 1907..1920: 2**41-1 up to 2**256: too large for a CSeq however the parser reads them.
  for (unsigned n = 1907; n <= 1920; ++n) {
    const ScanResult r = scan_invite(n);
    ASSERT_EQ(r.status, ScanStatus::Complete) << "case " << n;
    const Fault f = validate(*msg_);
    EXPECT_TRUE(f == Fault::BadCSeqNumber || f == Fault::BadCSeq) << "case " << n << ": " << fault_name(f);
  }
}

TEST_F(ProtosTest, OversizedCasesAreTooLarge) {
  unsigned oversized = 0;
  auto msg = std::make_unique<Message>();
  for (const ProtosMessage& m : *messages_) {
    if (m.bytes.size() <= kMaxMessageBytes) continue;
    ++oversized;
    const ScanResult r = scanner_.scan(m.bytes, Framing::Datagram, *msg);
    EXPECT_EQ(r.status, ScanStatus::Malformed) << m.number;
    EXPECT_EQ(r.fault, Fault::TooLarge) << m.number;
  }
  EXPECT_GT(oversized, 0u);
}

}  // namespace
}  // namespace sipedge::parser
