// tests/control/metrics_test.cc — test thread (plus an HTTP client thread). Pins control/api/metrics
// and metrics_server: the exposition format (HELP/TYPE, label escaping, cumulative histogram buckets
// in seconds), the control plane's samples after a real call through the proxy, and the endpoint:
// a scrape is served what the polling (control) thread rendered for it, never a half-written text.
#include "control/api/metrics.h"
#include "control/api/metrics_server.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <thread>

#include "tests/control/proxy_fixture.h"

namespace sipedge::control::testing {
namespace {

TEST(PromText, MessageHistogramsHaveMicrosecondBuckets) {
  PromText out;
  LatencyHistogram h{kMessageBoundsUs};
  h.observe_us(7);
  h.observe_us(15);
  h.observe_us(150);
  out.histogram("sipedge_sip_message_seconds", label("part", "work"), h);
  const std::string& t = out.text();
  EXPECT_NE(t.find("sipedge_sip_message_seconds_bucket{part=\"work\",le=\"1e-05\"} 1\n"), std::string::npos) << t;
  EXPECT_NE(t.find("sipedge_sip_message_seconds_bucket{part=\"work\",le=\"2e-05\"} 2\n"), std::string::npos) << t;
  EXPECT_NE(t.find("sipedge_sip_message_seconds_bucket{part=\"work\",le=\"0.0002\"} 3\n"), std::string::npos) << t;
  EXPECT_NE(t.find("sipedge_sip_message_seconds_sum{part=\"work\"} 0.000172\n"), std::string::npos) << t;
}

// A SIP message's work takes a few microseconds: the sum keeps nanoseconds, and a bound is compared
// to the nanosecond (10 000 ns on the 10 µs bound, 10 001 ns above it).
TEST(PromText, MessageHistogramSumsNanoseconds) {
  PromText out;
  LatencyHistogram h{kMessageBoundsUs};
  for (int i = 0; i < 3; ++i) h.observe_ns(2'700);
  h.observe_ns(10'000);
  h.observe_ns(10'001);
  out.histogram("sipedge_sip_message_seconds", label("part", "work"), h);
  const std::string& t = out.text();
  EXPECT_NE(t.find("sipedge_sip_message_seconds_bucket{part=\"work\",le=\"1e-05\"} 4\n"), std::string::npos) << t;
  EXPECT_NE(t.find("sipedge_sip_message_seconds_bucket{part=\"work\",le=\"2e-05\"} 5\n"), std::string::npos) << t;
  EXPECT_NE(t.find("sipedge_sip_message_seconds_sum{part=\"work\"} 2.8101e-05\n"), std::string::npos) << t;
  EXPECT_EQ(h.sum_ns(), 28'101u);
}

TEST(PromText, FamiliesSamplesLabelsAndHistograms) {
  PromText out;
  out.family("sipedge_x_total", "counter", "Things.");
  out.sample("sipedge_x_total", label("rule", "a\"b\\c\nd"), uint64_t{7});
  LatencyHistogram h;
  h.observe_us(300);     // <= 0.0005
  h.observe_us(1500);    // <= 0.002
  h.observe_us(20000);   // <= 0.02 (on the bound)
  h.observe_us(60'000'000);  // above every bound
  out.family("sipedge_setup_seconds", "histogram", "Setup.");
  out.histogram("sipedge_setup_seconds", label("stage", "answer"), h);
  const std::string& t = out.text();
  EXPECT_EQ(t.substr(0, t.find("sipedge_setup_seconds_bucket")),
            "# HELP sipedge_x_total Things.\n# TYPE sipedge_x_total counter\n"
            "sipedge_x_total{rule=\"a\\\"b\\\\c\\nd\"} 7\n"
            "# HELP sipedge_setup_seconds Setup.\n# TYPE sipedge_setup_seconds histogram\n");
  EXPECT_NE(t.find("sipedge_setup_seconds_bucket{stage=\"answer\",le=\"0.0005\"} 1\n"), std::string::npos);
  EXPECT_NE(t.find("sipedge_setup_seconds_bucket{stage=\"answer\",le=\"0.001\"} 1\n"), std::string::npos);
  EXPECT_NE(t.find("sipedge_setup_seconds_bucket{stage=\"answer\",le=\"0.002\"} 2\n"), std::string::npos);
  EXPECT_NE(t.find("sipedge_setup_seconds_bucket{stage=\"answer\",le=\"0.02\"} 3\n"), std::string::npos);
  EXPECT_NE(t.find("sipedge_setup_seconds_bucket{stage=\"answer\",le=\"10\"} 3\n"), std::string::npos);
  EXPECT_NE(t.find("sipedge_setup_seconds_bucket{stage=\"answer\",le=\"+Inf\"} 4\n"), std::string::npos);
  EXPECT_NE(t.find("sipedge_setup_seconds_sum{stage=\"answer\"} 60.0218\n"), std::string::npos);
  EXPECT_NE(t.find("sipedge_setup_seconds_count{stage=\"answer\"} 4\n"), std::string::npos);
}

class MetricsTest : public ProxyTest {};

TEST_F(MetricsTest, ControlPlaneSamplesFollowACall) {
  const Sent fwd = place_call();
  ASSERT_EQ(first_line(fwd.bytes), "INVITE sip:1012@10.201.0.3:5060 SIP/2.0");
  clock.advance(3);
  deliver(response_from_bob(fwd.bytes, 180, "Ringing"), kBob);
  clock.advance(4);
  deliver(response_from_bob(fwd.bytes, 200, "OK", kAnswer), kBob);
  PromText out;
  control_metrics(out, proxy, media, clock.monotonic_ms());
  const std::string& t = out.text();
  EXPECT_NE(t.find("\nsipedge_calls_total 1\n"), std::string::npos);
  EXPECT_NE(t.find("\nsipedge_calls_answered_total 1\n"), std::string::npos);
  EXPECT_NE(t.find("\nsipedge_calls 1\n"), std::string::npos);
  EXPECT_NE(t.find("\nsipedge_registrations 2\n"), std::string::npos);
  EXPECT_NE(t.find("\nsipedge_proxy_requests_in_total "), std::string::npos);
  EXPECT_NE(t.find("\nsipedge_proxy_refusals_total{cause=\"Overload\"} 0\n"), std::string::npos);
  // 3 ms to the 180, 7 ms to the 200 (the manual clock moves in whole ms).
  EXPECT_NE(t.find("sipedge_call_setup_seconds_bucket{stage=\"ringing\",le=\"0.002\"} 0\n"), std::string::npos);
  EXPECT_NE(t.find("sipedge_call_setup_seconds_bucket{stage=\"ringing\",le=\"0.005\"} 1\n"), std::string::npos);
  EXPECT_NE(t.find("sipedge_call_setup_seconds_sum{stage=\"ringing\"} 0.003\n"), std::string::npos);
  EXPECT_NE(t.find("sipedge_call_setup_seconds_bucket{stage=\"answer\",le=\"0.005\"} 0\n"), std::string::npos);
  EXPECT_NE(t.find("sipedge_call_setup_seconds_bucket{stage=\"answer\",le=\"0.01\"} 1\n"), std::string::npos);
  EXPECT_NE(t.find("sipedge_call_setup_seconds_count{stage=\"answer\"} 1\n"), std::string::npos);
  // Every sample line belongs to a family declared before it.
  size_t families = 0, samples = 0;
  for (size_t at = 0; at < t.size();) {
    const size_t end = t.find('\n', at);
    const std::string line = t.substr(at, end - at);
    if (line.rfind("# TYPE ", 0) == 0) ++families;
    else if (line[0] != '#') ++samples;
    at = end + 1;
  }
  EXPECT_GT(families, 40u);
  EXPECT_GT(samples, families);
}

TEST(MetricsServer, ScrapeGetsWhatThePollingThreadRendered) {
  std::atomic<int> renders{0};
  MetricsServer server([&] { return "sipedge_renders_total " + std::to_string(++renders) + "\n"; });
  ASSERT_TRUE(server.open("127.0.0.1:0")) << server.error();
  ASSERT_GT(server.port(), 0);
  std::atomic<bool> done{false};
  std::string body;
  int status = 0;
  std::thread client([&] {
    httplib::Client c("127.0.0.1", server.port());
    auto res = c.Get("/metrics");
    if (res) {
      status = res->status;
      body = res->body;
    }
    done = true;
  });
  unsigned rendered = 0;
  for (int i = 0; i < 2000 && !done; ++i) {
    rendered += server.poll();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  client.join();
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body, "sipedge_renders_total 1\n");
  EXPECT_EQ(rendered, 1u);
  EXPECT_EQ(server.poll(), 0u) << "nothing renders without a scrape";
  EXPECT_EQ(server.scrapes(), 1u);
}

TEST(MetricsServer, ABusyLoopServesThePreviousSnapshot) {
  MetricsServer server([] { return std::string("fresh\n"); });
  ASSERT_TRUE(server.open("127.0.0.1:0"));
  httplib::Client c("127.0.0.1", server.port());
  auto res = c.Get("/metrics");  // nobody polls: served after 250 ms, the (empty) previous snapshot
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "");
}

TEST(MetricsServer, BadListenAddressesAreReported) {
  MetricsServer a([] { return std::string(); });
  EXPECT_FALSE(a.open("9100"));
  EXPECT_EQ(a.error(), "expected ADDRESS:PORT, got \"9100\"");
  MetricsServer b([] { return std::string(); });
  EXPECT_FALSE(b.open("127.0.0.1:http"));
  EXPECT_EQ(b.error(), "bad port in \"127.0.0.1:http\"");
  MetricsServer c([] { return std::string(); });
  EXPECT_FALSE(c.open("192.0.2.77:9100")) << "not an address of this host";
}

}  // namespace
}  // namespace sipedge::control::testing
