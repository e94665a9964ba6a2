// control/api/metrics.h — control lcore (the renderer reads state only that lcore writes). The
// Prometheus text exposition format (0.0.4) of sipedge's counters, gauges and histograms: PromText
// writes it, control_metrics adds the control plane's part (the runtime adds the dataplane's,
// control/runtime/dataplane_view.h). Names follow Prometheus: sipedge_..._total for counters, units
// in the name (sipedge_call_setup_seconds).
#pragma once

#include <cstdint>
#include <string>
#include <span>
#include <string_view>

#include "control/latency_histogram.h"
#include "control/media/media_manager.h"
#include "control/proxy/proxy.h"

namespace sipedge::control {

class PromText {
 public:
  // Starts a metric family: its # HELP and # TYPE lines ("counter", "gauge", "histogram").
  void family(std::string_view name, std::string_view type, std::string_view help);
  // One sample: `labels` is "" or the inside of the braces, already escaped (label()).
  void sample(std::string_view name, std::string_view labels, uint64_t value);
  void sample(std::string_view name, std::string_view labels, double value);
  // A histogram's _bucket (le in seconds), _sum (seconds) and _count samples under `labels`.
  void histogram(std::string_view name, std::string_view labels, const LatencyHistogram& h);
  const std::string& text() const noexcept { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void head(std::string_view name, std::string_view labels);
  std::string out_;
};

// `name="value"` with the value escaped as the format wants (\\, \", \n).
std::string label(std::string_view name, std::string_view value);

// The control plane: every proxy counter (sipedge_proxy_<name>_total), calls started / answered /
// ended, refusals by cause, table sizes, bans and the lockout, overload state, and call-setup
// latency histograms (INVITE forwarded -> first 18x relayed, -> 2xx relayed).
void control_metrics(PromText& out, const Proxy& proxy, const MediaManager& media, uint64_t now_ms);
// The same over every control shard (issue 14 §2), each series summed over the shards (the location
// table, replicated on each, and the bans and lockout, common to all, counted once), so dashboards
// and alerts read one sipedge.
void control_metrics(PromText& out, std::span<const Proxy* const> proxies, std::span<const MediaManager* const> media,
                     uint64_t now_ms);

}  // namespace sipedge::control
