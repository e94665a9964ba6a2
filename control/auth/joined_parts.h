// control/auth/joined_parts.h — any thread, pure. Feeds a hash or MAC the concatenation of several
// parts through few update calls: OpenSSL's EVP update costs about as much as hashing a short part
// (a digest response has eleven parts, a token three), so the parts are joined on the stack first.
#pragma once

#include <cstddef>
#include <cstring>
#include <initializer_list>
#include <string_view>

namespace sipedge::control {

// Calls update(data, size) over chunks whose concatenation is the parts in order; a part longer
// than the stack buffer goes through on its own.
template <typename Update>
void update_joined(std::initializer_list<std::string_view> parts, Update&& update) {
  char joined[512];
  size_t used = 0;
  for (std::string_view p : parts) {
    if (p.size() > sizeof joined - used) {
      if (used > 0) update(joined, used);
      used = 0;
      if (p.size() > sizeof joined) {
        update(p.data(), p.size());
        continue;
      }
    }
    if (!p.empty()) std::memcpy(joined + used, p.data(), p.size());  // an empty view's data may be null
    used += p.size();
  }
  if (used > 0) update(joined, used);
}

}  // namespace sipedge::control
