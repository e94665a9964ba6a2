// parser/contact.h — any thread, pure. Contact values (RFC 3261 §20.10, §10.2.1) and the
// Route/Record-Route lists (§20.30, §20.34). Views into the caller's bytes; never allocates,
// never throws.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "common/result.h"
#include "parser/fault.h"
#include "parser/header_id.h"
#include "parser/message.h"
#include "parser/name_addr.h"
#include "parser/value_list.h"

namespace sipedge::parser {

struct Contact {
  bool star = false;  // "Contact: *" (deregister all, RFC 3261 §10.2.2); `addr` is empty then
  NameAddr addr;
  std::optional<uint32_t> expires;  // ";expires=" delta-seconds, saturated at 2**32-1
  std::optional<uint16_t> q_milli;  // ";q=0.5" -> 500 (0..1000)
};

// Parses one contact (one comma item). Checked: a valid name-addr/addr-spec, "expires" with
// 1*DIGIT, "q" as an RFC 3261 qvalue ("0"/"1" with up to three decimals, at most 1).
// Fault::BadContact on any error (including a bad URI).
Result<Contact, Fault> parse_contact(std::string_view one_contact) noexcept;

// Every contact across all Contact headers (m: too), in message order.
class ContactList {
 public:
  explicit ContactList(const Message& msg) noexcept : items_(msg, HeaderId::Contact) {}
  bool next(Result<Contact, Fault>& out) noexcept;

 private:
  HeaderItems items_;
};

// Route / Record-Route entries: each a bracketed name-addr (route-param = name-addr; the addr-spec
// form is refused). Faults: BadRoute for Route, BadRecordRoute for Record-Route.
class RouteList {
 public:
  RouteList(const Message& msg, HeaderId id /* Route or RecordRoute */) noexcept
      : msg_(msg),
        items_(msg, id),
        fault_(id == HeaderId::RecordRoute ? Fault::BadRecordRoute : Fault::BadRoute),
        top_(id == HeaderId::RecordRoute ? &msg.top_record_route_index() : &msg.top_route_index()) {}
  bool next(Result<NameAddr, Fault>& out) noexcept;
  // The same walk in two steps, for a caller that recognises some entries by their bytes alone:
  // the next entry's text, then (when it needs more) that entry read as next() would read it.
  bool next_text(std::string_view& item) noexcept;
  Result<NameAddr, Fault> read(std::string_view item) noexcept;

 private:
  const Message& msg_;
  HeaderItems items_;
  Fault fault_;
  Message::NameAddrIndex* top_;  // the first entry's parse cache; nullptr once next_text is past it
  bool first_ = true;            // next_text has yielded no entry yet
};

}  // namespace sipedge::parser
