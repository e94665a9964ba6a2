// control/sip_build.h — control lcore. Messages the control plane writes from scratch rather than
// by editing a received one: responses to a request (RFC 3261 §8.2.6), the hop-by-hop ACK for a
// non-2xx (§17.1.1.3), CANCEL (§9.1), and branch / tag generation.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "parser/message.h"
#include "parser/rewriter.h"

namespace sipedge::control {

struct HeaderLine {
  std::string_view name;
  std::string_view value;
};

// A response to `request`: its Via headers (the top one replaced by `top_via` when not empty, to carry
// received/rport), From, To (with `to_tag` added when the request's To has none and status > 100),
// Call-ID, CSeq, then `extra` headers, then Content-Length and `body`.
std::string build_response(const parser::Message& request, uint16_t status, std::string_view reason,
                           std::string_view to_tag, std::string_view top_via = {},
                           std::span<const HeaderLine> extra = {}, std::string_view body = {});

// RFC 3261 §17.1.1.3: ACK for a non-2xx final response, sent by the INVITE client transaction.
// Request-URI, Call-ID, From, CSeq number and Route from the INVITE; only its top Via; To from the
// response.
std::string build_ack_for_non2xx(const parser::Message& invite, const parser::Message& response);

// RFC 3261 §9.1: CANCEL for a pending INVITE, with the INVITE's Request-URI, top Via (same branch),
// Call-ID, From, To, CSeq number and Route.
std::string build_cancel(const parser::Message& invite);

// Applies an edit list into a new string of exactly the right size; nullopt when the rewriter
// refuses the edits (a bug in the caller; it counts and drops).
std::optional<std::string> apply_edits(const parser::Message& msg, const parser::EditList& edits);

// A non-empty body of Content-Type application/sdp.
bool has_sdp_body(const parser::Message& msg);

// `n` bytes of OpenSSL's CSPRNG, from a per-thread pool (wiped as it is spent).
void random_bytes(unsigned char* out, size_t n);
// Random tokens: "z9hG4bK" + 16 hex chars for branches, 16 hex chars for tags and Call-IDs.
std::string new_branch();
std::string new_tag();

// RFC 3261 §16.6 step 8: what identifies a request for loop detection, as 16 hex chars: a hash of
// its Request-URI (as received), Call-ID, From tag, To tag, CSeq number and Proxy-Require. The top
// Via is left out: a looped request comes back under other Vias, and would never match.
struct LoopKey {
  std::array<char, 16> hex;
  std::string_view view() const noexcept { return {hex.data(), hex.size()}; }
};
LoopKey loop_key(const parser::Message& request);
// A branch for forwarding a request: "z9hG4bK" + its loop key + 16 random hex chars.
std::string new_branch(const LoopKey& loop_key);
// The branch of our Via on a request we forward. An ACK (for a 2xx: it has no transaction, its
// sender retransmits it) gets "z9hG4bK" + its loop key + a hash of the top Via it came with, so a
// retransmission goes on under the same branch (RFC 3261 §16.11); the rest get new_branch.
std::string forward_branch(const parser::Message& request);
// RFC 3261 §16.3 step 4: the loop key a branch made by new_branch(loop_key) carries, "" otherwise.
std::string_view branch_loop_key(std::string_view branch);

// The header lines of `msg` with this id, as they appear (for copying them verbatim).
std::string copy_header_lines(const parser::Message& msg, parser::HeaderId id);

}  // namespace sipedge::control
