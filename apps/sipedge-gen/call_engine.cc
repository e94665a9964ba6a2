// apps/sipedge-gen/call_engine.cc — the generator's one lcore. RFC 3261 §17.1 (client transactions:
// INVITE/BYE retransmitted at T1 doubling; ACK for a non-2xx final in the INVITE's transaction, for a
// 2xx a request of its own), §13.3.1.4 (the UAS resends its 2xx until the ACK), §22.2 (407 and
// Proxy-Authorization), RFC 3550 §5.1 (RTP header), RFC 4566 (the SDP offered and answered).
#include "apps/sipedge-gen/call_engine.h"

#include <charconv>
#include <cstring>

#include "apps/sipedge-gen/sip_text.h"

namespace sipedge::gen {
namespace {

constexpr char kMagic[4] = {'S', 'G', 'E', 'N'};
constexpr size_t kRtpHeader = 12;
constexpr size_t kStamp = 20;  // magic, call index, direction + 3 pad bytes, send time (ns)
constexpr uint32_t kMaxAnswerResends = 7;

void put32(std::string& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<char>(v >> (24 - 8 * i));
}
uint32_t get32(std::string_view b, size_t at) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(b[at + i]);
  return v;
}

// The index the caller's Call-ID ("sg<index>-<token>@host") and the callee's numbers carry.
std::optional<uint32_t> leading_number(std::string_view s) {
  uint32_t v = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr == s.data()) return std::nullopt;
  return v;
}

}  // namespace

CallEngine::CallEngine(EngineConfig cfg, Wire wire, uint64_t seed)
    : cfg_(std::move(cfg)), wire_(std::move(wire)), rng_(seed) {
  cfg_.payload_bytes = std::max<uint32_t>(cfg_.payload_bytes, kStamp);
  slots_ = std::max<uint32_t>(1, (65534u - cfg_.rtp_base) / 2);
  slot_owner_.assign(slots_, 0);
  calls_.resize(cfg_.calls);
  for (uint32_t i = 0; i < cfg_.calls; ++i) calls_[i].index = i;
  rtp_buf_.assign(kRtpHeader + cfg_.payload_bytes, '\0');
}

std::string CallEngine::token() {
  char buf[17];
  const uint64_t v = rng_();
  for (int i = 0; i < 16; ++i) buf[i] = "0123456789abcdef"[(v >> (4 * i)) & 15];
  buf[16] = '\0';
  return buf;
}

bool CallEngine::finished() const noexcept {
  return next_call_ == cfg_.calls && active_ == 0;
}

void CallEngine::arm(Call& c, Timer t, uint64_t at_ns) {
  timers_.push(Due{at_ns, c.index, t, ++c.gen[static_cast<unsigned>(t)]});
}

void CallEngine::step(uint64_t now_ns) {
  if (!begun_) {
    begun_ = true;
    first_ns_ = now_ns;
  }
  // Calls due by now (at `rate` from the first step), each waiting for its RTP slot to be free.
  while (next_call_ < cfg_.calls) {
    const auto due = first_ns_ + static_cast<uint64_t>(next_call_ * 1e9 / cfg_.rate);
    if (due > now_ns || slot_owner_[next_call_ % slots_] != 0) break;
    start_call(next_call_++, now_ns);
  }
  while (!timers_.empty() && timers_.top().at_ns <= now_ns) {
    const Due d = timers_.top();
    timers_.pop();
    Call& c = calls_[d.call];
    if (d.gen != c.gen[static_cast<unsigned>(d.timer)]) continue;
    fire(c, d.timer, now_ns);
  }
}

void CallEngine::start_call(uint32_t index, uint64_t now_ns) {
  Call& c = calls_[index];
  c.state = State::Inviting;
  c.call_id = "sg" + std::to_string(index) + "-" + token() + "@" + ipv4_text(cfg_.caller_ip);
  c.from_tag = token();
  c.branch = "z9hG4bK" + token();
  c.invite_ns = now_ns;
  slot_owner_[index % slots_] = index + 1;
  ++active_;
  ++totals_.started;
  send_request(c, invite(c, {}), now_ns);
}

void CallEngine::send_request(Call& c, std::string text, uint64_t now_ns) {
  c.pending = std::move(text);
  c.first_sent_ns = now_ns;
  c.interval_ms = cfg_.t1_ms;
  wire_.send(Side::Caller, cfg_.proxy_ip, cfg_.proxy_port, cfg_.sip_port, c.pending);
  arm(c, Timer::Retransmit, now_ns + uint64_t{c.interval_ms} * 1'000'000);
}

void CallEngine::fire(Call& c, Timer t, uint64_t now_ns) {
  switch (t) {
    case Timer::Retransmit: {
      if (c.state != State::Inviting && c.state != State::Byeing) return;
      // Timer B / F: the transaction gives up 64*T1 after the request was first sent.
      const uint64_t give_up = c.first_sent_ns + 64 * uint64_t{cfg_.t1_ms} * 1'000'000;
      if (now_ns >= give_up) {
        fail(c, c.state == State::Inviting ? "timeout (INVITE)" : "timeout (BYE)");
        return;
      }
      ++totals_.retransmissions;
      wire_.send(Side::Caller, cfg_.proxy_ip, cfg_.proxy_port, cfg_.sip_port, c.pending);
      // Timer A doubles; Timer E doubles up to T2 (4 s).
      c.interval_ms = c.state == State::Inviting ? c.interval_ms * 2 : std::min(c.interval_ms * 2, 4000u);
      arm(c, Timer::Retransmit, std::min(now_ns + uint64_t{c.interval_ms} * 1'000'000, give_up));
      return;
    }
    case Timer::Answer:  // the callee's 200, until its ACK
      if (c.callee_acked || c.callee_response.empty()) return;
      if (++c.retries > kMaxAnswerResends) return;  // the caller's side notices (no media, BYE fails)
      ++totals_.retransmissions;
      wire_.send(Side::Callee, c.callee_src_ip, c.callee_src_port, cfg_.sip_port, c.callee_response);
      arm(c, Timer::Answer, now_ns + uint64_t{cfg_.t1_ms} * 1'000'000 * (uint64_t{1} << std::min(c.retries, 3u)));
      return;
    case Timer::MediaEnd:
      c.caller_media = c.callee_media = false;
      disarm(c, Timer::RtpCaller);
      disarm(c, Timer::RtpCallee);
      c.state = State::Draining;
      arm(c, Timer::Bye, now_ns + uint64_t{cfg_.drain_ms} * 1'000'000);
      return;
    case Timer::Bye:
      c.state = State::Byeing;
      c.branch = "z9hG4bK" + token();
      send_request(c, in_dialog(c, "BYE", ++c.cseq, c.branch), now_ns);
      return;
    case Timer::RtpCaller:
      if (c.caller_media) send_rtp(c, 0, now_ns);
      return;
    case Timer::RtpCallee:
      if (c.callee_media) send_rtp(c, 1, now_ns);
      return;
    case Timer::Count:
      return;
  }
}

void CallEngine::send_rtp(Call& c, unsigned d, uint64_t now_ns) {
  std::string& b = rtp_buf_;
  b[0] = static_cast<char>(0x80);
  b[1] = 0;  // PCMU
  b[2] = static_cast<char>(c.seq[d] >> 8);
  b[3] = static_cast<char>(c.seq[d]);
  put32(b, 4, c.rtp_ts[d]);
  put32(b, 8, c.index * 2 + d);  // SSRC
  std::memcpy(&b[kRtpHeader], kMagic, 4);
  put32(b, kRtpHeader + 4, c.index);
  b[kRtpHeader + 8] = static_cast<char>(d);
  put32(b, kRtpHeader + 12, static_cast<uint32_t>(now_ns >> 32));
  put32(b, kRtpHeader + 16, static_cast<uint32_t>(now_ns));
  ++c.seq[d];
  c.rtp_ts[d] += cfg_.ptime_ms * 8;  // 8 kHz clock
  ++dir_[d].sent;
  if (d == 0) {
    wire_.send(Side::Caller, c.caller_dst_ip, c.caller_dst_port, rtp_port(c.index), b);
  } else {
    wire_.send(Side::Callee, c.callee_dst_ip, c.callee_dst_port, rtp_port(c.index), b);
  }
  arm(c, d == 0 ? Timer::RtpCaller : Timer::RtpCallee, now_ns + uint64_t{cfg_.ptime_ms} * 1'000'000);
}

void CallEngine::fail(Call& c, std::string why) {
  ++totals_.failures[why];
  ++totals_.failed;
  c.state = State::Failed;
  finish(c);
}

void CallEngine::finish(Call& c) {
  for (unsigned t = 0; t < static_cast<unsigned>(Timer::Count); ++t) disarm(c, static_cast<Timer>(t));
  c.caller_media = c.callee_media = false;
  dir_[0].close(c.rx[0]);
  dir_[1].close(c.rx[1]);
  c.pending.clear();
  c.pending.shrink_to_fit();
  c.callee_response.clear();
  c.callee_response.shrink_to_fit();
  slot_owner_[c.index % slots_] = 0;
  --active_;
}

void CallEngine::abandon() {
  next_call_ = cfg_.calls;
  for (Call& c : calls_) {
    if (c.state != State::Idle && c.state != State::Done && c.state != State::Failed) fail(c, "unfinished");
  }
}

void CallEngine::on_datagram(Side side, uint32_t src_ip, uint16_t src_port, uint16_t dst_port,
                             std::string_view payload, uint64_t now_ns) {
  if (dst_port != cfg_.sip_port) {
    on_rtp(side, dst_port, payload, now_ns);
  } else if (side == Side::Caller) {
    on_caller_sip(payload, src_ip, src_port, now_ns);
  } else {
    on_callee_sip(payload, src_ip, src_port, now_ns);
  }
}

CallEngine::Call* CallEngine::caller_call(std::string_view call_id) {
  if (!call_id.starts_with("sg")) return nullptr;
  const auto index = leading_number(call_id.substr(2));
  if (!index || *index >= calls_.size() || calls_[*index].call_id != call_id) return nullptr;
  return &calls_[*index];
}

CallEngine::Call* CallEngine::callee_call(std::string_view request_uri) {
  // sip:<prefix><index>@host: the number dialled (INVITE) or the callee's Contact (ACK, BYE).
  if (!request_uri.starts_with("sip:")) return nullptr;
  std::string_view user = request_uri.substr(4, request_uri.find('@') - 4);
  if (!user.starts_with(cfg_.prefix)) return nullptr;
  const auto index = leading_number(user.substr(cfg_.prefix.size()));
  if (!index || *index >= calls_.size() || calls_[*index].state == State::Idle) return nullptr;
  return &calls_[*index];
}

void CallEngine::on_caller_sip(std::string_view msg, uint32_t src_ip, uint16_t src_port, uint64_t now_ns) {
  Call* c = caller_call(header_value(msg, "Call-ID", 'i'));
  const int status = status_of(msg);
  if (c == nullptr || c->state == State::Done || c->state == State::Failed) {
    ++totals_.unexpected;
    return;
  }
  if (status == 0) {
    // sipedge ending the call (media timeout, session timer): answer, count it as a failure.
    if (method_of(msg) != "BYE") {
      ++totals_.unexpected;
      return;
    }
    std::string ok = "SIP/2.0 200 OK\r\n";
    for (std::string_view l : header_lines(msg, "Via", 'v')) ok.append(l).append("\r\n");
    ok += "From: " + std::string(header_value(msg, "From", 'f')) + "\r\nTo: " +
          std::string(header_value(msg, "To", 't')) + "\r\nCall-ID: " + c->call_id + "\r\nCSeq: " +
          std::string(header_value(msg, "CSeq")) + "\r\nContent-Length: 0\r\n\r\n";
    wire_.send(Side::Caller, src_ip, src_port, cfg_.sip_port, ok);
    fail(*c, "BYE from sipedge");
    return;
  }
  const std::string_view cseq = header_value(msg, "CSeq");
  const bool to_invite = cseq.ends_with("INVITE");
  if (leading_number(cseq) != c->cseq && !(to_invite && leading_number(cseq) == c->invite_cseq)) {
    // An answer to a request this call has moved past (the INVITE retransmitted before its 407
    // arrived): a final non-2xx is acknowledged in its own transaction, nothing else changes.
    if (to_invite && status >= 300) {
      wire_.send(Side::Caller, cfg_.proxy_ip, cfg_.proxy_port, cfg_.sip_port, ack_for_failure(*c, msg));
    }
    return;
  }
  if (to_invite && status >= 200 && status < 300) {
    if (c->state != State::Inviting) {
      // A retransmitted 200: the ACK again (RFC 3261 §13.2.2.4).
      if (!c->remote_target.empty()) {
        wire_.send(Side::Caller, cfg_.proxy_ip, cfg_.proxy_port, cfg_.sip_port,
                   in_dialog(*c, "ACK", c->invite_cseq, "z9hG4bK" + token()));
      }
      return;
    }
    const auto media = sdp_audio_target(body_of(msg));
    c->to_tag = std::string(param_of(header_value(msg, "To", 't'), "tag"));
    c->remote_target = std::string(uri_in(header_value(msg, "Contact", 'm')));
    c->route.clear();
    for (std::string_view rr : header_values(msg, "Record-Route")) {
      if (!c->route.empty()) c->route += ", ";
      c->route += rr;
    }
    disarm(*c, Timer::Retransmit);
    c->invite_cseq = c->cseq;
    totals_.setup.add(now_ns - c->invite_ns);
    ++totals_.answered;
    wire_.send(Side::Caller, cfg_.proxy_ip, cfg_.proxy_port, cfg_.sip_port,
               in_dialog(*c, "ACK", c->cseq, "z9hG4bK" + token()));
    if (!media || c->remote_target.empty()) {
      fail(*c, "200 without SDP or Contact");
      return;
    }
    c->caller_dst_ip = media->addr;
    c->caller_dst_port = media->port;
    c->state = State::Media;
    c->caller_media = true;
    send_rtp(*c, 0, now_ns);
    arm(*c, Timer::MediaEnd, now_ns + uint64_t{cfg_.hold_ms} * 1'000'000);
    return;
  }
  if (to_invite && status >= 100 && status < 200) {
    if (c->state == State::Inviting) disarm(*c, Timer::Retransmit);  // Proceeding: the proxy retransmits now
    return;
  }
  if (to_invite && status >= 300) {
    if (c->state != State::Inviting) return;  // a retransmitted final answer, already acknowledged
    disarm(*c, Timer::Retransmit);
    wire_.send(Side::Caller, cfg_.proxy_ip, cfg_.proxy_port, cfg_.sip_port, ack_for_failure(*c, msg));
    if ((status == 407 || status == 401) && !c->authenticated) {
      const std::string_view challenge =
          header_value(msg, status == 407 ? "Proxy-Authenticate" : "WWW-Authenticate");
      const std::string uri = "sip:" + cfg_.prefix + std::to_string(c->index) + "@" + cfg_.domain;
      const auto credentials = digest_authorization(challenge, cfg_.user, cfg_.password, "INVITE", uri, token());
      if (!credentials) {
        fail(*c, std::to_string(status) + " with an unusable challenge");
        return;
      }
      c->authenticated = true;
      ++totals_.challenged;
      ++c->cseq;
      c->branch = "z9hG4bK" + token();
      send_request(*c, invite(*c, (status == 407 ? "Proxy-Authorization: " : "Authorization: ") + *credentials),
                   now_ns);
      return;
    }
    fail(*c, std::to_string(status) + " to INVITE");
    return;
  }
  if (cseq.ends_with("BYE") && status >= 200 && c->state == State::Byeing) {
    if (status >= 300) {
      fail(*c, std::to_string(status) + " to BYE");
      return;
    }
    c->state = State::Done;
    ++totals_.completed;
    finish(*c);
  }
}

void CallEngine::on_callee_sip(std::string_view msg, uint32_t src_ip, uint16_t src_port, uint64_t now_ns) {
  const std::string_view method = method_of(msg);
  Call* c = method.empty() ? nullptr : callee_call(request_uri_of(msg));
  if (c == nullptr) {
    ++totals_.unexpected;
    return;
  }
  if (method == "INVITE") {
    if (!c->callee_response.empty()) {  // a retransmission
      wire_.send(Side::Callee, src_ip, src_port, cfg_.sip_port, c->callee_response);
      return;
    }
    const auto media = sdp_audio_target(body_of(msg));
    if (!media) {
      wire_.send(Side::Callee, src_ip, src_port, cfg_.sip_port, callee_answer(*c, msg, "488 Not Acceptable Here", false));
      return;
    }
    c->callee_dst_ip = media->addr;
    c->callee_dst_port = media->port;
    c->callee_src_ip = src_ip;
    c->callee_src_port = src_port;
    wire_.send(Side::Callee, src_ip, src_port, cfg_.sip_port, callee_answer(*c, msg, "180 Ringing", false));
    c->callee_response = callee_answer(*c, msg, "200 OK", true);
    wire_.send(Side::Callee, src_ip, src_port, cfg_.sip_port, c->callee_response);
    c->retries = 0;
    arm(*c, Timer::Answer, now_ns + uint64_t{cfg_.t1_ms} * 1'000'000);
  } else if (method == "ACK") {
    if (c->callee_acked || c->callee_response.empty()) return;
    c->callee_acked = true;
    disarm(*c, Timer::Answer);
    if (c->state == State::Media) {
      c->callee_media = true;
      send_rtp(*c, 1, now_ns);
    }
  } else if (method == "BYE") {
    c->callee_media = false;
    disarm(*c, Timer::RtpCallee);
    c->callee_done = true;
    wire_.send(Side::Callee, src_ip, src_port, cfg_.sip_port, callee_answer(*c, msg, "200 OK", false));
  } else if (method != "CANCEL") {
    wire_.send(Side::Callee, src_ip, src_port, cfg_.sip_port, callee_answer(*c, msg, "501 Not Implemented", false));
  }
}

void CallEngine::on_rtp(Side side, uint16_t dst_port, std::string_view p, uint64_t now_ns) {
  // Received on the callee side: caller -> callee (direction 0).
  const unsigned d = side == Side::Callee ? 0 : 1;
  DirectionStats& stats = dir_[d];
  if (p.size() < kRtpHeader + kStamp || std::memcmp(p.data() + kRtpHeader, kMagic, 4) != 0 ||
      static_cast<uint8_t>(p[kRtpHeader + 8]) != d || dst_port < cfg_.rtp_base || (dst_port - cfg_.rtp_base) % 2) {
    ++stats.foreign;
    return;
  }
  const uint32_t index = get32(p, kRtpHeader + 4);
  if (index >= calls_.size() || slot_owner_[index % slots_] != index + 1 || rtp_port(index) != dst_port) {
    ++stats.foreign;
    return;
  }
  const uint16_t seq = static_cast<uint16_t>((static_cast<uint8_t>(p[2]) << 8) | static_cast<uint8_t>(p[3]));
  const uint64_t sent_ns = (uint64_t{get32(p, kRtpHeader + 12)} << 32) | get32(p, kRtpHeader + 16);
  stats.on_packet(calls_[index].rx[d], seq, sent_ns, now_ns);
}

std::string CallEngine::sdp(uint32_t ip, uint16_t port, uint32_t session) const {
  const std::string addr = ipv4_text(ip);
  return "v=0\r\no=sipedge-gen " + std::to_string(session) + " 1 IN IP4 " + addr + "\r\ns=-\r\nc=IN IP4 " + addr +
         "\r\nt=0 0\r\nm=audio " + std::to_string(port) + " RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=ptime:" +
         std::to_string(cfg_.ptime_ms) + "\r\n";
}

std::string CallEngine::invite(const Call& c, std::string_view authorization) const {
  const std::string number = cfg_.prefix + std::to_string(c.index);
  const std::string me = ipv4_text(cfg_.caller_ip) + ":" + std::to_string(cfg_.sip_port);
  const std::string body = sdp(cfg_.caller_ip, rtp_port(c.index), c.index);
  std::string m = "INVITE sip:" + number + "@" + cfg_.domain + " SIP/2.0\r\nVia: SIP/2.0/UDP " + me +
                  ";branch=" + c.branch + ";rport\r\nMax-Forwards: 70\r\nFrom: <sip:" + cfg_.user + "@" +
                  cfg_.domain + ">;tag=" + c.from_tag + "\r\nTo: <sip:" + number + "@" + cfg_.domain +
                  ">\r\nCall-ID: " + c.call_id + "\r\nCSeq: " + std::to_string(c.cseq) +
                  " INVITE\r\nContact: <sip:" + cfg_.user + "@" + me + ">\r\n";
  if (!authorization.empty()) m.append(authorization).append("\r\n");
  m += "User-Agent: sipedge-gen\r\nContent-Type: application/sdp\r\nContent-Length: " + std::to_string(body.size()) +
       "\r\n\r\n" + body;
  return m;
}

std::string CallEngine::in_dialog(const Call& c, std::string_view method, uint32_t cseq, const std::string& branch) const {
  const std::string me = ipv4_text(cfg_.caller_ip) + ":" + std::to_string(cfg_.sip_port);
  const std::string number = cfg_.prefix + std::to_string(c.index);
  std::string m = std::string(method) + " " + c.remote_target + " SIP/2.0\r\nVia: SIP/2.0/UDP " + me + ";branch=" +
                  branch + ";rport\r\nMax-Forwards: 70\r\n";
  if (!c.route.empty()) m += "Route: " + c.route + "\r\n";
  m += "From: <sip:" + cfg_.user + "@" + cfg_.domain + ">;tag=" + c.from_tag + "\r\nTo: <sip:" + number + "@" +
       cfg_.domain + ">;tag=" + c.to_tag + "\r\nCall-ID: " + c.call_id + "\r\nCSeq: " + std::to_string(cseq) + " " +
       std::string(method) + "\r\nContent-Length: 0\r\n\r\n";
  return m;
}

std::string CallEngine::ack_for_failure(const Call& c, std::string_view response) const {
  // RFC 3261 §17.1.1.3: the INVITE's branch and CSeq number, taken from the response it answers.
  const std::string_view via = header_value(response, "Via", 'v');
  const std::string_view cseq = header_value(response, "CSeq");
  const std::string me = ipv4_text(cfg_.caller_ip) + ":" + std::to_string(cfg_.sip_port);
  const std::string number = cfg_.prefix + std::to_string(c.index);
  return "ACK sip:" + number + "@" + cfg_.domain + " SIP/2.0\r\nVia: SIP/2.0/UDP " + me + ";branch=" +
         std::string(param_of(via, "branch")) + ";rport\r\nMax-Forwards: 70\r\nFrom: <sip:" + cfg_.user + "@" +
         cfg_.domain + ">;tag=" + c.from_tag + "\r\nTo: " + std::string(header_value(response, "To", 't')) +
         "\r\nCall-ID: " + c.call_id + "\r\nCSeq: " + std::string(cseq.substr(0, cseq.find(' '))) +
         " ACK\r\nContent-Length: 0\r\n\r\n";
}

std::string CallEngine::callee_answer(const Call& c, std::string_view request, std::string_view status_line,
                                      bool with_sdp) const {
  std::string m = "SIP/2.0 " + std::string(status_line) + "\r\n";
  for (std::string_view l : header_lines(request, "Via", 'v')) m.append(l).append("\r\n");
  for (std::string_view l : header_lines(request, "Record-Route")) m.append(l).append("\r\n");
  std::string to(header_value(request, "To", 't'));
  if (param_of(to, "tag").empty()) to += ";tag=c" + std::to_string(c.index);
  m += "From: " + std::string(header_value(request, "From", 'f')) + "\r\nTo: " + to + "\r\nCall-ID: " +
       std::string(header_value(request, "Call-ID", 'i')) + "\r\nCSeq: " + std::string(header_value(request, "CSeq")) +
       "\r\n";
  if (status_line.front() < '3' && method_of(request) == "INVITE") {
    m += "Contact: <sip:" + cfg_.prefix + std::to_string(c.index) + "@" + ipv4_text(cfg_.callee_ip) + ":" +
         std::to_string(cfg_.sip_port) + ">\r\n";
  }
  if (with_sdp) {
    const std::string body = sdp(cfg_.callee_ip, rtp_port(c.index), c.index);
    m += "Content-Type: application/sdp\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  } else {
    m += "Content-Length: 0\r\n\r\n";
  }
  return m;
}

}  // namespace sipedge::gen
