// The cleaned seed captures (tests/data/seeds/*.sip), read once per call in file-name order, for
// tests that run every real message through one piece of the parser.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace sipedge::parser::testing {

struct SeedFile {
  std::string name;   // "000_01_invite.sip"
  std::string bytes;
};

inline std::vector<SeedFile> seed_files() {
  namespace fs = std::filesystem;
  std::vector<fs::path> paths;
  for (const auto& e : fs::directory_iterator(fs::path(SIPEDGE_TEST_DATA_DIR) / "seeds"))
    if (e.path().extension() == ".sip") paths.push_back(e.path());
  std::sort(paths.begin(), paths.end());
  std::vector<SeedFile> out;
  for (const auto& p : paths) {
    std::ifstream in(p, std::ios::binary);
    out.push_back({p.filename().string(), std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>())});
  }
  return out;
}

}  // namespace sipedge::parser::testing
