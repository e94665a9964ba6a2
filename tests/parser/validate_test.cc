// tests/parser/validate_test.cc — pins parser/validate.cc: one table row per fault validate() can
// report, each proving the fault fires and that it wins over the checks documented after it.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "parser/scanner.h"
#include "parser/scanner_hand.h"

namespace sipedge::parser {
namespace {

constexpr std::string_view kVia = "Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds\r\n";
constexpr std::string_view kMaxForwards = "Max-Forwards: 70\r\n";
constexpr std::string_view kTo = "To: Bob <sip:bob@biloxi.com>\r\n";
constexpr std::string_view kFrom = "From: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n";
constexpr std::string_view kCallId = "Call-ID: a84b4c76e66710@pc33.atlanta.com\r\n";
constexpr std::string_view kCSeq = "CSeq: 314159 INVITE\r\n";
constexpr std::string_view kLength = "Content-Length: 0\r\n";
constexpr std::string_view kInviteLine = "INVITE sip:bob@biloxi.com SIP/2.0\r\n";

struct Case {
  std::string name;
  std::string text;
  Fault want;
};

std::string join(std::initializer_list<std::string_view> parts) {
  std::string s;
  for (std::string_view p : parts) s += p;
  return s + "\r\n";
}

// A well-formed INVITE with one header (or the start line) swapped for `replacement`; an empty
// replacement drops it.
std::string invite_with(std::string_view replaced, std::string_view replacement) {
  std::string s;
  for (std::string_view part : {kInviteLine, kVia, kMaxForwards, kTo, kFrom, kCallId, kCSeq, kLength})
    s += part == replaced ? replacement : part;
  return s + "\r\n";
}

std::vector<Case> request_cases() {
  return {
      {"well-formed INVITE", invite_with("", ""), Fault::None},
      {"SIP version case-insensitive", invite_with(kInviteLine, "INVITE sip:bob@biloxi.com sip/2.0\r\n"),
       Fault::None},
      {"tel Request-URI", invite_with(kInviteLine, "INVITE tel:+15551234567 SIP/2.0\r\n"), Fault::None},
      {"sips Request-URI", invite_with(kInviteLine, "INVITE sips:bob@biloxi.com SIP/2.0\r\n"), Fault::None},
      {"ACK with CSeq ACK",
       join({"ACK sip:bob@192.0.2.4 SIP/2.0\r\n", kVia, kMaxForwards, kTo, kFrom, kCallId,
             "CSeq: 314159 ACK\r\n", kLength}),
       Fault::None},
      {"compact header names",
       join({kInviteLine, "v: SIP/2.0/UDP h;branch=z9hG4bK1\r\n", "t: <sip:bob@biloxi.com>\r\n",
             "f: <sip:alice@atlanta.com>;tag=1\r\n", "i: abc\r\n", kCSeq, "l: 0\r\n"}),
       Fault::None},

      {"missing Via", invite_with(kVia, ""), Fault::MissingVia},
      {"missing From", invite_with(kFrom, ""), Fault::MissingFrom},
      {"missing To", invite_with(kTo, ""), Fault::MissingTo},
      {"missing Call-ID", invite_with(kCallId, ""), Fault::MissingCallId},
      {"missing CSeq", invite_with(kCSeq, ""), Fault::MissingCSeq},
      {"missing Via and From reports Via first",
       join({kInviteLine, kMaxForwards, kTo, kCallId, kCSeq, kLength}), Fault::MissingVia},
      {"missing CSeq wins over duplicate From",
       join({kInviteLine, kVia, kTo, kFrom, kFrom, kCallId}), Fault::MissingCSeq},

      {"duplicate From (full + compact)",
       invite_with(kFrom, std::string(kFrom) + "f: <sip:eve@evil.com>;tag=2\r\n"), Fault::DuplicateFrom},
      {"duplicate To", invite_with(kTo, std::string(kTo) + "t: <sip:eve@evil.com>\r\n"), Fault::DuplicateTo},
      {"duplicate Call-ID", invite_with(kCallId, std::string(kCallId) + "i: other@host\r\n"),
       Fault::DuplicateCallId},
      {"duplicate CSeq", invite_with(kCSeq, std::string(kCSeq) + std::string(kCSeq)), Fault::DuplicateCSeq},
      {"duplicate To wins over bad version",
       join({"INVITE sip:bob@biloxi.com SIP/3.0\r\n", kVia, kTo, kTo, kFrom, kCallId, kCSeq}),
       Fault::DuplicateTo},

      {"SIP/3.0", invite_with(kInviteLine, "INVITE sip:bob@biloxi.com SIP/3.0\r\n"), Fault::BadSipVersion},
      {"SIP/2.00", invite_with(kInviteLine, "INVITE sip:bob@biloxi.com SIP/2.00\r\n"), Fault::BadSipVersion},
      {"HTTP/1.1", invite_with(kInviteLine, "INVITE sip:bob@biloxi.com HTTP/1.1\r\n"), Fault::BadSipVersion},
      {"bad version wins over bad CSeq",
       join({"INVITE sip:bob@biloxi.com SIP/1.0\r\n", kVia, kTo, kFrom, kCallId, "CSeq: x\r\n"}),
       Fault::BadSipVersion},

      {"CSeq without method", invite_with(kCSeq, "CSeq: 314159\r\n"), Fault::BadCSeq},
      {"CSeq -1", invite_with(kCSeq, "CSeq: -1 INVITE\r\n"), Fault::BadCSeq},
      {"CSeq 2**31", invite_with(kCSeq, "CSeq: 2147483648 INVITE\r\n"), Fault::BadCSeqNumber},
      {"CSeq method BYE on INVITE", invite_with(kCSeq, "CSeq: 1 BYE\r\n"), Fault::CSeqMethodMismatch},
      {"CSeq method compared case-sensitively", invite_with(kCSeq, "CSeq: 1 invite\r\n"),
       Fault::CSeqMethodMismatch},
      {"ACK with CSeq INVITE",
       join({"ACK sip:bob@biloxi.com SIP/2.0\r\n", kVia, kTo, kFrom, kCallId, kCSeq, kLength}),
       Fault::CSeqMethodMismatch},
      {"CANCEL with CSeq INVITE",
       join({"CANCEL sip:bob@biloxi.com SIP/2.0\r\n", kVia, kTo, kFrom, kCallId, kCSeq, kLength}),
       Fault::CSeqMethodMismatch},
      {"CSeq mismatch wins over bad Max-Forwards",
       invite_with(kCSeq, std::string("CSeq: 1 BYE\r\nMax-Forwards: abc\r\n")), Fault::CSeqMethodMismatch},

      {"Max-Forwards abc", invite_with(kMaxForwards, "Max-Forwards: abc\r\n"), Fault::BadMaxForwards},
      {"Max-Forwards 256", invite_with(kMaxForwards, "Max-Forwards: 256\r\n"), Fault::BadMaxForwards},
      {"Max-Forwards absent is fine", invite_with(kMaxForwards, ""), Fault::None},
      {"bad Max-Forwards wins over bad Via",
       invite_with(kVia, "Via: garbage\r\nMax-Forwards: -1\r\n"), Fault::BadMaxForwards},

      {"top Via garbage", invite_with(kVia, "Via: garbage\r\n"), Fault::BadVia},
      {"bad Via wins over bad From",
       join({kInviteLine, "Via: SIP/2.0/UDP\r\n", kTo, "From: <sip:a\r\n", kCallId, kCSeq}), Fault::BadVia},
      {"From unterminated <", invite_with(kFrom, "From: <sip:alice@atlanta.com;tag=1\r\n"), Fault::BadFrom},
      {"To unterminated quote", invite_with(kTo, "To: \"Bob <sip:bob@biloxi.com>\r\n"), Fault::BadTo},
      {"bad From wins over bad To",
       join({kInviteLine, kVia, "To: <sip:\r\n", "From: <sip:\r\n", kCallId, kCSeq}), Fault::BadFrom},
      {"From URI without host", invite_with(kFrom, "From: <sip:alice@>;tag=1\r\n"), Fault::BadFrom},
      {"To URI without host", invite_with(kTo, "To: <sip:bob@>\r\n"), Fault::BadTo},
      {"in a dialog, a bad From URI is not read",
       join({"BYE sip:bob@biloxi.com SIP/2.0\r\n", kVia, "To: <sip:bob@biloxi.com>;tag=b\r\n",
             "From: <sip:alice@>;tag=1\r\n", kCallId, "CSeq: 2 BYE\r\n", kLength}),
       Fault::None},
      {"in a dialog, a bad To URI is not read",
       join({"BYE sip:bob@biloxi.com SIP/2.0\r\n", kVia, "To: <sip:bob@999.1.1.1>;tag=b\r\n", kFrom, kCallId,
             "CSeq: 2 BYE\r\n", kLength}),
       Fault::None},
      {"in a dialog, their framing is",
       join({"BYE sip:bob@biloxi.com SIP/2.0\r\n", kVia, "To: <sip:bob@biloxi.com>;tag=b\r\n",
             "From: <sip:alice@atlanta.com;tag=1\r\n", kCallId, "CSeq: 2 BYE\r\n", kLength}),
       Fault::BadFrom},
      {"Call-ID with a space", invite_with(kCallId, "Call-ID: a b\r\n"), Fault::BadCallId},
      {"Call-ID with two @", invite_with(kCallId, "Call-ID: a@b@c\r\n"), Fault::BadCallId},
      {"bad Call-ID wins over bad Request-URI",
       join({"INVITE sip: SIP/2.0\r\n", kVia, kTo, kFrom, "Call-ID: @\r\n", kCSeq}), Fault::BadCallId},

      {"Request-URI without host", invite_with(kInviteLine, "INVITE sip: SIP/2.0\r\n"), Fault::BadRequestUri},
      {"Request-URI in brackets", invite_with(kInviteLine, "INVITE <sip:bob@biloxi.com> SIP/2.0\r\n"),
       Fault::BadRequestUri},
      {"http Request-URI", invite_with(kInviteLine, "INVITE http://biloxi.com/bob SIP/2.0\r\n"),
       Fault::UnsupportedUriScheme},
      {"mailto Request-URI", invite_with(kInviteLine, "INVITE mailto:bob@biloxi.com SIP/2.0\r\n"),
       Fault::UnsupportedUriScheme},
  };
}

constexpr std::string_view k200 = "SIP/2.0 200 OK\r\n";

std::vector<Case> response_cases() {
  return {
      {"well-formed 200", join({k200, kVia, kTo, kFrom, kCallId, kCSeq, kLength}), Fault::None},
      {"response with lower-case version", join({"sip/2.0 180 Ringing\r\n", kVia, kTo, kFrom, kCallId, kCSeq}),
       Fault::None},
      {"response missing Via", join({k200, kTo, kFrom, kCallId, kCSeq}), Fault::MissingVia},
      {"response missing From", join({k200, kVia, kTo, kCallId, kCSeq}), Fault::MissingFrom},
      {"response missing To", join({k200, kVia, kFrom, kCallId, kCSeq}), Fault::MissingTo},
      {"response missing Call-ID", join({k200, kVia, kTo, kFrom, kCSeq}), Fault::MissingCallId},
      {"response missing CSeq", join({k200, kVia, kTo, kFrom, kCallId}), Fault::MissingCSeq},
      {"response CSeq without method", join({k200, kVia, kTo, kFrom, kCallId, "CSeq: 1\r\n"}), Fault::BadCSeq},
      {"response CSeq 2**31", join({k200, kVia, kTo, kFrom, kCallId, "CSeq: 2147483648 BYE\r\n"}),
       Fault::BadCSeqNumber},
      {"response bad CSeq wins over bad version",
       join({"SIP/1.0 200 OK\r\n", kVia, kTo, kFrom, kCallId, "CSeq: x\r\n"}), Fault::BadCSeq},
      {"response SIP/1.0", join({"SIP/1.0 200 OK\r\n", kVia, kTo, kFrom, kCallId, kCSeq}), Fault::BadSipVersion},
      {"response duplicate To", join({k200, kVia, kTo, kTo, kFrom, kCallId, kCSeq}), Fault::DuplicateTo},
  };
}

void expect_cases(const std::vector<Case>& cases) {
  HandScanner scanner;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Message msg;
    const ScanResult r = scanner.scan(c.text, Framing::Datagram, msg);
    ASSERT_EQ(r.status, ScanStatus::Complete) << fault_name(r.fault);
    EXPECT_EQ(fault_name(validate(msg)), fault_name(c.want));
  }
}

TEST(Validate, ReportsTheFirstRequestFaultInDocumentedOrder) { expect_cases(request_cases()); }

TEST(Validate, ReportsTheFirstResponseFaultInDocumentedOrder) { expect_cases(response_cases()); }

// The scanners already refuse disagreeing Content-Length headers while framing, so this message is
// indexed by hand, as a scanner that frames differently (or a rewrite) could hand it over.
Message with_content_lengths(std::string_view text, std::string_view first, std::string_view second) {
  Message msg;
  msg.reset(text);
  auto span_of = [&](std::string_view needle, size_t from = 0) {
    const size_t off = text.find(needle, from);
    return Span{static_cast<uint32_t>(off), static_cast<uint32_t>(needle.size())};
  };
  msg.set_request(span_of("INVITE"), Method::Invite, span_of("sip:bob@biloxi.com"), span_of("SIP/2.0"));
  msg.add_header(HeaderId::Via, span_of("Via"), span_of("SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds"));
  msg.add_header(HeaderId::To, span_of("To"), span_of("<sip:bob@biloxi.com>"));
  msg.add_header(HeaderId::From, span_of("From"), span_of("<sip:alice@atlanta.com>;tag=1"));
  msg.add_header(HeaderId::CallId, span_of("Call-ID"), span_of("a84b4c76e66710"));
  msg.add_header(HeaderId::CSeq, span_of("CSeq"), span_of("1 INVITE"));
  const Span l1 = span_of("Content-Length");
  msg.add_header(HeaderId::ContentLength, l1, span_of(first, l1.end()));
  const Span l2 = span_of("l:");
  msg.add_header(HeaderId::ContentLength, Span{l2.off, 1}, span_of(second, l2.end()));
  return msg;
}

constexpr std::string_view kTwoLengths =
    "INVITE sip:bob@biloxi.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds\r\n"
    "To: <sip:bob@biloxi.com>\r\n"
    "From: <sip:alice@atlanta.com>;tag=1\r\n"
    "Call-ID: a84b4c76e66710\r\n"
    "CSeq: 1 INVITE\r\n"
    "Content-Length: 0\r\n"
    "l: 4\r\n"
    "l: 04\r\n"
    "l: x\r\n"
    "\r\n";

TEST(Validate, DisagreeingContentLengthsAreConflicting) {
  Message msg = with_content_lengths(kTwoLengths, "0", "4");
  EXPECT_EQ(fault_name(validate(msg)), fault_name(Fault::ConflictingContentLength));
}

TEST(Validate, ContentLengthsCompareByNumericValue) {
  Message msg = with_content_lengths(kTwoLengths, "4", "04");
  EXPECT_EQ(fault_name(validate(msg)), fault_name(Fault::None));
}

TEST(Validate, NonNumericContentLengthIsBadContentLength) {
  Message msg = with_content_lengths(kTwoLengths, "4", "x");
  EXPECT_EQ(fault_name(validate(msg)), fault_name(Fault::BadContentLength));
}

TEST(Validate, UnsupportedSchemeAnswersWith416) {
  HandScanner scanner;
  Message msg;
  const std::string text = invite_with(kInviteLine, "INVITE http://biloxi.com/bob SIP/2.0\r\n");
  ASSERT_EQ(scanner.scan(text, Framing::Datagram, msg).status, ScanStatus::Complete);
  const Fault f = validate(msg);
  EXPECT_EQ(fault_status(f), 416);
  EXPECT_EQ(fault_reason(f), "Unsupported URI Scheme");
}

}  // namespace
}  // namespace sipedge::parser
