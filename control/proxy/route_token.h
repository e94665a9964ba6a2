// control/proxy/route_token.h — control lcore (pure, no shared state). The token sipedge puts in its
// own Record-Route URI (DESIGN §3 Trust): a request with a To tag is forwarded only along a Route
// set sipedge Record-Routed itself, and the token lets it tell its own Route from a forged one
// naming its address without keeping per-dialog state. It also names the call (a CallRef) the
// dialog belongs to, so in-dialog requests find their call even when one Call-ID passes sipedge
// twice (a spiral, RFC 3261 §16.3 item 4).
//
// Format of the uri-parameter value: "<ref hex>.<mac hex>", mac = TokenMac(secret, Call-ID "|" ref)
// cut to 80 bits. The secret is random per process unless configured, so a restart ends the
// validity of every token (and the calls sipedge tracked are gone anyway).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "control/auth/token_mac.h"

namespace sipedge::control {

// The Record-Route uri-parameter that carries the token: <sip:addr:port;lr;sek=TOKEN>.
inline constexpr std::string_view kRouteTokenParam = "sek";

class RouteToken {
 public:
  static constexpr size_t kMacBytes = 10;
  // The MAC a token carries. A call keeps the one made for it, so its in-dialog requests are
  // checked with one compare instead of a MAC.
  using Mac = std::array<unsigned char, kMacBytes>;

  // A random 32-byte secret (OpenSSL RAND_bytes).
  RouteToken();
  // A fixed secret (tests; a cluster that must honour each other's tokens).
  explicit RouteToken(std::string_view secret);

  // The token for a dialog of `call_id` owned by call `ref` (0: a dialog sipedge does not track,
  // such as one created by SUBSCRIBE).
  // `mac`, when given, receives the token's MAC.
  std::string make(std::string_view call_id, uint64_t ref, Mac* mac = nullptr) const;
  // The call ref when `token` is one make(call_id, ref) produced; nullopt for anything else.
  std::optional<uint64_t> verify(std::string_view call_id, std::string_view token) const noexcept;
  // The ref a token names when it is spelt as make() spells them, unchecked: which call's kept
  // MAC to compare it with.
  static std::optional<uint64_t> ref_of(std::string_view token) noexcept;
  // Whether every byte of `token` (not empty) is one make() writes: lower-case hex and the dot.
  // Any other byte may be an escape or a parameter's end, for a full URI read to make sense of.
  static bool in_alphabet(std::string_view token) noexcept;
  // Whether `token`, spelt as make() spells them, carries `mac`: with the Mac that make(call_id,
  // ref) gave, the same answer as verify(call_id, token) == ref, in constant time.
  static bool carries(std::string_view token, const Mac& mac) noexcept;

 private:
  void mac_of(std::string_view call_id, std::string_view ref_hex, Mac& mac) const;
  // Shared by copies, so a RouteToken and its copies belong to one thread: each control shard keys
  // its own from the common secret.
  TokenMac mac_;
};

}  // namespace sipedge::control
