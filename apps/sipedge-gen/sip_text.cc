// apps/sipedge-gen/sip_text.cc — the generator's one lcore. RFC 3261 §7 (message layout, compact
// header names), RFC 4566 (c=, m=), RFC 2617 §3.2.2 and RFC 7616 §3.4 (digest response, qop=auth).
#include "apps/sipedge-gen/sip_text.h"

#include <arpa/inet.h>
#include <openssl/evp.h>

#include <algorithm>
#include <charconv>

namespace sipedge::gen {
namespace {

bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x | 0x20) == (y | 0x20);
         });
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Calls f(line) for every header line (the start line and the body excluded).
template <class F>
void for_each_header(std::string_view msg, F&& f) {
  size_t pos = msg.find("\r\n");
  while (pos != std::string_view::npos) {
    pos += 2;
    const size_t end = msg.find("\r\n", pos);
    if (end == std::string_view::npos || end == pos) return;
    f(msg.substr(pos, end - pos));
    pos = end;
  }
}

bool named(std::string_view line, std::string_view name, char compact, std::string_view* value) {
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return false;
  const std::string_view n = trim(line.substr(0, colon));
  if (!iequals(n, name) && !(compact && n.size() == 1 && (n[0] | 0x20) == compact)) return false;
  *value = trim(line.substr(colon + 1));
  return true;
}

}  // namespace

int status_of(std::string_view msg) noexcept {
  if (!msg.starts_with("SIP/2.0 ") || msg.size() < 11) return 0;
  int code = 0;
  std::from_chars(msg.data() + 8, msg.data() + 11, code);
  return code;
}

std::string_view method_of(std::string_view msg) noexcept {
  if (msg.starts_with("SIP/2.0 ")) return {};
  return msg.substr(0, msg.find(' '));
}

std::string_view request_uri_of(std::string_view msg) noexcept {
  const size_t a = msg.find(' ');
  if (a == std::string_view::npos) return {};
  const size_t b = msg.find(' ', a + 1);
  return b == std::string_view::npos ? std::string_view{} : msg.substr(a + 1, b - a - 1);
}

namespace {

// The values (or, with whole_line, the lines) of every header `name`.
std::vector<std::string_view> collect(std::string_view msg, std::string_view name, char compact, bool whole_line) {
  std::vector<std::string_view> out;
  for_each_header(msg, [&](std::string_view line) {
    std::string_view v;
    if (named(line, name, compact, &v)) out.push_back(whole_line ? line : v);
  });
  return out;
}

}  // namespace

std::vector<std::string_view> header_values(std::string_view msg, std::string_view name, char compact) {
  return collect(msg, name, compact, false);
}

std::vector<std::string_view> header_lines(std::string_view msg, std::string_view name, char compact) {
  return collect(msg, name, compact, true);
}

std::string_view header_value(std::string_view msg, std::string_view name, char compact) {
  const std::vector<std::string_view> all = collect(msg, name, compact, false);
  return all.empty() ? std::string_view{} : all.front();
}

std::string_view body_of(std::string_view msg) noexcept {
  const size_t p = msg.find("\r\n\r\n");
  return p == std::string_view::npos ? std::string_view{} : msg.substr(p + 4);
}

std::string_view param_of(std::string_view value, std::string_view name) noexcept {
  for (size_t i = 0; i + name.size() < value.size(); ++i) {
    const bool boundary = i == 0 || value[i - 1] == ';' || value[i - 1] == ' ' || value[i - 1] == ',';
    if (!boundary || !iequals(value.substr(i, name.size()), name) || value[i + name.size()] != '=') continue;
    const size_t v = i + name.size() + 1;
    if (v < value.size() && value[v] == '"') {
      const size_t close = value.find('"', v + 1);
      return close == std::string_view::npos ? std::string_view{} : value.substr(v + 1, close - v - 1);
    }
    const size_t end = value.find_first_of(";, >\r", v);
    return value.substr(v, end == std::string_view::npos ? std::string_view::npos : end - v);
  }
  return {};
}

std::string_view uri_in(std::string_view value) noexcept {
  const size_t lt = value.find('<');
  if (lt == std::string_view::npos) return value.substr(0, value.find(';'));
  const size_t gt = value.find('>', lt);
  return gt == std::string_view::npos ? std::string_view{} : value.substr(lt + 1, gt - lt - 1);
}

std::optional<uint32_t> parse_ipv4(std::string_view text) {
  const std::string s(text);
  in_addr a{};
  if (inet_pton(AF_INET, s.c_str(), &a) != 1) return std::nullopt;
  return ntohl(a.s_addr);
}

std::string ipv4_text(uint32_t addr) {
  return std::to_string(addr >> 24) + "." + std::to_string((addr >> 16) & 0xff) + "." +
         std::to_string((addr >> 8) & 0xff) + "." + std::to_string(addr & 0xff);
}

std::optional<MediaTarget> sdp_audio_target(std::string_view sdp) {
  uint32_t session_addr = 0, media_addr = 0;
  uint16_t port = 0;
  bool in_audio = false;
  for (size_t pos = 0; pos < sdp.size();) {
    size_t end = sdp.find('\n', pos);
    if (end == std::string_view::npos) end = sdp.size();
    const std::string_view line = trim(sdp.substr(pos, end - pos));
    pos = end + 1;
    if (line.starts_with("m=")) {
      if (in_audio) break;  // the first audio stream only
      if (!line.starts_with("m=audio ")) continue;
      in_audio = true;
      std::from_chars(line.data() + 8, line.data() + line.size(), port);
    } else if (line.starts_with("c=IN IP4 ")) {
      std::string_view a = line.substr(9);
      const auto ip = parse_ipv4(a.substr(0, a.find('/')));
      if (!ip) continue;
      (in_audio ? media_addr : session_addr) = *ip;
    }
  }
  const uint32_t addr = media_addr ? media_addr : session_addr;
  if (!in_audio || port == 0 || addr == 0) return std::nullopt;
  return MediaTarget{addr, port};
}

std::string digest_hex(bool sha256, std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, sha256 ? EVP_sha256() : EVP_md5(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned i = 0; i < len; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 15]);
  }
  return out;
}

std::optional<std::string> digest_authorization(std::string_view challenge, std::string_view user,
                                                std::string_view password, std::string_view method,
                                                std::string_view uri, std::string_view cnonce) {
  if (challenge.size() < 7 || !iequals(challenge.substr(0, 7), "Digest ")) return std::nullopt;
  const std::string_view realm = param_of(challenge, "realm");
  const std::string_view nonce = param_of(challenge, "nonce");
  const std::string_view opaque = param_of(challenge, "opaque");
  const std::string_view algorithm = param_of(challenge, "algorithm");
  const std::string_view qops = param_of(challenge, "qop");
  bool sha256 = false;
  if (iequals(algorithm, "SHA-256")) {
    sha256 = true;
  } else if (!algorithm.empty() && !iequals(algorithm, "MD5")) {
    return std::nullopt;
  }
  const bool qop_auth = qops.find("auth") != std::string_view::npos;
  const std::string ha1 = digest_hex(sha256, std::string(user) + ":" + std::string(realm) + ":" + std::string(password));
  const std::string ha2 = digest_hex(sha256, std::string(method) + ":" + std::string(uri));
  const std::string nc = "00000001";
  const std::string response =
      qop_auth ? digest_hex(sha256, ha1 + ":" + std::string(nonce) + ":" + nc + ":" + std::string(cnonce) + ":auth:" + ha2)
               : digest_hex(sha256, ha1 + ":" + std::string(nonce) + ":" + ha2);
  std::string out = "Digest username=\"" + std::string(user) + "\", realm=\"" + std::string(realm) + "\", nonce=\"" +
                    std::string(nonce) + "\", uri=\"" + std::string(uri) + "\", response=\"" + response +
                    "\", algorithm=" + (sha256 ? "SHA-256" : "MD5");
  if (qop_auth) out += ", qop=auth, nc=" + nc + ", cnonce=\"" + std::string(cnonce) + "\"";
  if (!opaque.empty()) out += ", opaque=\"" + std::string(opaque) + "\"";
  return out;
}

}  // namespace sipedge::gen
