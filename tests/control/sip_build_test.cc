// tests/control/sip_build_test.cc — pins control/sip_build's response builder byte for byte: the
// status line, the request's Vias (the top one as given), From, To with the tag added only where
// RFC 3261 §8.2.6.2 wants it, Call-ID, CSeq, extra headers, Content-Length and body.
#include "control/sip_build.h"

#include <string>

#include <gtest/gtest.h>

#include "parser/scanner_hand.h"

namespace sipedge::control {
namespace {

constexpr std::string_view kBuildInvite =
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds, SIP/2.0/UDP p1.example.com;branch=z9hG4bK1\r\n"
    "Via: SIP/2.0/UDP p2.example.com;branch=z9hG4bK2\r\n"
    "Max-Forwards: 70\r\n"
    "To: Bob <sip:bob@biloxi.example.com>\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Content-Length: 0\r\n\r\n";

parser::Message scanned_request(std::string_view bytes) {
  parser::Message m;
  EXPECT_EQ(parser::HandScanner().scan(bytes, parser::Framing::Datagram, m).status, parser::ScanStatus::Complete);
  return m;
}

const std::string kBuildVias =
    "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds;received=192.0.2.1\r\n"
    "Via: SIP/2.0/UDP p1.example.com;branch=z9hG4bK1\r\n"
    "Via: SIP/2.0/UDP p2.example.com;branch=z9hG4bK2\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n";
const std::string kBuildTail =
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    "CSeq: 314159 INVITE\r\n";

TEST(BuildResponse, TryingCarriesNoToTagAndAFinalAnswerDoes) {
  const parser::Message invite = scanned_request(kBuildInvite);
  const std::string_view top = "SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds;received=192.0.2.1";
  EXPECT_EQ(build_response(invite, 100, "Trying", "se1f", top),
            "SIP/2.0 100 Trying\r\n" + kBuildVias + "To: Bob <sip:bob@biloxi.example.com>\r\n" + kBuildTail +
                "Content-Length: 0\r\n\r\n");
  const HeaderLine extra[] = {{"Server", "sipedge"}, {"Retry-After", "30"}};
  EXPECT_EQ(build_response(invite, 486, "Busy Here", "se1f", top, extra, "v=0\r\n"),
            "SIP/2.0 486 Busy Here\r\n" + kBuildVias + "To: Bob <sip:bob@biloxi.example.com>;tag=se1f\r\n" + kBuildTail +
                "Server: sipedge\r\nRetry-After: 30\r\nContent-Length: 5\r\n\r\nv=0\r\n");
}

// A To that has a tag (an in-dialog request) keeps it; with no top Via given, the request's own
// first via-parm is the top one.
TEST(BuildResponse, AToTagAlreadyThereStaysAndTheTopViaDefaultsToTheRequests) {
  std::string in_dialog(kBuildInvite);
  in_dialog.replace(in_dialog.find("To: Bob <sip:bob@biloxi.example.com>"), 36,
                    "To: Bob <sip:bob@biloxi.example.com>;tag=8321234356");
  const parser::Message request = scanned_request(in_dialog);
  EXPECT_EQ(build_response(request, 200, "OK", "se2"),
            "SIP/2.0 200 OK\r\n"
            "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n"
            "Via: SIP/2.0/UDP p1.example.com;branch=z9hG4bK1\r\n"
            "Via: SIP/2.0/UDP p2.example.com;branch=z9hG4bK2\r\n"
            "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
            "To: Bob <sip:bob@biloxi.example.com>;tag=8321234356\r\n" +
                kBuildTail + "Content-Length: 0\r\n\r\n");
}

// RFC 3261 §16.11: an ACK for a 2xx goes through without a transaction; when its sender retransmits
// it, the next hop must see the same ACK again (same branch), not a second request.
TEST(ForwardBranch, AnAckGoesOnUnderOneBranchPerSenderBranchAndOtherRequestsGetNewOnes) {
  auto scan = [](const std::string& bytes) {
    parser::Message m;
    EXPECT_EQ(parser::HandScanner().scan(bytes, parser::Framing::Datagram, m).status, parser::ScanStatus::Complete);
    return m;
  };
  auto request = [](std::string_view method, std::string_view branch, int cseq) {
    return std::string(method) + " sip:bob@192.0.2.4 SIP/2.0\r\nVia: SIP/2.0/UDP pc33.atlanta.example.com;branch=" +
           std::string(branch) +
           "\r\nMax-Forwards: 70\r\nFrom: <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n"
           "To: <sip:bob@biloxi.example.com>;tag=8321234356\r\nCall-ID: 3848276298220188511\r\nCSeq: " +
           std::to_string(cseq) + " " + std::string(method) + "\r\nContent-Length: 0\r\n\r\n";
  };
  const std::string ack_text = request("ACK", "z9hG4bKnashds9", 1);
  const parser::Message ack = scan(ack_text);
  const std::string first = forward_branch(ack);
  ASSERT_EQ(first.size(), 7u + 16u + 16u) << first;
  EXPECT_TRUE(first.starts_with("z9hG4bK")) << first;
  EXPECT_EQ(branch_loop_key(first), loop_key(ack).view()) << "loop detection reads it like any other branch";
  const std::string again_text = ack_text;
  EXPECT_EQ(forward_branch(scan(again_text)), first) << "the retransmitted ACK";
  EXPECT_NE(forward_branch(scan(request("ACK", "z9hG4bKnashds8", 1))), first) << "another ACK from the sender";
  EXPECT_NE(forward_branch(scan(request("ACK", "z9hG4bKnashds9", 2))), first) << "another INVITE's ACK";
  const std::string bye_text = request("BYE", "z9hG4bKnashds9", 2);
  const parser::Message bye = scan(bye_text);
  const std::string bye_branch = forward_branch(bye);
  EXPECT_NE(forward_branch(bye), bye_branch) << "a request with a transaction gets a branch of its own each time";
  EXPECT_EQ(branch_loop_key(bye_branch), loop_key(bye).view());
}

}  // namespace
}  // namespace sipedge::control
