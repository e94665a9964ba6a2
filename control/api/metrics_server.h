// control/api/metrics_server.h — two threads: poll() runs on the control lcore, the HTTP server on a
// thread of its own (cpp-httplib). GET /metrics answers with the Prometheus text the control lcore
// rendered: a scrape raises a flag and waits (up to 250 ms) for the control lcore to render a fresh
// snapshot between SIP messages, then serves it; a loop too busy to render in time gets the previous
// snapshot instead. The control lcore never waits on the HTTP thread: it renders into its own
// string and swaps it in only when try_lock succeeds.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace httplib {
class Server;
}

namespace sipedge::control {

class MetricsServer {
 public:
  // Renders the whole exposition; called on the control lcore only.
  using Render = std::function<std::string()>;

  explicit MetricsServer(Render render);
  ~MetricsServer();  // stops the HTTP thread
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Listens on "ADDRESS:PORT" ("127.0.0.1:9100", "[::1]:9100") and starts the HTTP thread. false
  // with error() set when the address is malformed or cannot be bound.
  bool open(const std::string& listen);
  const std::string& error() const noexcept { return error_; }
  // The port actually bound (useful with port 0).
  int port() const noexcept { return port_; }

  // Control lcore, every loop iteration: renders when a scrape waits. Returns 1 when it rendered.
  unsigned poll();

  uint64_t scrapes() const noexcept { return scrapes_.load(std::memory_order_relaxed); }
  // The HTTP thread, once open() succeeded (for its placement on the CPUs of non-lcore threads).
  std::thread::native_handle_type thread_handle() noexcept { return thread_.native_handle(); }

 private:
  std::string serve();  // HTTP thread

  Render render_;
  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
  std::string error_;
  int port_ = 0;
  std::atomic<bool> wanted_{false};
  std::atomic<uint64_t> scrapes_{0};
  std::mutex mutex_;  // guards snapshot_ and generation_
  std::condition_variable rendered_;
  std::string snapshot_;
  uint64_t generation_ = 0;
  std::string pending_;  // control lcore: rendered, not yet swapped in
};

}  // namespace sipedge::control
