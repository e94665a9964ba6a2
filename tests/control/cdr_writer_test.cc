// tests/control/cdr_writer_test.cc — CdrWriter (control/api/cdr_writer.h): every line handed in
// reaches the file once, whole and in each writer's order; a renamed file is followed by a new one
// at the path; a disk that refuses keeps the lines and counts, a full backlog drops and counts; a
// path that cannot be opened is refused with its reason. The file is read back as text.
#include "control/api/cdr_writer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace sipedge::control {
namespace {

namespace fs = std::filesystem;

// A file in a directory of its own (mkdtemp fills in the X's), removed with it.
struct CdrFile {
  fs::path path;
  CdrFile() {
    char dir[] = "/tmp/sipedge-cdr-test.XXXXXX";
    if (mkdtemp(dir) == nullptr) throw std::runtime_error("mkdtemp failed");
    path = fs::path(dir) / "cdr.jsonl";
  }
  ~CdrFile() { fs::remove_all(path.parent_path()); }
};

std::vector<std::string> lines_of(const fs::path& p) {
  std::ifstream in(p);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::string text_of(const fs::path& p) {
  std::ifstream in(p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Waits, 10 s at most, until `done` holds: the writer's thread runs on its own time.
template <class Done>
bool eventually(Done done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

TEST(CdrWriterTest, LinesFromTwoThreadsReachTheFileOnceWholeAndInOrder) {
  CdrFile f;
  {
    std::ofstream(f.path) << "{\"from\":\"an earlier run\"}\n";
  }
  constexpr int kPerThread = 20000;
  {
    CdrWriter w(f.path.string());
    auto writer = [&w](char who) {
      for (int i = 0; i < kPerThread; ++i) w.write(std::string("{\"t\":\"") + who + "\",\"i\":" + std::to_string(i) + "}");
    };
    std::thread a(writer, 'a'), b(writer, 'b');
    a.join();
    b.join();
    ASSERT_TRUE(eventually([&] { return w.stats().lines_written == 2 * kPerThread; }));
    const CdrWriter::Stats s = w.stats();
    EXPECT_EQ(s.backlog_bytes, 0u);
    EXPECT_EQ(s.lines_dropped, 0u);
    EXPECT_EQ(s.write_errors, 0u);
    EXPECT_EQ(s.reopened, 0u);
  }
  const std::vector<std::string> lines = lines_of(f.path);
  ASSERT_EQ(lines.size(), 1u + 2 * kPerThread);
  EXPECT_EQ(lines.front(), "{\"from\":\"an earlier run\"}");
  int next_a = 0, next_b = 0;
  for (size_t i = 1; i < lines.size(); ++i) {
    int& next = lines[i][6] == 'a' ? next_a : next_b;
    const std::string expected = std::string("{\"t\":\"") + lines[i][6] + "\",\"i\":" + std::to_string(next) + "}";
    ASSERT_EQ(lines[i], expected) << "line " << i;
    ++next;
  }
  EXPECT_EQ(next_a, kPerThread);
  EXPECT_EQ(next_b, kPerThread);
}

TEST(CdrWriterTest, WhatWaitsIsWrittenWhenTheWriterStops) {
  CdrFile f;
  CdrWriter::Options o;
  o.gap = std::chrono::milliseconds(500);  // the second line waits out the gap after the first
  {
    CdrWriter w(f.path.string(), o);
    w.write("one");
    ASSERT_TRUE(eventually([&] { return w.stats().lines_written == 1; }));
    w.write("two");
  }
  EXPECT_EQ(text_of(f.path), "one\ntwo\n");
}

TEST(CdrWriterTest, ARenamedFileIsFollowedByANewOneAtThePath) {
  CdrFile f;
  CdrWriter::Options o;
  o.reopen_check = std::chrono::milliseconds(0);
  const fs::path rotated = f.path.string() + ".1";
  CdrWriter w(f.path.string(), o);
  w.write("before");
  ASSERT_TRUE(eventually([&] { return w.stats().lines_written == 1; }));
  fs::rename(f.path, rotated);
  w.write("after");
  ASSERT_TRUE(eventually([&] { return w.stats().lines_written == 2; }));
  EXPECT_EQ(text_of(rotated), "before\n");
  EXPECT_EQ(text_of(f.path), "after\n");
  EXPECT_EQ(w.stats().reopened, 1u);
  EXPECT_EQ(fs::status(f.path).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
}

TEST(CdrWriterTest, AnUnopenablePathIsRefusedWithItsReason) {
  try {
    CdrWriter w("/nonexistent-sipedge-dir/cdr.jsonl");
    FAIL() << "opened";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "cannot open the CDR file /nonexistent-sipedge-dir/cdr.jsonl: No such file or directory");
  }
}

// /dev/full takes the open and refuses every write (ENOSPC): a disk that filled up.
TEST(CdrWriterTest, ARefusingDiskKeepsTheLinesAndAFullBacklogDropsAndCounts) {
  if (access("/dev/full", W_OK) != 0) GTEST_SKIP() << "no writable /dev/full here";
  CdrWriter::Options o;
  o.max_backlog = 12;
  CdrWriter w("/dev/full", o);
  w.write("12345");  // 6 bytes with its line break
  ASSERT_TRUE(eventually([&] { return w.stats().write_errors >= 1; }));
  w.write("abcde");  // 12: still fits
  w.write("x");      // 14: dropped
  const CdrWriter::Stats s = w.stats();
  EXPECT_EQ(s.lines_written, 0u);
  EXPECT_EQ(s.lines_dropped, 1u);
  EXPECT_EQ(s.backlog_bytes, 12u);
}

}  // namespace
}  // namespace sipedge::control
