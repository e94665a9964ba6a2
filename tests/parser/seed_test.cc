// tests/parser/seed_test.cc — test thread. The real call flows of the seed articles
// (tests/data/seeds/, see its README) through the whole parser: scan (datagram and stream framing),
// validate, and every header the capture shows read back through its accessor with the exact value
// the capture holds (RFC 3261 §20, RFC 5806 Diversion, RFC 4028, RFC 3515, RFC 8866 SDP).
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "parser/auth.h"
#include "parser/contact.h"
#include "parser/headers.h"
#include "parser/name_addr.h"
#include "parser/scanner.h"
#include "parser/scanner_hand.h"
#include "parser/sdp.h"
#include "parser/via.h"

namespace sipedge::parser {
namespace seed_test {

namespace fs = std::filesystem;
using sv = std::string_view;

struct ViaExp {
  sv transport, host;
  uint16_t port;  // 0 = no port written
  sv branch, received;
  int rport;  // -1 absent, 0 ";rport" without value, else the value
};

struct AddrExp {
  sv display, uri, tag;
};

struct SdpExp {
  sv origin_user;
  uint64_t origin_version;
  sv connection;  // effective c= address of the first media section
  sv media;
  uint16_t port;
  sv formats;
  size_t rtpmaps;  // number of a=rtpmap lines
};

struct SeedCase {
  sv file;
  sv method;       // "" for a response
  sv uri_or_reason;
  uint16_t status;  // 0 for a request
  std::vector<ViaExp> vias;
  AddrExp from, to;
  sv call_id;
  uint32_t cseq;
  sv cseq_method;
  int max_forwards;  // -1 absent
  std::vector<sv> contacts, routes, record_routes;
  sv content_type;  // "" absent
  std::vector<sv> allow, supported;
  std::optional<SdpExp> sdp;
};

// gtest names a failing case by this instead of dumping the struct's bytes.
void PrintTo(const SeedCase& c, std::ostream* os) { *os << c.file; }

// Expected values, one row per seed file, copied from the captures.
const std::vector<SeedCase>& seed_cases() {
  static const std::vector<SeedCase> kCases = {
    {"000_01_invite.sip", "INVITE", "sip:1012@192.168.0.201", 0,
     {{"UDP", "192.168.1.131", 56980, "z9hG4bK-d87543-bd00a80d61174148-1--d87543-", "", 0}},
     {"1006", "sip:1006@192.168.0.201", "11703172"}, {"1012", "sip:1012@192.168.0.201", ""},
     "NDI2ODA4NmE4OTNlYjlhN2NlYzIxYzcxMzc0MTEzZTY.", 1u, "INVITE", 70,
     {"sip:1006@192.168.1.131:56980"}, {}, {},
     "application/sdp", {"INVITE", "ACK", "CANCEL", "OPTIONS", "BYE", "REFER", "NOTIFY", "MESSAGE", "SUBSCRIBE", "INFO"}, {},
     SdpExp{"-", 2u, "192.168.1.131", "audio", 1572, "0 8 18 101", 2}},
    {"000_02_100_trying.sip", "", "Trying", 100,
     {{"UDP", "192.168.1.131", 56980, "z9hG4bK-d87543-bd00a80d61174148-1--d87543-", "", 56980}},
     {"1006", "sip:1006@192.168.0.201", "11703172"}, {"1012", "sip:1012@192.168.0.201", ""},
     "NDI2ODA4NmE4OTNlYjlhN2NlYzIxYzcxMzc0MTEzZTY.", 1u, "INVITE", -1,
     {}, {}, {},
     "", {}, {},
     std::nullopt},
    {"000_03_invite.sip", "INVITE", "sip:1012@192.168.0.24:5060", 0,
     {{"UDP", "192.168.0.201", 0, "z9hG4bK6XZZ1QaaZjr3p", "", 0}},
     {"1006", "sip:1006@192.168.0.201", "SrUQ72vvXSHFK"}, {"", "sip:1012@192.168.0.24:5060", ""},
     "2ffaf428-2148-123b-649f-000c29e7aea9", 49245689u, "INVITE", 68,
     {"sip:mod_sofia@192.168.0.201:5060"}, {}, {},
     "application/sdp", {"INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "MESSAGE", "INFO", "UPDATE", "REGISTER", "REFER", "NOTIFY", "PUBLISH", "SUBSCRIBE"}, {"timer", "path", "replaces"},
     SdpExp{"-", 2u, "192.168.1.131", "audio", 1572, "0 8 18 101", 2}},
    {"000_04_100_trying.sip", "", "Trying", 100,
     {{"UDP", "192.168.0.201", 0, "z9hG4bK6XZZ1QaaZjr3p", "192.168.0.201", 5060}},
     {"1006", "sip:1006@192.168.0.201", "SrUQ72vvXSHFK"}, {"", "sip:1012@192.168.0.24", ""},
     "2ffaf428-2148-123b-649f-000c29e7aea9", 49245689u, "INVITE", -1,
     {}, {}, {},
     "", {}, {},
     std::nullopt},
    {"000_05_180_ringing.sip", "", "Ringing", 180,
     {{"UDP", "192.168.0.201", 0, "z9hG4bK6XZZ1QaaZjr3p", "192.168.0.201", 5060}},
     {"1006", "sip:1006@192.168.0.201", "SrUQ72vvXSHFK"}, {"", "sip:1012@192.168.0.24", "3fVxEhXmI66Iss8a6YjNDWRhpIFlIEP1"},
     "2ffaf428-2148-123b-649f-000c29e7aea9", 49245689u, "INVITE", -1,
     {"sip:1012@192.168.0.24:5060"}, {}, {},
     "", {"PRACK", "INVITE", "ACK", "BYE", "CANCEL", "UPDATE", "INFO", "SUBSCRIBE", "NOTIFY", "REFER", "MESSAGE", "OPTIONS"}, {},
     std::nullopt},
    {"000_06_180_ringing.sip", "", "Ringing", 180,
     {{"UDP", "192.168.1.131", 56980, "z9hG4bK-d87543-bd00a80d61174148-1--d87543-", "", 56980}},
     {"1006", "sip:1006@192.168.0.201", "11703172"}, {"1012", "sip:1012@192.168.0.201", "rF2y57BS0gUvQ"},
     "NDI2ODA4NmE4OTNlYjlhN2NlYzIxYzcxMzc0MTEzZTY.", 1u, "INVITE", -1,
     {"sip:1012@192.168.0.201:5060;transport=udp"}, {}, {},
     "", {"INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "MESSAGE", "INFO", "UPDATE", "REGISTER", "REFER", "NOTIFY", "PUBLISH", "SUBSCRIBE"}, {"timer", "path", "replaces"},
     std::nullopt},
    {"000_07_200_ok.sip", "", "OK", 200,
     {{"UDP", "192.168.0.201", 0, "z9hG4bK6XZZ1QaaZjr3p", "192.168.0.201", 5060}},
     {"1006", "sip:1006@192.168.0.201", "SrUQ72vvXSHFK"}, {"", "sip:1012@192.168.0.24", "3fVxEhXmI66Iss8a6YjNDWRhpIFlIEP1"},
     "2ffaf428-2148-123b-649f-000c29e7aea9", 49245689u, "INVITE", -1,
     {"sip:1012@192.168.0.24:5060"}, {}, {},
     "application/sdp", {"PRACK", "INVITE", "ACK", "BYE", "CANCEL", "UPDATE", "INFO", "SUBSCRIBE", "NOTIFY", "REFER", "MESSAGE", "OPTIONS"}, {"replaces", "100rel"},
     SdpExp{"-", 3856587769u, "192.168.0.24", "audio", 10004, "0 101", 2}},
    {"000_08_ack.sip", "ACK", "sip:1012@192.168.0.24:5060", 0,
     {{"UDP", "192.168.0.201", 0, "z9hG4bK76rr3jUDvUepj", "", 0}},
     {"1006", "sip:1006@192.168.0.201", "SrUQ72vvXSHFK"}, {"", "sip:1012@192.168.0.24:5060", "3fVxEhXmI66Iss8a6YjNDWRhpIFlIEP1"},
     "2ffaf428-2148-123b-649f-000c29e7aea9", 49245689u, "ACK", 70,
     {"sip:mod_sofia@192.168.0.201:5060"}, {}, {},
     "", {}, {},
     std::nullopt},
    {"000_09_200_ok.sip", "", "OK", 200,
     {{"UDP", "192.168.1.131", 56980, "z9hG4bK-d87543-bd00a80d61174148-1--d87543-", "", 56980}},
     {"1006", "sip:1006@192.168.0.201", "11703172"}, {"1012", "sip:1012@192.168.0.201", "rF2y57BS0gUvQ"},
     "NDI2ODA4NmE4OTNlYjlhN2NlYzIxYzcxMzc0MTEzZTY.", 1u, "INVITE", -1,
     {"sip:1012@192.168.0.201:5060;transport=udp"}, {}, {},
     "application/sdp", {"INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "MESSAGE", "INFO", "UPDATE", "REGISTER", "REFER", "NOTIFY", "PUBLISH", "SUBSCRIBE"}, {"timer", "path", "replaces"},
     SdpExp{"-", 3856587769u, "192.168.0.24", "audio", 10004, "0 101", 2}},
    {"000_10_ack.sip", "ACK", "sip:1012@192.168.0.201:5060;transport=udp", 0,
     {{"UDP", "192.168.1.131", 56980, "z9hG4bK-d87543-66782236ac1f413c-1--d87543-", "", 0}},
     {"1006", "sip:1006@192.168.0.201", "11703172"}, {"1012", "sip:1012@192.168.0.201", "rF2y57BS0gUvQ"},
     "NDI2ODA4NmE4OTNlYjlhN2NlYzIxYzcxMzc0MTEzZTY.", 1u, "ACK", 70,
     {"sip:1006@192.168.1.131:56980"}, {}, {},
     "", {}, {},
     std::nullopt},
    {"000_11_bye.sip", "BYE", "sip:1012@192.168.0.201:5060;transport=udp", 0,
     {{"UDP", "192.168.1.131", 56980, "z9hG4bK-d87543-0139516e9a4ac937-1--d87543-", "", 0}},
     {"1006", "sip:1006@192.168.0.201", "11703172"}, {"1012", "sip:1012@192.168.0.201", "rF2y57BS0gUvQ"},
     "NDI2ODA4NmE4OTNlYjlhN2NlYzIxYzcxMzc0MTEzZTY.", 2u, "BYE", 70,
     {"sip:1006@192.168.1.131:56980"}, {}, {},
     "", {}, {},
     std::nullopt},
    {"000_12_200_ok.sip", "", "OK", 200,
     {{"UDP", "192.168.1.131", 56980, "z9hG4bK-d87543-0139516e9a4ac937-1--d87543-", "", 56980}},
     {"1006", "sip:1006@192.168.0.201", "11703172"}, {"1012", "sip:1012@192.168.0.201", "rF2y57BS0gUvQ"},
     "NDI2ODA4NmE4OTNlYjlhN2NlYzIxYzcxMzc0MTEzZTY.", 2u, "BYE", -1,
     {}, {}, {},
     "", {"INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "MESSAGE", "INFO", "UPDATE", "REGISTER", "REFER", "NOTIFY", "PUBLISH", "SUBSCRIBE"}, {"timer", "path", "replaces"},
     std::nullopt},
    {"000_13_bye.sip", "BYE", "sip:1012@192.168.0.24:5060", 0,
     {{"UDP", "192.168.0.201", 0, "z9hG4bK8FjH5DcHS448D", "", 0}},
     {"1006", "sip:1006@192.168.0.201", "SrUQ72vvXSHFK"}, {"", "sip:1012@192.168.0.24:5060", "3fVxEhXmI66Iss8a6YjNDWRhpIFlIEP1"},
     "2ffaf428-2148-123b-649f-000c29e7aea9", 49245690u, "BYE", 70,
     {}, {}, {},
     "", {"INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "MESSAGE", "INFO", "UPDATE", "REGISTER", "REFER", "NOTIFY", "PUBLISH", "SUBSCRIBE"}, {"timer", "path", "replaces"},
     std::nullopt},
    {"000_14_200_ok.sip", "", "OK", 200,
     {{"UDP", "192.168.0.201", 0, "z9hG4bK8FjH5DcHS448D", "192.168.0.201", 5060}},
     {"1006", "sip:1006@192.168.0.201", "SrUQ72vvXSHFK"}, {"", "sip:1012@192.168.0.24", "3fVxEhXmI66Iss8a6YjNDWRhpIFlIEP1"},
     "2ffaf428-2148-123b-649f-000c29e7aea9", 49245690u, "BYE", -1,
     {}, {}, {},
     "", {}, {},
     std::nullopt},
    {"002_01_invite.sip", "INVITE", "sip:bob@biloxi.example.com", 0,
     {{"TCP", "client.atlanta.example.com", 5060, "z9hG4bK74b43", "", -1}},
     {"Alice", "sip:alice@atlanta.example.com", "9fxced76sl"}, {"Bob", "sip:bob@biloxi.example.com", ""},
     "3848276298220188511@atlanta.example.com", 1u, "INVITE", 70,
     {"sip:alice@client.atlanta.example.com;transport=tcp"}, {"sip:ss1.atlanta.example.com;lr"}, {},
     "application/sdp", {}, {},
     SdpExp{"alice", 2890844526u, "192.0.2.101", "audio", 49172, "0", 1}},
    {"002_02_407_proxy_authorization_required.sip", "", "Proxy Authorization Required", 407,
     {{"TCP", "client.atlanta.example.com", 5060, "z9hG4bK74b43", "192.0.2.101", -1}},
     {"Alice", "sip:alice@atlanta.example.com", "9fxced76sl"}, {"Bob", "sip:bob@biloxi.example.com", "3flal12sf"},
     "3848276298220188511@atlanta.example.com", 1u, "INVITE", -1,
     {}, {}, {},
     "", {}, {},
     std::nullopt},
    {"002_03_ack.sip", "ACK", "sip:bob@biloxi.example.com", 0,
     {{"TCP", "client.atlanta.example.com", 5060, "z9hG4bK74b43", "", -1}},
     {"Alice", "sip:alice@atlanta.example.com", "9fxced76sl"}, {"Bob", "sip:bob@biloxi.example.com", "3flal12sf"},
     "3848276298220188511@atlanta.example.com", 1u, "ACK", 70,
     {}, {}, {},
     "", {}, {},
     std::nullopt},
    {"002_04_invite.sip", "INVITE", "sip:bob@biloxi.example.com", 0,
     {{"TCP", "client.atlanta.example.com", 5060, "z9hG4bK74bf9", "", -1}},
     {"Alice", "sip:alice@atlanta.example.com", "9fxced76sl"}, {"Bob", "sip:bob@biloxi.example.com", ""},
     "3848276298220188511@atlanta.example.com", 2u, "INVITE", 70,
     {"sip:alice@client.atlanta.example.com;transport=tcp"}, {"sip:ss1.atlanta.example.com;lr"}, {},
     "application/sdp", {}, {},
     SdpExp{"alice", 2890844526u, "192.0.2.101", "audio", 49172, "0", 1}},
    {"002_05_invite.sip", "INVITE", "sip:bob@biloxi.example.com", 0,
     {{"TCP", "ss1.atlanta.example.com", 5060, "z9hG4bK2d4790.1", "", -1}, {"TCP", "client.atlanta.example.com", 5060, "z9hG4bK74bf9", "192.0.2.101", -1}},
     {"Alice", "sip:alice@atlanta.example.com", "9fxced76sl"}, {"Bob", "sip:bob@biloxi.example.com", ""},
     "3848276298220188511@atlanta.example.com", 2u, "INVITE", 69,
     {"sip:alice@client.atlanta.example.com;transport=tcp"}, {}, {"sip:ss1.atlanta.example.com;lr"},
     "application/sdp", {}, {},
     SdpExp{"alice", 2890844526u, "192.0.2.101", "audio", 49172, "0", 1}},
    {"002_06_100_trying.sip", "", "Trying", 100,
     {{"TCP", "client.atlanta.example.com", 5060, "z9hG4bK74bf9", "192.0.2.101", -1}},
     {"Alice", "sip:alice@atlanta.example.com", "9fxced76sl"}, {"Bob", "sip:bob@biloxi.example.com", ""},
     "3848276298220188511@atlanta.example.com", 2u, "INVITE", -1,
     {}, {}, {},
     "", {}, {},
     std::nullopt},
    {"002_07_invite.sip", "INVITE", "sip:bob@client.biloxi.example.com", 0,
     {{"TCP", "ss2.biloxi.example.com", 5060, "z9hG4bK721e4.1", "", -1}, {"TCP", "ss1.atlanta.example.com", 5060, "z9hG4bK2d4790.1", "192.0.2.111", -1}, {"TCP", "client.atlanta.example.com", 5060, "z9hG4bK74bf9", "192.0.2.101", -1}},
     {"Alice", "sip:alice@atlanta.example.com", "9fxced76sl"}, {"Bob", "sip:bob@biloxi.example.com", ""},
     "3848276298220188511@atlanta.example.com", 2u, "INVITE", 68,
     {"sip:alice@client.atlanta.example.com;transport=tcp"}, {}, {"sip:ss2.biloxi.example.com;lr", "sip:ss1.atlanta.example.com;lr"},
     "application/sdp", {}, {},
     SdpExp{"alice", 2890844526u, "192.0.2.101", "audio", 49172, "0", 1}},
    {"002_08_100_trying.sip", "", "Trying", 100,
     {{"TCP", "ss1.atlanta.example.com", 5060, "z9hG4bK2d4790.1", "192.0.2.111", -1}, {"TCP", "client.atlanta.example.com", 5060, "z9hG4bK74bf9", "192.0.2.101", -1}},
     {"Alice", "sip:alice@atlanta.example.com", "9fxced76sl"}, {"Bob", "sip:bob@biloxi.example.com", ""},
     "3848276298220188511@atlanta.example.com", 2u, "INVITE", -1,
     {}, {}, {},
     "", {}, {},
     std::nullopt},
    {"002_09_180_ringing.sip", "", "Ringing", 180,
     {{"TCP", "ss2.biloxi.example.com", 5060, "z9hG4bK721e4.1", "192.0.2.222", -1}, {"TCP", "ss1.atlanta.example.com", 5060, "z9hG4bK2d4790.1", "192.0.2.111", -1}, {"TCP", "client.atlanta.example.com", 5060, "z9hG4bK74bf9", "192.0.2.101", -1}},
     {"Alice", "sip:alice@atlanta.example.com", "9fxced76sl"}, {"Bob", "sip:bob@biloxi.example.com", "314159"},
     "3848276298220188511@atlanta.example.com", 2u, "INVITE", -1,
     {"sip:bob@client.biloxi.example.com;transport=tcp"}, {}, {"sip:ss2.biloxi.example.com;lr", "sip:ss1.atlanta.example.com;lr"},
     "", {}, {},
     std::nullopt},
    {"002_10_180_ringing.sip", "", "Ringing", 180,
     {{"TCP", "ss1.atlanta.example.com", 5060, "z9hG4bK2d4790.1", "192.0.2.111", -1}, {"TCP", "client.atlanta.example.com", 5060, "z9hG4bK74bf9", "192.0.2.101", -1}},
     {"Alice", "sip:alice@atlanta.example.com", "9fxced76sl"}, {"Bob", "sip:bob@biloxi.example.com", "314159"},
     "3848276298220188511@atlanta.example.com", 2u, "INVITE", -1,
     {"sip:bob@client.biloxi.example.com;transport=tcp"}, {}, {"sip:ss2.biloxi.example.com;lr", "sip:ss1.atlanta.example.com;lr"},
     "", {}, {},
     std::nullopt},
    {"002_11_180_ringing.sip", "", "Ringing", 180,
     {{"TCP", "client.atlanta.example.com", 5060, "z9hG4bK74bf9", "192.0.2.101", -1}},
     {"Alice", "sip:alice@atlanta.example.com", "9fxced76sl"}, {"Bob", "sip:bob@biloxi.example.com", "314159"},
     "3848276298220188511@atlanta.example.com", 2u, "INVITE", -1,
     {"sip:bob@client.biloxi.example.com;transport=tcp"}, {}, {"sip:ss2.biloxi.example.com;lr", "sip:ss1.atlanta.example.com;lr"},
     "", {}, {},
     std::nullopt},
    {"002_12_200_ok.sip", "", "OK", 200,
     {{"TCP", "ss2.biloxi.example.com", 5060, "z9hG4bK721e4.1", "192.0.2.222", -1}, {"TCP", "ss1.atlanta.example.com", 5060, "z9hG4bK2d4790.1", "192.0.2.111", -1}, {"TCP", "client.atlanta.example.com", 5060, "z9hG4bK74bf9", "192.0.2.101", -1}},
     {"Alice", "sip:alice@atlanta.example.com", "9fxced76sl"}, {"Bob", "sip:bob@biloxi.example.com", "314159"},
     "3848276298220188511@atlanta.example.com", 2u, "INVITE", -1,
     {"sip:bob@client.biloxi.example.com;transport=tcp"}, {}, {"sip:ss2.biloxi.example.com;lr", "sip:ss1.atlanta.example.com;lr"},
     "application/sdp", {}, {},
     SdpExp{"bob", 2890844527u, "192.0.2.201", "audio", 3456, "0", 1}},
    {"002_13_200_ok.sip", "", "OK", 200,
     {{"TCP", "ss1.atlanta.example.com", 5060, "z9hG4bK2d4790.1", "192.0.2.111", -1}, {"TCP", "client.atlanta.example.com", 5060, "z9hG4bK74bf9", "192.0.2.101", -1}},
     {"Alice", "sip:alice@atlanta.example.com", "9fxced76sl"}, {"Bob", "sip:bob@biloxi.example.com", "314159"},
     "3848276298220188511@atlanta.example.com", 2u, "INVITE", -1,
     {"sip:bob@client.biloxi.example.com;transport=tcp"}, {}, {"sip:ss2.biloxi.example.com;lr", "sip:ss1.atlanta.example.com;lr"},
     "application/sdp", {}, {},
     SdpExp{"bob", 2890844527u, "192.0.2.201", "audio", 3456, "0", 1}},
    {"002_14_200_ok.sip", "", "OK", 200,
     {{"TCP", "client.atlanta.example.com", 5060, "z9hG4bK74bf9", "192.0.2.101", -1}},
     {"Alice", "sip:alice@atlanta.example.com", "9fxced76sl"}, {"Bob", "sip:bob@biloxi.example.com", "314159"},
     "3848276298220188511@atlanta.example.com", 2u, "INVITE", -1,
     {"sip:bob@client.biloxi.example.com;transport=tcp"}, {}, {"sip:ss2.biloxi.example.com;lr", "sip:ss1.atlanta.example.com;lr"},
     "application/sdp", {}, {},
     SdpExp{"bob", 2890844527u, "192.0.2.201", "audio", 3456, "0", 1}},
    {"002_15_ack.sip", "ACK", "sip:bob@client.biloxi.example.com", 0,
     {{"TCP", "client.atlanta.example.com", 5060, "z9hG4bK74b76", "", -1}},
     {"Alice", "sip:alice@atlanta.example.com", "9fxced76sl"}, {"Bob", "sip:bob@biloxi.example.com", "314159"},
     "3848276298220188511@atlanta.example.com", 2u, "ACK", 70,
     {}, {"sip:ss1.atlanta.example.com;lr", "sip:ss2.biloxi.example.com;lr"}, {},
     "", {}, {},
     std::nullopt},
    {"002_16_ack.sip", "ACK", "sip:bob@client.biloxi.example.com", 0,
     {{"TCP", "ss1.atlanta.example.com", 5060, "z9hG4bK2d4790.1", "", -1}, {"TCP", "client.atlanta.example.com", 5060, "z9hG4bK74b76", "192.0.2.101", -1}},
     {"Alice", "sip:alice@atlanta.example.com", "9fxced76sl"}, {"Bob", "sip:bob@biloxi.example.com", "314159"},
     "3848276298220188511@atlanta.example.com", 2u, "ACK", 69,
     {}, {"sip:ss2.biloxi.example.com;lr"}, {},
     "", {}, {},
     std::nullopt},
    {"002_17_ack.sip", "ACK", "sip:bob@client.biloxi.example.com", 0,
     {{"TCP", "ss2.biloxi.example.com", 5060, "z9hG4bK721e4.1", "", -1}, {"TCP", "ss1.atlanta.example.com", 5060, "z9hG4bK2d4790.1", "192.0.2.111", -1}, {"TCP", "client.atlanta.example.com", 5060, "z9hG4bK74b76", "192.0.2.101", -1}},
     {"Alice", "sip:alice@atlanta.example.com", "9fxced76sl"}, {"Bob", "sip:bob@biloxi.example.com", "314159"},
     "3848276298220188511@atlanta.example.com", 2u, "ACK", 68,
     {}, {}, {},
     "", {}, {},
     std::nullopt},
    {"002_18_bye.sip", "BYE", "sip:alice@client.atlanta.example.com", 0,
     {{"TCP", "client.biloxi.example.com", 5060, "z9hG4bKnashds7", "", -1}},
     {"Bob", "sip:bob@biloxi.example.com", "314159"}, {"Alice", "sip:alice@atlanta.example.com", "9fxced76sl"},
     "3848276298220188511@atlanta.example.com", 1u, "BYE", 70,
     {}, {"sip:ss2.biloxi.example.com;lr", "sip:ss1.atlanta.example.com;lr"}, {},
     "", {}, {},
     std::nullopt},
    {"002_19_bye.sip", "BYE", "sip:alice@client.atlanta.example.com", 0,
     {{"TCP", "ss2.biloxi.example.com", 5060, "z9hG4bK721e4.1", "", -1}, {"TCP", "client.biloxi.example.com", 5060, "z9hG4bKnashds7", "192.0.2.201", -1}},
     {"Bob", "sip:bob@biloxi.example.com", "314159"}, {"Alice", "sip:alice@atlanta.example.com", "9fxced76sl"},
     "3848276298220188511@atlanta.example.com", 1u, "BYE", 69,
     {}, {"sip:ss1.atlanta.example.com;lr"}, {},
     "", {}, {},
     std::nullopt},
    {"002_20_bye.sip", "BYE", "sip:alice@client.atlanta.example.com", 0,
     {{"TCP", "ss1.atlanta.example.com", 5060, "z9hG4bK2d4790.1", "", -1}, {"TCP", "ss2.biloxi.example.com", 5060, "z9hG4bK721e4.1", "192.0.2.222", -1}, {"TCP", "client.biloxi.example.com", 5060, "z9hG4bKnashds7", "192.0.2.201", -1}},
     {"Bob", "sip:bob@biloxi.example.com", "314159"}, {"Alice", "sip:alice@atlanta.example.com", "9fxced76sl"},
     "3848276298220188511@atlanta.example.com", 1u, "BYE", 68,
     {}, {}, {},
     "", {}, {},
     std::nullopt},
    {"002_21_200_ok.sip", "", "OK", 200,
     {{"TCP", "ss1.atlanta.example.com", 5060, "z9hG4bK2d4790.1", "192.0.2.111", -1}, {"TCP", "ss2.biloxi.example.com", 5060, "z9hG4bK721e4.1", "192.0.2.222", -1}, {"TCP", "client.biloxi.example.com", 5060, "z9hG4bKnashds7", "192.0.2.201", -1}},
     {"Bob", "sip:bob@biloxi.example.com", "314159"}, {"Alice", "sip:alice@atlanta.example.com", "9fxced76sl"},
     "3848276298220188511@atlanta.example.com", 1u, "BYE", -1,
     {}, {}, {},
     "", {}, {},
     std::nullopt},
    {"002_22_200_ok.sip", "", "OK", 200,
     {{"TCP", "ss2.biloxi.example.com", 5060, "z9hG4bK721e4.1", "192.0.2.222", -1}, {"TCP", "client.biloxi.example.com", 5060, "z9hG4bKnashds7", "192.0.2.101", -1}},
     {"Bob", "sip:bob@biloxi.example.com", "314159"}, {"Alice", "sip:alice@atlanta.example.com", "9fxced76sl"},
     "3848276298220188511@atlanta.example.com", 1u, "BYE", -1,
     {}, {}, {},
     "", {}, {},
     std::nullopt},
    {"002_23_200_ok.sip", "", "OK", 200,
     {{"TCP", "client.biloxi.example.com", 5060, "z9hG4bKnashds7", "192.0.2.201", -1}},
     {"Bob", "sip:bob@biloxi.example.com", "314159"}, {"Alice", "sip:alice@atlanta.example.com", "9fxced76sl"},
     "3848276298220188511@atlanta.example.com", 1u, "BYE", -1,
     {}, {}, {},
     "", {}, {},
     std::nullopt},
    {"002_24_invite.sip", "INVITE", "sip:UserB@redirect.wcom.com", 0,
     {{"UDP", "here.com", 5060, "", "", -1}},
     {"TheBigGuy", "sip:UserA@here.com", ""}, {"TheLittleGuy", "sip:UserB@there.com", ""},
     "12345600@here.com", 1u, "INVITE", -1,
     {"sip:UserA@here.com"}, {}, {},
     "application/sdp", {}, {},
     SdpExp{"UserA", 2890844526u, "192.0.2.103", "audio", 49170, "0", 1}},
    {"002_25_302_moved_temporarily.sip", "", "Moved Temporarily", 302,
     {{"UDP", "here.com", 5060, "", "", -1}},
     {"TheBigGuy", "sip:UserA@here.com", ""}, {"TheLittleGuy", "sip:UserB@there.com", ""},
     "12345600@here.com", 1u, "INVITE", -1,
     {"sip:UserB@ss2.wcom.com"}, {}, {},
     "", {}, {},
     std::nullopt},
    {"002_26_ack.sip", "ACK", "sip:UserB@redirect.wcom.com", 0,
     {{"UDP", "here.com", 5060, "", "", -1}},
     {"TheBigGuy", "sip:UserA@here.com", ""}, {"TheLittleGuy", "sip:UserB@there.com", ""},
     "12345600@here.com", 1u, "ACK", -1,
     {}, {}, {},
     "", {}, {},
     std::nullopt},
    {"002_27_invite.sip", "INVITE", "sip:UserB@ss2.wcom.com", 0,
     {{"UDP", "here.com", 5060, "", "", -1}},
     {"TheBigGuy", "sip:UserA@here.com", ""}, {"TheLittleGuy", "sip:UserB@there.com", ""},
     "12345600@here.com", 2u, "INVITE", -1,
     {"sip:UserA@here.com"}, {}, {},
     "application/sdp", {}, {},
     SdpExp{"UserA", 2890844526u, "192.0.2.103", "audio", 49170, "0", 1}},
    {"002_28_refer.sip", "REFER", "sip:phone.foo.com", 0,
     {{"UDP", "dialer.foo.com", 5060, "z9hG4bK3dialer1", "", -1}},
     {"", "sip:dialer@foo.com", "dlr1"}, {"", "sip:phone.foo.com", ""},
     "3@dialer.foo.com", 1u, "REFER", 70,
     {"sip:dialer.foo.com"}, {}, {},
     "", {}, {},
     std::nullopt},
    {"002_29_invite.sip", "INVITE", "sip:bob@foo.com", 0,
     {{"UDP", "phone.foo.com", 5060, "z9hG4bK101phone1", "", -1}},
     {"", "sip:phone@foo.com", "ph101"}, {"", "sip:bob@foo.com", ""},
     "101@phone.foo.com", 1u, "INVITE", 70,
     {"sip:phone.foo.com"}, {}, {},
     "application/sdp", {}, {},
     SdpExp{"phone", 2890844530u, "0.0.0.0", "audio", 49170, "0", 1}},
    {"003_01_485_ambiguous.sip", "", "Ambiguous", 485,
     {{"UDP", "pc33.example.com", 5060, "z9hG4bK485lee", "", -1}},
     {"", "sip:alice@example.com", "a48s"}, {"", "sip:lee@example.com", "lee485"},
     "485ambiguous@pc33.example.com", 1u, "INVITE", -1,
     {"sip:carol.lee@example.com", "sip:p.lee@example.com", "sips:lee.foote@example.com"}, {}, {},
     "", {}, {},
     std::nullopt},
    {"004_01_invite.sip", "INVITE", "sip:1004@192.168.11.60:5060;transport=udp", 0,
     {{"UDP", "192.168.11.137", 5060, "z9hG4bK1075141334", "", 0}},
     {"1003", "sip:1003@192.168.11.60:5060;user=phone", "387369502"}, {"", "sip:1004@192.168.11.60:5060", ""},
     "1487302756@192.168.11.137", 39u, "INVITE", 30,
     {"sip:1003@192.168.11.137:5060"}, {}, {},
     "application/sdp", {"INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "NOTIFY", "REFER", "REGISTER", "MESSAGE", "INFO", "SUBSCRIBE"}, {},
     SdpExp{"ZED3", 5525u, "192.168.11.137", "audio", 6510, "4 18 8 0 3 101", 6}},
    {"004_02_100_trying.sip", "", "Trying", 100,
     {{"UDP", "192.168.11.137", 5060, "z9hG4bK1075141334", "", 0}},
     {"1003", "sip:1003@192.168.11.60:5060;user=phone", "387369502"}, {"", "sip:1004@192.168.11.60:5060", "29a345f73"},
     "1487302756@192.168.11.137", 39u, "INVITE", -1,
     {"sip:1004@192.168.11.60:5060"}, {}, {},
     "", {}, {},
     std::nullopt},
    {"004_03_invite.sip", "INVITE", "sip:1004@192.168.11.139:5060", 0,
     {{"UDP", "192.168.11.60", 5060, "z9hG4bK0ec3659b", "", -1}},
     {"", "sip:1003@192.168.11.60", "2fdf9a65"}, {"", "sip:1004@192.168.11.60", ""},
     "2fdf9a65-7c51b2e0@192.168.11.60", 197u, "INVITE", 70,
     {"sip:1003@192.168.11.60:5060"}, {}, {},
     "application/sdp", {"INVITE", "ACK", "CANCEL", "BYE", "UPDATE", "REFER", "PRACK", "REGISTER", "INFO"}, {"timer"},
     SdpExp{"root", 247686555u, "192.168.11.60", "audio", 14668, "4 18 8 0 3 101", 6}},
    {"004_04_100_trying.sip", "", "Trying", 100,
     {{"UDP", "192.168.11.60", 5060, "z9hG4bK0ec3659b", "", -1}},
     {"", "sip:1003@192.168.11.60", "2fdf9a65"}, {"", "sip:1004@192.168.11.60", "1165739258"},
     "2fdf9a65-7c51b2e0@192.168.11.60", 197u, "INVITE", -1,
     {"sip:1004@192.168.11.139:5060"}, {}, {},
     "", {}, {},
     std::nullopt},
    {"004_05_180_ringing.sip", "", "Ringing", 180,
     {{"UDP", "192.168.11.60", 5060, "z9hG4bK0ec3659b", "", -1}},
     {"", "sip:1003@192.168.11.60", "2fdf9a65"}, {"", "sip:1004@192.168.11.60", "1165739258"},
     "2fdf9a65-7c51b2e0@192.168.11.60", 197u, "INVITE", -1,
     {"sip:1004@192.168.11.139:5060"}, {}, {},
     "", {}, {},
     std::nullopt},
    {"004_06_180_ringing.sip", "", "Ringing", 180,
     {{"UDP", "192.168.11.137", 5060, "z9hG4bK1075141334", "", 0}},
     {"1003", "sip:1003@192.168.11.60:5060;user=phone", "387369502"}, {"", "sip:1004@192.168.11.60:5060", "29a345f73"},
     "1487302756@192.168.11.137", 39u, "INVITE", -1,
     {"sip:1004@192.168.11.60:5060"}, {}, {},
     "", {}, {},
     std::nullopt},
    {"004_07_408_request_timeout.sip", "", "Request Timeout", 408,
     {{"UDP", "192.168.11.60", 5060, "z9hG4bK0ec3659b", "", -1}},
     {"", "sip:1003@192.168.11.60", "2fdf9a65"}, {"", "sip:1004@192.168.11.60", "1165739258"},
     "2fdf9a65-7c51b2e0@192.168.11.60", 197u, "INVITE", -1,
     {"sip:1004@192.168.11.139:5060"}, {}, {},
     "", {}, {},
     std::nullopt},
    {"004_08_ack.sip", "ACK", "sip:1004@192.168.11.139:5060", 0,
     {{"UDP", "192.168.11.60", 5060, "z9hG4bK0ec3659b", "", -1}},
     {"", "sip:1003@192.168.11.60", "2fdf9a65"}, {"", "sip:1004@192.168.11.60", "1165739258"},
     "2fdf9a65-7c51b2e0@192.168.11.60", 197u, "ACK", 70,
     {}, {}, {},
     "", {}, {},
     std::nullopt},
    {"004_09_invite.sip", "INVITE", "sip:1005@192.168.11.138:5060", 0,
     {{"UDP", "192.168.11.60", 5060, "z9hG4bK7d051e83", "", -1}},
     {"", "sip:1003@192.168.11.60", "20f9459e"}, {"", "sip:1005@192.168.11.60", ""},
     "20f9459e-3a9d40c1@192.168.11.60", 222u, "INVITE", 70,
     {"sip:1003@192.168.11.60:5060"}, {}, {},
     "application/sdp", {"INVITE", "ACK", "CANCEL", "BYE", "UPDATE", "REFER", "PRACK", "REGISTER", "INFO"}, {"timer"},
     SdpExp{"root", 2097487491u, "192.168.11.60", "audio", 13814, "4 18 8 0 3 101", 6}},
    {"004_10_100_trying.sip", "", "Trying", 100,
     {{"UDP", "192.168.11.60", 5060, "z9hG4bK7d051e83", "", -1}},
     {"", "sip:1003@192.168.11.60", "20f9459e"}, {"", "sip:1005@192.168.11.60", "1114398002"},
     "20f9459e-3a9d40c1@192.168.11.60", 222u, "INVITE", -1,
     {"sip:1005@192.168.11.138:5060"}, {}, {},
     "", {}, {},
     std::nullopt},
    {"004_11_180_ringing.sip", "", "Ringing", 180,
     {{"UDP", "192.168.11.60", 5060, "z9hG4bK7d051e83", "", -1}},
     {"", "sip:1003@192.168.11.60", "20f9459e"}, {"", "sip:1005@192.168.11.60", "1114398002"},
     "20f9459e-3a9d40c1@192.168.11.60", 222u, "INVITE", -1,
     {"sip:1005@192.168.11.138:5060"}, {}, {},
     "", {}, {},
     std::nullopt},
    {"004_12_200_ok.sip", "", "OK", 200,
     {{"UDP", "192.168.11.60", 5060, "z9hG4bK7d051e83", "", -1}},
     {"", "sip:1003@192.168.11.60", "20f9459e"}, {"", "sip:1005@192.168.11.60", "1114398002"},
     "20f9459e-3a9d40c1@192.168.11.60", 222u, "INVITE", -1,
     {"sip:1005@192.168.11.138:5060"}, {}, {},
     "application/sdp", {}, {},
     SdpExp{"ZED3", 5605u, "192.168.11.138", "audio", 33440, "18 101", 2}},
    {"004_13_ack.sip", "ACK", "sip:1005@192.168.11.138:5060", 0,
     {{"UDP", "192.168.11.60", 5060, "z9hG4bK7d051e83", "", -1}},
     {"", "sip:1003@192.168.11.60", "20f9459e"}, {"", "sip:1005@192.168.11.60", "1114398002"},
     "20f9459e-3a9d40c1@192.168.11.60", 222u, "ACK", 70,
     {}, {}, {},
     "", {}, {},
     std::nullopt},
    {"004_14_200_ok.sip", "", "OK", 200,
     {{"UDP", "192.168.11.137", 5060, "z9hG4bK1075141334", "", 0}},
     {"1003", "sip:1003@192.168.11.60:5060;user=phone", "387369502"}, {"", "sip:1004@192.168.11.60:5060", "29a345f73"},
     "1487302756@192.168.11.137", 39u, "INVITE", -1,
     {"sip:1004@192.168.11.60:5060"}, {}, {},
     "application/sdp", {}, {},
     SdpExp{"root", 964956008u, "192.168.11.60", "audio", 14940, "18 101", 2}},
    {"004_15_ack.sip", "ACK", "sip:1004@192.168.11.60:5060", 0,
     {{"UDP", "192.168.11.137", 5060, "z9hG4bK2053676586", "", 0}},
     {"1003", "sip:1003@192.168.11.60:5060;user=phone", "387369502"}, {"", "sip:1004@192.168.11.60:5060", "29a345f73"},
     "1487302756@192.168.11.137", 39u, "ACK", 30,
     {"sip:1003@192.168.11.137:5060"}, {}, {},
     "", {}, {},
     std::nullopt},
    {"004_16_bye.sip", "BYE", "sip:1003@192.168.11.60:5060", 0,
     {{"UDP", "192.168.11.138", 5060, "z9hG4bK1933227437", "", -1}},
     {"", "sip:1005@192.168.11.60", "1114398002"}, {"", "sip:1003@192.168.11.60", "20f9459e"},
     "20f9459e-3a9d40c1@192.168.11.60", 223u, "BYE", 30,
     {"sip:1005@192.168.11.138:5060"}, {}, {},
     "", {}, {},
     std::nullopt},
    {"004_17_200_ok.sip", "", "OK", 200,
     {{"UDP", "192.168.11.138", 5060, "z9hG4bK1933227437", "", -1}},
     {"", "sip:1005@192.168.11.60", "1114398002"}, {"", "sip:1003@192.168.11.60", "20f9459e"},
     "20f9459e-3a9d40c1@192.168.11.60", 223u, "BYE", -1,
     {"sip:1003@192.168.11.60:5060"}, {}, {},
     "", {}, {},
     std::nullopt},
    {"004_18_bye.sip", "BYE", "sip:1003@192.168.11.137:5060", 0,
     {{"UDP", "192.168.11.60", 5060, "z9hG4bK39840f68", "", -1}},
     {"", "sip:1004@192.168.11.60:5060", "29a345f73"}, {"1003", "sip:1003@192.168.11.60:5060;user=phone", "387369502"},
     "1487302756@192.168.11.137", 196u, "BYE", 70,
     {}, {}, {},
     "", {}, {},
     std::nullopt},
    {"004_19_200_ok.sip", "", "OK", 200,
     {{"UDP", "192.168.11.60", 5060, "z9hG4bK39840f68", "", -1}},
     {"", "sip:1004@192.168.11.60:5060", "29a345f73"}, {"1003", "sip:1003@192.168.11.60:5060;user=phone", "387369502"},
     "1487302756@192.168.11.137", 196u, "BYE", -1,
     {}, {}, {},
     "", {}, {},
     std::nullopt},
  };
  return kCases;
}

const fs::path kSeedDir = fs::path(SIPEDGE_TEST_DATA_DIR) / "seeds";

std::string read_seed(sv name) {
  std::ifstream in(kSeedDir / std::string(name), std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The header lines of a seed file as the test reads them itself: {name, value} with the value
// trimmed, in file order. The seeds have no folded lines (seed_files_test.cc checks that).
std::vector<std::pair<std::string, std::string>> header_lines(const std::string& bytes) {
  std::vector<std::pair<std::string, std::string>> out;
  const size_t end = bytes.find("\r\n\r\n");
  size_t pos = bytes.find("\r\n") + 2;
  while (pos < end + 2) {
    const size_t eol = bytes.find("\r\n", pos);
    const std::string line = bytes.substr(pos, eol - pos);
    pos = eol + 2;
    const size_t colon = line.find(':');
    std::string name = line.substr(0, colon);
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    value.erase(value.find_last_not_of(" \t") + 1);
    out.emplace_back(name, value);
  }
  return out;
}

class SeedTest : public ::testing::TestWithParam<SeedCase> {
 protected:
  void SetUp() override {
    bytes_ = read_seed(GetParam().file);
    ASSERT_FALSE(bytes_.empty()) << GetParam().file;
    const ScanResult r = scanner_.scan(bytes_, Framing::Datagram, msg_);
    ASSERT_EQ(r.status, ScanStatus::Complete) << fault_name(r.fault);
    ASSERT_EQ(r.fault, Fault::None);
    ASSERT_EQ(r.consumed, bytes_.size());
  }
  HandScanner scanner_;
  std::string bytes_;
  Message msg_;
};

TEST_P(SeedTest, ScansAsStreamToTheSameIndex) {
  Message stream;
  const ScanResult r = scanner_.scan(bytes_, Framing::Stream, stream);
  ASSERT_EQ(r.status, ScanStatus::Complete) << fault_name(r.fault);
  EXPECT_EQ(r.consumed, bytes_.size());
  ASSERT_EQ(stream.headers().size(), msg_.headers().size());
  EXPECT_EQ(stream.body(), msg_.body());
  EXPECT_EQ(stream.content_length(), static_cast<int64_t>(msg_.body().size()));
}

TEST_P(SeedTest, ScansSplitAcrossSegmentsToTheSameIndex) {
  // Three segments cut mid-header, as a multi-segment mbuf would deliver them.
  const sv all(bytes_);
  const size_t a = all.size() / 3, b = 2 * all.size() / 3;
  const std::array<sv, 3> chain = {all.substr(0, a), all.substr(a, b - a), all.substr(b)};
  std::vector<char> scratch(kMaxMessageBytes);
  Message chained;
  const ScanResult r = scan_chain(scanner_, chain, scratch, Framing::Datagram, chained);
  ASSERT_EQ(r.status, ScanStatus::Complete) << fault_name(r.fault);
  ASSERT_EQ(chained.headers().size(), msg_.headers().size());
  for (size_t i = 0; i < msg_.headers().size(); ++i) {
    EXPECT_EQ(chained.text(chained.headers()[i].value), msg_.text(msg_.headers()[i].value));
  }
  EXPECT_EQ(chained.body(), msg_.body());
}

TEST_P(SeedTest, Validates) {
  EXPECT_EQ(validate(msg_), Fault::None) << fault_name(validate(msg_));
}

TEST_P(SeedTest, EveryHeaderLineIsIndexedWithItsValue) {
  const auto lines = header_lines(bytes_);
  ASSERT_EQ(msg_.headers().size(), lines.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    const HeaderField& h = msg_.headers()[i];
    EXPECT_EQ(msg_.text(h.name), lines[i].first);
    EXPECT_EQ(msg_.text(h.value), lines[i].second) << lines[i].first;
    EXPECT_EQ(h.id, header_id_lookup(lines[i].first)) << lines[i].first;
    const HeaderField* by_name = msg_.find_by_name(lines[i].first);
    ASSERT_NE(by_name, nullptr) << lines[i].first;
  }
}

TEST_P(SeedTest, StartLine) {
  const SeedCase& c = GetParam();
  EXPECT_EQ(msg_.sip_version(), "SIP/2.0");
  if (c.status == 0) {
    ASSERT_TRUE(msg_.is_request());
    EXPECT_EQ(msg_.method_token(), c.method);
    EXPECT_EQ(method_name(msg_.method()), c.method);
    EXPECT_EQ(msg_.request_uri(), c.uri_or_reason);
    EXPECT_TRUE(parse_uri(msg_.request_uri()).ok());
  } else {
    ASSERT_TRUE(msg_.is_response());
    EXPECT_EQ(msg_.status_code(), c.status);
    EXPECT_EQ(msg_.reason_phrase(), c.uri_or_reason);
  }
}

TEST_P(SeedTest, Vias) {
  const SeedCase& c = GetParam();
  ViaList list(msg_);
  Result<Via, Fault> v = Err{Fault::None};
  size_t i = 0;
  while (list.next(v)) {
    ASSERT_LT(i, c.vias.size());
    ASSERT_TRUE(v.ok()) << "via " << i << ": " << fault_name(v.error());
    const ViaExp& e = c.vias[i];
    EXPECT_EQ(v->protocol_name, "SIP");
    EXPECT_EQ(v->protocol_version, "2.0");
    EXPECT_EQ(v->transport, e.transport);
    EXPECT_EQ(v->host, e.host);
    EXPECT_EQ(v->has_port, e.port != 0);
    EXPECT_EQ(v->port, e.port);
    EXPECT_EQ(v->branch, e.branch);
    EXPECT_EQ(v->received, e.received);
    EXPECT_EQ(v->has_rport, e.rport >= 0);
    EXPECT_EQ(v->rport_has_value, e.rport > 0);
    if (e.rport > 0) {
      EXPECT_EQ(v->rport, e.rport);
    }
    ++i;
  }
  EXPECT_EQ(i, c.vias.size());
  Result<Via, Fault> top = top_via(msg_);
  ASSERT_TRUE(top.ok());
  EXPECT_EQ(top->host, c.vias.front().host);
  EXPECT_EQ(top->branch, c.vias.front().branch);
  EXPECT_EQ(top->branch_is_rfc3261(), c.vias.front().branch.starts_with("z9hG4bK"));
}

void expect_addr(const Result<NameAddr, Fault>& a, const AddrExp& e, sv what) {
  ASSERT_TRUE(a.ok()) << what << ": " << fault_name(a.error());
  EXPECT_EQ(a->display_name, e.display) << what;
  EXPECT_EQ(a->uri_text, e.uri) << what;
  EXPECT_EQ(a->tag(), e.tag) << what;
  EXPECT_NE(a->uri.scheme, UriScheme::Other) << what;
  EXPECT_FALSE(a->uri.host.empty()) << what;
}

TEST_P(SeedTest, FromAndTo) {
  expect_addr(from_header(msg_), GetParam().from, "From");
  expect_addr(to_header(msg_), GetParam().to, "To");
}

TEST_P(SeedTest, CallIdAndCSeq) {
  const SeedCase& c = GetParam();
  Result<sv, Fault> id = parse_call_id(msg_.value(HeaderId::CallId));
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, c.call_id);
  Result<CSeq, Fault> cseq = parse_cseq(msg_.value(HeaderId::CSeq));
  ASSERT_TRUE(cseq.ok());
  EXPECT_EQ(cseq->number, c.cseq);
  EXPECT_EQ(cseq->method_text, c.cseq_method);
  EXPECT_EQ(method_name(cseq->method), c.cseq_method);
}

TEST_P(SeedTest, MaxForwards) {
  const SeedCase& c = GetParam();
  const HeaderField* h = msg_.find(HeaderId::MaxForwards);
  if (c.max_forwards < 0) {
    EXPECT_EQ(h, nullptr);
    return;
  }
  ASSERT_NE(h, nullptr);
  Result<uint32_t, Fault> mf = parse_max_forwards(msg_.text(h->value));
  ASSERT_TRUE(mf.ok());
  EXPECT_EQ(*mf, static_cast<uint32_t>(c.max_forwards));
}

TEST_P(SeedTest, Contacts) {
  ContactList list(msg_);
  Result<Contact, Fault> ct = Err{Fault::None};
  std::vector<sv> uris;
  while (list.next(ct)) {
    ASSERT_TRUE(ct.ok()) << fault_name(ct.error());
    EXPECT_FALSE(ct->star);
    EXPECT_FALSE(ct->expires.has_value());
    EXPECT_FALSE(ct->q_milli.has_value());
    uris.push_back(ct->addr.uri_text);
  }
  EXPECT_EQ(uris, GetParam().contacts);
}

std::vector<sv> route_uris(const Message& msg, HeaderId id) {
  RouteList list(msg, id);
  Result<NameAddr, Fault> r = Err{Fault::None};
  std::vector<sv> uris;
  while (list.next(r)) {
    EXPECT_TRUE(r.ok()) << fault_name(r.error());
    if (!r.ok()) break;
    EXPECT_TRUE(r->bracketed);
    EXPECT_TRUE(r->uri.lr());
    uris.push_back(r->uri_text);
  }
  return uris;
}

TEST_P(SeedTest, RouteAndRecordRoute) {
  EXPECT_EQ(route_uris(msg_, HeaderId::Route), GetParam().routes);
  EXPECT_EQ(route_uris(msg_, HeaderId::RecordRoute), GetParam().record_routes);
}

TEST_P(SeedTest, AllowAndSupported) {
  const SeedCase& c = GetParam();
  std::vector<sv> allow;
  if (const HeaderField* h = msg_.find(HeaderId::Allow)) {
    AllowList list(msg_.text(h->value));
    sv m;
    while (list.next(m)) allow.push_back(m);
    EXPECT_FALSE(list.malformed());
  }
  EXPECT_EQ(allow, c.allow);
  std::vector<sv> supported;
  if (const HeaderField* h = msg_.find(HeaderId::Supported)) {
    OptionTags tags(msg_.text(h->value));
    sv t;
    while (tags.next(t)) supported.push_back(t);
    EXPECT_FALSE(tags.malformed());
  }
  EXPECT_EQ(supported, c.supported);
  for (sv tag : c.supported) EXPECT_TRUE(message_has_option(msg_, HeaderId::Supported, tag)) << tag;
  EXPECT_FALSE(message_has_option(msg_, HeaderId::Supported, "gruu"));
  EXPECT_EQ(msg_.find(HeaderId::Require), nullptr);
}

TEST_P(SeedTest, ContentTypeAndSdpBody) {
  const SeedCase& c = GetParam();
  const HeaderField* h = msg_.find(HeaderId::ContentType);
  if (c.content_type.empty()) {
    EXPECT_EQ(h, nullptr);
    EXPECT_TRUE(msg_.body().empty());
    EXPECT_FALSE(c.sdp.has_value());
    return;
  }
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(msg_.text(h->value), c.content_type);
  Result<ContentType, Fault> ct = parse_content_type(msg_.text(h->value));
  ASSERT_TRUE(ct.ok());
  EXPECT_TRUE(ct->is("application", "sdp"));
  EXPECT_EQ(ct->params, "");

  ASSERT_TRUE(c.sdp.has_value());
  const SdpExp& e = *c.sdp;
  Result<Sdp, SdpError> sdp = parse_sdp(msg_.body());
  ASSERT_TRUE(sdp.ok()) << sdp.error().what << " line " << sdp.error().line;
  EXPECT_EQ(sdp->origin_username, e.origin_user);
  EXPECT_EQ(sdp->origin_version, e.origin_version);
  EXPECT_EQ(sdp->origin_addr_type, SdpAddrType::IP4);
  ASSERT_EQ(sdp->media().size(), 1u);
  const SdpMedia& m = sdp->media()[0];
  EXPECT_EQ(m.media, e.media);
  EXPECT_EQ(m.port, e.port);
  EXPECT_EQ(m.proto, "RTP/AVP");
  EXPECT_EQ(m.formats, e.formats);
  EXPECT_EQ(sdp->connection_for(0).address, e.connection);
  EXPECT_EQ(sdp->text(m.port_span), std::to_string(e.port));
  const size_t rtpmaps = std::count_if(sdp->attributes().begin(), sdp->attributes().end(),
                                       [](const SdpAttribute& a) { return a.name == "rtpmap"; });
  EXPECT_EQ(rtpmaps, e.rtpmaps);
  // Every payload type in the format list is a number 0..127 the m= line lists, in order.
  std::array<uint8_t, 16> pts{};
  const size_t n = sdp->payload_types(0, pts);
  std::string joined;
  for (size_t i = 0; i < n; ++i) joined += (i ? " " : "") + std::to_string(pts[i]);
  EXPECT_EQ(joined, e.formats);
  EXPECT_EQ(sdp->direction_for(0), SdpDirection::SendRecv);
}

std::string case_name(const ::testing::TestParamInfo<SeedCase>& info) {
  std::string name(info.param.file.substr(0, info.param.file.size() - 4));
  std::replace(name.begin(), name.end(), '.', '_');
  return "s" + name;
}

INSTANTIATE_TEST_SUITE_P(Seeds, SeedTest, ::testing::ValuesIn(seed_cases()), case_name);

TEST(SeedTable, CoversEverySeedFile) {
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(kSeedDir)) {
    if (e.path().extension() != ".sip") continue;
    ++files;
    const std::string name = e.path().filename().string();
    EXPECT_TRUE(std::any_of(seed_cases().begin(), seed_cases().end(),
                            [&](const SeedCase& c) { return c.file == name; }))
        << name;
  }
  EXPECT_EQ(files, seed_cases().size());
}

// --- headers that only some seeds carry, each read through its own accessor ---

struct Scanned {
  std::string bytes;
  Message msg;
};

// Scans a seed into a heap object (Message is large) whose bytes outlive the view.
std::unique_ptr<Scanned> scan_seed(sv file) {
  auto s = std::make_unique<Scanned>();
  s->bytes = read_seed(file);
  HandScanner scanner;
  const ScanResult r = scanner.scan(s->bytes, Framing::Datagram, s->msg);
  EXPECT_EQ(r.status, ScanStatus::Complete) << file;
  return s;
}

TEST(SeedHeaders, ProxyAuthenticateChallengeOf407) {
  auto s = scan_seed("002_02_407_proxy_authorization_required.sip");
  Result<AuthParams, Fault> a = parse_auth(s->msg.value(HeaderId::ProxyAuthenticate));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->scheme, "Digest");
  EXPECT_EQ(a->realm, "atlanta.example.com");
  EXPECT_EQ(a->qop, "auth");
  EXPECT_EQ(a->nonce, "f84f1cec41e6cbe5aea9c8e88d359");
  EXPECT_EQ(a->opaque, "");
  EXPECT_EQ(a->stale, "FALSE");
  EXPECT_EQ(a->algorithm, "MD5");
  EXPECT_EQ(a->username, "");
  EXPECT_FALSE(a->malformed);
  EXPECT_TRUE(qop_offers(a->qop, "auth"));
  EXPECT_FALSE(qop_offers(a->qop, "auth-int"));
  EXPECT_EQ(s->msg.find(HeaderId::WwwAuthenticate), nullptr);
}

TEST(SeedHeaders, ProxyAuthorizationCredentialsOfReInvite) {
  auto s = scan_seed("002_04_invite.sip");
  Result<AuthParams, Fault> a = parse_auth(s->msg.value(HeaderId::ProxyAuthorization));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->scheme, "Digest");
  EXPECT_EQ(a->username, "alice");
  EXPECT_EQ(a->realm, "atlanta.example.com");
  EXPECT_EQ(a->nonce, "wf84f1ceczx41ae6cbe5aea9c8e88d359");
  EXPECT_EQ(a->opaque, "");
  EXPECT_EQ(a->uri, "sip:bob@biloxi.example.com");
  EXPECT_EQ(a->response, "42ce3cef44b22f50c6a6071bc8");
  EXPECT_EQ(a->qop, "");
  EXPECT_EQ(a->nc, "");
  EXPECT_FALSE(a->malformed);
  EXPECT_EQ(s->msg.find(HeaderId::Authorization), nullptr);
}

TEST(SeedHeaders, DiversionOfForwardedInvite) {
  auto s = scan_seed("004_09_invite.sip");
  const HeaderField* h = s->msg.find(HeaderId::Diversion);
  ASSERT_NE(h, nullptr);
  Result<Diversion, Fault> d = parse_diversion(s->msg.text(h->value));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->addr.uri_text, "sip:1004@192.168.11.60");
  EXPECT_EQ(d->addr.uri.user, "1004");
  EXPECT_EQ(d->addr.uri.host, "192.168.11.60");
  EXPECT_EQ(d->addr.display_name, "");
  EXPECT_EQ(d->reason, "no-answer");
  EXPECT_FALSE(d->counter.has_value());
  EXPECT_EQ(d->privacy, "");
  EXPECT_EQ(d->screen, "");
  EXPECT_EQ(s->msg.next_same(h), nullptr);
}

TEST(SeedHeaders, SessionExpiresAlertInfoAndUnknownRecordId) {
  for (sv file : {sv("004_03_invite.sip"), sv("004_09_invite.sip")}) {
    auto s = scan_seed(file);
    Result<SessionExpires, Fault> se = parse_session_expires(s->msg.value(HeaderId::SessionExpires));
    ASSERT_TRUE(se.ok()) << file;
    EXPECT_EQ(se->delta, 90u);
    EXPECT_EQ(se->refresher, SessionExpires::Refresher::None);
    EXPECT_EQ(se->params, "");
    EXPECT_EQ(s->msg.value(HeaderId::AlertInfo), "<http://127.0.0.1/1>");
    const HeaderField* rid = s->msg.find_by_name("record-id");
    ASSERT_NE(rid, nullptr) << file;
    EXPECT_EQ(rid->id, HeaderId::Other);
    EXPECT_EQ(s->msg.text(rid->value), "1003_2013101018071508521178");
    EXPECT_EQ(s->msg.find(HeaderId::Expires), nullptr);
  }
}

TEST(SeedHeaders, ReferToWithEmbeddedBodyHeader) {
  auto s = scan_seed("002_28_refer.sip");
  EXPECT_EQ(s->msg.method(), Method::Refer);
  Result<NameAddr, Fault> r = parse_refer_to(s->msg.value(HeaderId::ReferTo));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->uri_text, "sip:bob@foo.com?body=c%3D0.0.0.0");
  EXPECT_EQ(r->uri.user, "bob");
  EXPECT_EQ(r->uri.host, "foo.com");
  EXPECT_EQ(r->uri.headers, "body=c%3D0.0.0.0");
}

TEST(SeedHeaders, HoldInviteCarriesUnspecifiedConnection) {
  auto s = scan_seed("002_29_invite.sip");
  Result<Sdp, SdpError> sdp = parse_sdp(s->msg.body());
  ASSERT_TRUE(sdp.ok());
  EXPECT_TRUE(sdp->connection_for(0).is_hold_zero());
  EXPECT_EQ(sdp->session_name, "-");
}

TEST(SeedHeaders, RemotePartyIdAndReasonOfFreeSwitch) {
  auto invite = scan_seed("000_03_invite.sip");
  Result<NameAddr, Fault> rpid = parse_name_addr(invite->msg.value(HeaderId::RemotePartyId));
  ASSERT_TRUE(rpid.ok());
  EXPECT_EQ(rpid->display_name, "1006");
  EXPECT_EQ(rpid->uri_text, "sip:1006@192.168.0.201");
  EXPECT_EQ(rpid->param("party"), std::optional<sv>("calling"));
  EXPECT_EQ(rpid->param("screen"), std::optional<sv>("yes"));
  EXPECT_EQ(rpid->param("privacy"), std::optional<sv>("off"));
  EXPECT_EQ(invite->msg.value(HeaderId::ContentDisposition), "session");
  EXPECT_EQ(invite->msg.find_by_name("X-FS-Support") != nullptr, true);
  // Content-Length stands before two more headers in this capture; the body still starts after the
  // empty line.
  EXPECT_EQ(invite->msg.content_length(), 424);
  EXPECT_TRUE(invite->msg.body().starts_with("v=0\r\n"));

  auto bye = scan_seed("000_13_bye.sip");
  EXPECT_EQ(bye->msg.value(HeaderId::Reason), "SIP;description=\"User Hung Up\"");
  EXPECT_EQ(bye->msg.find(HeaderId::RSeq), nullptr);
  EXPECT_EQ(bye->msg.find(HeaderId::RAck), nullptr);
}

TEST(SeedHeaders, EyeBeamSdpAttributes) {
  auto s = scan_seed("000_01_invite.sip");
  Result<Sdp, SdpError> sdp = parse_sdp(s->msg.body());
  ASSERT_TRUE(sdp.ok());
  EXPECT_EQ(sdp->session_name, "CounterPath eyeBeam 1.5");
  EXPECT_EQ(sdp->connection.address, "192.168.1.131");
  std::optional<SdpRtpmap> g729 = sdp->rtpmap(0, 18);
  ASSERT_TRUE(g729.has_value());
  EXPECT_EQ(g729->encoding, "G729");
  EXPECT_EQ(g729->clock_rate, 8000u);
  std::optional<SdpFmtp> dtmf = sdp->fmtp(0, 101);
  ASSERT_TRUE(dtmf.has_value());
  EXPECT_EQ(dtmf->params, "0-15");
  EXPECT_EQ(sdp->fmtp(0, 18)->params, "annexb=no");
  const SdpAttribute* dir = sdp->media_attribute(0, "sendrecv");
  ASSERT_NE(dir, nullptr);
  EXPECT_FALSE(dir->has_value);
  EXPECT_EQ(sdp->media()[0].direction, SdpDirection::SendRecv);
  const SdpAttribute* sid = sdp->media_attribute(0, "x-rtp-session-id");
  ASSERT_NE(sid, nullptr);
  EXPECT_EQ(sid->value, "747024EE416C401C864D1F625FC7E145");
  EXPECT_EQ(sdp->media_attributes(0).size(), 9u);
}

TEST(SeedHeaders, AnswerWithMediaLevelConnectionAndNoDirection) {
  auto s = scan_seed("000_09_200_ok.sip");
  Result<Sdp, SdpError> sdp = parse_sdp(s->msg.body());
  ASSERT_TRUE(sdp.ok());
  EXPECT_TRUE(sdp->media()[0].connection.present);
  EXPECT_EQ(sdp->media()[0].connection.address, "192.168.0.24");
  EXPECT_EQ(sdp->media()[0].direction, SdpDirection::Unspecified);
  EXPECT_EQ(sdp->direction_for(0), SdpDirection::SendRecv);
  EXPECT_EQ(sdp->origin_session_id, "3856587767");
}

TEST(SeedHeaders, ThreeContactsOfAmbiguous) {
  auto s = scan_seed("003_01_485_ambiguous.sip");
  ContactList list(s->msg);
  Result<Contact, Fault> c = Err{Fault::None};
  std::vector<std::pair<sv, UriScheme>> got;
  std::vector<sv> names;
  while (list.next(c)) {
    ASSERT_TRUE(c.ok());
    got.emplace_back(c->addr.uri.user, c->addr.uri.scheme);
    names.push_back(c->addr.display_name);
  }
  const std::vector<std::pair<sv, UriScheme>> want = {
      {"carol.lee", UriScheme::Sip}, {"p.lee", UriScheme::Sip}, {"lee.foote", UriScheme::Sips}};
  EXPECT_EQ(got, want);
  EXPECT_EQ(names, (std::vector<sv>{"Carol Lee", "Ping Lee", "Lee M.Foote"}));
  EXPECT_EQ(s->msg.count(HeaderId::Contact), 3u);
}

}  // namespace seed_test
}  // namespace sipedge::parser
