// tests/parser/protos_corpus.h — test thread. Reads the PROTOS c07-sip robustness suite (4527 INVITE
// cases and their CANCELs, OUSPG) straight from the shared tar.gz beside the clone; it is never
// copied into the repository. Used by the parser's and the proxy's PROTOS tests.
#pragma once

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace sipedge::test {

inline constexpr const char* kProtosCorpus = SIPEDGE_SHARED_DIR "/corpora/protos-c07-sip/testcases-instantiated.tar.gz";
inline constexpr size_t kProtosCaseCount = 4527;

struct ProtosMessage {
  unsigned number = 0;
  bool invite = true;  // false: the case's CANCEL teardown
  std::string bytes;
};

// Octal number field of a ustar header (NUL/space terminated).
inline uint64_t octal_field(const unsigned char* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n && p[i] >= '0' && p[i] <= '7'; ++i) v = v * 8 + (p[i] - '0');
  return v;
}

// Reads every regular file of a gzip-compressed ustar archive: 512-byte header blocks, data
// padded to 512 bytes, two zero blocks at the end (POSIX.1-1988 ustar).
inline bool read_tar_gz(const char* path, std::vector<std::pair<std::string, std::string>>& files) {
  gzFile gz = gzopen(path, "rb");
  if (gz == nullptr) return false;
  std::array<unsigned char, 512> block;
  bool ok = true;
  while (true) {
    if (gzread(gz, block.data(), block.size()) != static_cast<int>(block.size())) {
      ok = false;
      break;
    }
    if (std::all_of(block.begin(), block.end(), [](unsigned char c) { return c == 0; })) break;
    const std::string name(reinterpret_cast<const char*>(block.data()), strnlen(reinterpret_cast<const char*>(block.data()), 100));
    const uint64_t size = octal_field(block.data() + 124, 12);
    const char type = static_cast<char>(block[156]);
    const uint64_t padded = (size + 511) / 512 * 512;
    std::string data(padded, '\0');
    if (padded != 0 && gzread(gz, data.data(), static_cast<unsigned>(padded)) != static_cast<int>(padded)) {
      ok = false;
      break;
    }
    data.resize(size);
    if (type == '0' || type == '\0') files.emplace_back(name, std::move(data));
  }
  gzclose(gz);
  return ok;
}

// "protos-c07-sip-instantiated/0001904.invite.msg" -> {1904, invite}.
inline bool parse_protos_name(const std::string& path, unsigned& number, bool& invite) {
  const std::string base = std::filesystem::path(path).filename().string();
  if (base.size() < 8 || base[7] != '.') return false;
  number = static_cast<unsigned>(std::stoul(base.substr(0, 7)));
  if (base.substr(7) == ".invite.msg")
    invite = true;
  else if (base.substr(7) == ".cancel.msg")
    invite = false;
  else
    return false;
  return true;
}

// Every case of the archive at kProtosCorpus into `out`; false when it is truncated or corrupt.
inline bool load_protos(std::vector<ProtosMessage>& out) {
  std::vector<std::pair<std::string, std::string>> files;
  const bool ok = read_tar_gz(kProtosCorpus, files);
  for (auto& [name, data] : files) {
    ProtosMessage m;
    if (parse_protos_name(name, m.number, m.invite)) {
      m.bytes = std::move(data);
      out.push_back(std::move(m));
    }
  }
  return ok;
}

}  // namespace sipedge::test
