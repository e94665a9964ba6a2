// parser/message.cc — any thread, pure. Building and querying the header index; no allocation.
#include "parser/message.h"

#include <cstring>

namespace sipedge::parser {
namespace {

struct MethodName {
  std::string_view token;
  Method method;
};

constexpr MethodName kMethods[] = {
    {"INVITE", Method::Invite},       {"ACK", Method::Ack},       {"BYE", Method::Bye},
    {"CANCEL", Method::Cancel},       {"REGISTER", Method::Register}, {"OPTIONS", Method::Options},
    {"INFO", Method::Info},           {"UPDATE", Method::Update}, {"PRACK", Method::Prack},
    {"SUBSCRIBE", Method::Subscribe}, {"NOTIFY", Method::Notify}, {"REFER", Method::Refer},
    {"MESSAGE", Method::Message},     {"PUBLISH", Method::Publish},
};

}  // namespace

// The first byte before the rest: names of one length differ there (ACK/BYE, INVITE/CANCEL/NOTIFY,
// PRACK/REFER), so only the matching name reaches the byte compare (a call to memcmp).
Method method_from_token(std::string_view token) noexcept {
  if (token.empty()) return Method::Unknown;
  for (const auto& m : kMethods)
    if (m.token.size() == token.size() && m.token.front() == token.front() && m.token == token) return m.method;
  return Method::Unknown;
}

std::string_view method_name(Method m) noexcept {
  for (const auto& k : kMethods)
    if (k.method == m) return k.token;
  return {};
}

Message::Message(const Message& other) noexcept { *this = other; }

Message& Message::operator=(const Message& other) noexcept {
  if (this == &other) return *this;
  bytes_ = other.bytes_;
  is_request_ = other.is_request_;
  method_ = other.method_;
  status_ = other.status_;
  header_count_ = other.header_count_;
  policy_hit_count_ = other.policy_hit_count_;
  start_line_ = other.start_line_;
  method_span_ = other.method_span_;
  uri_span_ = other.uri_span_;
  version_span_ = other.version_span_;
  reason_span_ = other.reason_span_;
  headers_begin_ = other.headers_begin_;
  headers_end_ = other.headers_end_;
  size_ = other.size_;
  content_length_ = other.content_length_;
  body_ = other.body_;
  first_ = other.first_;
  last_ = other.last_;
  policy_hits_ = other.policy_hits_;
  // HeaderField is trivially copyable: the copy creates the objects it fills.
  std::memcpy(header_storage_.data(), other.header_storage_.data(), header_count_ * sizeof(HeaderField));
  top_via_ = other.top_via_;
  cseq_ = other.cseq_;
  parties_ = other.parties_;
  return *this;
}

void Message::reset(std::string_view bytes) noexcept {
  bytes_ = bytes;
  is_request_ = false;
  method_ = Method::Unknown;
  status_ = 0;
  header_count_ = 0;
  policy_hit_count_ = 0;
  start_line_ = method_span_ = uri_span_ = version_span_ = reason_span_ = Span{};
  headers_begin_ = headers_end_ = size_ = 0;
  content_length_ = -1;
  body_ = Span{};
  first_.fill(0);
  // The parse caches are read only in state Parsed, which is written last: resetting the states
  // is enough, and cheaper per scanned message than clearing the caches.
  top_via_.state = TopViaIndex::State::Unparsed;
  cseq_.state = CSeqIndex::State::Unparsed;
  for (NameAddrIndex& p : parties_) p.state = NameAddrIndex::State::Unparsed;
}

void Message::set_request(Span method, Method m, Span uri, Span version) noexcept {
  is_request_ = true;
  method_span_ = method;
  method_ = m;
  uri_span_ = uri;
  version_span_ = version;
}

void Message::set_response(Span version, uint16_t status, Span reason) noexcept {
  is_request_ = false;
  version_span_ = version;
  status_ = status;
  reason_span_ = reason;
}

void Message::add_policy_hit(uint16_t rule) noexcept {
  for (uint8_t i = 0; i < policy_hit_count_; ++i)
    if (policy_hits_[i] == rule) return;
  if (policy_hit_count_ < kMaxPolicyHits) policy_hits_[policy_hit_count_++] = rule;
}

unsigned Message::count(HeaderId id) const noexcept {
  unsigned n = 0;
  for (const HeaderField* h = find(id); h; h = next_same(h)) ++n;
  return n;
}

const HeaderField* Message::find_by_name(std::string_view name) const noexcept {
  const HeaderId id = header_id_lookup(name);
  if (id != HeaderId::Other) return find(id);
  for (uint16_t i = 0; i < header_count_; ++i)
    if (header_data()[i].id == HeaderId::Other && iequals(text(header_data()[i].name), name)) return &header_data()[i];
  return nullptr;
}

}  // namespace sipedge::parser
