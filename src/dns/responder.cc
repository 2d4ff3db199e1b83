#include "dns/responder.h"

#include <algorithm>
#include <cstring>

#include "dns/answer.h"
#include "dns/message.h"
#include "dns/precompiled.h"
#include "dns/wire.h"

namespace tandem::dns {
namespace {

constexpr size_t kOptSize = 11;
constexpr size_t kMinUdpPayload = 512;  // RFC 1035 4.2.1; less counts as 512 (RFC 6891 6.2.5)
constexpr size_t kMaxTcpMessage = 65535;
constexpr uint16_t kTypeIxfr = 251, kTypeAxfr = 252;
constexpr uint16_t kClassIn = 1, kClassAny = 255;

// The OPT record of a response (RFC 6891 6.1.2): our payload size, the
// extended rcode bits, version 0, DO echoed, no options.
void WriteOpt(uint8_t* at, uint16_t max_udp_payload, uint8_t rcode, bool dnssec_ok) {
  const uint8_t opt[kOptSize] = {
      0,  // root owner
      0,
      41,  // OPT
      static_cast<uint8_t>(max_udp_payload >> 8),
      static_cast<uint8_t>(max_udp_payload),
      static_cast<uint8_t>(rcode >> 4),  // extended rcode
      0,                                 // version 0
      static_cast<uint8_t>(dnssec_ok ? 0x80 : 0),
      0,
      0,
      0,  // no options
  };
  std::memcpy(at, opt, kOptSize);
}

void Store16(uint8_t* at, uint16_t v) {
  at[0] = static_cast<uint8_t>(v >> 8);
  at[1] = static_cast<uint8_t>(v);
}

}  // namespace

Responder::Responder(ResponderOptions options, uint64_t seed)
    : options_(options), rng_(seed == 0 ? 0x9E3779B97F4A7C15ull : seed) {
  options_.max_udp_payload =
      std::max<uint16_t>(options_.max_udp_payload, static_cast<uint16_t>(kMinUdpPayload));
}

size_t Responder::Respond(const ZoneSet& zones, std::span<const uint8_t> packet,
                          Transport transport, std::span<uint8_t> out, ResponseInfo* info) {
  ResponseInfo ignored;
  if (info == nullptr) {
    info = &ignored;
  }
  *info = ResponseInfo{};
  Query query;
  const ParseResult parsed = ParseQuery(packet, &query);
  if (parsed == ParseResult::kDrop) {
    info->dropped = true;
    return 0;
  }
  info->qtype = query.qtype;

  size_t limit = kMaxTcpMessage;
  if (transport == Transport::kUdp) {
    limit = query.edns
                ? std::clamp<size_t>(query.udp_payload, kMinUdpPayload, options_.max_udp_payload)
                : kMinUdpPayload;
  }
  limit = std::min(limit, out.size());
  const size_t reserve = query.edns ? kOptSize : 0;
  if (limit < kHeaderSize + query.question_size + reserve) {
    info->dropped = true;  // the caller's buffer cannot hold even an error
    return 0;
  }
  if (parsed == ParseResult::kQuery && options_.precompiled) {
    if (const size_t n = RespondPrecompiled(zones, query, packet, limit, out, info)) {
      return n;
    }
  }
  PacketWriter w(out.data(), limit - reserve);
  w.Put16(query.id);
  w.Put16(0);  // flags, set below
  for (int i = 0; i < 4; ++i) {
    w.Put16(0);  // counts, set below
  }
  if (query.question_size > 0) {
    w.PutBytes(packet.data() + kHeaderSize, query.question_size);
    w.RegisterName(kHeaderSize, query.qname_view());
  }

  uint8_t rcode = kRcodeNoError;
  AnswerResult answer;
  answer.authoritative = false;
  const Zone* zone = nullptr;
  if (parsed == ParseResult::kFormErr) {
    rcode = kRcodeFormErr;
  } else if (query.opcode() != 0 || query.qtype == 0) {
    rcode = kRcodeNotImp;
  } else if (query.edns && query.edns_version > 0) {
    rcode = kRcodeBadVers;  // RFC 6891 6.1.3
  } else if (query.qtype == kTypeAxfr && transport == Transport::kUdp) {
    rcode = kRcodeNotImp;  // AXFR is a TCP thing (as Knot: before any zone check)
  } else if (query.qclass != kClassIn && query.qclass != kClassAny) {
    rcode = kRcodeRefused;
  } else if ((zone = zones.FindZone(query.qname_view())) == nullptr) {
    rcode = kRcodeRefused;
  } else if (query.qtype == kTypeAxfr || query.qtype == kTypeIxfr) {
    rcode = kRcodeNotAuth;  // no zone transfers (as Knot without an ACL)
  } else {
    answer = WriteAnswer(*zone, query, &w, &rng_);
    rcode = answer.rcode;
  }

  uint16_t flags = kFlagQr | (query.flags & (0x7800 | kFlagRd)) | (rcode & 0xF);
  if (answer.authoritative) {
    flags |= kFlagAa;
  }
  if (answer.truncated) {
    flags |= kFlagTc;
  }
  w.Patch16(2, flags);
  w.Patch16(4, query.question_size > 0 ? 1 : 0);
  w.Patch16(6, answer.ancount);
  w.Patch16(8, answer.nscount);
  w.Patch16(10, answer.arcount + (query.edns ? 1 : 0));
  if (query.edns) {
    w.set_limit(limit);
    uint8_t opt[kOptSize];
    WriteOpt(opt, options_.max_udp_payload, rcode, query.dnssec_ok);
    w.PutBytes(opt, kOptSize);
  }
  info->rcode = rcode;
  info->truncated = answer.truncated;
  return w.size();
}

size_t Responder::RespondPrecompiled(const ZoneSet& zones, const Query& query,
                                     std::span<const uint8_t> packet, size_t limit,
                                     std::span<uint8_t> out, ResponseInfo* info) const {
  // The general path's checks before WriteAnswer, in the same order.
  if (query.opcode() != 0 || query.qclass != kClassIn || (query.edns && query.edns_version > 0)) {
    return 0;
  }
  const Zone* zone = zones.FindZone(query.qname_view());
  if (zone == nullptr) {
    return 0;
  }
  const PrecompiledAnswers::Answer* answer =
      zone->precompiled().Find(query.qname_view(), query.qtype);
  if (answer == nullptr) {
    return 0;
  }
  const size_t question_end = kHeaderSize + query.question_size;
  const size_t size = question_end + answer->body.size() + (query.edns ? kOptSize : 0);
  if (size > limit) {
    return 0;  // the general path decides what to leave out
  }
  uint8_t* p = out.data();
  uint16_t flags = kFlagQr | (query.flags & kFlagRd) | answer->rcode;
  if (answer->authoritative) {
    flags |= kFlagAa;
  }
  Store16(p, query.id);
  Store16(p + 2, flags);
  Store16(p + 4, 1);
  Store16(p + 6, answer->ancount);
  Store16(p + 8, answer->nscount);
  Store16(p + 10, answer->arcount + (query.edns ? 1 : 0));
  std::memcpy(p + kHeaderSize, packet.data() + kHeaderSize, query.question_size);
  uint8_t* body = p + question_end;
  std::memcpy(body, answer->body.data(), answer->body.size());
  // The NXDOMAIN answer's pointers follow the question name's length.
  const size_t shift = query.qname_size - answer->qname_size;
  for (size_t i = 0; i < answer->num_moving; ++i) {
    uint8_t* at = body + answer->moving[i];
    const size_t target = (size_t{at[0] & 0x3Fu} << 8 | at[1]) + shift;
    at[0] = static_cast<uint8_t>(0xC0 | (target >> 8));
    at[1] = static_cast<uint8_t>(target);
  }
  if (query.edns) {
    WriteOpt(p + question_end + answer->body.size(), options_.max_udp_payload, answer->rcode,
             query.dnssec_ok);
  }
  info->rcode = answer->rcode;
  return size;
}

}  // namespace tandem::dns
