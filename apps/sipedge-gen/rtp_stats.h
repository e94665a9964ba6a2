// apps/sipedge-gen/rtp_stats.h — the generator's one lcore. What came back through sipedge on one
// direction of media (caller -> callee or callee -> caller), counted per packet: received, duplicated,
// reordered, one-way latency (the sender's clock stamped in the payload; both ends are this process)
// and RFC 3550 §6.4.1 interarrival jitter per stream. Lost = sent - distinct received, at the end.
#pragma once

#include <array>
#include <cstdint>

namespace sipedge::gen {

// Latency histogram: 1 µs buckets to 1 ms, 10 µs to 10 ms, 1 ms to 1 s, then one overflow bucket.
class LatencyHistogram {
 public:
  void add(uint64_t ns) noexcept;
  uint64_t count() const noexcept { return count_; }
  uint64_t max_ns() const noexcept { return max_ns_; }
  // Upper bound of the bucket holding quantile q (0..1), in µs; 0 when empty.
  double quantile_us(double q) const noexcept;

 private:
  static constexpr unsigned kFine = 1000, kMid = 900, kCoarse = 990;
  static constexpr unsigned kBuckets = kFine + kMid + kCoarse + 1;
  static unsigned bucket_of(uint64_t us) noexcept;
  static double upper_us(unsigned bucket) noexcept;
  std::array<uint64_t, kBuckets> buckets_{};
  uint64_t count_ = 0;
  uint64_t max_ns_ = 0;
};

// One stream's receive state (one call, one direction).
struct StreamState {
  bool started = false;
  uint16_t highest_seq = 0;
  uint64_t window = 0;        // bit i: highest_seq - i was received
  int64_t last_transit_ns = 0;
  double jitter_ns = 0;       // RFC 3550 J, in ns
};

// Totals of one direction over every call.
struct DirectionStats {
  uint64_t sent = 0;
  uint64_t received = 0;      // every packet that came back, duplicates included
  uint64_t duplicated = 0;    // a sequence number seen before (within the last 64)
  uint64_t reordered = 0;     // arrived after a higher sequence number of its stream
  uint64_t foreign = 0;       // not one of ours (bad magic, unknown call, wrong direction)
  LatencyHistogram latency;
  double jitter_sum_ns = 0;   // sum over finished streams of their last J
  uint64_t jitter_streams = 0;

  // A packet of `stream` with sequence `seq`, stamped `sent_ns`, that arrived at `now_ns`.
  void on_packet(StreamState& stream, uint16_t seq, uint64_t sent_ns, uint64_t now_ns) noexcept;
  // The stream will not receive any more: its jitter joins the mean.
  void close(const StreamState& stream) noexcept;
  uint64_t distinct() const noexcept { return received - duplicated; }
  uint64_t lost() const noexcept { return sent > distinct() ? sent - distinct() : 0; }
  double jitter_mean_us() const noexcept { return jitter_streams ? jitter_sum_ns / jitter_streams / 1000.0 : 0; }
};

}  // namespace sipedge::gen
