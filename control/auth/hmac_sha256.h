// control/auth/hmac_sha256.h — control lcore; an instance and its copies belong to one thread (they
// share one working context). HMAC-SHA-256 (RFC 2104) under a fixed key with the key's inner and
// outer pads hashed once: a MAC then costs a context copy and two hash finals, where OpenSSL's
// one-shot HMAC() fetches the algorithm and keys a new context every call.
#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

namespace sipedge::control {

class HmacSha256 {
 public:
  static constexpr size_t kSize = 32;
  // Any key length: a key longer than SHA-256's block is hashed first (RFC 2104 §2).
  explicit HmacSha256(std::string_view key);
  // 32 bytes of OpenSSL's CSPRNG: a key for a secret nobody configured.
  static std::string random_key();

  // HMAC(key, the parts one after the other).
  void mac(std::initializer_list<std::string_view> parts, unsigned char (&out)[kSize]) const;

 private:
  struct Pads;
  std::shared_ptr<Pads> pads_;
};

}  // namespace sipedge::control
