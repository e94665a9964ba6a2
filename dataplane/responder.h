// dataplane/responder.h — worker lcores. Answers ARP (RFC 826), ICMP echo (RFC 792), ICMPv6 echo
// (RFC 4443 §4) and Neighbour Solicitation (RFC 4861 §7.2.4) by rewriting the received frame in
// place: no allocation, no copy. The caller has validated the headers and transmits the result.
#pragma once

#include <rte_mbuf.h>

#include <cstdint>

#include "dataplane/interface.h"

namespace sipedge::dataplane {

// The ARP request at `l2` becomes our reply. The caller checked it is a request for our address.
void arp_reply_in_place(const Interface& ifc, rte_mbuf* m, uint16_t l2) noexcept;

// The ICMP echo request at `l2` (IPv4 header `ihl` bytes) becomes the echo reply.
void icmp4_echo_reply_in_place(const Interface& ifc, rte_mbuf* m, uint16_t l2, uint16_t ihl) noexcept;

// The ICMPv6 echo request at `l2` becomes the echo reply (from our unicast address).
void icmp6_echo_reply_in_place(const Interface& ifc, rte_mbuf* m, uint16_t l2) noexcept;

// The NS at `l2` for our address becomes a solicited NA with our link-layer address. False when the
// frame cannot hold the NA (no tailroom for the option): the caller drops it.
bool nd_advert_in_place(const Interface& ifc, rte_mbuf* m, uint16_t l2) noexcept;

}  // namespace sipedge::dataplane
