// tests/support/eal_once.cc — test thread. One EAL per test process, on demand (eal_once.h).
// --no-shconf, not --in-memory: DPDK 22.11 refuses --in-memory together with --no-huge.
#include "tests/support/eal_once.h"

#include <gtest/gtest.h>
#include <rte_eal.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace sipedge::test {
namespace {

enum class EalState { Down, Up, Failed };
EalState g_state = EalState::Down;

class EalCleanup : public ::testing::Environment {
 public:
  void TearDown() override {
    if (g_state == EalState::Up) {
      rte_eal_cleanup();
    }
  }
};
[[maybe_unused]] ::testing::Environment* const g_cleanup = ::testing::AddGlobalTestEnvironment(new EalCleanup);

}  // namespace

bool start_eal() {
  if (g_state == EalState::Down) {
    std::vector<std::string> args = {"sipedge_tests", "--no-huge",  "-m", "1024", "--no-pci", "--no-shconf",
                                     "--file-prefix=sipedge_test_" + std::to_string(getpid()),
                                     "--log-level=error", "-l", "0,1"};
    std::vector<char*> argv;
    for (std::string& a : args) {
      argv.push_back(a.data());
    }
    g_state = rte_eal_init(static_cast<int>(argv.size()), argv.data()) >= 0 ? EalState::Up : EalState::Failed;
  }
  return g_state == EalState::Up;
}

}  // namespace sipedge::test
