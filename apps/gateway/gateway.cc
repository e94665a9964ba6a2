// apps/gateway/gateway.cc — main thread (startup, shutdown) and control lcore (poll). Wires the
// dataplane's rings to the proxy, the proxy's media sessions to the relay, relay idle reports to
// media timeouts, and the management socket to JSON views.
#include "apps/gateway/gateway.h"

#include <rte_cycles.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <spdlog/spdlog.h>

#include <stdexcept>

#include "apps/gateway/dataplane_transport.h"
#include "apps/gateway/management.h"
#include "common/clock.h"
#include "control/media/media_manager.h"
#include "control/proxy/proxy.h"
#include "control/relay_backend/rtp_relay_backend.h"
#include "dataplane/dataplane.h"
#include "dataplane/media_relay.h"
#include "parser/scanner_hand.h"
#include "rtp_relay/flow_table.h"

namespace sipedge::apps {

struct Gateway::Parts {
  parser::HandScanner scanner;
  SystemClock clock;
  std::unique_ptr<relay::FlowTable> table;
  std::unique_ptr<dataplane::Dataplane> dataplane;
  std::unique_ptr<dataplane::MediaRelay> media_relay;
  std::unique_ptr<DataplaneTransport> transport;
  std::unique_ptr<control::RtpRelayBackend> backend;
  std::unique_ptr<control::MediaManager> media;
  std::unique_ptr<control::Proxy> proxy;
  std::unique_ptr<Management> management;
  rte_ring* idle_ring = nullptr;
  uint64_t media_timeout_tsc = 0;
};

namespace {

unsigned control_hook(void* ctx, dataplane::ControlIo&, uint64_t now_tsc) noexcept {
  return static_cast<Gateway*>(ctx)->poll(now_tsc);
}

}  // namespace

Gateway::Gateway(GatewayConfig config) : config_(std::move(config)), parts_(std::make_unique<Parts>()) {
  Parts& p = *parts_;
  relay::FlowTableConfig tc;
  tc.name = "sipedge";
  tc.ipv4_flows = config_.relay_flows;
  tc.ipv6_flows = std::max<uint32_t>(config_.relay_flows / 4, 64);
  auto table = relay::FlowTable::create(tc);
  if (!table) throw std::runtime_error("cannot create the relay flow table: " + std::string(relay::flow_error_name(table.error())));
  p.table = std::move(*table);

  p.dataplane = std::make_unique<dataplane::Dataplane>(config_.dataplane, p.scanner);
  p.media_relay = std::make_unique<dataplane::MediaRelay>(*p.table, p.dataplane->media_lanes());
  p.dataplane->set_media_handler(p.media_relay->handler());

  std::vector<uint16_t> sip_ports;
  std::vector<control::RtpRelayBackend::Interface> relay_ifaces;
  for (const control::InterfaceConfig& i : config_.control.interfaces) {
    sip_ports.push_back(i.sip_port);
    relay_ifaces.push_back(control::RtpRelayBackend::interface_for(i, config_.control.media, p.dataplane->iface(i.index).port_id));
  }
  dataplane::ControlIo& io = p.dataplane->control();
  p.transport = std::make_unique<DataplaneTransport>(io, sip_ports);
  dataplane::Dataplane* dp = p.dataplane.get();
  // The relay rewrites MACs from what the neighbour table learned while signalling went out; a peer
  // not yet resolved makes the install fail (counted, answered 488) rather than send blind.
  auto neighbours = [dp](uint16_t iface, const IpAddr& remote) -> std::optional<control::MacPair> {
    const dataplane::Interface& ifc = dp->iface(iface);
    std::optional<IpAddr> hop;
    if (remote.family != IpAddr::Family::None && !remote.is_unspecified()) hop = ifc.next_hop(remote);
    if (!hop) hop = remote.is_v6() ? ifc.gateway6 : ifc.gateway4;
    control::MacPair macs;
    macs.local = ifc.mac;
    if (!hop) return macs;  // latch-only peer with no gateway: the first packet's path is used
    const auto* entry = dp->control().neighbours().find(iface, *hop);
    if (!entry || entry->state == dataplane::NeighbourTable::State::Incomplete) return std::nullopt;
    macs.next_hop = entry->mac;
    return macs;
  };
  p.backend = std::make_unique<control::RtpRelayBackend>(*p.table, relay_ifaces, neighbours);
  p.media = std::make_unique<control::MediaManager>(config_.control, *p.backend);
  p.proxy = std::make_unique<control::Proxy>(config_.control, *p.transport, *p.media, p.clock);

  p.idle_ring = rte_ring_create_elem("sipedge_idle", sizeof(relay::IdleReport), 1024, SOCKET_ID_ANY,
                                     RING_F_SP_ENQ | RING_F_SC_DEQ);
  if (!p.idle_ring) throw std::runtime_error("cannot create the idle-report ring");
  p.media_timeout_tsc = rte_get_tsc_hz() * config_.control.media.timeout_s;

  p.management = std::make_unique<Management>(config_, *p.proxy, *p.media, *p.dataplane, *p.media_relay, *p.table);
  if (!config_.control.management_socket.empty() && !p.management->open(config_.control.management_socket))
    throw std::runtime_error("cannot open the management socket " + config_.control.management_socket);
}

Gateway::~Gateway() {
  Parts& p = *parts_;
  p.management.reset();
  p.proxy.reset();
  p.media.reset();
  p.backend.reset();
  p.transport.reset();
  p.media_relay.reset();  // QSBR readers go offline before the table goes
  p.table.reset();
  p.dataplane.reset();
  if (p.idle_ring) rte_ring_free(p.idle_ring);
}

void Gateway::run() {
  Parts& p = *parts_;
  spdlog::info("sipedge: {} interface(s), {} worker lcore(s){}, media timeout {} s", config_.control.interfaces.size(),
               p.dataplane->worker_count(), p.dataplane->shared_mode() ? " (sharing the control lcore)" : "",
               config_.control.media.timeout_s);
  p.dataplane->launch();
  p.dataplane->run_control(dataplane::ControlHook{&control_hook, this});
  p.dataplane->join();
  // No table->synchronize() here: the relay's readers are still online (the MediaRelay takes them
  // offline when it is destroyed), so waiting for their quiescent state would wait for ever. The
  // destructor tears the relay down before the table.
  const control::ProxyCounters& c = p.proxy->counters();
  spdlog::info("sipedge: stopped; {} requests, {} responses, {} calls started, {} answered, {} ended (one CDR each)",
               c.requests_in, c.responses_in, c.calls_started, c.calls_answered, c.calls_ended);
}

unsigned Gateway::drain_idle_reports(uint64_t now_tsc) {
  Parts& p = *parts_;
  relay::IdleReport reports[32];
  unsigned n = rte_ring_dequeue_burst_elem(p.idle_ring, reports, sizeof(relay::IdleReport), 32, nullptr);
  for (unsigned i = 0; i < n; ++i) {
    // A call ends only when both directions are silent: one side muting (silence suppression,
    // sendonly hold) is not a dead call.
    auto stats = p.table->flow_stats(reports[i].handle);
    if (!stats) continue;
    const relay::SideStats& other = stats->side[reports[i].side ^ 1];
    if (now_tsc - other.last_seen_tsc < p.media_timeout_tsc) continue;
    p.proxy->on_media_idle(control::RtpRelayBackend::handle_of(reports[i].handle));
  }
  return n;
}

unsigned Gateway::poll(uint64_t now_tsc) {
  Parts& p = *parts_;
  unsigned work = 0;
  dataplane::ControlIo& io = p.dataplane->control();
  dataplane::SipItem* items[32];
  const unsigned n = io.receive_sip(items);
  for (unsigned i = 0; i < n; ++i) {
    dataplane::SipItem* item = items[i];
    const Endpoint source{item->src, item->src_port};
    const Endpoint local{item->dst, item->dst_port};
    const control::Inbound in{item->msg, source, local, item->iface};
    if (item->scan.status == parser::ScanStatus::Complete)
      p.proxy->on_message(in);
    else
      p.proxy->on_malformed(in, item->scan.fault);
    io.release(item);
  }
  work += n;
  p.proxy->on_tick();

  const uint64_t hz = rte_get_tsc_hz();
  if (now_tsc >= next_sweep_tsc_) {
    next_sweep_tsc_ = now_tsc + hz * config_.idle_check_s;
    p.table->sweep_idle(now_tsc, p.media_timeout_tsc, p.idle_ring, 65536);
  }
  work += drain_idle_reports(now_tsc);
  if (now_tsc >= next_reclaim_tsc_) {
    next_reclaim_tsc_ = now_tsc + hz / 1000;
    p.table->reclaim();
  }
  work += p.management->poll();

  if (stop_requested_.load(std::memory_order_relaxed)) {
    if (!ending_) {
      ending_ = true;
      spdlog::info("sipedge: stopping, ending {} call(s) with BYE", p.proxy->calls().size());
      p.proxy->end_all_calls("gateway shutdown");
      end_deadline_tsc_ = now_tsc + hz / 2;  // let the BYEs (and ARP for them) leave
    } else if (now_tsc >= end_deadline_tsc_) {
      p.dataplane->stop();
    }
  }
  return work;
}

}  // namespace sipedge::apps
