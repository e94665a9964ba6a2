// apps/gateway/gateway.cc — main thread (startup, shutdown). Wiring only: which object gets which
// part of the configuration and which other objects; each control lcore (one per control shard)
// runs its ControlLoop::run.
#include "apps/gateway/gateway.h"

#include "apps/config_reload.h"

#include <pthread.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <sched.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <stdexcept>
#include <thread>

#include "common/clock.h"
#include "control/api/call_trace.h"
#include "control/api/cdr_writer.h"
#include "control/api/hep.h"
#include "control/api/logging.h"
#include "control/api/management_server.h"
#include "control/api/metrics.h"
#include "control/api/metrics_server.h"
#include "control/api/proxy_commands.h"
#include "control/media/media_manager.h"
#include "control/proxy/proxy.h"
#include "control/runtime/control_io.h"
#include "control/runtime/ban_mirror.h"
#include "control/runtime/control_loop.h"
#include "control/runtime/dataplane_view.h"
#include "control/runtime/offload_view.h"
#include "control/runtime/port_recovery.h"
#include "control/runtime/rtp_relay_backend.h"
#include "control/runtime/shard_set.h"
#include "control/security/edge_guards.h"
#include "control/runtime/sip_capture.h"
#include "control/sip_build.h"
#include "dataplane/dataplane.h"
#include "dataplane/media_relay.h"
#include "hw/drop_rules.h"
#include "hw/offload_manager.h"
#include "hw/probe.h"
#include "parser/policy_matcher.h"
#include "parser/scanner_hand.h"
#include "rtp_relay/flow_table.h"

namespace sipedge::apps {
namespace {

// Relay flows `sipedgectl flows` lists at most; the counts cover them all.
constexpr size_t kFlowsShown = 1000;

// {"level": trace|...|off, "component": name (none: all)}: the levels after the change.
nlohmann::json log_command(const nlohmann::json& request) {
  const std::string level = request.value("level", std::string());
  const std::string component = request.value("component", std::string());
  const spdlog::level::level_enum e = spdlog::level::from_str(level);
  if (level.empty() || (e == spdlog::level::off && level != "off"))
    return {{"error", "log needs {\"level\": trace|debug|info|warn|error|critical|off}"}};
  if (!logs::set_level(component, e))
    return {{"error", "no log component '" + component + "' (main, sip, security, overload, hw, ops)"}};
  logs::of(logs::Component::Main).info("sipedge: log level {} for {}", level, component.empty() ? "every component" : component);
  return {{"level", level}, {"component", component.empty() ? "all" : component}, {"levels", logs::levels()}};
}

// Compiles `rules` and gives every lane its matcher (at start, or live on reload); why not.
std::string install_policy(dataplane::Dataplane& dp, const std::vector<parser::PolicyRule>& rules) {
  if (rules.empty()) {
    dp.clear_policy();
    return {};
  }
  auto built = parser::PolicyRules::build(rules);
  if (!built) return "policy rule '" + built.error().rule + "': " + built.error().message;
  auto matcher = parser::PolicyMatcher::create(*built);
  if (!matcher) return "policy rules: " + matcher.error().rule + " " + matcher.error().message;
  return dp.set_policy(*built, *matcher);
}

// The [log] settings: every component's level, then the named ones', and the rate.
void apply_log_config(const GatewayConfig& c) {
  logs::set_level("", c.log_level);
  for (const auto& [name, level] : c.log_components) logs::set_level(name, level);
  logs::set_rate(c.log_lines_per_s);
}

// {"action": "start", "file", "call_id", "max_packets"} | {"action": "stop"} | {"action": "status"}.
nlohmann::json capture_command(control::SipCapture& capture, const nlohmann::json& request) {
  const std::string action = request.value("action", std::string("status"));
  if (action == "status") return capture.status();
  if (action == "stop") {
    nlohmann::json done = capture.stop();
    if (!done.contains("error"))
      logs::of(logs::Component::Ops).info("sipedge: capture to {} stopped, {} frame(s)", done["file"].get<std::string>(),
                                          done["packets"].get<uint64_t>());
    return done;
  }
  if (action != "start") return {{"error", "capture needs {\"action\": start|stop|status}"}};
  const auto file = request.find("file");
  if (file == request.end() || !file->is_string()) return {{"error", "capture start needs {\"file\": \"/absolute/path\"}"}};
  const auto call = request.find("call_id");
  const auto max = request.find("max_packets");
  const std::string why = capture.start(file->get<std::string>(), call != request.end() && call->is_string() ? call->get<std::string>() : "",
                                        max != request.end() && max->is_number_unsigned() ? max->get<uint64_t>() : 100000);
  if (!why.empty()) return {{"error", why}};
  logs::of(logs::Component::Ops).info("sipedge: capturing SIP to {}", file->get<std::string>());
  return capture.status();
}

// The EAL interrupt thread: a PMD says its port was reset (a VF whose PF reset it, a NIC that
// recovered from an error). The control lcore brings the port back at its next iteration.
int on_port_reset(uint16_t port_id, rte_eth_event_type, void* loop, void*) {
  static_cast<control::ControlLoop*>(loop)->request_port_reset(port_id);
  return 0;
}

// A control shard's lcore (shards 1..N-1; shard 0 runs on the main lcore).
int run_shard(void* loop) {
  static_cast<control::ControlLoop*>(loop)->run();
  return 0;
}

// The CPUs DPDK gives its own control threads: the process's CPUs that run no lcore (the main
// lcore's when every one does). Threads that are not lcores (the CDR writer, the metrics server)
// go there, instead of sharing the main lcore's CPU they were started from. Read from a control
// thread DPDK places itself; nullopt when it cannot start one.
std::optional<cpu_set_t> control_thread_cpus() {
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  pthread_t probe;
  auto read_own = [](void* out) -> void* {
    pthread_getaffinity_np(pthread_self(), sizeof(cpu_set_t), static_cast<cpu_set_t*>(out));
    return nullptr;
  };
  if (rte_ctrl_thread_create(&probe, "sipedge-cpus", nullptr, read_own, &cpus) != 0) return std::nullopt;
  pthread_join(probe, nullptr);
  if (CPU_COUNT(&cpus) == 0) return std::nullopt;
  return cpus;
}

// Moves a thread to `cpus`; a refusal (a container's narrower cpuset) leaves it where it was.
void place(std::thread::native_handle_type thread, const std::optional<cpu_set_t>& cpus) {
  if (cpus) pthread_setaffinity_np(thread, sizeof(cpu_set_t), &*cpus);
}

}  // namespace

// One control shard (issue 14 §2): its calls, transactions, timers and media sessions, and, with
// several shards, its locked ways to what they share (control/runtime/shard_set.h).
struct Gateway::Shard {
  // The time its Proxy and ladder read, refreshed by its loop per message (first: they refer to it).
  std::unique_ptr<CachedClock> clock;
  // Its own taps, outside the shards' lock: the ladder of its calls, and HEP export from a socket
  // of its own. Before the transport, which shows them what it sent (and goes first).
  std::unique_ptr<control::CallTrace> trace;
  std::unique_ptr<control::HepExporter> hep;
  control::SipTapList taps;
  // Several shards: shards past the first send on TX queues of their own where every port has
  // them (lane), otherwise, like the first, through the shared ControlIo under the lock.
  std::unique_ptr<control::ShardTransport> transport;
  std::unique_ptr<control::ShardLane> lane;
  std::unique_ptr<control::ShardBackend> backend;
  std::unique_ptr<control::ShardPeers> peers;
  std::unique_ptr<control::MediaManager> media;
  std::unique_ptr<control::Proxy> proxy;
  std::unique_ptr<control::ControlLoop> loop;
};

struct Gateway::Parts {
  parser::HandScanner scanner;
  SystemClock clock;
  std::unique_ptr<relay::FlowTable> table;
  std::unique_ptr<dataplane::Dataplane> dataplane;
  std::unique_ptr<dataplane::MediaRelay> media_relay;
  std::unique_ptr<control::ControlIo> io;
  std::unique_ptr<control::RtpRelayBackend> backend;
  std::unique_ptr<control::ShardSet> shard_set;  // none with one control shard
  std::unique_ptr<control::EdgeGuards> guards;   // the shards' common bans, lockout, rate limits
  std::unique_ptr<control::CdrWriter> cdr;        // the shards' CDR lines, written off their lcores
  std::vector<std::unique_ptr<Shard>> shards;
  hw::RteFlowOps flow_ops;
  std::unique_ptr<hw::DropRules> nic_drops;
  std::unique_ptr<hw::OffloadManager> media_rules;  // none when no port takes media rules, or [hw] offload = "off"
  std::unique_ptr<control::BanMirror> ban_mirror;
  std::unique_ptr<control::ShardBanSink> ban_sink;  // several shards: the mirror, under their lock
  std::unique_ptr<control::ManagementServer> management;
  std::unique_ptr<control::MetricsServer> metrics;
  std::unique_ptr<control::SipCapture> capture;
  std::vector<hw::PortOffload> offload;  // [interface index]
  std::unique_ptr<control::PortRecovery> port_recovery;
  std::vector<uint16_t> reset_events;  // ports whose RTE_ETH_EVENT_INTR_RESET reaches on_port_reset
};

Gateway::Gateway(GatewayConfig config, std::string config_path)
    : config_(std::move(config)), config_path_(std::move(config_path)), parts_(std::make_unique<Parts>()) {
  Parts& p = *parts_;
  apply_log_config(config_);
  const uint64_t hz = rte_get_tsc_hz();
  relay::FlowTableConfig tc;
  tc.name = "sipedge";
  tc.ipv4_flows = config_.relay_flows;
  tc.ipv6_flows = std::max<uint32_t>(config_.relay_flows / 4, 64);
  auto table = relay::FlowTable::create(tc);
  if (!table) throw std::runtime_error("cannot create the relay flow table: " + std::string(relay::flow_error_name(table.error())));
  p.table = std::move(*table);

  const dataplane::DataplaneConfig& dc = config_.dataplane;
  p.dataplane = std::make_unique<dataplane::Dataplane>(dc, p.scanner);
  p.media_relay = std::make_unique<dataplane::MediaRelay>(*p.table, p.dataplane->shared(), p.dataplane->media_lanes());
  p.dataplane->set_media_handler(p.media_relay->handler());
  // Signature rules run in every lane (DESIGN §3 edge security); the config loader checked each.
  if (const std::string why = install_policy(*p.dataplane, config_.control.security.policy_rules); !why.empty())
    throw std::runtime_error(why);

  std::vector<uint16_t> sip_ports;
  std::vector<control::RtpRelayBackend::Interface> relay_ifaces;
  for (const control::InterfaceConfig& i : config_.control.interfaces) {
    sip_ports.push_back(i.sip_port);
    relay_ifaces.push_back(control::RtpRelayBackend::interface_for(i, config_.control.media, p.dataplane->iface(i.index).port_id));
  }
  // What each started port takes of rte_flow, towards the next interface's port (DESIGN §5).
  const size_t n_ifaces = config_.control.interfaces.size();
  for (size_t i = 0; i < n_ifaces; ++i) {
    const control::InterfaceConfig& in = config_.control.interfaces[i];
    const control::InterfaceConfig& out = config_.control.interfaces[(i + 1) % n_ifaces];
    p.offload.push_back(hw::probe_port(p.flow_ops, p.dataplane->iface(in.index).port_id, p.dataplane->iface(out.index).port_id,
                                       in.sip_port, 0, static_cast<uint32_t>(config_.max_media_rules)));
  }
  control::NeighbourTable::Config nb;
  nb.reachable_tsc = hz * dc.neighbour_reachable_s;
  nb.retrans_tsc = hz / 1000 * dc.neighbour_retrans_ms;
  nb.max_probes = dc.neighbour_max_probes;
  nb.hold_limit = dc.neighbour_hold_packets;
  p.io = std::make_unique<control::ControlIo>(p.dataplane->shared(), p.dataplane->control_counters(), nb, sip_ports);
  p.backend = std::make_unique<control::RtpRelayBackend>(*p.table, relay_ifaces, *p.io);
  p.io->set_on_resolved([backend = p.backend.get()](uint16_t iface, const IpAddr& hop, bool moved) {
    backend->neighbour_resolved(iface, hop, moved);
  });
  if (auto missing = hw::required_offload_missing(config_.offload, p.offload)) throw std::runtime_error(*missing);
  std::vector<hw::OffloadManager::Port> media_ports;
  for (size_t i = 0; i < n_ifaces; ++i) {
    const dataplane::Interface& di = p.dataplane->iface(config_.control.interfaces[i].index);
    media_ports.push_back({di.port_id, di.vlan, p.offload[i].media, p.offload[i].async_ops});
  }
  const bool any_media = std::any_of(p.offload.begin(), p.offload.end(), [](const hw::PortOffload& o) { return o.media.has_value(); });
  if (config_.offload != hw::OffloadMode::Off && any_media) {
    hw::OffloadManager::Config oc;
    oc.mode = config_.offload;
    oc.max_rules = config_.max_media_rules;
    oc.idle_s = config_.control.media.timeout_s;
    p.media_rules = std::make_unique<hw::OffloadManager>(p.flow_ops, oc, std::move(media_ports), [] {
      return static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
    });
    // The control loop places waiting flows once a millisecond.
    p.backend->set_offload(p.media_rules.get(), std::max<uint32_t>(config_.rule_insert_rate / 1000, 1));
  }
  // Control shards: every one gets the same route-token and nonce secrets and the workers' map, its
  // own slice of the relay ports, and (with several) locked ways to the parts they share.
  const dataplane::SharedState& shared = p.dataplane->shared();
  const unsigned n_shards = shared.n_shards;
  for (unsigned lcore : config_.dataplane.eal.shard_lcores)
    if (!rte_lcore_is_enabled(lcore)) throw std::runtime_error("eal.shard_lcores: lcore " + std::to_string(lcore) + " is not enabled");
  if (n_shards > 1) {
    p.shard_set = std::make_unique<control::ShardSet>(n_shards);
    p.guards = std::make_unique<control::EdgeGuards>(config_.control);
  }
  // Shared secrets; each shard keys its own RouteToken from them (a token's hash state is one
  // thread's: copies of one RouteToken would share it).
  std::string token_secret, nonce_secret;
  for (int i = 0; i < 4; ++i) token_secret += control::new_tag();
  if (n_shards > 1)
    for (int i = 0; i < 4; ++i) nonce_secret += control::new_tag();
  const std::optional<cpu_set_t> housekeeping = control_thread_cpus();
  if (!config_.control.cdr_path.empty()) {
    p.cdr = std::make_unique<control::CdrWriter>(config_.control.cdr_path);
    place(p.cdr->thread_handle(), housekeeping);
  }
  for (unsigned s = 0; s < n_shards; ++s) {
    auto shard = std::make_unique<Shard>();
    shard->clock = std::make_unique<CachedClock>(p.clock);
    control::SipTransport* transport = p.io.get();
    control::FlowBackend* backend = p.backend.get();
    if (p.shard_set) {
      if (control::ShardLane::available(shared, s)) {
        shard->lane = std::make_unique<control::ShardLane>(*p.shard_set, *p.io, s, p.dataplane->shard_counters(s));
        transport = shard->lane.get();
      } else {
        shard->transport = std::make_unique<control::ShardTransport>(*p.shard_set, *p.io);
        transport = shard->transport.get();
      }
      shard->backend = std::make_unique<control::ShardBackend>(*p.shard_set, *p.backend, s);
      backend = shard->backend.get();
    }
    shard->media = std::make_unique<control::MediaManager>(config_.control, *backend, control::MediaPortSlice{s, n_shards});
    shard->proxy = std::make_unique<control::Proxy>(config_.control, *transport, *shard->media, *shard->clock, p.scanner,
                                                    control::RouteToken(token_secret),
                                                    control::ShardPlace{shared.shard_map, s, nonce_secret, p.guards.get(), p.shard_set.get()});
    if (p.cdr) shard->proxy->set_cdr_sink([cdr = p.cdr.get()](const std::string& line) { cdr->write(line); });
    if (p.shard_set) {
      shard->peers = std::make_unique<control::ShardPeers>(*p.shard_set, s);
      shard->proxy->location().set_peers(shard->peers.get(), static_cast<uint8_t>(s), p.clock);
    }
    p.shards.push_back(std::move(shard));
  }
  std::vector<uint16_t> drop_ports;
  for (const hw::PortOffload& o : p.offload)
    if (o.drop && config_.nic_drop_rules) drop_ports.push_back(o.port_id);
  p.nic_drops = std::make_unique<hw::DropRules>(p.flow_ops, drop_ports, config_.max_drop_rules);
  p.ban_mirror = std::make_unique<control::BanMirror>(p.dataplane->bans(), hz, p.nic_drops.get());
  // Several shards: one BanList for all of them (EdgeGuards), reaching the mirror under the lock.
  if (p.shard_set) p.ban_sink = std::make_unique<control::ShardBanSink>(*p.shard_set, *p.ban_mirror);
  p.shards.front()->proxy->bans().set_sink(p.ban_sink ? static_cast<control::BanSink*>(p.ban_sink.get()) : p.ban_mirror.get());

  p.capture = std::make_unique<control::SipCapture>(p.dataplane->shared());
  p.port_recovery = std::make_unique<control::PortRecovery>(*p.dataplane, p.media_rules.get(), p.nic_drops.get());
  if (!config_.control.management_socket.empty()) {
    p.management = std::make_unique<control::ManagementServer>(p.clock);
    std::vector<control::CommandSet> per_shard;
    for (auto& shard : p.shards) per_shard.push_back(control::proxy_commands(*shard->proxy, *shard->media, config_.control, p.clock));
    control::CommandSet commands =
        per_shard.size() == 1 ? std::move(per_shard.front()) : control::sharded_commands(std::move(per_shard));
    commands.names.push_back("dataplane");
    commands.names.push_back("hw");
    commands.names.push_back("policy");
    commands.names.push_back("reload");
    commands.names.push_back("ladder");
    commands.names.push_back("log");
    commands.names.push_back("capture");
    commands.names.push_back("reset-port");
    p.management->set_handler(
        [&p, this, proxy_handler = std::move(commands.handler)](const std::string& cmd, const nlohmann::json& request) {
          const control::PauseOthers still(p.shard_set.get());
          if (cmd == "dataplane") return control::dataplane_view(config_.control.interfaces, *p.dataplane, *p.media_relay, *p.table);
          if (cmd == "reset-port") {
            const auto name = request.find("interface");
            for (const control::InterfaceConfig& i : config_.control.interfaces) {
              if (name == request.end() || !name->is_string() || *name != i.name) continue;
              nlohmann::json v = p.port_recovery->recover(i.index);
              v["interface"] = i.name;
              return v;
            }
            return nlohmann::json{{"error", "reset-port needs {\"interface\": NAME} naming a configured interface"}};
          }
          if (cmd == "hw") {
            nlohmann::json v = control::offload_view(config_.control.interfaces, p.offload);
            v["port_resets"] = p.port_recovery->view();
            v["media_rules"] = control::media_rules_view(p.media_rules.get(), config_.offload, config_.max_media_rules,
                                                         p.backend->offload_waiting());
            return v;
          }
          if (cmd == "stats") {
            nlohmann::json v = proxy_handler(cmd, request);
            v["hw_media_rules"] = control::media_rules_view(p.media_rules.get(), config_.offload, config_.max_media_rules,
                                                            p.backend->offload_waiting());
            return v;
          }
          if (cmd == "flows") {
            nlohmann::json v = proxy_handler(cmd, request);
            v["relay"] = control::relay_flows_view(*p.table, *p.backend, kFlowsShown);
            return v;
          }
          if (cmd == "ladder") {
            const auto c = request.find("call_id");
            if (c == request.end() || !c->is_string()) return nlohmann::json{{"error", "ladder needs {\"call_id\": \"...\"}"}};
            // A call's messages are all on its shard: the first shard that traced the Call-ID.
            nlohmann::json ladder;
            for (const auto& shard : p.shards)
              if (!(ladder = shard->trace->ladder(c->get<std::string>())).contains("error")) break;
            return ladder;
          }
          if (cmd == "log") return log_command(request);
          if (cmd == "capture") return capture_command(*p.capture, request);
          if (cmd == "reload") {
            const std::string why = reload();
            if (!why.empty()) return nlohmann::json{{"error", why}};
            return nlohmann::json{{"reloaded", config_path_}};
          }
          if (cmd == "policy") {
            nlohmann::json v = control::policy_view(config_.control.security.policy_rules, config_.control.interfaces, *p.dataplane);
            v["ban_table"]["full"] = p.ban_mirror->table_full();
            v["nic_drop_rules"] = {{"enabled", p.nic_drops->enabled()},
                                   {"addresses", p.nic_drops->addresses()},
                                   {"refused", p.nic_drops->refused()},
                                   {"over_budget", p.nic_drops->over_budget()},
                                   {"last_refusal", p.nic_drops->last_refusal()}};
            return v;
          }
          return proxy_handler(cmd, request);
        },
        commands.names);
    if (!p.management->open(config_.control.management_socket))
      throw std::runtime_error("cannot open the management socket " + config_.control.management_socket + ": " +
                               p.management->error());
  }

  p.io->set_frame_tap(p.capture.get());
  // Every SIP message received and sent passes its shard's taps: the ladder ring, then HEP export.
  for (auto& shard : p.shards) {
    shard->trace = std::make_unique<control::CallTrace>(config_.control.trace_calls, config_.control.interfaces, *shard->clock);
    shard->taps.add(shard->trace.get());
    if (config_.control.hep.collector.port != 0) {
      shard->hep = std::make_unique<control::HepExporter>(config_.control.hep, config_.control.interfaces);
      if (!shard->hep->open())
        throw std::runtime_error("HEP export to " + config_.control.hep.collector.to_string() + ": " + shard->hep->error());
      shard->taps.add(shard->hep.get());
    }
    if (shard->lane)
      shard->lane->set_tap(&shard->taps);
    else if (shard->transport)
      shard->transport->set_tap(&shard->taps);
    else
      p.io->set_tap(&shard->taps);
  }
  if (!config_.control.metrics_listen.empty()) {
    p.metrics = std::make_unique<control::MetricsServer>([&p, this] {
      const control::PauseOthers still(p.shard_set.get());
      control::PromText out;
      std::vector<const control::Proxy*> proxies;
      std::vector<const control::MediaManager*> managers;
      control::LatencyHistogram sip_wait{control::kMessageBoundsUs}, sip_work{control::kMessageBoundsUs};
      for (const auto& shard : p.shards) {
        proxies.push_back(shard->proxy.get());
        managers.push_back(shard->media.get());
        sip_wait.add(shard->loop->sip_wait());
        sip_work.add(shard->loop->sip_work());
      }
      control::control_metrics(out, proxies, managers, p.clock.monotonic_ms());
      control::dataplane_metrics(out, config_.control.interfaces, *p.dataplane, *p.media_relay, *p.table,
                                 config_.control.security.policy_rules);
      out.family("sipedge_sip_message_seconds", "histogram",
                 "Per SIP message received: its wait between the lane and the control lcore (part wait), and "
                 "the control lcore's time on it (part work).");
      out.histogram("sipedge_sip_message_seconds", control::label("part", "wait"), sip_wait);
      out.histogram("sipedge_sip_message_seconds", control::label("part", "work"), sip_work);
      out.family("sipedge_control_busy_seconds_total", "counter",
                 "Per control shard: time in loop iterations that did work (messages, timers, media, management), "
                 "not polling empty queues. Its rate over calls per second is the lcore's time per call.");
      const double tsc_hz = static_cast<double>(rte_get_tsc_hz());
      for (size_t i = 0; i < p.shards.size(); ++i)
        out.sample("sipedge_control_busy_seconds_total", control::label("shard", std::to_string(i)),
                   static_cast<double>(p.shards[i]->loop->busy_tsc()) / tsc_hz);
      if (p.media_rules) {
        const hw::OffloadManager::Stats& st = p.media_rules->stats();
        out.family("sipedge_hw_media_rules", "gauge",
                   "Media rules on the NIC, and on async ports those queued for it (nic-pending).");
        out.sample("sipedge_hw_media_rules", "", static_cast<uint64_t>(p.media_rules->rules()));
        out.family("sipedge_hw_media_async_ops", "gauge", "Rule operations queued on async ports, results not pulled yet.");
        out.sample("sipedge_hw_media_async_ops", "", static_cast<uint64_t>(p.media_rules->ops_in_flight()));
        out.family("sipedge_hw_media_rules_installed_total", "counter", "Media rules put on the NIC, swaps included.");
        out.sample("sipedge_hw_media_rules_installed_total", "", st.installed);
        out.family("sipedge_hw_media_software_total", "counter", "Media directions kept in software, by reason.");
        for (size_t r = 0; r < st.software.size(); ++r)
          out.sample("sipedge_hw_media_software_total",
                     std::string("reason=\"") + hw::software_reason_name(static_cast<hw::SoftwareReason>(r)) + "\"",
                     st.software[r]);
      }
      out.family("sipedge_hw_port_resets_total", "counter",
                 "NIC port resets (the PMD's event or sipedgectl reset-port), by whether the port came back.");
      out.sample("sipedge_hw_port_resets_total", control::label("result", "done"), p.port_recovery->done());
      out.sample("sipedge_hw_port_resets_total", control::label("result", "failed"), p.port_recovery->failed());
      if (p.shards.front()->hep) {
        uint64_t exported = 0, dropped = 0;
        for (const auto& shard : p.shards) {
          exported += shard->hep->exported();
          dropped += shard->hep->dropped();
        }
        out.family("sipedge_hep_exported_total", "counter", "SIP messages sent to the HEP collector.");
        out.sample("sipedge_hep_exported_total", "", exported);
        out.family("sipedge_hep_dropped_total", "counter", "SIP messages the HEP sockets could not take.");
        out.sample("sipedge_hep_dropped_total", "", dropped);
      }
      if (p.cdr) {
        const control::CdrWriter::Stats cs = p.cdr->stats();
        out.family("sipedge_cdr_lines_total", "counter",
                   "CDR lines written to the file, and dropped because the backlog waiting for the disk was full.");
        out.sample("sipedge_cdr_lines_total", control::label("result", "written"), cs.lines_written);
        out.sample("sipedge_cdr_lines_total", control::label("result", "dropped"), cs.lines_dropped);
        out.family("sipedge_cdr_write_errors_total", "counter", "Failed writes to the CDR file; their lines wait and are retried.");
        out.sample("sipedge_cdr_write_errors_total", "", cs.write_errors);
        out.family("sipedge_cdr_backlog_bytes", "gauge", "CDR bytes handed to the writer and not in the file yet.");
        out.sample("sipedge_cdr_backlog_bytes", "", static_cast<uint64_t>(cs.backlog_bytes));
      }
      return out.take();
    });
    if (!p.metrics->open(config_.control.metrics_listen))
      throw std::runtime_error("cannot serve metrics on " + config_.control.metrics_listen + ": " + p.metrics->error());
    place(p.metrics->thread_handle(), housekeeping);
  }

  control::ControlLoop::Timing timing;
  timing.idle_check_tsc = hz * config_.idle_check_s;
  timing.media_timeout_tsc = hz * config_.control.media.timeout_s;
  timing.shutdown_grace_tsc = hz / 2;
  timing.idle = dc.idle;
  // Out of overload once bursts wait a quarter of what put it in (hysteresis).
  timing.overload_enter_tsc = hz / 1000 * config_.overload_wait_ms;
  timing.overload_leave_tsc = timing.overload_enter_tsc / 4;
  // ... or once half the ring waits (SIP items run out at about a full ring, and then the dataplane
  // drops unseen); off below a sixteenth.
  timing.overload_enter_backlog = p.io->sip_ring_capacity() / 2;
  timing.overload_leave_backlog = p.io->sip_ring_capacity() / 16;
  // Shard 0 does the process-wide work too (control_loop.h); the others their own ring and calls.
  for (unsigned s = 0; s < p.shards.size(); ++s) {
    control::ControlLoop::Parts parts{*p.dataplane, *p.io, *p.shards[s]->proxy, *p.table};
    parts.tap = &p.shards[s]->taps;
    parts.capture = p.capture.get();
    parts.shard = s;
    parts.shards = p.shard_set.get();
    parts.lane = p.shards[s]->lane.get();
    parts.clock = p.shards[s]->clock.get();
    if (s == 0) {
      parts.management = p.management.get();
      parts.metrics = p.metrics.get();
      parts.reload = [this] {
        const std::string why = reload();
        if (why.empty())
          logs::of(logs::Component::Main).info("sipedge: configuration reloaded from {}", config_path_);
        else
          logs::of(logs::Component::Main).error("sipedge: reload refused: {}", why);
      };
      parts.offload = p.media_rules ? p.backend.get() : nullptr;
      parts.relay = p.backend.get();
      parts.port_reset = [&p](uint16_t port_id) { p.port_recovery->recover_port(port_id); };
    }
    p.shards[s]->loop = std::make_unique<control::ControlLoop>(std::move(parts), timing);
  }
  for (const control::InterfaceConfig& i : config_.control.interfaces) {
    const uint16_t port_id = p.dataplane->iface(i.index).port_id;
    if (rte_eth_dev_callback_register(port_id, RTE_ETH_EVENT_INTR_RESET, on_port_reset, p.shards[0]->loop.get()) == 0)
      p.reset_events.push_back(port_id);
  }
}

Gateway::~Gateway() {
  Parts& p = *parts_;
  for (uint16_t port_id : p.reset_events)
    rte_eth_dev_callback_unregister(port_id, RTE_ETH_EVENT_INTR_RESET, on_port_reset, p.shards[0]->loop.get());
  for (auto& shard : p.shards) shard->loop.reset();
  p.port_recovery.reset();
  p.metrics.reset();
  if (p.io) p.io->set_tap(nullptr);
  p.management.reset();
  if (p.io) p.io->set_frame_tap(nullptr);
  p.capture.reset();  // closes a running capture's file
  for (auto& shard : p.shards) shard->proxy.reset();
  p.cdr.reset();  // after the proxies: the lines of calls they ended on the way out are written
  p.guards.reset();
  p.ban_sink.reset();
  p.ban_mirror.reset();
  p.nic_drops.reset();  // rules off the ports before they stop
  for (auto& shard : p.shards) shard->media.reset();
  p.shards.clear();
  p.shard_set.reset();
  p.backend.reset();
  p.media_rules.reset();  // media rules off the ports before they stop
  p.io.reset();
  p.media_relay.reset();  // QSBR readers go offline before the table goes
  p.table.reset();
  p.dataplane.reset();
}

void Gateway::request_stop() noexcept {
  for (auto& shard : parts_->shards) shard->loop->request_stop();
}

void Gateway::request_reload() noexcept { parts_->shards[0]->loop->request_reload(); }

std::string Gateway::reload() {
  if (config_path_.empty()) return "no configuration file to reload from";
  GatewayConfig next;
  try {
    next = load_config_file(config_path_);
  } catch (const ConfigError& e) {
    return std::string(e.what()) + " (the running configuration stays)";
  }
  if (auto change = restart_only_change(config_, next))
    return "needs a restart: " + *change + " (the running configuration stays)";
  // The lanes' rules first: the one step that can still fail, before anything else changed.
  if (config_.control.security.policy_rules != next.control.security.policy_rules) {
    if (const std::string why = install_policy(*parts_->dataplane, next.control.security.policy_rules); !why.empty())
      return why + " (the running configuration stays)";
  }
  apply_reloadable(config_, next);
  apply_log_config(config_);
  for (auto& shard : parts_->shards) shard->proxy->reconfigure();
  return {};
}

void Gateway::run() {
  Parts& p = *parts_;
  logs::of(logs::Component::Main).info("sipedge: {} interface(s), {} worker lcore(s){}, media timeout {} s", config_.control.interfaces.size(),
               p.dataplane->worker_count(), p.dataplane->shared_mode() ? " (sharing the control lcore)" : "",
               config_.control.media.timeout_s);
  for (const hw::PortOffload& o : p.offload) logs::of(logs::Component::Main).info("sipedge: offload {}", hw::describe(o));
  for (const control::InterfaceConfig& i : config_.control.interfaces) {
    const dataplane::Interface& ifc = p.dataplane->iface(i.index);
    if (ifc.tx_ipv4_checksum || ifc.tx_udp_checksum)
      logs::of(logs::Component::Main).info("sipedge: interface {}: the NIC computes the {} checksums of SIP sent", i.name,
                                           ifc.tx_ipv4_checksum && ifc.tx_udp_checksum ? "IPv4 and UDP"
                                           : ifc.tx_udp_checksum                       ? "UDP"
                                                                                       : "IPv4 header");
  }
  if (p.shards.size() > 1)
    logs::of(logs::Component::Main).info(
        "sipedge: {} control shards; {}", p.shards.size(),
        p.shards[1]->lane ? "each past the first sends on TX queues of its own"
                          : "they send through one control TX queue per port under their lock (the ports have too few TX queues for one each)");
  p.dataplane->launch();
  const std::vector<unsigned>& shard_lcores = config_.dataplane.eal.shard_lcores;
  std::vector<unsigned> launched;
  for (size_t s = 1; s < p.shards.size(); ++s) {
    if (rte_eal_remote_launch(run_shard, p.shards[s]->loop.get(), shard_lcores[s - 1]) == 0) {
      launched.push_back(shard_lcores[s - 1]);
    } else {
      // Its calls would never be served: stop now rather than run with a dead shard.
      logs::of(logs::Component::Main).error("sipedge: cannot launch control shard {} on lcore {}", s, shard_lcores[s - 1]);
      request_stop();
      p.shard_set->finished(static_cast<unsigned>(s));
    }
  }
  p.shards[0]->loop->run();
  for (unsigned lcore : launched) rte_eal_wait_lcore(lcore);
  p.dataplane->join();
  // No table->synchronize() here: the relay's readers are still online (the MediaRelay takes them
  // offline when it is destroyed), so waiting for their quiescent state would wait for ever. The
  // destructor tears the relay down before the table.
  control::ProxyCounters c;
  for (const auto& shard : p.shards) {
    const control::ProxyCounters& sc = shard->proxy->counters();
    c.requests_in += sc.requests_in;
    c.responses_in += sc.responses_in;
    c.calls_started += sc.calls_started;
    c.calls_answered += sc.calls_answered;
    c.calls_ended += sc.calls_ended;
  }
  logs::of(logs::Component::Main).info("sipedge: stopped; {} requests, {} responses, {} calls started, {} answered, {} ended (one CDR each), {} control shard(s)",
               c.requests_in, c.responses_in, c.calls_started, c.calls_answered, c.calls_ended, p.shards.size());
}

}  // namespace sipedge::apps
