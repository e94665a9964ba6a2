// tests/parser/rewriter_test.cc — pins parser/rewriter.cc: exact output bytes for every edit kind a
// proxy or B2BUA makes (Via / Record-Route on top, Contact and Request-URI rewrites, SDP c=/m=
// anchoring, header deletion), Content-Length recomputation, and every refusal.
#include "tests/parser/seed_corpus.h"
#include "parser/rewriter.h"

#include <gtest/gtest.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "parser/scanner_hand.h"

namespace sipedge::parser {
namespace {

constexpr std::string_view kSdp =
    "v=0\r\n"
    "o=alice 2890844526 2890844526 IN IP4 192.168.1.10\r\n"
    "s=-\r\n"
    "c=IN IP4 192.168.1.10\r\n"
    "t=0 0\r\n"
    "m=audio 49170 RTP/AVP 0 8\r\n"
    "a=rtpmap:0 PCMU/8000\r\n";

constexpr std::string_view kInvite =
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bK776asdhds\r\n"
    "Max-Forwards: 70\r\n"
    "To: Bob <sip:bob@biloxi.example.com>\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Contact: <sip:alice@192.168.1.10:5060>\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 140\r\n"
    "\r\n"
    "v=0\r\n"
    "o=alice 2890844526 2890844526 IN IP4 192.168.1.10\r\n"
    "s=-\r\n"
    "c=IN IP4 192.168.1.10\r\n"
    "t=0 0\r\n"
    "m=audio 49170 RTP/AVP 0 8\r\n"
    "a=rtpmap:0 PCMU/8000\r\n";

constexpr std::string_view kBye =
    "BYE sip:alice@192.168.1.10:5060 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKnashds7\r\n"
    "From: <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n"
    "To: <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710\r\n"
    "CSeq: 231 BYE\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

// A folded Subject, a folded Via and a header with an empty value.
constexpr std::string_view kFolded =
    "OPTIONS sip:carol@chicago.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP pc33.atlanta.example.com\r\n"
    "  ;branch=z9hG4bKhjhs8ass877\r\n"
    "Subject: lunch\r\n"
    "\tat noon\r\n"
    "To: <sip:carol@chicago.example.com>\r\n"
    "X-Empty:\r\n"
    "Call-ID: 1234\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

// Compact forms (RFC 3261 §7.3.3) and bare-LF line ends, as some UAs send them.
constexpr std::string_view kCompactLf =
    "MESSAGE sip:user2@domain.example SIP/2.0\n"
    "v: SIP/2.0/UDP 10.1.1.1;branch=z9hG4bK776sgdkse\n"
    "f: <sip:user1@domain.example>;tag=49583\n"
    "t: <sip:user2@domain.example>\n"
    "i: asd88asd77a@1.2.3.4\n"
    "CSeq: 1 MESSAGE\n"
    "c: text/plain\n"
    "l: 4\n"
    "\n"
    "ping";

constexpr std::string_view kResponse =
    "SIP/2.0 200 OK\r\n"
    "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKpx1\r\n"
    "Via: SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bK776asdhds\r\n"
    "To: <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n"
    "From: <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710\r\n"
    "CSeq: 314159 INVITE\r\n"
    "\r\n";

// A scanned message with its own copy of the bytes (the Message points into them).
struct Scanned {
  std::string bytes;
  std::unique_ptr<Message> msg = std::make_unique<Message>();
  const HeaderField& header(unsigned i) const { return msg->headers()[i]; }
};

std::unique_ptr<Scanned> scan(std::string_view text) {
  auto s = std::make_unique<Scanned>();
  s->bytes = std::string(text);
  ScanResult r = HandScanner{}.scan(s->bytes, Framing::Datagram, *s->msg);
  EXPECT_EQ(r.status, ScanStatus::Complete) << fault_name(r.fault);
  return s;
}

// Offset of `needle` in the message (first occurrence at or after `from`), as a Span.
Span span_of(const Scanned& s, std::string_view needle, uint32_t from = 0) {
  size_t at = s.bytes.find(needle, from);
  EXPECT_NE(at, std::string::npos) << needle;
  return Span{static_cast<uint32_t>(at), static_cast<uint32_t>(needle.size())};
}

// Applies the edits four ways (flat buffer of the exact size, 7-byte chain, rewritten_size, a buffer
// apply_sized asks for) and checks they agree and that the output scans again with a matching
// Content-Length.
std::string rewrite(const Scanned& s, const EditList& edits) {
  auto size = rewritten_size(*s.msg, edits);
  EXPECT_TRUE(size.ok()) << rewrite_error_name(size.error());
  if (!size.ok()) return {};
  std::string out(*size, '\0');
  auto n = apply(*s.msg, edits, out);
  EXPECT_TRUE(n.ok());
  if (!n.ok()) return {};
  EXPECT_EQ(*n, *size);

  std::vector<std::array<char, 7>> segs((*size + 6) / 7 + 1);
  std::vector<std::span<char>> chain;
  for (auto& seg : segs) chain.emplace_back(seg);
  auto c = apply_chain(*s.msg, edits, chain);
  EXPECT_TRUE(c.ok());
  std::string joined;
  for (auto& seg : segs) joined.append(seg.data(), seg.size());
  EXPECT_EQ(joined.substr(0, *size), out);

  std::string sized;
  auto sized_n = apply_sized(*s.msg, edits, [](void* ctx, uint32_t want) {
    auto& text = *static_cast<std::string*>(ctx);
    text.assign(want, '#');
    return text.data();
  }, &sized);
  EXPECT_TRUE(sized_n.ok());
  EXPECT_EQ(sized, out);
  std::string unused;
  auto no_room = apply_sized(*s.msg, edits, [](void*, uint32_t) -> char* { return nullptr; }, &unused);
  EXPECT_FALSE(no_room.ok());
  if (!no_room.ok()) {
    EXPECT_EQ(no_room.error(), RewriteError::OutputTooSmall);
  }

  Message again;
  ScanResult r = HandScanner{}.scan(out, Framing::Datagram, again);
  EXPECT_EQ(r.status, ScanStatus::Complete) << fault_name(r.fault);
  if (again.content_length() >= 0) {
    EXPECT_EQ(again.content_length(), static_cast<int64_t>(again.body().size()));
    EXPECT_EQ(again.size(), out.size());
  }
  return out;
}

RewriteError refusal(const Scanned& s, const EditList& edits) {
  std::array<char, 4096> out;
  auto n = apply(*s.msg, edits, out);
  EXPECT_FALSE(n.ok());
  auto size = rewritten_size(*s.msg, edits);
  EXPECT_FALSE(size.ok());
  bool asked = false;
  auto sized = apply_sized(*s.msg, edits, [](void* ctx, uint32_t) -> char* {
    *static_cast<bool*>(ctx) = true;
    return nullptr;
  }, &asked);
  EXPECT_FALSE(asked) << "a refused list asks for no buffer";
  EXPECT_FALSE(sized.ok());
  if (n.ok() || size.ok() || sized.ok()) return RewriteError::None;
  EXPECT_EQ(n.error(), size.error());
  EXPECT_EQ(sized.error(), size.error());
  return n.error();
}

TEST(Rewriter, NoEditsReproducesEveryMessageByteForByte) {
  EditList none;
  for (std::string_view text : {kInvite, kBye, kFolded, kCompactLf, kResponse}) {
    auto s = scan(text);
    EXPECT_EQ(rewrite(*s, none), text);
  }
}

TEST(Rewriter, NoEditsDropsKeepalivesAndDatagramJunkAfterTheBody) {
  auto s = scan(std::string("\r\n\r\n") + std::string(kCompactLf) + "JUNK");
  EXPECT_EQ(rewrite(*s, EditList{}), kCompactLf);
}

TEST(Rewriter, ProxyAddsViaAndRecordRouteOnTop) {
  auto s = scan(kBye);
  EditList e;
  ASSERT_TRUE(e.prepend_header("Via", "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKpx1"));
  ASSERT_TRUE(e.prepend_header("Record-Route", "<sip:192.0.2.1;lr>"));
  EXPECT_EQ(rewrite(*s, e),
            "BYE sip:alice@192.168.1.10:5060 SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKpx1\r\n"
            "Record-Route: <sip:192.0.2.1;lr>\r\n"
            "Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKnashds7\r\n"
            "From: <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n"
            "To: <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
            "Call-ID: a84b4c76e66710\r\n"
            "CSeq: 231 BYE\r\n"
            "Content-Length: 0\r\n"
            "\r\n");
}

TEST(Rewriter, RewritesContactUriAndRequestUri) {
  auto s = scan(kInvite);
  const HeaderField* contact = s->msg->find(HeaderId::Contact);
  ASSERT_NE(contact, nullptr);
  Span uri = span_of(*s, "sip:alice@192.168.1.10:5060", contact->value.off);
  EditList e;
  ASSERT_TRUE(e.replace(uri, "sip:alice@198.51.100.7:31000"));
  ASSERT_TRUE(e.replace(s->msg->request_uri_span(), "sip:bob@10.0.0.2"));
  std::string out = rewrite(*s, e);
  EXPECT_EQ(out,
            "INVITE sip:bob@10.0.0.2 SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bK776asdhds\r\n"
            "Max-Forwards: 70\r\n"
            "To: Bob <sip:bob@biloxi.example.com>\r\n"
            "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
            "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
            "CSeq: 314159 INVITE\r\n"
            "Contact: <sip:alice@198.51.100.7:31000>\r\n"
            "Content-Type: application/sdp\r\n"
            "Content-Length: 140\r\n"
            "\r\n" +
                std::string(kSdp));
}

TEST(Rewriter, ReplaceBodyRecomputesContentLength) {
  auto s = scan(kInvite);
  constexpr std::string_view kAnchored =
      "v=0\r\n"
      "o=sipedge 1 1 IN IP4 203.0.113.5\r\n"
      "s=-\r\n"
      "c=IN IP4 203.0.113.5\r\n"
      "t=0 0\r\n"
      "m=audio 30000 RTP/AVP 0\r\n";
  EditList e;
  ASSERT_TRUE(e.replace_body(kAnchored));
  EXPECT_EQ(rewrite(*s, e),
            "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bK776asdhds\r\n"
            "Max-Forwards: 70\r\n"
            "To: Bob <sip:bob@biloxi.example.com>\r\n"
            "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
            "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
            "CSeq: 314159 INVITE\r\n"
            "Contact: <sip:alice@192.168.1.10:5060>\r\n"
            "Content-Type: application/sdp\r\n"
            "Content-Length: 98\r\n"
            "\r\n" +
                std::string(kAnchored));
}

TEST(Rewriter, ReplaceInsideBodyRewritesConnectionAndPortAndContentLength) {
  auto s = scan(kInvite);
  const uint32_t body = s->msg->body_span().off;
  Span c_addr = span_of(*s, "192.168.1.10", span_of(*s, "c=IN IP4 ", body).off);
  Span m_port = span_of(*s, "49170", body);
  EditList e;
  ASSERT_TRUE(e.replace(m_port, "30000"));  // added out of order on purpose
  ASSERT_TRUE(e.replace(c_addr, "203.0.113.5"));
  EXPECT_EQ(rewrite(*s, e),
            "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bK776asdhds\r\n"
            "Max-Forwards: 70\r\n"
            "To: Bob <sip:bob@biloxi.example.com>\r\n"
            "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
            "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
            "CSeq: 314159 INVITE\r\n"
            "Contact: <sip:alice@192.168.1.10:5060>\r\n"
            "Content-Type: application/sdp\r\n"
            "Content-Length: 139\r\n"
            "\r\n"
            "v=0\r\n"
            "o=alice 2890844526 2890844526 IN IP4 192.168.1.10\r\n"
            "s=-\r\n"
            "c=IN IP4 203.0.113.5\r\n"
            "t=0 0\r\n"
            "m=audio 30000 RTP/AVP 0 8\r\n"
            "a=rtpmap:0 PCMU/8000\r\n");
}

TEST(Rewriter, CompactContentLengthStaysCompactAndBareLfLinesStay) {
  auto s = scan(kCompactLf);
  EditList e;
  ASSERT_TRUE(e.replace_body("pong!"));
  ASSERT_TRUE(e.append_header("Record-Route", "<sip:192.0.2.1;lr>"));
  EXPECT_EQ(rewrite(*s, e),
            "MESSAGE sip:user2@domain.example SIP/2.0\n"
            "v: SIP/2.0/UDP 10.1.1.1;branch=z9hG4bK776sgdkse\n"
            "f: <sip:user1@domain.example>;tag=49583\n"
            "t: <sip:user2@domain.example>\n"
            "i: asd88asd77a@1.2.3.4\n"
            "CSeq: 1 MESSAGE\n"
            "c: text/plain\n"
            "l: 5\n"
            "Record-Route: <sip:192.0.2.1;lr>\r\n"
            "\n"
            "pong!");
}

TEST(Rewriter, BodyEditWithoutContentLengthAddsOneAsLastHeader) {
  auto s = scan(
      "MESSAGE sip:b@example.com SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 10.1.1.1;branch=z9hG4bK1\r\n"
      "Call-ID: x1\r\n"
      "\r\n"
      "hello");
  EditList e;
  ASSERT_TRUE(e.replace(span_of(*s, "hello"), "hi"));
  ASSERT_TRUE(e.append_header("X-Tag", "1"));
  EXPECT_EQ(rewrite(*s, e),
            "MESSAGE sip:b@example.com SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 10.1.1.1;branch=z9hG4bK1\r\n"
            "Call-ID: x1\r\n"
            "X-Tag: 1\r\n"
            "Content-Length: 2\r\n"
            "\r\n"
            "hi");
}

TEST(Rewriter, NoContentLengthAndUntouchedBodyAddsNone) {
  auto s = scan(
      "MESSAGE sip:b@example.com SIP/2.0\r\n"
      "Call-ID: x1\r\n"
      "\r\n"
      "hello");
  EditList e;
  ASSERT_TRUE(e.append_header("X-Tag", "1"));
  EXPECT_EQ(rewrite(*s, e),
            "MESSAGE sip:b@example.com SIP/2.0\r\n"
            "Call-ID: x1\r\n"
            "X-Tag: 1\r\n"
            "\r\n"
            "hello");
}

TEST(Rewriter, DeletesHeaderWithItsFoldedContinuation) {
  auto s = scan(kFolded);
  EditList e;
  ASSERT_TRUE(e.delete_header(*s->msg->find(HeaderId::Subject)));
  ASSERT_TRUE(e.delete_header(*s->msg->find(HeaderId::Via)));
  EXPECT_EQ(rewrite(*s, e),
            "OPTIONS sip:carol@chicago.example.com SIP/2.0\r\n"
            "To: <sip:carol@chicago.example.com>\r\n"
            "X-Empty:\r\n"
            "Call-ID: 1234\r\n"
            "Content-Length: 0\r\n"
            "\r\n");
}

TEST(Rewriter, InsertAfterFoldedHeaderGoesAfterItsContinuation) {
  auto s = scan(kFolded);
  EditList e;
  ASSERT_TRUE(e.insert_header_after(*s->msg->find(HeaderId::Via), "Max-Forwards", "69"));
  ASSERT_TRUE(e.insert_header_before(*s->msg->find(HeaderId::To), "Priority", "urgent"));
  ASSERT_TRUE(e.insert_header_after(*s->msg->find_by_name("X-Empty"), "X-Also-Empty", ""));
  EXPECT_EQ(rewrite(*s, e),
            "OPTIONS sip:carol@chicago.example.com SIP/2.0\r\n"
            "Via: SIP/2.0/UDP pc33.atlanta.example.com\r\n"
            "  ;branch=z9hG4bKhjhs8ass877\r\n"
            "Max-Forwards: 69\r\n"
            "Subject: lunch\r\n"
            "\tat noon\r\n"
            "Priority: urgent\r\n"
            "To: <sip:carol@chicago.example.com>\r\n"
            "X-Empty:\r\n"
            "X-Also-Empty:\r\n"
            "Call-ID: 1234\r\n"
            "Content-Length: 0\r\n"
            "\r\n");
}

TEST(Rewriter, ReplacesAFoldedValueAsOneLine) {
  auto s = scan(kFolded);
  EditList e;
  ASSERT_TRUE(e.replace(s->msg->find(HeaderId::Subject)->value, "dinner"));
  EXPECT_EQ(rewrite(*s, e),
            "OPTIONS sip:carol@chicago.example.com SIP/2.0\r\n"
            "Via: SIP/2.0/UDP pc33.atlanta.example.com\r\n"
            "  ;branch=z9hG4bKhjhs8ass877\r\n"
            "Subject: dinner\r\n"
            "To: <sip:carol@chicago.example.com>\r\n"
            "X-Empty:\r\n"
            "Call-ID: 1234\r\n"
            "Content-Length: 0\r\n"
            "\r\n");
}

TEST(Rewriter, InsertsAtFirstAndLastHeader) {
  auto s = scan(kResponse);
  auto headers = s->msg->headers();
  EditList e;
  ASSERT_TRUE(e.insert_header_after(headers.back(), "Server", "sipedge"));
  ASSERT_TRUE(e.append_header("Content-Length", "0"));
  ASSERT_TRUE(e.insert_header_before(headers.front(), "X-First", "1"));
  ASSERT_TRUE(e.delete_header(headers.front()));  // the top Via goes, as a proxy does on a response
  EXPECT_EQ(rewrite(*s, e),
            "SIP/2.0 200 OK\r\n"
            "X-First: 1\r\n"
            "Via: SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bK776asdhds\r\n"
            "To: <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n"
            "From: <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
            "Call-ID: a84b4c76e66710\r\n"
            "CSeq: 314159 INVITE\r\n"
            "Server: sipedge\r\n"
            "Content-Length: 0\r\n"
            "\r\n");
}

TEST(Rewriter, InsertionsAtOnePositionKeepTheOrderTheyWereAdded) {
  auto s = scan(kBye);
  const HeaderField& from = *s->msg->find(HeaderId::From);
  const HeaderField& via = *s->msg->find(HeaderId::Via);
  EditList e;
  ASSERT_TRUE(e.insert_header_before(from, "X-A", "1"));
  ASSERT_TRUE(e.insert_header_after(via, "X-B", "2"));
  ASSERT_TRUE(e.insert_header_before(from, "X-C", "3"));
  std::string out = rewrite(*s, e);
  EXPECT_NE(out.find("z9hG4bKnashds7\r\nX-A: 1\r\nX-B: 2\r\nX-C: 3\r\nFrom: "), std::string::npos) << out;
}

TEST(Rewriter, B2buaRewritesManyThingsInOnePass) {
  auto s = scan(kInvite);
  const Message& m = *s->msg;
  const uint32_t body = m.body_span().off;
  EditList e;
  ASSERT_TRUE(e.replace(span_of(*s, "49170", body), "40002"));
  ASSERT_TRUE(e.delete_header(*m.find(HeaderId::Via)));
  ASSERT_TRUE(e.prepend_header("Via", "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKb2b1"));
  ASSERT_TRUE(e.replace(m.find(HeaderId::CallId)->value, "b2b-7f3a"));
  ASSERT_TRUE(e.replace(span_of(*s, "1928301774"), "b2btag1"));
  ASSERT_TRUE(e.replace(span_of(*s, "192.168.1.10:5060", m.find(HeaderId::Contact)->value.off), "10.0.0.1:5060"));
  ASSERT_TRUE(e.replace(span_of(*s, "192.168.1.10", span_of(*s, "c=", body).off), "10.0.0.1"));
  ASSERT_TRUE(e.replace(span_of(*s, "192.168.1.10", span_of(*s, "o=", body).off), "10.0.0.1"));
  ASSERT_TRUE(e.replace(m.find(HeaderId::MaxForwards)->value, "69"));
  EXPECT_EQ(rewrite(*s, e),
            "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKb2b1\r\n"
            "Max-Forwards: 69\r\n"
            "To: Bob <sip:bob@biloxi.example.com>\r\n"
            "From: Alice <sip:alice@atlanta.example.com>;tag=b2btag1\r\n"
            "Call-ID: b2b-7f3a\r\n"
            "CSeq: 314159 INVITE\r\n"
            "Contact: <sip:alice@10.0.0.1:5060>\r\n"
            "Content-Type: application/sdp\r\n"
            "Content-Length: 132\r\n"
            "\r\n"
            "v=0\r\n"
            "o=alice 2890844526 2890844526 IN IP4 10.0.0.1\r\n"
            "s=-\r\n"
            "c=IN IP4 10.0.0.1\r\n"
            "t=0 0\r\n"
            "m=audio 40002 RTP/AVP 0 8\r\n"
            "a=rtpmap:0 PCMU/8000\r\n");
}

TEST(Rewriter, DuplicateContentLengthsAllFollowTheBody) {
  auto s = scan(
      "MESSAGE sip:b@example.com SIP/2.0\r\n"
      "Content-Length: 5\r\n"
      "l: 5\r\n"
      "\r\n"
      "hello");
  EditList e;
  ASSERT_TRUE(e.replace_body("hello, world"));
  EXPECT_EQ(rewrite(*s, e),
            "MESSAGE sip:b@example.com SIP/2.0\r\n"
            "Content-Length: 12\r\n"
            "l: 12\r\n"
            "\r\n"
            "hello, world");
}

TEST(Rewriter, ContentLengthWithLeadingZerosIsKeptWhileItsNumberIsRight) {
  auto s = scan(
      "MESSAGE sip:b@example.com SIP/2.0\r\n"
      "l: 0004\r\n"
      "\r\n"
      "ping");
  EditList e;
  ASSERT_TRUE(e.append_header("X-A", "1"));
  EXPECT_EQ(rewrite(*s, e),
            "MESSAGE sip:b@example.com SIP/2.0\r\n"
            "l: 0004\r\n"
            "X-A: 1\r\n"
            "\r\n"
            "ping");
  e.clear();
  ASSERT_TRUE(e.replace_body("pong"));
  EXPECT_EQ(rewrite(*s, e),
            "MESSAGE sip:b@example.com SIP/2.0\r\n"
            "l: 0004\r\n"
            "\r\n"
            "pong");
}

TEST(Rewriter, ManyDuplicateContentLengthsAllFollowTheBody) {
  std::string in = "MESSAGE sip:b@example.com SIP/2.0\r\n";
  std::string expected = in;
  for (int i = 0; i < 40; ++i) {
    in += "Content-Length: 2\r\n";
    expected += "Content-Length: 3\r\n";
  }
  in += "\r\nhi";
  expected += "\r\nhey";
  auto s = scan(in);
  EditList e;
  ASSERT_TRUE(e.replace_body("hey"));
  EXPECT_EQ(rewrite(*s, e), expected);
}

TEST(Rewriter, DeletedContentLengthIsAddedBackAtTheEnd) {
  auto s = scan(kInvite);
  EditList e;
  ASSERT_TRUE(e.delete_header(*s->msg->find(HeaderId::ContentLength)));
  ASSERT_TRUE(e.delete_header(*s->msg->find(HeaderId::ContentType)));
  ASSERT_TRUE(e.replace_body(""));
  EXPECT_EQ(rewrite(*s, e),
            "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bK776asdhds\r\n"
            "Max-Forwards: 70\r\n"
            "To: Bob <sip:bob@biloxi.example.com>\r\n"
            "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
            "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
            "CSeq: 314159 INVITE\r\n"
            "Contact: <sip:alice@192.168.1.10:5060>\r\n"
            "Content-Length: 0\r\n"
            "\r\n");
}

TEST(Rewriter, AddsBodyToAMessageThatHadNone) {
  auto s = scan(kBye);
  EditList e;
  ASSERT_TRUE(e.replace_body("x=1\r\n"));
  ASSERT_TRUE(e.insert_header_before(*s->msg->find(HeaderId::ContentLength), "Content-Type", "text/plain"));
  EXPECT_EQ(rewrite(*s, e),
            "BYE sip:alice@192.168.1.10:5060 SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKnashds7\r\n"
            "From: <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n"
            "To: <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
            "Call-ID: a84b4c76e66710\r\n"
            "CSeq: 231 BYE\r\n"
            "Content-Type: text/plain\r\n"
            "Content-Length: 5\r\n"
            "\r\n"
            "x=1\r\n");
}

TEST(Rewriter, RefusesOverlappingEdits) {
  auto s = scan(kInvite);
  const Message& m = *s->msg;
  {
    EditList e;
    ASSERT_TRUE(e.replace(Span{10, 5}, "a"));
    ASSERT_TRUE(e.replace(Span{14, 3}, "b"));
    EXPECT_EQ(refusal(*s, e), RewriteError::Overlap);
  }
  {
    EditList e;
    ASSERT_TRUE(e.replace(Span{10, 5}, "a"));
    ASSERT_TRUE(e.replace(Span{10, 5}, "b"));
    EXPECT_EQ(refusal(*s, e), RewriteError::Overlap);
  }
  {
    EditList e;  // a value rewrite inside a deleted header
    ASSERT_TRUE(e.delete_header(*m.find(HeaderId::Contact)));
    ASSERT_TRUE(e.replace(span_of(*s, "alice@192", m.find(HeaderId::Contact)->value.off), "x"));
    EXPECT_EQ(refusal(*s, e), RewriteError::Overlap);
  }
  {
    EditList e;  // the whole body and a part of it
    ASSERT_TRUE(e.replace_body("v=0\r\n"));
    ASSERT_TRUE(e.replace(span_of(*s, "49170"), "1"));
    EXPECT_EQ(refusal(*s, e), RewriteError::Overlap);
  }
  {
    EditList e;  // Content-Length belongs to the rewriter
    ASSERT_TRUE(e.replace(m.find(HeaderId::ContentLength)->value, "140"));
    EXPECT_EQ(refusal(*s, e), RewriteError::Overlap);
  }
  {
    EditList e;  // same header deleted twice
    ASSERT_TRUE(e.delete_header(*m.find(HeaderId::To)));
    ASSERT_TRUE(e.delete_header(*m.find(HeaderId::To)));
    EXPECT_EQ(refusal(*s, e), RewriteError::Overlap);
  }
}

TEST(Rewriter, ZeroLengthReplaceAtARangeStartIsAnInsertionBeforeIt) {
  auto s = scan(kBye);
  Span tag = span_of(*s, "a6c85cf");
  EditList e;
  ASSERT_TRUE(e.replace(tag, "zz"));
  ASSERT_TRUE(e.replace(Span{tag.off, 0}, "yy-"));
  std::string out = rewrite(*s, e);
  EXPECT_NE(out.find("From: <sip:bob@biloxi.example.com>;tag=yy-zz\r\n"), std::string::npos) << out;
}

TEST(Rewriter, RefusesOutputBufferTooSmallAndFitsTheExactSize) {
  auto s = scan(kBye);
  EditList e;
  ASSERT_TRUE(e.prepend_header("Via", "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKx"));
  auto size = rewritten_size(*s->msg, e);
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, kBye.size() + 44);
  std::string out(*size - 1, '#');
  auto n = apply(*s->msg, e, out);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.error(), RewriteError::OutputTooSmall);
  EXPECT_EQ(out, std::string(*size - 1, '#'));  // nothing written

  std::vector<char> a(20), b(20);
  std::array<std::span<char>, 2> chain{std::span<char>(a), std::span<char>(b)};
  auto c = apply_chain(*s->msg, e, chain);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error(), RewriteError::OutputTooSmall);

  out.assign(*size, '#');
  n = apply(*s->msg, e, out);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, *size);
  EXPECT_EQ(out.substr(0, 85),
            "BYE sip:alice@192.168.1.10:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKx\r\n");
}

TEST(Rewriter, ChainOutputFillsEachSegmentBeforeTheNext) {
  auto s = scan(kBye);
  std::vector<char> a(100), b(50), c(1000);
  std::array<std::span<char>, 3> chain{std::span<char>(a), std::span<char>(b), std::span<char>(c)};
  auto n = apply_chain(*s->msg, EditList{}, chain);
  ASSERT_TRUE(n.ok());
  ASSERT_EQ(*n, kBye.size());
  EXPECT_EQ(std::string_view(a.data(), 100), kBye.substr(0, 100));
  EXPECT_EQ(std::string_view(b.data(), 50), kBye.substr(100, 50));
  EXPECT_EQ(std::string_view(c.data(), kBye.size() - 150), kBye.substr(150));
}

TEST(Rewriter, EditListRefusesTheEditAfterItsCapacity) {
  auto s = scan(kBye);
  EditList e;
  for (unsigned i = 0; i < EditList::kCapacity; ++i) ASSERT_TRUE(e.append_header("X-N", "1"));
  EXPECT_FALSE(e.append_header("X-N", "1"));
  EXPECT_EQ(e.size(), EditList::kCapacity);
  EXPECT_EQ(e.error(), RewriteError::TooManyEdits);
  EXPECT_EQ(refusal(*s, e), RewriteError::TooManyEdits);
  e.clear();
  EXPECT_EQ(e.error(), RewriteError::None);
  EXPECT_TRUE(e.empty());
}

TEST(Rewriter, RefusesHeaderTextThatIsNotOneHeaderLine) {
  auto s = scan(kBye);
  for (auto [name, value] : std::initializer_list<std::pair<std::string_view, std::string_view>>{
           {"", "x"}, {"X Y", "x"}, {"X:", "x"}, {"X-Ok", "a\r\nVia: evil"}, {"X-Ok", "a\nb"}, {"X-Ok", std::string_view("a\0b", 3)}}) {
    EditList e;
    EXPECT_FALSE(e.append_header(name, value)) << name << value;
    EXPECT_EQ(e.size(), 0u);
    EXPECT_EQ(refusal(*s, e), RewriteError::BadHeaderText);
  }
}

// The line-break check reads sixteen bytes a step: a CR, LF or NUL is found at every position of
// texts around and past that width, and a text without one passes.
TEST(Rewriter, FindsALineBreakAnywhereInALongHeaderText) {
  auto s = scan(kBye);
  for (size_t len : {1u, 15u, 16u, 17u, 31u, 32u, 33u, 70u}) {
    const std::string clean(len, 'v');
    EditList ok;
    EXPECT_TRUE(ok.append_header("X-Ok", clean)) << len;
    for (size_t at = 0; at < len; ++at) {
      for (char bad : {'\r', '\n', '\0'}) {
        std::string value = clean;
        value[at] = bad;
        EditList e;
        EXPECT_FALSE(e.append_header("X-Ok", value)) << len << " " << at << " " << int(bad);
        EXPECT_EQ(refusal(*s, e), RewriteError::BadHeaderText);
        EditList r;
        ASSERT_TRUE(r.replace(s->msg->find(HeaderId::CallId)->value, value));
        EXPECT_EQ(refusal(*s, r), RewriteError::BadText) << len << " " << at << " " << int(bad);
      }
    }
  }
}

TEST(Rewriter, RefusesReplacementsThatWouldBreakHeaderFraming) {
  auto s = scan(kBye);
  const Message& m = *s->msg;
  auto refused = [&](Span span, std::string_view text) {
    EditList e;
    EXPECT_TRUE(e.replace(span, text));
    return refusal(*s, e);
  };
  const HeaderField& call_id = *m.find(HeaderId::CallId);
  EXPECT_EQ(refused(call_id.value, "x\r\nVia: evil"), RewriteError::BadText);
  EXPECT_EQ(refused(m.request_uri_span(), std::string_view("a\0b", 3)), RewriteError::BadText);
  // Removing a line end merges two header lines.
  EXPECT_EQ(refused(Span{call_id.value.off, call_id.value.len + 3}, "x"), RewriteError::BadSpan);
  // A line must not start to look like a continuation or an empty line.
  EXPECT_EQ(refused(call_id.name, " Call-ID"), RewriteError::BadSpan);
  EXPECT_EQ(refused(Span{call_id.name.off, call_id.value.end() - call_id.name.off}, ""), RewriteError::BadSpan);
  // ... nor a continuation line start to look like a header line.
  auto folded = scan(kFolded);
  Span fold_ws = span_of(*folded, "\tat noon");
  for (auto [span, text] : std::initializer_list<std::pair<Span, std::string_view>>{
           {Span{fold_ws.off, 1}, "X"}, {Span{fold_ws.off, 0}, "X-A: 1"}, {Span{fold_ws.off, 8}, ""}}) {
    EditList e;
    ASSERT_TRUE(e.replace(span, text));
    EXPECT_EQ(refusal(*folded, e), RewriteError::BadSpan) << text;
  }
  EditList keep_fold;
  ASSERT_TRUE(keep_fold.replace(Span{fold_ws.off, 3}, "  x"));
  EXPECT_NE(rewrite(*folded, keep_fold).find("Subject: lunch\r\n  x noon\r\n"), std::string::npos);
  // Across the empty line, into it, before the message, past its end.
  EXPECT_EQ(refused(Span{m.headers_end() - 2, 4}, "x"), RewriteError::BadSpan);
  EXPECT_EQ(refused(Span{m.headers_end(), 0}, "X-A: 1"), RewriteError::BadSpan);
  EXPECT_EQ(refused(Span{m.size(), 1}, "x"), RewriteError::BadSpan);
  EXPECT_EQ(refused(Span{0xfffffff0u, 0x20}, "x"), RewriteError::BadSpan);
  auto ka = scan(std::string("\r\n") + std::string(kBye));
  EditList e;
  ASSERT_TRUE(e.replace(Span{0, 1}, "x"));
  EXPECT_EQ(refusal(*ka, e), RewriteError::BadSpan);
}

TEST(Rewriter, BodyReplacementsMayHoldAnyBytes) {
  auto s = scan(kCompactLf);
  EditList e;
  ASSERT_TRUE(e.replace(span_of(*s, "ping"), std::string_view("\r\n\0\r\n", 5)));
  EXPECT_EQ(rewrite(*s, e),
            std::string("MESSAGE sip:user2@domain.example SIP/2.0\n"
                        "v: SIP/2.0/UDP 10.1.1.1;branch=z9hG4bK776sgdkse\n"
                        "f: <sip:user1@domain.example>;tag=49583\n"
                        "t: <sip:user2@domain.example>\n"
                        "i: asd88asd77a@1.2.3.4\n"
                        "CSeq: 1 MESSAGE\n"
                        "c: text/plain\n"
                        "l: 5\n"
                        "\n") +
                std::string("\r\n\0\r\n", 5));
}

TEST(Rewriter, RefusesHeadersThatAreNotLinesOfThisMessage) {
  auto s = scan(kInvite);
  auto other = scan(kBye);
  HeaderField mid = *s->msg->find(HeaderId::Contact);
  mid.name.off += 1;  // not at a line start
  mid.name.len -= 1;
  HeaderField outside;
  outside.name = Span{s->msg->body_span().off, 3};
  for (const HeaderField& h : {mid, outside}) {
    EditList e;
    ASSERT_TRUE(e.delete_header(h));
    EXPECT_EQ(refusal(*s, e), RewriteError::BadHeader);
  }
  // A header of a longer message points past this one's header block.
  EditList e;
  ASSERT_TRUE(e.insert_header_after(*s->msg->find(HeaderId::ContentType), "X-A", "1"));
  EXPECT_EQ(refusal(*other, e), RewriteError::BadHeader);
}

TEST(Rewriter, RefusesAMessageThatWasNotScannedCompletely) {
  EXPECT_EQ(refusal(Scanned{}, EditList{}), RewriteError::BadMessage);
  Scanned reset_only;
  reset_only.bytes = std::string(kBye);
  reset_only.msg->reset(reset_only.bytes);
  EXPECT_EQ(refusal(reset_only, EditList{}), RewriteError::BadMessage);
  auto truncated = scan(kBye);  // a body span claiming more bytes than the message has
  truncated->msg->set_body(Span{truncated->msg->body_span().off, 10}, 10);
  EXPECT_EQ(refusal(*truncated, EditList{}), RewriteError::BadMessage);
}

// Every real capture of the seed call flows: unchanged without edits, and the proxy's usual edits
// (top Via, Record-Route, Max-Forwards, SDP connection address) land where expected.
TEST(Rewriter, SeedCapturesRoundTripAndTakeProxyEdits) {
  unsigned files = 0, anchored_count = 0;
  for (const testing::SeedFile& seed : testing::seed_files()) {
    ++files;
    auto s = scan(seed.bytes);
    SCOPED_TRACE(seed.name);
    EXPECT_EQ(rewrite(*s, EditList{}), s->bytes);

    const Message& m = *s->msg;
    EditList e;
    ASSERT_TRUE(e.prepend_header("Via", "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKseed"));
    if (m.is_request()) {
      ASSERT_TRUE(e.prepend_header("Record-Route", "<sip:192.0.2.1;lr>"));
    }
    if (const HeaderField* mf = m.find(HeaderId::MaxForwards)) {
      ASSERT_TRUE(e.replace(mf->value, "69"));
    }
    const size_t c_line = s->bytes.find("\r\nc=IN IP4 ", m.body_span().off);
    int64_t body_delta = 0;
    const bool anchored = m.body_span().len != 0 && c_line != std::string::npos;
    if (anchored) {
      const auto addr = static_cast<uint32_t>(c_line + 11);
      const auto addr_len = static_cast<uint32_t>(s->bytes.find("\r\n", addr) - addr);
      ASSERT_TRUE(e.replace(Span{addr, addr_len}, "203.0.113.5"));
      body_delta = 11 - static_cast<int64_t>(addr_len);
    }
    std::string out = rewrite(*s, e);
    Message again;
    ASSERT_EQ(HandScanner{}.scan(out, Framing::Datagram, again).status, ScanStatus::Complete);
    EXPECT_EQ(again.headers().size(), m.headers().size() + (m.is_request() ? 2 : 1));
    EXPECT_EQ(again.value(HeaderId::Via), "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKseed");
    EXPECT_EQ(static_cast<int64_t>(again.body().size()), static_cast<int64_t>(m.body().size()) + body_delta);
    if (m.find(HeaderId::MaxForwards) != nullptr) {
      EXPECT_EQ(again.value(HeaderId::MaxForwards), "69");
    }
    if (anchored) {
      ++anchored_count;
      EXPECT_NE(again.body().find("c=IN IP4 203.0.113.5\r\n"), std::string_view::npos);
    }
  }
  EXPECT_GE(files, 60u);
  EXPECT_GE(anchored_count, 10u);
}

TEST(Rewriter, ErrorNamesAndTextsAreDefinedForEveryError) {
  for (unsigned i = 0; i < static_cast<unsigned>(RewriteError::kCount); ++i) {
    EXPECT_FALSE(rewrite_error_name(static_cast<RewriteError>(i)).empty());
    EXPECT_FALSE(rewrite_error_text(static_cast<RewriteError>(i)).empty());
  }
  EXPECT_EQ(rewrite_error_name(RewriteError::Overlap), "Overlap");
}

}  // namespace
}  // namespace sipedge::parser
