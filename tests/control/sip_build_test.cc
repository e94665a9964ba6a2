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

}  // namespace
}  // namespace sipedge::control
