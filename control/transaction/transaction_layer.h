// control/transaction/transaction_layer.h — control lcore only (not thread safe). RFC 3261 §17:
// owns every client and server transaction, matches messages to them (§17.1.3, §17.2.3 with the
// RFC 2543 fallback), runs the state machines of fsm.h on the timer wheel, retransmits and absorbs
// retransmissions, and tells its transaction user (the proxy core) what it must decide.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include <fmt/format.h>

#include "common/hash_index.h"
#include "control/sip_io.h"
#include "control/timer_wheel.h"
#include "control/transaction/fsm.h"
#include "parser/scanner.h"

namespace sipedge::control {

using TxnId = uint64_t;  // never reused; 0 = none

struct TimerConfig {
  uint32_t t1_ms = 500;
  uint32_t t2_ms = 4000;
  uint32_t t4_ms = 5000;
  uint32_t timer_d_ms = 32000;  // RFC 3261 §17.1.1.2: at least 32 s on unreliable transports
};

// What the transaction layer asks of the layer above it. Called from inside TransactionLayer
// methods; the callee may call back into the layer (send, respond, terminate).
class TransactionUser {
 public:
  virtual ~TransactionUser() = default;
  // A response for a client transaction (provisional, 2xx, or the first non-2xx final).
  virtual void on_response(TxnId client, const Inbound& response) = 0;
  // Timer B or F fired: no final response in time.
  virtual void on_client_timeout(TxnId client) = 0;
  // The transport found no way to the next hop (RFC 3261 §17.1.1.2, §8.1.3.1: as a 503).
  virtual void on_client_transport_error(TxnId client) = 0;
  // RFC 6026: an ACK matched a server INVITE transaction in Accepted (the ACK for its 2xx).
  virtual void on_server_ack(TxnId server, const Inbound& ack) = 0;
  // Timer H fired: the ACK for our non-2xx never came.
  virtual void on_server_no_ack(TxnId server) = 0;
  // The transaction is gone; drop every reference to the id.
  virtual void on_terminated(TxnId id) = 0;
};

enum class RequestMatch : uint8_t {
  New,              // no transaction: the TU decides (create_server, or ACK end to end)
  Retransmission,   // absorbed or answered by an existing server transaction
  AckAbsorbed,      // ACK for a non-2xx we sent: ends the transaction, not forwarded (§17.2.1)
};

struct TransactionInfo {
  TxnId id;
  txn::Kind kind;
  txn::State state;
  std::string method;
  std::string branch;
};

class TransactionLayer {
 public:
  // `scanner` reads an INVITE this layer sent once more, to build the ACK for a non-2xx (§17.1.1.3).
  TransactionLayer(TimerWheel& wheel, SipTransport& transport, TransactionUser& tu, TimerConfig timers,
                   const parser::Scanner& scanner);
  // A configuration reload: every timer armed from now on uses `timers`.
  void set_timers(const TimerConfig& timers) noexcept { timers_ = timers; }
  ~TransactionLayer();

  // --- server side ---
  // Matches an incoming request. For a retransmission the layer acts (resends the last response
  // or absorbs it) and the TU does nothing; `matched` receives the transaction's id.
  // `key`, when given, keeps the request's key for create_server.
  struct ServerKey;
  RequestMatch on_request(const Inbound& request, TxnId* matched = nullptr, ServerKey* key = nullptr);
  // Writes the request's key ahead of on_request and starts loading the index slot it will read,
  // so a caller validating the request meanwhile does not wait for that slot.
  void prepare_server_key(const Inbound& request, ServerKey& key) const;
  // Creates the server transaction for a new request (not ACK). `reliable`: stream transport.
  // `key`: what on_request kept for this request, so it is not written and hashed again.
  TxnId create_server(const Inbound& request, bool reliable = false, const ServerKey* key = nullptr);
  // Sends a response through a server transaction (the status decides the event: 1xx, 2xx, other).
  // False when the transaction no longer exists or its state does not take this response.
  // `call_id`: the Call-ID in `bytes` when the caller knows it (for the transport's tap).
  bool respond(TxnId server, uint16_t status, std::string bytes, std::string_view call_id = {});
  // RFC 3261 §9.2: the server INVITE transaction a CANCEL refers to (same branch and sent-by,
  // method INVITE), or 0.
  TxnId find_invite_for_cancel(const Inbound& cancel) const;

  // --- client side ---
  // Starts a client transaction for `bytes` (a request whose top Via carries `branch`) and sends
  // it to `dest` from `iface`. When the transport finds no way there, the TU hears of it from the
  // next timer tick (on_client_transport_error), never from inside this call. `call_id`: as for
  // respond().
  TxnId send_request(std::string bytes, std::string_view method, std::string_view branch, uint16_t iface,
                     const Endpoint& dest, std::string_view call_id = {}, bool reliable = false);
  // Matches an incoming response to a client transaction and runs it. False when none matches
  // (the proxy then forwards it statelessly, §16.7 / §16.11).
  bool on_response(const Inbound& response);

  // Ends a transaction at once without further messages (e.g. the TU's Timer C gave up).
  void terminate(TxnId id);

  // What a client transaction sent (and retransmits), or nullptr: a server one, or one that got
  // its final response (it lingers without its request). A CANCEL copies its INVITE.
  const std::string* request_bytes(TxnId id) const;
  bool exists(TxnId id) const { return txns_.contains(id); }

  size_t size() const noexcept { return txns_.size(); }
  size_t server_count() const noexcept;
  size_t client_count() const noexcept;
  template <class F>
  void for_each(F&& f) const {
    txns_.for_each([&](TxnId, const std::unique_ptr<Txn>& t) { f(info(*t)); });
  }

  // The timer wheel calls this with the cookies this layer scheduled.
  void on_timer(uint64_t cookie);
  // The wheel's look-ahead (TimerWheel::advance): step 0 starts loading the transaction the timer
  // fires for, step 1 (the transaction loaded by then) the index slot its removal erases.
  void prefetch_for_timer(uint64_t cookie, unsigned step) const;
  // Cookies this layer schedules carry this tag in their top byte, so one wheel can serve several
  // owners (transactions, registrations, media) and the dispatcher routes by tag.
  static constexpr uint64_t kCookieTag = 0x01;

 public:
  // A §17 matching key, written on the stack for a lookup (a heap buffer only past its size).
  using KeyText = fmt::basic_memory_buffer<char, 160>;
  // A request's server key and its hash, from on_request to create_server.
  struct ServerKey {
    KeyText text;
    uint64_t hash = 0;
    bool ready = false;  // written by prepare_server_key
  };

 private:
  struct Txn;
  using KeyIndex = HashIndex<Txn*>;
  // Timer slots; TransportError is no timer but the deferred report of a failed first send.
  enum class TimerSlot : uint8_t { Retransmit, Timeout, Linger, TransportError };

  // `call_id`: the Call-ID of a response the TU hands over, if it said.
  void run(Txn& t, txn::Event event, const Inbound* in, std::string_view call_id = {});
  // Sends on the transaction's behalf; false when the transport found no way to the peer.
  bool send(const Txn& t, std::string_view bytes, std::string_view call_id = {});
  void arm(Txn& t, TimerSlot slot, uint64_t delay_ms);
  void disarm(Txn& t, TimerSlot slot);
  void remove(TxnId id);
  uint64_t linger_ms(const Txn& t) const;
  // Frees what a transaction entering its linger state will never send again.
  void drop_unsent(Txn& t);
  TransactionInfo info(const Txn& t) const;
  // The request's server key written into `key`: its text and hash.
  void write_server_key(const Inbound& request, ServerKey& key) const;
  // The request's server transaction key (§17.2.3), appended to `out`.
  void server_key(const Inbound& request, bool for_invite, KeyText& out) const;
  Txn* find_indexed(const KeyIndex& index, std::string_view key) const;
  Txn* find_indexed(const KeyIndex& index, std::string_view key, uint64_t hash) const;
  void index(KeyIndex& index, Txn& t);
  // The same with the key's hash already known.
  void index(KeyIndex& index, Txn& t, uint64_t hash);

  TimerWheel& wheel_;
  SipTransport& transport_;
  TransactionUser& tu_;
  TimerConfig timers_;
  const parser::Scanner& scanner_;
  TxnId next_id_ = 1;
  // By id: the ids alive at once are a window of recent ones (common/hash_index.h), so the
  // transactions that expire together sit in neighbouring slots.
  IdMap<std::unique_ptr<Txn>> txns_;
  // Transactions by their §17 matching key, as hashes keyed with a per-layer seed (branches are the
  // sender's choice); the key itself is compared in the transaction.
  uint64_t key_seed_ = 0;
  KeyIndex server_index_;
  KeyIndex client_index_;
};

}  // namespace sipedge::control
