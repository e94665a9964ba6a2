// tests/parser/via_test.cc — pins parser/via.cc: via-parm parsing (RFC 3261 §20.42, §25.1), rport
// (RFC 3581), ViaList across headers and compact "v:", top_via faults.
#include "parser/via.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "parser/scanner_hand.h"
#include "tests/parser/seed_corpus.h"

namespace sipedge::parser {
namespace {

Via ok(std::string_view text) {
  auto r = parse_via(text);
  EXPECT_TRUE(r.ok()) << text;
  return r.ok() ? *r : Via{};
}

Fault fault_of(std::string_view text) {
  auto r = parse_via(text);
  return r.ok() ? Fault::None : r.error();
}

TEST(ParseVia, CaptureWithNamedBranchAndEmptyRport) {
  Via v = ok("SIP/2.0/UDP 192.168.1.131:56980;branch=z9hG4bK-d87543-bd00a80d61174148-1--d87543-;rport");
  EXPECT_EQ(v.protocol_name, "SIP");
  EXPECT_EQ(v.protocol_version, "2.0");
  EXPECT_EQ(v.transport, "UDP");
  EXPECT_EQ(v.host, "192.168.1.131");
  EXPECT_EQ(v.host_type, HostType::IPv4);
  EXPECT_TRUE(v.has_port);
  EXPECT_EQ(v.port, 56980);
  EXPECT_EQ(v.params, ";branch=z9hG4bK-d87543-bd00a80d61174148-1--d87543-;rport");
  EXPECT_EQ(v.branch, "z9hG4bK-d87543-bd00a80d61174148-1--d87543-");
  EXPECT_TRUE(v.branch_is_rfc3261());
  EXPECT_TRUE(v.has_rport);
  EXPECT_FALSE(v.rport_has_value);
  EXPECT_EQ(v.rport, 0);
  EXPECT_EQ(v.received, "");
  EXPECT_EQ(v.maddr, "");
  EXPECT_FALSE(v.has_ttl);
}

TEST(ParseVia, Ipv6SentByWithEveryParam) {
  Via v = ok("SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK776asdhds;received=192.0.2.1;rport=5061;"
             "maddr=224.2.0.1;ttl=16");
  EXPECT_EQ(v.host, "2001:db8::1");
  EXPECT_EQ(v.host_type, HostType::IPv6);
  EXPECT_EQ(v.port, 5060);
  EXPECT_EQ(v.branch, "z9hG4bK776asdhds");
  EXPECT_EQ(v.received, "192.0.2.1");
  EXPECT_TRUE(v.has_rport);
  EXPECT_TRUE(v.rport_has_value);
  EXPECT_EQ(v.rport, 5061);
  EXPECT_EQ(v.maddr, "224.2.0.1");
  EXPECT_TRUE(v.has_ttl);
  EXPECT_EQ(v.ttl, 16);
}

TEST(ParseVia, HostnameWithoutPortOrParams) {
  Via v = ok("SIP/2.0/TLS pc33.atlanta.com");
  EXPECT_EQ(v.transport, "TLS");
  EXPECT_EQ(v.host, "pc33.atlanta.com");
  EXPECT_EQ(v.host_type, HostType::Name);
  EXPECT_FALSE(v.has_port);
  EXPECT_EQ(v.port, 0);
  EXPECT_EQ(v.params, "");
  EXPECT_EQ(v.branch, "");
  EXPECT_FALSE(v.branch_is_rfc3261());
  EXPECT_FALSE(v.has_rport);
}

TEST(ParseVia, LwsAroundSlashesColonSemicolonsAndEquals) {
  Via v = ok("  SIP / 2.0 / UDP   host.example.com : 5070 ; branch = z9hG4bK1 ;rport ; received= 10.0.0.1  ");
  EXPECT_EQ(v.protocol_name, "SIP");
  EXPECT_EQ(v.protocol_version, "2.0");
  EXPECT_EQ(v.transport, "UDP");
  EXPECT_EQ(v.host, "host.example.com");
  EXPECT_EQ(v.port, 5070);
  EXPECT_EQ(v.branch, "z9hG4bK1");
  EXPECT_TRUE(v.has_rport);
  EXPECT_EQ(v.received, "10.0.0.1");
  EXPECT_EQ(v.params, "; branch = z9hG4bK1 ;rport ; received= 10.0.0.1");
}

// "SIP/2.0/" is taken whole; what may follow it, and the other spellings, read as the grammar says.
TEST(ParseVia, LwsAfterTheLastSlashOfACompactProtocol) {
  struct Case {
    std::string_view text, name, transport;
  };
  for (const Case& c : {Case{"SIP/2.0/ \t TCP h.example.com;branch=z9hG4bK2", "SIP", "TCP"},
                        Case{"sip/2.0/udp h.example.com", "sip", "udp"}}) {
    const Via v = ok(c.text);
    EXPECT_EQ(v.protocol_name, c.name) << c.text;
    EXPECT_EQ(v.protocol_version, "2.0") << c.text;
    EXPECT_EQ(v.transport, c.transport) << c.text;
    EXPECT_EQ(v.host, "h.example.com") << c.text;
  }
}

TEST(ParseVia, FoldedLineIsLws) {
  Via v = ok("SIP/2.0/UDP\r\n host.example.com;branch=z9hG4bKfold");
  EXPECT_EQ(v.host, "host.example.com");
  EXPECT_EQ(v.branch, "z9hG4bKfold");
}

TEST(ParseVia, ParamNamesAreCaseInsensitiveValuesAsWritten) {
  Via v = ok("SIP/2.0/udp h.com;BRANCH=z9hG4bKAbC;RPort=1;TTL=0;Received=10.1.1.1;MADDR=Example.com");
  EXPECT_EQ(v.transport, "udp");
  EXPECT_EQ(v.branch, "z9hG4bKAbC");
  EXPECT_EQ(v.rport, 1);
  EXPECT_EQ(v.ttl, 0);
  EXPECT_EQ(v.received, "10.1.1.1");
  EXPECT_EQ(v.maddr, "Example.com");
}

TEST(ParseVia, Rfc2543BranchIsNotRfc3261) {
  EXPECT_FALSE(ok("SIP/2.0/UDP h.com;branch=1234abcd").branch_is_rfc3261());
  EXPECT_FALSE(ok("SIP/2.0/UDP h.com;branch=z9hg4bk1234").branch_is_rfc3261());
  EXPECT_TRUE(ok("SIP/2.0/UDP h.com;branch=z9hG4bK").branch_is_rfc3261());
}

TEST(ParseVia, ReceivedAcceptsIpv6WithOrWithoutBrackets) {
  EXPECT_EQ(ok("SIP/2.0/UDP h.com;received=2001:db8::9").received, "2001:db8::9");
  EXPECT_EQ(ok("SIP/2.0/UDP h.com;received=[2001:db8::9]").received, "[2001:db8::9]");
}

// A sent-by port is one to five digits (leading zeros count) up to 65535.
TEST(ParseVia, PortBoundaries) {
  EXPECT_EQ(ok("SIP/2.0/UDP h.com:65535").port, 65535);
  EXPECT_EQ(ok("SIP/2.0/UDP h.com:0").port, 0);
  EXPECT_EQ(ok("SIP/2.0/UDP 10.0.0.1:00080;branch=z9hG4bK1").port, 80);
  EXPECT_EQ(ok("SIP/2.0/UDP h.com : 5060 ;rport").port, 5060);
  for (std::string_view bad : {"SIP/2.0/UDP h.com:65536", "SIP/2.0/UDP h.com:99999", "SIP/2.0/UDP h.com:123456",
                               "SIP/2.0/UDP h.com:000080", "SIP/2.0/UDP h.com:0000000000000000000005060",
                               "SIP/2.0/UDP h.com:;rport", "SIP/2.0/UDP h.com:-1"})
    EXPECT_EQ(fault_of(bad), Fault::BadVia) << bad;
}

TEST(ParseVia, RportAndTtlBoundaries) {
  EXPECT_EQ(ok("SIP/2.0/UDP h.com;rport=65535").rport, 65535);
  EXPECT_EQ(ok("SIP/2.0/UDP h.com;rport=0").rport, 0);
  EXPECT_EQ(ok("SIP/2.0/UDP h.com;ttl=255").ttl, 255);
  EXPECT_EQ(fault_of("SIP/2.0/UDP h.com;rport=65536"), Fault::BadVia);
  EXPECT_EQ(fault_of("SIP/2.0/UDP h.com;rport=x"), Fault::BadVia);
  EXPECT_EQ(fault_of("SIP/2.0/UDP h.com;rport="), Fault::BadVia);
  EXPECT_EQ(fault_of("SIP/2.0/UDP h.com;ttl=256"), Fault::BadVia);
  EXPECT_EQ(fault_of("SIP/2.0/UDP h.com;ttl=0016"), Fault::BadVia);
  EXPECT_EQ(fault_of("SIP/2.0/UDP h.com;ttl"), Fault::BadVia);
}

TEST(ParseVia, FirstOfRepeatedParamsWins) {
  Via v = ok("SIP/2.0/UDP h.com;branch=z9hG4bKa;branch=z9hG4bKb;rport;rport=7");
  EXPECT_EQ(v.branch, "z9hG4bKa");
  EXPECT_TRUE(v.has_rport);
  EXPECT_FALSE(v.rport_has_value);
}

TEST(ParseVia, UnknownParamsAreKeptInParams) {
  Via v = ok("SIP/2.0/UDP h.com;branch=z9hG4bK1;alias;x-custom=\"a b\"");
  EXPECT_EQ(v.params, ";branch=z9hG4bK1;alias;x-custom=\"a b\"");
  EXPECT_EQ(v.branch, "z9hG4bK1");
}

TEST(ParseVia, MalformedValuesAreBadVia) {
  for (std::string_view bad : {
           "",                                     // empty
           "SIP/2.0",                              // no transport, no sent-by
           "SIP/2.0/UDP",                          // no sent-by
           "SIP/2.0/UDPh.com",                     // no LWS before sent-by
           "SIP//UDP h.com",                       // empty version
           "SIP/2.0/ h.com",                       // "h.com" becomes the transport: no sent-by
           "SIP 2.0/UDP h.com",                    // missing slash
           "SIP/2.0/UDP h.com:",                   // empty port
           "SIP/2.0/UDP h.com:65536",              // port too big
           "SIP/2.0/UDP h.com:5060x",              // junk in port
           "SIP/2.0/UDP 300.1.1.1",                // bad IPv4
           "SIP/2.0/UDP [2001:db8::1",             // unclosed IPv6
           "SIP/2.0/UDP [2001:db8:::1]",           // bad IPv6
           "SIP/2.0/UDP h.com branch=z9hG4bK1",    // params need ';'
           "SIP/2.0/UDP h.com;",                   // empty param
           "SIP/2.0/UDP h.com;;branch=z9hG4bK1",   // empty param
           "SIP/2.0/UDP h.com;branch",             // branch needs a value
           "SIP/2.0/UDP h.com;branch=",            // branch needs a value
           "SIP/2.0/UDP h.com;branch=\"z9hG4bK\"", // branch is a token
           "SIP/2.0/UDP h.com;received=h.com",     // received is an address
           "SIP/2.0/UDP h.com;received=1.2.3",     // received is an address
           "SIP/2.0/UDP h.com;maddr=-bad-",        // maddr is a host
           "SIP/2.0/UDP h.com;maddr",              // maddr needs a value
           "SIP/2.0/UDP h.com, SIP/2.0/UDP x.com", // two via-parms given as one
       }) {
    EXPECT_EQ(fault_of(bad), Fault::BadVia) << bad;
  }
}

TEST(ParseVia, PartsAreViewsIntoTheInput) {
  std::string_view in = "SIP/2.0/UDP h.com;branch=z9hG4bK1";
  Via v = ok(in);
  EXPECT_EQ(v.transport.data(), in.data() + 8);
  EXPECT_EQ(v.host.data(), in.data() + 12);
  EXPECT_EQ(v.branch.data(), in.data() + 25);
}

Message scan(std::string_view bytes) {
  Message msg;
  HandScanner scanner;
  ScanResult r = scanner.scan(bytes, Framing::Datagram, msg);
  EXPECT_EQ(r.status, ScanStatus::Complete) << fault_name(r.fault);
  return msg;
}

constexpr std::string_view kTwoHopsInvite =
    "INVITE sip:bob@biloxi.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP server10.biloxi.com;branch=z9hG4bK4b43c2ff8.1;received=192.0.2.3,\r\n"
    " SIP/2.0/UDP bigbox3.site3.atlanta.com;branch=z9hG4bK77ef4c2312983.1;received=192.0.2.2\r\n"
    "Max-Forwards: 68\r\n"
    "v: SIP/2.0/UDP pc33.atlanta.com:5066;branch=z9hG4bKnashds8;rport=5066;received=192.0.2.1\r\n"
    "To: Bob <sip:bob@biloxi.com>\r\n"
    "From: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

TEST(ViaList, IteratesEveryViaParmTopFirstAcrossHeadersAndCompactForm) {
  Message msg = scan(kTwoHopsInvite);
  ViaList vias(msg);
  Result<Via, Fault> v = Err{Fault::None};
  std::vector<std::string> hosts, branches;
  while (vias.next(v)) {
    ASSERT_TRUE(v.ok());
    hosts.emplace_back(v->host);
    branches.emplace_back(v->branch);
  }
  EXPECT_EQ(hosts, (std::vector<std::string>{"server10.biloxi.com", "bigbox3.site3.atlanta.com", "pc33.atlanta.com"}));
  EXPECT_EQ(branches, (std::vector<std::string>{"z9hG4bK4b43c2ff8.1", "z9hG4bK77ef4c2312983.1", "z9hG4bKnashds8"}));
}

// The first via-parm is the top Via's cached parse: walking the list parses it once per message.
TEST(ViaList, TheFirstViaIsTheCachedTopVia) {
  Message msg = scan(kTwoHopsInvite);
  ASSERT_EQ(msg.top_via_index().state, Message::TopViaIndex::State::Unparsed);
  ViaList vias(msg);
  Result<Via, Fault> v = Err{Fault::None};
  ASSERT_TRUE(vias.next(v));
  EXPECT_EQ(msg.top_via_index().state, Message::TopViaIndex::State::Parsed);
  const Result<Via, Fault> top = top_via(msg);
  ASSERT_TRUE(v.ok() && top.ok());
  EXPECT_EQ(v->branch.data(), top->branch.data());
  EXPECT_EQ(v->host, "server10.biloxi.com");
}

TEST(ViaList, BadItemIsReportedAndIterationContinues) {
  Message msg = scan(
      "OPTIONS sip:x@y.com SIP/2.0\r\n"
      "Via: SIP/2.0/UDP a.com;branch=z9hG4bK1, garbage, SIP/2.0/TCP c.com:5061;branch=z9hG4bK3\r\n"
      "Content-Length: 0\r\n\r\n");
  ViaList vias(msg);
  Result<Via, Fault> v = Err{Fault::None};
  ASSERT_TRUE(vias.next(v));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->host, "a.com");
  ASSERT_TRUE(vias.next(v));
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error(), Fault::BadVia);
  ASSERT_TRUE(vias.next(v));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->transport, "TCP");
  EXPECT_EQ(v->port, 5061);
  EXPECT_FALSE(vias.next(v));
}

TEST(TopVia, ReturnsTheFirstViaParmOnly) {
  Message msg = scan(kTwoHopsInvite);
  auto v = top_via(msg);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->host, "server10.biloxi.com");
  EXPECT_EQ(v->received, "192.0.2.3");
  EXPECT_FALSE(v->has_port);
}

TEST(TopVia, CompactFormOnly) {
  Message msg = scan(
      "SIP/2.0 200 OK\r\n"
      "v: SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK776asdhds;rport=5061\r\n"
      "Content-Length: 0\r\n\r\n");
  auto v = top_via(msg);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->host, "2001:db8::1");
  EXPECT_EQ(v->rport, 5061);
}

// Parsed once per message and kept as offsets: asked again it is the same parse; on a copy of the
// bytes (rebase) it names the copy's bytes; a message scanned anew into the same object has its own.
TEST(TopVia, ParsedOnceKeptAcrossRebaseForgottenByANewScan) {
  Message msg = scan(kTwoHopsInvite);
  auto first = top_via(msg);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(msg.top_via_index().state, Message::TopViaIndex::State::Parsed);
  EXPECT_EQ(top_via(msg)->branch.data(), first->branch.data());
  EXPECT_EQ(top_via_text(msg), "SIP/2.0/UDP server10.biloxi.com;branch=z9hG4bK4b43c2ff8.1;received=192.0.2.3");

  const std::string copy(kTwoHopsInvite);
  msg.rebase(copy);
  auto moved = top_via(msg);
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(moved->host.data(), copy.data() + (first->host.data() - kTwoHopsInvite.data()));
  EXPECT_EQ(moved->host, "server10.biloxi.com");
  EXPECT_EQ(moved->branch, "z9hG4bK4b43c2ff8.1");
  EXPECT_EQ(moved->received, "192.0.2.3");
  EXPECT_EQ(moved->transport, "UDP");
  EXPECT_EQ(moved->params, ";branch=z9hG4bK4b43c2ff8.1;received=192.0.2.3");
  EXPECT_FALSE(moved->has_port);

  HandScanner scanner;
  ASSERT_EQ(scanner.scan("SIP/2.0 200 OK\r\nv: SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK776;rport=5061\r\n"
                         "Content-Length: 0\r\n\r\n",
                         Framing::Datagram, msg)
                .status,
            ScanStatus::Complete);
  auto fresh = top_via(msg);
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(fresh->host, "2001:db8::1");
  EXPECT_EQ(fresh->port, 5060);
  EXPECT_EQ(fresh->rport, 5061);
  EXPECT_TRUE(fresh->rport_has_value);

  // A bad top Via is remembered as the fault it is.
  ASSERT_EQ(scanner.scan("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP a.com;rport=99999\r\nContent-Length: 0\r\n\r\n",
                         Framing::Datagram, msg)
                .status,
            ScanStatus::Complete);
  EXPECT_EQ(top_via(msg).error(), Fault::BadVia);
  EXPECT_EQ(top_via(msg).error(), Fault::BadVia);
  EXPECT_EQ(top_via_text(msg), "SIP/2.0/UDP a.com;rport=99999");
}

TEST(TopVia, MissingViaIsMissingVia) {
  Message msg = scan("OPTIONS sip:x@y.com SIP/2.0\r\nTo: <sip:x@y.com>\r\nContent-Length: 0\r\n\r\n");
  auto v = top_via(msg);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error(), Fault::MissingVia);
}

// The real captures of the seed call flows (tests/data/seeds): every Via of every message parses,
// and all but the four RFC 2543-style ones of the 302 example (002_24..27, "here.com", no branch)
// carry an RFC 3261 branch. 82 Via lines, none comma-joined.
TEST(ViaList, EverySeedMessageViaParses) {
  unsigned total = 0, messages = 0, rfc3261 = 0, without_branch = 0;
  for (const testing::SeedFile& seed : testing::seed_files()) {
    const std::string& bytes = seed.bytes;
    Message msg = scan(bytes);
    ++messages;
    ViaList vias(msg);
    Result<Via, Fault> v = Err{Fault::None};
    while (vias.next(v)) {
      ASSERT_TRUE(v.ok()) << bytes;
      if (v->branch_is_rfc3261()) ++rfc3261;
      if (v->branch.empty()) {
        ++without_branch;
        EXPECT_EQ(v->host, "here.com");
      }
      EXPECT_EQ(v->protocol_name, "SIP");
      ++total;
    }
    EXPECT_TRUE(top_via(msg).ok()) << bytes;
  }
  EXPECT_EQ(messages, 63u);
  EXPECT_EQ(total, 82u);
  EXPECT_EQ(rfc3261, 78u);
  EXPECT_EQ(without_branch, 4u);
}

TEST(TopVia, MalformedTopViaIsBadVia) {
  Message msg = scan("OPTIONS sip:x@y.com SIP/2.0\r\nVia: SIP/2.0/UDP\r\nContent-Length: 0\r\n\r\n");
  auto v = top_via(msg);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error(), Fault::BadVia);
}

}  // namespace
}  // namespace sipedge::parser
