// parser/message.h — any thread, pure. The compact view of one SIP message: start-line fields and a
// header index {id, name span, value span}, all offsets into the caller's bytes (DESIGN §4). Nothing
// is copied; the bytes must outlive the Message. Fixed capacity: filling it never allocates, so a
// worker lcore can scan into a Message it owns.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <new>
#include <span>
#include <string_view>
#include <type_traits>

#include "parser/fault.h"
#include "parser/header_id.h"

namespace sipedge::parser {

// Offset + length into Message::bytes().
struct Span {
  uint32_t off = 0;
  uint32_t len = 0;
  bool empty() const noexcept { return len == 0; }
  uint32_t end() const noexcept { return off + len; }
};

enum class Method : uint8_t {
  Unknown,  // a valid token that is not one of these: proxied by name
  Invite,
  Ack,
  Bye,
  Cancel,
  Register,
  Options,
  Info,
  Update,
  Prack,
  Subscribe,
  Notify,
  Refer,
  Message,
  Publish,
};

// Method of a method token (case-sensitive, RFC 3261 §7.1); Unknown for other tokens.
Method method_from_token(std::string_view token) noexcept;
std::string_view method_name(Method m) noexcept;

inline constexpr unsigned kMaxHeaders = 200;

struct HeaderField {
  HeaderId id = HeaderId::Other;
  uint8_t next_same = 0;  // index+1 of the next header with the same id, 0 = last
  Span name;
  Span value;  // leading/trailing whitespace trimmed; may contain folded CRLF SP (treat as LWS)
};
static_assert(std::is_trivially_copyable_v<HeaderField>, "Message copies its headers with memcpy");

// Signature rule hit reported by the Hyperscan scanner (operator policy, DESIGN §4).
inline constexpr unsigned kMaxPolicyHits = 8;

class Message {
 public:
  Message() noexcept = default;
  // Copies the headers in use only (a context keeps a copy of each request it forwards). A member
  // added below must be added to the copy too (message.cc).
  Message(const Message& other) noexcept;
  Message& operator=(const Message& other) noexcept;

  std::string_view bytes() const noexcept { return bytes_; }
  std::string_view text(Span s) const noexcept { return bytes_.substr(s.off, s.len); }
  // A span span_of() gave for these bytes (rebase keeps them): no bounds check, "" for an empty one.
  std::string_view indexed_text(Span s) const noexcept {
    return s.len == 0 ? std::string_view{} : std::string_view(bytes_.data() + s.off, s.len);
  }
  // The span of `view` in the bytes (Span{} for an empty one); false when it lies outside them.
  bool span_of(std::string_view view, Span& out) const noexcept {
    if (view.empty()) {
      out = Span{};
      return true;
    }
    if (view.data() < bytes_.data() || view.data() + view.size() > bytes_.data() + bytes_.size()) return false;
    out = Span{static_cast<uint32_t>(view.data() - bytes_.data()), static_cast<uint32_t>(view.size())};
    return true;
  }

  bool is_request() const noexcept { return is_request_; }
  bool is_response() const noexcept { return !is_request_; }

  // Requests.
  Method method() const noexcept { return method_; }
  std::string_view method_token() const noexcept { return text(method_span_); }
  std::string_view request_uri() const noexcept { return text(uri_span_); }
  Span request_uri_span() const noexcept { return uri_span_; }
  // Responses.
  uint16_t status_code() const noexcept { return status_; }
  std::string_view reason_phrase() const noexcept { return text(reason_span_); }
  // Both: "SIP/2.0" as written.
  std::string_view sip_version() const noexcept { return text(version_span_); }
  // The whole first line without its line terminator.
  Span start_line() const noexcept { return start_line_; }

  std::span<const HeaderField> headers() const noexcept { return {header_data(), header_count_}; }
  // First header with this id, or nullptr.
  const HeaderField* find(HeaderId id) const noexcept {
    uint8_t i = first_[static_cast<uint8_t>(id)];
    return i ? &header_data()[i - 1] : nullptr;
  }
  // The header after `h` with the same id, or nullptr.
  const HeaderField* next_same(const HeaderField* h) const noexcept {
    return h->next_same ? &header_data()[h->next_same - 1] : nullptr;
  }
  unsigned count(HeaderId id) const noexcept;
  // First header with this name (case-insensitive; works for unknown headers too).
  const HeaderField* find_by_name(std::string_view name) const noexcept;
  // Value text of the first header with this id, "" when absent.
  std::string_view value(HeaderId id) const noexcept {
    const HeaderField* h = find(id);
    return h ? text(h->value) : std::string_view{};
  }

  // Offset where the header block starts (after the start line's terminator) and where the empty
  // line that ends it starts.
  uint32_t headers_begin() const noexcept { return headers_begin_; }
  uint32_t headers_end() const noexcept { return headers_end_; }
  Span body_span() const noexcept { return body_; }
  std::string_view body() const noexcept { return text(body_); }
  // Offset one past the message's last byte (leading CRLF keepalives included). On a datagram the
  // bytes after it are junk after the declared body (RFC 3261 §18.3) and are ignored.
  uint32_t size() const noexcept { return size_; }
  // Content-Length as declared (-1 when absent).
  int64_t content_length() const noexcept { return content_length_; }

  std::span<const uint16_t> policy_hits() const noexcept { return {policy_hits_.data(), policy_hit_count_}; }

  // Points the index at `bytes`, a byte-for-byte copy of the bytes it was built over: every offset
  // stays valid. How a message outlives the buffer it arrived in without being scanned again.
  void rebase(std::string_view bytes) noexcept { bytes_ = bytes; }

  // The top via-parm as parser::top_via (via.h) parsed it the first time it was asked for, so a
  // message's Via is parsed once however often control reads it. Offsets into the bytes, so it
  // survives rebase(); reset() forgets it. Written through a const Message: a message is read by
  // one thread at a time.
  struct TopViaIndex {
    enum class State : uint8_t { Unparsed, Parsed, Failed };
    State state = State::Unparsed;
    uint8_t fault = 0;
    uint8_t host_type = 0;
    bool has_port = false, has_rport = false, rport_has_value = false, has_ttl = false;
    uint8_t ttl = 0;
    uint16_t port = 0, rport = 0;
    // protocol name, protocol version, transport, host, params, branch, received, maddr
    std::array<Span, 8> spans{};
    Span text;  // the whole via-parm as written
  };
  TopViaIndex& top_via_index() const noexcept { return top_via_; }
  // From and To as parser::from_header / to_header (headers.h) parsed them the first time, kept the
  // same way.
  struct NameAddrIndex {
    // Tagged: only the tag is known (parser::name_addr_tag, spans[9]); `fault` then says whether
    // the whole name-addr was found bad since (its URI: the framing and params were read).
    enum class State : uint8_t { Unparsed, Tagged, Parsed, Failed };
    State state = State::Unparsed;
    uint8_t fault = 0;
    uint8_t scheme = 0, host_type = 0;
    bool bracketed = false, has_password = false, has_port = false;
    uint16_t port = 0;
    // display name, URI text, header params; the URI's scheme text, user, password, host, params,
    // headers; the tag
    std::array<Span, 10> spans{};
  };
  NameAddrIndex& from_index() const noexcept { return parties_[0]; }
  NameAddrIndex& to_index() const noexcept { return parties_[1]; }
  // The first entry of Route and of Record-Route (RouteList), kept the same way: the proxy reads
  // them to verify its route token, to pop its own entries and to find the next hop.
  NameAddrIndex& top_route_index() const noexcept { return parties_[2]; }
  NameAddrIndex& top_record_route_index() const noexcept { return parties_[3]; }
  // The Request-URI (parser::parsed_request_uri), kept the same way in the URI's spans.
  NameAddrIndex& request_uri_index() const noexcept { return parties_[4]; }

  // The CSeq as parser::cseq (headers.h) read it the first time, kept the same way: a message's
  // CSeq is read by the transaction layer, the proxy and the response builder.
  struct CSeqIndex {
    enum class State : uint8_t { Unparsed, Parsed, Failed };
    State state = State::Unparsed;
    uint8_t fault = 0;
    Method method = Method::Unknown;
    uint32_t number = 0;
    Span method_text;
  };
  CSeqIndex& cseq_index() const noexcept { return cseq_; }

  // --- building (scanners only) ---
  void reset(std::string_view bytes) noexcept;
  // Append a header; false when the index is full (kMaxHeaders).
  bool add_header(HeaderId id, Span name, Span value) noexcept;
  void set_request(Span method, Method m, Span uri, Span version) noexcept;
  void set_response(Span version, uint16_t status, Span reason) noexcept;
  void set_start_line(Span s) noexcept { start_line_ = s; }
  void set_header_block(uint32_t begin, uint32_t end) noexcept {
    headers_begin_ = begin;
    headers_end_ = end;
  }
  void set_body(Span body, int64_t declared_length) noexcept {
    body_ = body;
    content_length_ = declared_length;
    size_ = body.end();
  }
  void add_policy_hit(uint16_t rule) noexcept;

 private:
  std::string_view bytes_;
  bool is_request_ = false;
  Method method_ = Method::Unknown;
  uint16_t status_ = 0;
  uint16_t header_count_ = 0;
  uint8_t policy_hit_count_ = 0;
  Span start_line_, method_span_, uri_span_, version_span_, reason_span_;
  uint32_t headers_begin_ = 0, headers_end_ = 0, size_ = 0;
  int64_t content_length_ = -1;
  Span body_;
  std::array<uint8_t, kHeaderIdCount> first_{};
  // Meaningful only where first_ is set, so reset() leaves it alone.
  std::array<uint8_t, kHeaderIdCount> last_{};
  std::array<uint16_t, kMaxPolicyHits> policy_hits_{};
  mutable TopViaIndex top_via_;
  mutable CSeqIndex cseq_;
  mutable std::array<NameAddrIndex, 5> parties_{};
  // Room for kMaxHeaders (4 KB), of which a message uses a few dozen: headers are created one by
  // one as the scanner adds them, so neither a new Message nor a copy writes the whole index.
  // Last, so what a message uses lies in its first kilobyte.
  alignas(HeaderField) std::array<std::byte, kMaxHeaders * sizeof(HeaderField)> header_storage_;
  HeaderField* header_data() noexcept { return std::launder(reinterpret_cast<HeaderField*>(header_storage_.data())); }
  const HeaderField* header_data() const noexcept {
    return std::launder(reinterpret_cast<const HeaderField*>(header_storage_.data()));
  }
};

// Inline: the scanners call it once per header.
inline bool Message::add_header(HeaderId id, Span name, Span value) noexcept {
  if (header_count_ >= kMaxHeaders) [[unlikely]]
    return false;
  const auto slot = static_cast<uint8_t>(header_count_ + 1);  // index+1; fits: kMaxHeaders < 256
  HeaderField* headers = header_data();
  new (&headers[header_count_]) HeaderField{id, 0, name, value};
  const auto k = static_cast<uint8_t>(id);
  if (first_[k] != 0)
    headers[last_[k] - 1].next_same = slot;
  else
    first_[k] = slot;
  last_[k] = slot;
  ++header_count_;
  return true;
}

}  // namespace sipedge::parser
