// tests/control/runtime_neighbour_table_test.cc — the neighbour table on its own, with many
// neighbours at once: lookups stay right while expiry erases entries from the middle of the
// open-addressing index (ControlTx's tests drive one neighbour at a time through ControlIo); and
// which answers move a neighbour.
#include "control/runtime/neighbour_table.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace sipedge::control {
namespace {

IpAddr neighbour(unsigned n) {
  if (n % 3 == 0) return *IpAddr::parse("fd00:202::" + std::to_string(n + 1));
  return IpAddr::v4(10, static_cast<uint8_t>(201 + n % 2), static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n));
}

rte_ether_addr mac_of(unsigned n) {
  return rte_ether_addr{{0x02, 0x00, 0x00, 0x00, static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)}};
}

// Solicitations 10 ticks apart, three of them; an answer valid for `reachable` ticks.
NeighbourTable::Config timers(uint64_t reachable) {
  NeighbourTable::Config cfg;
  cfg.retrans_tsc = 10;
  cfg.reachable_tsc = reachable;
  cfg.max_probes = 3;
  return cfg;
}

TEST(NeighbourTable, ManyNeighboursResolveAgeAndExpireEachOnItsOwn) {
  const NeighbourTable::Config cfg = timers(1000);
  NeighbourTable table(cfg);
  constexpr unsigned kCount = 600;
  auto iface = [](unsigned n) { return static_cast<uint16_t>(n % 4 == 1 ? 1 : 0); };
  for (unsigned n = 0; n < kCount; ++n) {
    const NeighbourTable::Lookup first = table.resolve(iface(n), neighbour(n), 0);
    EXPECT_TRUE(first.solicit) << n;
    EXPECT_EQ(first.mac, nullptr) << n;
  }
  // The same address on the other interface is another neighbour.
  EXPECT_TRUE(table.resolve(1, neighbour(0), 0).solicit);
  EXPECT_EQ(table.size(), kCount + 1);

  // Every other neighbour answers; the rest stay silent.
  std::vector<rte_mbuf*> released;
  for (unsigned n = 0; n < kCount; n += 2)
    EXPECT_EQ(table.update(iface(n), neighbour(n), mac_of(n), 5, released), NeighbourTable::Answer::Resolved);
  EXPECT_EQ(table.update(0, IpAddr::v4(192, 0, 2, 1), mac_of(1), 5, released), NeighbourTable::Answer::Unchanged)
      << "nobody asked for it";
  EXPECT_TRUE(released.empty());

  // Retransmit intervals pass: each silent one is probed until max_probes, then erased.
  std::map<std::pair<uint16_t, IpAddr::Family>, unsigned> probes;
  unsigned erased_with_frames = 0;
  for (uint64_t now = 10; now <= 40; now += 10)
    table.expire(
        now, [&](uint16_t i, const IpAddr& ip) { ++probes[{i, ip.family}]; },
        [&](uint16_t, std::vector<rte_mbuf*>&) { ++erased_with_frames; });
  unsigned total_probes = 0;
  for (const auto& [key, count] : probes) total_probes += count;
  EXPECT_EQ(total_probes, (kCount / 2 + 1) * (cfg.max_probes - 1));
  EXPECT_EQ(erased_with_frames, 0u);
  EXPECT_EQ(table.size(), kCount / 2);
  for (unsigned n = 0; n < kCount; ++n) {
    const NeighbourTable::Entry* e = table.find(iface(n), neighbour(n));
    if (n % 2 == 1) {
      EXPECT_EQ(e, nullptr) << n;
      continue;
    }
    ASSERT_NE(e, nullptr) << n;
    EXPECT_EQ(e->state, NeighbourTable::State::Reachable) << n;
    const rte_ether_addr want = mac_of(n);
    EXPECT_EQ(std::memcmp(&e->mac, &want, sizeof want), 0) << n;
    const NeighbourTable::Lookup hit = table.resolve(iface(n), neighbour(n), 50);
    EXPECT_FALSE(hit.solicit) << n;
    ASSERT_NE(hit.mac, nullptr) << n;
  }
  EXPECT_EQ(table.find(1, neighbour(0)), nullptr);

  // The answers age: Stale, still used and re-solicited once; silent again, they go too.
  auto expire_quietly = [&](uint64_t now) {
    table.expire(now, [](uint16_t, const IpAddr&) {}, [](uint16_t, std::vector<rte_mbuf*>&) {});
  };
  expire_quietly(1005);
  for (unsigned n = 0; n < kCount; n += 2) {
    const NeighbourTable::Lookup stale = table.resolve(iface(n), neighbour(n), 1006);
    EXPECT_TRUE(stale.solicit) << n;
    EXPECT_NE(stale.mac, nullptr) << n;
    EXPECT_FALSE(table.resolve(iface(n), neighbour(n), 1007).solicit) << n;
  }
  expire_quietly(1006 + cfg.retrans_tsc * cfg.max_probes);
  EXPECT_EQ(table.size(), 0u);
  for (unsigned n = 0; n < kCount; ++n) EXPECT_EQ(table.find(iface(n), neighbour(n)), nullptr) << n;
}

// A neighbour moves only when it had a MAC (Reachable or Stale) and answers with another one: its
// first answer, and the same MAC again (a refresh, or a Stale entry confirmed), do not move it.
TEST(NeighbourTable, AnAnswerWithAnotherMacMovesANeighbourItsFirstOrTheSameDoesNot) {
  NeighbourTable table(timers(100));
  std::vector<rte_mbuf*> released;
  const IpAddr gw = IpAddr::v4(10, 202, 0, 254);
  using Answer = NeighbourTable::Answer;
  EXPECT_TRUE(table.resolve(1, gw, 0).solicit);
  EXPECT_EQ(table.update(1, gw, mac_of(1), 1, released), Answer::Resolved);
  EXPECT_EQ(table.update(1, gw, mac_of(1), 2, released), Answer::Resolved);
  EXPECT_EQ(table.update(1, gw, mac_of(2), 3, released), Answer::Moved);
  ASSERT_NE(table.find(1, gw), nullptr);
  EXPECT_EQ(table.find(1, gw)->mac.addr_bytes[5], 2);
  EXPECT_EQ(table.find(1, gw)->state, NeighbourTable::State::Reachable);
  // Past its reachable time it is Stale and still has its MAC: another one moves it, the same not.
  table.expire(200, [](uint16_t, const IpAddr&) {}, [](uint16_t, std::vector<rte_mbuf*>&) {});
  ASSERT_EQ(table.find(1, gw)->state, NeighbourTable::State::Stale);
  EXPECT_EQ(table.update(1, gw, mac_of(2), 201, released), Answer::Resolved);
  table.expire(400, [](uint16_t, const IpAddr&) {}, [](uint16_t, std::vector<rte_mbuf*>&) {});
  ASSERT_EQ(table.find(1, gw)->state, NeighbourTable::State::Stale);
  EXPECT_EQ(table.update(1, gw, mac_of(3), 401, released), Answer::Moved);
  // The same address on the other interface is another neighbour, unknown until asked for.
  EXPECT_EQ(table.update(0, gw, mac_of(3), 402, released), Answer::Unchanged);
  EXPECT_TRUE(released.empty());
}

}  // namespace
}  // namespace sipedge::control
