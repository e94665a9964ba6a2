// tests/control/b2bua_test.cc — test thread. B2BUA mode (control/proxy/b2bua.cc): each leg of a call
// is a dialog of its own. Every message one party receives is checked for what must be there (its
// own dialog's Call-ID, tags, CSeq numbers, sipedge's Via and Contact) and for what must not: the
// other party's addresses, Call-ID, tags and branches.
#include <gtest/gtest.h>

#include <regex>

#include <nlohmann/json.hpp>

#include "tests/control/proxy_fixture.h"

namespace sipedge::control::testing {
namespace {

class B2buaTest : public ProxyTest {
 protected:
  void SetUp() override {
    config.default_mode = SignallingMode::B2bua;
    ProxyTest::SetUp();
  }

  // What Alice's side must never see: Bob's address, his tag, his Call-ID on the callee leg;
  // what Bob's side must never see: Alice's address, her tag and Call-ID, her branches.
  void expect_hidden_from_alice(const std::string& bytes) {
    EXPECT_EQ(bytes.find("10.201.0.3"), std::string::npos) << bytes;
    EXPECT_EQ(bytes.find("bobtag"), std::string::npos) << bytes;
    EXPECT_EQ(bytes.find(b_call_id), std::string::npos) << bytes;
  }
  void expect_hidden_from_bob(const std::string& bytes) {
    EXPECT_EQ(bytes.find("10.201.0.2"), std::string::npos) << bytes;
    // Alice's tag is "a1" exactly: sipedge's own random hex tags may start with "a1" too.
    EXPECT_FALSE(std::regex_search(bytes, std::regex("tag=a1([^0-9a-f]|$)"))) << bytes;
    EXPECT_EQ(bytes.find("call-1"), std::string::npos) << bytes;
    EXPECT_EQ(bytes.find("z9hG4bKinv"), std::string::npos) << bytes;
  }
  Sent to_alice() {
    Sent s = wire.pop();
    EXPECT_EQ(s.dest, kAlice) << s.bytes;
    expect_hidden_from_alice(s.bytes);
    return s;
  }
  Sent to_bob() {
    Sent s = wire.pop();
    EXPECT_EQ(s.dest, kBob) << s.bytes;
    expect_hidden_from_bob(s.bytes);
    return s;
  }

  static std::string tag_of(const std::string& header_value) {
    const size_t at = header_value.find(";tag=");
    return at == std::string::npos ? "" : header_value.substr(at + 5);
  }
  static std::string uri_in(const std::string& contact) {
    const size_t b = contact.find('<'), e = contact.find('>');
    return b == std::string::npos ? contact : contact.substr(b + 1, e - b - 1);
  }

  // A request inside one of the call's dialogs, as its UA sends it.
  static std::string in_dialog(const std::string& method, const std::string& ruri, const std::string& via_host,
                               const std::string& branch, const std::string& from, const std::string& to,
                               const std::string& call_id, int cseq, const std::string& extra = "",
                               const std::string& body = "", const std::string& cseq_method = "") {
    return method + " " + ruri + " SIP/2.0\r\nVia: SIP/2.0/UDP " + via_host + ";branch=" + branch +
           ";rport\r\nMax-Forwards: 70\r\nFrom: " + from + "\r\nTo: " + to + "\r\nCall-ID: " + call_id +
           "\r\nCSeq: " + std::to_string(cseq) + " " + (cseq_method.empty() ? method : cseq_method) + "\r\n" + extra +
           (body.empty() ? "" : "Content-Type: application/sdp\r\n") +
           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  }

  // Alice calls Bob, Bob answers, Alice ACKs: the answered call's two dialogs.
  void answered_call() {
    invite_to_bob = place_call().bytes;
    b_call_id = header(invite_to_bob, parser::HeaderId::CallId);
    expect_hidden_from_bob(invite_to_bob);
    b_from = header(invite_to_bob, parser::HeaderId::From);
    deliver(response_to(invite_to_bob, 180, "Ringing", "bobtag", "sip:1012@10.201.0.3:5060"), kBob);
    ringing = to_alice().bytes;
    a_to = header(ringing, parser::HeaderId::To);
    deliver(response_to(invite_to_bob, 200, "OK", "bobtag", "sip:1012@10.201.0.3:5060", kAnswer), kBob);
    ok = to_alice().bytes;
    our_a_contact = uri_in(header(ok, parser::HeaderId::Contact));
    deliver(in_dialog("ACK", our_a_contact, "10.201.0.2:5060", "z9hG4bKack1", "\"1006\" <sip:1006@sipedge.test>;tag=a1",
                      a_to, "call-1", 2),
            kAlice);
    ack_to_bob = to_bob().bytes;
    b_to = header(ack_to_bob, parser::HeaderId::To);
  }

  std::string invite_to_bob, ringing, ok, ack_to_bob;
  std::string b_call_id = "<unset>", b_from, b_to, a_to, our_a_contact;
};

TEST_F(B2buaTest, TheCalleeLegIsADialogOfSipedgesOwn) {
  const std::string inv = place_call().bytes;
  b_call_id = header(inv, parser::HeaderId::CallId);
  expect_hidden_from_bob(inv);
  EXPECT_EQ(first_line(inv), "INVITE sip:1012@10.201.0.3:5060 SIP/2.0");
  parser::Message m;
  ASSERT_EQ(parser::HandScanner().scan(inv, parser::Framing::Datagram, m).status, parser::ScanStatus::Complete);
  // One Via, sipedge's; no Record-Route; its own Call-ID, From tag, CSeq space and Contact.
  const parser::HeaderField* via = m.find(parser::HeaderId::Via);
  ASSERT_NE(via, nullptr);
  EXPECT_EQ(m.next_same(via), nullptr);
  EXPECT_TRUE(m.text(via->value).starts_with("SIP/2.0/UDP 10.201.0.1:5060;branch=z9hG4bK")) << inv;
  EXPECT_EQ(m.find(parser::HeaderId::RecordRoute), nullptr);
  EXPECT_EQ(m.find(parser::HeaderId::ProxyAuthorization), nullptr);
  EXPECT_NE(b_call_id, "call-1");
  EXPECT_GE(b_call_id.size(), 32u);
  const std::string from = header(inv, parser::HeaderId::From);
  EXPECT_TRUE(from.starts_with("\"1006\" <sip:1006@sipedge.test>;tag=")) << from;
  EXPECT_NE(tag_of(from), "a1");
  EXPECT_EQ(header(inv, parser::HeaderId::To), "<sip:1012@sipedge.test>");
  EXPECT_EQ(header(inv, parser::HeaderId::CSeq), "1 INVITE");
  EXPECT_EQ(header(inv, parser::HeaderId::MaxForwards), "69");
  const Call* call = call_of("call-1");
  ASSERT_NE(call, nullptr);
  EXPECT_TRUE(call->b2bua);
  EXPECT_EQ(header(inv, parser::HeaderId::Contact), "<sip:10.201.0.1:5060;sek=" + token.make(b_call_id, call->ref) + ">");
  EXPECT_EQ(call_of(b_call_id), call) << "the callee leg's Call-ID finds the call too";
  // The offer is anchored as in proxy mode; o= is sipedge's own (no username or session id of
  // Alice's: "o=- 8 2").
  EXPECT_NE(body_of(inv).find("c=IN IP4 10.201.0.1"), std::string::npos) << body_of(inv);
  EXPECT_TRUE(body_of(inv).starts_with("v=0\r\no=sipedge ")) << body_of(inv);
  EXPECT_EQ(body_of(inv).find("o=- 8 "), std::string::npos);
  EXPECT_EQ(proxy.counters().b2bua_calls, 1u);
}

TEST_F(B2buaTest, AnAnsweredCallIsBridgedAndEndsWithACdrNamingBothCallIds) {
  answered_call();
  // Alice's answers carry her dialog: her Via with received/rport, her Call-ID and CSeq, sipedge's
  // To tag (the same on 180 and 200) and Contact.
  EXPECT_EQ(first_line(ringing), "SIP/2.0 180 Ringing");
  EXPECT_EQ(header(ringing, parser::HeaderId::Via), "SIP/2.0/UDP 10.201.0.2:5060;branch=z9hG4bKinv2;received=10.201.0.2;rport=5060");
  EXPECT_EQ(header(ringing, parser::HeaderId::CallId), "call-1");
  EXPECT_EQ(header(ringing, parser::HeaderId::CSeq), "2 INVITE");
  const std::string a_tag = tag_of(a_to);
  EXPECT_FALSE(a_tag.empty());
  EXPECT_EQ(header(ok, parser::HeaderId::To), a_to);
  const Call* call = call_of("call-1");
  ASSERT_NE(call, nullptr);
  EXPECT_EQ(our_a_contact, "sip:10.201.0.1:5060;sek=" + token.make("call-1", call->ref));
  EXPECT_NE(body_of(ok).find("c=IN IP4 10.201.0.1"), std::string::npos);
  EXPECT_TRUE(body_of(ok).starts_with("v=0\r\no=sipedge ")) << body_of(ok);
  EXPECT_EQ(body_of(ok).find("o=- 9 "), std::string::npos);
  EXPECT_EQ(header(ok, parser::HeaderId::Server), "sipedge");
  // sipedge ACKs Bob's 200 in his dialog: his Contact as Request-URI, the INVITE's CSeq number.
  EXPECT_EQ(first_line(ack_to_bob), "ACK sip:1012@10.201.0.3:5060 SIP/2.0");
  EXPECT_EQ(header(ack_to_bob, parser::HeaderId::CSeq), "1 ACK");
  EXPECT_EQ(header(ack_to_bob, parser::HeaderId::CallId), b_call_id);
  EXPECT_EQ(tag_of(b_to), "bobtag");
  EXPECT_EQ(header(ack_to_bob, parser::HeaderId::From), b_from);

  // Bob hangs up in his dialog; Alice gets a BYE in hers, with a CSeq of sipedge's on her leg.
  deliver(in_dialog("BYE", "sip:10.201.0.1:5060;sek=" + token.make(b_call_id, call->ref), "10.201.0.3:5060",
                    "z9hG4bKbye1", b_to, b_from, b_call_id, 7),
          kBob);
  const std::string bye = to_alice().bytes;
  EXPECT_EQ(first_line(bye), "BYE sip:1006@10.201.0.2:5060 SIP/2.0");
  EXPECT_EQ(header(bye, parser::HeaderId::CallId), "call-1");
  EXPECT_EQ(header(bye, parser::HeaderId::From), a_to);
  EXPECT_EQ(header(bye, parser::HeaderId::To), "\"1006\" <sip:1006@sipedge.test>;tag=a1");
  EXPECT_EQ(header(bye, parser::HeaderId::CSeq), "1 BYE");
  deliver(response_to(bye, 200, "OK", "a1", "sip:1006@10.201.0.2:5060"), kAlice);
  const std::string bye_ok = to_bob().bytes;
  EXPECT_EQ(first_line(bye_ok), "SIP/2.0 200 OK");
  EXPECT_EQ(header(bye_ok, parser::HeaderId::CSeq), "7 BYE");
  EXPECT_EQ(header(bye_ok, parser::HeaderId::CallId), b_call_id);
  EXPECT_EQ(header(bye_ok, parser::HeaderId::Via), "SIP/2.0/UDP 10.201.0.3:5060;branch=z9hG4bKbye1;received=10.201.0.3;rport=5060");
  ASSERT_EQ(cdrs.size(), 1u);
  const auto cdr = nlohmann::json::parse(cdrs[0]);
  EXPECT_EQ(cdr["call_id"], "call-1");
  EXPECT_EQ(cdr["callee_call_id"], b_call_id);
  EXPECT_EQ(cdr["end_reason"], "bye from callee");
  EXPECT_TRUE(wire.sent.empty());
  expect_no_state();
}

TEST_F(B2buaTest, AReInviteIsBridgedWithEachLegsCSeqAndItsAckFollows) {
  answered_call();
  const Call* call = call_of("call-1");
  ASSERT_NE(call, nullptr);
  const std::string hold = kOffer.substr(0, kOffer.size()) + "a=sendonly\r\n";
  deliver(in_dialog("INVITE", our_a_contact, "10.201.0.2:5060", "z9hG4bKre1", "\"1006\" <sip:1006@sipedge.test>;tag=a1",
                    a_to, "call-1", 10, "Contact: <sip:1006@10.201.0.2:5060>\r\n", hold),
          kAlice);
  EXPECT_EQ(first_line(to_alice().bytes), "SIP/2.0 100 Trying");
  const std::string reinvite = to_bob().bytes;
  EXPECT_EQ(first_line(reinvite), "INVITE sip:1012@10.201.0.3:5060 SIP/2.0");
  EXPECT_EQ(header(reinvite, parser::HeaderId::CSeq), "2 INVITE");
  EXPECT_EQ(header(reinvite, parser::HeaderId::From), b_from);
  EXPECT_EQ(header(reinvite, parser::HeaderId::To), b_to);
  EXPECT_NE(body_of(reinvite).find("a=sendonly"), std::string::npos);

  // Glare: Bob's own re-INVITE while sipedge's is pending on his leg gets 491 (RFC 3261 §14.2).
  const std::string bob_uri = "sip:10.201.0.1:5060;sek=" + token.make(b_call_id, call->ref);
  deliver(in_dialog("INVITE", bob_uri, "10.201.0.3:5060", "z9hG4bKbre1", b_to, b_from, b_call_id, 5,
                    "Contact: <sip:1012@10.201.0.3:5060>\r\n", kAnswer),
          kBob);
  EXPECT_EQ(first_line(to_bob().bytes), "SIP/2.0 100 Trying");
  const std::string glare = to_bob().bytes;
  EXPECT_EQ(first_line(glare), "SIP/2.0 491 Request Pending");
  EXPECT_EQ(proxy.counters().glare_refused, 1u);
  deliver(in_dialog("ACK", bob_uri, "10.201.0.3:5060", "z9hG4bKbre1", b_to, header(glare, parser::HeaderId::To),
                    b_call_id, 5),
          kBob);

  deliver(response_to(reinvite, 200, "OK", "bobtag", "sip:1012@10.201.0.3:5060", kAnswer), kBob);
  const std::string re_ok = to_alice().bytes;
  EXPECT_EQ(first_line(re_ok), "SIP/2.0 200 OK");
  EXPECT_EQ(header(re_ok, parser::HeaderId::CSeq), "10 INVITE");
  EXPECT_EQ(header(re_ok, parser::HeaderId::To), a_to);
  deliver(in_dialog("ACK", our_a_contact, "10.201.0.2:5060", "z9hG4bKack10", "\"1006\" <sip:1006@sipedge.test>;tag=a1",
                    a_to, "call-1", 10),
          kAlice);
  const std::string ack = to_bob().bytes;
  EXPECT_EQ(header(ack, parser::HeaderId::CSeq), "2 ACK");
  // Bob's 200 again (his ACK "lost"): sipedge ACKs it again, Alice hears nothing of it.
  deliver(response_to(reinvite, 200, "OK", "bobtag", "sip:1012@10.201.0.3:5060", kAnswer), kBob);
  EXPECT_EQ(to_bob().bytes, ack);
  EXPECT_TRUE(wire.sent.empty());
  // The pending flag is gone: a re-INVITE from Bob now passes.
  deliver(in_dialog("INVITE", bob_uri, "10.201.0.3:5060", "z9hG4bKbre2", b_to, b_from, b_call_id, 6,
                    "Contact: <sip:1012@10.201.0.3:5060>\r\n", kAnswer),
          kBob);
  EXPECT_EQ(first_line(to_bob().bytes), "SIP/2.0 100 Trying");
  const std::string to_a = to_alice().bytes;
  EXPECT_EQ(first_line(to_a), "INVITE sip:1006@10.201.0.2:5060 SIP/2.0");
  EXPECT_EQ(header(to_a, parser::HeaderId::CSeq), "1 INVITE");
  EXPECT_EQ(header(to_a, parser::HeaderId::CallId), "call-1");
}

TEST_F(B2buaTest, SipedgesAckIsResentForA2xxRetransmittedInTheWindowThenFreed) {
  answered_call();
  const Call* call = call_of("call-1");
  ASSERT_NE(call, nullptr);
  ASSERT_EQ(call->callee.local->ack, ack_to_bob);
  // Alice's ACK again (her 200 retransmitted before it reached us): Bob gets the same ACK again
  // (RFC 3261 §16.11), one he knows as a retransmission, not a second request.
  deliver(in_dialog("ACK", our_a_contact, "10.201.0.2:5060", "z9hG4bKack1", "\"1006\" <sip:1006@sipedge.test>;tag=a1",
                    a_to, "call-1", 2),
          kAlice);
  EXPECT_EQ(to_bob().bytes, ack_to_bob);
  EXPECT_EQ(call->callee.local->ack, ack_to_bob);
  // 40 s on (its client transaction gone), Bob's 200 again: his ACK was lost, sipedge's is resent.
  advance(40'000);
  deliver(response_to(invite_to_bob, 200, "OK", "bobtag", "sip:1012@10.201.0.3:5060", kAnswer), kBob);
  EXPECT_EQ(to_bob().bytes, ack_to_bob);
  EXPECT_TRUE(wire.sent.empty());
  // 2 x 64*T1 after it was sent, no peer retransmits any more: the ACK is freed, the call stays.
  advance(25'000);
  ASSERT_EQ(call_of("call-1"), call);
  EXPECT_TRUE(call->callee.local->ack.empty());
  EXPECT_EQ(call->callee.local->invite_cseq, 1u);
}

TEST_F(B2buaTest, EveryInDialogMethodCrossesWithTheOtherLegsIdentityAndItsAnswerComesBack) {
  answered_call();
  const Call* call = call_of("call-1");
  ASSERT_NE(call, nullptr);
  const std::string bob_uri = "sip:10.201.0.1:5060;sek=" + token.make(b_call_id, call->ref);
  int a_cseq = 10, b_cseq = 20;
  uint32_t to_bob_cseq = 1, to_alice_cseq = 0;  // sipedge's own numbering per leg
  for (const std::string method : {"INFO", "OPTIONS", "MESSAGE", "NOTIFY", "UPDATE"}) {
    const std::string extra = method == "NOTIFY" ? "Event: dialog\r\nSubscription-State: active\r\n" : "";
    // Alice -> Bob.
    deliver(in_dialog(method, our_a_contact, "10.201.0.2:5060", "z9hG4bKa" + method, "\"1006\" <sip:1006@sipedge.test>;tag=a1",
                      a_to, "call-1", ++a_cseq, extra),
            kAlice);
    const std::string at_bob = to_bob().bytes;
    EXPECT_EQ(first_line(at_bob), method + " sip:1012@10.201.0.3:5060 SIP/2.0");
    EXPECT_EQ(header(at_bob, parser::HeaderId::CSeq), std::to_string(++to_bob_cseq) + " " + method);
    EXPECT_EQ(header(at_bob, parser::HeaderId::CallId), b_call_id);
    EXPECT_EQ(header(at_bob, parser::HeaderId::From), b_from);
    EXPECT_EQ(header(at_bob, parser::HeaderId::To), b_to);
    deliver(response_to(at_bob, 200, "OK", "bobtag", "sip:1012@10.201.0.3:5060"), kBob);
    const std::string ok_at_alice = to_alice().bytes;
    EXPECT_EQ(first_line(ok_at_alice), "SIP/2.0 200 OK") << method;
    EXPECT_EQ(header(ok_at_alice, parser::HeaderId::CSeq), std::to_string(a_cseq) + " " + method);
    EXPECT_EQ(header(ok_at_alice, parser::HeaderId::To), a_to);
    // Bob -> Alice.
    deliver(in_dialog(method, bob_uri, "10.201.0.3:5060", "z9hG4bKb" + method, b_to, b_from, b_call_id, ++b_cseq, extra),
            kBob);
    const std::string at_alice = to_alice().bytes;
    EXPECT_EQ(first_line(at_alice), method + " sip:1006@10.201.0.2:5060 SIP/2.0");
    EXPECT_EQ(header(at_alice, parser::HeaderId::CSeq), std::to_string(++to_alice_cseq) + " " + method);
    EXPECT_EQ(header(at_alice, parser::HeaderId::CallId), "call-1");
    EXPECT_EQ(header(at_alice, parser::HeaderId::From), a_to);
    deliver(response_to(at_alice, 200, "OK", "a1", "sip:1006@10.201.0.2:5060"), kAlice);
    const std::string ok_at_bob = to_bob().bytes;
    EXPECT_EQ(header(ok_at_bob, parser::HeaderId::CSeq), std::to_string(b_cseq) + " " + method);
    EXPECT_EQ(header(ok_at_bob, parser::HeaderId::CallId), b_call_id);
  }
  EXPECT_TRUE(wire.sent.empty());
}

TEST_F(B2buaTest, ACancelBeforeTheAnswerEndsBothLegs) {
  invite_to_bob = place_call().bytes;
  b_call_id = header(invite_to_bob, parser::HeaderId::CallId);
  deliver(response_to(invite_to_bob, 180, "Ringing", "bobtag", "sip:1012@10.201.0.3:5060"), kBob);
  const std::string ringing_a = to_alice().bytes;
  deliver("CANCEL sip:1012@sipedge.test SIP/2.0\r\nVia: SIP/2.0/UDP 10.201.0.2:5060;branch=z9hG4bKinv2;rport\r\n"
          "Max-Forwards: 70\r\nFrom: \"1006\" <sip:1006@sipedge.test>;tag=a1\r\nTo: <sip:1012@sipedge.test>\r\n"
          "Call-ID: call-1\r\nCSeq: 2 CANCEL\r\nContent-Length: 0\r\n\r\n",
          kAlice);
  EXPECT_EQ(first_line(to_alice().bytes), "SIP/2.0 200 OK");
  const std::string cancel = to_bob().bytes;
  EXPECT_EQ(first_line(cancel), "CANCEL sip:1012@10.201.0.3:5060 SIP/2.0");
  EXPECT_EQ(header(cancel, parser::HeaderId::CallId), b_call_id);
  EXPECT_EQ(header(cancel, parser::HeaderId::CSeq), "1 CANCEL");
  EXPECT_EQ(header(cancel, parser::HeaderId::Via), header(invite_to_bob, parser::HeaderId::Via));
  deliver(response_to(cancel, 200, "OK", "bobtag", "sip:1012@10.201.0.3:5060"), kBob);
  deliver(response_to(invite_to_bob, 487, "Request Terminated", "bobtag", "sip:1012@10.201.0.3:5060"), kBob);
  // The 487 is ACKed hop by hop in Bob's dialog; Alice gets hers in her own.
  const std::string ack = to_bob().bytes;
  EXPECT_EQ(first_line(ack), "ACK sip:1012@10.201.0.3:5060 SIP/2.0");
  const std::string terminated = to_alice().bytes;
  EXPECT_EQ(first_line(terminated), "SIP/2.0 487 Request Terminated");
  EXPECT_EQ(header(terminated, parser::HeaderId::CallId), "call-1");
  EXPECT_EQ(header(terminated, parser::HeaderId::To), header(ringing_a, parser::HeaderId::To));
  ASSERT_EQ(cdrs.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(cdrs[0])["end_reason"], "cancelled");
  expect_no_state();
}

TEST_F(B2buaTest, PrackIsRenumberedToTheCalleeLegsInvite) {
  invite_to_bob = place_call().bytes;
  b_call_id = header(invite_to_bob, parser::HeaderId::CallId);
  std::string early = response_to(invite_to_bob, 183, "Session Progress", "bobtag", "sip:1012@10.201.0.3:5060", kAnswer);
  early.insert(early.find("Content-Type"), "Require: 100rel\r\nRSeq: 1\r\n");
  deliver(early, kBob);
  const std::string early_a = to_alice().bytes;
  EXPECT_EQ(header(early_a, parser::HeaderId::RSeq), "1");
  EXPECT_EQ(header(early_a, parser::HeaderId::Require), "100rel");
  const std::string a_to_tagged = header(early_a, parser::HeaderId::To);
  const std::string contact = uri_in(header(early_a, parser::HeaderId::Contact));
  deliver(in_dialog("PRACK", contact, "10.201.0.2:5060", "z9hG4bKpr1", "\"1006\" <sip:1006@sipedge.test>;tag=a1",
                    a_to_tagged, "call-1", 3, "RAck: 1 2 INVITE\r\n"),
          kAlice);
  const std::string prack = to_bob().bytes;
  EXPECT_EQ(first_line(prack), "PRACK sip:1012@10.201.0.3:5060 SIP/2.0");
  EXPECT_EQ(header(prack, parser::HeaderId::RAck), "1 1 INVITE");
  EXPECT_EQ(header(prack, parser::HeaderId::CSeq), "2 PRACK");
  deliver(response_to(prack, 200, "OK", "bobtag", "sip:1012@10.201.0.3:5060"), kBob);
  const std::string prack_ok = to_alice().bytes;
  EXPECT_EQ(header(prack_ok, parser::HeaderId::CSeq), "3 PRACK");
}

TEST_F(B2buaTest, HeadersCarryingTopologyFollowTheRoutesPolicy) {
  config.routes.clear();
  RouteConfig r;
  r.name = "users";
  r.target = RouteTarget::Registered;
  r.match_domain = "sipedge.test";
  r.mode = SignallingMode::B2bua;
  r.hide_headers = {"x-internal"};
  r.pass_headers = {"call-info"};
  config.routes.push_back(r);
  config.default_mode = SignallingMode::Proxy;  // the route's mode decides
  register_user("1012", kBob);
  const std::string inv =
      dial("1012", "Alert-Info: <http://10.201.0.2/ring.wav>\r\nCall-Info: <http://10.201.0.2/photo.jpg>;purpose=icon\r\n"
                   "X-Internal: secret\r\nX-Other: passes\r\nP-Asserted-Identity: <sip:1006@10.201.0.2>\r\n"
                   "User-Agent: LeakyPhone/1.0 (10.201.0.2)\r\n")
          .bytes;
  parser::Message m;
  ASSERT_EQ(parser::HandScanner().scan(inv, parser::Framing::Datagram, m).status, parser::ScanStatus::Complete) << inv;
  EXPECT_EQ(m.find(parser::HeaderId::AlertInfo), nullptr) << "stripped by default";
  EXPECT_EQ(header(inv, parser::HeaderId::CallInfo), "<http://10.201.0.2/photo.jpg>;purpose=icon") << "the route passes it";
  EXPECT_EQ(inv.find("X-Internal"), std::string::npos) << "the route hides it";
  EXPECT_NE(inv.find("X-Other: passes\r\n"), std::string::npos) << "unknown headers pass";
  EXPECT_EQ(m.find(parser::HeaderId::PAssertedIdentity), nullptr) << "an untrusted source asserts no identity";
  EXPECT_EQ(header(inv, parser::HeaderId::UserAgent), "sipedge");
  ASSERT_NE(call_of("call-1"), nullptr);
  EXPECT_TRUE(call_of("call-1")->b2bua);
}

TEST_F(B2buaTest, SipedgeEndsBothLegsEachInItsOwnDialog) {
  answered_call();
  proxy.end_all_calls("shutdown");
  const Sent first = wire.pop();
  const Sent second = wire.pop();
  const Sent& to_b = first.dest == kBob ? first : second;
  const Sent& to_a = first.dest == kBob ? second : first;
  expect_hidden_from_bob(to_b.bytes);
  expect_hidden_from_alice(to_a.bytes);
  EXPECT_EQ(header(to_b.bytes, parser::HeaderId::CallId), b_call_id);
  EXPECT_EQ(header(to_b.bytes, parser::HeaderId::From), b_from);
  EXPECT_EQ(header(to_b.bytes, parser::HeaderId::CSeq), "2 BYE") << "one above the INVITE on sipedge's own leg";
  EXPECT_EQ(header(to_a.bytes, parser::HeaderId::CallId), "call-1");
  EXPECT_EQ(header(to_a.bytes, parser::HeaderId::From), a_to);
  EXPECT_EQ(header(to_a.bytes, parser::HeaderId::CSeq), "1 BYE");
}

TEST_F(B2buaTest, ARequestOutsideTheLegsDialogsIsRefused) {
  answered_call();
  const Call* call = call_of("call-1");
  ASSERT_NE(call, nullptr);
  // Bob's leg's token with Alice's tags, and the right tags on the wrong leg's Call-ID: 481.
  const std::string bob_uri = "sip:10.201.0.1:5060;sek=" + token.make(b_call_id, call->ref);
  deliver(in_dialog("BYE", bob_uri, "10.201.0.3:5060", "z9hG4bKf1", "<sip:1012@sipedge.test>;tag=forged", b_from,
                    b_call_id, 9),
          kBob);
  EXPECT_EQ(first_line(wire.pop().bytes), "SIP/2.0 481 Call/Transaction Does Not Exist");
  deliver(in_dialog("BYE", our_a_contact, "10.201.0.3:5060", "z9hG4bKf2", b_to, b_from, b_call_id, 9), kBob);
  EXPECT_EQ(first_line(wire.pop().bytes), "SIP/2.0 481 Call/Transaction Does Not Exist");
  EXPECT_EQ(proxy.counters().dialog_refused, 2u);
  EXPECT_TRUE(wire.sent.empty());
}

TEST_F(B2buaTest, AReferWithReplacesNamesTheOtherLegOfTheDialogItReplaces) {
  answered_call();
  // A second call, trunk -> Carol (1013): its caller leg is the trunk's dialog with sipedge.
  const Endpoint carol{IpAddr::v4(10, 201, 0, 4), 5060};
  register_user("1013", carol);
  deliver("INVITE sip:1013@sipedge.test SIP/2.0\r\nVia: SIP/2.0/UDP 10.202.0.2:5060;branch=z9hG4bKt2;rport\r\n"
          "Max-Forwards: 70\r\nFrom: <sip:4930@10.202.0.2>;tag=t2\r\nTo: <sip:1013@sipedge.test>\r\nCall-ID: call-2\r\n"
          "CSeq: 1 INVITE\r\nContact: <sip:4930@10.202.0.2:5060>\r\nContent-Type: application/sdp\r\nContent-Length: " +
              std::to_string(kOffer.size()) + "\r\n\r\n" + kOffer,
          kTrunk, 1);
  EXPECT_EQ(first_line(wire.pop().bytes), "SIP/2.0 100 Trying");
  const std::string to_carol = wire.pop().bytes;
  ASSERT_EQ(first_line(to_carol), "INVITE sip:1013@10.201.0.4:5060 SIP/2.0");
  deliver(response_to(to_carol, 200, "OK", "caroltag", "sip:1013@10.201.0.4:5060", kAnswer), carol, 0);
  const std::string ok2 = wire.pop().bytes;
  const std::string our_tag_to_trunk = tag_of(header(ok2, parser::HeaderId::To));
  const Call* call2 = call_of("call-2");
  ASSERT_NE(call2, nullptr);

  // Alice refers Bob to the trunk's dialog: Bob is told to replace Carol's, with Carol's AOR.
  deliver(in_dialog("REFER", our_a_contact, "10.201.0.2:5060", "z9hG4bKref1", "\"1006\" <sip:1006@sipedge.test>;tag=a1",
                    a_to, "call-1", 20,
                    "Contact: <sip:1006@10.201.0.2:5060>\r\nRefer-To: <sip:4930@10.202.0.2?Replaces=call-2%3Bto-tag%3D" +
                        our_tag_to_trunk + "%3Bfrom-tag%3Dt2>\r\nReferred-By: <sip:1006@sipedge.test>\r\n"),
          kAlice);
  const std::string refer = to_bob().bytes;
  EXPECT_EQ(first_line(refer), "REFER sip:1012@10.201.0.3:5060 SIP/2.0");
  std::string escaped;
  for (char c : call2->callee.local->call_id.view()) escaped += c == '@' ? std::string("%40") : std::string(1, c);
  EXPECT_EQ(header(refer, parser::HeaderId::ReferTo),
            "<sip:1013@sipedge.test?Replaces=" + escaped + "%3Bto-tag%3Dcaroltag%3Bfrom-tag%3D" + std::string(call2->callee.local->tag()) + ">");
  EXPECT_EQ(header(refer, parser::HeaderId::ReferredBy), "<sip:1006@sipedge.test>");
  // A Replaces that names no dialog of sipedge's passes with its address hidden.
  deliver(in_dialog("REFER", our_a_contact, "10.201.0.2:5060", "z9hG4bKref2", "\"1006\" <sip:1006@sipedge.test>;tag=a1",
                    a_to, "call-1", 21, "Refer-To: <sip:1013@10.201.0.4:5060?Replaces=other%3Bto-tag%3Dx%3Bfrom-tag%3Dy>\r\n"),
          kAlice);
  EXPECT_EQ(header(to_bob().bytes, parser::HeaderId::ReferTo), "<sip:1013@10.201.0.1?Replaces=other%3Bto-tag%3Dx%3Bfrom-tag%3Dy>");
}

TEST_F(B2buaTest, ALateOfferIsBridgedFromTheCalleesAnswerToTheCallersAck) {
  invite_to_bob = place_call("").bytes;  // no SDP: the offer comes in the 200
  b_call_id = header(invite_to_bob, parser::HeaderId::CallId);
  EXPECT_TRUE(body_of(invite_to_bob).empty());
  deliver(response_to(invite_to_bob, 200, "OK", "bobtag", "sip:1012@10.201.0.3:5060", kAnswer), kBob);
  const std::string offer = to_alice().bytes;
  EXPECT_NE(body_of(offer).find("c=IN IP4 10.201.0.1"), std::string::npos);
  a_to = header(offer, parser::HeaderId::To);
  deliver(in_dialog("ACK", uri_in(header(offer, parser::HeaderId::Contact)), "10.201.0.2:5060", "z9hG4bKack1",
                    "\"1006\" <sip:1006@sipedge.test>;tag=a1", a_to, "call-1", 2, "", kOffer),
          kAlice);
  const std::string ack = to_bob().bytes;
  EXPECT_EQ(header(ack, parser::HeaderId::CSeq), "1 ACK");
  const std::string answer = body_of(ack);
  EXPECT_NE(answer.find("c=IN IP4 10.201.0.1"), std::string::npos) << answer;
  EXPECT_TRUE(answer.starts_with("v=0\r\no=sipedge ")) << answer;
  EXPECT_EQ(relay.size(), 2u) << "the answer in the ACK installed the flows (RTP, RTCP)";
}

TEST_F(B2buaTest, ALegThatNoLongerAnswersInItsDialogEndsTheCall) {
  answered_call();
  const Call* call = call_of("call-1");
  ASSERT_NE(call, nullptr);
  // Bob refreshes the session; Alice's leg has forgotten the dialog (481).
  const std::string bob_uri = "sip:10.201.0.1:5060;sek=" + token.make(b_call_id, call->ref);
  deliver(in_dialog("UPDATE", bob_uri, "10.201.0.3:5060", "z9hG4bKup1", b_to, b_from, b_call_id, 8,
                    "Contact: <sip:1012@10.201.0.3:5060>\r\n"),
          kBob);
  const std::string update = to_alice().bytes;
  deliver(response_to(update, 481, "Call/Transaction Does Not Exist", "a1", "sip:1006@10.201.0.2:5060"), kAlice);
  EXPECT_EQ(first_line(to_bob().bytes), "SIP/2.0 481 Call/Transaction Does Not Exist");
  // The call ends: BYE on both legs, each in its own dialog, and a CDR saying why.
  std::vector<Sent> byes{wire.pop(), wire.pop()};
  for (const Sent& b : byes) EXPECT_TRUE(first_line(b.bytes).starts_with("BYE ")) << b.bytes;
  ASSERT_EQ(cdrs.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(cdrs[0])["end_reason"], "leg lost (481 to UPDATE)");
  EXPECT_EQ(proxy.calls().size(), 0u);
}

TEST_F(B2buaTest, AMessageOutsideACallGoesOutWithSipedgesOwnIdentityAndSubscribeIsRefused) {
  register_user("1012", kBob);
  const std::string message =
      "MESSAGE sip:1012@sipedge.test SIP/2.0\r\nVia: SIP/2.0/UDP 10.202.0.2:5060;branch=z9hG4bKm1;rport\r\n"
      "Max-Forwards: 70\r\nFrom: <sip:4930@10.202.0.2>;tag=trunktag\r\nTo: <sip:1012@sipedge.test>\r\n"
      "Call-ID: msg-1@10.202.0.2\r\nCSeq: 5 MESSAGE\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi";
  deliver(message, kTrunk, 1);
  const std::string out = wire.pop().bytes;
  EXPECT_EQ(first_line(out), "MESSAGE sip:1012@10.201.0.3:5060 SIP/2.0");
  for (const char* hidden : {"10.202.0.2", "trunktag", "msg-1", "z9hG4bKm1"})
    EXPECT_EQ(out.find(hidden), std::string::npos) << hidden << " in\n" << out;
  EXPECT_TRUE(header(out, parser::HeaderId::From).starts_with("<sip:4930@10.201.0.1>;tag=")) << out;
  EXPECT_EQ(header(out, parser::HeaderId::CSeq), "1 MESSAGE");
  EXPECT_EQ(body_of(out), "hi");
  deliver(response_to(out, 200, "OK", "bobtag", "sip:1012@10.201.0.3:5060"), kBob);
  const std::string ok = wire.pop().bytes;
  EXPECT_EQ(first_line(ok), "SIP/2.0 200 OK");
  EXPECT_EQ(header(ok, parser::HeaderId::CallId), "msg-1@10.202.0.2");
  EXPECT_EQ(header(ok, parser::HeaderId::CSeq), "5 MESSAGE");
  EXPECT_TRUE(header(ok, parser::HeaderId::To).starts_with("<sip:1012@sipedge.test>;tag=se")) << ok;
  EXPECT_EQ(ok.find("10.201.0.3"), std::string::npos) << ok;
  EXPECT_EQ(ok.find("bobtag"), std::string::npos) << ok;

  deliver("SUBSCRIBE sip:1012@sipedge.test SIP/2.0\r\nVia: SIP/2.0/UDP 10.202.0.2:5060;branch=z9hG4bKs1;rport\r\n"
          "Max-Forwards: 70\r\nFrom: <sip:4930@10.202.0.2>;tag=s1\r\nTo: <sip:1012@sipedge.test>\r\n"
          "Call-ID: sub-1\r\nCSeq: 1 SUBSCRIBE\r\nEvent: presence\r\nContact: <sip:4930@10.202.0.2>\r\n"
          "Content-Length: 0\r\n\r\n",
          kTrunk, 1);
  EXPECT_EQ(first_line(wire.pop().bytes), "SIP/2.0 501 Not Implemented: SUBSCRIBE dialogs are not bridged in b2bua mode");
  EXPECT_TRUE(wire.sent.empty());
  expect_no_state();
}

}  // namespace
}  // namespace sipedge::control::testing
