// Test helpers for src/dns (tests only): building query packets by hand and
// decoding responses (with decompression) into plain values to assert on.
// Independent of the code under test except for name printing.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dns/responder.h"
#include "dns/zone.h"

namespace tandem::dns::testing {

// The zone the responder tests answer from: Knot's differential zone
// (/tmp/dns_plan.md section 2, so response sizes can be compared with
// Knot's) plus a few cases of our own.
inline constexpr char kShopZone[] = R"zone($TTL 300
$ORIGIN shop.example.
@   IN SOA ns1 hostmaster 2024010101 3600 900 604800 60
    IN NS ns1
ns1 IN A 127.0.0.1
WwW.Static 60 IN A 192.0.2.1
           IN AAAA 2001:db8::1
mail IN MX 10 mx.Other.example.
mail2 IN MX 10 mx
mx IN A 192.0.2.25
txt IN TXT "hello world" "two"
_sip._tcp IN SRV 10 20 5060 sip
sip IN A 192.0.2.60
@ IN CAA 0 issue "letsencrypt.org"
alias IN CNAME WwW.Static
chain IN CNAME alias
ext IN CNAME www.elsewhere.org.
dangling IN CNAME nothing
loop1 IN CNAME loop2
loop2 IN CNAME loop1
tochild IN CNAME www.child
*.wild IN A 192.0.2.50
deep.ent.sub 3600 A 192.0.2.9
*.sub IN TXT "wild"
big IN TXT "record number 1 padding padding"
big IN TXT "record number 2 padding padding"
big IN TXT "record number 3 padding padding"
big IN TXT "record number 4 padding padding"
big IN TXT "record number 5 padding padding"
big IN TXT "record number 6 padding padding"
big IN TXT "record number 7 padding padding"
big IN TXT "record number 8 padding padding"
big IN TXT "record number 9 padding padding"
big IN TXT "record number 10 padding padding"
big IN TXT "record number 11 padding padding"
big IN TXT "record number 12 padding padding"
big IN TXT "record number 13 padding padding"
big IN TXT "record number 14 padding padding"
big IN TXT "record number 15 padding padding"
big IN TXT "record number 16 padding padding"
big IN TXT "record number 17 padding padding"
big IN TXT "record number 18 padding padding"
big IN TXT "record number 19 padding padding"
big IN TXT "record number 20 padding padding"
big IN TXT "record number 21 padding padding"
big IN TXT "record number 22 padding padding"
big IN TXT "record number 23 padding padding"
big IN TXT "record number 24 padding padding"
big IN TXT "record number 25 padding padding"
big IN TXT "record number 26 padding padding"
big IN TXT "record number 27 padding padding"
big IN TXT "record number 28 padding padding"
big IN TXT "record number 29 padding padding"
big IN TXT "record number 30 padding padding"
big IN TXT "record number 31 padding padding"
big IN TXT "record number 32 padding padding"
big IN TXT "record number 33 padding padding"
big IN TXT "record number 34 padding padding"
big IN TXT "record number 35 padding padding"
big IN TXT "record number 36 padding padding"
big IN TXT "record number 37 padding padding"
big IN TXT "record number 38 padding padding"
big IN TXT "record number 39 padding padding"
big IN TXT "record number 40 padding padding"
mid IN TXT "record number 01 padding padding"
mid IN TXT "record number 02 padding padding"
mid IN TXT "record number 03 padding padding"
mid IN TXT "record number 04 padding padding"
mid IN TXT "record number 05 padding padding"
mid IN TXT "record number 06 padding padding"
mid IN TXT "record number 07 padding padding"
mid IN TXT "record number 08 padding padding"
mid IN TXT "record number 09 padding padding"
mid IN TXT "record number 10 padding padding"
mid IN TXT "record number 11 padding padding"
mid IN TXT "record number 12 padding padding"
mid IN TXT "record number 13 padding padding"
mid IN TXT "record number 14 padding padding"
mid IN TXT "record number 15 padding padding"
mid IN TXT "record number 16 padding padding"
mid IN TXT "record number 17 padding padding"
mid IN TXT "record number 18 padding padding"
mid IN TXT "record number 19 padding padding"
mid IN TXT "record number 20 padding padding"
mv IN A 192.0.2.1
mv IN A 192.0.2.2
mv IN A 192.0.2.3
mv IN A 192.0.2.4
mv IN A 192.0.2.5
mv IN A 192.0.2.6
mv IN A 192.0.2.7
mv IN A 192.0.2.8
mv IN A 192.0.2.9
mv IN A 192.0.2.10
mv IN A 192.0.2.11
mv IN A 192.0.2.12
mxbig IN MX 10 manya
manya IN A 198.51.100.1
manya IN A 198.51.100.2
manya IN A 198.51.100.3
manya IN A 198.51.100.4
manya IN A 198.51.100.5
manya IN A 198.51.100.6
manya IN A 198.51.100.7
manya IN A 198.51.100.8
manya IN A 198.51.100.9
manya IN A 198.51.100.10
manya IN A 198.51.100.11
manya IN A 198.51.100.12
manya IN A 198.51.100.13
manya IN A 198.51.100.14
manya IN A 198.51.100.15
manya IN A 198.51.100.16
manya IN A 198.51.100.17
manya IN A 198.51.100.18
manya IN A 198.51.100.19
manya IN A 198.51.100.20
manya IN A 198.51.100.21
manya IN A 198.51.100.22
manya IN A 198.51.100.23
manya IN A 198.51.100.24
manya IN A 198.51.100.25
manya IN A 198.51.100.26
manya IN A 198.51.100.27
manya IN A 198.51.100.28
manya IN A 198.51.100.29
manya IN A 198.51.100.30
manya IN A 198.51.100.31
manya IN A 198.51.100.32
manya IN A 198.51.100.33
manya IN A 198.51.100.34
manya IN A 198.51.100.35
manya IN A 198.51.100.36
manya IN A 198.51.100.37
manya IN A 198.51.100.38
manya IN A 198.51.100.39
manya IN A 198.51.100.40
child IN NS ns.child
ns.child IN A 192.0.2.77
)zone";

// Writes `text` to a fresh temporary file and returns its path.
inline std::string WriteTempFile(const std::string& text, const std::string& suffix = ".zone") {
  std::string path = "/tmp/dns_test_XXXXXX" + suffix;
  const int fd = mkstemps(path.data(), static_cast<int>(suffix.size()));
  if (fd < 0) {
    std::abort();
  }
  close(fd);
  std::ofstream(path) << text;
  return path;
}

// A zone read from master-file text through ReadZoneFile and Zone::Build.
inline StatusOr<std::shared_ptr<const Zone>> ZoneFromText(const std::string& origin,
                                                          const std::string& text,
                                                          std::vector<DynamicRrSet> dynamic = {}) {
  const std::string path = WriteTempFile(text);
  auto records = ReadZoneFile(path, origin);
  unlink(path.c_str());
  if (!records.ok()) {
    return records.status();
  }
  ZoneSpec spec;
  spec.origin = origin;
  spec.records = std::move(records).value();
  spec.dynamic = std::move(dynamic);
  return Zone::Build(std::move(spec));
}

// A dynamic answer set with a 5 s TTL, for zones built in tests.
inline RrSet Set(uint16_t type, std::vector<std::string> rdata, RrSet::Pick pick,
                 std::vector<uint32_t> weights = {}) {
  RrSet s;
  s.type = type;
  s.ttl = 5;
  s.rdata = std::move(rdata);
  s.pick = pick;
  s.weights = std::move(weights);
  return s;
}

struct QuerySpec {
  std::string name = "www.shop.example.";
  uint16_t qtype = kTypeA;
  uint16_t qclass = 1;
  uint16_t id = 0x1234;
  uint16_t flags = 0x0100;  // RD
  bool edns = false;
  uint16_t payload = 1232;
  uint8_t version = 0;
  bool dnssec_ok = false;
};

// A query for `name` and `type` with the defaults above.
inline QuerySpec Q(const std::string& name, uint16_t type) {
  QuerySpec q;
  q.name = name;
  q.qtype = type;
  return q;
}

inline char AsciiLowerChar(char c) { return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c; }

inline void Put16(std::vector<uint8_t>* out, uint16_t v) {
  out->push_back(static_cast<uint8_t>(v >> 8));
  out->push_back(static_cast<uint8_t>(v));
}

// The question name in wire form keeping the case as written.
inline std::vector<uint8_t> CaseKeptName(std::string_view name) {
  std::vector<uint8_t> out;
  size_t start = 0;
  while (start < name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string_view::npos) {
      dot = name.size();
    }
    out.push_back(static_cast<uint8_t>(dot - start));
    out.insert(out.end(), name.begin() + start, name.begin() + dot);
    start = dot + 1;
  }
  out.push_back(0);
  return out;
}

inline std::vector<uint8_t> OptRecord(uint16_t payload, uint8_t version, bool dnssec_ok) {
  return {0,
          0,
          41,
          static_cast<uint8_t>(payload >> 8),
          static_cast<uint8_t>(payload),
          0,
          version,
          static_cast<uint8_t>(dnssec_ok ? 0x80 : 0),
          0,
          0,
          0};
}

inline std::vector<uint8_t> MakeQuery(const QuerySpec& q) {
  std::vector<uint8_t> p;
  Put16(&p, q.id);
  Put16(&p, q.flags);
  Put16(&p, 1);
  Put16(&p, 0);
  Put16(&p, 0);
  Put16(&p, q.edns ? 1 : 0);
  const std::vector<uint8_t> name = q.name == "." ? std::vector<uint8_t>{0} : CaseKeptName(q.name);
  p.insert(p.end(), name.begin(), name.end());
  Put16(&p, q.qtype);
  Put16(&p, q.qclass);
  if (q.edns) {
    const auto opt = OptRecord(q.payload, q.version, q.dnssec_ok);
    p.insert(p.end(), opt.begin(), opt.end());
  }
  return p;
}

struct Rr {
  std::string owner;  // presentation, case as in the packet
  uint16_t type = 0;
  uint16_t rclass = 0;
  uint32_t ttl = 0;
  std::string rdata;  // wire, names decompressed
};

struct Response {
  uint16_t id = 0;
  uint16_t flags = 0;
  uint8_t rcode = 0;  // header rcode only
  std::string qname;  // presentation, as in the packet
  uint16_t qtype = 0;
  uint16_t qclass = 0;
  uint16_t qdcount = 0;
  std::vector<Rr> answer, authority, additional;
  std::optional<Rr> opt;

  bool aa() const { return flags & 0x0400; }
  bool tc() const { return flags & 0x0200; }
  bool rd() const { return flags & 0x0100; }
};

// Reads a possibly compressed name; false when malformed.
inline bool ReadName(const std::vector<uint8_t>& p, size_t* pos, std::string* wire) {
  size_t at = *pos;
  bool jumped = false;
  int hops = 0;
  wire->clear();
  while (at < p.size()) {
    const uint8_t len = p[at];
    if ((len & 0xC0) == 0xC0) {
      if (at + 1 >= p.size() || ++hops > 100) {
        return false;
      }
      if (!jumped) {
        *pos = at + 2;
      }
      jumped = true;
      at = ((len & 0x3F) << 8) | p[at + 1];
      continue;
    }
    if (at + 1 + len > p.size()) {
      return false;
    }
    wire->append(reinterpret_cast<const char*>(&p[at]), 1 + len);
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

// Decodes `p`; nullopt when it is not a well-formed message.
inline std::optional<Response> Decode(const std::vector<uint8_t>& p) {
  if (p.size() < 12) {
    return std::nullopt;
  }
  auto r16 = [&](size_t at) { return static_cast<uint16_t>((p[at] << 8) | p[at + 1]); };
  Response r;
  r.id = r16(0);
  r.flags = r16(2);
  r.rcode = r.flags & 0xF;
  r.qdcount = r16(4);
  const uint16_t counts[3] = {r16(6), r16(8), r16(10)};
  size_t pos = 12;
  std::string wire;
  for (int i = 0; i < r.qdcount; ++i) {
    if (!ReadName(p, &pos, &wire) || pos + 4 > p.size()) {
      return std::nullopt;
    }
    r.qname = WireToName(wire);
    r.qtype = r16(pos);
    r.qclass = r16(pos + 2);
    pos += 4;
  }
  std::vector<Rr>* sections[3] = {&r.answer, &r.authority, &r.additional};
  for (int s = 0; s < 3; ++s) {
    for (int i = 0; i < counts[s]; ++i) {
      Rr rr;
      if (!ReadName(p, &pos, &wire) || pos + 10 > p.size()) {
        return std::nullopt;
      }
      rr.owner = WireToName(wire);
      rr.type = r16(pos);
      rr.rclass = r16(pos + 2);
      rr.ttl = (uint32_t{r16(pos + 4)} << 16) | r16(pos + 6);
      const size_t len = r16(pos + 8);
      pos += 10;
      if (pos + len > p.size()) {
        return std::nullopt;
      }
      const size_t end = pos + len;
      // Decompress the names of the types that may carry pointers.
      size_t fixed = 0;
      int names = 0;
      switch (rr.type) {
        case 2:
        case 5:
        case 12:
          names = 1;
          break;
        case 6:
          names = 2;
          break;
        case 15:
          fixed = 2;
          names = 1;
          break;
        default:
          break;
      }
      if (names > 0) {
        rr.rdata.assign(reinterpret_cast<const char*>(&p[pos]), fixed);
        size_t at = pos + fixed;
        for (int n = 0; n < names; ++n) {
          if (!ReadName(p, &at, &wire)) {
            return std::nullopt;
          }
          rr.rdata += wire;
        }
        rr.rdata.append(reinterpret_cast<const char*>(p.data() + at), end - at);
      } else {
        rr.rdata.assign(reinterpret_cast<const char*>(&p[pos]), len);
      }
      pos = end;
      if (rr.type == 41 && s == 2) {
        r.opt = rr;
      } else {
        sections[s]->push_back(std::move(rr));
      }
    }
  }
  if (pos != p.size()) {
    return std::nullopt;
  }
  return r;
}

// A responder over kShopZone (or another zone) and a buffer to answer into.
class Harness {
 public:
  explicit Harness(const std::string& text = kShopZone, std::vector<DynamicRrSet> dynamic = {},
                   uint64_t seed = 1)
      : responder_(ResponderOptions{}, seed), out_(65535) {
    auto zone = ZoneFromText("shop.example.", text, std::move(dynamic));
    if (!zone.ok()) {
      std::abort();
    }
    zones_.zones.push_back(*zone);
  }

  // The raw response to `packet` (empty: dropped).
  std::vector<uint8_t> Raw(const std::vector<uint8_t>& packet, Transport t = Transport::kUdp) {
    const size_t n = responder_.Respond(zones_, packet, t, out_, &info_);
    return std::vector<uint8_t>(out_.begin(), out_.begin() + n);
  }
  Response Ask(const QuerySpec& q, Transport t = Transport::kUdp) {
    last_ = Raw(MakeQuery(q), t);
    auto decoded = Decode(last_);
    return decoded ? *decoded : Response{};
  }
  const ResponseInfo& info() const { return info_; }
  const std::vector<uint8_t>& last() const { return last_; }
  const ZoneSet& zones() const { return zones_; }
  Responder& responder() { return responder_; }

 private:
  ZoneSet zones_;
  Responder responder_;
  std::vector<uint8_t> out_;
  std::vector<uint8_t> last_;
  ResponseInfo info_;
};

// Lower-cased presentation name, for comparisons that ignore case.
inline std::string Lower(std::string s) {
  for (char& c : s) {
    c = static_cast<char>(AsciiLowerChar(c));
  }
  return s;
}

}  // namespace tandem::dns::testing
