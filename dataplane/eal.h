// dataplane/eal.h — startup (main thread) only. Turns EalConfig into the argv rte_eal_init wants and
// starts EAL once per process. Never called from a poll loop.
#pragma once

#include <string>
#include <vector>

#include "dataplane/config.h"

namespace sipedge::dataplane {

// net_af_packet joins its sockets to a PACKET_FANOUT group with PACKET_FANOUT_FLAG_DEFRAG, so the
// kernel reassembles fragmented datagrams before the PMD sees them and delivers each whole datagram
// in one PACKET_MMAP frame, cut at the frame size (2048 bytes by default: a fragmented INVITE of 2 KB
// or more arrived truncated). Frames of this size carry SIP datagrams up to about 16 KB.
inline constexpr unsigned kAfPacketFrameBytes = 16384;
inline constexpr unsigned kAfPacketFrameCount = 512;

// `vdev` with blocksz/framesz/framecnt for kAfPacketFrameBytes frames appended when it is a
// net_af_packet device that does not set framesz itself; any other vdev unchanged.
std::string with_af_packet_frames(const std::string& vdev);

// The EAL arguments for `cfg`, argv[0] included ("sipedge"). Pure: reads /proc/meminfo only when
// cfg.no_huge is unset, to decide whether hugepages exist.
std::vector<std::string> eal_args(const EalConfig& cfg);

// True when the kernel reports at least one free hugepage (HugePages_Free in /proc/meminfo).
bool hugepages_available();

// Starts EAL with eal_args(cfg). Throws std::runtime_error naming rte_errno on failure (startup
// edge: the process cannot run without EAL). Not thread-safe; call once per process.
void eal_init(const EalConfig& cfg);

}  // namespace sipedge::dataplane
