// control/runtime/sip_capture.h — control lcore (management requests start and stop it; the loop
// feeds it). `sipedgectl capture start FILE [--call CALL-ID]`: the SIP traffic as it was on the wire,
// every message received and sent, written as pcapng by DPDK's rte_pcapng (Wireshark, tshark and
// sngrep read it). Received messages are the frames the port delivered (a datagram reassembled from
// fragments is written once, whole); sent ones are the frames control built, fragments included.
// Only while a capture runs is anything copied; it stops by itself after `max_packets`, or when the
// file cannot be written.
#pragma once

#include <rte_mbuf.h>
#include <rte_pcapng.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "control/runtime/control_io.h"
#include "dataplane/rings.h"
#include "dataplane/shared_state.h"

namespace sipedge::control {

class SipCapture final : public SipFrameTap {
 public:
  explicit SipCapture(const dataplane::SharedState& shared);
  ~SipCapture() override;
  SipCapture(const SipCapture&) = delete;
  SipCapture& operator=(const SipCapture&) = delete;

  // Starts writing to `path` (absolute; created, or truncated), only the messages of `call_id`
  // when it is not empty. An error message when it cannot (one already runs, bad path).
  std::string start(const std::string& path, std::string call_id, uint64_t max_packets);
  // Stops and closes the file. What was written: {"file","call_id","packets","bytes","missed",
  // "stopped_by"}; {"error"} when none runs.
  nlohmann::json stop();
  // The running capture as stop() would report it, or {"running": false} and the last one's end.
  nlohmann::json status() const;
  bool running() const noexcept { return pcapng_ != nullptr; }
  // SipFrameTap: a capture runs (read by shards with no lock; a frame sent as it starts or ends
  // may be in the file or not).
  bool active() const noexcept override { return active_.load(std::memory_order_acquire); }

  // A message the workers delivered (before control handles it).
  void received(const dataplane::SipItem& item);
  // SipFrameTap.
  void frames_out(uint16_t iface, rte_mbuf* const* frames, unsigned n, std::string_view message) override;

 private:
  bool wanted(std::string_view call_id) const noexcept;
  // Copies `m` (a whole frame of `iface`) into the file; false when the capture had to stop.
  void write(uint16_t iface, const rte_mbuf* m, uint64_t tsc, rte_pcapng_direction dir);
  // A frame for a message the workers gathered out of fragments (only its payload is left).
  rte_mbuf* rebuild_frame(const dataplane::SipItem& item);
  nlohmann::json report() const;
  void end(const char* why);

  const dataplane::SharedState& shared_;
  rte_mempool* pool_ = nullptr;  // copies in pcapng form, created at the first start
  rte_pcapng_t* pcapng_ = nullptr;
  std::atomic<bool> active_{false};  // pcapng_ != nullptr, for readers without the shards' lock
  std::string path_;
  std::string call_id_;
  uint64_t max_packets_ = 0;
  uint64_t packets_ = 0;
  uint64_t bytes_ = 0;
  uint64_t missed_ = 0;  // copies the pool could not take
  std::string stopped_by_;
};

}  // namespace sipedge::control
