// control/api/metrics_server.cc — see metrics_server.h for which thread runs what.
#include "control/api/metrics_server.h"

#include <httplib.h>

#include <chrono>

namespace sipedge::control {

MetricsServer::MetricsServer(Render render) : render_(std::move(render)) {}

MetricsServer::~MetricsServer() {
  if (http_) http_->stop();
  if (thread_.joinable()) thread_.join();
}

bool MetricsServer::open(const std::string& listen) {
  std::string host;
  std::string port_text;
  if (!listen.empty() && listen.front() == '[') {
    const size_t close = listen.find(']');
    if (close == std::string::npos || close + 1 >= listen.size() || listen[close + 1] != ':') {
      error_ = "expected [ADDRESS]:PORT, got \"" + listen + "\"";
      return false;
    }
    host = listen.substr(1, close - 1);
    port_text = listen.substr(close + 2);
  } else {
    const size_t colon = listen.rfind(':');
    if (colon == std::string::npos || colon == 0) {
      error_ = "expected ADDRESS:PORT, got \"" + listen + "\"";
      return false;
    }
    host = listen.substr(0, colon);
    port_text = listen.substr(colon + 1);
  }
  int port = -1;
  try {
    size_t used = 0;
    port = std::stoi(port_text, &used);
    if (used != port_text.size()) port = -1;
  } catch (const std::exception&) {
    port = -1;
  }
  if (port < 0 || port > 65535) {
    error_ = "bad port in \"" + listen + "\"";
    return false;
  }
  http_ = std::make_unique<httplib::Server>();
  // One worker: scrapes come every few seconds, and every thread of this process competes with the
  // lcores for their cores.
  http_->new_task_queue = [] { return new httplib::ThreadPool(1); };
  http_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(serve(), "text/plain; version=0.0.4; charset=utf-8");
  });
  http_->Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("sipedge: metrics at /metrics\n", "text/plain");
  });
  port_ = port == 0 ? http_->bind_to_any_port(host) : (http_->bind_to_port(host, port) ? port : -1);
  if (port_ <= 0) {
    error_ = "cannot listen on " + listen;
    http_.reset();
    return false;
  }
  thread_ = std::thread([this] { http_->listen_after_bind(); });
  return true;
}

std::string MetricsServer::serve() {
  scrapes_.fetch_add(1, std::memory_order_relaxed);
  std::unique_lock lock(mutex_);
  const uint64_t had = generation_;
  wanted_.store(true, std::memory_order_release);
  rendered_.wait_for(lock, std::chrono::milliseconds(250), [&] { return generation_ != had; });
  return snapshot_;
}

unsigned MetricsServer::poll() {
  if (pending_.empty()) {
    if (!wanted_.exchange(false, std::memory_order_acq_rel)) return 0;
    pending_ = render_();
  }
  std::unique_lock lock(mutex_, std::try_to_lock);
  if (!lock.owns_lock()) return 0;  // the HTTP thread holds it a moment: swap in next iteration
  snapshot_.swap(pending_);
  pending_.clear();
  ++generation_;
  lock.unlock();
  rendered_.notify_all();
  return 1;
}

}  // namespace sipedge::control
