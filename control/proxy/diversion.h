// control/proxy/diversion.h — control lcore, pure. The traces call forwarding leaves in the request
// it forwards: Diversion (RFC 5806) and History-Info (RFC 7044, with the cause values of RFC 4458),
// and how deep a call already went through diversions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "parser/message.h"

namespace sipedge::control {

enum class DiversionReason : uint8_t { UserBusy, NoAnswer, Unconditional };

// RFC 5806 §4 reason values: "user-busy", "no-answer", "unconditional".
std::string_view diversion_reason_text(DiversionReason r) noexcept;
// RFC 4458 §2 cause values: 486, 408, 302.
uint16_t diversion_cause(DiversionReason r) noexcept;

// How many diversions `msg` went through: the sum of its Diversion entries' counters (an entry
// without one counts 1; a malformed entry counts 1 too, so a bad header cannot reset the depth).
uint32_t diversion_count(const parser::Message& msg);

// One Diversion entry naming the diverting user: "<uri>;reason=...;counter=1".
std::string diversion_entry(std::string_view diverting_uri, DiversionReason r);

// History-Info entries to append for a request retargeted from `from_uri` to `to_uri`: the old
// target with the Reason it failed with, then the new one with its cause (index 1 and 1.1 when
// `msg` has no History-Info yet; else only the new target, one level below the last index).
std::string history_info_entries(const parser::Message& msg, std::string_view from_uri, std::string_view to_uri,
                                 DiversionReason r);

}  // namespace sipedge::control
