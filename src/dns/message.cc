#include "dns/message.h"

namespace tandem::dns {
namespace {

uint16_t Read16(std::span<const uint8_t> p, size_t at) {
  return static_cast<uint16_t>((p[at] << 8) | p[at + 1]);
}

uint32_t Read32(std::span<const uint8_t> p, size_t at) {
  return (uint32_t{p[at]} << 24) | (uint32_t{p[at + 1]} << 16) | (uint32_t{p[at + 2]} << 8) |
         p[at + 3];
}

// Steps over a possibly compressed name at `*pos`. Pointers must point
// strictly backwards, which bounds the walk.
bool SkipName(std::span<const uint8_t> p, size_t* pos) {
  size_t at = *pos;
  size_t total = 0;
  bool jumped = false;
  while (at < p.size()) {
    const uint8_t len = p[at];
    if ((len & 0xC0) == 0xC0) {
      if (at + 1 >= p.size()) {
        return false;
      }
      const size_t target = ((len & 0x3F) << 8) | p[at + 1];
      if (target >= at) {
        return false;
      }
      if (!jumped) {
        *pos = at + 2;
        jumped = true;
      }
      at = target;
      continue;
    }
    if ((len & 0xC0) != 0) {
      return false;  // extended label types (RFC 6891 5) are obsolete
    }
    total += 1 + len;
    if (total > kMaxNameLength) {
      return false;
    }
    if (len == 0) {
      if (!jumped) {
        *pos = at + 1;
      }
      return true;
    }
    at += 1 + len;
  }
  return false;
}

// Reads the question name (no compression allowed: nothing precedes it)
// into query->qname, lower-cased.
bool ReadQname(std::span<const uint8_t> p, size_t* pos, Query* query) {
  size_t at = *pos;
  size_t n = 0;
  while (at < p.size()) {
    const uint8_t len = p[at];
    if (len > 63 || n + 1 + len > kMaxNameLength || at + 1 + len > p.size()) {
      return false;
    }
    query->qname[n++] = len;
    for (size_t k = 1; k <= len; ++k) {
      query->qname[n++] = AsciiLower(p[at + k]);
    }
    at += 1 + len;
    if (len == 0) {
      query->qname_size = n;
      *pos = at;
      return true;
    }
  }
  return false;
}

bool OptionsWellFormed(std::span<const uint8_t> p, size_t at, size_t end) {
  while (at < end) {
    if (end - at < 4) {
      return false;
    }
    const size_t len = Read16(p, at + 2);
    at += 4;
    if (len > end - at) {
      return false;
    }
    at += len;
  }
  return true;
}

}  // namespace

ParseResult ParseQuery(std::span<const uint8_t> p, Query* query) {
  if (p.size() < kHeaderSize) {
    return ParseResult::kDrop;
  }
  query->id = Read16(p, 0);
  query->flags = Read16(p, 2);
  if (query->flags & kFlagQr) {
    return ParseResult::kDrop;
  }
  const uint16_t qdcount = Read16(p, 4);
  const uint32_t other_records = uint32_t{Read16(p, 6)} + Read16(p, 8);
  const uint16_t arcount = Read16(p, 10);
  if (qdcount > 1) {
    return ParseResult::kFormErr;
  }
  size_t pos = kHeaderSize;
  if (qdcount == 1) {
    if (!ReadQname(p, &pos, query) || p.size() - pos < 4) {
      return ParseResult::kFormErr;
    }
    query->qtype = Read16(p, pos);
    query->qclass = Read16(p, pos + 2);
    pos += 4;
    query->question_size = pos - kHeaderSize;
  }

  const uint32_t records = other_records + arcount;
  for (uint32_t i = 0; i < records; ++i) {
    if (!SkipName(p, &pos) || p.size() - pos < 10) {
      return ParseResult::kFormErr;
    }
    const uint16_t type = Read16(p, pos);
    const uint16_t rclass = Read16(p, pos + 2);
    const uint32_t ttl = Read32(p, pos + 4);
    const size_t rdlength = Read16(p, pos + 8);
    pos += 10;
    if (rdlength > p.size() - pos) {
      return ParseResult::kFormErr;
    }
    if (type == 41 && i < other_records) {
      return ParseResult::kFormErr;  // OPT belongs in the additional section only
    }
    if (type == 41) {
      if (query->edns) {
        return ParseResult::kFormErr;  // a second OPT (RFC 6891 6.1.1)
      }
      query->edns = true;
      query->udp_payload = rclass;
      query->edns_version = static_cast<uint8_t>(ttl >> 16);
      query->dnssec_ok = (ttl & 0x8000) != 0;
      if (!OptionsWellFormed(p, pos, pos + rdlength)) {
        return ParseResult::kFormErr;
      }
    }
    pos += rdlength;
  }
  if (pos != p.size()) {
    return ParseResult::kFormErr;
  }
  // No question: malformed for the opcodes that need one (QUERY, NOTIFY,
  // UPDATE), answered with the OPT read above; any other opcode gets NOTIMP
  // (IQUERY, STATUS, DSO), as Knot does.
  const uint8_t opcode = static_cast<uint8_t>((query->flags >> 11) & 0xF);
  if (qdcount == 0 && (opcode == 0 || opcode == 4 || opcode == 5)) {
    return ParseResult::kFormErr;
  }
  return ParseResult::kQuery;
}

}  // namespace tandem::dns
