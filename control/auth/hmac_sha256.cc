// control/auth/hmac_sha256.cc — control lcore. See hmac_sha256.h.
#include "control/auth/hmac_sha256.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>

namespace sipedge::control {
namespace {

constexpr size_t kSha256Block = 64;

}  // namespace

struct HmacSha256::Pads {
  EVP_MD_CTX* inner = EVP_MD_CTX_new();  // SHA-256 fed with key ^ ipad
  EVP_MD_CTX* outer = EVP_MD_CTX_new();  // SHA-256 fed with key ^ opad
  EVP_MD_CTX* work = EVP_MD_CTX_new();   // a copy of either, per MAC
  explicit Pads(std::string_view key) {
    std::array<unsigned char, kSha256Block> block{};
    if (key.size() > kSha256Block) {
      unsigned int len = 0;
      EVP_Digest(key.data(), key.size(), block.data(), &len, EVP_sha256(), nullptr);
    } else {
      std::copy(key.begin(), key.end(), block.begin());
    }
    std::array<unsigned char, kSha256Block> ipad{}, opad{};
    for (size_t i = 0; i < kSha256Block; ++i) {
      ipad[i] = block[i] ^ 0x36;
      opad[i] = block[i] ^ 0x5c;
    }
    EVP_DigestInit_ex(inner, EVP_sha256(), nullptr);
    EVP_DigestUpdate(inner, ipad.data(), ipad.size());
    EVP_DigestInit_ex(outer, EVP_sha256(), nullptr);
    EVP_DigestUpdate(outer, opad.data(), opad.size());
    OPENSSL_cleanse(block.data(), block.size());
    OPENSSL_cleanse(ipad.data(), ipad.size());
    OPENSSL_cleanse(opad.data(), opad.size());
  }
  ~Pads() {
    EVP_MD_CTX_free(inner);
    EVP_MD_CTX_free(outer);
    EVP_MD_CTX_free(work);
  }
  Pads(const Pads&) = delete;
  Pads& operator=(const Pads&) = delete;
};

HmacSha256::HmacSha256(std::string_view key) : pads_(std::make_shared<Pads>(key)) {}

std::string HmacSha256::random_key() {
  std::array<unsigned char, kSize> bytes{};
  RAND_bytes(bytes.data(), static_cast<int>(bytes.size()));
  std::string key(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return key;
}

void HmacSha256::mac(std::initializer_list<std::string_view> parts, unsigned char (&out)[kSize]) const {
  unsigned char inner_hash[kSize];
  unsigned int n = 0;
  EVP_MD_CTX_copy_ex(pads_->work, pads_->inner);
  for (std::string_view p : parts) EVP_DigestUpdate(pads_->work, p.data(), p.size());
  EVP_DigestFinal_ex(pads_->work, inner_hash, &n);
  EVP_MD_CTX_copy_ex(pads_->work, pads_->outer);
  EVP_DigestUpdate(pads_->work, inner_hash, sizeof inner_hash);
  EVP_DigestFinal_ex(pads_->work, out, &n);
}

}  // namespace sipedge::control
