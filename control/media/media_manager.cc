// control/media/media_manager.cc — control lcore only. SDP anchoring and relay flow bookkeeping
// (DESIGN §3 Media; RFC 3264 offer/answer, RFC 8866 SDP, RFC 3605 a=rtcp, RFC 5761 rtcp-mux).
// Never leaves partial state: every rewrite is planned on a copy, flows are installed before
// anything is committed, and a failure rolls back ports and flows it touched.
#include "control/media/media_manager.h"

#include <algorithm>
#include <array>
#include <cassert>

#include "common/compact_string.h"
#include "parser/sdp.h"

namespace sipedge::control {

namespace {

// The parser refuses bodies with more media sections than it can index (parser::kMaxSdpMedia),
// which is also how many streams a session anchors.
constexpr size_t kMaxStreams = parser::kMaxSdpMedia;

size_t count_media_lines(std::string_view body) noexcept {
  size_t n = 0;
  size_t pos = 0;
  while (pos < body.size()) {
    if (body.compare(pos, 2, "m=") == 0) ++n;
    size_t nl = body.find('\n', pos);
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  return n;
}

// The token just before `off` (skipping the spaces between): the <addrtype> of c=, o= and a=rtcp.
parser::Span token_before(std::string_view body, uint32_t off) noexcept {
  uint32_t end = off;
  while (end > 0 && body[end - 1] == ' ') --end;
  uint32_t begin = end;
  while (begin > 0 && body[begin - 1] != ' ' && body[begin - 1] != '\n') --begin;
  return parser::Span{begin, end - begin};
}

// End of a line's content (before CRLF / LF), as an offset into the body.
uint32_t line_content_end(std::string_view body, parser::Span line) noexcept {
  uint32_t end = line.off + line.len;
  while (end > line.off && (body[end - 1] == '\n' || body[end - 1] == '\r')) --end;
  return end;
}

std::string_view addrtype_of(const IpAddr& a) noexcept { return a.is_v6() ? "IP6" : "IP4"; }

// One replacement in the body; `version` marks where the o= version goes (filled in last, once it
// is known whether the output changed).
struct Edit {
  uint32_t off = 0;
  uint32_t len = 0;
  std::string text;
  bool version = false;
};

}  // namespace

// Relay ports of one interface: even RTP ports with RTP+1 for RTCP on each of its media addresses
// (the first, then InterfaceConfig::extra_media_addresses), handed out per address in FIFO order so
// a port just released (stray packets of the ended call may still arrive) is reused as late as
// possible. A session side takes all its ports on one address (its SDP has one c= line), the
// addresses in turn. O(1) acquire and release.
class MediaManager::PortPool {
 public:
  PortPool(const InterfaceConfig& cfg, MediaPortSlice slice) {
    addresses_.push_back(cfg.media_address.family != IpAddr::Family::None ? cfg.media_address : cfg.sip_address);
    addresses_.insert(addresses_.end(), cfg.extra_media_addresses.begin(), cfg.extra_media_addresses.end());
    first_ = (static_cast<uint32_t>(cfg.media_port_min) + 1) & ~1u;
    rings_.resize(addresses_.size());
    for (Ring& r : rings_) {
      for (uint32_t p = first_ + 2 * slice.index; p + 1 <= cfg.media_port_max; p += 2 * slice.count)
        r.free.push_back(static_cast<uint16_t>(p));
      r.count = r.free.size();
      r.used.assign(cfg.media_port_max >= first_ ? (cfg.media_port_max + 1u - first_) / 2 : 0, false);
    }
  }

  // The address the next session side takes its ports on.
  uint16_t pick() noexcept {
    const uint16_t a = next_;
    if (++next_ == addresses_.size()) next_ = 0;
    return a;
  }

  std::optional<uint16_t> acquire(uint16_t address) noexcept {
    Ring& r = rings_[address];
    if (r.count == 0) return std::nullopt;
    const uint16_t port = r.free[r.head];
    if (++r.head == r.free.size()) r.head = 0;  // a compare, not a 64-bit division per call
    --r.count;
    r.used[(port - first_) / 2] = true;
    return port;
  }

  void release(uint16_t address, uint16_t rtp_port) noexcept {
    Ring& r = rings_[address];
    const size_t slot = (rtp_port - first_) / 2;
    assert(rtp_port >= first_ && slot < r.used.size() && r.used[slot]);
    r.used[slot] = false;
    const size_t tail = r.head + r.count;
    r.free[tail < r.free.size() ? tail : tail - r.free.size()] = rtp_port;
    ++r.count;
  }

  size_t pairs_in_use() const noexcept {
    size_t n = 0;
    for (const Ring& r : rings_) n += r.free.size() - r.count;
    return n;
  }
  const IpAddr& address(uint16_t a) const noexcept { return addresses_[a]; }

 private:
  struct Ring {
    std::vector<uint16_t> free;  // free ports from head, count of them, wrapping
    size_t head = 0;
    size_t count = 0;
    std::vector<bool> used;      // per pair, catches double release in debug builds
  };
  std::vector<IpAddr> addresses_;
  std::vector<Ring> rings_;      // per address
  uint32_t first_ = 0;
  uint16_t next_ = 0;
};

namespace {

// What one side's latest SDP said about one m-line.
struct SideDesc {
  bool described = false;
  uint16_t port = 0;     // m= port; 0 = stream disabled
  IpAddr addr;           // c= address; None when unknown (hold before any real address)
  bool hold_zero = false;  // c=0.0.0.0 / ::
  parser::SdpDirection direction = parser::SdpDirection::SendRecv;
  std::optional<uint16_t> rtcp_port;  // a=rtcp port
  IpAddr rtcp_addr;      // a=rtcp address; None = the c= address
  bool rtcp_mux = false;
  bool rtp = true;       // RTP profile (has RTCP)
};

// A relay flow of a stream. Its ends are not kept: they are what the committed stream's
// descriptions and ports say (program_flows installs exactly those).
struct FlowRec {
  std::optional<FlowBackend::Handle> handle;
};

}  // namespace

struct MediaManager::Stream {
  bool has_ports = false;
  std::array<uint16_t, 2> port{0, 0};  // relay RTP port on side s's interface (what side s sends to)
  std::array<SideDesc, 2> desc;
  std::array<FlowRec, 2> flow;  // [0] RTP, [1] RTCP
};

// An offer waiting for its answer: what it said, and the relay ports it took for streams that had
// none (stream index -> ports per side).
struct MediaManager::Offer {
  std::vector<SideDesc> descs;
  std::vector<std::pair<size_t, std::array<uint16_t, 2>>> acquired;
};

// One SDP body as parsed and described (planning, before anything changes).
struct MediaManager::Described {
  parser::Sdp sdp;
  std::string_view body;
  std::vector<SideDesc> descs;  // per m-line of this body
};

struct MediaManager::Session {
  uint64_t owner = 0;
  std::array<uint16_t, 2> iface{0, 0};
  std::array<uint16_t, 2> address{0, 0};  // per side: which of its interface's media addresses (PortPool)
  bool own_origin = false;      // set_own_origin: o= username and session id are sipedge's
  std::vector<Stream> streams;  // what both sides agreed, as the relay carries it
  // Indexed by the offering side; apart, as most of a call's life has no offer pending.
  std::array<std::unique_ptr<Offer>, 2> offer;
  struct Out {
    // The last SDP sent to that side without its version, kept while a retransmission may carry
    // it again (texts_kept); its hash always, which is what the o= version needs.
    CompactString text;
    uint64_t hash = 0;
    uint64_t version = 0;
    uint32_t version_pos = 0;
    bool sent = false;
  };
  std::array<Out, 2> out;  // indexed by the side receiving the SDP
  uint32_t texts_kept = 0;  // keep_sdp_texts() not yet released
  std::array<uint64_t, 2> origin_session{0, 0};  // set_own_origin: the o= sess-id per receiving side
};

namespace {

bool same_end(const FlowBackend::End& x, const FlowBackend::End& y) noexcept {
  return x.iface == y.iface && x.local == y.local && x.local_port == y.local_port && x.remote == y.remote &&
         x.remote_port == y.remote_port;
}

bool desc_on_hold(const SideDesc& d) noexcept {
  return d.hold_zero || d.direction != parser::SdpDirection::SendRecv;
}

// An m-line a body left out (a peer breaking RFC 3264 §8) counts as disabled by it.
SideDesc desc_at(const std::vector<SideDesc>& descs, size_t i) {
  if (i < descs.size()) return descs[i];
  SideDesc d;
  d.described = true;
  return d;
}

}  // namespace

MediaManager::MediaManager(const ControlConfig& config, FlowBackend& backend, MediaPortSlice slice)
    : config_(config), backend_(backend) {
  for (const InterfaceConfig& i : config.interfaces) {
    if (pools_.size() <= i.index) pools_.resize(i.index + 1);
    pools_[i.index] = std::make_unique<PortPool>(i, slice);
  }
}

MediaManager::~MediaManager() {
  for (auto& [id, s] : sessions_) remove_flows(*s);
}

MediaManager::PortPool* MediaManager::pool(uint16_t iface) const noexcept {
  return iface < pools_.size() ? pools_[iface].get() : nullptr;
}

MediaSessionId MediaManager::create(uint16_t caller_iface, uint16_t callee_iface, uint64_t owner) {
  const MediaSessionId id = next_id_++;
  auto s = std::make_unique<Session>();
  s->iface = {caller_iface, callee_iface};
  s->owner = owner;
  for (int side = 0; side < 2; ++side)
    if (PortPool* p = pool(s->iface[side])) s->address[side] = p->pick();
  sessions_.emplace(id, std::move(s));
  return id;
}

uint64_t MediaManager::owner_of(MediaSessionId id) const {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? 0 : it->second->owner;
}

void MediaManager::set_own_origin(MediaSessionId id, uint64_t caller_session, uint64_t callee_session) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  it->second->own_origin = true;
  it->second->origin_session = {caller_session, callee_session};
}

void MediaManager::remove_flows(Session& s) {
  for (Stream& st : s.streams) {
    for (FlowRec& f : st.flow) {
      if (!f.handle) continue;
      backend_.remove(*f.handle);
      flow_owner_.erase(*f.handle);
      f.handle.reset();
    }
  }
}

Result<std::monostate, MediaError> MediaManager::move_side(MediaSessionId id, MediaSide side, uint16_t iface) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return Err(MediaError::UnknownSession);
  Session& s = *it->second;
  const int m = static_cast<int>(side);
  if (s.iface[m] == iface) return std::monostate{};
  PortPool* from = pool(s.iface[m]);
  PortPool* to = pool(iface);
  if (!from || !to) return Err(MediaError::RelayRefused);
  // Every port the side holds: the streams' and the pending offers'. All of them, or none.
  std::vector<uint16_t*> held;
  for (Stream& st : s.streams)
    if (st.has_ports) held.push_back(&st.port[m]);
  for (std::unique_ptr<Offer>& o : s.offer)
    if (o) for (auto& [stream, ports] : o->acquired) held.push_back(&ports[m]);
  std::vector<uint16_t> fresh;
  const uint16_t address = to->pick();
  for (size_t i = 0; i < held.size(); ++i) {
    auto p = to->acquire(address);
    if (!p) {
      for (uint16_t q : fresh) to->release(address, q);
      return Err(MediaError::NoPorts);
    }
    fresh.push_back(*p);
  }
  remove_flows(s);
  for (size_t i = 0; i < held.size(); ++i) {
    from->release(s.address[m], *held[i]);
    *held[i] = fresh[i];
  }
  for (Stream& st : s.streams) st.desc[m] = SideDesc{};
  s.iface[m] = iface;
  s.address[m] = address;
  s.out[m] = Session::Out{};
  return std::monostate{};
}

std::optional<std::string> MediaManager::last_sdp(MediaSessionId id, MediaSide to) const {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return std::nullopt;
  const Session::Out& o = it->second->out[static_cast<int>(to)];
  if (!o.sent || o.text.empty()) return std::nullopt;
  std::string out = o.text.str();
  out.insert(o.version_pos, std::to_string(o.version));
  return out;
}

void MediaManager::keep_sdp_texts(MediaSessionId id) {
  if (auto it = sessions_.find(id); it != sessions_.end()) ++it->second->texts_kept;
}

void MediaManager::release_sdp_texts(MediaSessionId id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end() || it->second->texts_kept == 0) return;
  Session& s = *it->second;
  if (--s.texts_kept == 0)
    for (Session::Out& o : s.out) o.text.clear();
}

void MediaManager::release_offer(Session& s, int from) {
  if (!s.offer[from]) return;
  for (const auto& [stream, ports] : s.offer[from]->acquired) {
    for (int side = 0; side < 2; ++side) pool(s.iface[side])->release(s.address[side], ports[side]);
  }
  s.offer[from].reset();
}

void MediaManager::reject_offer(MediaSessionId id, MediaSide from) {
  auto it = sessions_.find(id);
  if (it != sessions_.end()) release_offer(*it->second, static_cast<int>(from));
}

void MediaManager::destroy(MediaSessionId id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  Session& s = *it->second;
  remove_flows(s);
  for (int side = 0; side < 2; ++side) release_offer(s, side);
  for (Stream& st : s.streams) {
    if (!st.has_ports) continue;
    for (int side = 0; side < 2; ++side) pool(s.iface[side])->release(s.address[side], st.port[side]);
  }
  sessions_.erase(it);
}

std::optional<MediaError> MediaManager::describe(const Session& s, int f, std::string_view body, Described& out) const {
  const PortPool* from_pool = pool(s.iface[f]);
  const PortPool* to_pool = pool(s.iface[1 - f]);
  if (from_pool == nullptr || to_pool == nullptr) return MediaError::NoPorts;
  if (parser::parse_sdp_into(body, out.sdp).fault != parser::Fault::None) {
    if (count_media_lines(body) > kMaxStreams) return MediaError::TooManyStreams;
    return MediaError::BadSdp;
  }
  out.body = body;
  out.descs.clear();
  const parser::Sdp& sdp = out.sdp;
  const auto media = sdp.media();
  const IpAddr& from_family = from_pool->address(s.address[f]);
  out.descs.resize(media.size());
  for (size_t i = 0; i < media.size(); ++i) {
    const parser::SdpMedia& m = media[i];
    SideDesc& d = out.descs[i];
    d.described = true;
    d.port = m.port;
    d.rtp = m.is_rtp();
    d.rtcp_mux = m.rtcp_mux;
    d.direction = sdp.direction_for(i);
    d.rtcp_port = m.rtcp_port;
    const parser::SdpConnection& c = sdp.connection_for(i);
    if (!c.present) return MediaError::BadSdp;
    auto addr = IpAddr::parse(c.address);
    if (!addr) return MediaError::BadSdp;
    if (addr->is_unspecified()) {
      // RFC 3264 §8.4 hold: the peer's address is not told; keep the one it had, so latching and
      // strict source stay as they were and unhold to the same address changes nothing.
      d.hold_zero = true;
      if (i < s.streams.size() && s.streams[i].desc[f].described) d.addr = s.streams[i].desc[f].addr;
    } else {
      if (m.port != 0 && addr->family != from_family.family) return MediaError::AddressFamily;
      d.addr = *addr;
    }
    if (!m.rtcp_address.empty()) {
      auto ra = IpAddr::parse(m.rtcp_address);
      if (!ra) return MediaError::BadSdp;
      if (!ra->is_unspecified()) {
        if (m.port != 0 && ra->family != from_family.family) return MediaError::AddressFamily;
        d.rtcp_addr = *ra;
      }
    }
  }
  return std::nullopt;
}

std::string MediaManager::write_sdp(Session& s, int t, const Described& d, const std::vector<uint16_t>& ports) const {
  const std::string_view body = d.body;
  const parser::Sdp& sdp = d.sdp;
  const auto media = sdp.media();
  const IpAddr& to_addr = pool(s.iface[t])->address(s.address[t]);
  const AddrText to_addr_text = to_addr.text();
  std::vector<Edit> edits;
  // At most five for the origin, two for the session's c= and six per m= line (c=, port, a=rtcp
  // port and address): the vector never regrows.
  edits.reserve(7 + 6 * media.size());
  auto rewrite_address = [&](parser::Span addr_span, uint32_t value_end) {
    const parser::Span type = token_before(body, addr_span.off);
    if (body.substr(type.off, type.len) != addrtype_of(to_addr)) {
      edits.push_back(Edit{type.off, type.len, std::string(addrtype_of(to_addr))});
    }
    edits.push_back(Edit{addr_span.off, value_end - addr_span.off, std::string(to_addr_text.view())});
  };
  auto rewrite_connection = [&](const parser::SdpConnection& c) {
    if (!c.present || c.is_hold_zero()) return;
    rewrite_address(c.address_span, line_content_end(body, c.line));
  };
  if (s.own_origin && !sdp.origin_username.empty() && !sdp.origin_session_id.empty()) {
    auto off = [&](std::string_view v) { return static_cast<uint32_t>(v.data() - body.data()); };
    edits.push_back(Edit{off(sdp.origin_username), static_cast<uint32_t>(sdp.origin_username.size()), "sipedge"});
    edits.push_back(Edit{off(sdp.origin_session_id), static_cast<uint32_t>(sdp.origin_session_id.size()),
                         std::to_string(s.origin_session[t])});
  }
  edits.push_back(Edit{sdp.origin_version_span.off, sdp.origin_version_span.len, {}, true});
  rewrite_address(sdp.origin_address_span, sdp.origin_address_span.off + sdp.origin_address_span.len);
  rewrite_connection(sdp.connection);
  for (size_t i = 0; i < media.size(); ++i) {
    const parser::SdpMedia& m = media[i];
    const uint16_t port = i < ports.size() ? ports[i] : 0;
    rewrite_connection(m.connection);
    if (port != 0) edits.push_back(Edit{m.port_span.off, m.port_span.len, std::to_string(port)});
    if (m.rtcp_port) {
      if (port != 0) {
        const uint16_t rtcp = m.rtcp_mux ? port : static_cast<uint16_t>(port + 1);
        edits.push_back(Edit{m.rtcp_port_span.off, m.rtcp_port_span.len, std::to_string(rtcp)});
      }
      if (d.descs[i].rtcp_addr.family != IpAddr::Family::None) {
        rewrite_address(m.rtcp_address_span, m.rtcp_address_span.off + m.rtcp_address_span.len);
      }
    }
  }
  std::sort(edits.begin(), edits.end(), [](const Edit& x, const Edit& y) { return x.off < y.off; });
  std::string out;
  out.reserve(body.size() + 64);
  uint32_t version_pos = 0;
  uint32_t pos = 0;
  for (const Edit& e : edits) {
    out.append(body.substr(pos, e.off - pos));
    if (e.version) version_pos = out.size();
    out.append(e.text);
    pos = e.off + e.len;
  }
  out.append(body.substr(pos));

  // o= version: the peer's own at first, one up whenever what this side receives changes.
  Session::Out& o = s.out[t];
  const uint64_t hash = std::hash<std::string_view>{}(out);
  if (!o.sent) {
    o.sent = true;
    o.version = sdp.origin_version;
  } else if (o.hash != hash || o.version_pos != version_pos) {
    ++o.version;
  }
  o.hash = hash;
  o.version_pos = version_pos;
  if (s.texts_kept) {
    o.text = out;
  } else {
    o.text.clear();
  }
  out.insert(version_pos, std::to_string(o.version));
  return out;
}

Result<std::string, MediaError> MediaManager::rewrite(MediaSessionId id, MediaSide from, std::string_view body,
                                                      SdpRole role) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return Err(MediaError::UnknownSession);
  Session& s = *it->second;
  const int f = static_cast<int>(from);
  if (!described_) described_ = std::make_unique<Described>();
  if (auto e = describe(s, f, body, *described_)) return Err(*e);
  if (role == SdpRole::OfferOrAnswer) role = s.offer[1 - f] ? SdpRole::Answer : SdpRole::Offer;
  return role == SdpRole::Offer ? offer(id, s, f, *described_) : answer(id, s, f, *described_);
}

Result<std::string, MediaError> MediaManager::offer(MediaSessionId, Session& s, int f, const Described& d) {
  const int t = 1 - f;
  PortPool* pools[2] = {pool(s.iface[0]), pool(s.iface[1])};
  // A new offer from the same side replaces the one pending; its ports serve the same streams.
  const bool had_previous = s.offer[f] != nullptr;
  Offer previous = had_previous ? std::move(*s.offer[f]) : Offer{};
  s.offer[f].reset();
  Offer next;
  next.descs = d.descs;
  std::vector<uint16_t> ports_to(d.descs.size(), 0);
  auto undo = [&] {
    for (const auto& [stream, ports] : next.acquired)
      for (int side = 0; side < 2; ++side) pools[side]->release(s.address[side], ports[side]);
    if (had_previous) s.offer[f] = std::make_unique<Offer>(std::move(previous));
  };
  for (size_t i = 0; i < d.descs.size(); ++i) {
    if (d.descs[i].port == 0) continue;
    if (i < s.streams.size() && s.streams[i].has_ports) {
      ports_to[i] = s.streams[i].port[t];
      continue;
    }
    std::array<uint16_t, 2> ports{0, 0};
    bool reused = false;
    {
      auto& acq = previous.acquired;
      for (auto a = acq.begin(); a != acq.end(); ++a) {
        if (a->first != i) continue;
        ports = a->second;
        acq.erase(a);
        reused = true;
        break;
      }
    }
    if (!reused) {
      auto pf = pools[f]->acquire(s.address[f]);
      std::optional<uint16_t> pt;
      if (pf) pt = pools[t]->acquire(s.address[t]);
      if (!pt) {
        if (pf) pools[f]->release(s.address[f], *pf);
        undo();
        return Err(MediaError::NoPorts);
      }
      ports[f] = *pf;
      ports[t] = *pt;
    }
    next.acquired.emplace_back(i, ports);
    ports_to[i] = ports[t];
  }
  for (const auto& [stream, ports] : previous.acquired)
    for (int side = 0; side < 2; ++side) pools[side]->release(s.address[side], ports[side]);
  s.offer[f] = std::make_unique<Offer>(std::move(next));
  return write_sdp(s, t, d, ports_to);
}

Result<std::string, MediaError> MediaManager::answer(MediaSessionId id, Session& s, int f, const Described& d) {
  const int o = 1 - f;  // the offerer
  PortPool* pools[2] = {pool(s.iface[0]), pool(s.iface[1])};
  // The session as it will be: the pending offer's side, then this answer's side.
  std::vector<Stream> next = s.streams;
  const Offer* pending = s.offer[o].get();
  if (pending) {
    if (next.size() < pending->descs.size()) next.resize(pending->descs.size());
    for (size_t i = 0; i < next.size(); ++i) next[i].desc[o] = desc_at(pending->descs, i);
    for (const auto& [stream, ports] : pending->acquired) {
      next[stream].has_ports = true;
      next[stream].port = ports;
    }
  }
  if (next.size() < d.descs.size()) next.resize(d.descs.size());
  std::vector<std::array<uint16_t, 2>> released;
  std::vector<size_t> acquired;  // streams an answer with no offer pending newly anchored
  auto undo_acquired = [&] {
    for (size_t i : acquired)
      for (int side = 0; side < 2; ++side) pools[side]->release(s.address[side], next[i].port[side]);
  };
  for (size_t i = 0; i < next.size(); ++i) {
    Stream& st = next[i];
    st.desc[f] = desc_at(d.descs, i);
    const bool disabled = st.desc[f].port == 0 || (st.desc[o].described && st.desc[o].port == 0);
    if (disabled && st.has_ports) {
      // Ports go back; both sides must describe the stream anew to re-enable it.
      released.push_back(st.port);
      st.has_ports = false;
      st.port = {0, 0};
      if (st.desc[f].port == 0) st.desc[o] = SideDesc{};
    } else if (!disabled && !st.has_ports) {
      auto pf = pools[f]->acquire(s.address[f]);
      std::optional<uint16_t> po;
      if (pf) po = pools[o]->acquire(s.address[o]);
      if (!po) {
        if (pf) pools[f]->release(s.address[f], *pf);
        undo_acquired();
        return Err(MediaError::NoPorts);
      }
      st.has_ports = true;
      st.port[f] = *pf;
      st.port[o] = *po;
      acquired.push_back(i);
    }
  }
  if (auto programmed = program_flows(id, s, next); !programmed.ok()) {
    undo_acquired();
    return Err(programmed.error());
  }
  // Commit: the offer's ports now belong to the streams; disabled streams' ports go back.
  if (pending) {
    // Acquired ports of streams this answer disabled are in `released` already.
    s.offer[o].reset();
  }
  for (const auto& ports : released) {
    pools[0]->release(s.address[0], ports[0]);
    pools[1]->release(s.address[1], ports[1]);
  }
  s.streams = std::move(next);
  std::vector<uint16_t> ports_to(d.descs.size(), 0);
  for (size_t i = 0; i < d.descs.size(); ++i)
    if (s.streams[i].has_ports && d.descs[i].port != 0) ports_to[i] = s.streams[i].port[o];
  return write_sdp(s, o, d, ports_to);
}

Result<std::monostate, MediaError> MediaManager::program_flows(MediaSessionId id, Session& s, std::vector<Stream>& next) {
  // Every stream both sides describe with a non-zero port on ports we hold.
  struct Want {
    bool on = false;
    FlowBackend::End a, b;
  };
  const std::array<const PortPool*, 2> pools{pool(s.iface[0]), pool(s.iface[1])};
  auto end_for = [&](const Stream& st, int side, bool rtcp) {
    const SideDesc& d = st.desc[side];
    FlowBackend::End e;
    e.iface = s.iface[side];
    e.local = pools[side]->address(s.address[side]);
    e.local_port = rtcp ? static_cast<uint16_t>(st.port[side] + 1) : st.port[side];
    if (!rtcp) {
      e.remote = d.addr;
      e.remote_port = d.port;
    } else {
      e.remote = d.rtcp_addr.family != IpAddr::Family::None ? d.rtcp_addr : d.addr;
      e.remote_port = d.rtcp_port ? *d.rtcp_port : static_cast<uint16_t>(d.port + 1);
    }
    return e;
  };
  // The ends a flow of the committed stream i was programmed with.
  auto current = [&](size_t i, int kind) {
    const Stream& st = s.streams[i];
    return Want{true, end_for(st, 0, kind == 1), end_for(st, 1, kind == 1)};
  };
  std::vector<std::array<Want, 2>> want(next.size());
  for (size_t i = 0; i < next.size(); ++i) {
    const Stream& st = next[i];
    const SideDesc& d0 = st.desc[0];
    const SideDesc& d1 = st.desc[1];
    if (!st.has_ports || !d0.described || !d1.described || d0.port == 0 || d1.port == 0) continue;
    want[i][0] = Want{true, end_for(st, 0, false), end_for(st, 1, false)};
    if (d0.rtp && d1.rtp && !(d0.rtcp_mux && d1.rtcp_mux)) {
      want[i][1] = Want{true, end_for(st, 0, true), end_for(st, 1, true)};
    }
  }
  // Installs first (the only step that can fail for want of room), then updates, then removals.
  struct Installed {
    size_t stream;
    int kind;
  };
  std::vector<Installed> installed;
  struct Updated {
    FlowBackend::Handle h;
    FlowBackend::End a, b;  // the ends before
  };
  std::vector<Updated> updated;
  auto roll_back = [&] {
    for (const Updated& u : updated) (void)backend_.update(u.h, u.a, u.b);
    for (const Installed& in : installed) {
      backend_.remove(*next[in.stream].flow[in.kind].handle);
      next[in.stream].flow[in.kind].handle.reset();
    }
  };
  for (size_t i = 0; i < next.size(); ++i) {
    for (int k = 0; k < 2; ++k) {
      FlowRec& fr = next[i].flow[k];
      if (!want[i][k].on || fr.handle) continue;
      auto h = backend_.install(want[i][k].a, want[i][k].b);
      if (!h.ok()) {
        roll_back();
        return Err(h.error());
      }
      fr.handle = *h;
      installed.push_back(Installed{i, k});
    }
  }
  for (size_t i = 0; i < next.size(); ++i) {
    for (int k = 0; k < 2; ++k) {
      FlowRec& fr = next[i].flow[k];
      if (!want[i][k].on || !fr.handle) continue;
      // Installed just now (the committed stream has no such flow): its ends are the wanted ones.
      if (i >= s.streams.size() || !s.streams[i].flow[k].handle) continue;
      const Want before = current(i, k);
      if (same_end(before.a, want[i][k].a) && same_end(before.b, want[i][k].b)) continue;
      if (auto u = backend_.update(*fr.handle, want[i][k].a, want[i][k].b); !u.ok()) {
        roll_back();
        return Err(u.error());
      }
      updated.push_back(Updated{*fr.handle, before.a, before.b});
    }
  }
  for (size_t i = 0; i < next.size(); ++i) {
    for (int k = 0; k < 2; ++k) {
      FlowRec& fr = next[i].flow[k];
      if (want[i][k].on || !fr.handle) continue;
      backend_.remove(*fr.handle);
      flow_owner_.erase(*fr.handle);
      fr.handle.reset();
    }
  }
  for (const Installed& in : installed) flow_owner_[*next[in.stream].flow[in.kind].handle] = id;
  return std::monostate{};
}

MediaManager::Stats MediaManager::stats(MediaSessionId id) const {
  Stats st;
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return st;
  for (const Stream& stream : it->second->streams) {
    for (const FlowRec& f : stream.flow) {
      if (!f.handle) continue;
      const FlowBackend::Counters c = backend_.counters(*f.handle);
      for (int d = 0; d < 2; ++d) {
        st.packets[d] += c.packets[d];
        st.bytes[d] += c.bytes[d];
      }
    }
  }
  return st;
}

std::optional<MediaSessionId> MediaManager::session_of_flow(FlowBackend::Handle flow) const {
  auto it = flow_owner_.find(flow);
  if (it == flow_owner_.end()) return std::nullopt;
  return it->second;
}

bool MediaManager::media_on_hold(FlowBackend::Handle flow) const {
  auto owner = flow_owner_.find(flow);
  if (owner == flow_owner_.end()) return false;
  auto it = sessions_.find(owner->second);
  if (it == sessions_.end()) return false;
  for (const Stream& st : it->second->streams) {
    for (const FlowRec& f : st.flow) {
      if (f.handle == flow) return desc_on_hold(st.desc[0]) || desc_on_hold(st.desc[1]);
    }
  }
  return false;
}

bool MediaManager::media_dead(FlowBackend::Handle flow) const {
  auto owner = flow_owner_.find(flow);
  if (owner == flow_owner_.end()) return false;
  auto it = sessions_.find(owner->second);
  if (it == sessions_.end()) return false;
  const uint64_t timeout_ms = uint64_t{config_.media.timeout_s} * 1000;
  for (const Stream& st : it->second->streams) {
    if (desc_on_hold(st.desc[0]) || desc_on_hold(st.desc[1])) return false;
    for (const FlowRec& f : st.flow) {
      if (!f.handle) continue;
      const FlowBackend::Counters c = backend_.counters(*f.handle);
      if (c.silent_ms[0] < timeout_ms || c.silent_ms[1] < timeout_ms) return false;
    }
  }
  return true;
}

size_t MediaManager::session_count() const noexcept { return sessions_.size(); }

size_t MediaManager::ports_in_use(uint16_t iface) const noexcept {
  const PortPool* p = pool(iface);
  return p == nullptr ? 0 : p->pairs_in_use() * 2;
}

}  // namespace sipedge::control
