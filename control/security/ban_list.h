// control/security/ban_list.h — control lcore only. Who is banned, until when and why: the
// authoritative list behind the dataplane's BanTable (dataplane/ban_table.h), which a BanSink keeps
// in step. A repeat offender's ban doubles (ban_s, 2×, 4×, ... up to ban_max_s); an address that
// stays clean for ban_max_s after its last ban ended starts again at ban_s. Addresses in a trusted
// prefix are never banned, whatever they send.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/net_address.h"

namespace sipedge::control {

struct BanConfig {
  uint32_t ban_s = 300;        // first ban
  uint32_t ban_max_s = 86400;  // cap of the doubling; also how long an offence is remembered
};

// Where bans take effect beyond the control plane (the dataplane's table, NIC drop rules).
class BanSink {
 public:
  virtual ~BanSink() = default;
  virtual void banned(const IpAddr& addr, uint64_t until_ms, uint64_t now_ms, std::string_view reason) = 0;
  virtual void lifted(const IpAddr& addr) = 0;
};

class BanList {
 public:
  struct Ban {
    IpAddr addr;
    uint64_t since_ms = 0;
    uint64_t until_ms = 0;
    uint32_t offence = 1;  // 1 = first ban within memory
    std::string reason;    // "auth-failures", "policy ua-friendly-scanner", "operator"
  };

  // `never`: the trusted prefixes (read on every ban, so they may change while the list lives).
  BanList(BanConfig config, const std::vector<IpPrefix>& never) : config_(config), never_(never) {}

  void set_sink(BanSink* sink) noexcept { sink_ = sink; }

  // Bans `addr` for its next offence's duration (a ban in force is replaced by the longer one).
  // nullptr when the address is trusted (never banned).
  const Ban* ban(const IpAddr& addr, std::string reason, uint64_t now_ms);
  // Lifts a ban (the operator's `sipedgectl unban`); the offence is forgotten too. false: not banned.
  bool lift(const IpAddr& addr);
  // Whether `addr` is banned at `now_ms`. One hash lookup, none while nothing is banned.
  bool banned(const IpAddr& addr, uint64_t now_ms) const {
    if (bans_.empty()) return false;
    auto it = bans_.find(addr);
    return it != bans_.end() && now_ms < it->second.until_ms;
  }
  bool trusted(const IpAddr& addr) const noexcept;
  // Ends bans whose time is up (telling the sink) and forgets old offences. Returns bans ended.
  size_t expire(uint64_t now_ms);

  std::vector<Ban> list() const;  // sorted by address text
  size_t size() const noexcept { return bans_.size(); }
  uint64_t bans_total() const noexcept { return bans_total_; }
  uint64_t lifted_total() const noexcept { return lifted_total_; }
  const BanConfig& config() const noexcept { return config_; }
  // A configuration reload: bans in force keep their end; the next ones follow the new lengths.
  void set_config(BanConfig config) noexcept { config_ = config; }

 private:
  struct Offences {
    uint32_t count = 0;
    uint64_t forget_at_ms = 0;
  };
  BanConfig config_;
  const std::vector<IpPrefix>& never_;
  BanSink* sink_ = nullptr;
  std::unordered_map<IpAddr, Ban, IpAddrHash> bans_;
  std::unordered_map<IpAddr, Offences, IpAddrHash> offences_;
  uint64_t bans_total_ = 0, lifted_total_ = 0;
};

}  // namespace sipedge::control
