// control/auth/digest.h — control lcore. Digest authentication for REGISTER (401) and other requests
// (407): RFC 2617, RFC 7616 (SHA-256), RFC 8760 (SIP). Nonces are stateless — a timestamp sealed with
// a MAC (TokenMac) of a per-process secret — so any number of challenges costs no memory; only nonces that
// were answered are remembered, to refuse a nonce-count that does not increase (replay).
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/hash_index.h"
#include "control/auth/token_mac.h"
#include "parser/message.h"

namespace sipedge::control {

enum class DigestAlgorithm : uint8_t { Md5, Sha256 };
std::string_view digest_algorithm_name(DigestAlgorithm a) noexcept;  // "MD5", "SHA-256"

// H(username ":" realm ":" password), lower-case hex.
std::string digest_ha1(DigestAlgorithm a, std::string_view user, std::string_view realm, std::string_view password);
std::string digest_hash_hex(DigestAlgorithm a, std::string_view data);
// The request-digest (RFC 2617 §3.2.2.1, RFC 7616 §3.4.1). `qop` "auth" or "" (legacy, no nc/cnonce).
std::string digest_response(DigestAlgorithm a, std::string_view ha1, std::string_view nonce, std::string_view nc,
                            std::string_view cnonce, std::string_view qop, std::string_view method,
                            std::string_view uri);

struct UserCredentials {
  std::string ha1_md5;     // lower-case hex, "" when not configured
  std::string ha1_sha256;  // lower-case hex, "" when not configured
};

enum class AuthOutcome : uint8_t {
  Ok,           // credentials verified
  NoCredentials,// no Authorization/Proxy-Authorization for our realm: challenge
  Stale,        // correct, but the nonce expired: challenge with stale=true (RFC 2617 §3.2.1)
  Rejected,     // unknown user, wrong password, bad nonce, replay, malformed: challenge again
};

struct AuthResult {
  AuthOutcome outcome;
  std::string user;  // Ok: the authenticated user name; Rejected: the user a wrong response named
  std::string_view reason;  // Rejected: why (logs and counters only, never sent: no user enumeration)
};

class DigestAuth {
 public:
  struct Config {
    std::string realm;
    uint32_t nonce_ttl_s = 300;
    std::vector<DigestAlgorithm> algorithms{DigestAlgorithm::Sha256, DigestAlgorithm::Md5};  // offered in order
  };
  // `secret` seals nonces; empty picks 32 random bytes. `issuer`: the control shard this instance
  // serves (common/shard.h). Shards share the secret, and each nonce names its issuer: a nonce is
  // accepted only by the shard that issued it, which alone tracks its nonce-count, so a replay
  // cannot pass through another shard. Another shard's nonce with correct credentials is answered
  // as stale (a fresh challenge the UA follows without asking its user), not as a failure.
  DigestAuth(Config config, std::string secret = {}, uint8_t issuer = 0);

  void set_user(std::string name, UserCredentials creds);
  // A configuration reload: new settings (realm, algorithms, nonce lifetime) and no users until
  // set_user; nonces already issued stay valid while their seal and lifetime hold.
  void reconfigure(Config config);
  void set_user_password(const std::string& name, std::string_view password);
  bool has_user(std::string_view name) const;
  size_t user_count() const noexcept { return users_.size(); }
  const std::string& realm() const noexcept { return config_.realm; }

  // Checks the request's credentials header (Authorization for REGISTER, i.e. `proxy` false;
  // Proxy-Authorization otherwise) at time `now_s` (seconds, monotonic or wall: only differences
  // matter).
  AuthResult verify(const parser::Message& request, bool proxy, uint64_t now_s);

  // The WWW-Authenticate / Proxy-Authenticate values to send: one per configured algorithm.
  std::vector<std::string> challenges(uint64_t now_s, bool stale) const;

  // Forgets nonce-count state of nonces past their lifetime. Call periodically.
  void expire(uint64_t now_s);
  size_t tracked_nonces() const noexcept { return nonce_counts_.size(); }

  std::string make_nonce(uint64_t now_s) const;
  // Validity of a nonce at `now_s`: 0 valid, 1 expired (stale), 2 sealed by us but issued by another
  // shard, -1 forged or garbled.
  int check_nonce(std::string_view nonce, uint64_t now_s) const;

 private:
  Config config_;
  std::string secret_;
  TokenMac nonce_mac_;  // keyed with secret_: seals nonces
  uint8_t issuer_ = 0;
  std::unordered_map<std::string, UserCredentials> users_;
  struct NonceUse {
    uint32_t last_nc;
  };
  // By a 64-bit hash of the nonce, in one open-addressing array (a lookup is one cache miss where
  // a node map took two, and no allocation per entry). Only nonces our seal admits get here, so
  // only two of our own could share a hash (odds ~1e-8 among 600 000), and then a first use looks
  // like a replay and the UA is challenged again.
  HashIndex<NonceUse> nonce_counts_;
  // The keys of nonce_counts_ in the order of their first use, so expire() drops the oldest
  // without scanning them all (at 1 000 calls/s and a 300 s lifetime, 600 000 entries a second).
  // With the time of that use: expire() stops at the first one still young without reading its
  // index slot, each a cache miss, and reads the slots it erases a few ahead.
  struct FirstUse {
    uint64_t key;
    uint32_t at_s;  // monotonic seconds: 136 years fit
  };
  std::deque<FirstUse> nonce_order_;
  // What an unknown user's credentials are checked against (one per algorithm, from the secret):
  // the answer and the work are those of a wrong password, with no hash computed per request.
  std::string dummy_ha1_md5_;
  std::string dummy_ha1_sha256_;
};

}  // namespace sipedge::control
