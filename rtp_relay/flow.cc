// rtp_relay/flow.cc — any thread (control, tests). Text form of flow addresses; never on the packet path.
#include "rtp_relay/flow.h"

#include <arpa/inet.h>

namespace sipedge::relay {

std::optional<IpAddress> IpAddress::parse(std::string_view text) noexcept {
  char buf[INET6_ADDRSTRLEN + 1];
  if (text.empty() || text.size() >= sizeof(buf)) return std::nullopt;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  IpAddress ip;
  if (inet_pton(AF_INET, buf, ip.bytes.data()) == 1) {
    ip.version = 4;
    return ip;
  }
  if (inet_pton(AF_INET6, buf, ip.bytes.data()) == 1) {
    ip.version = 6;
    return ip;
  }
  return std::nullopt;
}

}  // namespace sipedge::relay
