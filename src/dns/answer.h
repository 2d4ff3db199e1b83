// Answer: the answer, authority and additional sections for one query in a
// zone (internal to src/dns; Responder does the header, errors and EDNS).
//
// RFC 1034 4.3.2 for an authoritative server: exact match, CNAME chains
// within the zone (RFC 6604 rcodes, loops cut), wildcards (RFC 4592),
// referrals at zone cuts with glue, NXDOMAIN and NODATA with the SOA
// (RFC 2308), minimal ANY (RFC 8482 4.1: the RRset of the lowest type at the
// name, as Knot), and A/AAAA for in-zone NS/MX/SRV targets in the additional
// section. RRsets are written whole or not at all; an answer or authority
// RRset that does not fit truncates the response to its question.
//
// Single-threaded over its arguments; no allocation.
#pragma once

#include <cstdint>

#include "dns/message.h"
#include "dns/wire.h"
#include "dns/zone.h"

namespace tandem::dns {

struct AnswerResult {
  uint8_t rcode = kRcodeNoError;
  bool authoritative = true;
  bool truncated = false;  // an answer or authority RRset did not fit; sections empty
  uint16_t ancount = 0;
  uint16_t nscount = 0;
  uint16_t arcount = 0;
};

// A small, fast PRNG (xorshift64*) for weighted and multivalue picks.
inline uint64_t NextRandom(uint64_t* state) {
  uint64_t x = *state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *state = x;
  return x * 0x2545F4914F6CDD1Dull;
}

// Appends the sections for `query` (whose name is in `zone`) to `writer`,
// which holds the header and the question with the question's name
// registered for compression. The writer's limit is the room left for them.
AnswerResult WriteAnswer(const Zone& zone, const Query& query, PacketWriter* writer, uint64_t* rng);

}  // namespace tandem::dns
