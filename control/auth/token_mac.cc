// control/auth/token_mac.cc — control lcore. See token_mac.h.
#include "control/auth/token_mac.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <stdexcept>

#include "control/auth/joined_parts.h"

namespace sipedge::control {
namespace {

const char* mac_name(TokenMac::Algorithm a) { return a == TokenMac::Algorithm::SipHash24 ? "SIPHASH" : "HMAC"; }

}  // namespace

// One keyed EVP_MAC context: each MAC re-initialises it with the key it holds (no key schedule to
// redo, no allocation).
struct TokenMac::Context {
  EVP_MAC* mac = nullptr;
  EVP_MAC_CTX* ctx = nullptr;
  Context(std::string_view secret, Algorithm algorithm) {
    mac = EVP_MAC_fetch(nullptr, mac_name(algorithm), nullptr);
    ctx = mac ? EVP_MAC_CTX_new(mac) : nullptr;
    if (ctx == nullptr) {
      release();
      throw std::runtime_error(std::string("OpenSSL offers no ") + mac_name(algorithm) + " MAC");
    }
    std::array<unsigned char, 32> key{};
    unsigned int key_len = 0;
    EVP_Digest(secret.data(), secret.size(), key.data(), &key_len, EVP_sha256(), nullptr);
    size_t tag_size = kSize;
    char digest[] = "SHA2-256";
    const OSSL_PARAM siphash[] = {OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &tag_size), OSSL_PARAM_END};
    const OSSL_PARAM hmac[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0), OSSL_PARAM_END};
    const bool keyed = algorithm == Algorithm::SipHash24 ? EVP_MAC_init(ctx, key.data(), 16, siphash)
                                                         : EVP_MAC_init(ctx, key.data(), key.size(), hmac);
    OPENSSL_cleanse(key.data(), key.size());
    if (!keyed) {
      release();
      throw std::runtime_error(std::string("OpenSSL could not key its ") + mac_name(algorithm) + " MAC");
    }
  }
  ~Context() { release(); }
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;
  void release() noexcept {
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
    ctx = nullptr;
    mac = nullptr;
  }
};

TokenMac::TokenMac(std::string_view secret) : TokenMac(secret, preferred()) {}

TokenMac::TokenMac(std::string_view secret, Algorithm algorithm)
    : algorithm_(algorithm), context_(std::make_shared<Context>(secret, algorithm)) {}

TokenMac::Algorithm TokenMac::preferred() {
  static const Algorithm chosen = [] {
    EVP_MAC* siphash = EVP_MAC_fetch(nullptr, "SIPHASH", nullptr);
    EVP_MAC_free(siphash);
    return siphash ? Algorithm::SipHash24 : Algorithm::HmacSha256;
  }();
  return chosen;
}

std::string TokenMac::random_secret() {
  std::array<unsigned char, 32> bytes{};
  RAND_bytes(bytes.data(), static_cast<int>(bytes.size()));
  std::string secret(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return secret;
}

void TokenMac::mac(std::initializer_list<std::string_view> parts, unsigned char (&out)[kSize]) const {
  EVP_MAC_CTX* ctx = context_->ctx;
  EVP_MAC_init(ctx, nullptr, 0, nullptr);
  update_joined(parts, [&](const char* data, size_t size) {
    EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(data), size);
  });
  size_t n = 0;
  if (algorithm_ == Algorithm::SipHash24) {
    EVP_MAC_final(ctx, out, &n, kSize);
    return;
  }
  unsigned char full[32];
  EVP_MAC_final(ctx, full, &n, sizeof full);
  std::copy_n(full, kSize, out);
}

}  // namespace sipedge::control
