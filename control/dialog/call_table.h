// control/dialog/call_table.h — control lcore only. The calls sipedge carries (proxy mode: one
// Call-ID, two legs): state, legs, media session, timestamps, in-dialog CSeqs (needed to end a call
// from the middle with BYE both ways), and the CDR written when the call ends.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/net_address.h"
#include "control/media/media_manager.h"

namespace sipedge::control {

enum class CallState : uint8_t { Trying, Early, Confirmed, Ending, Ended };
std::string_view call_state_name(CallState s) noexcept;

struct CallLeg {
  uint16_t iface = 0;
  Endpoint peer;             // where this party's signalling comes from / goes to
  std::string tag;           // its From (caller) / To (callee) tag
  std::string uri;           // its AOR as the From (caller) / To (callee) header names it
  std::string contact;       // its Contact URI (NAT-fixed), target of in-dialog requests
  std::string name_addr;     // its From/To header value including the tag
  uint32_t last_cseq = 0;    // highest CSeq this party sent in the dialog
};

struct Call {
  std::string call_id;
  CallState state = CallState::Trying;
  CallLeg caller, callee;
  MediaSessionId media = 0;
  uint64_t start_ms = 0, answer_ms = 0, end_ms = 0;  // wall clock (ms since epoch)
  std::string end_reason;
  uint16_t final_status = 0;
  uint32_t bye_cseq_caller = 0;  // CSeq we use for a BYE we send to the caller ourselves
};

class CallTable {
 public:
  Call& create(std::string call_id);
  Call* find(std::string_view call_id);
  const Call* find(std::string_view call_id) const;
  // Ends the call: media destroyed by the caller of this, then the CDR line is written and the call
  // forgotten.
  void erase(std::string_view call_id);
  size_t size() const noexcept { return calls_.size(); }
  template <class F>
  void for_each(F&& f) const {
    for (const auto& [id, c] : calls_) f(c);
  }
  std::vector<std::string> ids() const;

 private:
  std::unordered_map<std::string, Call> calls_;
};

// One JSON object per line (jq-friendly): who, when, duration, why it ended, media relayed.
std::string cdr_json(const Call& call, const MediaManager::Stats& media);

}  // namespace sipedge::control
