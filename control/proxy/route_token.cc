// control/proxy/route_token.cc — control lcore. See route_token.h.
#include "control/proxy/route_token.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>
#include <charconv>

#include "common/hex.h"

namespace sipedge::control {
namespace {

constexpr size_t kMacBytes = 10;

// The key of a RouteToken configured with a secret: its SHA-256, whatever the secret's length.
std::string hashed_key(std::string_view secret) {
  std::array<unsigned char, 32> hashed{};
  unsigned int len = 0;
  EVP_Digest(secret.data(), secret.size(), hashed.data(), &len, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(hashed.data()), hashed.size());
}

}  // namespace

RouteToken::RouteToken() : hmac_(HmacSha256::random_key()) {}

// Any length works for HMAC; hash it so every secret fills the key the same way.
RouteToken::RouteToken(std::string_view secret) : hmac_(hashed_key(secret)) {}

std::string RouteToken::mac_hex(std::string_view call_id, std::string_view ref_hex) const {
  unsigned char mac[HmacSha256::kSize];
  hmac_.mac({call_id, "|", ref_hex}, mac);
  std::string out;
  append_hex(out, mac, kMacBytes);
  return out;
}

std::string RouteToken::make(std::string_view call_id, uint64_t ref) const {
  char buf[17];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, ref, 16);
  const std::string_view ref_hex(buf, static_cast<size_t>(end - buf));
  return std::string(ref_hex) + "." + mac_hex(call_id, ref_hex);
}

std::optional<uint64_t> RouteToken::verify(std::string_view call_id, std::string_view token) const noexcept {
  const size_t dot = token.find('.');
  if (dot == 0 || dot == std::string_view::npos || dot > 16 || token.size() - dot - 1 != 2 * kMacBytes) return std::nullopt;
  const std::string_view ref_hex = token.substr(0, dot);
  uint64_t ref = 0;
  auto [end, ec] = std::from_chars(ref_hex.data(), ref_hex.data() + ref_hex.size(), ref, 16);
  if (ec != std::errc() || end != ref_hex.data() + ref_hex.size()) return std::nullopt;
  // Only the canonical spelling make() produces (no leading zeros, lower case) is ours.
  char canon[17];
  auto [cend, cec] = std::to_chars(canon, canon + sizeof canon, ref, 16);
  if (std::string_view(canon, static_cast<size_t>(cend - canon)) != ref_hex) return std::nullopt;
  const std::string expected = mac_hex(call_id, ref_hex);
  if (CRYPTO_memcmp(expected.data(), token.data() + dot + 1, expected.size()) != 0) return std::nullopt;
  return ref;
}

}  // namespace sipedge::control
