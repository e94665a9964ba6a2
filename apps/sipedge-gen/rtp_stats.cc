// apps/sipedge-gen/rtp_stats.cc — the generator's one lcore. RFC 3550 §6.4.1 (jitter), §A.1
// (sequence numbers wrap at 16 bits: compared as signed differences).
#include "apps/sipedge-gen/rtp_stats.h"

#include <algorithm>
#include <cmath>

namespace sipedge::gen {

unsigned LatencyHistogram::bucket_of(uint64_t us) noexcept {
  if (us < kFine) return static_cast<unsigned>(us);
  if (us < 10'000) return kFine + static_cast<unsigned>((us - kFine) / 10);
  if (us < 1'000'000) return kFine + kMid + static_cast<unsigned>((us - 10'000) / 1000);
  return kBuckets - 1;
}

double LatencyHistogram::upper_us(unsigned b) noexcept {
  if (b < kFine) return b + 1.0;
  if (b < kFine + kMid) return kFine + (b - kFine + 1) * 10.0;
  if (b < kFine + kMid + kCoarse) return 10'000 + (b - kFine - kMid + 1) * 1000.0;
  return INFINITY;
}

void LatencyHistogram::add(uint64_t ns) noexcept {
  ++buckets_[bucket_of(ns / 1000)];
  ++count_;
  max_ns_ = std::max(max_ns_, ns);
}

double LatencyHistogram::quantile_us(double q) const noexcept {
  if (count_ == 0) return 0;
  const auto rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_)));
  uint64_t seen = 0;
  for (unsigned b = 0; b < kBuckets; ++b) {
    seen += buckets_[b];
    if (seen >= std::max<uint64_t>(rank, 1)) return b == kBuckets - 1 ? max_ns_ / 1000.0 : upper_us(b);
  }
  return max_ns_ / 1000.0;
}

void DirectionStats::on_packet(StreamState& s, uint16_t seq, uint64_t sent_ns, uint64_t now_ns) noexcept {
  ++received;
  const int64_t transit = static_cast<int64_t>(now_ns) - static_cast<int64_t>(sent_ns);
  latency.add(transit > 0 ? static_cast<uint64_t>(transit) : 0);
  if (!s.started) {
    s.started = true;
    s.highest_seq = seq;
    s.window = 1;
    s.last_transit_ns = transit;
    return;
  }
  const auto ahead = static_cast<int16_t>(static_cast<uint16_t>(seq - s.highest_seq));
  if (ahead > 0) {
    s.window = ahead >= 64 ? 1 : (s.window << ahead) | 1;
    s.highest_seq = seq;
  } else {
    const unsigned behind = static_cast<unsigned>(-ahead);
    if (behind < 64 && (s.window >> behind) & 1) {
      ++duplicated;
      return;
    }
    if (behind < 64) s.window |= uint64_t{1} << behind;
    ++reordered;
  }
  // J += (|D| - J) / 16, D the change in transit time between this packet and the previous one.
  const double d = std::fabs(static_cast<double>(transit - s.last_transit_ns));
  s.jitter_ns += (d - s.jitter_ns) / 16.0;
  s.last_transit_ns = transit;
}

void DirectionStats::close(const StreamState& s) noexcept {
  if (!s.started) return;
  jitter_sum_ns += s.jitter_ns;
  ++jitter_streams;
}

}  // namespace sipedge::gen
