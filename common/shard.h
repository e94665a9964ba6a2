// common/shard.h — any thread: workers pick the control shard of each SIP message they scanned; a
// control shard mints the Call-IDs of its own dialogs so that they come back to it.
// Signalling is sharded by Call-ID (issue 14 §2, DESIGN §2): every message of a call carries its
// Call-ID (requests, responses, CANCEL, ACK, retransmissions, in-dialog requests of both parties),
// so hashing it needs no state and no parsing beyond what the scanner already indexed. The hash is
// keyed with a per-process seed so a sender cannot choose Call-IDs that all land on one shard.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/seeded_hash.h"

namespace sipedge {

// Control shards a process may run (a digest nonce names its issuer in one byte).
inline constexpr unsigned kMaxControlShards = 64;

struct ShardMap {
  uint32_t count = 1;  // control shards; 1: unsharded
  uint64_t seed = 0;

  // The shard of a message with this Call-ID (compared byte for byte, RFC 3261 §20.8). A message
  // without one (malformed) goes to shard 0, which answers or drops it.
  uint32_t of(std::string_view call_id) const noexcept {
    if (count <= 1 || call_id.empty()) return 0;
    return static_cast<uint32_t>((static_cast<uint64_t>(static_cast<uint32_t>(hash(call_id) >> 32)) * count) >> 32);
  }

  uint64_t hash(std::string_view bytes) const noexcept { return seeded_hash(seed, bytes); }
};

}  // namespace sipedge
