// dataplane/port.h — startup (main thread) only. Opens one ethdev of any PMD (PCI NIC, af_packet,
// tap, virtio_user, memif, ring): one RX + one TX queue per worker, one more TX queue for the
// control lcore, RSS over the UDP 5-tuple when the PMD offers it. Throws on failure (startup edge).
#pragma once

#include <rte_mempool.h>

#include <cstdint>

#include "dataplane/config.h"
#include "dataplane/interface.h"

namespace sipedge::dataplane {

// The mbuf data room (headroom included) an RX queue of the port named cfg.device needs; 0 when the
// default pktmbuf size does. net_af_packet copies each PACKET_MMAP frame into one mbuf and refuses an
// RX pool whose buffers are smaller than its frames (eal.h says why sipedge makes them large).
// Throws std::runtime_error when no such ethdev exists.
uint32_t rx_data_room(const PortConfig& cfg);

// Configures and starts the port named cfg.device. `index` is its position in the config.
// `shared_lcore`: control and the only worker run on one lcore, so when the PMD has a single TX
// queue they may both use it (control_queue = 0). Throws std::runtime_error naming the port and
// the failing call, or the queue counts the PMD cannot give. `n_shards`: control shards; those past
// the first get a TX queue each where the PMD has enough (Interface::shard_tx_queues).
Interface open_port(const PortConfig& cfg, uint16_t index, unsigned n_workers, unsigned n_shards, bool shared_lcore,
                    rte_mempool* pool);

// Stops the port (its queues stop delivering). Safe to call on a stopped port.
void close_port(const Interface& ifc) noexcept;

}  // namespace sipedge::dataplane
