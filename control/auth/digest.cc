// control/auth/digest.cc — control lcore. See digest.h. OpenSSL supplies MD5 and SHA-256.
#include "control/auth/digest.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <charconv>
#include <initializer_list>
#include <memory>
#include <optional>

#include "common/hex.h"
#include "control/auth/joined_parts.h"
#include "control/sip_build.h"
#include "parser/auth.h"

namespace sipedge::control {
namespace {

bool from_hex(std::string_view s, unsigned char* out, size_t n) {
  if (s.size() != n * 2) return false;
  auto nib = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < n; ++i) {
    const int hi = nib(s[2 * i]), lo = nib(s[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<unsigned char>(hi << 4 | lo);
  }
  return true;
}

bool iequal(std::string_view a, std::string_view b) { return parser::iequals(a, b); }

std::optional<DigestAlgorithm> algorithm_of(std::string_view name) {
  if (name.empty() || iequal(name, "MD5")) return DigestAlgorithm::Md5;  // RFC 2617: MD5 when absent
  if (iequal(name, "SHA-256")) return DigestAlgorithm::Sha256;
  return std::nullopt;
}

constexpr size_t kMacBytes = 16;

}  // namespace

std::string_view digest_algorithm_name(DigestAlgorithm a) noexcept { return a == DigestAlgorithm::Md5 ? "MD5" : "SHA-256"; }

namespace {

// The hash of the parts, one after another, as lower-case hex into `hex` (room for 64 digits);
// returns the digits written.
size_t hash_hex(DigestAlgorithm a, std::initializer_list<std::string_view> parts, char* hex) {
  // The algorithms fetched once (EVP_md5() and EVP_Digest fetch them again, under a lock, on each
  // call) and a context per thread that each init resets.
  static EVP_MD* const md5 = EVP_MD_fetch(nullptr, "MD5", nullptr);
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
  thread_local const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestInit_ex2(ctx.get(), a == DigestAlgorithm::Md5 ? md5 : sha256, nullptr);
  update_joined(parts, [&](const char* data, size_t size) { EVP_DigestUpdate(ctx.get(), data, size); });
  EVP_DigestFinal_ex(ctx.get(), md, &len);
  write_hex(hex, md, len);
  return 2 * size_t{len};
}

constexpr size_t kMaxHexDigest = 64;

}  // namespace

std::string digest_hash_hex(DigestAlgorithm a, std::string_view data) {
  char hex[kMaxHexDigest];
  return std::string(hex, hash_hex(a, {data}, hex));
}

std::string digest_ha1(DigestAlgorithm a, std::string_view user, std::string_view realm, std::string_view password) {
  char hex[kMaxHexDigest];
  return std::string(hex, hash_hex(a, {user, ":", realm, ":", password}, hex));
}

// RFC 7616 §3.4.1 (RFC 2617 §3.2.2.1): the parts hashed in order, with no string built to join them.
std::string digest_response(DigestAlgorithm a, std::string_view ha1, std::string_view nonce, std::string_view nc,
                            std::string_view cnonce, std::string_view qop, std::string_view method,
                            std::string_view uri) {
  char ha2[kMaxHexDigest];
  const std::string_view ha2_hex(ha2, hash_hex(a, {method, ":", uri}, ha2));
  char out[kMaxHexDigest];
  const size_t n = qop.empty() ? hash_hex(a, {ha1, ":", nonce, ":", ha2_hex}, out)
                               : hash_hex(a, {ha1, ":", nonce, ":", nc, ":", cnonce, ":", qop, ":", ha2_hex}, out);
  return std::string(out, n);
}

DigestAuth::DigestAuth(Config config, std::string secret, uint8_t issuer)
    : config_(std::move(config)),
      secret_(secret.empty() ? TokenMac::random_secret() : std::move(secret)),
      nonce_mac_(secret_),
      issuer_(issuer),
      dummy_ha1_md5_(digest_ha1(DigestAlgorithm::Md5, "", "", secret_)),
      dummy_ha1_sha256_(digest_ha1(DigestAlgorithm::Sha256, "", "", secret_)) {}

void DigestAuth::set_user(std::string name, UserCredentials creds) { users_[std::move(name)] = std::move(creds); }

void DigestAuth::reconfigure(Config config) {
  config_ = std::move(config);
  users_.clear();
}

void DigestAuth::set_user_password(const std::string& name, std::string_view password) {
  users_[name] = UserCredentials{digest_ha1(DigestAlgorithm::Md5, name, config_.realm, password),
                                 digest_ha1(DigestAlgorithm::Sha256, name, config_.realm, password)};
}

bool DigestAuth::has_user(std::string_view name) const { return users_.count(std::string(name)) != 0; }

// nonce = hex(timestamp, 8 bytes BE) + hex(salt: the issuing shard, 7 random bytes) +
// hex(TokenMac(secret, timestamp || salt || realm)), 16 bytes. The salt makes every challenge's nonce
// unique, so nonce-count tracking never confuses two clients challenged in the same second.
namespace {
constexpr size_t kSaltBytes = 8;
constexpr size_t kNonceHexLen = 2 * (8 + kSaltBytes + kMacBytes);

std::string seal(const TokenMac& key, const std::string& realm, const unsigned char* ts, const unsigned char* salt) {
  unsigned char mac[TokenMac::kSize];
  key.mac({std::string_view(reinterpret_cast<const char*>(ts), 8),
           std::string_view(reinterpret_cast<const char*>(salt), kSaltBytes), realm},
          mac);
  std::string out;
  out.reserve(kNonceHexLen);
  append_hex(out, ts, 8);
  append_hex(out, salt, kSaltBytes);
  append_hex(out, mac, kMacBytes);
  return out;
}
}  // namespace

std::string DigestAuth::make_nonce(uint64_t now_s) const {
  unsigned char ts[8];
  for (int i = 0; i < 8; ++i) ts[i] = static_cast<unsigned char>(now_s >> (56 - 8 * i));
  unsigned char salt[kSaltBytes];
  random_bytes(salt, sizeof salt);
  salt[0] = issuer_;
  return seal(nonce_mac_, config_.realm, ts, salt);
}

int DigestAuth::check_nonce(std::string_view nonce, uint64_t now_s) const {
  unsigned char ts[8], salt[kSaltBytes];
  if (nonce.size() != kNonceHexLen || !from_hex(nonce.substr(0, 16), ts, 8) ||
      !from_hex(nonce.substr(16, 2 * kSaltBytes), salt, kSaltBytes))
    return -1;
  const std::string expect = seal(nonce_mac_, config_.realm, ts, salt);
  if (CRYPTO_memcmp(expect.data(), nonce.data(), expect.size()) != 0) return -1;
  uint64_t issued = 0;
  for (unsigned char b : ts) issued = issued << 8 | b;
  if (issued > now_s + 5) return -1;  // from the future: not ours
  if (now_s - issued > config_.nonce_ttl_s) return 1;
  return salt[0] == issuer_ ? 0 : 2;
}

std::vector<std::string> DigestAuth::challenges(uint64_t now_s, bool stale) const {
  std::vector<std::string> out;
  const std::string nonce = make_nonce(now_s);
  out.reserve(config_.algorithms.size());
  for (DigestAlgorithm a : config_.algorithms) {
    // One allocation: a chain of operator+ grew the string three times.
    constexpr std::string_view kRealm = "Digest realm=\"", kNonce = "\", nonce=\"",
                               kQop = "\", qop=\"auth\", algorithm=", kStale = ", stale=true";
    const std::string_view name = digest_algorithm_name(a);
    std::string& c = out.emplace_back();
    c.reserve(kRealm.size() + config_.realm.size() + kNonce.size() + nonce.size() + kQop.size() + name.size() +
              kStale.size());
    c.append(kRealm).append(config_.realm).append(kNonce).append(nonce).append(kQop).append(name);
    if (stale) c.append(kStale);
  }
  return out;
}

AuthResult DigestAuth::verify(const parser::Message& request, bool proxy, uint64_t now_s) {
  const parser::HeaderId id = proxy ? parser::HeaderId::ProxyAuthorization : parser::HeaderId::Authorization;
  const parser::HeaderField* h = request.find(id);
  // RFC 3261 §22.4: pick the credentials for our realm; others belong to other proxies.
  parser::AuthParams creds{};
  bool found = false;
  for (; h; h = request.next_same(h)) {
    auto p = parser::parse_auth(request.text(h->value));
    if (p && iequal(p->scheme, "Digest") && p->realm == config_.realm) {
      creds = *p;
      found = true;
      break;
    }
  }
  if (!found) return {AuthOutcome::NoCredentials, {}, "no credentials for realm"};
  if (creds.malformed) return {AuthOutcome::Rejected, {}, "malformed credentials"};
  const auto algorithm = algorithm_of(creds.algorithm);
  if (!algorithm) return {AuthOutcome::Rejected, {}, "unsupported algorithm"};
  bool offered = false;
  for (DigestAlgorithm a : config_.algorithms) offered |= a == *algorithm;
  if (!offered) return {AuthOutcome::Rejected, {}, "algorithm not offered"};

  const int nonce_state = check_nonce(creds.nonce, now_s);
  if (nonce_state < 0) return {AuthOutcome::Rejected, {}, "forged or garbled nonce"};

  auto user = users_.find(std::string(creds.username));
  // Unknown users are checked against a dummy HA1 so timing and answer match a wrong password.
  const std::string& dummy = *algorithm == DigestAlgorithm::Md5 ? dummy_ha1_md5_ : dummy_ha1_sha256_;
  const std::string* ha1 = &dummy;
  if (user != users_.end()) {
    const std::string& stored = *algorithm == DigestAlgorithm::Md5 ? user->second.ha1_md5 : user->second.ha1_sha256;
    if (!stored.empty()) ha1 = &stored;
  }

  const bool has_qop = !creds.qop.empty();
  if (has_qop) {
    if (!iequal(creds.qop, "auth")) return {AuthOutcome::Rejected, {}, "unsupported qop"};
    if (creds.nc.empty() || creds.cnonce.empty()) return {AuthOutcome::Rejected, {}, "qop without nc/cnonce"};
  }
  // The nonce-count's slot, read after the digest below: with a nonce per call and ten minutes of
  // them tracked, a cache miss the hashing can hide.
  const uint64_t nonce_key = has_qop ? std::hash<std::string_view>{}(creds.nonce) : 0;
  if (has_qop) nonce_counts_.prefetch(nonce_key);
  const std::string expected = digest_response(*algorithm, *ha1, creds.nonce, creds.nc, creds.cnonce,
                                               has_qop ? "auth" : "", request.method_token(), creds.uri);
  std::string given(creds.response);
  for (char& c : given) c = static_cast<char>(c >= 'A' && c <= 'F' ? c + 32 : c);
  const bool match = given.size() == expected.size() && CRYPTO_memcmp(given.data(), expected.data(), given.size()) == 0;
  if (!match || user == users_.end() || ha1 == &dummy)
    return {AuthOutcome::Rejected, std::string(creds.username), "wrong credentials"};
  if (nonce_state == 1) return {AuthOutcome::Stale, {}, "nonce expired"};
  if (nonce_state == 2) return {AuthOutcome::Stale, {}, "nonce of another shard"};

  if (has_qop) {
    uint32_t nc = 0;
    auto [p, ec] = std::from_chars(creds.nc.data(), creds.nc.data() + creds.nc.size(), nc, 16);
    if (ec != std::errc() || p != creds.nc.data() + creds.nc.size()) return {AuthOutcome::Rejected, {}, "bad nc"};
    auto same_nonce = [](const NonceUse&) { return true; };  // the hash is the key
    if (NonceUse* use = nonce_counts_.find(nonce_key, same_nonce)) {
      // RFC 7616 §3.4.5 / RFC 2617: a nonce-count not above the last one seen is a replay.
      if (nc <= use->last_nc) return {AuthOutcome::Rejected, std::string(creds.username), "nonce-count replay"};
      use->last_nc = nc;
    } else {
      nonce_counts_.insert(nonce_key, NonceUse{nc});
      nonce_order_.push_back({nonce_key, static_cast<uint32_t>(now_s)});
    }
  }
  return {AuthOutcome::Ok, std::string(creds.username), {}};
}

void DigestAuth::expire(uint64_t now_s) {
  constexpr size_t kAhead = 8;
  auto same_nonce = [](const NonceUse&) { return true; };
  while (!nonce_order_.empty() && now_s - nonce_order_.front().at_s > 2ull * config_.nonce_ttl_s) {
    if (nonce_order_.size() > kAhead) nonce_counts_.prefetch(nonce_order_[kAhead].key);
    nonce_counts_.erase(nonce_order_.front().key, same_nonce);
    nonce_order_.pop_front();
  }
}

}  // namespace sipedge::control
