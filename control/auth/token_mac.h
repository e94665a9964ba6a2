// control/auth/token_mac.h — control lcore; an instance and its copies belong to one thread (they
// share one working context). The MAC that seals what sipedge hands out and later takes back
// without keeping it: digest nonces and Record-Route tokens. Both are checked on every call, so the
// MAC is SipHash-2-4 with a 128-bit tag, a keyed PRF built for short inputs (Linux seals its TCP
// SYN cookies, the same kind of stateless token, with it): ~50 ns a token through OpenSSL's
// EVP_MAC, where HMAC-SHA-256 took ~180 ns (two digest-context copies, each an allocation, in
// OpenSSL 3.0). An OpenSSL that offers no SipHash (FIPS-only configurations) gets HMAC-SHA-256
// cut to the same 16 bytes instead; instances that must accept each other's tokens (shards, a
// cluster sharing a secret) then need the same OpenSSL configuration.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

namespace sipedge::control {

class TokenMac {
 public:
  static constexpr size_t kSize = 16;
  enum class Algorithm : uint8_t { SipHash24, HmacSha256 };

  // Keyed with SHA-256(secret): its first 16 bytes for SipHash, all 32 for HMAC. Any length of
  // secret. Throws std::runtime_error when the library offers neither algorithm.
  explicit TokenMac(std::string_view secret);
  // The same with the algorithm chosen (tests); throws when the library does not offer it.
  TokenMac(std::string_view secret, Algorithm algorithm);
  // SipHash-2-4 when this process's OpenSSL offers it, else HMAC-SHA-256.
  static Algorithm preferred();
  // 32 bytes of OpenSSL's CSPRNG: a secret for an instance nobody configured.
  static std::string random_secret();

  Algorithm algorithm() const noexcept { return algorithm_; }
  // MAC(key, the parts one after the other).
  void mac(std::initializer_list<std::string_view> parts, unsigned char (&out)[kSize]) const;

 private:
  struct Context;
  Algorithm algorithm_;
  std::shared_ptr<Context> context_;
};

}  // namespace sipedge::control
