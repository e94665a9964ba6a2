// tests/support/eal_once.h — test thread. EAL for the test binaries that need it, started by the first
// test that asks and torn down when the binary exits. ctest runs every test in its own process, so a
// test that never asks never pays for EAL, and each process gets its own --file-prefix.
#pragma once

namespace sipedge::test {

// Starts EAL once per process: --no-huge, 1 GB, no PCI, no shared config, lcore 0 for the test
// thread and lcore 1 for the worker loop a test may launch. False when rte_eal_init failed.
bool start_eal();

}  // namespace sipedge::test
