// tests/control/views_test.cc — pins control/api/views.cc and proxy_commands.cc: the exact JSON the
// management API shows for calls (with relayed packets), registrations, transactions, proxy counters
// and media flows built in the test, in a stable order, and the command set a gateway serves.
#include "control/api/views.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "control/api/proxy_commands.h"
#include "parser/scanner_hand.h"

namespace sipedge::control {
// Named, not anonymous: its kAnswer would clash with the proxy fixture's in a unity batch.
namespace views_test {

using nlohmann::json;

// Relay fake with per-flow counters the test sets.
struct CountingRelay : FlowBackend {
  std::map<Handle, Counters> flows;
  Handle next = 1;
  Result<Handle, MediaError> install(const End&, const End&) override {
    flows[next] = {};
    return next++;
  }
  Result<std::monostate, MediaError> update(Handle h, const End&, const End&) override {
    if (flows.count(h) == 0) return Err(MediaError::RelayRefused);
    return std::monostate{};
  }
  void remove(Handle h) override { flows.erase(h); }
  Counters counters(Handle h) const override { return flows.at(h); }
  size_t size() const override { return flows.size(); }
};

struct NullTransport : SipTransport {
  SendResult transmit(uint16_t, const Endpoint&, std::string_view) override { return SendResult::Sent; }
};

struct NullTu : TransactionUser {
  void on_response(TxnId, const Inbound&) override {}
  void on_client_timeout(TxnId) override {}
  void on_client_transport_error(TxnId) override {}
  void on_server_ack(TxnId, const Inbound&) override {}
  void on_server_no_ack(TxnId) override {}
  void on_terminated(TxnId) override {}
};

InterfaceConfig iface(std::string name, uint16_t index, const char* addr, uint16_t min_port) {
  InterfaceConfig i;
  i.name = std::move(name);
  i.index = index;
  i.role = index == 0 ? InterfaceRole::Access : InterfaceRole::Core;
  i.sip_address = *IpAddr::parse(addr);
  i.media_address = i.sip_address;
  i.subnet = *IpPrefix::parse(std::string(addr) + "/24");
  i.media_port_min = min_port;
  i.media_port_max = static_cast<uint16_t>(min_port + 99);
  return i;
}

ControlConfig make_config() {
  ControlConfig c;
  c.interfaces = {iface("access", 0, "10.201.0.1", 20000), iface("core", 1, "10.202.0.1", 30000)};
  c.domains = {"sipedge.test"};
  c.realm = "sipedge.test";
  c.auth.realm = "sipedge.test";
  c.default_interface = "core";
  c.nat_keepalive_s = 0;
  return c;
}

constexpr std::string_view kOffer =
    "v=0\r\no=- 1 1 IN IP4 192.168.1.10\r\ns=-\r\nc=IN IP4 192.168.1.10\r\nt=0 0\r\n"
    "m=audio 4000 RTP/AVP 0\r\na=rtcp-mux\r\n";
constexpr std::string_view kAnswer =
    "v=0\r\no=- 2 1 IN IP4 10.202.0.50\r\ns=-\r\nc=IN IP4 10.202.0.50\r\nt=0 0\r\n"
    "m=audio 16384 RTP/AVP 0\r\na=rtcp-mux\r\n";

class ViewsTest : public ::testing::Test {
 protected:
  ControlConfig config = make_config();
  CountingRelay relay;
  MediaManager media{config, relay};
};

TEST_F(ViewsTest, CallsAreListedByStartTimeWithPartiesStateAndRelayedPackets) {
  const MediaSessionId session = media.create(0, 1);
  ASSERT_TRUE(media.rewrite(session, MediaSide::Caller, kOffer, SdpRole::Offer).ok());
  ASSERT_TRUE(media.rewrite(session, MediaSide::Callee, kAnswer, SdpRole::Answer).ok());
  ASSERT_EQ(relay.flows.size(), 1u);
  relay.flows.begin()->second.packets[0] = 250;
  relay.flows.begin()->second.packets[1] = 248;
  relay.flows.begin()->second.bytes[0] = 43000;
  relay.flows.begin()->second.bytes[1] = 42656;

  CallTable calls;
  Call& late = calls.create("b-call");
  late.state = CallState::Trying;
  late.start_ms = 1'700'000'002'000;
  late.caller.set_uri("sip:1012@sipedge.test");
  late.caller.peer = {IpAddr::v4(10, 201, 0, 3), 5062};
  late.callee.set_uri("sip:+4930123@sipedge.test");
  late.callee.peer = {IpAddr::v4(10, 202, 0, 2), 5060};
  late.callee.iface = 1;
  late.b2bua = true;
  late.caller.local = std::make_unique<LocalEnd>();
  late.caller.local->call_id = "b-call";
  calls.add_call_id(late, "b-leg@sipedge");
  Call& early = calls.create("a-call");
  early.state = CallState::Confirmed;
  early.media = session;
  early.start_ms = 1'700'000'001'000;
  early.answer_ms = 1'700'000'001'500;
  early.caller.set_uri("sip:1006@sipedge.test");
  early.caller.peer = {*IpAddr::parse("2001:db8::6"), 5060};
  early.callee.set_uri("sip:1012@sipedge.test");
  early.callee.peer = {IpAddr::v4(10, 201, 0, 3), 5062};

  EXPECT_EQ(calls_view(calls, media).dump(),
            R"({"calls":[)"
            R"({"answer_ms":1700000001500,"call_id":"a-call",)"
            R"("callee":{"iface":0,"peer":"10.201.0.3:5062"},"caller":{"iface":0,"peer":"[2001:db8::6]:5060"},)"
            R"("from":"sip:1006@sipedge.test",)"
            R"("media":{"bytes_callee_to_caller":42656,"bytes_caller_to_callee":43000,)"
            R"("packets_callee_to_caller":248,"packets_caller_to_callee":250,"session":1},"mode":"proxy",)"
            R"("start_ms":1700000001000,"state":"confirmed","to":"sip:1012@sipedge.test"},)"
            R"({"answer_ms":0,"call_id":"b-call",)"
            R"("callee":{"call_id":"b-leg@sipedge","iface":1,"peer":"10.202.0.2:5060"},)"
            R"("caller":{"call_id":"b-call","iface":0,"peer":"10.201.0.3:5062"},)"
            R"("from":"sip:1012@sipedge.test",)"
            R"("media":{"bytes_callee_to_caller":0,"bytes_caller_to_callee":0,)"
            R"("packets_callee_to_caller":0,"packets_caller_to_callee":0,"session":0},"mode":"b2bua",)"
            R"("start_ms":1700000002000,"state":"trying","to":"sip:+4930123@sipedge.test"}],)"
            R"("count":2})");
}

TEST_F(ViewsTest, NoCallsIsAnEmptyListNotNull) {
  EXPECT_EQ(calls_view(CallTable{}, media).dump(), R"({"calls":[],"count":0})");
}

TEST(Views, RegistrationsShowWhereTheRegisterCameFromAndSecondsLeftRoundedUp) {
  Location location;
  Binding nat;
  nat.aor = "1006@sipedge.test";
  nat.contact_uri = "sip:1006@192.168.1.10:5060;transport=udp";
  nat.received = {IpAddr::v4(198, 51, 100, 7), 40123};
  nat.behind_nat = true;
  nat.expires_at_ms = 1'000'000 + 3'600'000;
  nat.user_agent = "eyeBeam release 1004p stamp 31962";
  location.upsert(nat);
  Binding second = nat;
  second.contact_uri = "sip:1006@192.168.1.11:5060";
  second.expires_at_ms = 1'000'000 + 30'000;
  location.upsert(second);
  Binding direct;
  direct.aor = "1012@sipedge.test";
  direct.contact_uri = "sip:1012@10.201.0.3:5062";
  direct.received = {IpAddr::v4(10, 201, 0, 3), 5062};
  direct.iface = 0;
  direct.expires_at_ms = 1'000'000;  // expires now: 0 left, still shown until the registrar expires it
  location.upsert(direct);

  EXPECT_EQ(registrations_view(location, 1'000'000 + 10'001).dump(),
            R"({"count":3,"registrations":[)"
            R"({"aor":"1006@sipedge.test","behind_nat":true,"contact":"sip:1006@192.168.1.10:5060;transport=udp",)"
            R"("expires_in_s":3590,"iface":0,"received":"198.51.100.7:40123",)"
            R"("user_agent":"eyeBeam release 1004p stamp 31962"},)"
            R"({"aor":"1006@sipedge.test","behind_nat":true,"contact":"sip:1006@192.168.1.11:5060",)"
            R"("expires_in_s":20,"iface":0,"received":"198.51.100.7:40123",)"
            R"("user_agent":"eyeBeam release 1004p stamp 31962"},)"
            R"({"aor":"1012@sipedge.test","behind_nat":false,"contact":"sip:1012@10.201.0.3:5062",)"
            R"("expires_in_s":0,"iface":0,"received":"10.201.0.3:5062","user_agent":""}]})");
  EXPECT_EQ(registrations_view(Location{}, 0).dump(), R"({"count":0,"registrations":[]})");
}

TEST(Views, TransactionsShowKindStateMethodAndBranchById) {
  TimerWheel wheel{0, 10};
  NullTransport transport;
  NullTu tu;
  parser::HandScanner scanner;
  TransactionLayer layer{wheel, transport, tu, TimerConfig{}, scanner};
  EXPECT_EQ(transactions_view(layer).dump(), R"({"clients":0,"count":0,"servers":0,"transactions":[]})");

  const Endpoint peer{IpAddr::v4(10, 202, 0, 2), 5060};
  layer.send_request("INVITE sip:x SIP/2.0\r\n\r\n", "INVITE", "z9hG4bKc1", 1, peer);
  const std::string options =
      "OPTIONS sip:sipedge.test SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 10.201.0.2:5060;branch=z9hG4bKs1\r\n"
      "Max-Forwards: 70\r\n"
      "From: <sip:1006@sipedge.test>;tag=a\r\n"
      "To: <sip:sipedge.test>\r\n"
      "Call-ID: opt-1\r\n"
      "CSeq: 1 OPTIONS\r\n"
      "Content-Length: 0\r\n\r\n";
  parser::Message m;
  ASSERT_EQ(parser::HandScanner().scan(options, parser::Framing::Datagram, m).status, parser::ScanStatus::Complete);
  const Inbound in{m, {IpAddr::v4(10, 201, 0, 2), 5060}, {IpAddr::v4(10, 201, 0, 1), 5060}, 0};
  ASSERT_EQ(layer.on_request(in), RequestMatch::New);
  layer.create_server(in);
  layer.send_request("BYE sip:y SIP/2.0\r\n\r\n", "BYE", "z9hG4bKc2", 1, peer);

  EXPECT_EQ(transactions_view(layer).dump(),
            R"({"clients":2,"count":3,"servers":1,"transactions":[)"
            R"({"branch":"z9hG4bKc1","id":1,"kind":"client-invite","method":"INVITE","state":"Calling"},)"
            R"({"branch":"z9hG4bKs1","id":2,"kind":"server-non-invite","method":"OPTIONS","state":"Trying"},)"
            R"({"branch":"z9hG4bKc2","id":3,"kind":"client-non-invite","method":"BYE","state":"Trying"}]})");
}

TEST(Views, ProxyStatsNameEveryCounterOfTheXMacroAndEveryRefusalCause) {
  ProxyCounters counters;
  counters.requests_in = 12;
  counters.dropped_responses = 3;
  counters.calls_started = 1;
  counters.refusals[static_cast<size_t>(RefusalCause::RelayFull)] = 2;
  const json j = proxy_stats_view(counters);
  EXPECT_EQ(j.dump(),
            R"({"auth_challenges":0,"auth_failures":0,"b2bua_calls":0,"banned_dropped":0,"calls_answered":0,"calls_ended":0,"calls_forwarded":0,)"
            R"("calls_started":1,"dialog_refused":0,"dropped_responses":3,"forward_refused":0,"forwarded_requests":0,)"
            R"("forwarded_responses":0,"glare_refused":0,"keepalives_sent":0,"local_replies":0,"loops":0,"malformed":0,"media_timeouts":0,)"
            R"("no_route":0,"policy_bans":0,"policy_dropped":0,"rate_limited":0,"redirects_followed":0,"redirects_refused":0,)"
            R"("refusals":{"AddressFamily":0,"BadSdp":0,"NoInterface":0,"NoPorts":0,"Overload":0,"RelayFull":2,"RelayRefused":0,)"
            R"("RewriteFailed":0,"TooManyStreams":0},"replaces_asked":0,"replaces_unanswered":0,"requests_in":12,)"
            R"("responses_in":0,"retransmissions":0,"ring_timeouts":0,"session_expiries":0,"spirals":0,"stateless_acks":0,"stateless_responses":0})");
  // One member per counter field: a counter added to the X-macro shows up without touching the view.
  EXPECT_EQ((j.size() - 1) * sizeof(uint64_t) + sizeof(counters.refusals), sizeof(ProxyCounters));
  EXPECT_EQ(j["refusals"].size(), kRefusalCauseCount);
}

TEST_F(ViewsTest, FlowsCountSessionsFlowsAndPortsPerInterface) {
  EXPECT_EQ(flows_view(media).dump(), R"({"flows":0,"sessions":0})");
  const MediaSessionId session = media.create(0, 1);
  ASSERT_TRUE(media.rewrite(session, MediaSide::Caller, kOffer, SdpRole::Offer).ok());
  EXPECT_EQ(flows_view(media, config.interfaces).dump(),
            R"({"flows":0,"ports_in_use":{"access":2,"core":2},"sessions":1})");
  ASSERT_TRUE(media.rewrite(session, MediaSide::Callee, kAnswer, SdpRole::Answer).ok());
  EXPECT_EQ(flows_view(media).dump(), R"({"flows":1,"sessions":1})");
  media.destroy(session);
  EXPECT_EQ(flows_view(media, config.interfaces).dump(),
            R"({"flows":0,"ports_in_use":{"access":0,"core":0},"sessions":0})");
}

TEST_F(ViewsTest, ProxyCommandsAnswerEveryNameSipedgectlSends) {
  NullTransport transport;
  ManualClock clock;
  parser::HandScanner scanner;
  Proxy proxy{config, transport, media, clock, scanner};
  const CommandSet set = proxy_commands(proxy, media, config, clock);
  EXPECT_EQ(set.names, (std::vector<std::string>{"ping", "calls", "registrations", "transactions", "flows", "stats",
                                                 "bans", "unban"}));
  const json request = json::object();
  EXPECT_EQ(set.handler("ping", request).dump(), R"({"pong":true})");
  EXPECT_EQ(set.handler("calls", request).dump(), R"({"calls":[],"count":0})");
  EXPECT_EQ(set.handler("registrations", request).dump(), R"({"count":0,"registrations":[]})");
  EXPECT_EQ(set.handler("transactions", request).dump(), R"({"clients":0,"count":0,"servers":0,"transactions":[]})");
  EXPECT_EQ(set.handler("flows", request).dump(), R"({"flows":0,"ports_in_use":{"access":0,"core":0},"sessions":0})");
  const json stats = set.handler("stats", request);
  EXPECT_EQ(stats["state"].dump(),
            R"({"calls":0,"flows":0,"media_sessions":0,"proxy_contexts":0,"registrations":0,"transactions":0})");
  EXPECT_EQ(stats["proxy"], proxy_stats_view(ProxyCounters{}));
  EXPECT_EQ(set.handler("bans", request).dump(),
            R"({"bans":[],"bans_total":0,"count":0,"lifted_total":0,"lockout":{"enabled":true,"failures_total":0,)"
            R"("lockouts_total":0,"throttled_refusals":0,"throttled_users":0,"throttles_total":0,"tracked_sources":0},)"
            R"("rate_limited_sources":0})");
  clock.advance(5000);
  proxy.bans().ban(*IpAddr::parse("2001:db8::9"), "operator", clock.monotonic_ms());
  clock.advance(1500);
  EXPECT_EQ(set.handler("bans", request)["bans"].dump(),
            R"([{"addr":"2001:db8::9","banned_for_s":300,"expires_in_s":299,"offence":1,"reason":"operator"}])");
  EXPECT_EQ(set.handler("unban", json{{"addr", "2001:db8::9"}}).dump(), R"({"addr":"2001:db8::9","lifted":true})");
  EXPECT_EQ(set.handler("unban", json{{"addr", "2001:db8::9"}}).dump(), R"({"addr":"2001:db8::9","lifted":false})");
  EXPECT_TRUE(set.handler("unban", json{{"addr", "not-an-address"}}).contains("error"));
  EXPECT_TRUE(set.handler("unban", request).contains("error"));
}

}  // namespace views_test
}  // namespace sipedge::control
