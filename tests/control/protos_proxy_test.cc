// tests/control/protos_proxy_test.cc — test thread. The PROTOS c07-sip cases through the proxy as the
// gateway hands them over (scanned: complete ones to on_message, refused ones with their partial
// index to on_malformed), from an unauthenticated access address. Oracle, independent of the parser:
// a request other than ACK whose start line and Via, From, To, Call-ID and CSeq lines can be read
// (plain text, no control bytes) always draws an answer: sipedge never refuses in silence what it
// could answer. And nothing is left behind once the timers have run.
#include <gtest/gtest.h>

#include <cctype>

#include "tests/control/proxy_test_util.h"
#include "tests/parser/protos_corpus.h"

namespace sipedge::control {
namespace {

using namespace sipedge::control::testing;

// True when `line` has no control byte but HT (high bytes are fine: UTF-8 is allowed in SIP).
bool plain(std::string_view line) {
  return std::none_of(line.begin(), line.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && c != '\t') || u == 0x7f;
  });
}

bool iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return std::tolower(x) == std::tolower(y); });
}

// The header name of a plain "name [SP/HT] : value" line, "" when the line is not one.
std::string_view header_name(std::string_view line) {
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return {};
  std::string_view name = line.substr(0, colon);
  while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
  return name;
}

// The oracle: a request line and the five headers a response is built from, each on a plain line.
bool answerable(const std::string& bytes) {
  // Larger than any UDP datagram (65507 bytes of payload): such a case cannot reach sipedge.
  if (bytes.size() > 65507) return false;
  const size_t end = bytes.find("\r\n\r\n");
  if (end == std::string::npos) return false;
  std::vector<std::string_view> lines;
  std::string_view head(bytes.data(), end);
  for (size_t at = 0; at <= head.size();) {
    size_t nl = head.find("\r\n", at);
    if (nl == std::string_view::npos) nl = head.size();
    lines.push_back(head.substr(at, nl - at));
    at = nl + 2;
  }
  // Request-Line = Method SP Request-URI SP SIP-Version, the method letters only.
  const std::string_view start = lines[0];
  const size_t sp1 = start.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : start.find(' ', sp1 + 1);
  if (!plain(start) || sp1 == 0 || sp2 == std::string_view::npos || sp2 == sp1 + 1 ||
      start.substr(sp2 + 1) != "SIP/2.0")
    return false;
  const std::string_view method = start.substr(0, sp1);
  if (!std::all_of(method.begin(), method.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)); }) ||
      method == "ACK")
    return false;
  const std::vector<std::vector<std::string_view>> wanted = {
      {"via", "v"}, {"from", "f"}, {"to", "t"}, {"call-id", "i"}, {"cseq"}};
  for (const auto& names : wanted) {
    bool found = false;
    for (size_t i = 1; i < lines.size() && !found; ++i) {
      if (!plain(lines[i])) continue;
      const std::string_view name = header_name(lines[i]);
      for (std::string_view n : names) found = found || iequal(name, n);
    }
    if (!found) return false;
  }
  return true;
}

// Every case delivered from `source` on interface `iface`: each answerable request must draw a
// message (an answer, or the request forwarded on), and nothing may be left once the timers ran.
// Returns the proxy's counters.
ProxyCounters run_protos(ControlConfig config, const Endpoint& source, uint16_t iface) {
  std::vector<test::ProtosMessage> cases;
  const bool loaded = test::load_protos(cases);
  EXPECT_TRUE(loaded) << "truncated or corrupt archive";
  if (!loaded) return {};
  RecordingTransport wire;
  FakeRelay relay;
  ManualClock clock;
  MediaManager media{config, relay};
  parser::HandScanner scanner;
  Proxy proxy{config, wire, media, clock, scanner};
  size_t answerable_cases = 0, silent = 0;
  std::string first_silent;  // the first few, with the scanner's verdict
  for (const test::ProtosMessage& c : cases) {
    parser::Message msg;
    const auto r = parser::HandScanner().scan(c.bytes, parser::Framing::Datagram, msg);
    const Inbound in{msg, source, {}, iface};
    const size_t before = wire.sent.size();
    if (r.status == parser::ScanStatus::Complete)
      proxy.on_message(in);
    else
      proxy.on_malformed(in, r.fault);
    if (!answerable(c.bytes)) continue;
    ++answerable_cases;
    if (wire.sent.size() == before) {
      if (silent++ < 10)
        first_silent += std::to_string(c.number) + (c.invite ? ".invite" : ".cancel") + " (" +
                        std::string(parser::fault_name(r.fault)) + ") ";
    }
  }
  EXPECT_GT(answerable_cases, 4000u) << "the oracle should find most cases answerable";
  EXPECT_EQ(silent, 0u) << "answerable requests dropped without a word: " << first_silent;
  // Long enough for a forwarded INVITE nobody answers: Timer B (64*T1), then its 408's Timer H.
  for (int i = 0; i < 1000; ++i) {
    clock.advance(100);
    proxy.on_tick();
  }
  EXPECT_EQ(proxy.transactions().size(), 0u);
  EXPECT_EQ(proxy.context_count(), 0u);
  EXPECT_EQ(proxy.calls().size(), 0u);
  EXPECT_EQ(media.session_count(), 0u);
  EXPECT_EQ(relay.size(), 0u);
  return proxy.counters();
}

TEST(ProtosThroughTheProxy, EveryAnswerableRequestIsAnsweredAndNothingIsLeftBehind) {
  if (!std::filesystem::exists(test::kProtosCorpus))
    GTEST_SKIP() << "PROTOS corpus not found at " << test::kProtosCorpus << " (it lives in ../shared beside the clone)";
  run_protos(test_config(), Endpoint{IpAddr::v4(10, 201, 0, 99), 5060}, 0);
}

// The same from the trusted core side in b2bua mode: requests to IP addresses are carried, each
// written from scratch on its callee leg out of a malformed message.
TEST(ProtosThroughTheProxy, InB2buaModeFromTheTrustedSide) {
  if (!std::filesystem::exists(test::kProtosCorpus))
    GTEST_SKIP() << "PROTOS corpus not found at " << test::kProtosCorpus << " (it lives in ../shared beside the clone)";
  ControlConfig config = test_config();
  config.default_mode = SignallingMode::B2bua;
  const ProxyCounters c = run_protos(config, Endpoint{IpAddr::v4(10, 202, 0, 99), 5060}, 1);
  EXPECT_GT(c.b2bua_calls, 100u) << "the cases should have been carried, not refused";
}

}  // namespace
}  // namespace sipedge::control
