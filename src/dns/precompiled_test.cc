// Precompiled answers: the fast path must give byte for byte the general
// path's response. Two responders with the same seed answer the same
// queries, one from the precompiled answers and one with them off; every
// name and type of the test zones is asked in several cases, with and
// without EDNS, over UDP and TCP, and then a few hundred thousand random
// queries (names that exist or not, random case, types, classes, flags,
// payload sizes) including dynamic sets drawn at random, which stay on the
// general path (so the two PRNGs stay in step).
#include "dns/precompiled.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <set>

#include "dns/dns_testing.h"
#include "dns/message.h"

namespace tandem::dns {
namespace {

using namespace std::string_literals;
using testing::MakeQuery;
using testing::QuerySpec;
using testing::Set;

constexpr char kChildZone[] = R"zone($TTL 120
$ORIGIN child.shop.example.
@ IN SOA ns hostmaster 7 3600 900 604800 30
  IN NS ns
ns IN A 192.0.2.99
www IN A 192.0.2.98
up IN CNAME alias.shop.example.
)zone";

// A zone whose SOA names have no records (so names below them do not exist
// but share labels with the SOA), one out of the zone.
constexpr char kGhostZone[] = R"zone($TTL 60
$ORIGIN ghost.example.
@ IN SOA ns.a.ghost.example. dns-admin.provider.net. 1 3600 900 604800 30
  IN NS ns.provider.net.
www IN A 192.0.2.5
)zone";

// A wildcard at the apex: no name is NXDOMAIN.
constexpr char kApexWildcardZone[] = R"zone($TTL 60
$ORIGIN wild.example.
@ IN SOA ns hostmaster 1 3600 900 604800 30
  IN NS ns
ns IN A 192.0.2.6
* IN TXT "anything"
)zone";

std::string Ip(int last) { return "\xc0\x00\x02"s + static_cast<char>(last); }

std::vector<DynamicRrSet> DynamicSets() {
  std::vector<std::string> twelve, five;
  for (int i = 1; i <= 12; ++i) {
    twelve.push_back(Ip(i));
    if (i <= 5) {
      five.push_back(Ip(i));
    }
  }
  auto w = [](const char* name) { return *NameToWire(name); };
  return {
      {w("www.shop.example."), Set(kTypeA, {Ip(1)}, RrSet::Pick::kAll)},  // failover
      {w("weighted.shop.example."), Set(kTypeA, {Ip(1), Ip(2)}, RrSet::Pick::kOneByWeight, {1, 3})},
      {w("many.shop.example."), Set(kTypeA, twelve, RrSet::Pick::kUpToEight)},
      {w("few.shop.example."), Set(kTypeA, five, RrSet::Pick::kUpToEight)},
      {w("app.shop.example."), Set(kTypeCNAME, {w("mx.shop.example."), w("sip.shop.example.")},
                                   RrSet::Pick::kOneByWeight, {1, 1})},
      {w("toweighted.shop.example."),
       Set(kTypeCNAME, {w("weighted.shop.example.")}, RrSet::Pick::kAll)},
      {w("mxw.shop.example."),
       Set(kTypeMX, {"\x00\x0a"s + w("weighted.shop.example.")}, RrSet::Pick::kAll)},
  };
}

// The shop zone (with dynamic sets) and a child zone nested in it.
class FastVsGeneral {
 public:
  explicit FastVsGeneral(uint64_t seed = 7)
      : fast_(ResponderOptions{}, seed),
        general_(ResponderOptions{.precompiled = false}, seed),
        fast_out_(65535),
        general_out_(65535) {
    auto shop = testing::ZoneFromText("shop.example.", testing::kShopZone, DynamicSets());
    auto child = testing::ZoneFromText("child.shop.example.", kChildZone);
    auto ghost = testing::ZoneFromText("ghost.example.", kGhostZone);
    auto wild = testing::ZoneFromText("wild.example.", kApexWildcardZone);
    if (!shop.ok() || !child.ok() || !ghost.ok() || !wild.ok()) {
      std::abort();
    }
    zones_.zones = {*shop, *child, *ghost, *wild};
  }

  // Asks both; true (and counts) when they answer the same bytes.
  ::testing::AssertionResult Same(const std::vector<uint8_t>& packet, Transport t) {
    ResponseInfo fast_info, general_info;
    const size_t udp = t == Transport::kUdp ? 4096 : 65535;
    const size_t nf =
        fast_.Respond(zones_, packet, t, std::span<uint8_t>(fast_out_.data(), udp), &fast_info);
    const size_t ng = general_.Respond(zones_, packet, t,
                                       std::span<uint8_t>(general_out_.data(), udp), &general_info);
    ++asked_;
    if (nf != ng || std::memcmp(fast_out_.data(), general_out_.data(), nf) != 0) {
      return ::testing::AssertionFailure() << "fast " << nf << " bytes, general " << ng;
    }
    if (fast_info.rcode != general_info.rcode || fast_info.qtype != general_info.qtype ||
        fast_info.dropped != general_info.dropped ||
        fast_info.truncated != general_info.truncated) {
      return ::testing::AssertionFailure() << "ResponseInfo differs";
    }
    return ::testing::AssertionSuccess();
  }

  const ZoneSet& zones() const { return zones_; }
  size_t asked() const { return asked_; }

 private:
  ZoneSet zones_;
  Responder fast_;
  Responder general_;
  std::vector<uint8_t> fast_out_;
  std::vector<uint8_t> general_out_;
  size_t asked_ = 0;
};

// Every name of `zones` in presentation form.
std::vector<std::string> AllNames(const ZoneSet& zones) {
  std::vector<std::string> names;
  for (const auto& zone : zones.zones) {
    zone->ForEachNode(
        [&](std::string_view name, const Zone::Node&) { names.push_back(WireToName(name)); });
  }
  return names;
}

std::string Upper(std::string s) {
  for (char& c : s) {
    if (c >= 'a' && c <= 'z') {
      c = static_cast<char>(c - 'a' + 'A');
    }
  }
  return s;
}

std::string RandomCase(std::string s, std::mt19937_64& rng) {
  for (char& c : s) {
    if (c >= 'a' && c <= 'z' && (rng() & 1)) {
      c = static_cast<char>(c - 'a' + 'A');
    }
  }
  return s;
}

const std::vector<uint16_t> kTypes = {
    kTypeA,   kTypeNS, kTypeCNAME, kTypeSOA, 12,  kTypeMX, kTypeTXT, kTypeAAAA, kTypeSRV, 43,   46,
    kTypeOPT, 65,      kTypeCAA,   kTypeANY, 251, 252,     254,      0,         65280,    65535};

TEST(PrecompiledTest, EveryNameAndTypeMatchesTheGeneralPath) {
  FastVsGeneral t;
  std::mt19937_64 rng(1);
  for (const std::string& name : AllNames(t.zones())) {
    for (uint16_t type : kTypes) {
      for (const std::string& cased : {name, Upper(name), RandomCase(name, rng)}) {
        for (int variant = 0; variant < 6; ++variant) {
          QuerySpec q;
          q.name = cased;
          q.qtype = type;
          q.id = static_cast<uint16_t>(rng());
          q.flags = variant % 2 == 0 ? 0x0100 : 0x0030;  // RD, or AD CD
          q.edns = variant >= 2;
          q.payload = variant < 4 ? 1232 : (variant == 4 ? 512 : 4096);
          q.dnssec_ok = variant == 3 || variant == 5;
          const auto packet = MakeQuery(q);
          EXPECT_TRUE(t.Same(packet, Transport::kUdp)) << cased << " " << type << " " << variant;
          EXPECT_TRUE(t.Same(packet, Transport::kTcp)) << cased << " " << type << " " << variant;
        }
      }
    }
  }
  EXPECT_GT(t.asked(), 20000u);
}

TEST(PrecompiledTest, CoversPlainAnswersAndLeavesTheRestToTheGeneralPath) {
  FastVsGeneral t;
  const PrecompiledAnswers& shop = t.zones().zones[0]->precompiled();
  auto find = [&](const char* name, uint16_t type) { return shop.Find(*NameToWire(name), type); };
  EXPECT_NE(find("www.shop.example.", kTypeA), nullptr);
  EXPECT_NE(find("www.static.shop.example.", kTypeAAAA), nullptr);
  EXPECT_NE(find("www.static.shop.example.", kTypeMX), nullptr);  // NODATA
  EXPECT_NE(find("chain.shop.example.", kTypeA), nullptr);        // a CNAME chain
  EXPECT_NE(find("chain.shop.example.", 65280), nullptr);         // ... to NODATA
  EXPECT_NE(find("sub.shop.example.", kTypeA), nullptr);          // empty non-terminal
  EXPECT_NE(find("few.shop.example.", kTypeA), nullptr);          // multivalue, 5: all
  EXPECT_NE(find("ns.child.shop.example.", kTypeA), nullptr);     // under a cut: referral
  EXPECT_NE(find("mid.shop.example.", kTypeTXT), nullptr);        // 700 bytes: fits 1232
  const auto* www = find("www.shop.example.", kTypeA);
  EXPECT_EQ(www->ancount, 1);
  EXPECT_TRUE(www->authoritative);
  EXPECT_EQ(www->body.size(), 16u);  // pointer to the question, A IN TTL, 4 bytes

  // Drawn at random, per query.
  EXPECT_EQ(find("weighted.shop.example.", kTypeA), nullptr);
  EXPECT_EQ(find("many.shop.example.", kTypeA), nullptr);
  EXPECT_EQ(find("app.shop.example.", kTypeA), nullptr);
  EXPECT_EQ(find("toweighted.shop.example.", kTypeA), nullptr);
  EXPECT_EQ(find("mxw.shop.example.", kTypeMX), nullptr);           // additional A drawn
  EXPECT_NE(find("toweighted.shop.example.", kTypeAAAA), nullptr);  // NODATA at the end
  // Types answered before or beside the zone lookup.
  for (uint16_t special : {uint16_t{0}, uint16_t{43}, uint16_t{46}, uint16_t{47}, uint16_t{251},
                           uint16_t{252}, kTypeANY}) {
    EXPECT_EQ(find("www.shop.example.", special), nullptr) << special;
  }
  // Names that do not exist: the shared NXDOMAIN answer, unless a wildcard,
  // a cut or a label of the SOA's names is in the way.
  const auto* nope = find("nope.shop.example.", kTypeA);
  ASSERT_NE(nope, nullptr);
  EXPECT_EQ(nope->rcode, kRcodeNxDomain);
  EXPECT_EQ(nope, find("a.b.c.nope.shop.example.", kTypeMX));
  EXPECT_EQ(nope, find("x.alias.shop.example.", kTypeA));  // below a CNAME
  EXPECT_EQ(nope->num_moving, 3);  // owner, MNAME and RNAME each end in a pointer
  EXPECT_EQ(find("x.wild.shop.example.", kTypeA), nullptr);      // *.wild
  EXPECT_EQ(find("a.b.sub.shop.example.", kTypeA), nullptr);     // *.sub
  EXPECT_EQ(find("x.ns.child.shop.example.", kTypeA), nullptr);  // below the cut
  EXPECT_EQ(find("x.child.shop.example.", kTypeA), nullptr);     // ... at it
  EXPECT_EQ(find("x.ns1.shop.example.", kTypeA), nullptr);       // MNAME ns1
  EXPECT_EQ(find("hostmaster.shop.example.", kTypeA), nullptr);  // RNAME hostmaster
  EXPECT_EQ(find("nope.shop.example.", kTypeANY), nullptr);
  std::string long_name;
  for (int i = 0; i < 70; ++i) {
    long_name += "a.";
  }
  EXPECT_EQ(find((long_name + "shop.example.").c_str(), kTypeA), nullptr);  // too many labels
  EXPECT_TRUE(t.zones().zones[2]->precompiled().has_nxdomain());
  EXPECT_FALSE(t.zones().zones[3]->precompiled().has_nxdomain());  // *.wild.example
  // Too long for any UDP answer (the 40 TXT records of big): general path.
  EXPECT_NE(find("big.shop.example.", kTypeTXT), nullptr);
  EXPECT_GT(find("big.shop.example.", kTypeTXT)->body.size(), 1232u);
}

TEST(PrecompiledTest, RandomQueriesMatchTheGeneralPath) {
  FastVsGeneral t(99);
  std::vector<std::string> names = AllNames(t.zones());
  for (const char* extra : {"nope.shop.example.",
                            "a.b.wild.shop.example.",
                            "x.wild.shop.example.",
                            "deep.child.shop.example.",
                            "x.ns.child.shop.example.",
                            "shop.example.org.",
                            "example.",
                            ".",
                            "x.sub.shop.example.",
                            "WEIGHTED.shop.example.",
                            "a.many.shop.example.",
                            "x.ns1.shop.example.",
                            "hostmaster.shop.example.",
                            "a.hostmaster.shop.example.",
                            "x.alias.shop.example.",
                            "a.b.c.d.e.f.g.shop.example.",
                            "ns.a.ghost.example.",
                            "a.ghost.example.",
                            "x.a.ghost.example.",
                            "dns-admin.ghost.example.",
                            "b.ghost.example.",
                            "x.www.ghost.example.",
                            "provider.net.ghost.example.",
                            "x.wild.example.",
                            "wild.example.",
                            "0.shop.example.",
                            "1.shop.example.",
                            "0.ghost.example."}) {
    names.push_back(extra);
  }
  std::mt19937_64 rng(12345);
  for (int i = 0; i < 200000; ++i) {
    QuerySpec q;
    q.name = RandomCase(names[rng() % names.size()], rng);
    if (rng() % 8 == 0) {
      const std::string label = "x" + std::to_string(rng() % 4) + ".";  // one label below
      q.name = q.name == "." ? label : label + q.name;
    }
    q.qtype = rng() % 4 == 0 ? static_cast<uint16_t>(rng()) : kTypes[rng() % kTypes.size()];
    q.qclass = rng() % 16 == 0 ? static_cast<uint16_t>(rng() % 4 == 0 ? 255 : rng() % 5) : 1;
    q.id = static_cast<uint16_t>(rng());
    q.flags = static_cast<uint16_t>(rng() % 4 == 0 ? rng() & 0x7FFF : (rng() & 0x0130));
    q.edns = rng() % 2 == 0;
    q.payload = static_cast<uint16_t>(rng() % 3 == 0 ? rng() % 2000 : 1232);
    q.version = rng() % 16 == 0 ? 1 : 0;
    q.dnssec_ok = rng() % 2 == 0;
    const auto packet = MakeQuery(q);
    const Transport transport = rng() % 4 == 0 ? Transport::kTcp : Transport::kUdp;
    ASSERT_TRUE(t.Same(packet, transport))
        << q.name << " type " << q.qtype << " class " << q.qclass << " flags " << q.flags
        << " edns " << q.edns << " payload " << q.payload;
  }
}

TEST(PrecompiledTest, ZonesWithTooManyNamesAreLeftToTheGeneralPath) {
  FastVsGeneral t;
  const Zone& shop = *t.zones().zones[0];
  auto none = PrecompiledAnswers::Build(shop, 10);
  EXPECT_EQ(none->names(), 0u);
  EXPECT_FALSE(none->has_nxdomain());
  EXPECT_EQ(none->Find(*NameToWire("www.shop.example."), kTypeA), nullptr);
  EXPECT_EQ(none->Find(*NameToWire("nope.shop.example."), kTypeA), nullptr);
  EXPECT_GT(shop.precompiled().names(), 10u);
}

// Names with so many labels that PacketWriter runs out of compression
// targets (64) before it reaches the origin: the general path then writes
// the SOA's names in full, so they must not get the NXDOMAIN template.
TEST(PrecompiledTest, NxdomainForNamesWithManyLabels) {
  FastVsGeneral t;
  for (int labels = 50; labels <= 80; ++labels) {
    std::string prefix;
    for (int i = 0; i < labels; ++i) {
      prefix += "q.";
    }
    for (const char* origin : {"shop.example.", "ghost.example.", "ns1.shop.example."}) {
      QuerySpec q;
      q.name = prefix + origin;
      for (bool edns : {false, true}) {
        q.edns = edns;
        EXPECT_TRUE(t.Same(MakeQuery(q), Transport::kUdp)) << labels << " labels, " << origin;
      }
    }
  }
}

TEST(PrecompiledTest, MangledPacketsMatchTheGeneralPath) {
  FastVsGeneral t(5);
  const std::vector<std::string> names = AllNames(t.zones());
  std::mt19937_64 rng(777);
  for (int i = 0; i < 50000; ++i) {
    QuerySpec q;
    q.name = names[rng() % names.size()];
    q.qtype = kTypes[rng() % kTypes.size()];
    q.edns = rng() % 2 == 0;
    auto packet = MakeQuery(q);
    const int flips = 1 + static_cast<int>(rng() % 3);
    for (int f = 0; f < flips; ++f) {
      packet[rng() % packet.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
    }
    if (rng() % 8 == 0) {
      packet.resize(rng() % packet.size());
    }
    ASSERT_TRUE(t.Same(packet, rng() % 2 == 0 ? Transport::kUdp : Transport::kTcp)) << i;
  }
}

}  // namespace
}  // namespace tandem::dns
