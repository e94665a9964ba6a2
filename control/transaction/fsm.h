// control/transaction/fsm.h — control lcore, pure. The four RFC 3261 §17 transaction state machines
// (Figs. 5–8, with RFC 6026's Accepted state) as data: `step(kind, state, event)` returns the next
// state and the actions to perform; TransactionLayer executes them. Unlisted (state, event) pairs
// are absorbed: e.g. a retransmitted 1xx after a final response.
#pragma once

#include <cstdint>
#include <string_view>

namespace sipedge::control::txn {

enum class Kind : uint8_t { ClientInvite, ClientNonInvite, ServerInvite, ServerNonInvite };

enum class State : uint8_t {
  Calling,     // client INVITE: request sent, nothing heard
  Trying,      // client/server non-INVITE: nothing sent back yet
  Proceeding,  // a provisional response was seen or sent
  Accepted,    // RFC 6026: a 2xx to an INVITE went through; absorbs retransmissions
  Completed,   // a final non-2xx (INVITE) or any final (non-INVITE) went through
  Confirmed,   // server INVITE: the ACK for its non-2xx arrived
  Terminated,
};

enum class Event : uint8_t {
  Response1xx,      // client: a provisional response arrived
  Response2xx,      // client: a 2xx arrived
  Response3xx6xx,   // client: a final non-2xx arrived
  Request,          // server: a retransmission of the request arrived
  Ack,              // server INVITE: an ACK matching the transaction arrived
  Tu1xx,            // server: the TU sends a provisional response
  Tu2xx,            // server: the TU sends a 2xx
  Tu3xx6xx,         // server: the TU sends a final non-2xx
  TimerRetransmit,  // A (client INVITE), E (client non-INVITE), G (server INVITE)
  TimerTimeout,     // B, F (client: no final response), H (server INVITE: no ACK)
  TimerLinger,      // D, K, I, J, L, M: the absorb-retransmissions period is over
  TransportError,
};

// Actions, performed in the order of the bits below.
enum Act : uint16_t {
  kNone = 0,
  kSendRequest = 1 << 0,        // (re)transmit the request
  kSendAck = 1 << 1,            // (re)send the hop-by-hop ACK for a non-2xx (§17.1.1.3)
  kSendResponse = 1 << 2,       // send the TU's response and remember it as the last one
  kResendResponse = 1 << 3,     // retransmit the last response sent
  kPassUp = 1 << 4,             // hand the response (or ACK in Accepted) to the TU
  kReportTimeout = 1 << 5,      // tell the TU: Timer B/F fired (it answers 408 upstream)
  kReportNoAck = 1 << 6,        // tell the TU: Timer H fired (ACK never came)
  kReportTransport = 1 << 7,    // tell the TU: the transport failed
  kStartRetransmit = 1 << 8,    // arm A/E/G at T1 (unreliable transports only)
  kNextRetransmit = 1 << 9,     // re-arm A/E/G at the doubled interval (A uncapped, E/G capped at T2)
  kRetransmitAtT2 = 1 << 10,    // re-arm E at T2 (client non-INVITE in Proceeding, §17.1.2.2)
  kStopRetransmit = 1 << 11,
  kStartTimeout = 1 << 12,      // arm B/F/H at 64*T1
  kStopTimeout = 1 << 13,
  kStartLinger = 1 << 14,       // arm D (32 s), K (T4), I (T4), J (64*T1), L/M (64*T1); 0 on reliable
};

struct Transition {
  State next;
  uint16_t acts;
  bool handled;  // false: the event is absorbed with no effect
};

Transition step(Kind kind, State state, Event event) noexcept;

std::string_view state_name(State s) noexcept;
std::string_view kind_name(Kind k) noexcept;

}  // namespace sipedge::control::txn
