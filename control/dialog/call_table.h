// control/dialog/call_table.h — control lcore only. The calls sipedge carries, each with two legs
// (proxy mode: one dialog and Call-ID across both; b2bua mode: a dialog per leg, with sipedge as
// the far end of each): state, legs, media session, timestamps, in-dialog CSeqs (needed to end a
// call from the middle with BYE both ways), and the CDR written when the call ends.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/compact_string.h"
#include "common/net_address.h"
#include "control/media/media_manager.h"

namespace sipedge::control {

enum class CallState : uint8_t { Trying, Early, Confirmed, Ending, Ended };
std::string_view call_state_name(CallState s) noexcept;

// sipedge's end of one leg's dialog in b2bua mode.
struct LocalEnd {
  CompactString call_id;    // the leg's Call-ID (the callee leg's is set once: CallTable indexes it)
  std::string_view tag() const noexcept { return text_.get(kTag); }  // sipedge's tag on the leg
  // sipedge's From (callee leg) / To (caller leg) value, with its tag.
  std::string_view name_addr() const noexcept { return text_.get(kNameAddr); }
  // sipedge's Contact on the leg: its address and a route token.
  std::string_view contact() const noexcept { return text_.get(kContact); }
  void set_tag(std::string_view v) { text_.set(kTag, v); }
  void set_name_addr(std::string_view v) { text_.set(kNameAddr, v); }
  void set_contact(std::string_view v) { text_.set(kContact, v); }
  uint32_t cseq = 0;        // CSeq of the last request sipedge sent on the leg
  uint32_t invite_cseq = 0; // CSeq of the last INVITE sipedge sent on the leg (its ACK's)
  // The ACK sipedge last sent on the leg, resent on a 2xx retransmission until the far end can no
  // longer retransmit (then freed: a call lasting hours does not keep it), and when it was sent.
  CompactString ack;
  uint64_t ack_sent_ms = 0;

 private:
  enum : size_t { kNameAddr, kTag, kContact };  // the tag is inside the name-addr
  PackedStrings<3> text_;
};

struct CallLeg {
  uint16_t iface = 0;
  Endpoint peer;             // where this party's signalling comes from / goes to
  // Its From (caller) / To (callee) tag.
  std::string_view tag() const noexcept { return text_.get(kTag); }
  // Its AOR as the From (caller) / To (callee) header names it.
  std::string_view uri() const noexcept { return text_.get(kUri); }
  // Its Contact URI (NAT-fixed), target of in-dialog requests.
  std::string_view contact() const noexcept { return text_.get(kContact); }
  // Its From/To header value including the tag.
  std::string_view name_addr() const noexcept { return text_.get(kNameAddr); }
  void set_tag(std::string_view v) { text_.set(kTag, v); }
  void set_uri(std::string_view v) { text_.set(kUri, v); }
  void set_contact(std::string_view v) { text_.set(kContact, v); }
  void set_name_addr(std::string_view v) { text_.set(kNameAddr, v); }
  uint32_t last_cseq = 0;    // highest CSeq this party sent in the dialog
  // The proxies between sipedge and this party that Record-Routed (RFC 3261 §12.1), nearest
  // first: the Route set of the requests sipedge itself sends it (BYE). Their URIs, one per line.
  std::string_view route_set() const noexcept { return text_.get(kRouteSet); }
  // A route set as route_set() holds it, from its URIs.
  static std::string route_lines(const std::vector<std::string>& uris);
  // Several of the strings above at once, as {kTag, "..."} pairs: one rebuild of their block
  // instead of one per string (a call sets four or five together, twice per leg).
  enum Text : size_t { kNameAddr, kTag, kUri, kContact, kRouteSet };
  void set(std::initializer_list<std::pair<size_t, std::string_view>> texts) { text_.set(texts); }
  template <class F>
  void for_each_route(F&& f) const {
    std::string_view rest = route_set();
    while (!rest.empty()) {
      const size_t end = rest.find('\n');
      f(rest.substr(0, end));
      rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    }
  }
  // B2BUA mode: sipedge's own end of this leg's dialog (null in proxy mode, where the other party
  // is the far end; allocated apart so a proxied call does not carry it).
  std::unique_ptr<LocalEnd> local;

 private:
  // The strings above in one heap block: a million open calls make one allocation per leg for
  // them, not five (issue 14 §5). The From/To value (kNameAddr) first: the tag and URI inside it
  // are not stored twice.
  PackedStrings<5> text_;
};

// A call's identity inside sipedge. One Call-ID may name several calls: a request that spirals
// through sipedge (RFC 3261 §16.3 item 4) is a call per pass, each with its own media session.
// In-dialog requests find theirs through the ref in sipedge's Record-Route token (route_token.h).
using CallRef = uint64_t;  // never reused; 0 = none

struct Call {
  // Fields in falling size order: a million open calls, no padding between the small ones.
  CallRef ref = 0;
  CompactString call_id;  // set once, by CallTable::create (the table's index views it)
  CallLeg caller, callee;
  MediaSessionId media = 0;    // its media session, created with this call as owner (owner_of)
  uint64_t start_ms = 0, answer_ms = 0, end_ms = 0;  // wall clock (ms since epoch)
  // RFC 4028: when the session expires without a refresh (monotonic ms; 0: no session timer), and
  // the interval the dialog's last 2xx to an INVITE or UPDATE settled on.
  uint64_t session_due_ms = 0;
  uint32_t session_interval_s = 0;
  int route = -1;               // the route that gave the callee's target, -1 for none
  // The MAC of the route token the call's dialog was Record-Routed with (proxy/route_token.h),
  // made for its Call-ID and ref: in-dialog requests are checked against it without an HMAC. All
  // zero until one is made (a real one is all zero once in 2^80 tokens; its calls would only take
  // the HMAC).
  std::array<uint8_t, 10> route_mac{};
  uint16_t final_status = 0;
  CallState state = CallState::Trying;
  bool b2bua = false;           // a dialog per leg (SignallingMode::B2bua)
  bool reinvite_pending = false;  // b2bua: an INVITE sipedge bridged is unanswered (glare, 491)
};

class CallTable {
 public:
  Call& create(std::string_view call_id);
  Call* find(CallRef ref);
  const Call* find(CallRef ref) const;
  // Every call of this Call-ID, in creation order.
  std::vector<const Call*> find_by_call_id(std::string_view call_id) const;
  // A second Call-ID for `call` (a B2BUA's callee leg): find_by_call_id finds the call by it too.
  void add_call_id(Call& call, std::string call_id);
  // Forgets the call; its media session is destroyed by the caller first.
  void erase(CallRef ref);
  size_t size() const noexcept { return calls_.size(); }
  template <class F>
  void for_each(F&& f) const {
    for (const auto& [ref, c] : calls_) f(c);
  }
  std::vector<CallRef> refs() const;

 private:
  CallRef next_ref_ = 1;
  std::unordered_map<CallRef, Call> calls_;
  // Keys view the calls' own Call-IDs (Call::call_id, the callee leg's LocalEnd::call_id): a
  // million calls do not keep a second copy of each.
  std::unordered_multimap<std::string_view, CallRef> by_call_id_;
};

// One JSON object per line (jq-friendly): who, when, duration, why it ended (`end_reason`: the
// call is written as it ends, so the reason is not kept in it), media relayed; in b2bua mode the
// callee leg's Call-ID as callee_call_id.
std::string cdr_json(const Call& call, std::string_view end_reason, const MediaManager::Stats& media);

}  // namespace sipedge::control
