// tests/parser/contact_test.cc — pins parser/contact.cc: Contact values with expires/q
// (RFC 3261 §20.10, §10.2.1), "*", ContactList over "m:" and comma lists, RouteList for Route and
// Record-Route (§20.30, §20.34).
#include "parser/contact.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "parser/scanner_hand.h"

namespace sipedge::parser {
namespace {

Contact ok(std::string_view text) {
  auto r = parse_contact(text);
  EXPECT_TRUE(r.ok()) << text;
  return r.ok() ? *r : Contact{};
}

Fault fault_of(std::string_view text) {
  auto r = parse_contact(text);
  return r.ok() ? Fault::None : r.error();
}

TEST(ParseContact, BracketedWithExpiresFromAPhone) {
  Contact c = ok("<sip:x@y>;expires=3600");
  EXPECT_FALSE(c.star);
  EXPECT_EQ(c.addr.uri.user, "x");
  EXPECT_EQ(c.addr.uri.host, "y");
  ASSERT_TRUE(c.expires.has_value());
  EXPECT_EQ(*c.expires, 3600u);
  EXPECT_FALSE(c.q_milli.has_value());
}

TEST(ParseContact, DisplayNameQAndExpires) {
  Contact c = ok(R"("Mr. Watson" <sip:watson@worcester.bell-telephone.com>;q=0.7; expires=3600)");
  EXPECT_EQ(c.addr.display_name, "Mr. Watson");
  EXPECT_EQ(c.addr.uri.host, "worcester.bell-telephone.com");
  ASSERT_TRUE(c.q_milli.has_value());
  EXPECT_EQ(*c.q_milli, 700);
  EXPECT_EQ(*c.expires, 3600u);
}

TEST(ParseContact, CaptureWithTransportUriParamAndInstance) {
  Contact c = ok("<sip:1006@192.168.0.201:5060;transport=udp;ob>;reg-id=1;"
                 "+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>\"");
  EXPECT_EQ(c.addr.uri.port, 5060);
  EXPECT_EQ(c.addr.uri.transport(), "udp");
  EXPECT_TRUE(c.addr.uri.param("ob").has_value());
  EXPECT_EQ(c.addr.param("+sip.instance"),
            std::optional<std::string_view>("\"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>\""));
  EXPECT_FALSE(c.expires.has_value());
}

TEST(ParseContact, AddrSpecParamsAreContactParams) {
  Contact c = ok("sip:alice@192.0.2.4;expires=0");
  EXPECT_FALSE(c.addr.bracketed);
  EXPECT_EQ(c.addr.uri.params, "");
  EXPECT_EQ(*c.expires, 0u);
}

TEST(ParseContact, AddrSpecWithQuotedInstanceParam) {
  Contact c = ok("sip:bob@192.0.2.4;expires=600;+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>\"");
  EXPECT_FALSE(c.addr.bracketed);
  EXPECT_EQ(c.addr.uri.host, "192.0.2.4");
  EXPECT_EQ(*c.expires, 600u);
}

TEST(ParseContact, StarIsDeregisterAll) {
  Contact c = ok("*");
  EXPECT_TRUE(c.star);
  EXPECT_EQ(c.addr.uri_text, "");
  EXPECT_FALSE(c.expires.has_value());
  EXPECT_TRUE(ok("  * ").star);
}

TEST(ParseContact, QValueForms) {
  EXPECT_EQ(*ok("<sip:a@b.com>;q=0").q_milli, 0);
  EXPECT_EQ(*ok("<sip:a@b.com>;q=0.").q_milli, 0);
  EXPECT_EQ(*ok("<sip:a@b.com>;q=0.5").q_milli, 500);
  EXPECT_EQ(*ok("<sip:a@b.com>;q=0.05").q_milli, 50);
  EXPECT_EQ(*ok("<sip:a@b.com>;q=0.123").q_milli, 123);
  EXPECT_EQ(*ok("<sip:a@b.com>;q=1").q_milli, 1000);
  EXPECT_EQ(*ok("<sip:a@b.com>;Q=1.000").q_milli, 1000);
}

TEST(ParseContact, BadQValuesAreBadContact) {
  for (std::string_view bad : {"<sip:a@b.com>;q=1.5", "<sip:a@b.com>;q=2", "<sip:a@b.com>;q=0.1234",
                               "<sip:a@b.com>;q=.5", "<sip:a@b.com>;q=0,5", "<sip:a@b.com>;q", "<sip:a@b.com>;q=abc",
                               "<sip:a@b.com>;q=-0.5", "<sip:a@b.com>;q=1.001"}) {
    EXPECT_EQ(fault_of(bad), Fault::BadContact) << bad;
  }
}

TEST(ParseContact, ExpiresSaturatesAndRejectsNonDigits) {
  EXPECT_EQ(*ok("<sip:a@b.com>;expires=4294967295").expires, 4294967295u);
  EXPECT_EQ(*ok("<sip:a@b.com>;expires=99999999999999999999").expires, 4294967295u);
  EXPECT_EQ(fault_of("<sip:a@b.com>;expires=-1"), Fault::BadContact);
  EXPECT_EQ(fault_of("<sip:a@b.com>;expires=1h"), Fault::BadContact);
  EXPECT_EQ(fault_of("<sip:a@b.com>;expires"), Fault::BadContact);
  EXPECT_EQ(fault_of("<sip:a@b.com>;expires=\"60\""), Fault::BadContact);
}

TEST(ParseContact, MalformedAddressesAreBadContact) {
  for (std::string_view bad : {"", "**", "* ;expires=0", "<sip:a@b.com", "<sip:@b.com>", "\"x\" sip:a@b.com",
                               "<sip:a@b.com>;;expires=1", "sip:a@b.com;expires=1 x"}) {
    EXPECT_EQ(fault_of(bad), Fault::BadContact) << bad;
  }
}

Message scan(std::string_view bytes) {
  Message msg;
  HandScanner scanner;
  ScanResult r = scanner.scan(bytes, Framing::Datagram, msg);
  EXPECT_EQ(r.status, ScanStatus::Complete) << fault_name(r.fault);
  return msg;
}

TEST(ContactList, CompactAndFullHeadersWithCommaLists) {
  Message msg = scan(
      "REGISTER sip:registrar.biloxi.com SIP/2.0\r\n"
      "v: SIP/2.0/UDP bobspc.biloxi.com:5060;branch=z9hG4bKnashds7\r\n"
      "m: <sip:bob@192.0.2.4>;expires=60, \"Bob, mobile\" <sip:bob@198.51.100.7:5062>;q=0.1\r\n"
      "Contact: sip:bob@bobspc.biloxi.com;expires=7200\r\n"
      "Content-Length: 0\r\n\r\n");
  ContactList contacts(msg);
  Result<Contact, Fault> c = Err{Fault::None};
  ASSERT_TRUE(contacts.next(c));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->addr.uri.host, "192.0.2.4");
  EXPECT_EQ(*c->expires, 60u);
  ASSERT_TRUE(contacts.next(c));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->addr.display_name, "Bob, mobile");
  EXPECT_EQ(c->addr.uri.port, 5062);
  EXPECT_EQ(*c->q_milli, 100);
  EXPECT_FALSE(c->expires.has_value());
  ASSERT_TRUE(contacts.next(c));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->addr.uri.host, "bobspc.biloxi.com");
  EXPECT_EQ(*c->expires, 7200u);
  EXPECT_FALSE(contacts.next(c));
}

TEST(ContactList, StarAndBadItems) {
  Message msg = scan(
      "REGISTER sip:r.example.com SIP/2.0\r\n"
      "Contact: *\r\n"
      "Contact: <sip:a@b.com>;q=7\r\n"
      "Content-Length: 0\r\n\r\n");
  ContactList contacts(msg);
  Result<Contact, Fault> c = Err{Fault::None};
  ASSERT_TRUE(contacts.next(c));
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->star);
  ASSERT_TRUE(contacts.next(c));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error(), Fault::BadContact);
  EXPECT_FALSE(contacts.next(c));
}

TEST(ContactList, NoContactYieldsNothing) {
  Message msg = scan("OPTIONS sip:x@y.com SIP/2.0\r\nf: <sip:a@b.com>;tag=1\r\nContent-Length: 0\r\n\r\n");
  ContactList contacts(msg);
  Result<Contact, Fault> c = Err{Fault::None};
  EXPECT_FALSE(contacts.next(c));
}

constexpr std::string_view kRouted =
    "INVITE sip:callee@u2.domain.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP p1.example.com;branch=z9hG4bK1\r\n"
    "Record-Route: <sip:p2.domain.com;lr>, <sip:p1.example.com;lr;transport=tcp>\r\n"
    "Route: <sip:p3.middle.com;lr>,\r\n <sip:p4.domain.com;lr>\r\n"
    "Route: \"Proxy\" <sip:[2001:db8::5]:5070;lr>;x=1\r\n"
    "f: \"Alice\" <sip:alice@atlanta.com>;tag=88\r\n"
    "t: sip:callee@u2.domain.com\r\n"
    "Content-Length: 0\r\n\r\n";

// The first Route entry as RouteList yields it.
NameAddr name_addr_of_first(const Message& msg) {
  RouteList list(msg, HeaderId::Route);
  Result<NameAddr, Fault> r = Err{Fault::None};
  EXPECT_TRUE(list.next(r));
  EXPECT_TRUE(r.ok());
  return r.ok() ? *r : NameAddr{};
}

TEST(RouteList, RouteEntriesInOrderAcrossHeaders) {
  Message msg = scan(kRouted);
  RouteList routes(msg, HeaderId::Route);
  Result<NameAddr, Fault> r = Err{Fault::None};
  std::vector<std::string> hosts;
  std::vector<bool> lr;
  while (routes.next(r)) {
    ASSERT_TRUE(r.ok());
    hosts.emplace_back(r->uri.host);
    lr.push_back(r->uri.lr());
  }
  EXPECT_EQ(hosts, (std::vector<std::string>{"p3.middle.com", "p4.domain.com", "2001:db8::5"}));
  EXPECT_EQ(lr, (std::vector<bool>{true, true, true}));
}

TEST(RouteList, RecordRouteEntries) {
  Message msg = scan(kRouted);
  RouteList rr(msg, HeaderId::RecordRoute);
  Result<NameAddr, Fault> r = Err{Fault::None};
  ASSERT_TRUE(rr.next(r));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->uri_text, "sip:p2.domain.com;lr");
  ASSERT_TRUE(rr.next(r));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->uri.transport(), "tcp");
  EXPECT_FALSE(rr.next(r));
}

// The first Route and Record-Route entries are parsed once per message (Message::NameAddrIndex):
// read again they come from the cache, field for field what the first read gave; the entries after
// them are parsed each time; a bad first entry stays bad; a new scan forgets the cache.
TEST(RouteList, TheFirstEntryOfEachKindIsParsedOnceAndKept) {
  Message msg = scan(kRouted);
  EXPECT_EQ(msg.top_route_index().state, Message::NameAddrIndex::State::Unparsed);
  for (HeaderId id : {HeaderId::Route, HeaderId::RecordRoute}) {
    std::vector<std::string> first_pass, second_pass;
    for (auto* pass : {&first_pass, &second_pass}) {
      RouteList list(msg, id);
      Result<NameAddr, Fault> r = Err{Fault::None};
      while (list.next(r)) {
        ASSERT_TRUE(r.ok());
        pass->push_back(std::string(r->display_name) + "|" + std::string(r->uri_text) + "|" + std::string(r->params) +
                        "|" + std::string(r->uri.host) + "|" + std::to_string(r->uri.port) + "|" +
                        std::string(r->uri.params));
      }
    }
    EXPECT_EQ(first_pass, second_pass);
    EXPECT_FALSE(first_pass.empty());
  }
  EXPECT_EQ(msg.top_route_index().state, Message::NameAddrIndex::State::Parsed);
  EXPECT_EQ(msg.top_record_route_index().state, Message::NameAddrIndex::State::Parsed);
  const NameAddr top = name_addr_of_first(msg);
  EXPECT_EQ(top.uri.host, "p3.middle.com");
  EXPECT_TRUE(top.uri.lr());

  Message bad = scan("BYE sip:x@y.com SIP/2.0\r\nRoute: <sip:bad@>, <sip:p2.example.com;lr>\r\nContent-Length: 0\r\n\r\n");
  for (int pass = 0; pass < 2; ++pass) {
    RouteList list(bad, HeaderId::Route);
    Result<NameAddr, Fault> r = Err{Fault::None};
    ASSERT_TRUE(list.next(r));
    ASSERT_FALSE(r.ok()) << pass;
    EXPECT_EQ(r.error(), Fault::BadRoute) << pass;
    ASSERT_TRUE(list.next(r));
    ASSERT_TRUE(r.ok()) << pass;
    EXPECT_EQ(r->uri.host, "p2.example.com");
  }
  EXPECT_EQ(bad.top_route_index().state, Message::NameAddrIndex::State::Failed);

  HandScanner scanner;
  ASSERT_EQ(scanner.scan("BYE sip:x@y.com SIP/2.0\r\nRoute: <sip:other.example.com;lr>\r\nContent-Length: 0\r\n\r\n",
                         Framing::Datagram, msg)
                .status,
            ScanStatus::Complete);
  EXPECT_EQ(name_addr_of_first(msg).uri.host, "other.example.com") << "a new scan forgets the cache";
}

// next_text and read walk the entries as next() does, whichever entries a caller reads. An entry
// it leaves unread never lends its parse to the next one: the top entry's cache is the top entry's.
TEST(RouteList, TheTwoStepWalkReadsWhatNextReads) {
  const auto entry = [](const Result<NameAddr, Fault>& r) {
    return r.ok() ? std::string(r->uri_text) + "|" + std::string(r->params) : "fault " + std::to_string(int(r.error()));
  };
  for (std::string_view text : {kRouted, std::string_view("BYE sip:x@y.com SIP/2.0\r\n"
                                                          "Route: sip:p1.example.com;lr, <sip:p2.example.com;lr>, <sip:bad@>\r\n"
                                                          "Record-Route: <sip:p3.example.com;lr\r\n"
                                                          "Content-Length: 0\r\n\r\n")}) {
    for (HeaderId id : {HeaderId::Route, HeaderId::RecordRoute}) {
      std::vector<std::string> by_next, by_steps;
      {
        Message msg = scan(text);
        RouteList list(msg, id);
        Result<NameAddr, Fault> r = Err{Fault::None};
        while (list.next(r)) by_next.push_back(entry(r));
      }
      for (size_t skipped = 0; skipped <= by_next.size(); ++skipped) {
        Message msg = scan(text);
        RouteList list(msg, id);
        by_steps.clear();
        std::string_view item;
        for (size_t i = 0; list.next_text(item); ++i)
          if (i != skipped) by_steps.push_back(entry(list.read(item)));
        std::vector<std::string> expected = by_next;
        if (skipped < expected.size()) expected.erase(expected.begin() + static_cast<std::ptrdiff_t>(skipped));
        EXPECT_EQ(by_steps, expected) << "entry " << skipped << " left unread";
      }
    }
  }
}

TEST(RouteList, CompactFromAndToParseAsNameAddr) {
  Message msg = scan(kRouted);
  auto from = parse_name_addr(msg.value(HeaderId::From));
  ASSERT_TRUE(from.ok());
  EXPECT_EQ(from->display_name, "Alice");
  EXPECT_EQ(from->tag(), "88");
  auto to = parse_name_addr(msg.value(HeaderId::To));
  ASSERT_TRUE(to.ok());
  EXPECT_FALSE(to->bracketed);
  EXPECT_EQ(to->uri.user, "callee");
  EXPECT_EQ(to->tag(), "");
}

TEST(RouteList, UnbracketedOrBadEntriesFaultPerHeaderKind) {
  Message msg = scan(
      "BYE sip:x@y.com SIP/2.0\r\n"
      "Route: sip:p1.example.com;lr, <sip:p2.example.com;lr>, <sip:bad@>\r\n"
      "Record-Route: <sip:p3.example.com;lr\r\n"
      "Content-Length: 0\r\n\r\n");
  RouteList routes(msg, HeaderId::Route);
  Result<NameAddr, Fault> r = Err{Fault::None};
  ASSERT_TRUE(routes.next(r));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), Fault::BadRoute);
  ASSERT_TRUE(routes.next(r));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->uri.host, "p2.example.com");
  ASSERT_TRUE(routes.next(r));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), Fault::BadRoute);
  EXPECT_FALSE(routes.next(r));

  RouteList rr(msg, HeaderId::RecordRoute);
  ASSERT_TRUE(rr.next(r));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), Fault::BadRecordRoute);
  EXPECT_FALSE(rr.next(r));
}

}  // namespace
}  // namespace sipedge::parser
