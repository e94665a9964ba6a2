// tests/support/dataplane_fixture.h — test thread (an EAL lcore). EAL once per process (gtest
// Environment; ctest runs each test in its own process, so each gets its own --file-prefix), two
// net_ring ports (access, core) and a shared-mode Dataplane driven by hand with a fake clock.
#pragma once

#include <gtest/gtest.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_udp.h>
#include <unistd.h>

#include <cstdint>
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/dataplane.h"
#include "dataplane/rings.h"
#include "parser/scanner_hand.h"
#include "tests/support/dataplane_config.h"
#include "tests/support/eal_once.h"
#include "tests/support/frames.h"
#include "tests/support/ring_port.h"

namespace sipedge::dataplane::test {

using sipedge::test::create_ring_port;
using sipedge::test::destroy_ring_port;
using sipedge::test::RingPort;

inline constexpr uint16_t kAccess = 0;
inline constexpr uint16_t kCore = 1;
inline const Mac kPeerMac{0x02, 0x00, 0x00, 0x00, 0x00, 0x42};
inline const Mac kGatewayMac{0x02, 0x00, 0x00, 0x00, 0x00, 0xfe};

// The ports of lab_dataplane_config; one worker on the test thread (shared mode).
class DataplaneTest : public ::testing::Test {
 protected:
  static DataplaneConfig make_config(const std::string& acc, const std::string& core) {
    return lab_dataplane_config(acc, core);
  }

  void SetUp() override {
    ASSERT_TRUE(sipedge::test::start_eal()) << "rte_eal_init failed";
    static unsigned seq = 0;
    std::string tag = std::to_string(seq++);
    ports_.push_back(create_ring_port("dpt_acc" + tag, 1, tx_rings()));
    ports_.push_back(create_ring_port("dpt_core" + tag, 1, tx_rings()));
    cfg_ = make_config(ports_[0].name, ports_[1].name);
    customise(cfg_);
    dp_ = std::make_unique<Dataplane>(cfg_, scanner_);
    hz_ = rte_get_tsc_hz();
    now_ = hz_;  // fake clock: starts at 1 s
  }
  void TearDown() override {
    dp_.reset();
    for (RingPort& p : ports_) {
      destroy_ring_port(p);
    }
  }
  virtual void customise(DataplaneConfig&) {}
  virtual unsigned tx_rings() const { return 2; }  // worker queue + control queue

  Mac our_mac(uint16_t iface) const {
    Mac m;
    std::memcpy(m.data(), dp_->iface(iface).mac.addr_bytes, 6);
    return m;
  }
  rte_mbuf* to_mbuf(const Bytes& frame) {
    rte_mbuf* m = rte_pktmbuf_alloc(dp_->shared().mbuf_pool);
    EXPECT_NE(m, nullptr);
    std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(frame.size())), frame.data(), frame.size());
    return m;
  }
  // The port receives `frame`; the worker polls once.
  void receive(uint16_t iface, const Bytes& frame) {
    rte_mbuf* m = to_mbuf(frame);
    ASSERT_EQ(rte_ring_enqueue(ports_[iface].rx[0], m), 0);
    dp_->worker(0).poll_once(now_);
  }
  // Everything the port sent on `queue` (0 = worker, 1 = control), oldest first.
  std::vector<Bytes> sent(uint16_t iface, unsigned queue) {
    std::vector<Bytes> out;
    void* obj = nullptr;
    while (rte_ring_dequeue(ports_[iface].tx[queue], &obj) == 0) {
      auto* m = static_cast<rte_mbuf*>(obj);
      Bytes b(m->pkt_len);
      const void* p = rte_pktmbuf_read(m, 0, m->pkt_len, b.data());
      if (p != b.data()) {
        std::memcpy(b.data(), p, m->pkt_len);
      }
      out.push_back(std::move(b));
      rte_pktmbuf_free(m);
    }
    return out;
  }
  std::vector<RingPort> ports_;
  DataplaneConfig cfg_;
  parser::HandScanner scanner_;
  std::unique_ptr<Dataplane> dp_;
  uint64_t hz_ = 0;
  uint64_t now_ = 0;
};

}  // namespace sipedge::dataplane::test
