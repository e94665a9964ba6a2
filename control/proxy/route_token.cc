// control/proxy/route_token.cc — control lcore. See route_token.h.
#include "control/proxy/route_token.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <charconv>

namespace sipedge::control {
namespace {

constexpr size_t kMacBytes = 10;
constexpr size_t kSha256Block = 64;
constexpr char kHex[] = "0123456789abcdef";

}  // namespace

struct RouteToken::Keyed {
  EVP_MD_CTX* inner = EVP_MD_CTX_new();  // SHA-256 fed with key ^ ipad
  EVP_MD_CTX* outer = EVP_MD_CTX_new();  // SHA-256 fed with key ^ opad
  EVP_MD_CTX* work = EVP_MD_CTX_new();   // a copy of either, per token
  explicit Keyed(const std::array<unsigned char, 32>& secret) {
    std::array<unsigned char, kSha256Block> ipad{}, opad{};
    for (size_t i = 0; i < kSha256Block; ++i) {
      const unsigned char k = i < secret.size() ? secret[i] : 0;
      ipad[i] = k ^ 0x36;
      opad[i] = k ^ 0x5c;
    }
    EVP_DigestInit_ex(inner, EVP_sha256(), nullptr);
    EVP_DigestUpdate(inner, ipad.data(), ipad.size());
    EVP_DigestInit_ex(outer, EVP_sha256(), nullptr);
    EVP_DigestUpdate(outer, opad.data(), opad.size());
    OPENSSL_cleanse(ipad.data(), ipad.size());
    OPENSSL_cleanse(opad.data(), opad.size());
  }
  ~Keyed() {
    EVP_MD_CTX_free(inner);
    EVP_MD_CTX_free(outer);
    EVP_MD_CTX_free(work);
  }
  Keyed(const Keyed&) = delete;
  Keyed& operator=(const Keyed&) = delete;
  // HMAC(key, a | "|" | b).
  void mac(std::string_view a, std::string_view b, unsigned char (&out)[32]) const {
    unsigned char inner_hash[32];
    unsigned int n = 0;
    EVP_MD_CTX_copy_ex(work, inner);
    EVP_DigestUpdate(work, a.data(), a.size());
    EVP_DigestUpdate(work, "|", 1);
    EVP_DigestUpdate(work, b.data(), b.size());
    EVP_DigestFinal_ex(work, inner_hash, &n);
    EVP_MD_CTX_copy_ex(work, outer);
    EVP_DigestUpdate(work, inner_hash, sizeof inner_hash);
    EVP_DigestFinal_ex(work, out, &n);
  }
};

void RouteToken::key(const std::array<unsigned char, 32>& secret) { keyed_ = std::make_shared<Keyed>(secret); }

RouteToken::RouteToken() {
  std::array<unsigned char, 32> secret{};
  RAND_bytes(secret.data(), static_cast<int>(secret.size()));
  key(secret);
  OPENSSL_cleanse(secret.data(), secret.size());
}

RouteToken::RouteToken(std::string_view secret) {
  // Any length works for HMAC; hash it so every secret fills the key the same way.
  std::array<unsigned char, 32> hashed{};
  unsigned int len = 0;
  EVP_Digest(secret.data(), secret.size(), hashed.data(), &len, EVP_sha256(), nullptr);
  key(hashed);
}

std::string RouteToken::mac_hex(std::string_view call_id, std::string_view ref_hex) const {
  unsigned char mac[32];
  keyed_->mac(call_id, ref_hex, mac);
  std::string out;
  out.reserve(2 * kMacBytes);
  for (size_t i = 0; i < kMacBytes; ++i) {
    out.push_back(kHex[mac[i] >> 4]);
    out.push_back(kHex[mac[i] & 15]);
  }
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
