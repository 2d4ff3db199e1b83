// Query parsing (internal to src/dns): the header, the one question and the
// EDNS0 OPT record of an incoming packet, checked against RFC 1035 4.1 and
// RFC 6891 6 without trusting any count or length in it.
//
// Pure function over the caller's bytes; no allocation; thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "dns/wire.h"

namespace tandem::dns {

inline constexpr uint16_t kFlagQr = 0x8000, kFlagAa = 0x0400, kFlagTc = 0x0200, kFlagRd = 0x0100;
inline constexpr uint8_t kRcodeNoError = 0, kRcodeFormErr = 1, kRcodeServFail = 2,
                         kRcodeNxDomain = 3, kRcodeNotImp = 4, kRcodeRefused = 5, kRcodeNotAuth = 9,
                         kRcodeBadVers = 16;
inline constexpr size_t kHeaderSize = 12;

struct Query {
  uint16_t id = 0;
  uint16_t flags = 0;  // as received
  // The question's bytes (name, type, class) start at offset 12; 0 when the
  // question did not parse (nothing to echo).
  size_t question_size = 0;
  // Lower case, wire; only the first qname_size bytes are set (not zeroed
  // first: this is on every query's path).
  std::array<uint8_t, kMaxNameLength> qname;
  size_t qname_size = 0;
  uint16_t qtype = 0;
  uint16_t qclass = 0;
  // EDNS0: set when an OPT record was read (even when the packet is then
  // found malformed, so a FORMERR still carries OPT, RFC 6891 7).
  bool edns = false;
  uint16_t udp_payload = 0;
  uint8_t edns_version = 0;
  bool dnssec_ok = false;

  uint8_t opcode() const { return (flags >> 11) & 0xF; }
  std::string_view qname_view() const {
    return {reinterpret_cast<const char*>(qname.data()), qname_size};
  }
};

enum class ParseResult {
  kQuery,    // a well-formed query (its opcode still to be checked)
  kDrop,     // shorter than a header, or a response (QR=1): never answered
  kFormErr,  // the header parsed but the rest is malformed
};

// Reads `packet` into `*query`. Malformed: QDCOUNT over 1, no question for
// QUERY, NOTIFY or UPDATE (the records are still read, so the FORMERR carries
// the OPT), a question name that is bad (compression pointers, bad label
// types, over 255 bytes) or cut short, records that do not parse, an OPT
// outside the additional section, a second OPT, an OPT whose options overrun
// it, or bytes after the last record. A message of another opcode without a
// question is a kQuery with question_size 0 (the responder answers NOTIMP).
ParseResult ParseQuery(std::span<const uint8_t> packet, Query* query);

}  // namespace tandem::dns
