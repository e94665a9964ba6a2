// tests/rtp_relay/eal_env.cc — test support, not a test: rtp_relay_tests' process setup. Every test
// here needs EAL (tests/support/eal_once.h) and the shared mbuf pool, so both start before the first.
// The pool is not freed: EAL's memory goes with the process, and EAL's own cleanup may run first.
#include <atomic>
#include <string>

#include <gtest/gtest.h>
#include <rte_mbuf.h>

#include "tests/rtp_relay/relay_test_util.h"
#include "tests/support/eal_once.h"

namespace sipedge::relay::test {
namespace {

rte_mempool* g_pool = nullptr;

class EalEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    ASSERT_TRUE(sipedge::test::start_eal()) << "rte_eal_init failed";
    g_pool = rte_pktmbuf_pool_create("relay_test_pool", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    ASSERT_NE(g_pool, nullptr);
  }
};

[[maybe_unused]] ::testing::Environment* const g_env = ::testing::AddGlobalTestEnvironment(new EalEnvironment);

}  // namespace

rte_mempool* pool() { return g_pool; }

std::string unique_name(const char* stem) {
  static std::atomic<unsigned> counter{0};
  return std::string(stem) + std::to_string(counter.fetch_add(1));
}

}  // namespace sipedge::relay::test
