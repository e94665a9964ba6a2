// parser/message.cc — any thread, pure. Building and querying the header index; no allocation.
#include "parser/message.h"

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

Method method_from_token(std::string_view token) noexcept {
  for (const auto& m : kMethods)
    if (m.token == token) return m.method;
  return Method::Unknown;
}

std::string_view method_name(Method m) noexcept {
  for (const auto& k : kMethods)
    if (k.method == m) return k.token;
  return {};
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
  top_via_ = TopViaIndex{};
  parties_ = {};
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
    if (headers_[i].id == HeaderId::Other && iequals(text(headers_[i].name), name)) return &headers_[i];
  return nullptr;
}

}  // namespace sipedge::parser
