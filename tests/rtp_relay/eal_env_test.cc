// tests/rtp_relay/eal_env_test.cc — test process setup: one EAL per process (ctest runs every test in
// its own process, so init must be cheap and the file prefix unique), plus the shared mbuf pool.
// --no-shconf, not --in-memory: DPDK 22.11 refuses --in-memory together with --no-huge.
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <rte_eal.h>
#include <rte_mbuf.h>

#include "tests/rtp_relay/relay_test_util.h"

namespace sipedge::relay::test {
namespace {

rte_mempool* g_pool = nullptr;

class EalEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    const std::string prefix = "--file-prefix=relay_test_" + std::to_string(getpid());
    std::vector<std::string> args = {"rtp_relay_tests", "--no-huge", "-m", "1024", "--no-pci",
                                     "--no-shconf",     prefix,      "--log-level=error", "-l", "0",
                                     "--vdev=net_ring0"};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    ASSERT_GE(rte_eal_init(static_cast<int>(argv.size()), argv.data()), 0) << "rte_eal_init failed";
    g_pool = rte_pktmbuf_pool_create("relay_test_pool", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    ASSERT_NE(g_pool, nullptr);
  }
  void TearDown() override {
    rte_mempool_free(g_pool);
    rte_eal_cleanup();
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
