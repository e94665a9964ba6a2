// control/api/cdr_writer.cc — control lcores (write) and the writer's own thread (the rest). See
// cdr_writer.h.
#include "control/api/cdr_writer.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "control/api/logging.h"

namespace sipedge::control {
namespace {

// CDRs name callers and callees: readable by the owner and its group only.
int open_append(const std::string& path) { return ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640); }

// Waiting lines that make a batch: the writer goes at once rather than at the end of its gap, so a
// batch (and the buffer it is gathered in) stays this small at any rate.
constexpr size_t kBatchBytes = 64 * 1024;

// How often a backlog that keeps overflowing is logged.
constexpr std::chrono::seconds kDropReportEvery{10};

}  // namespace

CdrWriter::CdrWriter(std::string path, Options options) : path_(std::move(path)), options_(options) {
  fd_ = open_append(path_);
  if (fd_ < 0) throw std::runtime_error("cannot open the CDR file " + path_ + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd_, &st) == 0) {
    dev_ = st.st_dev;
    ino_ = st.st_ino;
  }
  last_check_ = std::chrono::steady_clock::now();
  thread_ = std::thread([this] { run(); });
  pthread_setname_np(thread_.native_handle(), "sipedge-cdr");
}

CdrWriter::~CdrWriter() {
  {
    const std::lock_guard<std::mutex> guard(lock_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
  ::close(fd_);
}

void CdrWriter::write(std::string_view line) {
  bool wake = false;
  {
    const std::lock_guard<std::mutex> guard(lock_);
    if (pending_.size() + taken_.load(std::memory_order_relaxed) + line.size() + 1 > options_.max_backlog) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    // A wake-up (a syscall) only for the line that finds the writer idle, or that completes a batch.
    const size_t before = pending_.size();
    pending_.append(line);
    pending_.push_back('\n');
    wake = (idle_ && before == 0) || (before < kBatchBytes && pending_.size() >= kBatchBytes);
  }
  if (wake) wake_.notify_one();
}

CdrWriter::Stats CdrWriter::stats() const {
  Stats s;
  {
    const std::lock_guard<std::mutex> guard(lock_);
    s.backlog_bytes = pending_.size() + taken_.load(std::memory_order_relaxed);
  }
  s.lines_written = written_.load(std::memory_order_relaxed);
  s.lines_dropped = dropped_.load(std::memory_order_relaxed);
  s.write_errors = errors_.load(std::memory_order_relaxed);
  s.reopened = reopened_.load(std::memory_order_relaxed);
  return s;
}

void CdrWriter::run() {
  spdlog::logger& log = logs::of(logs::Component::Ops);
  std::string batch;  // taken from pending_; what the file has not taken stays at its front
  bool failing = false;
  uint64_t reported_drops = 0;
  auto last_drop_report = std::chrono::steady_clock::time_point{};
  std::unique_lock<std::mutex> l(lock_);
  for (;;) {
    if (batch.empty()) {
      idle_ = true;
      wake_.wait(l, [this] { return stopping_ || !pending_.empty(); });
      idle_ = false;
    }
    const bool stop = stopping_;
    if (batch.empty()) {
      batch.swap(pending_);  // pending_ keeps the emptied buffer's capacity
    } else {
      batch.append(pending_);
      pending_.clear();
    }
    taken_.store(batch.size(), std::memory_order_relaxed);
    l.unlock();

    if (!batch.empty()) {
      reopen_if_moved();
      const bool ok = write_out(batch);
      taken_.store(batch.size(), std::memory_order_relaxed);
      if (!ok && !failing)
        log.error("cdr: writing {} failed: {}; {} bytes wait and are retried", path_, std::strerror(errno), batch.size());
      else if (ok && failing)
        log.info("cdr: writing {} works again", path_);
      failing = !ok;
    }
    const uint64_t drops = dropped_.load(std::memory_order_relaxed);
    const auto now = std::chrono::steady_clock::now();
    if (drops != reported_drops && (stop || now - last_drop_report >= kDropReportEvery)) {
      log.error("cdr: {} lines dropped (backlog of {} bytes full), {} in all", drops - reported_drops, options_.max_backlog, drops);
      reported_drops = drops;
      last_drop_report = now;
    }
    if (stop) {
      if (!batch.empty()) log.error("cdr: stopping with {} bytes not written to {}", batch.size(), path_);
      return;
    }
    l.lock();
    // Lines gather for a gap, or until a batch waits: one write(2) for many lines.
    wake_.wait_for(l, options_.gap, [this] { return stopping_ || pending_.size() >= kBatchBytes; });
  }
}

bool CdrWriter::write_out(std::string& batch) {
  size_t done = 0;
  bool ok = true;
  while (done < batch.size()) {
    const ssize_t n = ::write(fd_, batch.data() + done, batch.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = EIO;
      errors_.fetch_add(1, std::memory_order_relaxed);
      ok = false;
      break;
    }
    done += static_cast<size_t>(n);
  }
  // A line counts once its line break is in the file.
  written_.fetch_add(static_cast<uint64_t>(std::count(batch.begin(), batch.begin() + static_cast<ptrdiff_t>(done), '\n')),
                     std::memory_order_relaxed);
  batch.erase(0, done);
  return ok;
}

void CdrWriter::reopen_if_moved() {
  const auto now = std::chrono::steady_clock::now();
  if (now - last_check_ < options_.reopen_check) return;
  last_check_ = now;
  struct stat st {};
  if (::stat(path_.c_str(), &st) == 0 && st.st_dev == dev_ && st.st_ino == ino_) return;
  const int fd = open_append(path_);
  if (fd < 0) {
    logs::of(logs::Component::Ops).error("cdr: {} was moved and cannot be opened again: {}; writing on to the moved file", path_,
                                         std::strerror(errno));
    return;
  }
  if (::fstat(fd, &st) == 0) {
    dev_ = st.st_dev;
    ino_ = st.st_ino;
  }
  ::close(fd_);
  fd_ = fd;
  reopened_.fetch_add(1, std::memory_order_relaxed);
  logs::of(logs::Component::Ops).info("cdr: {} was moved; writing a new file there", path_);
}

}  // namespace sipedge::control
