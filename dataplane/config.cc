// dataplane/config.cc — startup (main thread), pure. Address parsing and prefix matching for the
// dataplane config; never touches DPDK.
#include "dataplane/config.h"

#include <arpa/inet.h>

namespace sipedge::dataplane {

std::optional<IpAddr> IpAddr::parse(std::string_view text) {
  std::string s(text);
  IpAddr a;
  if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) {
    a.family = 4;
    return a;
  }
  if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) {
    a.family = 6;
    return a;
  }
  return std::nullopt;
}

std::string IpAddr::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (family == 4) {
    inet_ntop(AF_INET, bytes.data(), buf, sizeof(buf));
  } else if (family == 6) {
    inet_ntop(AF_INET6, bytes.data(), buf, sizeof(buf));
  }
  return buf;
}

bool IpPrefix::contains(const IpAddr& a) const noexcept {
  if (a.family != addr.family) {
    return false;
  }
  unsigned full = length / 8;
  for (unsigned i = 0; i < full; ++i) {
    if (a.bytes[i] != addr.bytes[i]) {
      return false;
    }
  }
  unsigned rest = length % 8;
  if (rest == 0) {
    return true;
  }
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a.bytes[full] & mask) == (addr.bytes[full] & mask);
}

std::optional<IpPrefix> IpPrefix::parse(std::string_view text) {
  size_t slash = text.find('/');
  auto addr = IpAddr::parse(text.substr(0, slash));
  if (!addr) {
    return std::nullopt;
  }
  unsigned max_len = addr->is_v4() ? 32 : 128;
  unsigned len = max_len;
  if (slash != std::string_view::npos) {
    std::string_view digits = text.substr(slash + 1);
    if (digits.empty() || digits.size() > 3) {
      return std::nullopt;
    }
    len = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') {
        return std::nullopt;
      }
      len = len * 10 + static_cast<unsigned>(c - '0');
    }
    if (len > max_len) {
      return std::nullopt;
    }
  }
  return IpPrefix{*addr, static_cast<uint8_t>(len)};
}

}  // namespace sipedge::dataplane
