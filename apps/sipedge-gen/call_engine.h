// apps/sipedge-gen/call_engine.h — the generator's one lcore. Both ends of every call, with no I/O of
// its own: the caller (on sipedge's access side: INVITE with SDP, 407, INVITE with digest credentials,
// ACK, BYE) and the callee (on the core side: answers 180 and 200 with SDP, retransmits the 200 until
// the ACK, answers the BYE), and RTP both ways on every established call at a fixed ptime, each packet
// stamped with its call, direction, sequence number and send time. Datagrams in via on_datagram,
// out through the Wire; the caller of step() supplies the clock.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <queue>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "apps/sipedge-gen/rtp_stats.h"

namespace sipedge::gen {

enum class Side : uint8_t { Caller = 0, Callee = 1 };  // sipedge's access side, its core side

struct EngineConfig {
  uint32_t caller_ip = 0;   // the generator's address on the access side (host order)
  uint32_t callee_ip = 0;   // the generator's address on the core side
  uint32_t proxy_ip = 0;    // sipedge's SIP address on the access side: every caller request goes there
  uint16_t proxy_port = 5060;
  uint16_t sip_port = 5060;     // the generator's SIP port on both sides
  uint16_t rtp_base = 40000;    // RTP port of call slot s: rtp_base + 2 s, on both sides
  uint32_t calls = 10;
  double rate = 10;             // new calls per second
  uint32_t hold_ms = 5000;      // media time per call, from the 200 to the end of media
  uint32_t ptime_ms = 20;       // RTP packet interval per direction
  uint32_t payload_bytes = 160; // RTP payload (G.711 20 ms); at least 24 (the stamp)
  uint32_t drain_ms = 200;      // between the end of media and the BYE: packets in flight arrive
  uint32_t t1_ms = 500;         // RFC 3261 T1: retransmissions double from it; a request gives up after 64*T1
  std::string user, password, domain = "sipedge.test", prefix = "9";
};

// Where a datagram goes: out of `side`'s port to dst_ip:dst_port, from src_port.
struct Wire {
  std::function<void(Side side, uint32_t dst_ip, uint16_t dst_port, uint16_t src_port, std::string_view payload)> send;
};

struct CallTotals {
  uint64_t started = 0, answered = 0, completed = 0, failed = 0;
  uint64_t challenged = 0;     // 407/401 answered with credentials
  uint64_t retransmissions = 0;
  uint64_t unexpected = 0;     // SIP the generator could not place (not one of its calls)
  std::map<std::string, uint64_t> failures;  // why, e.g. "486 to INVITE", "timeout (BYE)"
  LatencyHistogram setup;      // first INVITE sent -> 200 received
};

class CallEngine {
 public:
  CallEngine(EngineConfig cfg, Wire wire, uint64_t seed);

  // A UDP datagram that arrived on `side` at now_ns.
  void on_datagram(Side side, uint32_t src_ip, uint16_t src_port, uint16_t dst_port, std::string_view payload,
                   uint64_t now_ns);
  // Starts calls, sends RTP and retransmissions due by now_ns. The first call starts at the first step.
  void step(uint64_t now_ns);
  // Every call placed has completed or failed.
  bool finished() const noexcept;
  // Ends the run early (deadline): every call not finished counts as failed ("unfinished"), every
  // stream closes.
  void abandon();

  const CallTotals& calls() const noexcept { return totals_; }
  uint32_t active() const noexcept { return active_; }
  // [0]: caller -> callee (received on the callee side), [1]: callee -> caller.
  const DirectionStats& direction(unsigned d) const noexcept { return dir_[d]; }
  uint32_t slots() const noexcept { return slots_; }

 private:
  enum class State : uint8_t { Idle, Inviting, Media, Draining, Byeing, Done, Failed };
  enum class Timer : uint8_t { Retransmit, Answer, MediaEnd, Bye, RtpCaller, RtpCallee, Count };
  struct Call {
    State state = State::Idle;
    uint32_t index = 0;
    uint32_t cseq = 1;
    uint32_t invite_cseq = 0;       // CSeq of the INVITE that was answered with a 2xx (its ACKs), 0 before
    bool authenticated = false;
    bool callee_done = false;     // the callee answered the BYE
    bool callee_acked = false;
    bool callee_media = false, caller_media = false;
    uint64_t invite_ns = 0;
    std::string call_id, from_tag, to_tag, branch;
    std::string remote_target, route;  // from the 200: Contact URI, Record-Route as a Route value
    std::string pending;               // the request being retransmitted (caller side)
    uint64_t first_sent_ns = 0;        // when `pending` was first sent (Timer B / F)
    uint32_t retries = 0;              // the callee's 200 resent so far
    uint32_t interval_ms = 0;
    std::string callee_response;       // the callee's last response to the INVITE (resent until ACK)
    uint32_t callee_src_ip = 0;
    uint16_t callee_src_port = 0;
    uint32_t caller_dst_ip = 0, callee_dst_ip = 0;  // sipedge's relay sockets from the SDPs
    uint16_t caller_dst_port = 0, callee_dst_port = 0;
    uint16_t seq[2] = {0, 0};
    uint32_t rtp_ts[2] = {0, 0};
    StreamState rx[2];                 // [d]: receive state of direction d
    uint32_t gen[static_cast<unsigned>(Timer::Count)] = {};
  };
  struct Due {
    uint64_t at_ns;
    uint32_t call;
    Timer timer;
    uint32_t gen;
    bool operator>(const Due& o) const noexcept { return at_ns > o.at_ns; }
  };

  void start_call(uint32_t index, uint64_t now_ns);
  void arm(Call& c, Timer t, uint64_t at_ns);
  void disarm(Call& c, Timer t) { ++c.gen[static_cast<unsigned>(t)]; }
  void fire(Call& c, Timer t, uint64_t now_ns);
  void send_request(Call& c, std::string text, uint64_t now_ns);
  void fail(Call& c, std::string why);
  void finish(Call& c);
  void on_caller_sip(std::string_view msg, uint32_t src_ip, uint16_t src_port, uint64_t now_ns);
  void on_callee_sip(std::string_view msg, uint32_t src_ip, uint16_t src_port, uint64_t now_ns);
  void on_rtp(Side side, uint16_t dst_port, std::string_view payload, uint64_t now_ns);
  void send_rtp(Call& c, unsigned d, uint64_t now_ns);
  Call* caller_call(std::string_view call_id);
  Call* callee_call(std::string_view request_uri);

  std::string invite(const Call& c, std::string_view authorization) const;
  std::string in_dialog(const Call& c, std::string_view method, uint32_t cseq, const std::string& branch) const;
  std::string ack_for_failure(const Call& c, std::string_view response) const;
  // The callee's response to `request`: `status_line` is code and reason ("180 Ringing").
  std::string callee_answer(const Call& c, std::string_view request, std::string_view status_line, bool sdp) const;
  std::string sdp(uint32_t ip, uint16_t port, uint32_t session) const;
  std::string token();
  uint16_t rtp_port(uint32_t index) const noexcept { return static_cast<uint16_t>(cfg_.rtp_base + 2 * (index % slots_)); }

  EngineConfig cfg_;
  Wire wire_;
  std::mt19937_64 rng_;
  std::vector<Call> calls_;
  std::vector<uint32_t> slot_owner_;  // call index + 1 using each RTP slot, 0 when free
  uint32_t slots_ = 0;
  uint32_t next_call_ = 0;
  uint64_t first_ns_ = 0;
  bool begun_ = false;
  uint32_t active_ = 0;
  std::priority_queue<Due, std::vector<Due>, std::greater<>> timers_;
  CallTotals totals_;
  DirectionStats dir_[2];
  std::string rtp_buf_;
};

}  // namespace sipedge::gen
