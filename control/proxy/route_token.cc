// control/proxy/route_token.cc — control lcore. See route_token.h.
#include "control/proxy/route_token.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <charconv>

#include "common/hex.h"
#include "parser/value_list.h"  // ByteRun

namespace sipedge::control {

RouteToken::RouteToken() : mac_(TokenMac::random_secret()) {}

RouteToken::RouteToken(std::string_view secret) : mac_(secret) {}

void RouteToken::mac_of(std::string_view call_id, std::string_view ref_hex, Mac& mac) const {
  unsigned char full[TokenMac::kSize];
  mac_.mac({call_id, "|", ref_hex}, full);
  std::copy_n(full, kMacBytes, mac.begin());
}

std::string RouteToken::make(std::string_view call_id, uint64_t ref, Mac* mac) const {
  char buf[17];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, ref, 16);
  const std::string_view ref_hex(buf, static_cast<size_t>(end - buf));
  Mac m;
  mac_of(call_id, ref_hex, m);
  if (mac) *mac = m;
  std::string out(ref_hex);
  out.push_back('.');
  append_hex(out, m.data(), m.size());
  return out;
}

namespace {
constexpr parser::ByteRun kAlphabet =
    parser::ByteRun::of([](unsigned char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '.'; });
}  // namespace

bool RouteToken::in_alphabet(std::string_view token) noexcept {
  return !token.empty() && kAlphabet.skip(token, 0) == token.size();
}

std::optional<uint64_t> RouteToken::ref_of(std::string_view token) noexcept {
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
  return ref;
}

namespace {

// The last 2 * kMacBytes characters of a token ref_of() accepted are `mac` in hex.
bool ends_with_mac(std::string_view token, const RouteToken::Mac& mac) noexcept {
  char expected[2 * RouteToken::kMacBytes];
  write_hex(expected, mac.data(), mac.size());
  return CRYPTO_memcmp(expected, token.data() + token.size() - sizeof expected, sizeof expected) == 0;
}

}  // namespace

bool RouteToken::carries(std::string_view token, const Mac& mac) noexcept {
  return ref_of(token) && ends_with_mac(token, mac);
}

std::optional<uint64_t> RouteToken::verify(std::string_view call_id, std::string_view token) const noexcept {
  const std::optional<uint64_t> ref = ref_of(token);
  if (!ref) return std::nullopt;
  Mac mac;
  mac_of(call_id, token.substr(0, token.find('.')), mac);
  if (!ends_with_mac(token, mac)) return std::nullopt;
  return ref;
}

}  // namespace sipedge::control
