// control/api/cdr_writer.h — control lcores call write(); the writer's own thread puts the lines in
// the file. A CDR leaves the control lcore as an append to a buffer in memory: writing and flushing
// each line from the lcore cost a write(2) per call (2.2 µs here, a tenth of a call's budget) and
// stalled signalling for as long as the disk did.
// What a crash can lose: the lines of the last `gap` (10 ms) and any the disk has not taken yet.
// A full or failing disk never stops signalling: the backlog grows to `max_backlog`, then lines are
// dropped and counted (metrics, log), never waited for.
// Rotation: rename the file (logrotate's `create`) and the writer opens a new one at the path within
// `reopen_check`; `copytruncate` works as well (the file is opened O_APPEND).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace sipedge::control {

class CdrWriter {
 public:
  struct Options {
    // After a batch is written, lines gather this long (or until 64 KB wait) before the next: one
    // write(2) per batch.
    std::chrono::milliseconds gap{10};
    // Bytes waiting (in memory, not yet in the file) past which a line is dropped.
    size_t max_backlog = size_t{64} << 20;
    // How often, while lines come, the writer checks that the path still names its file.
    std::chrono::milliseconds reopen_check{1000};
  };
  struct Stats {
    uint64_t lines_written = 0;
    uint64_t lines_dropped = 0;  // backlog full
    uint64_t write_errors = 0;   // failed write(2)s; their bytes stay in the backlog
    uint64_t reopened = 0;       // new files opened at the path (rotation)
    size_t backlog_bytes = 0;
  };

  // Opens `path` (created 0640, appended to). std::runtime_error naming the path and the reason
  // when it cannot be opened: a gateway that cannot write its CDRs must not start.
  CdrWriter(std::string path, Options options);
  explicit CdrWriter(std::string path) : CdrWriter(std::move(path), Options{}) {}
  // Writes what waits (a disk that fails now is given up on, and what is lost is logged), then stops.
  ~CdrWriter();
  CdrWriter(const CdrWriter&) = delete;
  CdrWriter& operator=(const CdrWriter&) = delete;

  // One CDR, without its line break. Any thread; never blocks on the disk.
  void write(std::string_view line);

  Stats stats() const;
  const std::string& path() const noexcept { return path_; }
  // The writer's thread (for its placement on the CPUs of non-lcore threads).
  std::thread::native_handle_type thread_handle() noexcept { return thread_.native_handle(); }

 private:
  void run();
  // Writes from the front of `batch` and erases what the file took; false on an error.
  bool write_out(std::string& batch);
  void reopen_if_moved();

  const std::string path_;
  const Options options_;
  int fd_ = -1;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
  std::chrono::steady_clock::time_point last_check_;

  mutable std::mutex lock_;
  std::condition_variable wake_;
  std::string pending_;    // under lock_: lines the writer has not taken yet
  bool stopping_ = false;  // under lock_
  bool idle_ = false;      // under lock_: the writer waits for a first line
  std::atomic<size_t> taken_{0};  // bytes the writer took and the file has not
  std::atomic<uint64_t> written_{0}, dropped_{0}, errors_{0}, reopened_{0};
  std::thread thread_;
};

}  // namespace sipedge::control
