// dataplane/eal.h — startup (main thread) only. Turns EalConfig into the argv rte_eal_init wants and
// starts EAL once per process. Never called from a poll loop.
#pragma once

#include <string>
#include <vector>

#include "dataplane/config.h"

namespace sipedge::dataplane {

// The EAL arguments for `cfg`, argv[0] included ("sipedge"). Pure: reads /proc/meminfo only when
// cfg.no_huge is unset, to decide whether hugepages exist.
std::vector<std::string> eal_args(const EalConfig& cfg);

// True when the kernel reports at least one free hugepage (HugePages_Free in /proc/meminfo).
bool hugepages_available();

// Starts EAL with eal_args(cfg). Throws std::runtime_error naming rte_errno on failure (startup
// edge: the process cannot run without EAL). Not thread-safe; call once per process.
void eal_init(const EalConfig& cfg);

}  // namespace sipedge::dataplane
