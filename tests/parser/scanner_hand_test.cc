// Pins parser/scanner_hand.cc: framing, start line, header index, folding, faults.
#include "parser/scanner_hand.h"

#include <gtest/gtest.h>

#include <string>

namespace sipedge::parser {
namespace scanner_hand_test {

const std::string kInvite =
    "INVITE sip:1012@192.168.0.201 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.168.1.131:56980;branch=z9hG4bK-d87543-bd00a80d61174148-1--d87543-;rport\r\n"
    "Max-Forwards: 70\r\n"
    "Contact: <sip:1006@192.168.1.131:56980>\r\n"
    "To: \"1012\"<sip:1012@192.168.0.201>\r\n"
    "From: \"1006\"<sip:1006@192.168.0.201>;tag=11703172\r\n"
    "Call-ID: NDI2ODA4NmE4OTNlYjlhN2NlYzIxYzcxMzc0MTEzZTY.\r\n"
    "CSeq: 1 INVITE\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 10\r\n"
    "\r\n"
    "v=0\r\no=- 8";

ScanResult scan(const std::string& s, Message& m, Framing f = Framing::Datagram) {
  return HandScanner().scan(s, f, m);
}

TEST(HandScanner, IndexesRequestLineHeadersAndBody) {
  Message m;
  const ScanResult r = scan(kInvite, m);
  ASSERT_EQ(r.status, ScanStatus::Complete);
  EXPECT_EQ(r.consumed, kInvite.size());
  EXPECT_TRUE(m.is_request());
  EXPECT_EQ(m.method(), Method::Invite);
  EXPECT_EQ(m.method_token(), "INVITE");
  EXPECT_EQ(m.request_uri(), "sip:1012@192.168.0.201");
  EXPECT_EQ(m.sip_version(), "SIP/2.0");
  ASSERT_EQ(m.headers().size(), 9u);
  EXPECT_EQ(m.headers()[0].id, HeaderId::Via);
  EXPECT_EQ(m.text(m.headers()[0].name), "Via");
  EXPECT_EQ(m.value(HeaderId::CallId), "NDI2ODA4NmE4OTNlYjlhN2NlYzIxYzcxMzc0MTEzZTY.");
  EXPECT_EQ(m.value(HeaderId::CSeq), "1 INVITE");
  EXPECT_EQ(m.value(HeaderId::To), "\"1012\"<sip:1012@192.168.0.201>");
  EXPECT_EQ(m.content_length(), 10);
  EXPECT_EQ(m.body(), "v=0\r\no=- 8");
  EXPECT_EQ(m.size(), kInvite.size());
}

TEST(HandScanner, IndexesStatusLine) {
  Message m;
  const std::string s = "SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP h\r\nContent-Length: 0\r\n\r\n";
  ASSERT_EQ(scan(s, m).status, ScanStatus::Complete);
  EXPECT_TRUE(m.is_response());
  EXPECT_EQ(m.status_code(), 180);
  EXPECT_EQ(m.reason_phrase(), "Ringing");
  EXPECT_EQ(m.body(), "");
}

TEST(HandScanner, CompactFormsAndCaseInsensitiveNames) {
  Message m;
  const std::string s =
      "OPTIONS sip:a@b SIP/2.0\r\nv: SIP/2.0/UDP h\r\ni: abc\r\nCALL-INFO: x\r\nf: <sip:a@b>;tag=1\r\n"
      "t: <sip:a@b>\r\nm: <sip:c@d>\r\nl: 0\r\nk: 100rel\r\nX-Custom  :  yes  \r\n\r\n";
  ASSERT_EQ(scan(s, m).status, ScanStatus::Complete);
  EXPECT_EQ(m.value(HeaderId::Via), "SIP/2.0/UDP h");
  EXPECT_EQ(m.value(HeaderId::CallId), "abc");
  EXPECT_EQ(m.value(HeaderId::CallInfo), "x");
  EXPECT_EQ(m.value(HeaderId::Contact), "<sip:c@d>");
  EXPECT_EQ(m.value(HeaderId::Supported), "100rel");
  ASSERT_NE(m.find_by_name("x-custom"), nullptr);
  EXPECT_EQ(m.text(m.find_by_name("x-custom")->value), "yes");
  EXPECT_EQ(m.find_by_name("X-Custom")->id, HeaderId::Other);
}

TEST(HandScanner, FoldedValueSpansContinuationLines) {
  Message m;
  const std::string s = "OPTIONS sip:a@b SIP/2.0\r\nSubject: I know you're there,\r\n   pick up the phone\r\n"
                        "Via:\r\n\tSIP/2.0/UDP h\r\n\r\n";
  ASSERT_EQ(scan(s, m).status, ScanStatus::Complete);
  EXPECT_EQ(m.value(HeaderId::Subject), "I know you're there,\r\n   pick up the phone");
  EXPECT_EQ(m.value(HeaderId::Via), "SIP/2.0/UDP h");
}

TEST(HandScanner, ChainsHeadersWithTheSameId) {
  Message m;
  const std::string s = "BYE sip:a@b SIP/2.0\r\nVia: one\r\nTo: x\r\nVia: two, three\r\nv: four\r\n\r\n";
  ASSERT_EQ(scan(s, m).status, ScanStatus::Complete);
  EXPECT_EQ(m.count(HeaderId::Via), 3u);
  const HeaderField* h = m.find(HeaderId::Via);
  EXPECT_EQ(m.text(h->value), "one");
  h = m.next_same(h);
  EXPECT_EQ(m.text(h->value), "two, three");
  h = m.next_same(h);
  EXPECT_EQ(m.text(h->value), "four");
  EXPECT_EQ(m.next_same(h), nullptr);
}

TEST(HandScanner, BareLfAndLeadingCrlfAreAccepted) {
  Message m;
  const std::string s = "\r\n\r\nACK sip:a@b SIP/2.0\nVia: x\nContent-Length: 2\n\nab";
  const ScanResult r = scan(s, m);
  ASSERT_EQ(r.status, ScanStatus::Complete);
  EXPECT_EQ(m.method(), Method::Ack);
  EXPECT_EQ(m.value(HeaderId::Via), "x");
  EXPECT_EQ(m.body(), "ab");
  EXPECT_EQ(r.consumed, s.size());
}

TEST(HandScanner, DatagramIgnoresJunkAfterDeclaredBody) {
  Message m;
  const std::string s = "MESSAGE sip:a@b SIP/2.0\r\nl: 3\r\n\r\nabcJUNK";
  const ScanResult r = scan(s, m);
  ASSERT_EQ(r.status, ScanStatus::Complete);
  EXPECT_EQ(m.body(), "abc");
  EXPECT_EQ(r.consumed, s.size() - 4);
}

TEST(HandScanner, DatagramWithoutContentLengthTakesTheRest) {
  Message m;
  const std::string s = "MESSAGE sip:a@b SIP/2.0\r\nVia: x\r\n\r\nhello";
  ASSERT_EQ(scan(s, m).status, ScanStatus::Complete);
  EXPECT_EQ(m.body(), "hello");
  EXPECT_EQ(m.content_length(), -1);
}

TEST(HandScanner, StreamFramingAsksForMoreAndSplitsMessages) {
  Message m;
  const std::string one = "MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 5\r\n\r\nhello";
  EXPECT_EQ(scan(one.substr(0, 20), m, Framing::Stream).status, ScanStatus::NeedMore);
  EXPECT_EQ(scan(one.substr(0, one.size() - 1), m, Framing::Stream).status, ScanStatus::NeedMore);
  const std::string two = one + one;
  const ScanResult r = scan(two, m, Framing::Stream);
  ASSERT_EQ(r.status, ScanStatus::Complete);
  EXPECT_EQ(r.consumed, one.size());
  EXPECT_EQ(scan("\r\n\r\n", m, Framing::Stream).status, ScanStatus::NeedMore);
  const ScanResult missing = scan("MESSAGE sip:a@b SIP/2.0\r\nVia: x\r\n\r\n", m, Framing::Stream);
  EXPECT_EQ(missing.fault, Fault::MissingContentLength);
}

struct FaultCase {
  const char* name;
  std::string bytes;
  Fault fault;
};

class HandScannerFaults : public ::testing::TestWithParam<FaultCase> {};

TEST_P(HandScannerFaults, ReportsThePreciseFault) {
  Message m;
  const ScanResult r = scan(GetParam().bytes, m);
  EXPECT_EQ(r.status, ScanStatus::Malformed);
  EXPECT_EQ(r.fault, GetParam().fault) << fault_name(r.fault);
}

INSTANTIATE_TEST_SUITE_P(
    Table, HandScannerFaults,
    ::testing::Values(
        FaultCase{"Empty", "\r\n\r\n", Fault::Empty},
        FaultCase{"NoLineEnd", "INVITE sip:a@b SIP/2.0", Fault::BadStartLine},
        FaultCase{"TwoSpaces", "INVITE  sip:a@b SIP/2.0\r\n\r\n", Fault::BadStartLine},
        FaultCase{"NoVersion", "INVITE sip:a@b\r\n\r\n", Fault::BadStartLine},
        FaultCase{"BadMethodChar", "IN(VITE sip:a@b SIP/2.0\r\n\r\n", Fault::BadStartLine},
        FaultCase{"EmptyMethod", " sip:a@b SIP/2.0\r\n\r\n", Fault::BadMethod},
        FaultCase{"StatusLetters", "SIP/2.0 2x0 OK\r\n\r\n", Fault::BadStatusCode},
        FaultCase{"StatusTooShort", "SIP/2.0 20\r\n\r\n", Fault::BadStatusLine},
        FaultCase{"Status700", "SIP/2.0 700 Huh\r\n\r\n", Fault::BadStatusCode},
        FaultCase{"NoHeaderEnd", "OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n", Fault::NoHeaderEnd},
        FaultCase{"NoColon", "OPTIONS sip:a@b SIP/2.0\r\nVia x\r\n\r\n", Fault::BadHeaderName},
        FaultCase{"NameOnly", "OPTIONS sip:a@b SIP/2.0\r\nVia\r\n\r\n", Fault::BadHeaderLine},
        FaultCase{"EmptyName", "OPTIONS sip:a@b SIP/2.0\r\n: x\r\n\r\n", Fault::BadHeaderName},
        FaultCase{"FoldFirst", "OPTIONS sip:a@b SIP/2.0\r\n x\r\n\r\n", Fault::BadHeaderLine},
        FaultCase{"Nul", std::string("OPTIONS sip:a@b SIP/2.0\r\nVia: a\0b\r\n\r\n", 37), Fault::NulByte},
        FaultCase{"BadLength", "OPTIONS sip:a@b SIP/2.0\r\nl: 1x\r\n\r\nab", Fault::BadContentLength},
        FaultCase{"EmptyLength", "OPTIONS sip:a@b SIP/2.0\r\nContent-Length:\r\n\r\n", Fault::BadContentLength},
        FaultCase{"Conflicting", "OPTIONS sip:a@b SIP/2.0\r\nl: 1\r\nContent-Length: 2\r\n\r\nab",
                  Fault::ConflictingContentLength},
        FaultCase{"LengthTooLarge", "OPTIONS sip:a@b SIP/2.0\r\nl: 3\r\n\r\nab", Fault::ContentLengthTooLarge},
        FaultCase{"LengthHuge", "OPTIONS sip:a@b SIP/2.0\r\nl: 99999999999999999999\r\n\r\nab",
                  Fault::ContentLengthTooLarge},
        FaultCase{"TooLarge", "OPTIONS sip:a@b SIP/2.0\r\nX: " + std::string(70000, 'a') + "\r\n\r\n",
                  Fault::TooLarge}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(HandScanner, RefusesMoreThanMaxHeaders) {
  std::string s = "OPTIONS sip:a@b SIP/2.0\r\n";
  for (unsigned i = 0; i <= kMaxHeaders; ++i) s += "X: y\r\n";
  s += "\r\n";
  Message m;
  EXPECT_EQ(scan(s, m).fault, Fault::TooManyHeaders);
}

// RFC 3261 §25.1: quoted-pair = "\\" (%x00-09 / ...) inside a quoted-string: a NUL is legal there.
TEST(HandScanner, NulEscapedInAQuotedStringIsAccepted) {
  std::string s = "OPTIONS sip:a@b SIP/2.0\r\nFrom: \"a\\?b\" <sip:c@d>;tag=1\r\nCSeq: 1 OPTIONS\r\nl: 0\r\n\r\n";
  s[s.find('?')] = '\0';
  Message m;
  const ScanResult r = scan(s, m);
  ASSERT_EQ(r.status, ScanStatus::Complete) << fault_name(r.fault);
  EXPECT_EQ(m.value(HeaderId::From), std::string_view("\"a\\\0b\" <sip:c@d>;tag=1", 22));
  EXPECT_EQ(m.value(HeaderId::CSeq), "1 OPTIONS");
}

// A refused line does not stop the index: everything a 400 must copy is still found.
TEST(HandScanner, RefusedHeaderLinesAreReportedAndTheLinesAfterThemIndexed) {
  std::string s = "INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nUser-Agent: x?y\r\nVi@a: z\r\n"
                  "From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nl: 0\r\n\r\n";
  s[s.find('?')] = '\0';  // a NUL outside any quoted-string: refused
  Message m;
  const ScanResult r = scan(s, m);
  EXPECT_EQ(r.status, ScanStatus::Malformed);
  EXPECT_EQ(r.fault, Fault::NulByte) << "the first fault is the one reported";
  EXPECT_EQ(m.value(HeaderId::Via), "SIP/2.0/UDP h;branch=z9hG4bK1");
  EXPECT_EQ(m.find(HeaderId::UserAgent), nullptr) << "the refused line itself is not indexed";
  EXPECT_EQ(m.value(HeaderId::From), "<sip:a@b>;tag=1");
  EXPECT_EQ(m.value(HeaderId::To), "<sip:a@b>");
  EXPECT_EQ(m.value(HeaderId::CallId), "c");
  EXPECT_EQ(m.value(HeaderId::CSeq), "1 INVITE");
}

TEST(ScanChain, GathersSegmentsAndScansSingleSegmentInPlace) {
  const std::string a = "OPTIONS sip:a@b SIP/2.0\r\nVi", b = "a: x\r\nl: 2\r\n\r\nok";
  std::string_view chain[] = {a, b};
  char scratch[256];
  Message m;
  HandScanner scanner;
  ASSERT_EQ(scan_chain(scanner, chain, scratch, Framing::Datagram, m).status, ScanStatus::Complete);
  EXPECT_EQ(m.value(HeaderId::Via), "x");
  EXPECT_EQ(m.bytes().data(), scratch);
  const std::string whole = a + b;
  std::string_view one[] = {whole};
  ASSERT_EQ(scan_chain(scanner, one, scratch, Framing::Datagram, m).status, ScanStatus::Complete);
  EXPECT_EQ(m.bytes().data(), whole.data());
  char tiny[8];
  EXPECT_EQ(scan_chain(scanner, chain, tiny, Framing::Datagram, m).fault, Fault::TooLarge);
}

}  // namespace scanner_hand_test
}  // namespace sipedge::parser
