// Responder, answer semantics: exact matches, NXDOMAIN/NODATA, empty
// non-terminals, CNAME chains, wildcards, referrals, minimal ANY, additional
// data, compression and case, and the dynamic picks. Sizes marked "Knot"
// are what Knot 3.2.6 answered for the same zone (/tmp/dns_plan.md 2), so
// equal sizes mean equal compression.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "dns/dns_testing.h"
#include "dns/message.h"

namespace tandem::dns {
namespace {

using namespace std::string_literals;
using testing::Harness;
using testing::Lower;
using testing::Q;
using testing::QuerySpec;
using testing::Response;
using testing::Set;

TEST(ResponderTest, ExactMatchKeepsTheQueryCase) {
  Harness h;
  Response r = h.Ask(Q("wWw.sTaTiC.ShOp.ExAmPlE.", kTypeA));
  EXPECT_EQ(r.id, 0x1234);
  EXPECT_EQ(r.flags, 0x8500);  // QR AA RD, NOERROR
  EXPECT_EQ(r.qname, "wWw.sTaTiC.ShOp.ExAmPlE.");
  ASSERT_EQ(r.answer.size(), 1u);
  EXPECT_EQ(r.answer[0].owner, "wWw.sTaTiC.ShOp.ExAmPlE.");
  EXPECT_EQ(r.answer[0].ttl, 60u);
  EXPECT_EQ(r.answer[0].rclass, 1);
  EXPECT_EQ(r.answer[0].rdata, "\xc0\x00\x02\x01"s);
  EXPECT_EQ(h.last().size(), 57u);  // Knot
  const size_t owner_at = 12 + 29;  // header + question
  EXPECT_EQ(h.last()[owner_at], 0xC0);
  EXPECT_EQ(h.last()[owner_at + 1], 12);
  EXPECT_EQ(h.info().qtype, kTypeA);
  EXPECT_EQ(h.info().rcode, 0);
}

TEST(ResponderTest, NxdomainCarriesTheSoaWithTheNegativeTtl) {
  Harness h;
  Response r = h.Ask(Q("nope.shop.example.", kTypeA));
  EXPECT_EQ(r.rcode, kRcodeNxDomain);
  EXPECT_TRUE(r.aa());
  EXPECT_TRUE(r.answer.empty());
  ASSERT_EQ(r.authority.size(), 1u);
  EXPECT_EQ(r.authority[0].type, kTypeSOA);
  EXPECT_EQ(Lower(r.authority[0].owner), "shop.example.");
  EXPECT_EQ(r.authority[0].ttl, 60u);  // min(300, MINIMUM 60)
  EXPECT_EQ(h.last().size(), 86u);     // Knot
  EXPECT_EQ(h.info().rcode, kRcodeNxDomain);
}

TEST(ResponderTest, NodataIsNoerrorWithTheSoa) {
  Harness h;
  Response r = h.Ask(Q("www.static.shop.example.", kTypeMX));
  EXPECT_EQ(r.rcode, 0);
  EXPECT_TRUE(r.aa());
  EXPECT_TRUE(r.answer.empty());
  ASSERT_EQ(r.authority.size(), 1u);
  EXPECT_EQ(r.authority[0].type, kTypeSOA);
  EXPECT_EQ(h.last().size(), 92u);                                 // Knot
  for (uint16_t meta : {uint16_t{254}, kTypeOPT, uint16_t{46}}) {  // MAILA, OPT, RRSIG
    Response m = h.Ask(Q("www.static.shop.example.", meta));
    EXPECT_EQ(m.rcode, 0) << meta;
    EXPECT_EQ(m.authority.size(), 1u) << meta;
  }
}

TEST(ResponderTest, RrsigAndNsecAtACnameAreNotFollowed) {
  // They may sit beside a CNAME (RFC 4035 2.5): an unsigned zone gives
  // NODATA at the alias itself, as Knot does; other types follow it.
  Harness h;
  for (uint16_t type : {uint16_t{46}, uint16_t{47}}) {
    Response r = h.Ask(Q("alias.shop.example.", type));
    EXPECT_EQ(r.rcode, 0) << type;
    EXPECT_TRUE(r.aa()) << type;
    EXPECT_TRUE(r.answer.empty()) << type;
    ASSERT_EQ(r.authority.size(), 1u) << type;
    EXPECT_EQ(r.authority[0].type, kTypeSOA) << type;
  }
  Response followed = h.Ask(Q("alias.shop.example.", kTypeA));
  ASSERT_FALSE(followed.answer.empty());
  EXPECT_EQ(followed.answer[0].type, kTypeCNAME);
}

TEST(ResponderTest, EmptyNonTerminalsAreNodataAndNamesBelowThemNxdomain) {
  Harness h;
  for (const char* ent : {"sub.shop.example.", "ent.sub.shop.example."}) {
    Response r = h.Ask(Q(ent, kTypeA));
    EXPECT_EQ(r.rcode, 0) << ent;
    EXPECT_TRUE(r.answer.empty()) << ent;
    EXPECT_EQ(r.authority.size(), 1u) << ent;
  }
  // *.sub exists, but ent.sub is the closest encloser of x.ent.sub: no wildcard.
  EXPECT_EQ(h.Ask(Q("x.ent.sub.shop.example.", kTypeTXT)).rcode, kRcodeNxDomain);
  Response wild = h.Ask(Q("other.sub.shop.example.", kTypeTXT));
  EXPECT_EQ(wild.rcode, 0);
  ASSERT_EQ(wild.answer.size(), 1u);
  EXPECT_EQ(wild.answer[0].owner, "other.sub.shop.example.");
}

TEST(ResponderTest, CnameChainsAreFollowedInsideTheZone) {
  Harness h;
  Response r = h.Ask(Q("chain.shop.example.", kTypeA));
  EXPECT_EQ(r.rcode, 0);
  EXPECT_TRUE(r.aa());
  ASSERT_EQ(r.answer.size(), 3u);
  EXPECT_EQ(r.answer[0].type, kTypeCNAME);
  EXPECT_EQ(r.answer[0].owner, "chain.shop.example.");
  EXPECT_EQ(r.answer[0].rdata, *NameToWire("alias.shop.example."));
  EXPECT_EQ(Lower(r.answer[1].owner), "alias.shop.example.");
  EXPECT_EQ(r.answer[1].rdata, *NameToWire("www.static.shop.example."));
  EXPECT_EQ(Lower(r.answer[2].owner), "www.static.shop.example.");
  EXPECT_EQ(r.answer[2].type, kTypeA);
  EXPECT_EQ(h.last().size(), 97u);  // Knot

  Response nodata = h.Ask(Q("chain.shop.example.", kTypeMX));
  EXPECT_EQ(nodata.answer.size(), 2u);
  ASSERT_EQ(nodata.authority.size(), 1u);
  EXPECT_EQ(nodata.authority[0].type, kTypeSOA);
  EXPECT_EQ(h.last().size(), 132u);  // Knot

  Response just_cname = h.Ask(Q("alias.shop.example.", kTypeCNAME));
  ASSERT_EQ(just_cname.answer.size(), 1u);
  EXPECT_EQ(h.last().size(), 61u);  // Knot

  Response out = h.Ask(Q("ext.shop.example.", kTypeA));
  EXPECT_EQ(out.rcode, 0);
  ASSERT_EQ(out.answer.size(), 1u);
  EXPECT_TRUE(out.authority.empty());
  EXPECT_EQ(h.last().size(), 65u);  // Knot
}

TEST(ResponderTest, CnameToMissingNameIsNxdomainAndLoopsEnd) {
  Harness h;
  Response dangling = h.Ask(Q("dangling.shop.example.", kTypeA));
  EXPECT_EQ(dangling.rcode, kRcodeNxDomain);  // RFC 6604: the last name's rcode
  EXPECT_TRUE(dangling.aa());
  EXPECT_EQ(dangling.answer.size(), 1u);
  EXPECT_EQ(dangling.authority.size(), 1u);

  Response loop = h.Ask(Q("loop1.shop.example.", kTypeA));
  EXPECT_EQ(loop.rcode, 0);
  ASSERT_EQ(loop.answer.size(), 2u);  // loop1 -> loop2, loop2 -> loop1, then stop
  EXPECT_EQ(Lower(loop.answer[0].owner), "loop1.shop.example.");
  EXPECT_EQ(Lower(loop.answer[1].owner), "loop2.shop.example.");
}

TEST(ResponderTest, WildcardsSynthesiseWithTheQueryName) {
  Harness h;
  Response r = h.Ask(Q("Foo.wild.shop.example.", kTypeA));
  EXPECT_EQ(r.rcode, 0);
  ASSERT_EQ(r.answer.size(), 1u);
  EXPECT_EQ(r.answer[0].owner, "Foo.wild.shop.example.");
  EXPECT_EQ(r.answer[0].rdata, "\xc0\x00\x02\x32"s);
  EXPECT_EQ(h.last().size(), 55u);  // Knot
  EXPECT_EQ(h.Ask(Q("a.b.wild.shop.example.", kTypeA)).answer.size(), 1u);
  Response nodata = h.Ask(Q("foo.wild.shop.example.", kTypeMX));
  EXPECT_EQ(nodata.rcode, 0);
  EXPECT_TRUE(nodata.answer.empty());
  EXPECT_EQ(nodata.authority.size(), 1u);
  Response itself = h.Ask(Q("*.wild.shop.example.", kTypeA));
  ASSERT_EQ(itself.answer.size(), 1u);
  EXPECT_EQ(itself.answer[0].owner, "*.wild.shop.example.");
}

TEST(ResponderTest, DelegationsAnswerWithReferralsAndGlue) {
  Harness h;
  for (const auto& [name, type] :
       std::vector<std::pair<std::string, uint16_t>>{{"www.child.shop.example.", kTypeA},
                                                     {"child.shop.example.", kTypeNS},
                                                     {"child.shop.example.", kTypeA},
                                                     {"ns.child.shop.example.", kTypeA},
                                                     {"child.shop.example.", kTypeANY}}) {
    Response r = h.Ask(Q(name, type));
    EXPECT_EQ(r.rcode, 0) << name;
    EXPECT_FALSE(r.aa()) << name;
    EXPECT_TRUE(r.answer.empty()) << name;
    ASSERT_EQ(r.authority.size(), 1u) << name;
    EXPECT_EQ(r.authority[0].type, kTypeNS);
    EXPECT_EQ(Lower(r.authority[0].owner), "child.shop.example.");
    ASSERT_EQ(r.additional.size(), 1u) << name;
    EXPECT_EQ(Lower(r.additional[0].owner), "ns.child.shop.example.");
    EXPECT_EQ(r.additional[0].rdata, "\xc0\x00\x02\x4d"s);
  }
  // DS belongs to the parent side of the cut: authoritative NODATA.
  Response ds = h.Ask(Q("child.shop.example.", 43));
  EXPECT_TRUE(ds.aa());
  EXPECT_TRUE(ds.answer.empty());
  ASSERT_EQ(ds.authority.size(), 1u);
  EXPECT_EQ(ds.authority[0].type, kTypeSOA);
  // A CNAME into the delegated child: the CNAME, then the referral.
  Response via = h.Ask(Q("tochild.shop.example.", kTypeA));
  EXPECT_TRUE(via.aa());
  ASSERT_EQ(via.answer.size(), 1u);
  ASSERT_EQ(via.authority.size(), 1u);
  EXPECT_EQ(via.authority[0].type, kTypeNS);
}

TEST(ResponderTest, ApexNsAndMxAndSrvGetInZoneAddresses) {
  Harness h;
  Response ns = h.Ask(Q("shop.example.", kTypeNS));
  ASSERT_EQ(ns.answer.size(), 1u);
  ASSERT_EQ(ns.additional.size(), 1u);
  EXPECT_EQ(Lower(ns.additional[0].owner), "ns1.shop.example.");
  EXPECT_EQ(h.last().size(), 64u);  // Knot

  Response mx_out = h.Ask(Q("mail.shop.example.", kTypeMX));
  ASSERT_EQ(mx_out.answer.size(), 1u);
  EXPECT_EQ(mx_out.answer[0].rdata, "\0\x0a\2mx\5other\7example\0"s);  // lower-cased
  EXPECT_TRUE(mx_out.additional.empty());
  EXPECT_EQ(h.last().size(), 60u);  // Knot

  Response mx_in = h.Ask(Q("mail2.shop.example.", kTypeMX));
  ASSERT_EQ(mx_in.additional.size(), 1u);
  EXPECT_EQ(Lower(mx_in.additional[0].owner), "mx.shop.example.");

  Response srv = h.Ask(Q("_sip._tcp.shop.example.", kTypeSRV));
  ASSERT_EQ(srv.answer.size(), 1u);
  EXPECT_EQ(srv.additional.size(), 1u);
  // The SRV target is written in full (RFC 2782), never as a pointer.
  const std::string target = *NameToWire("sip.shop.example.");
  const std::string raw(h.last().begin(), h.last().end());
  EXPECT_NE(raw.find("\x13\xc4"s + target), std::string::npos);
}

TEST(ResponderTest, AnyIsMinimalOverUdpAndTcp) {
  Harness h;
  for (Transport t : {Transport::kUdp, Transport::kTcp}) {
    Response www = h.Ask(Q("www.static.shop.example.", kTypeANY), t);
    ASSERT_EQ(www.answer.size(), 1u);
    EXPECT_EQ(www.answer[0].type, kTypeA);
    Response apex = h.Ask(Q("shop.example.", kTypeANY), t);
    ASSERT_EQ(apex.answer.size(), 1u);
    EXPECT_EQ(apex.answer[0].type, kTypeNS);  // as Knot: the lowest type
    EXPECT_EQ(apex.additional.size(), 1u);
    Response mail = h.Ask(Q("mail.shop.example.", kTypeANY), t);
    ASSERT_EQ(mail.answer.size(), 1u);
    EXPECT_EQ(mail.answer[0].type, kTypeMX);
    Response big = h.Ask(Q("big.shop.example.", kTypeANY), t);
    EXPECT_EQ(big.answer.size(), t == Transport::kTcp ? 40u : 0u);
    EXPECT_EQ(big.tc(), t == Transport::kUdp);
    EXPECT_EQ(h.Ask(Q("nope.shop.example.", kTypeANY), t).rcode, kRcodeNxDomain);
    Response ent = h.Ask(Q("sub.shop.example.", kTypeANY), t);
    EXPECT_EQ(ent.rcode, 0);
    EXPECT_EQ(ent.authority.size(), 1u);
  }
}

TEST(ResponderTest, AdditionalDataThatDoesNotFitIsDroppedWithoutTc) {
  Harness h;
  Response r = h.Ask(Q("mxbig.shop.example.", kTypeMX));
  EXPECT_FALSE(r.tc());
  EXPECT_EQ(r.answer.size(), 1u);
  EXPECT_TRUE(r.additional.empty());  // 40 A records need more than 512 bytes
  EXPECT_LE(h.last().size(), 512u);
  Response tcp = h.Ask(Q("mxbig.shop.example.", kTypeMX), Transport::kTcp);
  EXPECT_EQ(tcp.additional.size(), 40u);
}

TEST(ResponderTest, CompressionPointsIntoTheQuestionAndEarlierNames) {
  Harness h;
  h.Ask(Q("chain.shop.example.", kTypeA));
  const std::vector<uint8_t>& p = h.last();
  // Question: "chain.shop.example." at 12..31; the first answer's owner points at 12.
  const size_t answer = 12 + 20 + 4;
  EXPECT_EQ(p[answer], 0xC0);
  EXPECT_EQ(p[answer + 1], 12);
  // Every pointer points backwards, inside the message and below 0x4000.
  for (size_t i = 12; i + 1 < p.size(); ++i) {
    if ((p[i] & 0xC0) == 0xC0 && i > answer) {
      EXPECT_LT(((p[i] & 0x3F) << 8) | p[i + 1], static_cast<int>(i));
    }
  }
}

std::string Ip(int last) { return "\xc0\x00\x02"s + static_cast<char>(last); }

TEST(ResponderTest, WeightedPicksOneByWeight) {
  DynamicRrSet w1{*NameToWire("w1.shop.example."),
                  Set(kTypeA, {Ip(1), Ip(2)}, RrSet::Pick::kOneByWeight, {1, 0})};
  DynamicRrSet w2{*NameToWire("w2.shop.example."),
                  Set(kTypeA, {Ip(1), Ip(2)}, RrSet::Pick::kOneByWeight, {1, 3})};
  DynamicRrSet w0{*NameToWire("w0.shop.example."),
                  Set(kTypeA, {Ip(1), Ip(2)}, RrSet::Pick::kOneByWeight, {0, 0})};
  Harness h(testing::kShopZone, {w1, w2, w0});
  std::map<std::string, int> counts[3];
  const char* names[3] = {"w1.shop.example.", "w2.shop.example.", "w0.shop.example."};
  for (int i = 0; i < 4000; ++i) {
    for (int n = 0; n < 3; ++n) {
      Response r = h.Ask(Q(names[n], kTypeA));
      ASSERT_EQ(r.answer.size(), 1u);
      EXPECT_EQ(r.answer[0].ttl, 5u);
      ++counts[n][r.answer[0].rdata];
    }
  }
  EXPECT_EQ(counts[0][Ip(1)], 4000);
  EXPECT_NEAR(counts[1][Ip(2)], 3000, 200);
  EXPECT_NEAR(counts[2][Ip(1)], 2000, 200);
}

TEST(ResponderTest, WeightedCnamesPickOneTargetAndFollowIt) {
  DynamicRrSet cname{
      *NameToWire("app.shop.example."),
      Set(kTypeCNAME, {*NameToWire("mx.shop.example."), *NameToWire("sip.shop.example.")},
          RrSet::Pick::kOneByWeight, {0, 1})};
  Harness h(testing::kShopZone, {cname});
  for (int i = 0; i < 20; ++i) {
    Response r = h.Ask(Q("app.shop.example.", kTypeA));
    ASSERT_EQ(r.answer.size(), 2u);
    EXPECT_EQ(r.answer[0].rdata, *NameToWire("sip.shop.example."));
    EXPECT_EQ(Lower(r.answer[1].owner), "sip.shop.example.");
    EXPECT_EQ(r.answer[1].rdata, Ip(60));
  }
}

TEST(ResponderTest, MultivalueAnswersUpToEightDistinct) {
  std::vector<std::string> twelve, five;
  for (int i = 1; i <= 12; ++i) {
    twelve.push_back(Ip(i));
  }
  for (int i = 1; i <= 5; ++i) {
    five.push_back(Ip(i));
  }
  DynamicRrSet many{*NameToWire("many.shop.example."),
                    Set(kTypeA, twelve, RrSet::Pick::kUpToEight)};
  DynamicRrSet few{*NameToWire("few.shop.example."), Set(kTypeA, five, RrSet::Pick::kUpToEight)};
  Harness h(testing::kShopZone, {many, few});
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    Response r = h.Ask(Q("many.shop.example.", kTypeA));
    ASSERT_EQ(r.answer.size(), 8u);
    std::set<std::string> distinct;
    for (const auto& rr : r.answer) {
      distinct.insert(rr.rdata);
      seen.insert(rr.rdata);
    }
    EXPECT_EQ(distinct.size(), 8u);
  }
  EXPECT_EQ(seen.size(), 12u);  // every value turns up
  EXPECT_EQ(h.Ask(Q("few.shop.example.", kTypeA)).answer.size(), 5u);
  // The static 12-record set is answered whole.
  EXPECT_EQ(h.Ask(Q("mv.shop.example.", kTypeA)).answer.size(), 12u);
}

}  // namespace
}  // namespace tandem::dns
