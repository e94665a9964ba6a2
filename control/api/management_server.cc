// control/api/management_server.cc — control lcore only. See management_server.h. Every socket is
// non-blocking and every loop is bounded (accepts per poll, request size, idle timeout), so a slow,
// silent or hostile client costs the control loop at most one short read or write per poll.
#include "control/api/management_server.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>

namespace sipedge::control {
namespace {

using nlohmann::json;

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

// Strings in a view come from SIP messages and may not be UTF-8: replace bad bytes rather than
// throwing while the answer is serialised.
std::string to_line(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

json error_object(std::string text) { return json{{"error", std::move(text)}}; }

// nlohmann's messages start with "[json.exception.parse_error.101] "; the operator needs the rest.
std::string parse_error_text(const std::exception& e) {
  std::string_view text = e.what();
  if (!text.empty() && text.front() == '[') {
    const size_t end = text.find("] ");
    if (end != std::string_view::npos) text.remove_prefix(end + 2);
  }
  return "malformed JSON: " + std::string(text);
}

bool fill_address(const std::string& path, sockaddr_un& addr) {
  std::memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path) return false;
  std::memcpy(addr.sun_path, path.data(), path.size());
  return true;
}

}  // namespace

ManagementServer::ManagementServer(const Clock& clock) : ManagementServer(clock, Limits{}) {}

ManagementServer::ManagementServer(const Clock& clock, Limits limits) : clock_(clock), limits_(limits) {}

ManagementServer::~ManagementServer() { close(); }

void ManagementServer::set_handler(Handler handler, std::vector<std::string> commands) {
  handler_ = std::move(handler);
  commands_ = std::move(commands);
}

bool ManagementServer::open(const std::string& path) {
  close();
  error_.clear();
  sockaddr_un addr;
  if (!fill_address(path, addr)) {
    error_ = "management socket path '" + path + "' is empty or longer than " +
             std::to_string(sizeof addr.sun_path - 1) + " bytes";
    return false;
  }

  struct stat st;
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      error_ = "'" + path + "' exists and is not a socket";
      return false;
    }
    // A socket file left by a process that died is stale; one that still accepts belongs to a
    // running gateway, which must not lose its API to us.
    const int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (probe < 0) {
      error_ = errno_text("socket");
      return false;
    }
    const int rc = ::connect(probe, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
    const int connect_errno = errno;
    ::close(probe);
    if (rc == 0 || connect_errno == EAGAIN) {
      error_ = "another process is serving '" + path + "'";
      return false;
    }
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      error_ = errno_text(("unlink " + path).c_str());
      return false;
    }
  }

  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error_ = errno_text("socket");
    return false;
  }
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    error_ = errno_text(("bind " + path).c_str());
    ::close(fd);
    return false;
  }
  // Owner and group (the operators' group) may talk to the gateway; nobody else.
  if (::chmod(path.c_str(), 0660) != 0 || ::listen(fd, 64) != 0) {
    error_ = errno_text(("listen " + path).c_str());
    ::close(fd);
    ::unlink(path.c_str());
    return false;
  }
  listen_fd_ = fd;
  path_ = path;
  timeouts_ = 0;
  oversized_ = 0;
  return true;
}

void ManagementServer::close() {
  for (Connection& c : connections_) ::close(c.fd);
  connections_.clear();
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    listen_fd_ = -1;
    ::unlink(path_.c_str());
  }
  path_.clear();
}

unsigned ManagementServer::poll() {
  if (listen_fd_ < 0) return 0;
  const uint64_t now = clock_.monotonic_ms();
  if (!last_accept_ms_ || now - *last_accept_ms_ >= limits_.accept_every_ms) {
    last_accept_ms_ = now;
    accept_new(now);
  }
  unsigned answered = 0;
  auto finished = [&](Connection& c) {
    if (service(c, now, answered)) return false;
    ::close(c.fd);
    return true;
  };
  connections_.erase(std::remove_if(connections_.begin(), connections_.end(), finished), connections_.end());
  return answered;
}

void ManagementServer::accept_new(uint64_t now_ms) {
  for (unsigned i = 0; i < limits_.max_accepts_per_poll && connections_.size() < limits_.max_connections; ++i) {
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;  // EAGAIN: nobody waiting; EMFILE/ENFILE/ENOBUFS: try again next poll
    }
    Connection c;
    c.fd = fd;
    c.last_activity_ms = now_ms;
    connections_.push_back(std::move(c));
  }
}

bool ManagementServer::service(Connection& c, uint64_t now_ms, unsigned& answered) {
  while (!c.answered) {
    char buf[8192];
    const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
    if (n > 0) {
      const size_t searched = c.in.size();
      c.in.append(buf, static_cast<size_t>(n));
      c.last_activity_ms = now_ms;
      const size_t nl = c.in.find('\n', searched);
      if (nl != std::string::npos && nl <= limits_.max_request_bytes) {
        c.in.resize(nl);
      } else if (c.in.size() > limits_.max_request_bytes) {
        ++oversized_;
        c.out = to_line(error_object("request longer than " + std::to_string(limits_.max_request_bytes) +
                                     " bytes")) + "\n";
        c.in.clear();
        c.answered = true;
        ++answered;
        break;
      } else {
        continue;
      }
    } else if (n == 0) {
      // The client closed its side without a newline: what it sent is the request.
      if (c.in.find_first_not_of(" \t\r\n") == std::string::npos) return false;
    } else if (errno == EINTR) {
      continue;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      break;
    } else {
      return false;
    }
    c.out = answer(c.in) + "\n";
    c.in.clear();
    c.answered = true;
    ++answered;
  }
  if (c.answered) {
    if (!flush(c, now_ms)) return false;
    if (c.written == c.out.size()) return false;
  }
  if (now_ms - c.last_activity_ms >= limits_.idle_timeout_ms) {
    ++timeouts_;
    return false;
  }
  return true;
}

bool ManagementServer::flush(Connection& c, uint64_t now_ms) {
  while (c.written < c.out.size()) {
    const ssize_t n = ::send(c.fd, c.out.data() + c.written, c.out.size() - c.written, MSG_NOSIGNAL);
    if (n > 0) {
      c.written += static_cast<size_t>(n);
      c.last_activity_ms = now_ms;
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return true;  // the client reads slowly: the rest goes out on a later poll
    } else {
      return false;
    }
  }
  return true;
}

std::string ManagementServer::answer(std::string_view line) const {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  json request;
  try {
    request = json::parse(line);
  } catch (const json::exception& e) {
    return to_line(error_object(parse_error_text(e)));
  }
  const auto cmd = request.is_object() ? request.find("cmd") : request.end();
  if (!request.is_object() || cmd == request.end() || !cmd->is_string()) {
    return to_line(error_object(R"(a request is a JSON object with a "cmd" string, e.g. {"cmd":"calls"})"));
  }
  const std::string& name = cmd->get_ref<const std::string&>();
  if (!handler_ || std::find(commands_.begin(), commands_.end(), name) == commands_.end()) {
    json j = error_object("unknown command '" + name + "'");
    j["commands"] = commands_;
    return to_line(j);
  }
  try {
    return to_line(handler_(name, request));
  } catch (const std::exception& e) {
    return to_line(error_object(name + ": " + e.what()));
  }
}

}  // namespace sipedge::control
