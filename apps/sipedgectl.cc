// apps/sipedgectl.cc — operator CLI, its own short-lived process. Sends one request to the gateway's
// management socket (control/api/management_server.h) and prints the answer as a table or raw JSON.
// Never waits more than 2 s. Exit: 0 answered, 1 the gateway answered with an error, 2 no answer.
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

namespace {

using nlohmann::json;

constexpr int kExitOk = 0;
constexpr int kExitGatewayError = 1;
constexpr int kExitUnreachable = 2;
constexpr int kExitUsage = 64;  // sysexits EX_USAGE, apart from the three answers above
constexpr int kTimeoutMs = 2000;

struct Failure {
  int code;
  std::string message;
};

std::string errno_text(int err) {
  return err == EAGAIN || err == EINPROGRESS || err == ETIMEDOUT ? "timed out" : std::strerror(err);
}

// Sends `request` and returns the gateway's answer line. Throws Failure.
std::string ask(const std::string& path, const std::string& request) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kTimeoutMs);
  const auto unreachable = [&](const std::string& why) {
    return Failure{kExitUnreachable, "cannot connect to sipedge at " + path + ": " + why};
  };
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path) throw unreachable("socket path empty or too long");
  std::memcpy(addr.sun_path, path.data(), path.size());

  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw unreachable(errno_text(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  // A Unix-socket connect waits (up to SO_SNDTIMEO) only while the gateway's backlog is full.
  const timeval tv{kTimeoutMs / 1000, (kTimeoutMs % 1000) * 1000};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) throw unreachable(errno_text(errno));

  const std::string line = request + "\n";
  for (size_t sent = 0; sent < line.size();) {
    const ssize_t n = ::send(fd, line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw Failure{kExitUnreachable, "sending to sipedge at " + path + " failed: " + errno_text(errno)};
    sent += static_cast<size_t>(n);
  }

  std::string answer;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    const int ready = left.count() > 0 ? ::poll(&p, 1, static_cast<int>(left.count())) : 0;
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {
      throw Failure{kExitUnreachable, fmt::format("no answer from sipedge at {} within {} s", path, kTimeoutMs / 1000)};
    }
    char buf[65536];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Failure{kExitUnreachable, "reading from sipedge at " + path + " failed: " + errno_text(errno)};
    if (n == 0) break;
    answer.append(buf, static_cast<size_t>(n));
    if (answer.back() == '\n') break;
  }
  while (!answer.empty() && (answer.back() == '\n' || answer.back() == '\r')) answer.pop_back();
  if (answer.empty()) throw Failure{kExitUnreachable, "sipedge at " + path + " closed the connection without an answer"};
  return answer;
}

// A cell: strings as they are, numbers as JSON writes them, booleans yes/no, absent "-".
std::string cell(const json& j, const char* key) {
  if (!j.is_object()) return "-";
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "-";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_boolean()) return it->get<bool>() ? "yes" : "no";
  return it->dump();
}

void print_table(const std::vector<std::string>& head, const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(head.size());
  for (size_t i = 0; i < head.size(); ++i) width[i] = head[i].size();
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size() && i < width.size(); ++i) width[i] = std::max(width[i], r[i].size());
  const auto line = [&](const std::vector<std::string>& r) {
    std::string out;
    for (size_t i = 0; i < r.size(); ++i) {
      if (i + 1 == r.size()) {
        out += r[i];
      } else {
        out += fmt::format("{:<{}}  ", r[i], width[i]);
      }
    }
    fmt::print("{}\n", out);
  };
  line(head);
  for (const auto& r : rows) line(r);
}

uint64_t number(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number_unsigned() ? it->get<uint64_t>() : 0;
}

std::string age(uint64_t since_ms) {
  if (since_ms == 0) return "-";
  const auto now = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  return fmt::format("{}s", now > since_ms ? (now - since_ms) / 1000 : 0);
}

const json& list_of(const json& answer, const char* key) {
  static const json kEmpty = json::array();
  const auto it = answer.find(key);
  return it != answer.end() && it->is_array() ? *it : kEmpty;
}

void print_calls(const json& a) {
  std::vector<std::vector<std::string>> rows;
  for (const json& c : list_of(a, "calls")) {
    const json& caller = c.value("caller", json::object());
    const json& callee = c.value("callee", json::object());
    const json& media = c.value("media", json::object());
    rows.push_back({cell(c, "call_id"), cell(c, "state"), cell(c, "from"), cell(c, "to"), cell(caller, "peer"),
                    cell(callee, "peer"), age(number(c, "start_ms")), age(number(c, "answer_ms")),
                    cell(media, "packets_caller_to_callee"), cell(media, "packets_callee_to_caller")});
  }
  print_table({"CALL-ID", "STATE", "FROM", "TO", "CALLER", "CALLEE", "AGE", "TALKING", "PKTS>", "PKTS<"}, rows);
  fmt::print("{} call(s)\n", rows.size());
}

void print_registrations(const json& a) {
  std::vector<std::vector<std::string>> rows;
  for (const json& r : list_of(a, "registrations")) {
    rows.push_back({cell(r, "aor"), cell(r, "contact"), cell(r, "received"), cell(r, "behind_nat"),
                    cell(r, "expires_in_s") + "s", cell(r, "user_agent")});
  }
  print_table({"AOR", "CONTACT", "RECEIVED", "NAT", "EXPIRES", "USER-AGENT"}, rows);
  fmt::print("{} registration(s)\n", rows.size());
}

void print_ladder(const json& a) {
  for (const json& m : list_of(a, "messages")) {
    const uint64_t ms = m.value("time_ms", uint64_t{0});
    const time_t secs = static_cast<time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    fmt::print("{:02}:{:02}:{:02}.{:03}  {:>22} -> {:<22}  {}{}\n", tm.tm_hour, tm.tm_min, tm.tm_sec, ms % 1000,
               cell(m, "from"), cell(m, "to"), cell(m, "line"), m.value("sdp", false) ? "  (SDP)" : "");
  }
  fmt::print("{} message(s) of {} (UTC)\n", list_of(a, "messages").size(), cell(a, "call_id"));
}

void print_bans(const json& a) {
  std::vector<std::vector<std::string>> rows;
  for (const json& b : list_of(a, "bans")) {
    rows.push_back({cell(b, "addr"), cell(b, "reason"), cell(b, "offence"), cell(b, "banned_for_s") + "s",
                    cell(b, "expires_in_s") + "s"});
  }
  print_table({"ADDRESS", "REASON", "OFFENCE", "BANNED FOR", "EXPIRES"}, rows);
  const json l = a.contains("lockout") ? a["lockout"] : json::object();
  fmt::print("{} ban(s); lockout {}: {} failed attempts, {} lockouts, {} user(s) throttled now\n", rows.size(),
             cell(l, "enabled") == "true" ? "on" : "off", cell(l, "failures_total"), cell(l, "lockouts_total"),
             cell(l, "throttled_users"));
}

void print_policy(const json& a) {
  std::vector<std::vector<std::string>> rows;
  for (const json& r : list_of(a, "rules")) {
    rows.push_back({cell(r, "id"), cell(r, "name"), cell(r, "header"), cell(r, "pattern"), cell(r, "action"), cell(r, "hits")});
  }
  print_table({"ID", "RULE", "HEADER", "PATTERN", "ACTION", "HITS"}, rows);
  fmt::print("{} rule(s); {} message(s) dropped by rules, {} from banned sources\n", rows.size(), cell(a, "dropped"),
             cell(a, "banned_dropped"));
}

void print_transactions(const json& a) {
  std::vector<std::vector<std::string>> rows;
  for (const json& t : list_of(a, "transactions")) {
    rows.push_back({cell(t, "id"), cell(t, "kind"), cell(t, "state"), cell(t, "method"), cell(t, "branch")});
  }
  print_table({"ID", "KIND", "STATE", "METHOD", "BRANCH"}, rows);
  fmt::print("{} transaction(s): {} server, {} client\n", cell(a, "count"), cell(a, "servers"), cell(a, "clients"));
}

// Nested objects flatten to dotted names: {"proxy":{"requests_in":3}} -> "proxy.requests_in 3";
// array elements are named by their "name" member, else their index: "interfaces.access.drops.x".
void flatten(const json& j, const std::string& prefix, std::vector<std::vector<std::string>>& rows) {
  const auto join = [&](const std::string& key) { return prefix.empty() ? key : prefix + "." + key; };
  if (j.is_object() && !j.empty()) {
    for (const auto& [key, value] : j.items()) flatten(value, join(key), rows);
    return;
  }
  if (j.is_array() && !j.empty()) {
    for (size_t i = 0; i < j.size(); ++i) {
      const json& e = j[i];
      const bool named = e.is_object() && e.contains("name") && e["name"].is_string();
      if (!named) {
        flatten(e, join(std::to_string(i)), rows);
        continue;
      }
      json rest = e;
      rest.erase("name");
      flatten(rest, join(e["name"].get<std::string>()), rows);
    }
    return;
  }
  rows.push_back({prefix, j.is_string() ? j.get<std::string>() : j.dump()});
}

void print_flat(const json& a) {
  std::vector<std::vector<std::string>> rows;
  flatten(a, "", rows);
  print_table({"NAME", "VALUE"}, rows);
}

// The counts, then one row per relay flow direction: where it runs (the NIC or a worker) and what
// each path carried.
void print_flows(const json& a) {
  json summary = a;
  summary.erase("relay");
  print_flat(summary);
  if (!a.contains("relay")) return;
  const json& relay = a["relay"];
  std::vector<std::vector<std::string>> rows;
  for (const json& f : list_of(relay, "flows")) {
    int side = 0;
    for (const json& d : list_of(f, "sides")) {
      const std::string reason = cell(d, "software_reason");
      rows.push_back({cell(f, "flow"), std::to_string(side++), cell(d, "local"), cell(d, "peer"),
                      cell(d, "path") + (reason.empty() || reason == "-" ? "" : " (" + reason + ")"),
                      cell(d, "software_packets"), cell(d, "nic_packets"), cell(d, "rejected")});
    }
  }
  fmt::print("\n");
  print_table({"FLOW", "SIDE", "LOCAL", "PEER", "PATH", "SW PKTS", "NIC PKTS", "REJECTED"}, rows);
  fmt::print("{} relay flow(s), {} shown\n", cell(relay, "count"), cell(relay, "shown"));
}

// Sends `request`, prints the answer as `cmd` wants it. Returns the exit status.
int ask_and_print(const std::string& socket_path, const json& request, const std::string& cmd, bool raw_json) {
  std::string line;
  try {
    line = ask(socket_path, request.dump());
  } catch (const Failure& f) {
    fmt::print(stderr, "sipedgectl: {}\n", f.message);
    return f.code;
  }
  json answer;
  try {
    answer = json::parse(line);
  } catch (const json::exception& e) {
    fmt::print(stderr, "sipedgectl: the gateway's answer is not JSON ({}): {}\n", e.what(), line);
    return kExitGatewayError;
  }
  const bool failed = answer.is_object() && answer.contains("error");
  if (raw_json) {
    fmt::print("{}\n", line);
    return failed ? kExitGatewayError : kExitOk;
  }
  if (failed) {
    fmt::print(stderr, "sipedgectl: {}\n", cell(answer, "error"));
    if (answer.contains("commands")) {
      std::string names;
      for (const json& n : answer["commands"]) names += (names.empty() ? "" : ", ") + (n.is_string() ? n.get<std::string>() : n.dump());
      fmt::print(stderr, "the gateway knows: {}\n", names);
    }
    return kExitGatewayError;
  }
  if (cmd == "calls") {
    print_calls(answer);
  } else if (cmd == "registrations") {
    print_registrations(answer);
  } else if (cmd == "transactions") {
    print_transactions(answer);
  } else if (cmd == "bans") {
    print_bans(answer);
  } else if (cmd == "policy") {
    print_policy(answer);
  } else if (cmd == "ladder") {
    print_ladder(answer);
  } else if (cmd == "log") {
    fmt::print("log level {} for {}\n", cell(answer, "level"), cell(answer, "component"));
    if (answer.contains("levels")) print_flat(answer["levels"]);
  } else if (cmd == "capture") {
    if (cell(answer, "running") == "yes")
      fmt::print("capturing to {}{}: {} frame(s), {} byte(s) so far\n", cell(answer, "file"),
                 cell(answer, "call_id").empty() || cell(answer, "call_id") == "-" ? "" : " (Call-ID " + cell(answer, "call_id") + ")",
                 cell(answer, "packets"), cell(answer, "bytes"));
    else if (answer.contains("file"))
      fmt::print("{}: {} frame(s), {} byte(s), {} missed; stopped by {}\n", cell(answer, "file"), cell(answer, "packets"),
                 cell(answer, "bytes"), cell(answer, "missed"), cell(answer, "stopped_by"));
    else
      fmt::print("no capture\n");
  } else if (cmd == "reload") {
    fmt::print("reloaded {}\n", cell(answer, "reloaded"));
  } else if (cmd == "unban") {
    fmt::print("{}: {}\n", cell(answer, "addr"), cell(answer, "lifted") == "true" ? "ban lifted" : "was not banned");
  } else if (cmd == "flows") {
    print_flows(answer);
  } else if (cmd == "reset-port") {
    fmt::print("interface {} (port {}) is back: {} media rule(s) requeued or reinstalled, {} address(es) dropped by the NIC\n",
               cell(answer, "interface"), cell(answer, "port"), cell(answer, "media_rules_back"), cell(answer, "drop_addresses"));
  } else if (cmd == "stats" || cmd == "dataplane" || cmd == "hw") {
    print_flat(answer);
  } else {
    fmt::print("{}\n", answer.dump(2, ' ', false, json::error_handler_t::replace));
  }
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"sipedgectl: ask a running sipedge gateway about its calls, registrations, transactions and media"};
  const char* env_socket = std::getenv("SIPEDGE_SOCKET");
  std::string socket_path = env_socket && *env_socket ? env_socket : "/tmp/sipedge.sock";
  bool raw_json = false;
  app.add_option("-s,--socket", socket_path, "management socket of the gateway (default $SIPEDGE_SOCKET or /tmp/sipedge.sock)");
  app.add_flag("-j,--json", raw_json, "print the gateway's JSON answer as it is");
  app.require_subcommand(1);
  app.fallthrough();
  bool watch = false;
  app.add_subcommand("calls", "calls in progress: parties, state, media packets")
      ->add_flag("-w,--watch", watch, "refresh every second until interrupted");
  std::string ladder_call;
  app.add_subcommand("ladder", "the SIP messages of a live or recent call, in order, with addresses")
      ->add_option("CALL-ID", ladder_call, "Call-ID as sipedgectl calls or the CDR shows it")
      ->required();
  app.add_subcommand("registrations", "registered contacts: AOR, contact, public address, NAT, expiry");
  app.add_subcommand("transactions", "SIP transactions alive (RFC 3261 §17)");
  app.add_subcommand("flows", "media sessions and relay flows, each direction on the NIC or in software");
  app.add_subcommand("stats", "proxy counters and state sizes");
  app.add_subcommand("dataplane", "per-interface packet events and drops, relay totals");
  app.add_subcommand("hw", "what each interface's NIC port takes of rte_flow (steering, drop, media offload)");
  std::string reset_iface;
  CLI::App* reset_port = app.add_subcommand(
      "reset-port", "reset an interface's NIC port and start it again, its rte_flow rules put back (calls go on; media pauses)");
  reset_port->add_option("INTERFACE", reset_iface, "interface name from the config (access, core, ...)")->required();
  app.add_subcommand("bans", "banned source addresses (brute force, signature rules) and the lockout's counters");
  std::string unban_addr;
  CLI::App* unban = app.add_subcommand("unban", "lift the ban on an address now (its offence count is forgotten too)");
  unban->add_option("ADDR", unban_addr, "IPv4 or IPv6 address")->required();
  app.add_subcommand("policy", "signature rules (scanner User-Agents and the operator's) with their hits");
  app.add_subcommand("reload", "reread the configuration file: users, routes, trusted prefixes, timers, security settings");
  std::string log_level;
  std::string log_component;
  CLI::App* log = app.add_subcommand("log", "set the gateway's log level now, of every component or one (until reload or restart)");
  log->add_option("LEVEL", log_level, "trace, debug, info, warn, error, critical or off")->required();
  log->add_option("COMPONENT", log_component, "main, sip, security, overload, hw or ops (default: all)");
  std::string capture_action;
  std::string capture_file;
  std::string capture_call;
  uint64_t capture_max = 100000;
  CLI::App* capture = app.add_subcommand("capture", "pcapng of the SIP traffic as it was on the wire (Wireshark, tshark, sngrep)");
  capture->add_option("ACTION", capture_action, "start, stop or status")->required()->check(CLI::IsMember({"start", "stop", "status"}));
  capture->add_option("FILE", capture_file, "pcapng file to write (start); relative to this directory");
  capture->add_option("--call", capture_call, "only the messages of this Call-ID");
  capture->add_option("--max-packets", capture_max, "stop by itself after this many frames (default 100000; 0: no limit)");
  CLI::App* raw = app.add_subcommand("raw", "send any command; PARAMS is a JSON object merged into the request");
  std::string raw_cmd;
  std::string raw_params;
  raw->add_option("CMD", raw_cmd, "command name")->required();
  raw->add_option("PARAMS", raw_params, "JSON object, e.g. '{\"call_id\":\"abc\"}'");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }

  const std::string cmd = raw->parsed() ? raw_cmd : app.get_subcommands().front()->get_name();
  json request = json::object();
  if (raw->parsed() && !raw_params.empty()) {
    try {
      request = json::parse(raw_params);
    } catch (const json::exception& e) {
      fmt::print(stderr, "sipedgectl: PARAMS is not JSON: {}\n", e.what());
      return kExitUsage;
    }
    if (!request.is_object()) {
      fmt::print(stderr, "sipedgectl: PARAMS must be a JSON object\n");
      return kExitUsage;
    }
  }
  request["cmd"] = cmd;
  if (cmd == "unban") request["addr"] = unban_addr;
  if (cmd == "reset-port") request["interface"] = reset_iface;
  if (cmd == "ladder") request["call_id"] = ladder_call;
  if (cmd == "log") {
    request["level"] = log_level;
    if (!log_component.empty()) request["component"] = log_component;
  }
  if (cmd == "capture") {
    request["action"] = capture_action;
    if (capture_action == "start") {
      if (capture_file.empty()) {
        fmt::print(stderr, "sipedgectl: capture start needs a FILE\n");
        return kExitUsage;
      }
      // The gateway runs elsewhere (another directory, maybe another namespace): it gets the full path.
      request["file"] = std::filesystem::absolute(capture_file).string();
      request["call_id"] = capture_call;
      request["max_packets"] = capture_max;
    }
  }

  if (!watch) return ask_and_print(socket_path, request, cmd, raw_json);
  // --watch: the same question every second until interrupted (Ctrl-C), the screen cleared between.
  for (;;) {
    fmt::print("\x1b[H\x1b[2J");
    const int rc = ask_and_print(socket_path, request, cmd, raw_json);
    if (rc != kExitOk) return rc;
    std::fflush(stdout);
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}
