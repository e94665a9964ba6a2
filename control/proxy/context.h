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
  std::unique_ptr<OwnedMessage> request;  // the request as received: the one copy control keeps
  Endpoint source, local;
  uint16_t in_iface = 0;
  std::string method;
  bool invite = false;
  bool initial = false;         // dialog-creating (no To tag)
  std::vector<Target> targets;  // serial forking order
  size_t next_target = 0;
  TxnId client = 0;             // the current branch's client transaction (0 = none)
  unsigned live_clients = 0;    // client transactions of this context that still exist
  std::string client_branch;
  Endpoint client_dest;
  uint16_t client_iface = 0;
  uint16_t best_status = 0;     // best final response so far (RFC 3261 §16.7 step 6)
  std::string best_response;    // its bytes, ready to send upstream
  std::optional<Refusal> refusal;  // why sipedge itself could not pass the request or answer on
  bool cancelled = false;
  bool final_sent = false;
  std::string call_id;
  CallRef call = 0;             // the call an INVITE context belongs to (initial or in-dialog)
  bool offer_in_request = false;  // the request carried SDP that the response answers (RFC 3264)
  MediaSessionId media = 0;
  int media_from = -1;          // MediaSide of the request's sender, -1 when no media applies
  uint64_t timer_c_due_ms = 0;  // INVITE: CANCEL the branch if no final answer by then
};

}  // namespace sipedge::control
