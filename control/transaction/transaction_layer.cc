// control/transaction/transaction_layer.cc — control lcore only. Executes fsm.h transitions: sends,
// timers, TU notifications. State changes before actions run, so a TU callback that calls back in
// sees the new state; a callback may remove the transaction, so every action after one re-checks.
#include "control/transaction/transaction_layer.h"

#include <openssl/rand.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <initializer_list>

#include "common/seeded_hash.h"
#include "control/sip_build.h"
#include "parser/headers.h"
#include "parser/via.h"

namespace sipedge::control {

using txn::Event;
using txn::Kind;
using txn::State;

struct TransactionLayer::Txn {
  // First, for the cache: a lookup compares the key, a removal reads key_hash, kind and the timers.
  // With the key's bytes inline (room for the usual 40 to 60) that is the object's first two lines;
  // a heap string made the key a third miss on every matched response and ACK, transactions being
  // cold by the time their peers retransmit or they expire.
  fmt::basic_memory_buffer<char, 64> key;
  uint64_t key_hash = 0;  // of key, kept so removal need not read the key's bytes again
  TxnId id = 0;
  Kind kind = Kind::ClientNonInvite;
  State state = State::Trying;
  bool reliable = false;
  uint16_t iface = 0;
  uint32_t retransmit_ms = 0;
  TimerWheel::Handle timers[4];
  // What the transaction may send again, one at a time: a client's request until its final
  // response, then a client INVITE's ACK for a non-2xx (in Completed; resent on retransmissions of
  // that response); a server's last response (resent on request retransmissions and Timer G).
  std::string bytes;
  Endpoint peer;              // client: next hop; server: where the request came from

  std::string_view key_view() const { return {key.data(), key.size()}; }
  bool is_server() const { return kind == Kind::ServerInvite || kind == Kind::ServerNonInvite; }
};

namespace {

constexpr uint64_t kIdMask = (uint64_t{1} << 56) - 1;

// The parts one after another, sized once: a key is eight or nine parts and each append of the
// buffer checked and grew its capacity on its own.
void append(TransactionLayer::KeyText& k, std::initializer_list<std::string_view> parts) {
  const size_t old_size = k.size();
  size_t n = old_size;
  for (std::string_view p : parts) n += p.size();
  k.resize(n);
  char* out = k.data() + old_size;
  for (std::string_view p : parts) {
    if (p.empty()) continue;  // an absent part's view may be null, which memcpy may not take
    std::memcpy(out, p.data(), p.size());
    out += p.size();
  }
}

std::string_view view(const TransactionLayer::KeyText& k) { return {k.data(), k.size()}; }

void client_key(std::string_view branch, std::string_view method, TransactionLayer::KeyText& k) {
  append(k, {"C|", branch, "|", method});
}

Event response_event(uint16_t status) {
  if (status < 200) return Event::Response1xx;
  if (status < 300) return Event::Response2xx;
  return Event::Response3xx6xx;
}

Event tu_event(uint16_t status) {
  if (status < 200) return Event::Tu1xx;
  if (status < 300) return Event::Tu2xx;
  return Event::Tu3xx6xx;
}

}  // namespace

TransactionLayer::TransactionLayer(TimerWheel& wheel, SipTransport& transport, TransactionUser& tu,
                                   TimerConfig timers, const parser::Scanner& scanner)
    : wheel_(wheel), transport_(transport), tu_(tu), timers_(timers), scanner_(scanner) {
  RAND_bytes(reinterpret_cast<unsigned char*>(&key_seed_), sizeof key_seed_);
}

TransactionLayer::~TransactionLayer() {
  txns_.for_each([&](TxnId, const std::unique_ptr<Txn>& t) {
    for (auto& h : t->timers) wheel_.cancel(h);
  });
}

// §17.2.3: with the magic cookie, branch + sent-by + method (ACK matches INVITE). Otherwise the
// RFC 2543 rule: Call-ID, From tag, CSeq number and the top Via as written, plus the method.
void TransactionLayer::server_key(const Inbound& request, bool for_invite, KeyText& k) const {
  const parser::Message& m = request.msg;
  std::string_view method = m.method_token();
  if (for_invite || m.method() == parser::Method::Ack) method = "INVITE";
  auto via = parser::top_via(m);
  if (via && via->branch_is_rfc3261()) {
    const fmt::format_int port(via->has_port ? via->port : 5060);
    append(k, {"S|", via->branch, "|", via->host, ":", {port.data(), port.size()}, "|", method});
    return;
  }
  auto from_tag = parser::from_tag(m);
  auto cseq = parser::cseq_of(m);
  std::string_view top_via_text;
  if (const parser::HeaderField* h = m.find(parser::HeaderId::Via)) top_via_text = m.text(h->value);
  const fmt::format_int number(cseq ? cseq->number : 0);
  append(k, {"L|", m.value(parser::HeaderId::CallId), "|", from_tag ? *from_tag : std::string_view{}, "|",
             {number.data(), number.size()}, "|", top_via_text, "|", method});
}

TransactionLayer::Txn* TransactionLayer::find_indexed(const KeyIndex& index, std::string_view key) const {
  return find_indexed(index, key, seeded_hash(key_seed_, key));
}

TransactionLayer::Txn* TransactionLayer::find_indexed(const KeyIndex& index, std::string_view key, uint64_t hash) const {
  Txn* const* t = index.find(hash, [&](const Txn* e) { return e->key_view() == key; });
  return t == nullptr ? nullptr : *t;
}

void TransactionLayer::index(KeyIndex& index, Txn& t) { this->index(index, t, seeded_hash(key_seed_, t.key_view())); }

// A key already indexed (a request the TU chose to serve again) now names the newer transaction.
void TransactionLayer::index(KeyIndex& index, Txn& t, uint64_t hash) {
  t.key_hash = hash;
  if (Txn** existing = index.find(hash, [&](const Txn* e) { return e->key_view() == t.key_view(); }))
    *existing = &t;
  else
    index.insert(hash, &t);
}

void TransactionLayer::write_server_key(const Inbound& request, ServerKey& key) const {
  key.text.clear();
  server_key(request, false, key.text);
  key.hash = seeded_hash(key_seed_, view(key.text));
  key.ready = true;
}

void TransactionLayer::prepare_server_key(const Inbound& request, ServerKey& key) const {
  write_server_key(request, key);
  server_index_.prefetch(key.hash);
}

RequestMatch TransactionLayer::on_request(const Inbound& request, TxnId* matched, ServerKey* kept) {
  ServerKey local;
  ServerKey& key = kept ? *kept : local;
  if (!key.ready) write_server_key(request, key);
  Txn* found = find_indexed(server_index_, view(key.text), key.hash);
  if (found == nullptr) return RequestMatch::New;
  Txn& t = *found;
  if (matched) *matched = t.id;
  if (request.msg.method() == parser::Method::Ack) {
    if (t.kind != Kind::ServerInvite) return RequestMatch::New;
    const bool absorbed = t.state == State::Completed || t.state == State::Confirmed;
    run(t, Event::Ack, &request);
    return absorbed ? RequestMatch::AckAbsorbed : RequestMatch::Retransmission;
  }
  run(t, Event::Request, &request);
  return RequestMatch::Retransmission;
}

TxnId TransactionLayer::create_server(const Inbound& request, bool reliable, const ServerKey* kept) {
  auto t = std::make_unique<Txn>();
  t->id = next_id_++;
  const bool invite = request.msg.method() == parser::Method::Invite;
  t->kind = invite ? Kind::ServerInvite : Kind::ServerNonInvite;
  t->state = invite ? State::Proceeding : State::Trying;
  t->reliable = reliable;
  ServerKey computed;
  if (kept == nullptr || !kept->ready) {
    write_server_key(request, computed);
    kept = &computed;
  }
  t->key.append(kept->text.data(), kept->text.data() + kept->text.size());
  // Responses go back to where the request came from (RFC 3581 symmetric response routing): the
  // only address a UA behind NAT can be reached at.
  t->peer = request.source;
  t->iface = request.iface;
  const TxnId id = t->id;
  index(server_index_, *t, kept->hash);
  txns_.set(id, std::move(t));
  return id;
}

bool TransactionLayer::respond(TxnId server, uint16_t status, std::string bytes, std::string_view call_id) {
  std::unique_ptr<Txn>* found = txns_.find(server);
  if (found == nullptr || !(*found)->is_server()) return false;
  Txn& t = **found;
  const txn::Transition tr = txn::step(t.kind, t.state, tu_event(status));
  if (!tr.handled) return false;
  t.bytes = std::move(bytes);
  run(t, tu_event(status), nullptr, call_id);
  return true;
}

TxnId TransactionLayer::find_invite_for_cancel(const Inbound& cancel) const {
  KeyText key;
  server_key(cancel, true, key);
  const Txn* t = find_indexed(server_index_, view(key));
  return t == nullptr ? 0 : t->id;
}

TxnId TransactionLayer::send_request(std::string bytes, std::string_view method, std::string_view branch,
                                     uint16_t iface, const Endpoint& dest, std::string_view call_id,
                                     bool reliable) {
  // The key's slot is loaded while the transaction is built: with tens of seconds of transactions
  // indexed, it is a cache miss.
  KeyText key;
  client_key(branch, method, key);
  const uint64_t key_hash = seeded_hash(key_seed_, view(key));
  client_index_.prefetch(key_hash);
  auto t = std::make_unique<Txn>();
  t->id = next_id_++;
  const bool invite = method == "INVITE";
  t->kind = invite ? Kind::ClientInvite : Kind::ClientNonInvite;
  t->state = invite ? State::Calling : State::Trying;
  t->reliable = reliable;
  t->key.append(key.data(), key.data() + key.size());
  t->bytes = std::move(bytes);
  t->peer = dest;
  t->iface = iface;
  Txn& ref = *t;
  const TxnId id = t->id;
  index(client_index_, ref, key_hash);
  txns_.set(id, std::move(t));
  if (!send(ref, ref.bytes, call_id)) {
    arm(ref, TimerSlot::TransportError, 0);
    return id;
  }
  // Timer A / E start at T1 on unreliable transports; Timer B / F at 64*T1 (§17.1.1.2, §17.1.2.2).
  ref.retransmit_ms = timers_.t1_ms;
  if (!reliable) arm(ref, TimerSlot::Retransmit, ref.retransmit_ms);
  arm(ref, TimerSlot::Timeout, 64ull * timers_.t1_ms);
  return id;
}

bool TransactionLayer::on_response(const Inbound& response) {
  auto via = parser::top_via(response.msg);
  auto cseq = parser::cseq_of(response.msg);
  if (!via || !cseq) return false;
  KeyText key;
  client_key(via->branch, cseq->method_text, key);
  Txn* t = find_indexed(client_index_, view(key));
  if (t == nullptr) return false;
  run(*t, response_event(response.msg.status_code()), &response);
  return true;
}

void TransactionLayer::terminate(TxnId id) {
  if (txns_.contains(id)) remove(id);
}

const std::string* TransactionLayer::request_bytes(TxnId id) const {
  const std::unique_ptr<Txn>* found = txns_.find(id);
  if (found == nullptr) return nullptr;
  const Txn& t = **found;
  const bool sending = t.state == State::Calling || t.state == State::Trying || t.state == State::Proceeding;
  return !t.is_server() && sending ? &t.bytes : nullptr;
}

size_t TransactionLayer::server_count() const noexcept {
  size_t n = 0;
  txns_.for_each([&](TxnId, const std::unique_ptr<Txn>& t) { n += t->is_server(); });
  return n;
}

size_t TransactionLayer::client_count() const noexcept { return txns_.size() - server_count(); }

// The method and branch are read back from the key (above): it ends with the method, a client's
// and an RFC 3261 server's start with the branch, an RFC 2543 server's holds the top Via. None of
// its parts but that Via can hold a '|' (tokens, a host, Call-ID words, digits).
TransactionInfo TransactionLayer::info(const Txn& t) const {
  const std::string_view key = t.key_view();
  const size_t last = key.rfind('|');
  std::string_view branch;
  if (key.starts_with("L|")) {
    size_t via_at = 0;
    for (int bars = 0; bars < 4 && via_at != std::string_view::npos; ++bars) via_at = key.find('|', via_at + 1);
    if (via_at != std::string_view::npos && via_at < last)
      if (auto via = parser::parse_via(key.substr(via_at + 1, last - via_at - 1))) branch = via->branch;
  } else {
    branch = key.substr(2, key.find('|', 2) - 2);
  }
  return TransactionInfo{t.id, t.kind, t.state, std::string(key.substr(last + 1)), std::string(branch)};
}

// A lingering transaction only absorbs retransmissions (the tables above): a client one never
// sends its request again (a non-2xx's ACK was built from it on entering Completed), a server
// INVITE one never resends its 2xx (RFC 6026: the TU passes each retransmission) nor, once
// Confirmed, its non-2xx. Only a server non-INVITE one answers a retransmitted request with its
// last response (Timer J). At 64*T1 = 32 s of linger, a gateway at R calls/s holds 32*R calls'
// transactions: the bytes given back here were most of that memory.
void TransactionLayer::drop_unsent(Txn& t) {
  const bool holds_ack = t.kind == Kind::ClientInvite && t.state == State::Completed;
  if (t.kind == Kind::ServerNonInvite || holds_ack) return;
  std::string().swap(t.bytes);
}

uint64_t TransactionLayer::linger_ms(const Txn& t) const {
  switch (t.kind) {
    case Kind::ClientInvite:  // D after a non-2xx, M (RFC 6026) after a 2xx
      return t.state == State::Accepted ? 64ull * timers_.t1_ms : (t.reliable ? 0 : timers_.timer_d_ms);
    case Kind::ClientNonInvite: return t.reliable ? 0 : timers_.t4_ms;  // K
    case Kind::ServerInvite:  // I after the ACK, L (RFC 6026) after a 2xx
      return t.state == State::Accepted ? 64ull * timers_.t1_ms : (t.reliable ? 0 : timers_.t4_ms);
    case Kind::ServerNonInvite: return t.reliable ? 0 : 64ull * timers_.t1_ms;  // J
  }
  return 0;
}

void TransactionLayer::arm(Txn& t, TimerSlot slot, uint64_t delay_ms) {
  auto& h = t.timers[static_cast<int>(slot)];
  wheel_.cancel(h);
  const uint64_t cookie = (kCookieTag << 56) | (t.id << 2) | static_cast<uint64_t>(slot);
  h = wheel_.schedule(wheel_.now_ms() + delay_ms, cookie);
}

void TransactionLayer::disarm(Txn& t, TimerSlot slot) {
  auto& h = t.timers[static_cast<int>(slot)];
  wheel_.cancel(h);
  h = {};
}

void TransactionLayer::on_timer(uint64_t cookie) {
  const TxnId id = (cookie & kIdMask) >> 2;
  std::unique_ptr<Txn>* found = txns_.find(id);
  if (found == nullptr) return;
  Txn& t = **found;
  const auto slot = static_cast<TimerSlot>(cookie & 3);
  t.timers[static_cast<int>(slot)] = {};
  switch (slot) {
    case TimerSlot::Retransmit: run(t, Event::TimerRetransmit, nullptr); break;
    case TimerSlot::Timeout: run(t, Event::TimerTimeout, nullptr); break;
    case TimerSlot::Linger: run(t, Event::TimerLinger, nullptr); break;
    case TimerSlot::TransportError: run(t, Event::TransportError, nullptr); break;
  }
}

void TransactionLayer::prefetch_for_timer(uint64_t cookie, unsigned step) const {
  const std::unique_ptr<Txn>* found = txns_.find((cookie & kIdMask) >> 2);
  if (found == nullptr) return;
  const Txn* t = found->get();
  if (step == 0) {
    // What a fire reads: kind, state, key_hash and the timers, past the key's inline bytes.
    const char* at = reinterpret_cast<const char*>(&t->key_hash);  // an address: nothing loaded yet
    prefetch(at);
    prefetch(at + 64);
    return;
  }
  (t->is_server() ? server_index_ : client_index_).prefetch(t->key_hash);
}

bool TransactionLayer::send(const Txn& t, std::string_view bytes, std::string_view call_id) {
  return transport_.send(t.iface, t.peer, bytes, call_id) != SendResult::Unreachable;
}

void TransactionLayer::run(Txn& t, Event event, const Inbound* in, std::string_view call_id) {
  const txn::Transition tr = txn::step(t.kind, t.state, event);
  if (!tr.handled) return;
  const TxnId id = t.id;
  const State from = t.state;
  t.state = tr.next;
  const uint16_t acts = tr.acts;
  auto alive = [&] { return txns_.contains(id); };

  bool reachable = true;
  if (acts & txn::kSendRequest) reachable &= send(t, t.bytes);
  if ((acts & txn::kSendAck) && in) {
    if (from != State::Completed) {
      // The ACK copies the INVITE's Request-URI, Via, Route... (§17.1.1.3): read what was sent,
      // which it replaces.
      parser::Message invite;
      const bool scanned = scanner_.scan(t.bytes, parser::Framing::Datagram, invite).status == parser::ScanStatus::Complete;
      t.bytes = scanned ? build_ack_for_non2xx(invite, in->msg) : std::string();
    }
    if (!t.bytes.empty()) send(t, t.bytes);
  }
  if (acts & (txn::kSendResponse | txn::kResendResponse))
    if (!t.bytes.empty()) reachable &= send(t, t.bytes, call_id);

  if (acts & txn::kStopRetransmit) disarm(t, TimerSlot::Retransmit);
  if (acts & txn::kStopTimeout) disarm(t, TimerSlot::Timeout);
  if (acts & txn::kStartRetransmit) {
    t.retransmit_ms = timers_.t1_ms;
    if (!t.reliable) arm(t, TimerSlot::Retransmit, t.retransmit_ms);
  }
  if (acts & txn::kNextRetransmit) {
    // Timer A doubles without bound (Timer B ends it); E and G cap at T2 (§17.1.2.2, §17.2.1).
    t.retransmit_ms = t.kind == Kind::ClientInvite ? t.retransmit_ms * 2 : std::min(t.retransmit_ms * 2, timers_.t2_ms);
    arm(t, TimerSlot::Retransmit, t.retransmit_ms);
  }
  if (acts & txn::kRetransmitAtT2) {
    t.retransmit_ms = timers_.t2_ms;
    arm(t, TimerSlot::Retransmit, t.retransmit_ms);
  }
  if (acts & txn::kStartTimeout) arm(t, TimerSlot::Timeout, 64ull * timers_.t1_ms);
  const bool linger = acts & txn::kStartLinger;
  const uint64_t linger_for = linger ? linger_ms(t) : 0;
  if (linger && linger_for > 0) {
    arm(t, TimerSlot::Linger, linger_for);
    drop_unsent(t);
  }

  // Notifications last: the TU may send, respond or terminate from inside them.
  if ((acts & txn::kPassUp) && in) {
    if (t.is_server())
      tu_.on_server_ack(id, *in);
    else
      tu_.on_response(id, *in);
    if (!alive()) return;
  }
  if (acts & txn::kReportTimeout) {
    tu_.on_client_timeout(id);
    if (!alive()) return;
  }
  if (acts & txn::kReportNoAck) {
    tu_.on_server_no_ack(id);
    if (!alive()) return;
  }
  if (acts & txn::kReportTransport) {
    tu_.on_client_transport_error(id);
    if (!alive()) return;
  }
  Txn& live = **txns_.find(id);
  if (live.state == State::Terminated || (linger && linger_for == 0)) {
    remove(id);
    return;
  }
  if (!reachable) run(live, Event::TransportError, nullptr);
}

void TransactionLayer::remove(TxnId id) {
  std::unique_ptr<Txn>* found = txns_.find(id);
  if (found == nullptr) return;
  Txn& t = **found;
  for (auto& h : t.timers) wheel_.cancel(h);
  (t.is_server() ? server_index_ : client_index_).erase(t.key_hash, [&](const Txn* e) { return e == &t; });
  txns_.erase(id);
  tu_.on_terminated(id);
}

}  // namespace sipedge::control
