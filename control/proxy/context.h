// control/proxy/context.h — control lcore only. Per-request proxy state shared by proxy.cc,
// forward.cc and response.cc: one Context per server transaction the proxy forwards.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "control/owned_message.h"
#include "control/proxy/proxy.h"

namespace sipedge::control {

struct Proxy::Context {
  uint64_t id = 0;
  TxnId server = 0;             // upstream server transaction (0 once it ended)
  // The request as received: the one copy control keeps. It goes once the final answer went
  // upstream; the context lives on 64*T1 for the transactions' sake without its ~5 KB.
  std::unique_ptr<OwnedMessage> request;
  // B2BUA mode: the Via, From, To, Call-ID and CSeq lines of every answer to this request, kept
  // in place of the request when it goes (a 2xx retransmitted before the ACK, another fork's 2xx).
  std::string b2bua_answer_head;
  Endpoint source, local;
  uint16_t in_iface = 0;
  bool invite = false;
  bool initial = false;         // dialog-creating (no To tag)
  bool cancelled = false;
  bool final_sent = false;
  bool offer_in_request = false;  // the request carried SDP that the response answers (RFC 3264)
  std::string method;
  std::vector<Target> targets;  // serial forking order
  size_t next_target = 0;
  TxnId client = 0;             // the current branch's client transaction (0 = none)
  std::string client_branch;
  Endpoint client_dest;
  uint16_t client_iface = 0;
  unsigned live_clients = 0;    // client transactions of this context that still exist
  uint16_t best_status = 0;     // best final response so far (RFC 3261 §16.7 step 6)
  std::string best_response;    // its bytes, ready to send upstream
  std::optional<Refusal> refusal;  // why sipedge itself could not pass the request or answer on
  std::string call_id;
  CallRef call = 0;             // the call an INVITE context belongs to (initial or in-dialog)
  MediaSessionId media = 0;
  int media_from = -1;          // MediaSide of the request's sender, -1 when no media applies
  // Ring timeouts of the current INVITE branch: Timer C (RFC 3261 §16.6 step 11, reset by each
  // provisional) and the rung user's no-answer time (call forwarding, fixed from the branch's
  // start; 0 = none). When one fires the branch is CANCELled; if it still gives no final answer
  // within 64*T1 it is dropped (cancel_due_ms).
  bool branch_timed_out = false;
  uint64_t timer_c_due_ms = 0;
  uint64_t no_answer_due_ms = 0;
  uint64_t cancel_due_ms = 0;
  uint64_t ring_check_ms = 0;  // due time of this context's entry in Proxy::ring_due_ (0: none)
  // RFC 4028: the session interval the forwarded INVITE/UPDATE asked for (0: none), and whether its
  // sender supports session timers (a 2xx without Session-Expires is then completed for it).
  uint32_t timer_asked_s = 0;
  bool uac_supports_timer = false;
  // Call-setup latency of an initial INVITE (monotonic µs when it was forwarded; 0: not measured)
  // and whether its first 18x was measured already.
  bool ringing_measured = false;
  uint64_t setup_start_us = 0;
  // Retargeting so far: diversions the request arrived with, users forwarded from here (in order;
  // a user forwarded twice is a loop), 3xx recursions.
  uint32_t diversions_in = 0;
  uint32_t redirects = 0;
  std::vector<std::string> forwarded_from;
  // B2BUA mode: the request went out as sipedge's own on another dialog; answers go back built
  // from `request` (or b2bua_answer_head). A request outside any call (MESSAGE, OPTIONS) has its
  // outgoing leg here, and the To tag sipedge answers it with.
  bool b2bua = false;
  bool b2bua_from_callee = false;  // an in-dialog request the callee's leg sent
  int route = -1;
  CallLeg b2bua_leg;
};

inline bool is_dialog_forming(parser::Method m) {
  return m == parser::Method::Invite || m == parser::Method::Subscribe || m == parser::Method::Refer ||
         m == parser::Method::Notify;
}

// RFC 3264 / 3262 / 3311: where SDP in a request stands in its offer/answer exchange; nullopt for
// methods whose bodies sipedge leaves alone.
inline std::optional<SdpRole> request_sdp_role(parser::Method m) {
  switch (m) {
    case parser::Method::Invite:
    case parser::Method::Update: return SdpRole::Offer;
    case parser::Method::Ack: return SdpRole::Answer;
    case parser::Method::Prack: return SdpRole::OfferOrAnswer;
    default: return std::nullopt;
  }
}

}  // namespace sipedge::control
