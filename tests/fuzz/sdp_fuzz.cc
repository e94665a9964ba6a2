// tests/fuzz/sdp_fuzz.cc — libFuzzer target for parser/sdp.cc. Parses arbitrary bytes as an SDP body
// and, when they parse, runs every accessor and checks that every span lies inside the body and
// names exactly the bytes of its view (what the media-anchoring rewrite relies on). Traps on a breach.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "parser/sdp.h"

namespace {

using sipedge::parser::Sdp;
using sipedge::parser::SdpSpan;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

void check_span(const Sdp& sdp, SdpSpan s) {
  check(s.off <= sdp.body().size() && s.len <= sdp.body().size() - s.off);
}

// A view that came with a span must be exactly those bytes of the body.
void check_view(const Sdp& sdp, std::string_view v, SdpSpan s) {
  check_span(sdp, s);
  check(v.size() == s.len);
  if (!v.empty()) check(v.data() == sdp.body().data() + s.off);
}

// A view without a span must still point inside the body.
void check_inside(const Sdp& sdp, std::string_view v) {
  if (v.empty()) return;
  const char* b = sdp.body().data();
  check(v.data() >= b && v.data() + v.size() <= b + sdp.body().size());
}

void check_connection(const Sdp& sdp, const sipedge::parser::SdpConnection& c) {
  if (!c.present) return;
  check_view(sdp, c.address, c.address_span);
  check_span(sdp, c.line);
  check(c.address_span.off >= c.line.off && c.address_span.end() <= c.line.end());
  check(c.count >= 1);
  (void)c.is_hold_zero();
}

void exercise(const Sdp& sdp) {
  check_inside(sdp, sdp.origin_username);
  check_inside(sdp, sdp.origin_session_id);
  check_inside(sdp, sdp.session_name);
  check_view(sdp, sdp.origin_address, sdp.origin_address_span);
  check_span(sdp, sdp.origin_version_span);
  check(sdp.origin_version_span.len > 0);
  check_connection(sdp, sdp.connection);
  check(sdp.session_end_off <= sdp.body().size());
  (void)sipedge::parser::sdp_direction_name(sdp.direction);

  const auto attrs = sdp.attributes();
  check(attrs.size() <= sipedge::parser::kMaxSdpAttributes);
  check(sdp.session_attributes().size() <= attrs.size());
  for (const auto& a : attrs) {
    check_inside(sdp, a.name);
    check_span(sdp, a.line);
    if (a.has_value) check_view(sdp, a.value, a.value_span);
    (void)sdp.session_attribute(a.name);
  }

  const auto media = sdp.media();
  check(media.size() <= sipedge::parser::kMaxSdpMedia);
  size_t attr_total = sdp.session_attributes().size();
  for (size_t m = 0; m <= media.size(); ++m) {  // one past the end on purpose
    if (m < media.size()) {
      const auto& md = media[m];
      check_inside(sdp, md.media);
      check_view(sdp, md.proto, md.proto_span);
      check_view(sdp, md.formats, md.formats_span);
      check_span(sdp, md.port_span);
      check(md.line_off < md.end_off && md.end_off <= sdp.body().size());
      check(md.port_span.off > md.line_off && md.port_span.end() <= md.end_off);
      check_connection(sdp, md.connection);
      if (md.rtcp_port) {
        check_span(sdp, md.rtcp_port_span);
        check_span(sdp, md.rtcp_span);
        check(md.rtcp_port_span.off >= md.rtcp_span.off && md.rtcp_port_span.end() <= md.rtcp_span.end());
        if (!md.rtcp_address.empty()) check_view(sdp, md.rtcp_address, md.rtcp_address_span);
      }
      check(md.first_attr == attr_total);
      attr_total += md.attr_count;
      check(sdp.connection_for(m).present);
    }
    check(sdp.direction_for(m) != sipedge::parser::SdpDirection::Unspecified);
    (void)sdp.media_attribute(m, "rtpmap");
    for (const auto& a : sdp.media_attributes(m)) (void)a;

    std::array<uint8_t, 32> pts{};
    const size_t npt = sdp.payload_types(m, pts);
    for (size_t i = 0; i < npt && i < pts.size(); ++i) {
      check(pts[i] <= 127);
      if (auto r = sdp.rtpmap(m, pts[i])) {
        check(r->payload == pts[i]);
        check_inside(sdp, r->encoding);
        check_inside(sdp, r->channels);
      }
      if (auto f = sdp.fmtp(m, pts[i])) check_inside(sdp, f->params);
    }

    std::array<sipedge::parser::SdpCandidate, 8> cands;
    const size_t nc = sdp.candidates(m, cands);
    check(nc == sdp.candidates(m, {}));
    for (size_t i = 0; i < nc && i < cands.size(); ++i) {
      check_view(sdp, cands[i].address, cands[i].address_span);
      check_span(sdp, cands[i].port_span);
      check_inside(sdp, cands[i].foundation);
      check_inside(sdp, cands[i].type);
      check_inside(sdp, cands[i].rest);
      check_inside(sdp, cands[i].related_address);
    }
    std::array<sipedge::parser::SdpCrypto, 4> cryptos;
    const size_t nk = sdp.cryptos(m, cryptos);
    for (size_t i = 0; i < nk && i < cryptos.size(); ++i) {
      check_inside(sdp, cryptos[i].suite);
      check_inside(sdp, cryptos[i].key_params);
      check_inside(sdp, cryptos[i].session_params);
    }
  }
  check(attr_total == attrs.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  auto r = sipedge::parser::parse_sdp(body);
  if (r.ok()) {
    check(r->body() == body);
    exercise(*r);
  } else {
    check(r.error().fault == sipedge::parser::Fault::BadSdp);
    check(r.error().off <= size);
    std::array<char, 96> buf;
    const size_t n = r.error().format(buf);
    check(n < buf.size());
    // The text may become a SIP reason phrase: printable ASCII only.
    for (size_t i = 0; i < n; ++i) check(buf[i] >= 0x20 && buf[i] < 0x7f);
  }
  return 0;
}
