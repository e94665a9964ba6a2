// control/transaction/fsm.cc — control lcore, pure. The transition tables of RFC 3261 §17.1.1
// (Fig. 5), §17.1.2 (Fig. 6), §17.2.1 (Fig. 7), §17.2.2 (Fig. 8) and RFC 6026 §7.1–7.2.
#include "control/transaction/fsm.h"

namespace sipedge::control::txn {
namespace {

struct Row {
  State from;
  Event event;
  State to;
  uint16_t acts;
};

using enum State;
using enum Event;

constexpr Row kClientInvite[] = {
    {Calling, TimerRetransmit, Calling, kSendRequest | kNextRetransmit},
    {Calling, TimerTimeout, Terminated, kReportTimeout},
    {Calling, TransportError, Terminated, kReportTransport},
    {Calling, Response1xx, Proceeding, kPassUp | kStopRetransmit | kStopTimeout},
    {Calling, Response2xx, Accepted, kPassUp | kStopRetransmit | kStopTimeout | kStartLinger},
    {Calling, Response3xx6xx, Completed, kSendAck | kPassUp | kStopRetransmit | kStopTimeout | kStartLinger},
    {Proceeding, Response1xx, Proceeding, kPassUp},
    {Proceeding, Response2xx, Accepted, kPassUp | kStartLinger},
    {Proceeding, Response3xx6xx, Completed, kSendAck | kPassUp | kStartLinger},
    {Proceeding, TransportError, Terminated, kReportTransport},
    // RFC 6026 §7.2: further 2xx are passed up (the proxy forwards them statelessly).
    {Accepted, Response2xx, Accepted, kPassUp},
    {Accepted, TimerLinger, Terminated, kNone},  // Timer M
    {Completed, Response3xx6xx, Completed, kSendAck},
    {Completed, TransportError, Terminated, kReportTransport},
    {Completed, TimerLinger, Terminated, kNone},  // Timer D
};

constexpr Row kClientNonInvite[] = {
    {Trying, TimerRetransmit, Trying, kSendRequest | kNextRetransmit},
    {Trying, TimerTimeout, Terminated, kReportTimeout},
    {Trying, TransportError, Terminated, kReportTransport},
    {Trying, Response1xx, Proceeding, kPassUp},
    {Trying, Response2xx, Completed, kPassUp | kStopRetransmit | kStopTimeout | kStartLinger},
    {Trying, Response3xx6xx, Completed, kPassUp | kStopRetransmit | kStopTimeout | kStartLinger},
    {Proceeding, TimerRetransmit, Proceeding, kSendRequest | kRetransmitAtT2},
    {Proceeding, TimerTimeout, Terminated, kReportTimeout},
    {Proceeding, TransportError, Terminated, kReportTransport},
    {Proceeding, Response1xx, Proceeding, kPassUp},
    {Proceeding, Response2xx, Completed, kPassUp | kStopRetransmit | kStopTimeout | kStartLinger},
    {Proceeding, Response3xx6xx, Completed, kPassUp | kStopRetransmit | kStopTimeout | kStartLinger},
    {Completed, TimerLinger, Terminated, kNone},  // Timer K
};

constexpr Row kServerInvite[] = {
    {Proceeding, Request, Proceeding, kResendResponse},
    {Proceeding, Tu1xx, Proceeding, kSendResponse},
    {Proceeding, Tu2xx, Accepted, kSendResponse | kStartLinger},
    {Proceeding, Tu3xx6xx, Completed, kSendResponse | kStartRetransmit | kStartTimeout},
    {Proceeding, TransportError, Terminated, kReportTransport},
    {Completed, Request, Completed, kResendResponse},
    {Completed, TimerRetransmit, Completed, kResendResponse | kNextRetransmit},  // Timer G
    {Completed, TimerTimeout, Terminated, kReportNoAck},                         // Timer H
    {Completed, Ack, Confirmed, kStopRetransmit | kStopTimeout | kStartLinger},
    {Completed, TransportError, Terminated, kReportTransport},
    {Confirmed, TimerLinger, Terminated, kNone},  // Timer I
    // RFC 6026 §7.1: retransmitted INVITEs are absorbed; the TU's 2xx retransmissions go out; an
    // ACK is passed up (in a proxy it is forwarded end to end).
    {Accepted, Tu2xx, Accepted, kSendResponse},
    {Accepted, Ack, Accepted, kPassUp},
    {Accepted, TimerLinger, Terminated, kNone},  // Timer L
};

constexpr Row kServerNonInvite[] = {
    {Trying, Tu1xx, Proceeding, kSendResponse},
    {Trying, Tu2xx, Completed, kSendResponse | kStartLinger},
    {Trying, Tu3xx6xx, Completed, kSendResponse | kStartLinger},
    {Trying, TransportError, Terminated, kReportTransport},
    {Proceeding, Request, Proceeding, kResendResponse},
    {Proceeding, Tu1xx, Proceeding, kSendResponse},
    {Proceeding, Tu2xx, Completed, kSendResponse | kStartLinger},
    {Proceeding, Tu3xx6xx, Completed, kSendResponse | kStartLinger},
    {Proceeding, TransportError, Terminated, kReportTransport},
    {Completed, Request, Completed, kResendResponse},
    {Completed, TransportError, Terminated, kReportTransport},
    {Completed, TimerLinger, Terminated, kNone},  // Timer J
};

template <size_t N>
Transition lookup(const Row (&table)[N], State s, Event e) noexcept {
  for (const Row& r : table)
    if (r.from == s && r.event == e) return {r.to, r.acts, true};
  return {s, kNone, false};
}

}  // namespace

Transition step(Kind kind, State state, Event event) noexcept {
  switch (kind) {
    case Kind::ClientInvite: return lookup(kClientInvite, state, event);
    case Kind::ClientNonInvite: return lookup(kClientNonInvite, state, event);
    case Kind::ServerInvite: return lookup(kServerInvite, state, event);
    case Kind::ServerNonInvite: return lookup(kServerNonInvite, state, event);
  }
  return {state, kNone, false};
}

std::string_view state_name(State s) noexcept {
  switch (s) {
    case Calling: return "Calling";
    case Trying: return "Trying";
    case Proceeding: return "Proceeding";
    case Accepted: return "Accepted";
    case Completed: return "Completed";
    case Confirmed: return "Confirmed";
    case Terminated: return "Terminated";
  }
  return "?";
}

std::string_view kind_name(Kind k) noexcept {
  switch (k) {
    case Kind::ClientInvite: return "client-invite";
    case Kind::ClientNonInvite: return "client-non-invite";
    case Kind::ServerInvite: return "server-invite";
    case Kind::ServerNonInvite: return "server-non-invite";
  }
  return "?";
}

}  // namespace sipedge::control::txn
