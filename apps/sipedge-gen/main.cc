// apps/sipedge-gen/main.cc — the generator's one lcore (the EAL main lcore): opens N calls through
// sipedge at a chosen rate (SIP over UDP with digest auth) and sends RTP both ways on every call, on
// one DPDK port facing sipedge's access interface and one facing its core interface (net_af_packet on
// the development network, PCI NICs on bare metal); answers ARP for its own addresses, resolves
// sipedge's MACs, prints progress each second, a summary at the end and, with --report, JSON.
// Usage: sipedge-gen <EAL arguments> -- --caller-ip A --callee-ip B --proxy-access P --proxy-core Q ...
#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "apps/sipedge-gen/call_engine.h"
#include "apps/sipedge-gen/sip_text.h"

namespace {

using namespace sipedge::gen;

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

constexpr uint16_t kBurst = 32;

// One side's port: what it is, who it talks to.
struct PortSide {
  uint16_t port = 0;
  uint32_t ip = 0;        // ours (host order)
  uint32_t peer_ip = 0;   // sipedge's address on this side: every frame goes to its MAC
  rte_ether_addr mac{};
  std::optional<rte_ether_addr> peer_mac;
  std::vector<rte_mbuf*> tx;
  uint64_t tx_dropped = 0;
  uint16_t ip_id = 0;
};

class Io {
 public:
  Io(rte_mempool* pool, PortSide (&sides)[2]) : pool_(pool), sides_(sides) {}

  void send_udp(Side side, uint32_t dst_ip, uint16_t dst_port, uint16_t src_port, std::string_view payload) {
    PortSide& s = sides_[static_cast<unsigned>(side)];
    const size_t len = sizeof(rte_ether_hdr) + sizeof(rte_ipv4_hdr) + sizeof(rte_udp_hdr) + payload.size();
    rte_mbuf* m = payload.size() > 1472 || !s.peer_mac ? nullptr : rte_pktmbuf_alloc(pool_);
    auto* eth = m ? rte_pktmbuf_mtod(m, rte_ether_hdr*) : nullptr;
    if (eth == nullptr || rte_pktmbuf_append(m, static_cast<uint16_t>(len)) == nullptr) {
      if (m) rte_pktmbuf_free(m);
      ++s.tx_dropped;
      return;
    }
    eth->dst_addr = *s.peer_mac;
    eth->src_addr = s.mac;
    eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(eth + 1);
    ip->version_ihl = RTE_IPV4_VHL_DEF;
    ip->type_of_service = 0;
    ip->total_length = rte_cpu_to_be_16(static_cast<uint16_t>(len - sizeof(rte_ether_hdr)));
    ip->packet_id = rte_cpu_to_be_16(s.ip_id++);
    ip->fragment_offset = 0;
    ip->time_to_live = 64;
    ip->next_proto_id = IPPROTO_UDP;
    ip->src_addr = rte_cpu_to_be_32(s.ip);
    ip->dst_addr = rte_cpu_to_be_32(dst_ip);
    ip->hdr_checksum = 0;
    ip->hdr_checksum = rte_ipv4_cksum(ip);
    auto* udp = reinterpret_cast<rte_udp_hdr*>(ip + 1);
    udp->src_port = rte_cpu_to_be_16(src_port);
    udp->dst_port = rte_cpu_to_be_16(dst_port);
    udp->dgram_len = rte_cpu_to_be_16(static_cast<uint16_t>(sizeof(rte_udp_hdr) + payload.size()));
    udp->dgram_cksum = 0;
    std::memcpy(udp + 1, payload.data(), payload.size());
    udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
    queue(s, m);
  }

  void send_arp(PortSide& s, uint16_t op, const rte_ether_addr& to_mac, uint32_t to_ip) {
    rte_mbuf* m = rte_pktmbuf_alloc(pool_);
    if (m == nullptr) return;
    auto* eth = reinterpret_cast<rte_ether_hdr*>(rte_pktmbuf_append(m, sizeof(rte_ether_hdr) + sizeof(rte_arp_hdr)));
    if (eth == nullptr) {
      rte_pktmbuf_free(m);
      return;
    }
    eth->dst_addr = op == RTE_ARP_OP_REQUEST ? rte_ether_addr{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}} : to_mac;
    eth->src_addr = s.mac;
    eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
    auto* arp = reinterpret_cast<rte_arp_hdr*>(eth + 1);
    arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
    arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
    arp->arp_hlen = 6;
    arp->arp_plen = 4;
    arp->arp_opcode = rte_cpu_to_be_16(op);
    arp->arp_data.arp_sha = s.mac;
    arp->arp_data.arp_sip = rte_cpu_to_be_32(s.ip);
    arp->arp_data.arp_tha = op == RTE_ARP_OP_REQUEST ? rte_ether_addr{} : to_mac;
    arp->arp_data.arp_tip = rte_cpu_to_be_32(to_ip);
    queue(s, m);
  }

  void flush() {
    for (PortSide& s : sides_) {
      if (s.tx.empty()) continue;
      size_t off = 0;
      while (off < s.tx.size()) {
        const uint16_t n = static_cast<uint16_t>(std::min<size_t>(kBurst, s.tx.size() - off));
        const uint16_t sent = rte_eth_tx_burst(s.port, 0, s.tx.data() + off, n);
        if (sent < n) {
          rte_pktmbuf_free_bulk(s.tx.data() + off + sent, n - sent);
          s.tx_dropped += n - sent;
        }
        off += n;
      }
      s.tx.clear();
    }
  }

 private:
  void queue(PortSide& s, rte_mbuf* m) {
    s.tx.push_back(m);
    if (s.tx.size() >= 4 * kBurst) flush();
  }
  rte_mempool* pool_;
  PortSide (&sides_)[2];
};

// Which side a frame received on `port` for IPv4 `dst` belongs to (both sides may share a port).
std::optional<Side> side_of(const PortSide (&sides)[2], uint16_t port, uint32_t dst) {
  for (unsigned i = 0; i < 2; ++i) {
    if (sides[i].port == port && sides[i].ip == dst) return static_cast<Side>(i);
  }
  return std::nullopt;
}

// Handles one received frame: ARP for us answered, ARP replies learnt, UDP to us handed to the engine.
void receive(rte_mbuf* m, PortSide (&sides)[2], Io& io, CallEngine& engine, uint64_t now_ns) {
  const auto* eth = rte_pktmbuf_mtod(m, const rte_ether_hdr*);
  const uint16_t type = rte_be_to_cpu_16(eth->ether_type);
  if (type == RTE_ETHER_TYPE_ARP && m->data_len >= sizeof(rte_ether_hdr) + sizeof(rte_arp_hdr)) {
    const auto* arp = reinterpret_cast<const rte_arp_hdr*>(eth + 1);
    const uint32_t tip = rte_be_to_cpu_32(arp->arp_data.arp_tip);
    const uint32_t sip = rte_be_to_cpu_32(arp->arp_data.arp_sip);
    if (auto side = side_of(sides, m->port, tip)) {
      PortSide& s = sides[static_cast<unsigned>(*side)];
      if (sip == s.peer_ip) s.peer_mac = arp->arp_data.arp_sha;
      if (rte_be_to_cpu_16(arp->arp_opcode) == RTE_ARP_OP_REQUEST) {
        io.send_arp(s, RTE_ARP_OP_REPLY, arp->arp_data.arp_sha, sip);
      }
    }
  } else if (type == RTE_ETHER_TYPE_IPV4 && m->data_len >= sizeof(rte_ether_hdr) + sizeof(rte_ipv4_hdr)) {
    const auto* ip = reinterpret_cast<const rte_ipv4_hdr*>(eth + 1);
    const size_t ihl = (ip->version_ihl & 0x0f) * 4u;
    const size_t total = rte_be_to_cpu_16(ip->total_length);
    const auto side = side_of(sides, m->port, rte_be_to_cpu_32(ip->dst_addr));
    if (side && ip->next_proto_id == IPPROTO_UDP && (rte_be_to_cpu_16(ip->fragment_offset) & 0x3fff) == 0 &&
        total >= ihl + sizeof(rte_udp_hdr) && m->data_len >= sizeof(rte_ether_hdr) + total) {
      const auto* udp = reinterpret_cast<const rte_udp_hdr*>(reinterpret_cast<const uint8_t*>(ip) + ihl);
      const std::string_view payload(reinterpret_cast<const char*>(udp + 1), total - ihl - sizeof(rte_udp_hdr));
      engine.on_datagram(*side, rte_be_to_cpu_32(ip->src_addr), rte_be_to_cpu_16(udp->src_port),
                         rte_be_to_cpu_16(udp->dst_port), payload, now_ns);
    }
  }
  rte_pktmbuf_free(m);
}

bool start_port(uint16_t port, rte_mempool* pool) {
  rte_eth_conf conf{};
  if (rte_eth_dev_configure(port, 1, 1, &conf) != 0) return false;
  uint16_t rxd = 1024, txd = 1024;
  rte_eth_dev_adjust_nb_rx_tx_desc(port, &rxd, &txd);
  const int socket = rte_eth_dev_socket_id(port);
  const auto sock = static_cast<unsigned>(socket < 0 ? 0 : socket);
  if (rte_eth_rx_queue_setup(port, 0, rxd, sock, nullptr, pool) != 0) return false;
  if (rte_eth_tx_queue_setup(port, 0, txd, sock, nullptr) != 0) return false;
  if (rte_eth_dev_start(port) != 0) return false;
  rte_eth_promiscuous_enable(port);
  return true;
}

nlohmann::json direction_json(const DirectionStats& d, double seconds) {
  const double loss = d.sent ? 100.0 * static_cast<double>(d.lost()) / static_cast<double>(d.sent) : 0;
  return {{"sent", d.sent},
          {"received", d.received},
          {"lost", d.lost()},
          {"loss_percent", loss},
          {"reordered", d.reordered},
          {"duplicated", d.duplicated},
          {"foreign", d.foreign},
          {"pps_received", seconds > 0 ? static_cast<double>(d.received) / seconds : 0},
          {"latency_us", {{"p50", d.latency.quantile_us(0.5)}, {"p99", d.latency.quantile_us(0.99)},
                          {"max", static_cast<double>(d.latency.max_ns()) / 1000.0}}},
          {"jitter_us_mean", d.jitter_mean_us()}};
}

// The generator's own ports as the PMD counts them: a loss at sipedge-gen (imissed: its RX queue
// overflowed; oerrors, rx_nombuf) is not a loss in sipedge.
nlohmann::json port_stats(const std::vector<uint16_t>& ports) {
  nlohmann::json out = nlohmann::json::array();
  for (uint16_t p : ports) {
    rte_eth_stats st{};
    rte_eth_stats_get(p, &st);
    out.push_back({{"port", p}, {"ipackets", st.ipackets}, {"opackets", st.opackets}, {"imissed", st.imissed},
                   {"ierrors", st.ierrors}, {"oerrors", st.oerrors}, {"rx_nombuf", st.rx_nombuf}});
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const int eal_args = rte_eal_init(argc, argv);
  if (eal_args < 0) {
    std::fprintf(stderr, "sipedge-gen: EAL initialisation failed (%s)\n", rte_strerror(rte_errno));
    return 2;
  }
  argc -= eal_args;
  argv += eal_args;

  EngineConfig cfg;
  std::string caller_ip, callee_ip, proxy_access, proxy_core, report_path;
  uint16_t caller_port = 0, callee_port = 1;
  double timeout_s = 0;
  CLI::App app{"sipedge-gen: calls and RTP through sipedge, measured"};
  app.add_option("--caller-port", caller_port, "DPDK port facing sipedge's access interface")->capture_default_str();
  app.add_option("--callee-port", callee_port, "DPDK port facing sipedge's core interface")->capture_default_str();
  app.add_option("--caller-ip", caller_ip, "the caller's IPv4 address (access side)")->required();
  app.add_option("--callee-ip", callee_ip, "the callee's IPv4 address (core side): sipedge's route next hop")->required();
  app.add_option("--proxy-access", proxy_access, "sipedge's access address: callers send SIP there")->required();
  app.add_option("--proxy-core", proxy_core, "sipedge's core address (the callee's neighbour)")->required();
  app.add_option("--calls", cfg.calls, "calls to place")->capture_default_str();
  app.add_option("--rate", cfg.rate, "new calls per second")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--hold-ms", cfg.hold_ms, "media time per call")->capture_default_str();
  app.add_option("--ptime-ms", cfg.ptime_ms, "RTP interval per direction")->capture_default_str()->check(CLI::Range(1, 1000));
  app.add_option("--payload", cfg.payload_bytes, "RTP payload bytes")->capture_default_str()->check(CLI::Range(20, 1400));
  app.add_option("--rtp-base", cfg.rtp_base, "first RTP port (even) on both sides")->capture_default_str();
  app.add_option("--sip-port", cfg.sip_port, "the generator's SIP port")->capture_default_str();
  app.add_option("--user", cfg.user, "the caller's user name (digest)")->required();
  app.add_option("--password", cfg.password, "its password")->required();
  app.add_option("--domain", cfg.domain, "SIP domain of the From and To URIs")->capture_default_str();
  app.add_option("--prefix", cfg.prefix, "callee numbers: prefix + call index (a route to the callee)")->capture_default_str();
  app.add_option("--timeout", timeout_s, "seconds before giving up (0: calls/rate + hold + 60)");
  app.add_option("--report", report_path, "write the JSON report here");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  const auto ip_or_die = [](const std::string& text, const char* what) {
    const auto ip = parse_ipv4(text);
    if (!ip) {
      std::fprintf(stderr, "sipedge-gen: %s: expected an IPv4 address, got \"%s\"\n", what, text.c_str());
      std::exit(2);
    }
    return *ip;
  };
  cfg.caller_ip = ip_or_die(caller_ip, "--caller-ip");
  cfg.callee_ip = ip_or_die(callee_ip, "--callee-ip");
  cfg.proxy_ip = ip_or_die(proxy_access, "--proxy-access");
  const uint32_t core_ip = ip_or_die(proxy_core, "--proxy-core");
  if (cfg.rtp_base % 2 || cfg.rtp_base < 1024) {
    std::fprintf(stderr, "sipedge-gen: --rtp-base: expected an even port >= 1024\n");
    return 2;
  }
  if (!rte_eth_dev_is_valid_port(caller_port) || !rte_eth_dev_is_valid_port(callee_port)) {
    std::fprintf(stderr, "sipedge-gen: no DPDK port %u or %u (%u ports; pass --vdev or a PCI device)\n", caller_port,
                 callee_port, rte_eth_dev_count_avail());
    return 2;
  }

  rte_mempool* pool = rte_pktmbuf_pool_create("gen_pool", 16383, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
  if (pool == nullptr || !start_port(caller_port, pool) || (callee_port != caller_port && !start_port(callee_port, pool))) {
    std::fprintf(stderr, "sipedge-gen: cannot start ports (%s)\n", rte_strerror(rte_errno));
    return 2;
  }
  PortSide sides[2];
  sides[0].port = caller_port;
  sides[0].ip = cfg.caller_ip;
  sides[0].peer_ip = cfg.proxy_ip;
  sides[1].port = callee_port;
  sides[1].ip = cfg.callee_ip;
  sides[1].peer_ip = core_ip;
  for (PortSide& s : sides) rte_eth_macaddr_get(s.port, &s.mac);
  Io io(pool, sides);
  CallEngine engine(cfg, Wire{[&io](Side side, uint32_t ip, uint16_t dport, uint16_t sport, std::string_view p) {
                      io.send_udp(side, ip, dport, sport, p);
                    }},
                    rte_rdtsc());
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);

  const uint64_t hz = rte_get_tsc_hz();
  const auto now_ns = [hz] { return static_cast<uint64_t>(static_cast<double>(rte_rdtsc()) * 1e9 / static_cast<double>(hz)); };
  std::vector<uint16_t> ports{caller_port};
  if (callee_port != caller_port) ports.push_back(callee_port);
  rte_mbuf* burst[kBurst];

  // sipedge's MACs first: ARP for both neighbours until both answered (5 s at most).
  const uint64_t arp_deadline = now_ns() + 5'000'000'000ull;
  uint64_t next_arp = 0;
  while (!(sides[0].peer_mac && sides[1].peer_mac) && !g_stop) {
    const uint64_t t = now_ns();
    if (t > arp_deadline) {
      std::fprintf(stderr, "sipedge-gen: no ARP answer from %s%s\n", sides[0].peer_mac ? "" : proxy_access.c_str(),
                   sides[1].peer_mac ? "" : (" " + proxy_core).c_str());
      return 1;
    }
    if (t >= next_arp) {
      for (PortSide& s : sides) {
        if (!s.peer_mac) io.send_arp(s, RTE_ARP_OP_REQUEST, rte_ether_addr{}, s.peer_ip);
      }
      next_arp = t + 200'000'000;
    }
    for (uint16_t p : ports) {
      const uint16_t n = rte_eth_rx_burst(p, 0, burst, kBurst);
      for (uint16_t i = 0; i < n; ++i) receive(burst[i], sides, io, engine, t);
    }
    io.flush();
  }

  if (timeout_s <= 0) timeout_s = cfg.calls / cfg.rate + cfg.hold_ms / 1000.0 + 60;
  const uint64_t start = now_ns();
  const uint64_t deadline = start + static_cast<uint64_t>(timeout_s * 1e9);
  uint64_t next_progress = start + 1'000'000'000;
  uint64_t last_rx[2] = {0, 0};
  uint64_t peak_pps = 0;  // RTP received in the busiest whole second, both directions
  std::printf("sipedge-gen: %u calls at %.0f/s, %u ms of RTP each (ptime %u ms, %u-byte payload), %u RTP slots\n",
              cfg.calls, cfg.rate, cfg.hold_ms, cfg.ptime_ms, cfg.payload_bytes, engine.slots());
  bool timed_out = false;
  while (!engine.finished() && !g_stop) {
    const uint64_t t = now_ns();
    if (t > deadline) {
      timed_out = true;
      break;
    }
    for (uint16_t p : ports) {
      const uint16_t n = rte_eth_rx_burst(p, 0, burst, kBurst);
      for (uint16_t i = 0; i < n; ++i) receive(burst[i], sides, io, engine, t);
    }
    engine.step(t);
    io.flush();
    if (t >= next_progress) {
      const CallTotals& c = engine.calls();
      std::printf("[%5.1fs] calls started %lu answered %lu completed %lu failed %lu active %u | rtp/s a->c %lu c->a %lu\n",
                  static_cast<double>(t - start) / 1e9, c.started, c.answered, c.completed, c.failed, engine.active(),
                  engine.direction(0).received - last_rx[0], engine.direction(1).received - last_rx[1]);
      std::fflush(stdout);
      peak_pps = std::max(peak_pps, engine.direction(0).received - last_rx[0] + engine.direction(1).received - last_rx[1]);
      last_rx[0] = engine.direction(0).received;
      last_rx[1] = engine.direction(1).received;
      next_progress += 1'000'000'000;
    }
  }
  if (timed_out || g_stop) engine.abandon();
  const double seconds = static_cast<double>(now_ns() - start) / 1e9;

  const CallTotals& c = engine.calls();
  nlohmann::json failures = nlohmann::json::object();
  for (const auto& [why, n] : c.failures) failures[why] = n;
  const nlohmann::json report = {
      {"config", {{"calls", cfg.calls}, {"rate", cfg.rate}, {"hold_ms", cfg.hold_ms}, {"ptime_ms", cfg.ptime_ms},
                  {"payload_bytes", cfg.payload_bytes}}},
      {"seconds", seconds},
      {"timed_out", timed_out},
      {"calls", {{"started", c.started}, {"answered", c.answered}, {"completed", c.completed}, {"failed", c.failed},
                 {"challenged", c.challenged}, {"retransmissions", c.retransmissions}, {"unexpected", c.unexpected},
                 {"failures", failures},
                 {"setup_ms", {{"p50", c.setup.quantile_us(0.5) / 1000}, {"p99", c.setup.quantile_us(0.99) / 1000},
                               {"max", static_cast<double>(c.setup.max_ns()) / 1e6}}}}},
      {"rtp", {{"caller_to_callee", direction_json(engine.direction(0), seconds)},
               {"callee_to_caller", direction_json(engine.direction(1), seconds)},
               {"peak_pps_received", peak_pps}}},
      {"tx_dropped", sides[0].tx_dropped + sides[1].tx_dropped},
      {"ports", port_stats(ports)}};
  std::printf("\nsummary after %.1f s%s; busiest second: %lu RTP packets received\n", seconds,
              timed_out ? " (timed out)" : "", peak_pps);
  std::printf("  calls: %lu started, %lu answered (%lu challenged), %lu completed, %lu failed; setup p50 %.2f ms p99 %.2f ms\n",
              c.started, c.answered, c.challenged, c.completed, c.failed, c.setup.quantile_us(0.5) / 1000,
              c.setup.quantile_us(0.99) / 1000);
  for (const auto& [why, n] : c.failures) std::printf("    failed: %s x%lu\n", why.c_str(), n);
  for (const auto& p : report["ports"]) {
    std::printf("  generator port %u: in %lu out %lu, missed %lu, errors in %lu out %lu, no mbuf %lu\n",
                p["port"].get<unsigned>(), p["ipackets"].get<uint64_t>(), p["opackets"].get<uint64_t>(),
                p["imissed"].get<uint64_t>(), p["ierrors"].get<uint64_t>(), p["oerrors"].get<uint64_t>(),
                p["rx_nombuf"].get<uint64_t>());
  }
  std::printf("  generator frames not sent (no MAC yet, no mbuf, TX full): %lu\n", report["tx_dropped"].get<uint64_t>());
  for (unsigned d = 0; d < 2; ++d) {
    const DirectionStats& s = engine.direction(d);
    std::printf("  rtp %s: sent %lu received %lu lost %lu reordered %lu duplicated %lu; latency p50 %.0f us p99 %.0f us "
                "max %.0f us; jitter %.1f us\n",
                d == 0 ? "caller->callee" : "callee->caller", s.sent, s.received, s.lost(), s.reordered, s.duplicated,
                s.latency.quantile_us(0.5), s.latency.quantile_us(0.99), static_cast<double>(s.latency.max_ns()) / 1000,
                s.jitter_mean_us());
  }
  if (!report_path.empty()) {
    std::ofstream out(report_path);
    out << report.dump(2) << "\n";
    if (!out) {
      std::fprintf(stderr, "sipedge-gen: cannot write %s\n", report_path.c_str());
      return 2;
    }
  }
  for (uint16_t p : ports) rte_eth_dev_stop(p);
  rte_eal_cleanup();
  return c.failed == 0 && !timed_out ? 0 : 1;
}
