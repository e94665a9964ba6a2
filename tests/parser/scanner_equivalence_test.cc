// tests/parser/scanner_equivalence_test.cc — test thread. HandScanner and HyperscanScanner must build
// the same index on every input (DESIGN §4): every data file, every prefix of it (stream NeedMore),
// deterministic mutations of it, hand-made edge cases and the PROTOS c07-sip corpus (read from the
// shared tar.gz when present). Any field that differs fails the test.
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "parser/scanner_hand.h"
#include "parser/scanner_hyperscan.h"

namespace sipedge::parser {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> data_files() {
  std::vector<std::string> files;
  const fs::path root(SIPEDGE_TEST_DATA_DIR);
  if (!fs::exists(root)) return files;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.is_regular_file() && e.path().extension() == ".sip") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

std::string read_all(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A view as (offset, length) in `m`'s bytes, so two messages over the same bytes compare exactly.
std::pair<int64_t, size_t> where(const Message& m, std::string_view v) {
  return {v.data() == nullptr ? -1 : v.data() - m.bytes().data(), v.size()};
}

std::string show(Span s) { return "{" + std::to_string(s.off) + "," + std::to_string(s.len) + "}"; }

// Every observable field of the two results; returns "" when equal, else the first difference.
std::string difference(const ScanResult& ra, const Message& a, const ScanResult& rb, const Message& b) {
  auto ne = [](auto x, auto y) { return !(x == y); };
  if (ra.status != rb.status) return "status " + std::to_string(int(ra.status)) + " vs " + std::to_string(int(rb.status));
  if (ra.fault != rb.fault)
    return "fault " + std::string(fault_name(ra.fault)) + " vs " + std::string(fault_name(rb.fault));
  if (ra.consumed != rb.consumed) return "consumed " + std::to_string(ra.consumed) + " vs " + std::to_string(rb.consumed);
  if (a.is_request() != b.is_request()) return "is_request";
  if (a.method() != b.method()) return "method";
  if (ne(where(a, a.method_token()), where(b, b.method_token()))) return "method_token";
  if (ne(where(a, a.request_uri()), where(b, b.request_uri()))) return "request_uri";
  if (a.status_code() != b.status_code()) return "status_code";
  if (ne(where(a, a.reason_phrase()), where(b, b.reason_phrase()))) return "reason_phrase";
  if (ne(where(a, a.sip_version()), where(b, b.sip_version()))) return "sip_version";
  if (a.start_line().off != b.start_line().off || a.start_line().len != b.start_line().len)
    return "start_line " + show(a.start_line()) + " vs " + show(b.start_line());
  if (a.headers().size() != b.headers().size())
    return "header count " + std::to_string(a.headers().size()) + " vs " + std::to_string(b.headers().size());
  for (size_t i = 0; i < a.headers().size(); ++i) {
    const HeaderField& x = a.headers()[i];
    const HeaderField& y = b.headers()[i];
    const std::string at = "header " + std::to_string(i) + " ";
    if (x.id != y.id) return at + "id " + std::to_string(int(x.id)) + " vs " + std::to_string(int(y.id));
    if (x.next_same != y.next_same) return at + "next_same";
    if (x.name.off != y.name.off || x.name.len != y.name.len) return at + "name " + show(x.name) + " vs " + show(y.name);
    if (x.value.off != y.value.off || x.value.len != y.value.len)
      return at + "value " + show(x.value) + " vs " + show(y.value);
  }
  for (unsigned id = 0; id < kHeaderIdCount; ++id) {
    const HeaderField* x = a.find(static_cast<HeaderId>(id));
    const HeaderField* y = b.find(static_cast<HeaderId>(id));
    if ((x == nullptr) != (y == nullptr) || (x && x - a.headers().data() != y - b.headers().data()))
      return "find(" + std::to_string(id) + ")";
  }
  if (a.headers_begin() != b.headers_begin() || a.headers_end() != b.headers_end()) return "header block";
  if (a.body_span().off != b.body_span().off || a.body_span().len != b.body_span().len)
    return "body " + show(a.body_span()) + " vs " + show(b.body_span());
  if (a.size() != b.size()) return "size";
  if (a.content_length() != b.content_length()) return "content_length";
  if (!std::equal(a.policy_hits().begin(), a.policy_hits().end(), b.policy_hits().begin(), b.policy_hits().end()))
    return "policy hits";
  return "";
}

class ScannerEquivalence : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto s = HyperscanScanner::create();
    ASSERT_TRUE(s.ok());
    hyperscan_ = new HyperscanScanner(std::move(s).value());
  }
  static void TearDownTestSuite() {
    delete hyperscan_;
    hyperscan_ = nullptr;
  }

  // Scans `bytes` with both scanners in `framing`; returns the first difference ("" = same).
  static std::string compare(std::string_view bytes, Framing framing) {
    const ScanResult ra = hand_.scan(bytes, framing, *a_);
    const ScanResult rb = hyperscan_->scan(bytes, framing, *b_);
    return difference(ra, *a_, rb, *b_);
  }

  static void expect_same(std::string_view bytes, const std::string& label) {
    for (Framing f : {Framing::Datagram, Framing::Stream}) {
      const std::string d = compare(bytes, f);
      EXPECT_EQ(d, "") << label << (f == Framing::Stream ? " (stream)" : " (datagram)") << ": "
                       << ::testing::PrintToString(std::string(bytes.substr(0, 200)));
    }
  }

  static inline HandScanner hand_;
  static inline HyperscanScanner* hyperscan_ = nullptr;
  // Messages are large (fixed header capacity): keep them off the test stack.
  static inline Message* a_ = new Message;
  static inline Message* b_ = new Message;
};

TEST_F(ScannerEquivalence, ComparisonSeesAValueSpanDifference) {
  const std::string x = "OPTIONS sip:a SIP/2.0\r\nVia: x\r\n\r\n";
  const std::string y = "OPTIONS sip:a SIP/2.0\r\nVia:  x\r\n\r\n";
  const ScanResult rx = hand_.scan(x, Framing::Datagram, *a_);
  const ScanResult ry = hand_.scan(y, Framing::Datagram, *b_);
  EXPECT_EQ(difference(rx, *a_, ry, *b_), "consumed 33 vs 34");
  const ScanResult rz = hyperscan_->scan(x, Framing::Datagram, *b_);
  EXPECT_EQ(difference(rx, *a_, rz, *b_), "");
}

TEST_F(ScannerEquivalence, DataFilesExist) {
  EXPECT_FALSE(data_files().empty()) << "no *.sip under " << SIPEDGE_TEST_DATA_DIR;
}

TEST_F(ScannerEquivalence, EveryDataFileWholeAndEveryPrefix) {
  for (const std::string& path : data_files()) {
    const std::string bytes = read_all(path);
    expect_same(bytes, path);
    // Every truncation: stream framing must say NeedMore at the same points, datagram the same fault.
    for (size_t len = 0; len < bytes.size(); ++len) {
      for (Framing f : {Framing::Datagram, Framing::Stream}) {
        const std::string d = compare(std::string_view(bytes).substr(0, len), f);
        ASSERT_EQ(d, "") << path << " prefix " << len << (f == Framing::Stream ? " stream" : " datagram");
      }
    }
  }
}

TEST_F(ScannerEquivalence, EveryDataFileWithBareLfAndLeadingKeepalives) {
  for (const std::string& path : data_files()) {
    const std::string bytes = read_all(path);
    std::string lf;
    for (size_t i = 0; i < bytes.size(); ++i)
      if (!(bytes[i] == '\r' && i + 1 < bytes.size() && bytes[i + 1] == '\n')) lf += bytes[i];
    expect_same(lf, path + " bare LF");
    expect_same("\r\n\r\n" + bytes, path + " leading CRLF");
    expect_same(bytes + bytes, path + " two messages");
  }
}

// Deterministic single-byte mutations of every data file: replace, insert or delete one byte with a
// byte the rules care about. Cheap coverage of the paths between "valid" and each fault.
TEST_F(ScannerEquivalence, MutatedDataFiles) {
  const char kBytes[] = {'\r', '\n', '\0', ' ', '\t', ':', 'a', '-', '"', '\x80'};
  uint64_t rng = 0x9e3779b97f4a7c15ull;
  auto next = [&rng] {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
  };
  for (const std::string& path : data_files()) {
    const std::string bytes = read_all(path);
    if (bytes.empty()) continue;
    for (int k = 0; k < 300; ++k) {
      std::string m = bytes;
      const size_t at = next() % m.size();
      const char c = kBytes[next() % sizeof kBytes];
      switch (next() % 3) {
        case 0: m[at] = c; break;
        case 1: m.insert(m.begin() + static_cast<std::ptrdiff_t>(at), c); break;
        default: m.erase(at, 1); break;
      }
      for (Framing f : {Framing::Datagram, Framing::Stream}) {
        const std::string d = compare(m, f);
        ASSERT_EQ(d, "") << path << " mutation " << k << " at " << at;
      }
    }
  }
}

struct Case {
  const char* name;
  std::string bytes;
};

std::string with_nul(std::string s, size_t at) {
  s[at] = '\0';
  return s;
}

const std::string kBase =
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n"
    "Max-Forwards: 70\r\n"
    "To: Bob <sip:bob@biloxi.example.com>\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Contact: <sip:alice@pc33.atlanta.example.com>\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 4\r\n"
    "\r\n"
    "v=0\n";

std::vector<Case> tricky_cases() {
  std::vector<Case> c = {
      {"base", kBase},
      {"folding",
       "OPTIONS sip:a SIP/2.0\r\nSubject: I know you're there,\r\n   pick up the phone\r\n\tand talk to me!\r\n"
       "Via: SIP/2.0/UDP h\r\n \r\nContent-Length: 0\r\n\r\n"},
      {"fold onto empty value", "OPTIONS sip:a SIP/2.0\r\nSubject:\r\n  late value\r\nl: 0\r\n\r\n"},
      {"fold first line", "OPTIONS sip:a SIP/2.0\r\n folded\r\nl: 0\r\n\r\n"},
      {"compact forms",
       "INVITE sip:a SIP/2.0\r\nv: SIP/2.0/UDP h\r\nf: <sip:a>;tag=1\r\nt: <sip:b>\r\ni: x@y\r\nm: <sip:c>\r\n"
       "c: application/sdp\r\nk: 100rel\r\ns: hi\r\ne: gzip\r\no: dialog\r\nr: <sip:d>\r\nu: refer\r\n"
       "x: 90\r\ny: abc\r\nn: <http://x>\r\nb: <sip:e>\r\nj: *\r\na: *\r\nd: proxy\r\nl: 0\r\n\r\n"},
      {"uppercase compact", "BYE sip:a SIP/2.0\r\nV: SIP/2.0/UDP h\r\nL: 0\r\nCALL-id: Q\r\n\r\n"},
      {"bare LF", "OPTIONS sip:a SIP/2.0\nVia: SIP/2.0/UDP h\nContent-Length: 2\n\nab"},
      {"mixed terminators", "OPTIONS sip:a SIP/2.0\r\nVia: x\nTo: y\r\nl: 1\n\r\nZZ"},
      {"leading CRLFs", "\r\n\r\n\n\rOPTIONS sip:a SIP/2.0\r\nl: 0\r\n\r\n"},
      {"only CRLFs", "\r\n\r\n"},
      {"empty", ""},
      {"junk after body", kBase + "garbage after the declared body"},
      {"no content length", "OPTIONS sip:a SIP/2.0\r\nVia: x\r\n\r\nbody without length"},
      {"duplicate headers",
       "OPTIONS sip:a SIP/2.0\r\nVia: a\r\nRoute: <sip:1>\r\nVia: b\r\nv: c\r\nRoute: <sip:2>\r\nl: 0\r\n\r\n"},
      {"equal content lengths", "OPTIONS sip:a SIP/2.0\r\nContent-Length: 2\r\nl: 2\r\n\r\nab"},
      {"conflicting content lengths", "OPTIONS sip:a SIP/2.0\r\nContent-Length: 2\r\nl: 3\r\n\r\nabc"},
      {"bad content length", "OPTIONS sip:a SIP/2.0\r\nContent-Length: 2x\r\n\r\nab"},
      {"empty content length", "OPTIONS sip:a SIP/2.0\r\nContent-Length:\r\n\r\nab"},
      {"huge content length", "OPTIONS sip:a SIP/2.0\r\nContent-Length: 99999999999999999999\r\n\r\nab"},
      {"content length beyond data", "OPTIONS sip:a SIP/2.0\r\nContent-Length: 20\r\n\r\nab"},
      {"unknown headers", "OPTIONS sip:a SIP/2.0\r\nX-Foo: 1\r\nP-Charging-Vector: icid=1\r\nVias: no\r\nl: 0\r\n\r\n"},
      {"space before colon", "OPTIONS sip:a SIP/2.0\r\nVia  : x\r\nTo\t:\ty \t\r\nX-Y :z\r\nl : 0\r\n\r\n"},
      {"missing empty line", "OPTIONS sip:a SIP/2.0\r\nVia: x\r\nl: 0\r\n"},
      {"missing empty line no terminator", "OPTIONS sip:a SIP/2.0\r\nVia: x\r\nl: 0"},
      {"CR at end", "OPTIONS sip:a SIP/2.0\r\nVia: x\r\n\r"},
      {"no colon", "OPTIONS sip:a SIP/2.0\r\nVia x\r\n\r\n"},
      {"name then spaces only", "OPTIONS sip:a SIP/2.0\r\nVia   \r\n\r\n"},
      {"bad name char", "OPTIONS sip:a SIP/2.0\r\nVi@a: x\r\n\r\n"},
      {"empty name", "OPTIONS sip:a SIP/2.0\r\n: x\r\n\r\n"},
      {"lone CR line", "OPTIONS sip:a SIP/2.0\r\n\r\r\nl: 0\r\n\r\n"},
      {"CR inside value", "OPTIONS sip:a SIP/2.0\r\nSubject: a\rb\r\nl: 0\r\n\r\n"},
      {"NUL in start line", with_nul("OPTIONS sip:a SIP/2.0\r\nl: 0\r\n\r\n", 9)},
      {"NUL in header", with_nul("OPTIONS sip:a SIP/2.0\r\nVia: x\r\nl: 0\r\n\r\n", 27)},
      {"NUL at line start", with_nul("OPTIONS sip:a SIP/2.0\r\nVia: x\r\nl: 0\r\n\r\n", 31)},
      {"NUL in body", with_nul("OPTIONS sip:a SIP/2.0\r\nl: 3\r\n\r\nabc", 32)},
      {"NUL after bad line", with_nul("OPTIONS sip:a SIP/2.0\r\nbad\r\nVia: x\r\n\r\n", 33)},
      {"NUL after bad content length", with_nul("OPTIONS sip:a SIP/2.0\r\nl: x\r\nVia: xx\r\n\r\n", 35)},
      {"NUL quoted-pair in display name", with_nul("OPTIONS sip:a SIP/2.0\r\nFrom: \"a\\x\" <sip:b@c>\r\nl: 0\r\n\r\n", 32)},
      {"NUL quoted-pair in comment", with_nul("OPTIONS sip:a SIP/2.0\r\nServer: s (a\\x)\r\nl: 0\r\n\r\n", 36)},
      {"NUL unescaped inside quotes", with_nul("OPTIONS sip:a SIP/2.0\r\nFrom: \"ax\" <sip:b@c>\r\nl: 0\r\n\r\n", 31)},
      {"NUL after escaped backslash", with_nul("OPTIONS sip:a SIP/2.0\r\nFrom: \"\\\\x\" <sip:b@c>\r\nl: 0\r\n\r\n", 32)},
      {"bad line then the rest", "OPTIONS sip:a SIP/2.0\r\nVi@a: x\r\nCall-ID: 1\r\nl: 0\r\n\r\n"},
      {"two bad lines", "OPTIONS sip:a SIP/2.0\r\nl: x\r\n: y\r\nCSeq: 1 OPTIONS\r\n\r\n"},
      {"bad line then fold", "OPTIONS sip:a SIP/2.0\r\nVi@a: x\r\n folded\r\nCSeq: 1 X\r\n\r\n"},
      {"status line", "SIP/2.0 200 OK\r\nVia: x\r\nl: 0\r\n\r\n"},
      {"status line no reason", "SIP/2.0 200\r\nl: 0\r\n\r\n"},
      {"status line empty reason", "SIP/2.0 180 \r\nl: 0\r\n\r\n"},
      {"bad status code", "SIP/2.0 2x0 OK\r\nl: 0\r\n\r\n"},
      {"status code 700", "SIP/2.0 700 Odd\r\nl: 0\r\n\r\n"},
      {"lowercase sip version", "sip/2.0 200 OK\r\nl: 0\r\n\r\n"},
      {"unknown method", "FOOBAR sip:a SIP/2.0\r\nl: 0\r\n\r\n"},
      {"bad method", "INV@TE sip:a SIP/2.0\r\nl: 0\r\n\r\n"},
      {"double space start line", "INVITE  sip:a SIP/2.0\r\nl: 0\r\n\r\n"},
      {"start line trailing space", "INVITE sip:a SIP/2.0 \r\nl: 0\r\n\r\n"},
      {"start line only", "INVITE sip:a SIP/2.0"},
      {"start line then end", "INVITE sip:a SIP/2.0\r\n\r\n"},
      {"header names like start line", "v: x\r\nl: 0\r\n\r\n"},
      {"name pattern inside value", "OPTIONS sip:a SIP/2.0\r\nSubject: Via: no\r\nl: 0\r\n\r\n"},
      {"name pattern after CR", "OPTIONS sip:a SIP/2.0\r\nSubject: x\rVia: y\r\nl: 0\r\n\r\n"},
      {"tab folded compact", "OPTIONS sip:a SIP/2.0\r\ni:\r\n\tabc\r\nl: 0\r\n\r\n"},
      {"high bytes", "OPTIONS sip:a SIP/2.0\r\nSubject: \xe4\xbd\xa0\xe5\xa5\xbd\r\nl: 0\r\n\r\n"},
  };
  std::string many = "OPTIONS sip:a SIP/2.0\r\n";
  for (unsigned i = 0; i < kMaxHeaders; ++i) many += (i % 3 == 0 ? "Via: " : "X-H: ") + std::to_string(i) + "\r\n";
  c.push_back({"exactly max headers", many + "\r\n"});
  c.push_back({"one header too many", many + "l: 0\r\n\r\n"});
  c.push_back({"too many then bad", many + "l: x\r\n\r\n"});
  std::string big = "OPTIONS sip:a SIP/2.0\r\nX-Big: " + std::string(kMaxMessageBytes, 'b') + "\r\n\r\n";
  c.push_back({"too large", big});
  c.push_back({"max size", "OPTIONS sip:a SIP/2.0\r\nl: 0\r\n\r\n" + std::string(kMaxMessageBytes - 37, 'j')});
  c.push_back({"endless header line", "OPTIONS sip:a SIP/2.0\r\nX-Big: " + std::string(kMaxMessageBytes + 10, 'b')});
  c.push_back({"endless start line", "OPTIONS sip:" + std::string(kMaxMessageBytes + 10, 'u')});
  c.push_back({"body beyond limit", "OPTIONS sip:a SIP/2.0\r\nl: 65535\r\n\r\n" + std::string(70000, 'z')});
  return c;
}

TEST_F(ScannerEquivalence, TrickyInputs) {
  for (const Case& c : tricky_cases()) {
    expect_same(c.bytes, c.name);
    // And every prefix, for stream NeedMore and truncated datagrams.
    if (c.bytes.size() < 4096)
      for (size_t len = 0; len < c.bytes.size(); ++len) {
        for (Framing f : {Framing::Datagram, Framing::Stream}) {
          const std::string d = compare(std::string_view(c.bytes).substr(0, len), f);
          ASSERT_EQ(d, "") << c.name << " prefix " << len;
        }
      }
  }
}

// Every regular file of a gzip-compressed ustar archive (512-byte headers, data padded to 512,
// a zero block at the end). False when the archive is truncated.
bool untar_gz(const char* path, std::vector<std::string>& files) {
  gzFile gz = gzopen(path, "rb");
  if (gz == nullptr) return false;
  std::array<unsigned char, 512> header;
  bool ok = false;
  while (gzread(gz, header.data(), header.size()) == static_cast<int>(header.size())) {
    if (std::all_of(header.begin(), header.end(), [](unsigned char c) { return c == 0; })) {
      ok = true;
      break;
    }
    uint64_t size = 0;  // octal, at offset 124, NUL/space terminated
    for (size_t i = 124; i < 136 && header[i] >= '0' && header[i] <= '7'; ++i) size = size * 8 + (header[i] - '0');
    const uint64_t padded = (size + 511) / 512 * 512;
    std::string data(padded, '\0');
    if (padded != 0 && gzread(gz, data.data(), static_cast<unsigned>(padded)) != static_cast<int>(padded)) break;
    data.resize(size);
    if (header[156] == '0' || header[156] == '\0') files.push_back(std::move(data));
  }
  gzclose(gz);
  return ok;
}

TEST_F(ScannerEquivalence, ProtosCorpus) {
  const std::string path = std::string(SIPEDGE_SHARED_DIR) + "/corpora/protos-c07-sip/testcases-instantiated.tar.gz";
  if (!fs::exists(path)) GTEST_SKIP() << "PROTOS corpus not found at " << path;
  std::vector<std::string> files;
  ASSERT_TRUE(untar_gz(path.c_str(), files)) << "truncated archive " << path;
  ASSERT_EQ(files.size(), 2u * 4527u);  // an INVITE and a CANCEL per case
  size_t n = 0;
  for (const std::string& bytes : files) {
    for (Framing f : {Framing::Datagram, Framing::Stream}) {
      const std::string d = compare(bytes, f);
      ASSERT_EQ(d, "") << "PROTOS file #" << n << (f == Framing::Stream ? " stream: " : " datagram: ")
                       << ::testing::PrintToString(bytes.substr(0, 300));
    }
    // A stream read that stopped in the middle of the header block.
    const std::string d = compare(std::string_view(bytes).substr(0, bytes.size() / 3), Framing::Stream);
    ASSERT_EQ(d, "") << "PROTOS file #" << n << " first third, stream";
    ++n;
  }
}

}  // namespace
}  // namespace sipedge::parser
