// Zone::Build: validation, generated SOA/NS, empty non-terminals, cuts,
// dynamic RRsets; ZoneSet::FindZone.
#include "dns/zone.h"

#include <gtest/gtest.h>

#include "dns/dns_testing.h"

namespace tandem::dns {
namespace {

using namespace std::string_literals;
using testing::ZoneFromText;

std::string W(const std::string& name) { return *NameToWire(name); }

constexpr char kHead[] =
    "$ORIGIN shop.example.\n$TTL 300\n@ SOA ns1 hostmaster 1 3600 900 604800 60\n@ NS ns1\n";

TEST(ZoneTest, IndexesNamesAndEmptyNonTerminals) {
  auto zone =
      ZoneFromText("shop.example.", std::string(kHead) + "a.b.c A 192.0.2.1\nns1 A 1.2.3.4\n");
  ASSERT_TRUE(zone.ok()) << zone.status().ToString();
  const Zone& z = **zone;
  EXPECT_EQ(z.origin(), W("shop.example."));
  ASSERT_NE(z.Find(W("a.b.c.shop.example.")), nullptr);
  EXPECT_EQ(z.Find(W("a.b.c.shop.example."))->front().type, kTypeA);
  EXPECT_EQ(z.Find(W("b.c.shop.example.")), nullptr);
  EXPECT_TRUE(z.Exists(W("b.c.shop.example.")));
  EXPECT_TRUE(z.Exists(W("c.shop.example.")));
  EXPECT_FALSE(z.Exists(W("x.shop.example.")));
  EXPECT_EQ(z.soa().type, kTypeSOA);
  EXPECT_EQ(z.negative_ttl(), 60u);  // min(SOA TTL 300, MINIMUM 60)
  const auto* apex = z.Find(W("shop.example."));
  ASSERT_NE(apex, nullptr);
  ASSERT_EQ(apex->size(), 2u);
  EXPECT_EQ((*apex)[0].type, kTypeNS);  // sorted by type
  EXPECT_EQ((*apex)[1].type, kTypeSOA);
}

TEST(ZoneTest, NegativeTtlIsTheSoaTtlWhenLower) {
  auto zone = ZoneFromText("shop.example.", "@ 30 SOA ns1 hostmaster 1 3600 900 604800 600\n");
  ASSERT_TRUE(zone.ok());
  EXPECT_EQ((*zone)->negative_ttl(), 30u);
}

void ExpectError(const std::string& text, const std::string& needle) {
  auto zone = ZoneFromText("shop.example.", text);
  ASSERT_FALSE(zone.ok()) << "accepted: " << text;
  EXPECT_EQ(zone.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(zone.status().message().find(needle), std::string::npos) << zone.status().message();
}

TEST(ZoneTest, RejectsInvalidZonesNamingTheRecord) {
  ExpectError(std::string(kHead) + "www.other.example. A 192.0.2.1\n", ":5: www.other.example. A");
  ExpectError(std::string(kHead) + "www.other.example. A 192.0.2.1\n", "outside the zone");
  ExpectError(std::string(kHead) + "@ SOA ns2 hostmaster 2 3600 900 604800 60\n",
              ":5: shop.example. SOA: more than one SOA");
  ExpectError(std::string(kHead) + "sub SOA ns1 hostmaster 1 3600 900 604800 60\n",
              ":5: sub.shop.example. SOA: SOA is only allowed at the apex");
  ExpectError(std::string(kHead) + "www CNAME other\nwww A 192.0.2.1\n",
              "a CNAME must be alone at its name");
  ExpectError(std::string(kHead) + "www CNAME a\nwww CNAME b\n", "more than one CNAME");
  ExpectError(std::string(kHead) + "@ CNAME other.example.\n", "a CNAME cannot be at the apex");
}

TEST(ZoneTest, CnameErrorsNameTheFileLine) {
  auto zone = ZoneFromText("shop.example.", std::string(kHead) + "www A 192.0.2.1\nwww CNAME x\n");
  ASSERT_FALSE(zone.ok());
  EXPECT_NE(zone.status().message().find(".zone:6: www.shop.example. CNAME"), std::string::npos)
      << zone.status().message();
}

TEST(ZoneTest, RrsetTtlsAreUnifiedToTheLowest) {
  auto zone = ZoneFromText("shop.example.", std::string(kHead) +
                                                "www 60 A 192.0.2.1\nwww 30 A "
                                                "192.0.2.2\nwww 90 A 192.0.2.3\n");
  ASSERT_TRUE(zone.ok());
  const auto* sets = (*zone)->Find(W("www.shop.example."));
  ASSERT_NE(sets, nullptr);
  EXPECT_EQ(sets->front().ttl, 30u);
  EXPECT_EQ(sets->front().rdata.size(), 3u);
}

TEST(ZoneTest, DuplicatesAreDroppedAndRdataNamesLowerCased) {
  auto zone = ZoneFromText("shop.example.", std::string(kHead) +
                                                "mail MX 10 MX.Other.Example.\n"
                                                "mail MX 10 mx.other.example.\n");
  ASSERT_TRUE(zone.ok());
  const auto* sets = (*zone)->Find(W("mail.shop.example."));
  ASSERT_NE(sets, nullptr);
  ASSERT_EQ(sets->front().rdata.size(), 1u);
  EXPECT_EQ(sets->front().rdata[0], "\0\x0a\2mx\5other\7example\0"s);
}

TEST(ZoneTest, GeneratesSoaAndNsWithGlue) {
  ZoneSpec spec;
  spec.origin = "shop.example.";
  spec.name_servers = {{W("ns1.shop.example."), "127.0.0.1"},
                       {W("ns2.shop.example."), "::1"},
                       {W("ns.elsewhere.org."), "192.0.2.9"}};
  auto zone = Zone::Build(spec);
  ASSERT_TRUE(zone.ok()) << zone.status().ToString();
  const Zone& z = **zone;
  const RrSet& soa = z.soa();
  EXPECT_EQ(soa.ttl, 3600u);
  const std::string& rdata = soa.rdata[0];
  EXPECT_EQ(rdata.substr(0, 18), W("ns1.shop.example."));
  EXPECT_EQ(rdata.substr(18, 25), W("hostmaster.shop.example."));
  EXPECT_EQ(rdata.substr(rdata.size() - 16), "\0\0\x0e\x10\0\0\x02\x58\0\x01\x51\x80\0\0\0\x3c"s);
  EXPECT_EQ(z.negative_ttl(), 60u);
  const auto* apex = z.Find(W("shop.example."));
  ASSERT_NE(apex, nullptr);
  EXPECT_EQ(apex->front().type, kTypeNS);
  EXPECT_EQ(apex->front().rdata.size(), 3u);
  ASSERT_NE(z.Find(W("ns1.shop.example.")), nullptr);
  EXPECT_EQ(z.Find(W("ns1.shop.example."))->front().rdata[0], "\x7f\0\0\1"s);
  EXPECT_EQ(z.Find(W("ns2.shop.example."))->front().type, kTypeAAAA);
  EXPECT_FALSE(z.Exists(W("ns.elsewhere.org.")));

  // The serial depends only on the input: same input, same serial; other
  // input, another serial.
  auto again = Zone::Build(spec);
  EXPECT_EQ((*again)->soa().rdata[0], rdata);
  spec.name_servers.pop_back();
  auto other = Zone::Build(spec);
  EXPECT_NE((*other)->soa().rdata[0].substr(43, 4), rdata.substr(43, 4));
}

TEST(ZoneTest, GeneratedNsNeedsAValidAddress) {
  ZoneSpec spec;
  spec.origin = "shop.example.";
  spec.name_servers = {{W("ns1.shop.example."), "not-an-ip"}};
  EXPECT_FALSE(Zone::Build(spec).ok());
}

TEST(ZoneTest, DynamicSetsReplaceStaticOnes) {
  DynamicRrSet dyn;
  dyn.owner = W("www.shop.example.");
  dyn.set.type = kTypeA;
  dyn.set.ttl = 5;
  dyn.set.rdata = {"\x7f\0\0\2"s};
  auto zone =
      ZoneFromText("shop.example.", std::string(kHead) + "www A 192.0.2.1\nwww AAAA ::1\n", {dyn});
  ASSERT_TRUE(zone.ok()) << zone.status().ToString();
  const auto* sets = (*zone)->Find(W("www.shop.example."));
  ASSERT_EQ(sets->size(), 2u);
  EXPECT_EQ((*sets)[0].ttl, 5u);
  EXPECT_EQ((*sets)[0].rdata, std::vector<std::string>{"\x7f\0\0\2"s});

  DynamicRrSet weighted = dyn;
  weighted.set.pick = RrSet::Pick::kOneByWeight;  // but no weights
  EXPECT_FALSE(ZoneFromText("shop.example.", kHead, {weighted}).ok());
  DynamicRrSet outside = dyn;
  outside.owner = W("www.other.example.");
  EXPECT_FALSE(ZoneFromText("shop.example.", kHead, {outside}).ok());
  DynamicRrSet cname = dyn;
  cname.set.type = kTypeCNAME;
  cname.set.rdata = {W("x.example.")};
  EXPECT_FALSE(
      ZoneFromText("shop.example.", std::string(kHead) + "www A 192.0.2.1\n", {cname}).ok());
}

TEST(ZoneTest, DelegationsMarkTheCutAndWhatItOccludes) {
  auto zone = ZoneFromText("shop.example.", std::string(kHead) +
                                                "child NS ns.child\nns.child A 192.0.2.77\n"
                                                "x.y.child A 192.0.2.78\n");
  ASSERT_TRUE(zone.ok());
  const Zone& z = **zone;
  const Zone::Node* cut = z.FindNode(W("child.shop.example."));
  ASSERT_NE(cut, nullptr);
  EXPECT_TRUE(cut->delegation);
  EXPECT_EQ(cut->cut, cut);
  for (const char* below :
       {"ns.child.shop.example.", "y.child.shop.example.", "x.y.child.shop.example."}) {
    const Zone::Node* node = z.FindNode(W(below));
    ASSERT_NE(node, nullptr) << below;
    EXPECT_EQ(node->cut, cut) << below;
    EXPECT_EQ(*node->cut_name, W("child.shop.example."));
  }
  const Zone::Node* apex = z.FindNode(W("shop.example."));
  EXPECT_FALSE(apex->delegation);
  EXPECT_EQ(apex->cut, nullptr);
}

TEST(ZoneSetTest, FindsTheLongestEnclosingOrigin) {
  ZoneSet set;
  ZoneSpec outer;
  outer.origin = "shop.example.";
  ZoneSpec inner;
  inner.origin = "eu.shop.example.";
  set.zones = {*Zone::Build(outer), *Zone::Build(inner)};
  EXPECT_EQ(set.FindZone(W("www.shop.example.")), set.zones[0].get());
  EXPECT_EQ(set.FindZone(W("shop.example.")), set.zones[0].get());
  EXPECT_EQ(set.FindZone(W("www.eu.shop.example.")), set.zones[1].get());
  EXPECT_EQ(set.FindZone(W("eu.shop.example.")), set.zones[1].get());
  EXPECT_EQ(set.FindZone(W("xshop.example.")), nullptr);
  EXPECT_EQ(set.FindZone(W("example.")), nullptr);
  EXPECT_EQ(set.FindZone("\0"s), nullptr);
  std::swap(set.zones[0], set.zones[1]);
  EXPECT_EQ(set.FindZone(W("www.eu.shop.example."))->origin(), W("eu.shop.example."));
}

}  // namespace
}  // namespace tandem::dns
