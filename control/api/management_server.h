// control/api/management_server.h — control lcore only (not thread safe). The JSON management API on
// a Unix stream socket: one request line `{"cmd":"calls",...}` per connection, one JSON line back,
// then close. Polled from the control loop; it never blocks, never starts a thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"

namespace sipedge::control {

class ManagementServer {
 public:
  // Answers one request. `cmd` is the request's "cmd" member, `request` the whole object. May throw:
  // the exception's what() becomes {"error": ...}.
  using Handler = std::function<nlohmann::json(const std::string& cmd, const nlohmann::json& request)>;

  struct Limits {
    size_t max_request_bytes = 64 * 1024;  // a longer request line is answered with an error
    unsigned max_accepts_per_poll = 8;     // new connections taken per poll()
    size_t max_connections = 32;           // open at once; further clients wait in the listen backlog
    uint64_t idle_timeout_ms = 1000;       // a client that neither sends nor reads for this long is dropped
    // New connections are looked for once per this many ms, not on every poll(): an accept4 with
    // nobody waiting still makes and frees a socket in the kernel, which took over half of the
    // control lcore at 2 500 calls/s (perf). Connections already open are served on every poll().
    uint64_t accept_every_ms = 1;
  };

  // `clock` drives the idle timeout (monotonic_ms) and must outlive the server.
  explicit ManagementServer(const Clock& clock);
  ManagementServer(const Clock& clock, Limits limits);
  ~ManagementServer();
  ManagementServer(const ManagementServer&) = delete;
  ManagementServer& operator=(const ManagementServer&) = delete;

  // `commands` are the names the handler answers; any other "cmd" is refused by the server with
  // {"error":"unknown command 'x'","commands":[...]} without calling the handler.
  void set_handler(Handler handler, std::vector<std::string> commands);

  // Removes a stale socket file at `path`, binds, listens (non-blocking, close-on-exec) and makes
  // the socket mode 0660. False (with error() set) when any step fails; the server stays closed.
  bool open(const std::string& path);
  // Accepts, reads, answers and closes without blocking; call it every control-loop iteration.
  // Returns how many requests were answered during this call.
  unsigned poll();
  // Closes every connection and the listening socket and removes the socket file. Idempotent.
  void close();

  bool is_open() const noexcept { return listen_fd_ >= 0; }
  const std::string& path() const noexcept { return path_; }
  const std::string& error() const noexcept { return error_; }
  size_t connection_count() const noexcept { return connections_.size(); }
  // Clients dropped for silence or slowness, and requests refused as too large, since open().
  uint64_t timeouts() const noexcept { return timeouts_; }
  uint64_t oversized() const noexcept { return oversized_; }

  // The answer to one request line (no trailing newline). Public so it can be tested without a socket.
  std::string answer(std::string_view line) const;

 private:
  struct Connection {
    int fd = -1;
    std::string in;
    std::string out;        // answer being written; non-empty once the request is complete
    size_t written = 0;
    bool answered = false;
    uint64_t last_activity_ms = 0;
  };

  void accept_new(uint64_t now_ms);
  // Returns false when the connection is finished (answered and flushed, closed by the peer, or broken).
  bool service(Connection& c, uint64_t now_ms, unsigned& answered);
  bool flush(Connection& c, uint64_t now_ms);

  const Clock& clock_;
  Limits limits_;
  Handler handler_;
  std::vector<std::string> commands_;
  int listen_fd_ = -1;
  std::string path_;
  std::string error_;
  std::vector<Connection> connections_;
  uint64_t timeouts_ = 0;
  uint64_t oversized_ = 0;
  std::optional<uint64_t> last_accept_ms_;  // none before the first poll
};

}  // namespace sipedge::control
