// control/registrar/location.h — control lcore only (not thread safe). The location service
// (RFC 3261 §10): address-of-record -> contact bindings, each with where its REGISTER actually came
// from, so requests to a user behind NAT go to its public address and port.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "common/net_address.h"

namespace sipedge::control {

struct Binding {
  std::string aor;          // "user@domain", domain lower-cased
  std::string contact_uri;  // the Contact URI as registered
  Endpoint received;        // source address and port of the REGISTER
  uint16_t iface = 0;       // interface it arrived on
  bool behind_nat = false;  // the Contact's host:port is not where the REGISTER came from
  uint64_t expires_at_ms = 0;
  std::string call_id;
  uint32_t cseq = 0;
  uint16_t q_milli = 1000;
  std::string user_agent;
  // Replication across control shards (issue 14 §2): when it was written (ms << 8 | shard), so
  // that every replica keeps the same, latest, version; and whether another shard wrote it (then
  // that shard, not this one, sends its NAT keepalives).
  uint64_t stamp = 0;
  bool replica = false;
};

// One change a shard made to its location table, as the other shards apply it.
struct BindingChange {
  bool removed = false;  // a removal of (binding.aor, binding.contact_uri) at binding.stamp
  Binding binding;
};

// Where a shard's own changes go: to every other shard (the runtime's rings; tests call apply).
class LocationPeers {
 public:
  virtual ~LocationPeers() = default;
  virtual void publish(const BindingChange& change) = 0;
};

// Every control shard holds the whole table, replicated by message passing: a REGISTER lands on the
// shard of its Call-ID, while a call to the user may land on any shard, and each reads its own
// replica without locks or cross-shard round trips. Registrations change far less often than calls
// look them up. Concurrent writes of one binding from two shards converge on the later stamp.
class Location {
 public:
  // Replicated mode: this shard's changes (upsert, remove, remove_all) are stamped with `clock`'s
  // time and `shard`, and published to `peers`. Expiry is not published: every replica expires a
  // binding at the same expires_at_ms.
  void set_peers(LocationPeers* peers, uint8_t shard, const Clock& clock) noexcept {
    peers_ = peers;
    shard_ = shard;
    clock_ = &clock;
  }
  // Another shard's change: applied unless this replica holds a later version of the binding.
  void apply(const BindingChange& change);
  // Adds or refreshes the binding (aor, contact_uri).
  void upsert(Binding b);
  // Removes one binding; false when absent.
  bool remove(std::string_view aor, std::string_view contact_uri);
  size_t remove_all(std::string_view aor);
  const Binding* find(std::string_view aor, std::string_view contact_uri) const;
  // Current bindings of an AOR, highest q first, then most recently registered.
  std::vector<const Binding*> lookup(std::string_view aor) const;
  // The binding a request naming `address` in its Request-URI means: one registered from there
  // (the public address sipedge puts in a NATed UA's Contact) or whose Contact names it, preferring
  // one whose AOR's user part is `user`. What a transferee dials from a Refer-To that carries the
  // target's Contact. nullptr when none.
  const Binding* find_by_address(const Endpoint& address, std::string_view user) const;
  // Removes bindings whose expiry is at or before `now_ms`; returns how many.
  size_t expire(uint64_t now_ms);

  size_t size() const noexcept { return count_; }
  size_t aor_count() const noexcept { return by_aor_.size(); }
  template <class F>
  void for_each(F&& f) const {
    for (const auto& [aor, list] : by_aor_)
      for (const Binding& b : list) f(b);
  }
  // The bindings in slices, for work spread over time (the NAT keepalive): the table's buckets
  // [first, first + n), wrapping, each visited once. The bucket count changes only when the table
  // grows or shrinks past its load factor.
  size_t buckets() const noexcept { return by_aor_.bucket_count(); }
  template <class F>
  void for_each_in_buckets(size_t first, size_t n, F&& f) const {
    const size_t count = by_aor_.bucket_count();
    for (size_t i = 0; i < n && i < count; ++i) {
      const size_t bucket = (first + i) % count;
      for (auto it = by_aor_.begin(bucket); it != by_aor_.end(bucket); ++it)
        for (const Binding& b : it->second) f(b);
    }
  }

 private:
  void index(const Binding& b);
  void unindex(const Binding& b);
  // The table's own changes, unpublished.
  void put(Binding b);
  bool erase(std::string_view aor, std::string_view contact_uri);
  uint64_t stamp_now() const noexcept { return clock_ ? clock_->monotonic_ms() << 8 | shard_ : 0; }
  void publish_removal(std::string_view aor, std::string_view contact_uri, uint64_t stamp);
  LocationPeers* peers_ = nullptr;
  const Clock* clock_ = nullptr;
  uint8_t shard_ = 0;
  std::unordered_map<std::string, std::vector<Binding>> by_aor_;
  std::multimap<uint64_t, std::pair<std::string, std::string>> by_expiry_;  // -> (aor, contact)
  std::unordered_multimap<Endpoint, std::pair<std::string, std::string>, EndpointHash> by_address_;
  size_t count_ = 0;
};

// "user@domain" with the domain lower-cased (user parts are case-sensitive, RFC 3261 §19.1.4).
std::string make_aor(std::string_view user, std::string_view domain);

}  // namespace sipedge::control
