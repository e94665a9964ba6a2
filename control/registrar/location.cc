// control/registrar/location.cc — control lcore only. See location.h.
#include "control/registrar/location.h"

#include <algorithm>
#include <array>
#include <optional>

#include "parser/uri.h"

namespace sipedge::control {

std::string make_aor(std::string_view user, std::string_view domain) {
  std::string aor(user);
  aor.push_back('@');
  for (char c : domain) aor.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c);
  return aor;
}

namespace {

// The addresses a Request-URI may name to reach binding `b`: where it registered from, and its
// Contact's host:port when that is an IP address somewhere else (a UA not behind NAT, or a private
// address sipedge's own side can route to).
std::array<std::optional<Endpoint>, 2> addresses_of(const Binding& b) {
  std::array<std::optional<Endpoint>, 2> out{b.received, std::nullopt};
  if (auto uri = parser::parse_uri(b.contact_uri)) {
    if (auto ip = IpAddr::parse(uri->host)) {
      const Endpoint contact{*ip, uri->has_port ? uri->port : uint16_t{5060}};
      if (!(contact == b.received)) out[1] = contact;
    }
  }
  return out;
}

}  // namespace

void Location::index(const Binding& b) {
  by_expiry_.emplace(b.expires_at_ms, std::make_pair(b.aor, b.contact_uri));
  for (const auto& a : addresses_of(b))
    if (a) by_address_.emplace(*a, std::make_pair(b.aor, b.contact_uri));
}

void Location::unindex(const Binding& b) {
  auto [lo, hi] = by_expiry_.equal_range(b.expires_at_ms);
  for (auto it = lo; it != hi; ++it) {
    if (it->second.first == b.aor && it->second.second == b.contact_uri) {
      by_expiry_.erase(it);
      break;
    }
  }
  for (const auto& a : addresses_of(b)) {
    if (!a) continue;
    auto [first, last] = by_address_.equal_range(*a);
    for (auto it = first; it != last; ++it) {
      if (it->second.first == b.aor && it->second.second == b.contact_uri) {
        by_address_.erase(it);
        break;
      }
    }
  }
}

void Location::put(Binding b) {
  auto& list = by_aor_[b.aor];
  for (Binding& existing : list) {
    if (existing.contact_uri == b.contact_uri) {
      unindex(existing);
      index(b);
      existing = std::move(b);
      return;
    }
  }
  index(b);
  list.push_back(std::move(b));
  ++count_;
}

bool Location::erase(std::string_view aor, std::string_view contact_uri) {
  auto it = by_aor_.find(std::string(aor));
  if (it == by_aor_.end()) return false;
  auto& list = it->second;
  for (auto b = list.begin(); b != list.end(); ++b) {
    if (b->contact_uri == contact_uri) {
      unindex(*b);
      list.erase(b);
      --count_;
      if (list.empty()) by_aor_.erase(it);
      return true;
    }
  }
  return false;
}

void Location::publish_removal(std::string_view aor, std::string_view contact_uri, uint64_t stamp) {
  BindingChange c;
  c.removed = true;
  c.binding.aor = aor;
  c.binding.contact_uri = contact_uri;
  c.binding.stamp = stamp;
  peers_->publish(c);
}

void Location::upsert(Binding b) {
  b.stamp = stamp_now();
  b.replica = false;
  if (peers_) {
    BindingChange c{false, b};
    c.binding.replica = true;
    peers_->publish(c);
  }
  put(std::move(b));
}

bool Location::remove(std::string_view aor, std::string_view contact_uri) {
  if (!erase(aor, contact_uri)) return false;
  if (peers_) publish_removal(aor, contact_uri, stamp_now());
  return true;
}

size_t Location::remove_all(std::string_view aor) {
  auto it = by_aor_.find(std::string(aor));
  if (it == by_aor_.end()) return 0;
  const size_t n = it->second.size();
  const uint64_t stamp = stamp_now();
  for (const Binding& b : it->second) {
    unindex(b);
    if (peers_) publish_removal(b.aor, b.contact_uri, stamp);
  }
  by_aor_.erase(it);
  count_ -= n;
  return n;
}

void Location::apply(const BindingChange& change) {
  const Binding& b = change.binding;
  const Binding* held = find(b.aor, b.contact_uri);
  if (held && held->stamp > b.stamp) return;
  if (change.removed)
    erase(b.aor, b.contact_uri);
  else
    put(b);
}

const Binding* Location::find(std::string_view aor, std::string_view contact_uri) const {
  auto it = by_aor_.find(std::string(aor));
  if (it == by_aor_.end()) return nullptr;
  for (const Binding& b : it->second)
    if (b.contact_uri == contact_uri) return &b;
  return nullptr;
}

std::vector<const Binding*> Location::lookup(std::string_view aor) const {
  std::vector<const Binding*> out;
  auto it = by_aor_.find(std::string(aor));
  if (it == by_aor_.end()) return out;
  for (const Binding& b : it->second) out.push_back(&b);
  std::stable_sort(out.begin(), out.end(), [](const Binding* a, const Binding* b) {
    if (a->q_milli != b->q_milli) return a->q_milli > b->q_milli;
    return a->expires_at_ms > b->expires_at_ms;
  });
  return out;
}

const Binding* Location::find_by_address(const Endpoint& address, std::string_view user) const {
  const Binding* any = nullptr;
  auto [first, last] = by_address_.equal_range(address);
  for (auto it = first; it != last; ++it) {
    const Binding* b = find(it->second.first, it->second.second);
    if (!b) continue;
    if (!user.empty() && std::string_view(b->aor).substr(0, b->aor.find('@')) == user) return b;
    if (!any) any = b;
  }
  return any;
}

size_t Location::expire(uint64_t now_ms) {
  size_t removed = 0;
  while (!by_expiry_.empty() && by_expiry_.begin()->first <= now_ms) {
    const auto [aor, contact] = by_expiry_.begin()->second;
    if (!erase(aor, contact)) by_expiry_.erase(by_expiry_.begin());
    ++removed;
  }
  return removed;
}

}  // namespace sipedge::control
