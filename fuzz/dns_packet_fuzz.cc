// Fuzzes the DNS responder, the first code a datagram or TCP message reaches:
// Responder::Respond must never crash, read or write out of bounds or
// allocate per query. Every answer must be a well-formed message with the
// query's ID and QR set, no larger than the transport allows (UDP: 512
// without EDNS, else the requester's size clamped to 512..1232; TCP: 65535),
// and must decode, section counts and names included. The zone is small but
// has every path: CNAME chains and loops, wildcards, a delegation with glue,
// an RRset too big for UDP, weighted and multivalue dynamic sets.
//
// It is also a differential test of the fast path: a second responder with
// precompiled answers off must write the same bytes for every input (both
// start from the same seed and see the same queries, so even the random
// picks, which only the general path makes, stay in step).
#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "dns/dns_testing.h"
#include "dns/message.h"
#include "dns/responder.h"
#include "dns/zone.h"

namespace {

using namespace tandem::dns;

std::string W(const char* name) { return *NameToWire(name); }

ZoneRecord Record(const char* owner, uint16_t type, const std::string& text) {
  ZoneRecord r;
  r.owner = W(owner);
  r.type = type;
  r.ttl = 300;
  auto rdata = RdataFromText(type, text, "fuzz.example.");
  if (!rdata.ok()) {
    std::abort();
  }
  r.rdata = *rdata;
  return r;
}

const ZoneSet& Zones() {
  static const ZoneSet* zones = [] {
    ZoneSpec spec;
    spec.origin = "fuzz.example.";
    spec.name_servers = {{W("ns1.fuzz.example."), "127.0.0.1"}, {W("ns.other.org."), ""}};
    spec.records = {
        Record("www.fuzz.example.", kTypeA, "192.0.2.1"),
        Record("www.fuzz.example.", kTypeAAAA, "2001:db8::1"),
        Record("mail.fuzz.example.", kTypeMX, "10 www"),
        Record("srv.fuzz.example.", kTypeSRV, "1 2 3 www"),
        Record("txt.fuzz.example.", kTypeTXT, "\"a\" \"b\""),
        Record("fuzz.example.", kTypeCAA, "0 issue \"ca.example\""),
        Record("alias.fuzz.example.", kTypeCNAME, "www"),
        Record("chain.fuzz.example.", kTypeCNAME, "alias"),
        Record("loop1.fuzz.example.", kTypeCNAME, "loop2"),
        Record("loop2.fuzz.example.", kTypeCNAME, "loop1"),
        Record("ext.fuzz.example.", kTypeCNAME, "www.other.org."),
        Record("*.wild.fuzz.example.", kTypeA, "192.0.2.9"),
        Record("*.wild.fuzz.example.", kTypeTXT, "\"wild\""),
        Record("deep.ent.fuzz.example.", kTypeA, "192.0.2.3"),
        Record("child.fuzz.example.", kTypeNS, "ns.child"),
        Record("child.fuzz.example.", kTypeNS, "ns.other.org."),
        Record("ns.child.fuzz.example.", kTypeA, "192.0.2.77"),
    };
    for (int i = 0; i < 60; ++i) {
      spec.records.push_back(Record("big.fuzz.example.", kTypeTXT,
                                    "\"padding padding padding " + std::to_string(i) + "\""));
    }
    RrSet weighted{kTypeA, 5, {}, RrSet::Pick::kOneByWeight, {}};
    RrSet multi{kTypeA, 5, {}, RrSet::Pick::kUpToEight, {}};
    for (int i = 0; i < 12; ++i) {
      const std::string ip = "\xc6\x33\x64" + std::string(1, static_cast<char>(i));
      multi.rdata.push_back(ip);
      if (i < 3) {
        weighted.rdata.push_back(ip);
        weighted.weights.push_back(i);
      }
    }
    spec.dynamic = {{W("weighted.fuzz.example."), weighted}, {W("multi.fuzz.example."), multi}};
    auto zone = Zone::Build(spec);
    if (!zone.ok()) {
      std::abort();
    }
    auto* set = new ZoneSet;
    set->zones.push_back(*zone);
    return set;
  }();
  return *zones;
}

void Check(std::span<const uint8_t> query, std::span<const uint8_t> out, size_t n, size_t limit) {
  if (n == 0) {
    return;
  }
  if (n < 12 || n > limit || n > out.size()) {
    __builtin_trap();
  }
  if (out[0] != query[0] || out[1] != query[1] || !(out[2] & 0x80)) {
    __builtin_trap();
  }
  if (!tandem::dns::testing::Decode(std::vector<uint8_t>(out.begin(), out.begin() + n))) {
    __builtin_trap();
  }
}

// The general path's answer must be the fast path's, byte for byte.
void Compare(std::span<const uint8_t> query, Transport transport, std::span<const uint8_t> fast,
             size_t fast_n) {
  static Responder general(
      [] {
        ResponderOptions o;
        o.precompiled = false;
        return o;
      }(),
      42);
  static std::array<uint8_t, 65535> out;
  ResponseInfo info;
  const size_t limit = transport == Transport::kUdp ? 4096 : out.size();
  const size_t n =
      general.Respond(Zones(), query, transport, std::span<uint8_t>(out.data(), limit), &info);
  if (n != fast_n || std::memcmp(out.data(), fast.data(), n) != 0) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Responder responder(ResponderOptions{}, 42);
  static std::array<uint8_t, 65535> out;
  const std::span<const uint8_t> query(data, size);
  const ZoneSet& zones = Zones();

  Query parsed;
  const bool edns = ParseQuery(query, &parsed) != ParseResult::kDrop && parsed.edns;
  const size_t udp_limit = edns ? std::clamp<size_t>(parsed.udp_payload, 512, 1232) : 512;

  ResponseInfo info;
  size_t n =
      responder.Respond(zones, query, Transport::kUdp, std::span<uint8_t>(out.data(), 4096), &info);
  Check(query, out, n, udp_limit);
  Compare(query, Transport::kUdp, out, n);
  if ((n == 0) != info.dropped || (info.truncated && n > 0 && !(out[2] & 0x02))) {
    __builtin_trap();
  }
  n = responder.Respond(zones, query, Transport::kTcp, out, &info);
  Check(query, out, n, 65535);
  Compare(query, Transport::kTcp, out, n);
  return 0;
}
