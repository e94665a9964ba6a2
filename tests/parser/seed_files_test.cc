// tests/parser/seed_files_test.cc — test thread. Checks the seed message files themselves, with no
// parser code: CRLF line endings, a header block ended by an empty line, and a Content-Length equal
// to the body's byte length (RFC 3261 §20.14), so a parser failure on them is the parser's fault.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

const fs::path kSeedDir = fs::path(SIPEDGE_TEST_DATA_DIR) / "seeds";

std::vector<fs::path> seed_files() {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(kSeedDir))
    if (e.path().extension() == ".sip") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

TEST(SeedFiles, AllSixtyThreeMessagesArePresent) {
  EXPECT_EQ(seed_files().size(), 63u);
}

TEST(SeedFiles, EveryLineEndsWithCrlf) {
  for (const auto& p : seed_files()) {
    const std::string bytes = read_all(p);
    ASSERT_FALSE(bytes.empty()) << p;
    EXPECT_EQ(bytes.substr(bytes.size() - 2), "\r\n") << p;
    for (size_t i = 0; i < bytes.size(); ++i) {
      if (bytes[i] == '\n') {
        EXPECT_TRUE(i > 0 && bytes[i - 1] == '\r') << p << " bare LF at " << i;
      }
      if (bytes[i] == '\r') {
        EXPECT_TRUE(i + 1 < bytes.size() && bytes[i + 1] == '\n') << p << " bare CR at " << i;
      }
    }
  }
}

TEST(SeedFiles, ContentLengthEqualsBodyLength) {
  for (const auto& p : seed_files()) {
    const std::string bytes = read_all(p);
    const size_t end = bytes.find("\r\n\r\n");
    ASSERT_NE(end, std::string::npos) << p << ": no empty line after the headers";
    const std::string head = bytes.substr(0, end + 2);
    const size_t body_len = bytes.size() - (end + 4);

    int found = 0;
    size_t line_begin = head.find("\r\n") + 2;  // skip the start line
    while (line_begin < head.size()) {
      const size_t line_end = head.find("\r\n", line_begin);
      const std::string line = head.substr(line_begin, line_end - line_begin);
      line_begin = line_end + 2;
      ASSERT_FALSE(line.empty()) << p;
      ASSERT_NE(line.front(), ' ') << p << ": folded header line: " << line;
      const size_t colon = line.find(':');
      ASSERT_NE(colon, std::string::npos) << p << ": header line without a colon: " << line;
      std::string name = lower(line.substr(0, colon));
      while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.pop_back();
      if (name != "content-length" && name != "l") continue;
      ++found;
      const std::string value = line.substr(line.find_first_not_of(" \t", colon + 1));
      ASSERT_TRUE(std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; }))
          << p << ": " << line;
      EXPECT_EQ(std::stoul(value), body_len) << p;
    }
    EXPECT_EQ(found, 1) << p << ": exactly one Content-Length expected";
  }
}

TEST(SeedFiles, BodyIsPresentExactlyWhenContentTypeIs) {
  for (const auto& p : seed_files()) {
    const std::string bytes = read_all(p);
    const size_t end = bytes.find("\r\n\r\n");
    const bool has_body = bytes.size() > end + 4;
    const bool has_type = lower(bytes.substr(0, end)).find("\r\ncontent-type:") != std::string::npos;
    EXPECT_EQ(has_body, has_type) << p;
  }
}

}  // namespace
