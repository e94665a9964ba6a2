// Pins control/transaction/transaction_layer.cc against RFC 3261 §17 timing and matching, driving
// time by hand through the timer wheel.
#include "control/transaction/transaction_layer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "parser/scanner_hand.h"

namespace sipedge::control {
namespace {

struct Sent {
  uint16_t iface;
  Endpoint dest;
  std::string bytes;
};

struct RecordingTransport : SipTransport {
  std::vector<Sent> sent;
  bool unreachable = false;  // no route to any peer
  SendResult transmit(uint16_t iface, const Endpoint& dest, std::string_view bytes) override {
    if (unreachable) return SendResult::Unreachable;
    sent.push_back({iface, dest, std::string(bytes)});
    return SendResult::Sent;
  }
};

struct RecordingTu : TransactionUser {
  std::vector<std::string> events;
  std::vector<uint16_t> statuses;
  void on_response(TxnId, const Inbound& r) override {
    events.push_back("response");
    statuses.push_back(r.msg.status_code());
  }
  void on_client_timeout(TxnId) override { events.push_back("timeout"); }
  void on_client_transport_error(TxnId) override { events.push_back("transport"); }
  void on_server_ack(TxnId, const Inbound&) override { events.push_back("ack"); }
  void on_server_no_ack(TxnId) override { events.push_back("no-ack"); }
  void on_terminated(TxnId) override { events.push_back("terminated"); }
};

const Endpoint kPeer{IpAddr::v4(10, 201, 0, 2), 5060};

const std::string kInvite =
    "INVITE sip:1012@10.202.0.2 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 10.202.0.1:5060;branch=z9hG4bKabc123\r\n"
    "Route: <sip:10.202.0.9;lr>\r\n"
    "Max-Forwards: 69\r\n"
    "From: <sip:1006@example.com>;tag=f1\r\n"
    "To: <sip:1012@example.com>\r\n"
    "Call-ID: call-1\r\n"
    "CSeq: 7 INVITE\r\n"
    "Content-Length: 0\r\n\r\n";

std::string response(uint16_t status, std::string_view reason, std::string_view branch = "z9hG4bKabc123",
                     std::string_view method = "INVITE") {
  return "SIP/2.0 " + std::to_string(status) + " " + std::string(reason) +
         "\r\nVia: SIP/2.0/UDP 10.202.0.1:5060;branch=" + std::string(branch) +
         "\r\nFrom: <sip:1006@example.com>;tag=f1\r\nTo: <sip:1012@example.com>;tag=t9\r\nCall-ID: call-1\r\nCSeq: 7 " +
         std::string(method) + "\r\nContent-Length: 0\r\n\r\n";
}

class TxnTest : public ::testing::Test {
 protected:
  TimerWheel wheel{0, 10};
  RecordingTransport transport;
  RecordingTu tu;
  parser::HandScanner scanner;
  TransactionLayer layer{wheel, transport, tu, TimerConfig{}, scanner};

  void advance_to(uint64_t ms) {
    wheel.advance(ms, [&](uint64_t cookie) { layer.on_timer(cookie); });
  }
  bool deliver_response(const std::string& bytes) {
    parser::Message m;
    EXPECT_EQ(parser::HandScanner().scan(bytes, parser::Framing::Datagram, m).status, parser::ScanStatus::Complete);
    return layer.on_response(Inbound{m, kPeer, {}, 1});
  }
  RequestMatch deliver_request(const std::string& bytes, TxnId* id = nullptr, bool create = true) {
    parser::Message m;
    EXPECT_EQ(parser::HandScanner().scan(bytes, parser::Framing::Datagram, m).status, parser::ScanStatus::Complete);
    Inbound in{m, kPeer, {}, 0};
    const RequestMatch r = layer.on_request(in, id);
    if (r == RequestMatch::New && create && m.method() != parser::Method::Ack) *id = layer.create_server(in);
    return r;
  }
};

TEST_F(TxnTest, ClientInviteRetransmitsOnTimerAUntilTimerB) {
  layer.send_request(kInvite, "INVITE", "z9hG4bKabc123", 1, kPeer);
  ASSERT_EQ(transport.sent.size(), 1u);
  // Timer A: 500, 1000, 2000, 4000, 8000, 16000 ms after the previous send (§17.1.1.2).
  const uint64_t at[] = {500, 1500, 3500, 7500, 15500, 31500};
  for (size_t i = 0; i < 6; ++i) {
    advance_to(at[i] - 10);
    EXPECT_EQ(transport.sent.size(), i + 1) << "early retransmission before " << at[i];
    advance_to(at[i]);
    EXPECT_EQ(transport.sent.size(), i + 2) << "no retransmission at " << at[i];
    EXPECT_EQ(transport.sent.back().bytes, kInvite);
  }
  advance_to(31990);
  EXPECT_TRUE(tu.events.empty());
  advance_to(32000);  // Timer B = 64*T1
  EXPECT_EQ(tu.events, (std::vector<std::string>{"timeout", "terminated"}));
  EXPECT_EQ(layer.size(), 0u);
  EXPECT_EQ(wheel.size(), 0u);
}

TEST_F(TxnTest, ProvisionalStopsRetransmissionsAndFinalNon2xxIsAcked) {
  layer.send_request(kInvite, "INVITE", "z9hG4bKabc123", 1, kPeer);
  ASSERT_TRUE(deliver_response(response(180, "Ringing")));
  advance_to(60000);
  EXPECT_EQ(transport.sent.size(), 1u) << "Timer A must stop in Proceeding";
  ASSERT_TRUE(deliver_response(response(486, "Busy Here")));
  ASSERT_EQ(transport.sent.size(), 2u);
  EXPECT_EQ(transport.sent[1].bytes,
            "ACK sip:1012@10.202.0.2 SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 10.202.0.1:5060;branch=z9hG4bKabc123\r\n"
            "Route: <sip:10.202.0.9;lr>\r\n"
            "Max-Forwards: 70\r\n"
            "From: <sip:1006@example.com>;tag=f1\r\n"
            "To: <sip:1012@example.com>;tag=t9\r\n"
            "Call-ID: call-1\r\n"
            "CSeq: 7 ACK\r\n"
            "Content-Length: 0\r\n\r\n");
  // A retransmitted 486 is answered with the same ACK and not passed up again.
  ASSERT_TRUE(deliver_response(response(486, "Busy Here")));
  EXPECT_EQ(transport.sent.size(), 3u);
  EXPECT_EQ(transport.sent[2].bytes, transport.sent[1].bytes);
  EXPECT_EQ(tu.statuses, (std::vector<uint16_t>{180, 486}));
  advance_to(60000 + 32000);  // Timer D
  EXPECT_EQ(layer.size(), 0u);
}

TEST_F(TxnTest, Client2xxEntersAcceptedAndPassesRetransmissionsUp) {
  layer.send_request(kInvite, "INVITE", "z9hG4bKabc123", 1, kPeer);
  ASSERT_TRUE(deliver_response(response(200, "OK")));
  ASSERT_TRUE(deliver_response(response(200, "OK")));
  EXPECT_EQ(tu.statuses, (std::vector<uint16_t>{200, 200}));
  EXPECT_EQ(transport.sent.size(), 1u) << "the 2xx ACK is the TU's, not the transaction's";
  advance_to(31990);
  EXPECT_EQ(layer.size(), 1u);
  advance_to(32000);  // Timer M
  EXPECT_EQ(layer.size(), 0u);
}

// A lingering transaction keeps only what it may send again: a client one drops its request on its
// final response (a non-2xx's ACK is built first and resent for retransmitted finals), a server
// INVITE one its 2xx (RFC 6026: retransmitted INVITEs are absorbed, the TU passes each 2xx
// retransmission); a server non-INVITE one keeps its answer for retransmitted requests (Timer J).
TEST_F(TxnTest, LingeringTransactionsKeepOnlyWhatTheyMaySendAgain) {
  const TxnId accepted = layer.send_request(kInvite, "INVITE", "z9hG4bKabc123", 1, kPeer);
  ASSERT_NE(layer.request_bytes(accepted), nullptr);
  ASSERT_EQ(*layer.request_bytes(accepted), kInvite);
  ASSERT_TRUE(deliver_response(response(200, "OK")));
  EXPECT_EQ(layer.request_bytes(accepted), nullptr);

  const TxnId rejected = layer.send_request(kInvite, "INVITE", "z9hG4bKrej", 1, kPeer);
  ASSERT_TRUE(deliver_response(response(486, "Busy Here", "z9hG4bKrej")));
  EXPECT_EQ(layer.request_bytes(rejected), nullptr);
  ASSERT_EQ(transport.sent.size(), 3u);  // two INVITEs, the ACK
  ASSERT_TRUE(deliver_response(response(486, "Busy Here", "z9hG4bKrej")));
  ASSERT_EQ(transport.sent.size(), 4u);
  EXPECT_EQ(transport.sent[3].bytes, transport.sent[2].bytes) << "the ACK again, from what it kept";
  EXPECT_TRUE(transport.sent[3].bytes.starts_with("ACK sip:1012@10.202.0.2 SIP/2.0\r\n"));

  const TxnId non_invite = layer.send_request(kInvite, "OPTIONS", "z9hG4bKopt", 1, kPeer);
  ASSERT_TRUE(deliver_response(response(200, "OK", "z9hG4bKopt", "OPTIONS")));
  EXPECT_EQ(layer.request_bytes(non_invite), nullptr);
  advance_to(500);
  EXPECT_EQ(transport.sent.size(), 5u) << "no Timer E after the final";

  TxnId server = 0;
  std::string invite = kInvite;
  invite.replace(invite.find("z9hG4bKabc123"), 13, "z9hG4bKsrv001");
  ASSERT_EQ(deliver_request(invite, &server), RequestMatch::New);
  ASSERT_TRUE(layer.respond(server, 200, "SIP/2.0 200 OK first"));
  EXPECT_EQ(transport.sent.back().bytes, "SIP/2.0 200 OK first");
  TxnId again = 0;
  EXPECT_EQ(deliver_request(invite, &again), RequestMatch::Retransmission);
  EXPECT_EQ(transport.sent.size(), 6u) << "Accepted absorbs a retransmitted INVITE";
  ASSERT_TRUE(layer.respond(server, 200, "SIP/2.0 200 OK again"));
  EXPECT_EQ(transport.sent.back().bytes, "SIP/2.0 200 OK again") << "the TU's retransmission goes out";

  const std::string bye =
      "BYE sip:1006@10.201.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 10.201.0.2:5060;branch=z9hG4bKbye1\r\n"
      "From: <sip:1012@example.com>;tag=t9\r\nTo: <sip:1006@example.com>;tag=f1\r\nCall-ID: call-1\r\n"
      "CSeq: 8 BYE\r\n\r\n";
  TxnId bye_server = 0;
  ASSERT_EQ(deliver_request(bye, &bye_server), RequestMatch::New);
  ASSERT_TRUE(layer.respond(bye_server, 200, "SIP/2.0 200 OK bye"));
  EXPECT_EQ(deliver_request(bye, &again), RequestMatch::Retransmission);
  EXPECT_EQ(transport.sent.back().bytes, "SIP/2.0 200 OK bye") << "Timer J's transaction still answers";
  EXPECT_EQ(transport.sent.size(), 9u);
}

// RFC 3261 §17.1.1.2: a transport error ends the client transaction and the TU is told, from the
// next timer tick (the TU has not even stored the new id while send_request runs).
TEST_F(TxnTest, UnreachableNextHopIsATransportErrorReportedOnTheNextTick) {
  transport.unreachable = true;
  layer.send_request(kInvite, "INVITE", "z9hG4bKabc123", 1, kPeer);
  EXPECT_TRUE(tu.events.empty()) << "never from inside send_request";
  advance_to(10);
  EXPECT_EQ(tu.events, (std::vector<std::string>{"transport", "terminated"}));
  EXPECT_EQ(layer.size(), 0u);
  EXPECT_EQ(transport.counters().unreachable, 1u);
}

TEST_F(TxnTest, RetransmissionThatFindsNoRouteEndsTheTransaction) {
  layer.send_request(kInvite, "INVITE", "z9hG4bKabc123", 1, kPeer);
  transport.unreachable = true;  // the route went away
  advance_to(500);               // Timer A
  EXPECT_EQ(tu.events, (std::vector<std::string>{"transport", "terminated"}));
  EXPECT_EQ(layer.size(), 0u);
}

TEST_F(TxnTest, ResponsesMatchByBranchAndMethod) {
  layer.send_request(kInvite, "INVITE", "z9hG4bKabc123", 1, kPeer);
  EXPECT_FALSE(deliver_response(response(200, "OK", "z9hG4bKother")));
  EXPECT_FALSE(deliver_response(response(200, "OK", "z9hG4bKabc123", "CANCEL")));
  EXPECT_TRUE(tu.events.empty());
}

TEST_F(TxnTest, ClientNonInviteTimerECapsAtT2) {
  const std::string bye = "BYE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKbye\r\nCSeq: 8 BYE\r\n\r\n";
  layer.send_request(bye, "BYE", "z9hG4bKbye", 0, kPeer);
  // E: 500, 1000, 2000, 4000, 4000, ... (T2 = 4 s).
  const uint64_t at[] = {500, 1500, 3500, 7500, 11500, 15500};
  for (size_t i = 0; i < 6; ++i) {
    advance_to(at[i]);
    EXPECT_EQ(transport.sent.size(), i + 2) << at[i];
  }
  advance_to(32000);  // Timer F
  EXPECT_EQ(tu.events.front(), "timeout");
  EXPECT_EQ(layer.size(), 0u);
}

TEST_F(TxnTest, ServerNonInviteAbsorbsThenAnswersRetransmissions) {
  const std::string reg =
      "REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP 10.201.0.2:5060;branch=z9hG4bKreg1\r\n"
      "From: <sip:1006@example.com>;tag=a\r\nTo: <sip:1006@example.com>\r\nCall-ID: r1\r\nCSeq: 1 REGISTER\r\n\r\n";
  TxnId id = 0;
  EXPECT_EQ(deliver_request(reg, &id), RequestMatch::New);
  ASSERT_NE(id, 0u);
  TxnId again = 0;
  EXPECT_EQ(deliver_request(reg, &again), RequestMatch::Retransmission);
  EXPECT_EQ(again, id);
  EXPECT_TRUE(transport.sent.empty()) << "Trying absorbs retransmissions";
  ASSERT_TRUE(layer.respond(id, 200, "SIP/2.0 200 OK\r\n\r\n"));
  EXPECT_EQ(deliver_request(reg, &again), RequestMatch::Retransmission);
  ASSERT_EQ(transport.sent.size(), 2u);
  EXPECT_EQ(transport.sent[1].bytes, "SIP/2.0 200 OK\r\n\r\n");
  EXPECT_EQ(transport.sent[1].dest, kPeer);
  advance_to(31990);
  EXPECT_EQ(layer.size(), 1u);
  advance_to(32000);  // Timer J
  EXPECT_EQ(layer.size(), 0u);
}

TEST_F(TxnTest, ServerInviteRetransmitsNon2xxOnTimerGUntilAck) {
  TxnId id = 0;
  const std::string invite = kInvite;
  ASSERT_EQ(deliver_request(invite, &id), RequestMatch::New);
  ASSERT_TRUE(layer.respond(id, 100, "100"));
  TxnId again = 0;
  EXPECT_EQ(deliver_request(invite, &again), RequestMatch::Retransmission);
  EXPECT_EQ(transport.sent.back().bytes, "100") << "a retransmitted INVITE gets the last provisional";
  ASSERT_TRUE(layer.respond(id, 486, "486"));
  const size_t before = transport.sent.size();
  advance_to(500);
  advance_to(1500);
  advance_to(3500);
  EXPECT_EQ(transport.sent.size(), before + 3);
  std::string ack = kInvite;
  ack.replace(0, 6, "ACK");
  ack.replace(ack.find("7 INVITE"), 8, "7 ACK");
  EXPECT_EQ(deliver_request(ack, &again), RequestMatch::AckAbsorbed);
  advance_to(20000);
  EXPECT_EQ(transport.sent.size(), before + 3) << "Timer G stops on ACK";
  EXPECT_EQ(layer.size(), 0u) << "Timer I (T4) ended it";
}

TEST_F(TxnTest, ServerInviteWithoutAckEndsOnTimerH) {
  TxnId id = 0;
  ASSERT_EQ(deliver_request(kInvite, &id), RequestMatch::New);
  ASSERT_TRUE(layer.respond(id, 404, "404"));
  advance_to(32000);
  EXPECT_EQ(tu.events, (std::vector<std::string>{"no-ack", "terminated"}));
}

TEST_F(TxnTest, Rfc2543RequestsMatchWithoutMagicCookie) {
  const std::string old =
      "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP 10.201.0.2;branch=oldstyle\r\n"
      "From: <sip:x@y>;tag=z\r\nTo: <sip:a@b>\r\nCall-ID: c2543\r\nCSeq: 3 OPTIONS\r\n\r\n";
  TxnId id = 0, again = 0;
  ASSERT_EQ(deliver_request(old, &id), RequestMatch::New);
  EXPECT_EQ(deliver_request(old, &again), RequestMatch::Retransmission);
  EXPECT_EQ(again, id);
}

// The proxy writes a request's key before validating it (to prefetch its index slot), so a request
// with no Via, From, CSeq or Call-ID gets a key too: its absent parts are empty, never copied (the
// sanitizer build checks that no null view reaches memcpy).
TEST_F(TxnTest, ARequestMissingEveryKeyPartStillGetsAKey) {
  parser::Message m;
  ASSERT_EQ(parser::HandScanner().scan(std::string_view("OPTIONS sip:a@b SIP/2.0\r\nTo: <sip:a@b>\r\n\r\n"),
                                       parser::Framing::Datagram, m)
                .status,
            parser::ScanStatus::Complete);
  const Inbound in{m, kPeer, {}, 0};
  TransactionLayer::ServerKey key;
  layer.prepare_server_key(in, key);
  EXPECT_TRUE(key.ready);
  EXPECT_EQ(std::string_view(key.text.data(), key.text.size()), "L|||0||OPTIONS");
  EXPECT_EQ(layer.on_request(in, nullptr, &key), RequestMatch::New);
}

// What the management API lists is read back from each transaction's matching key: its method and
// branch for a client, an RFC 3261 server and an RFC 2543 server (whose Via may quote a '|').
TEST_F(TxnTest, ListedMethodAndBranchComeFromTheKey) {
  layer.send_request(kInvite, "INVITE", "z9hG4bKcli7", 1, kPeer);
  TxnId id = 0;
  ASSERT_EQ(deliver_request(kInvite, &id), RequestMatch::New);
  const std::string old =
      "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP 10.201.0.2;x=\"a|b\";branch=oldstyle\r\n"
      "From: <sip:x@y>;tag=z\r\nTo: <sip:a@b>\r\nCall-ID: c2543@h\r\nCSeq: 3 OPTIONS\r\n\r\n";
  const std::string no_branch =
      "MESSAGE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP 10.201.0.2\r\n"
      "From: <sip:x@y>;tag=z\r\nTo: <sip:a@b>\r\nCall-ID: c2543b\r\nCSeq: 4 MESSAGE\r\n\r\n";
  ASSERT_EQ(deliver_request(old, &id), RequestMatch::New);
  ASSERT_EQ(deliver_request(no_branch, &id), RequestMatch::New);
  std::vector<std::string> listed;
  layer.for_each([&](const TransactionInfo& t) { listed.push_back(std::to_string(t.id) + " " + t.method + " " + t.branch); });
  std::sort(listed.begin(), listed.end());
  EXPECT_EQ(listed, (std::vector<std::string>{"1 INVITE z9hG4bKcli7", "2 INVITE z9hG4bKabc123", "3 OPTIONS oldstyle",
                                              "4 MESSAGE "}));
}

TEST_F(TxnTest, CancelFindsItsInviteServerTransaction) {
  TxnId id = 0;
  ASSERT_EQ(deliver_request(kInvite, &id), RequestMatch::New);
  std::string cancel = kInvite;
  cancel.replace(0, 6, "CANCEL");
  cancel.replace(cancel.find("7 INVITE"), 8, "7 CANCEL");
  parser::Message m;
  ASSERT_EQ(parser::HandScanner().scan(cancel, parser::Framing::Datagram, m).status, parser::ScanStatus::Complete);
  Inbound in{m, kPeer, {}, 0};
  EXPECT_EQ(layer.on_request(in), RequestMatch::New) << "CANCEL is its own transaction";
  EXPECT_EQ(layer.find_invite_for_cancel(in), id);
}

}  // namespace
}  // namespace sipedge::control
