// Shared fixture for the proxy tests: two interfaces (access 10.201.0.1, core 10.202.0.1), users
// 1006/1012, a recording transport, a fake relay, a hand-moved clock.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "control/auth/digest.h"
#include "control/proxy/proxy.h"
#include "parser/headers.h"
#include "parser/scanner_hand.h"
#include "tests/support/lab_config.h"

namespace sipedge::control::testing {

struct Sent {
  uint16_t iface;
  Endpoint dest;
  std::string bytes;
};

// Every Call-ID a sender hands the transport with a datagram is the one the datagram carries: the
// tap trusts it instead of searching the bytes.
struct CallIdCheck : SipTap {
  void received(const Inbound&) override {}
  void sent(uint16_t, const Endpoint&, std::string_view bytes, std::string_view call_id) override {
    if (!call_id.empty()) {
      EXPECT_EQ(call_id, parser::find_header_value(bytes, "Call-ID", 'i')) << bytes;
    }
  }
};

struct RecordingTransport : SipTransport {
  RecordingTransport() { set_tap(&check); }
  CallIdCheck check;
  std::deque<Sent> sent;
  bool refuse = false;  // the wire takes nothing (no buffers)
  SendResult transmit(uint16_t iface, const Endpoint& dest, std::string_view bytes) override {
    if (refuse) return SendResult::Failed;
    sent.push_back({iface, dest, std::string(bytes)});
    return SendResult::Sent;
  }
  Sent pop() {
    EXPECT_FALSE(sent.empty()) << "nothing was sent";
    if (sent.empty()) return {};
    Sent s = sent.front();
    sent.pop_front();
    return s;
  }
};

// A relay that records flows; what each flow "relayed" is whatever the test sets in `relayed`.
struct FakeRelay : FlowBackend {
  std::map<Handle, std::pair<End, End>> flows;
  std::map<Handle, Counters> relayed;
  Handle next = 1;
  std::optional<MediaError> refuse;  // every install fails with this
  Result<Handle, MediaError> install(const End& a, const End& b) override {
    if (refuse) return Err(*refuse);
    flows[next] = {a, b};
    return next++;
  }
  Result<std::monostate, MediaError> update(Handle h, const End& a, const End& b) override {
    flows[h] = {a, b};
    return std::monostate{};
  }
  void remove(Handle h) override { flows.erase(h); }
  Counters counters(Handle h) const override {
    auto it = relayed.find(h);
    return it == relayed.end() ? Counters{} : it->second;
  }
  size_t size() const override { return flows.size(); }
  // Every live flow relayed `to_callee` packets one way and `to_caller` the other.
  void relay_everything(uint64_t to_callee, uint64_t to_caller) {
    for (const auto& [h, ends] : flows) relayed[h] = Counters{{to_callee, to_caller}, {to_callee * 100, to_caller * 100}};
  }
  // Every live flow has heard nothing for `ms` towards the callee and `ms_back` towards the caller.
  void silence(uint64_t ms, uint64_t ms_back) {
    for (const auto& [h, ends] : flows) {
      relayed[h].silent_ms[0] = ms;
      relayed[h].silent_ms[1] = ms_back;
    }
  }
};

inline const Endpoint kAlice{IpAddr::v4(10, 201, 0, 2), 5060};  // 1006, access side
inline const Endpoint kBob{IpAddr::v4(10, 201, 0, 3), 5060};    // 1012, access side
inline const Endpoint kTrunk{IpAddr::v4(10, 202, 0, 2), 5060};  // core side

inline ControlConfig test_config() {
  ControlConfig c = sipedge::testing::lab_config(20099, {kTrunk, Endpoint{IpAddr::v4(10, 202, 0, 3), 5060}});
  c.auth.algorithms = {DigestAlgorithm::Md5};
  for (const char* u : {"1006", "1012", "1013"}) {
    const std::string pw = std::string("pw") + u;
    c.users.push_back(UserConfig{u, UserCredentials{digest_ha1(DigestAlgorithm::Md5, u, "sipedge.test", pw),
                                                    digest_ha1(DigestAlgorithm::Sha256, u, "sipedge.test", pw)},
                                 ForwardingConfig{}, {}});
  }
  return c;
}

// Value of the first header `name` in a message, "" when absent.
inline std::string header(const std::string& bytes, parser::HeaderId id) {
  parser::Message m;
  if (parser::HandScanner().scan(bytes, parser::Framing::Datagram, m).status != parser::ScanStatus::Complete) return "<unscannable>";
  return std::string(m.value(id));
}

// The Proxy-Authorization (or Authorization) value user `user` (password "pw" + user, MD5, qop auth)
// answers `challenge` with, for `method` on `uri`, nonce-count `nc`.
inline std::string digest_credentials(const std::string& challenge, const std::string& user, const std::string& method,
                                      const std::string& uri, uint32_t nc) {
  const size_t at = challenge.find("nonce=\"") + 7;
  const std::string nonce = challenge.substr(at, challenge.find('"', at) - at);
  char ncbuf[16];
  std::snprintf(ncbuf, sizeof ncbuf, "%08x", nc);
  const std::string ha1 = digest_ha1(DigestAlgorithm::Md5, user, "sipedge.test", "pw" + user);
  const std::string resp = digest_response(DigestAlgorithm::Md5, ha1, nonce, ncbuf, "abc", "auth", method, uri);
  return "Digest username=\"" + user + "\",realm=\"sipedge.test\",nonce=\"" + nonce + "\",uri=\"" + uri +
         "\",response=\"" + resp + "\",algorithm=MD5,cnonce=\"abc\",qop=auth,nc=" + ncbuf;
}

inline std::string first_line(const std::string& bytes) { return bytes.substr(0, bytes.find("\r\n")); }

// The response a UAS sends to `request` (as it arrived): its Vias, Record-Routes, From, Call-ID and
// CSeq copied, To tagged `to_tag` (except on 100), our Contact, an SDP body when given.
inline std::string response_to(const std::string& request, int status, const std::string& reason,
                               const std::string& to_tag, const std::string& contact, const std::string& body = "") {
  parser::Message m;
  EXPECT_EQ(parser::HandScanner().scan(request, parser::Framing::Datagram, m).status, parser::ScanStatus::Complete);
  std::string vias;
  for (const parser::HeaderField* h = m.find(parser::HeaderId::Via); h; h = m.next_same(h))
    vias += "Via: " + std::string(m.text(h->value)) + "\r\n";
  std::string rr;
  for (const parser::HeaderField* h = m.find(parser::HeaderId::RecordRoute); h; h = m.next_same(h))
    rr += "Record-Route: " + std::string(m.text(h->value)) + "\r\n";
  return "SIP/2.0 " + std::to_string(status) + " " + reason + "\r\n" + vias + rr + "From: " +
         std::string(m.value(parser::HeaderId::From)) + "\r\nTo: " + std::string(m.value(parser::HeaderId::To)) +
         (status > 100 ? ";tag=" + to_tag : "") + "\r\nCall-ID: " + std::string(m.value(parser::HeaderId::CallId)) +
         "\r\nCSeq: " + std::string(m.value(parser::HeaderId::CSeq)) + "\r\nContact: <" + contact + ">\r\n" +
         (body.empty() ? "" : "Content-Type: application/sdp\r\n") + "Content-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

inline std::string body_of(const std::string& bytes) {
  const size_t at = bytes.find("\r\n\r\n");
  return at == std::string::npos ? "" : bytes.substr(at + 4);
}

}  // namespace sipedge::control::testing
