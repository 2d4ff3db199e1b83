// Responder: one DNS query in, one response out, against a ZoneSet — the
// whole authoritative protocol (RFC 1034/1035, 2308, 6891, 8482): AA answers,
// CNAME chains within the zone, NXDOMAIN vs NODATA with the SOA (negative TTL
// min(SOA TTL, MINIMUM)), wildcards, referrals, minimal ANY, REFUSED outside
// its zones, FORMERR for malformed queries, NOTIMP for other opcodes, EDNS0
// (OPT echoed, BADVERS, payload limits), TC when a UDP answer does not fit,
// name compression, and the query's case kept in the question and owners.
//
// A plain query (class IN, opcode QUERY, a name that exists, an answer that
// does not draw at random and fits) is answered by copying the zone's
// precompiled answer; everything else takes the general path.
//
// Pure and allocation-free on the hot path: safe from any number of threads
// on the same ZoneSet. Never reads or writes outside the given spans (it is
// fuzzed).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "dns/zone.h"

namespace tandem::dns {

struct Query;

enum class Transport { kUdp, kTcp };

// What happened, for metrics and logs.
struct ResponseInfo {
  uint16_t qtype = 0;
  uint8_t rcode = 0;       // 0 NOERROR, 1 FORMERR, 2 SERVFAIL, 3 NXDOMAIN, 4 NOTIMP, 5 REFUSED,
                           // 9 NOTAUTH (AXFR/IXFR), 16 BADVERS (extended)
  bool dropped = false;    // no response (not a query, or too broken to answer)
  bool truncated = false;  // TC set
};

struct ResponderOptions {
  uint16_t max_udp_payload = 1232;  // the most this server sends over UDP with EDNS
  // Answer plain queries from the zone's precompiled answers (precompiled.h),
  // which are byte for byte what the general path writes; off only in tests
  // that compare the two.
  bool precompiled = true;
};

// Per-thread state: a small PRNG for weighted and multivalue picks.
class Responder {
 public:
  explicit Responder(ResponderOptions options = {}, uint64_t seed = 0);
  // Writes the response to `query` into `out` (at least 65535 bytes for
  // TCP, 4096 for UDP) and returns its length; 0 means send nothing.
  size_t Respond(const ZoneSet& zones, std::span<const uint8_t> query, Transport transport,
                 std::span<uint8_t> out, ResponseInfo* info);

 private:
  // The precompiled answer to `query`, or 0 when the general path must answer.
  size_t RespondPrecompiled(const ZoneSet& zones, const Query& query,
                            std::span<const uint8_t> packet, size_t limit, std::span<uint8_t> out,
                            ResponseInfo* info) const;

  ResponderOptions options_;
  uint64_t rng_;
};

}  // namespace tandem::dns
