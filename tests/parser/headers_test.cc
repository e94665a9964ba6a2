// tests/parser/headers_test.cc — pins parser/headers.cc: typed header accessors on values taken from
// real captures and the RFC examples, and the exact Fault each malformed value gets.
#include "parser/headers.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "parser/scanner_hand.h"
#include "parser/via.h"

namespace sipedge::parser {
namespace {

// ---------- CSeq (RFC 3261 §20.16) ----------

// method_from_token picks its one candidate by length and first letter. Every name maps to its
// method; the same bytes in another case, one byte short or long, or one byte changed, and tokens
// that share only a length and first letter with a name, map to Unknown.
TEST(MethodFromToken, EachNameAndNothingElse) {
  const std::pair<std::string_view, Method> names[] = {
      {"INVITE", Method::Invite},   {"ACK", Method::Ack},         {"BYE", Method::Bye},
      {"CANCEL", Method::Cancel},   {"REGISTER", Method::Register}, {"OPTIONS", Method::Options},
      {"INFO", Method::Info},       {"UPDATE", Method::Update},   {"PRACK", Method::Prack},
      {"SUBSCRIBE", Method::Subscribe}, {"NOTIFY", Method::Notify}, {"REFER", Method::Refer},
      {"MESSAGE", Method::Message}, {"PUBLISH", Method::Publish},
  };
  for (const auto& [name, method] : names) {
    EXPECT_EQ(method_from_token(name), method) << name;
    EXPECT_EQ(method_name(method), name);
    std::string lower(name);
    for (char& c : lower) c = static_cast<char>(c | 0x20);
    EXPECT_EQ(method_from_token(lower), Method::Unknown) << lower;
    EXPECT_EQ(method_from_token(name.substr(0, name.size() - 1)), Method::Unknown) << name;
    EXPECT_EQ(method_from_token(std::string(name) + "S"), Method::Unknown) << name;
    for (size_t i = 0; i < name.size(); ++i) {
      std::string changed(name);
      changed[i] = changed[i] == 'X' ? 'Y' : 'X';
      EXPECT_EQ(method_from_token(changed), Method::Unknown) << changed;
    }
  }
  for (std::string_view other : {"", "A", "IN", "INVITED", "SUBSCRIBES", "ABCDEFGHIJ", "ARK", "BEE", "IXFO",
                                 "PRANK", "ROFER", "CANCER", "NOTIFI", "OPTIONZ", "REGISTRY", "SUBSCRIPT",
                                 "@NVITE", "[NVITE", "\x80NVITE"})
    EXPECT_EQ(method_from_token(other), Method::Unknown) << other;
}

TEST(ParseCSeq, ReadsNumberAndMethod) {
  auto r = parse_cseq("49245689 INVITE");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->number, 49245689u);
  EXPECT_EQ(r->method_text, "INVITE");
  EXPECT_EQ(r->method, Method::Invite);
}

TEST(ParseCSeq, ToleratesSurroundingAndFoldedLws) {
  auto r = parse_cseq("  101\r\n\tACK ");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->number, 101u);
  EXPECT_EQ(r->method_text, "ACK");
  EXPECT_EQ(r->method, Method::Ack);
}

TEST(ParseCSeq, UnknownMethodTokenIsKeptByName) {
  auto r = parse_cseq("7 FOO-BAR");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->method_text, "FOO-BAR");
  EXPECT_EQ(r->method, Method::Unknown);
  // Methods are case-sensitive: "invite" is an extension method, not INVITE (RFC 3261 §7.1).
  auto lower = parse_cseq("7 invite");
  ASSERT_TRUE(lower.ok());
  EXPECT_EQ(lower->method, Method::Unknown);
}

TEST(ParseCSeq, LargestNumberBelowTwoToThe31IsAccepted) {
  auto r = parse_cseq("2147483647 BYE");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->number, 2147483647u);
  auto zero = parse_cseq("0 BYE");
  ASSERT_TRUE(zero.ok());
  EXPECT_EQ(zero->number, 0u);
}

TEST(ParseCSeq, NumberAtOrAboveTwoToThe31IsBadCSeqNumber) {
  for (std::string_view v : {"2147483648 INVITE", "4294967296 INVITE", "99999999999999999999999 INVITE"}) {
    auto r = parse_cseq(v);
    ASSERT_FALSE(r.ok()) << v;
    EXPECT_EQ(r.error(), Fault::BadCSeqNumber) << v;
  }
}

TEST(ParseCSeq, MalformedValuesAreBadCSeq) {
  for (std::string_view v : {"", "-1 INVITE", "1", "1 ", "INVITE", "1INVITE", "1 INVITE BYE",
                             "1 INV@ITE", "+1 INVITE", "1.5 INVITE", "0x10 INVITE"}) {
    auto r = parse_cseq(v);
    ASSERT_FALSE(r.ok()) << v;
    EXPECT_EQ(r.error(), Fault::BadCSeq) << v;
  }
}

// ---------- Max-Forwards, Expires, Min-Expires ----------

TEST(ParseMaxForwards, ReadsZeroToTwoFiftyFive) {
  EXPECT_EQ(*parse_max_forwards("70"), 70u);
  EXPECT_EQ(*parse_max_forwards(" 0 "), 0u);
  EXPECT_EQ(*parse_max_forwards("255"), 255u);
}

TEST(ParseMaxForwards, RejectsNonDigitsAndValuesAbove255) {
  for (std::string_view v : {"abc", "", "256", "70000000000000000000", "-1", "7 0", "70;x"}) {
    auto r = parse_max_forwards(v);
    ASSERT_FALSE(r.ok()) << v;
    EXPECT_EQ(r.error(), Fault::BadMaxForwards) << v;
  }
}

TEST(ParseExpires, ReadsDeltaSecondsAndSaturatesAtTwoToThe32MinusOne) {
  EXPECT_EQ(*parse_expires("3600"), 3600u);
  EXPECT_EQ(*parse_expires("0"), 0u);
  EXPECT_EQ(*parse_expires("4294967295"), 4294967295u);
  EXPECT_EQ(*parse_expires("4294967296"), 4294967295u);
  EXPECT_EQ(*parse_expires("99999999999999999999999999"), 4294967295u);
}

TEST(ParseExpires, RejectsDatesAndJunk) {
  for (std::string_view v : {"", "abc", "Thu, 01 Dec 1994 16:00:00 GMT", "3600;x=1", "-5"}) {
    auto r = parse_expires(v);
    ASSERT_FALSE(r.ok()) << v;
    EXPECT_EQ(r.error(), Fault::BadExpires) << v;
  }
}

TEST(ParseMinExpires, ReadsDeltaSecondsWithItsOwnFault) {
  EXPECT_EQ(*parse_min_expires("60"), 60u);
  auto r = parse_min_expires("sixty");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), Fault::BadMinExpires);
}

// ---------- Call-ID (RFC 3261 §20.8) ----------

TEST(ParseCallId, AcceptsWordAtWordAndReturnsItTrimmed) {
  EXPECT_EQ(*parse_call_id("a84b4c76e66710@pc33.atlanta.com"), "a84b4c76e66710@pc33.atlanta.com");
  EXPECT_EQ(*parse_call_id(" f81d4fae-7dec-11d0-a765-00a0c91e6bf6 "), "f81d4fae-7dec-11d0-a765-00a0c91e6bf6");
  EXPECT_EQ(*parse_call_id("NjA2Y2E4ZDc3M2E0{[]}<>:\"/?@[::1]"), "NjA2Y2E4ZDc3M2E0{[]}<>:\"/?@[::1]");
}

TEST(ParseCallId, RejectsEmptyPartsSecondAtAndSeparators) {
  for (std::string_view v : {"", "  ", "abc@", "@host", "a@b@c", "a b@c", "a;b", "a,b", "a@b c"}) {
    auto r = parse_call_id(v);
    ASSERT_FALSE(r.ok()) << v;
    EXPECT_EQ(r.error(), Fault::BadCallId) << v;
  }
}

// ---------- From / To ----------

// Scans `text` with the production scanner into `msg`.
void scan(std::string_view text, Message& msg) {
  HandScanner scanner;
  ScanResult r = scanner.scan(text, Framing::Datagram, msg);
  ASSERT_EQ(r.status, ScanStatus::Complete) << fault_name(r.fault);
}

constexpr std::string_view kInvite =
    "INVITE sip:bob@biloxi.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds\r\n"
    "Max-Forwards: 70\r\n"
    "To: Bob <sip:bob@biloxi.com>\r\n"
    "From: \"Alice\" <sip:alice@atlanta.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pc33.atlanta.com\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Supported: timer\r\n"
    "k: 100rel, replaces\r\n"
    "Require: 100rel\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

TEST(FromToHeader, ReadTheNameAddrOfTheMessage) {
  Message msg;
  scan(kInvite, msg);
  auto from = from_header(msg);
  ASSERT_TRUE(from.ok());
  EXPECT_EQ(from->display_name, "Alice");
  EXPECT_EQ(from->uri_text, "sip:alice@atlanta.com");
  EXPECT_EQ(from->uri.user, "alice");
  EXPECT_EQ(from->uri.host, "atlanta.com");
  EXPECT_EQ(from->tag(), "1928301774");
  auto to = to_header(msg);
  ASSERT_TRUE(to.ok());
  EXPECT_EQ(to->display_name, "Bob");
  EXPECT_EQ(to->uri_text, "sip:bob@biloxi.com");
  EXPECT_EQ(to->tag(), "");
}

// Parsed once per message and kept as offsets: asked again it is the same parse; on a copy of the
// bytes (rebase) every field names the copy's bytes; a new scan into the same Message forgets it.
TEST(FromToHeader, ParsedOnceKeptAcrossRebaseForgottenByANewScan) {
  Message msg;
  scan(kInvite, msg);
  auto from = from_header(msg);
  ASSERT_TRUE(from.ok());
  EXPECT_EQ(msg.from_index().state, Message::NameAddrIndex::State::Parsed);
  EXPECT_EQ(from_header(msg)->uri.host.data(), from->uri.host.data());

  const std::string copy(kInvite);
  msg.rebase(copy);
  auto moved = from_header(msg);
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(moved->uri_text.data(), copy.data() + (from->uri_text.data() - kInvite.data()));
  EXPECT_EQ(moved->display_name, "Alice");
  EXPECT_EQ(moved->uri_text, "sip:alice@atlanta.com");
  EXPECT_EQ(moved->params, ";tag=1928301774");
  EXPECT_EQ(moved->tag(), "1928301774");
  EXPECT_EQ(moved->tag().data(), moved->params.data() + 5);  // the kept tag moved with the bytes
  EXPECT_TRUE(moved->bracketed);
  EXPECT_EQ(moved->uri.scheme, UriScheme::Sip);
  EXPECT_EQ(moved->uri.scheme_text, "sip");
  EXPECT_EQ(moved->uri.user, "alice");
  EXPECT_EQ(moved->uri.host, "atlanta.com");
  EXPECT_EQ(moved->uri.host_type, HostType::Name);
  EXPECT_FALSE(moved->uri.has_port);
  auto to = to_header(msg);
  ASSERT_TRUE(to.ok());
  EXPECT_EQ(to->display_name, "Bob");
  EXPECT_EQ(to->tag(), "");

  scan("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
       "f: <sips:carol:pw@[2001:db8::7]:5071;transport=tcp?subject=x>;tag=77\r\nt: tel:+4930123;tag=9\r\n"
       "Content-Length: 0\r\n\r\n",
       msg);
  auto carol = from_header(msg);
  ASSERT_TRUE(carol.ok());
  EXPECT_TRUE(carol->bracketed);
  EXPECT_EQ(carol->uri.scheme, UriScheme::Sips);
  EXPECT_EQ(carol->uri.user, "carol");
  EXPECT_TRUE(carol->uri.has_password);
  EXPECT_EQ(carol->uri.password, "pw");
  EXPECT_EQ(carol->uri.host, "2001:db8::7");
  EXPECT_EQ(carol->uri.host_type, HostType::IPv6);
  EXPECT_EQ(carol->uri.port, 5071);
  EXPECT_EQ(carol->uri.params, ";transport=tcp");
  EXPECT_EQ(carol->uri.headers, "subject=x");
  EXPECT_EQ(carol->tag(), "77");
  EXPECT_EQ(from_header(msg)->uri.password, "pw");
  EXPECT_EQ(to_header(msg)->uri.scheme, UriScheme::Tel);
  EXPECT_FALSE(to_header(msg)->bracketed);
  EXPECT_EQ(to_header(msg)->tag(), "9");
}

// The Request-URI the same way: its parameters stay the URI's (not a name-addr's header params), a
// rebased copy reads the copy's bytes, an unreadable one stays a fault, a new scan forgets both.
TEST(RequestUri, ParsedOnceKeptAcrossRebaseForgottenByANewScan) {
  const std::string request =
      "INVITE sips:bob:pw@[2001:db8::9]:5071;transport=tcp;lr?subject=x SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
      "From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
  Message msg;
  scan(request, msg);
  EXPECT_EQ(msg.request_uri_index().state, Message::NameAddrIndex::State::Unparsed);
  auto uri = parsed_request_uri(msg);
  ASSERT_TRUE(uri.ok());
  EXPECT_EQ(msg.request_uri_index().state, Message::NameAddrIndex::State::Parsed);
  const std::string copy(request);
  msg.rebase(copy);
  auto moved = parsed_request_uri(msg);
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(moved->host.data(), copy.data() + (uri->host.data() - request.data()));
  EXPECT_EQ(moved->scheme, UriScheme::Sips);
  EXPECT_EQ(moved->scheme_text, "sips");
  EXPECT_EQ(moved->user, "bob");
  EXPECT_TRUE(moved->has_password);
  EXPECT_EQ(moved->password, "pw");
  EXPECT_EQ(moved->host, "2001:db8::9");
  EXPECT_EQ(moved->host_type, HostType::IPv6);
  EXPECT_TRUE(moved->has_port);
  EXPECT_EQ(moved->port, 5071);
  EXPECT_EQ(moved->params, ";transport=tcp;lr");
  EXPECT_TRUE(moved->lr());
  EXPECT_EQ(moved->headers, "subject=x");

  scan("INVITE sip:bob@ SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\n"
       "Call-ID: c\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
       msg);
  EXPECT_EQ(msg.request_uri_index().state, Message::NameAddrIndex::State::Unparsed);
  EXPECT_FALSE(parsed_request_uri(msg).ok());
  EXPECT_EQ(msg.request_uri_index().state, Message::NameAddrIndex::State::Failed);
  EXPECT_EQ(parsed_request_uri(msg).error(), Fault::BadUri);
  EXPECT_EQ(validate(msg), Fault::BadRequestUri);
}

// The CSeq the same way: what parse_cseq reads, once; a rebased copy reads the copy's bytes, a
// fault stays a fault, a new scan forgets it. A message without CSeq reads as BadCSeq.
TEST(CSeqOf, ParsedOnceKeptAcrossRebaseForgottenByANewScan) {
  const std::string request =
      "BYE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>;tag=2\r\n"
      "Call-ID: c\r\nCSeq:  0042   BYE \r\nContent-Length: 0\r\n\r\n";
  Message msg;
  scan(request, msg);
  EXPECT_EQ(msg.cseq_index().state, Message::CSeqIndex::State::Unparsed);
  auto first = cseq_of(msg);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(msg.cseq_index().state, Message::CSeqIndex::State::Parsed);
  EXPECT_EQ(first->number, 42u);
  EXPECT_EQ(first->method, Method::Bye);
  EXPECT_EQ(first->method_text.data(), request.data() + request.find("BYE \r\n"));
  const std::string copy(request);
  Message kept(msg);
  kept.rebase(copy);
  auto moved = cseq_of(kept);
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(moved->number, 42u);
  EXPECT_EQ(moved->method, Method::Bye);
  EXPECT_EQ(moved->method_text, "BYE");
  EXPECT_EQ(moved->method_text.data(), copy.data() + copy.find("BYE \r\n"));

  for (const char* bad : {"CSeq: 2147483648 BYE", "CSeq: 1BYE", "CSeq: x BYE", "X-No-CSeq: 1 BYE"}) {
    const std::string bytes = "BYE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nCall-ID: c\r\n" +
                              std::string(bad) + "\r\nContent-Length: 0\r\n\r\n";
    scan(bytes, msg);  // the index views `bytes`, which outlives each round's reads
    EXPECT_EQ(msg.cseq_index().state, Message::CSeqIndex::State::Unparsed) << bad;
    const auto want = parse_cseq(msg.value(HeaderId::CSeq));
    ASSERT_FALSE(want.ok()) << bad;
    if (msg.find(HeaderId::CSeq) == nullptr) {
      EXPECT_EQ(want.error(), Fault::BadCSeq) << "no CSeq header";
    }
    for (int read = 0; read < 2; ++read) {
      auto got = cseq_of(msg);
      ASSERT_FALSE(got.ok()) << bad;
      EXPECT_EQ(got.error(), want.error()) << bad;
      EXPECT_EQ(msg.cseq_index().state, Message::CSeqIndex::State::Failed) << bad;
    }
  }
  scan(request, msg);
  EXPECT_EQ(msg.cseq_index().state, Message::CSeqIndex::State::Unparsed);
  EXPECT_EQ(cseq_of(msg)->number, 42u);
}

// A copy holds only the headers in use (parser/message.cc): rebased onto a copy of the bytes it
// answers every query as the original did, with what the original had parsed, also when it
// overwrites a message that had more headers; scanning the original again leaves it alone.
TEST(MessageCopy, AnswersEveryQueryAsTheOriginalAndKeepsItsParses) {
  Message original;
  scan(kInvite, original);
  ASSERT_TRUE(from_header(original).ok());
  ASSERT_TRUE(top_via(original).ok());
  const std::string bytes(kInvite);

  Message constructed(original);
  Message assigned;
  scan("OPTIONS sip:x@y SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nX-A: 1\r\nX-B: 2\r\nX-C: 3\r\n"
       "X-D: 4\r\nX-E: 5\r\nX-F: 6\r\nX-G: 7\r\nX-H: 8\r\nX-I: 9\r\nX-J: 10\r\nX-K: 11\r\nCall-ID: z\r\n"
       "Content-Length: 0\r\n\r\n",
       assigned);
  assigned = original;
  for (Message* copy : {&constructed, &assigned}) {
    copy->rebase(bytes);
    ASSERT_EQ(copy->headers().size(), original.headers().size());
    for (size_t i = 0; i < original.headers().size(); ++i) {
      EXPECT_EQ(copy->headers()[i].id, original.headers()[i].id) << i;
      EXPECT_EQ(copy->text(copy->headers()[i].name), original.text(original.headers()[i].name)) << i;
      EXPECT_EQ(copy->text(copy->headers()[i].value), original.text(original.headers()[i].value)) << i;
    }
    EXPECT_EQ(copy->method(), Method::Invite);
    EXPECT_EQ(copy->request_uri(), "sip:bob@biloxi.com");
    EXPECT_EQ(copy->value(HeaderId::CallId), "a84b4c76e66710@pc33.atlanta.com");
    EXPECT_EQ(copy->count(HeaderId::Supported), 2u) << "k: is Supported, chained by next_same";
    EXPECT_EQ(copy->text(copy->next_same(copy->find(HeaderId::Supported))->value), "100rel, replaces");
    EXPECT_EQ(copy->find_by_name("X-A"), nullptr);
    EXPECT_EQ(copy->size(), original.size());
    EXPECT_EQ(copy->from_index().state, Message::NameAddrIndex::State::Parsed) << "the original's parse came along";
    EXPECT_EQ(copy->top_via_index().state, Message::TopViaIndex::State::Parsed);
    EXPECT_EQ(from_header(*copy)->uri_text.data(), bytes.data() + (from_header(original)->uri_text.data() - kInvite.data()));
    EXPECT_EQ(top_via(*copy)->branch, "z9hG4bK776asdhds");
  }
  scan("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nContent-Length: 0\r\n\r\n", original);
  EXPECT_EQ(constructed.method(), Method::Invite);
  EXPECT_EQ(constructed.value(HeaderId::CSeq), "314159 INVITE");
  EXPECT_EQ(top_via(constructed)->branch, "z9hG4bK776asdhds");
}

TEST(FromToHeader, MissingHeadersAreMissingFromAndMissingTo) {
  Message msg;
  scan("OPTIONS sip:x@y SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nContent-Length: 0\r\n\r\n", msg);
  auto from = from_header(msg);
  ASSERT_FALSE(from.ok());
  EXPECT_EQ(from.error(), Fault::MissingFrom);
  auto to = to_header(msg);
  ASSERT_FALSE(to.ok());
  EXPECT_EQ(to.error(), Fault::MissingTo);
}

TEST(FromToHeader, UnreadableNameAddrIsBadFromAndBadTo) {
  Message msg;
  scan("BYE sip:x@y SIP/2.0\r\nf: <sip:alice@atlanta.com\r\nt: \"Bob <sip:bob@b>\r\n\r\n", msg);
  auto from = from_header(msg);
  ASSERT_FALSE(from.ok());
  EXPECT_EQ(from.error(), Fault::BadFrom);
  auto to = to_header(msg);
  ASSERT_FALSE(to.ok());
  EXPECT_EQ(to.error(), Fault::BadTo);
}

// The tag accessors give what the whole name-addr's tag() gives, asked first or after it, and the
// same faults; the tag is a view into the message's bytes.
TEST(FromToTag, SameTagsAndFaultsAsTheNameAddr) {
  const std::string_view messages[] = {
      kInvite,
      "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nf: sip:a@b;TAG=Up;tag=second\r\n"
      "t: <sip:c@d;tag=uri-param>;x=1;tag\r\nContent-Length: 0\r\n\r\n",
      "OPTIONS sip:x@y SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nContent-Length: 0\r\n\r\n",
      "BYE sip:x@y SIP/2.0\r\nf: <sip:alice@atlanta.com\r\nt: \"Bob <sip:bob@b>\r\n\r\n",
  };
  const std::string_view expected_from[] = {"1928301774", "Up", "", ""};
  const std::string_view expected_to[] = {"", "", "", ""};
  const Fault from_faults[] = {Fault::None, Fault::None, Fault::MissingFrom, Fault::BadFrom};
  const Fault to_faults[] = {Fault::None, Fault::None, Fault::MissingTo, Fault::BadTo};
  for (size_t i = 0; i < std::size(messages); ++i) {
    for (bool tag_first : {true, false}) {
      SCOPED_TRACE(::testing::Message() << "message " << i << (tag_first ? ", tag first" : ", name-addr first"));
      Message msg;
      scan(messages[i], msg);
      Result<std::string_view, Fault> from_tag_first = Err{Fault::None};
      if (tag_first) from_tag_first = from_tag(msg);
      auto from = from_header(msg);
      auto to = to_header(msg);
      auto ft = from_tag(msg);
      auto tt = to_tag(msg);
      if (tag_first) {
        ASSERT_EQ(from_tag_first.ok(), ft.ok());
        if (ft.ok()) {
          EXPECT_EQ(*from_tag_first, *ft);
        }
      }
      ASSERT_EQ(ft.ok(), from_faults[i] == Fault::None);
      ASSERT_EQ(tt.ok(), to_faults[i] == Fault::None);
      if (!ft.ok()) {
        EXPECT_EQ(ft.error(), from_faults[i]);
        EXPECT_EQ(from.error(), from_faults[i]);
        EXPECT_EQ(tt.error(), to_faults[i]);
        continue;
      }
      EXPECT_EQ(*ft, expected_from[i]);
      EXPECT_EQ(*ft, from->tag());
      EXPECT_EQ(*tt, expected_to[i]);
      EXPECT_EQ(*tt, to->tag());
      if (!ft->empty()) {
        EXPECT_GE(ft->data(), messages[i].data());
        EXPECT_LT(ft->data(), messages[i].data() + messages[i].size());
      }
    }
  }
}

// A tag, or the fault in its place, as text a failed check prints.
std::string header_tag_text(const Result<std::string_view, Fault>& r) {
  return r.ok() ? std::string(*r) : "fault " + std::string(fault_name(r.error()));
}

// A From whose URI alone is bad: its tag reads (a dialog's requests use only that), the name-addr
// is BadFrom, and neither answer depends on which was asked first.
TEST(FromToTag, ABadUriLeavesTheTagReadableInEitherOrder) {
  constexpr std::string_view kBye =
      "BYE sip:x@y SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nf: <sip:alice@>;tag=a1\r\n"
      "t: <sip:bob@b>;tag=b1\r\nContent-Length: 0\r\n\r\n";
  for (bool tag_first : {true, false}) {
    SCOPED_TRACE(tag_first ? "tag first" : "name-addr first");
    Message msg;
    scan(kBye, msg);
    if (tag_first) {
      EXPECT_EQ(header_tag_text(from_tag(msg)), "a1");
    }
    auto from = from_header(msg);
    ASSERT_FALSE(from.ok());
    EXPECT_EQ(from.error(), Fault::BadFrom);
    EXPECT_EQ(header_tag_text(from_tag(msg)), "a1");
    EXPECT_FALSE(from_header(msg).ok());
    EXPECT_EQ(header_tag_text(to_tag(msg)), "b1");
    EXPECT_EQ(to_header(msg)->uri.host, "b");
  }
}

// ---------- option tags (Require, Supported, ...) ----------

TEST(OptionTags, IteratesTokensSkippingEmptyElements) {
  OptionTags tags(" 100rel, timer ,,replaces ");
  std::string_view t;
  ASSERT_TRUE(tags.next(t));
  EXPECT_EQ(t, "100rel");
  ASSERT_TRUE(tags.next(t));
  EXPECT_EQ(t, "timer");
  ASSERT_TRUE(tags.next(t));
  EXPECT_EQ(t, "replaces");
  EXPECT_FALSE(tags.next(t));
  EXPECT_FALSE(tags.malformed());
}

TEST(OptionTags, EmptyValueIsAnEmptyList) {
  OptionTags tags("");
  std::string_view t;
  EXPECT_FALSE(tags.next(t));
  EXPECT_FALSE(tags.malformed());
}

TEST(OptionTags, NonTokenElementStopsAndFlagsMalformed) {
  OptionTags tags("100rel, bad tag, timer");
  std::string_view t;
  ASSERT_TRUE(tags.next(t));
  EXPECT_EQ(t, "100rel");
  EXPECT_FALSE(tags.next(t));
  EXPECT_TRUE(tags.malformed());
  EXPECT_FALSE(tags.next(t));
}

TEST(MessageHasOption, LooksAcrossFullAndCompactHeadersCaseInsensitively) {
  Message msg;
  scan(kInvite, msg);
  EXPECT_TRUE(message_has_option(msg, HeaderId::Supported, "timer"));
  EXPECT_TRUE(message_has_option(msg, HeaderId::Supported, "100rel"));
  EXPECT_TRUE(message_has_option(msg, HeaderId::Supported, "REPLACES"));
  EXPECT_FALSE(message_has_option(msg, HeaderId::Supported, "path"));
  EXPECT_TRUE(message_has_option(msg, HeaderId::Require, "100rel"));
  EXPECT_FALSE(message_has_option(msg, HeaderId::Require, "timer"));
  EXPECT_FALSE(message_has_option(msg, HeaderId::ProxyRequire, "100rel"));
}

// ---------- RSeq / RAck (RFC 3262) ----------

TEST(ParseRSeq, ReadsAnyThirtyTwoBitNumber) {
  EXPECT_EQ(*parse_rseq("988789"), 988789u);
  EXPECT_EQ(*parse_rseq("4294967295"), 4294967295u);
  for (std::string_view v : {"", "4294967296", "1 2", "x"}) {
    auto r = parse_rseq(v);
    ASSERT_FALSE(r.ok()) << v;
    EXPECT_EQ(r.error(), Fault::BadRSeq) << v;
  }
}

TEST(ParseRAck, ReadsResponseNumCSeqNumAndMethod) {
  auto r = parse_rack("1 1 INVITE");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rseq, 1u);
  EXPECT_EQ(r->cseq, 1u);
  EXPECT_EQ(r->method_text, "INVITE");
  EXPECT_EQ(r->method, Method::Invite);
  auto rfc = parse_rack("776656 1 INVITE");
  ASSERT_TRUE(rfc.ok());
  EXPECT_EQ(rfc->rseq, 776656u);
}

TEST(ParseRAck, MalformedValuesAreBadRAck) {
  for (std::string_view v : {"", "1 INVITE", "1 1", "1 1INVITE", "a 1 INVITE", "1 2147483648 INVITE",
                             "4294967296 1 INVITE", "1 1 INVITE x"}) {
    auto r = parse_rack(v);
    ASSERT_FALSE(r.ok()) << v;
    EXPECT_EQ(r.error(), Fault::BadRAck) << v;
  }
}

// ---------- Session-Expires / Min-SE (RFC 4028) ----------

TEST(ParseSessionExpires, ReadsDeltaAndRefresher) {
  auto r = parse_session_expires("1800;refresher=uac");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->delta, 1800u);
  EXPECT_EQ(r->refresher, SessionExpires::Refresher::Uac);
  EXPECT_EQ(r->params, ";refresher=uac");
  auto uas = parse_session_expires("90 ; refresher = UAS;x-foo=1");
  ASSERT_TRUE(uas.ok());
  EXPECT_EQ(uas->delta, 90u);
  EXPECT_EQ(uas->refresher, SessionExpires::Refresher::Uas);
  EXPECT_EQ(uas->params, "; refresher = UAS;x-foo=1");
}

TEST(ParseSessionExpires, NoRefresherIsNone) {
  auto r = parse_session_expires("90");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->delta, 90u);
  EXPECT_EQ(r->refresher, SessionExpires::Refresher::None);
  EXPECT_EQ(r->params, "");
}

TEST(ParseSessionExpires, MalformedValuesAreBadSessionExpires) {
  for (std::string_view v : {"", "abc", "1800 uac", "1800;refresher=both", "1800;refresher",
                             "1800;refresher=uac;refresher=uas", "1800;", ";refresher=uac"}) {
    auto r = parse_session_expires(v);
    ASSERT_FALSE(r.ok()) << v;
    EXPECT_EQ(r.error(), Fault::BadSessionExpires) << v;
  }
}

TEST(ParseMinSE, ReadsDeltaIgnoringGenericParams) {
  EXPECT_EQ(*parse_min_se("90"), 90u);
  EXPECT_EQ(*parse_min_se("120;x-foo=bar"), 120u);
  for (std::string_view v : {"", "abc", "90;", "90 x"}) {
    auto r = parse_min_se(v);
    ASSERT_FALSE(r.ok()) << v;
    EXPECT_EQ(r.error(), Fault::BadMinSE) << v;
  }
}

// ---------- Event (RFC 6665) ----------

TEST(ParseEvent, ReadsPackageIdAndParams) {
  auto refer = parse_event("refer;id=93809824");
  ASSERT_TRUE(refer.ok());
  EXPECT_EQ(refer->package, "refer");
  EXPECT_EQ(refer->id, "93809824");
  EXPECT_EQ(refer->params, ";id=93809824");
  auto winfo = parse_event("presence.winfo");
  ASSERT_TRUE(winfo.ok());
  EXPECT_EQ(winfo->package, "presence.winfo");
  EXPECT_EQ(winfo->id, "");
  EXPECT_EQ(winfo->params, "");
  auto dialog = parse_event("dialog ;call-id=\"a@b\";ID=7");
  ASSERT_TRUE(dialog.ok());
  EXPECT_EQ(dialog->package, "dialog");
  EXPECT_EQ(dialog->id, "7");
}

TEST(ParseEvent, MalformedValuesAreBadEvent) {
  for (std::string_view v : {"", ";id=1", ".presence", "presence.", "presence..winfo", "refer;id",
                             "refer id=1", "refer;id=1;id=2", "refer;"}) {
    auto r = parse_event(v);
    ASSERT_FALSE(r.ok()) << v;
    EXPECT_EQ(r.error(), Fault::BadEvent) << v;
  }
}

// ---------- Refer-To / Referred-By (RFC 3515, RFC 3892) ----------

TEST(ParseReferTo, KeepsEmbeddedReplacesEscapedInTheUri) {
  constexpr std::string_view kValue =
      "<sip:dave@denver.example.org?Replaces=12345%40192.168.118.3%3Bto-tag%3D12345%3Bfrom-tag%3D5FFE-3994>";
  auto r = parse_refer_to(kValue);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->bracketed);
  EXPECT_EQ(r->uri.user, "dave");
  EXPECT_EQ(r->uri.host, "denver.example.org");
  EXPECT_EQ(r->uri.headers, "Replaces=12345%40192.168.118.3%3Bto-tag%3D12345%3Bfrom-tag%3D5FFE-3994");
}

TEST(ParseReferTo, AcceptsAPlainAddrSpec) {
  auto r = parse_refer_to("sip:carol@cleveland.example.org");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->bracketed);
  EXPECT_EQ(r->uri.user, "carol");
}

TEST(ParseReferTo, UnreadableValueIsBadReferTo) {
  auto r = parse_refer_to("<sip:carol@cleveland.example.org");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), Fault::BadReferTo);
}

TEST(ParseReferredBy, ReadsUriAndCidParam) {
  auto r = parse_referred_by("<sip:referrer@referrer.example>;cid=\"20398823.2UWQFN309shb3@referrer.example\"");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->uri.user, "referrer");
  ASSERT_TRUE(r->param("cid").has_value());
  EXPECT_EQ(*r->param("cid"), "\"20398823.2UWQFN309shb3@referrer.example\"");
  auto bad = parse_referred_by("");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), Fault::BadReferredBy);
}

// ---------- Replaces (RFC 3891) ----------

TEST(ParseReplaces, ReadsCallIdAndBothTags) {
  auto r = parse_replaces("98732@sip.example.com;from-tag=r33th4x0r;to-tag=ff87ff");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->call_id, "98732@sip.example.com");
  EXPECT_EQ(r->from_tag, "r33th4x0r");
  EXPECT_EQ(r->to_tag, "ff87ff");
  EXPECT_FALSE(r->early_only);
}

TEST(ParseReplaces, ReadsEarlyOnlyFlag) {
  auto r = parse_replaces("425928@bobster.example.org ;to-tag=7743; from-tag=6472;early-only");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->call_id, "425928@bobster.example.org");
  EXPECT_EQ(r->to_tag, "7743");
  EXPECT_EQ(r->from_tag, "6472");
  EXPECT_TRUE(r->early_only);
}

TEST(ParseReplaces, NeedsExactlyOneToTagAndOneFromTag) {
  for (std::string_view v : {"", "abc", "abc;to-tag=1", "abc;from-tag=1", "abc;to-tag=1;to-tag=2;from-tag=3",
                             "abc;to-tag=;from-tag=1", "abc;to-tag=\"\";from-tag=1", "a b;to-tag=1;from-tag=2",
                             "a@b@c;to-tag=1;from-tag=2", "abc;to-tag=1;from-tag=2;"}) {
    auto r = parse_replaces(v);
    ASSERT_FALSE(r.ok()) << v;
    EXPECT_EQ(r.error(), Fault::BadReplaces) << v;
  }
}

// ---------- Diversion (RFC 5806) ----------

TEST(ParseDiversion, ReadsAddressReasonAndCounter) {
  auto r = parse_diversion("<sip:1002@10.0.0.1>;reason=user-busy;counter=1");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->addr.uri.user, "1002");
  EXPECT_EQ(r->addr.uri.host, "10.0.0.1");
  EXPECT_EQ(r->reason, "user-busy");
  ASSERT_TRUE(r->counter.has_value());
  EXPECT_EQ(*r->counter, 1u);
  EXPECT_EQ(r->privacy, "");
  EXPECT_EQ(r->screen, "");
}

TEST(ParseDiversion, UnquotesReasonPrivacyAndScreen) {
  auto r = parse_diversion(
      "\"Bob\" <sip:+15551234567@example.com;user=phone>;reason=\"no-answer\";counter=2;privacy=full;screen=no");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->addr.display_name, "Bob");
  EXPECT_EQ(r->reason, "no-answer");
  EXPECT_EQ(*r->counter, 2u);
  EXPECT_EQ(r->privacy, "full");
  EXPECT_EQ(r->screen, "no");
}

TEST(ParseDiversion, CounterIsOptional) {
  auto r = parse_diversion("<sip:1002@192.168.1.10>;reason=no-answer");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->reason, "no-answer");
  EXPECT_FALSE(r->counter.has_value());
}

TEST(ParseDiversion, MalformedItemsAreBadDiversion) {
  for (std::string_view v : {"", "<sip:1002@10.0.0.1", "<sip:1002@10.0.0.1>;counter=x",
                             "<sip:1002@10.0.0.1>;counter=", "<sip:1002@10.0.0.1>;reason",
                             "<sip:1002@10.0.0.1>;counter=99999999999"}) {
    auto r = parse_diversion(v);
    ASSERT_FALSE(r.ok()) << v;
    EXPECT_EQ(r.error(), Fault::BadDiversion) << v;
  }
}

// ---------- Allow ----------

TEST(AllowList, IteratesMethods) {
  AllowList allow("INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, MESSAGE, SUBSCRIBE, INFO");
  constexpr std::string_view kWant[] = {"INVITE", "ACK",    "CANCEL",  "OPTIONS",   "BYE",
                                        "REFER",  "NOTIFY", "MESSAGE", "SUBSCRIBE", "INFO"};
  std::string_view m;
  for (std::string_view want : kWant) {
    ASSERT_TRUE(allow.next(m));
    EXPECT_EQ(m, want);
  }
  EXPECT_FALSE(allow.next(m));
  EXPECT_FALSE(allow.malformed());
}

TEST(AllowList, NonTokenFlagsMalformed) {
  AllowList allow("INVITE, <ACK>");
  std::string_view m;
  ASSERT_TRUE(allow.next(m));
  EXPECT_FALSE(allow.next(m));
  EXPECT_TRUE(allow.malformed());
}

// ---------- Content-Type (RFC 3261 §20.15) ----------

TEST(ParseContentType, ReadsTypeSubtypeAndParams) {
  auto sdp = parse_content_type("application/sdp");
  ASSERT_TRUE(sdp.ok());
  EXPECT_EQ(sdp->type, "application");
  EXPECT_EQ(sdp->subtype, "sdp");
  EXPECT_EQ(sdp->params, "");
  EXPECT_TRUE(sdp->is("Application", "SDP"));
  EXPECT_FALSE(sdp->is("application", "sdpx"));
  auto mixed = parse_content_type("multipart/mixed;boundary=unique-boundary-1");
  ASSERT_TRUE(mixed.ok());
  EXPECT_TRUE(mixed->is("multipart", "mixed"));
  EXPECT_EQ(mixed->params, ";boundary=unique-boundary-1");
  auto spaced = parse_content_type(" text / plain ; charset=\"utf-8\" ");
  ASSERT_TRUE(spaced.ok());
  EXPECT_EQ(spaced->type, "text");
  EXPECT_EQ(spaced->subtype, "plain");
  EXPECT_EQ(spaced->params, "; charset=\"utf-8\"");
}

TEST(ParseContentType, MalformedValuesAreBadContentType) {
  for (std::string_view v : {"", "application", "application/", "/sdp", "application/sdp;",
                             "application/sdp x", "application sdp"}) {
    auto r = parse_content_type(v);
    ASSERT_FALSE(r.ok()) << v;
    EXPECT_EQ(r.error(), Fault::BadContentType) << v;
  }
}

// ---------- find_header_value (unindexed bytes) ----------

// The plain reading find_header_value must agree with: split at every '\n', skip the start line,
// stop at the first empty line, compare each field name case-blind with the name and compact form.
std::string_view header_value_line_by_line(std::string_view m, std::string_view name, char compact) {
  auto lower = [](char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); };
  auto same = [&](std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
      if (lower(a[i]) != lower(b[i])) return false;
    return true;
  };
  size_t at = m.find('\n');
  while (at != std::string_view::npos && at + 1 < m.size()) {
    const size_t from = at + 1;
    at = m.find('\n', from);
    std::string_view line = m.substr(from, at == std::string_view::npos ? std::string_view::npos : at - from);
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (line.empty()) return {};
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view field = line.substr(0, colon);
    while (field.ends_with(' ') || field.ends_with('\t')) field.remove_suffix(1);
    if (!same(field, name) && !(compact != 0 && field.size() == 1 && lower(field[0]) == lower(compact))) continue;
    std::string_view value = line.substr(colon + 1);
    while (value.starts_with(' ') || value.starts_with('\t')) value.remove_prefix(1);
    while (value.ends_with(' ') || value.ends_with('\t')) value.remove_suffix(1);
    return value;
  }
  return {};
}

// The lookup reads sixteen bytes a step: messages of every length and alignment, lines that start
// like the name or like a blank line without being either, the name in the body, bare LFs, cut
// short anywhere.
TEST(FindHeaderValue, AgreesWithALineByLineReadingAtEveryAlignmentAndLength) {
  const std::vector<std::string> lines = {
      "Call-ID: abc@h", "call-id :  spaced\t", "i: compact", "I:upper", "Call-IDx: not it", "CSeq: 1 INVITE",
      "Contact: <sip:a@b>", "c: application/sdp", "Content-Type: application/sdp", "-dash: x", "*star: y",
      " folded continuation", "Subject: s", "s: compact subject", "Via: SIP/2.0/UDP h;branch=z9hG4bK1", "X",
      "Content-Length: 0"};
  const std::vector<std::pair<std::string_view, char>> names = {
      {"Call-ID", 'i'}, {"Content-Type", 'c'}, {"Subject", 's'}, {"CSeq", 0}, {"Contact", 'm'}};
  std::mt19937 rng(20261206);
  size_t found = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string m = "INVITE sip:" + std::string(rng() % 24, 'a') + " SIP/2.0";
    const char* eol = rng() % 4 == 0 ? "\n" : "\r\n";
    m += eol;
    for (size_t k = rng() % 12; k > 0; --k) m += lines[rng() % lines.size()] + (rng() % 8 == 0 ? "\n" : eol);
    if (rng() % 4 != 0) m += std::string(rng() % 2 ? "\n" : "\r\n") + "Call-ID: in the body\r\nv=0\r\n";
    const std::string cut = m.substr(0, rng() % 3 == 0 ? rng() % (m.size() + 1) : m.size());
    for (const auto& [name, compact] : names) {
      const std::string_view want = header_value_line_by_line(cut, name, compact);
      EXPECT_EQ(parser::find_header_value(cut, name, compact), want) << name << " in\n" << cut;
      found += !want.empty();
    }
  }
  EXPECT_GT(found, 3000u) << "most lookups find something: the generator covers the hits";
}

}  // namespace
}  // namespace sipedge::parser
