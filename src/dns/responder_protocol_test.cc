// Responder, protocol edges: header flags, REFUSED/NOTIMP/NOTAUTH/FORMERR,
// dropped packets, classes, EDNS0 (OPT, BADVERS, two OPTs), UDP size limits
// and truncation, TCP sizes, and no heap allocation per query.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "dns/dns_testing.h"
#include "dns/message.h"

// Counts heap allocations so a test can assert the hot path makes none.
// (GCC cannot see that these new and delete are a matching pair.)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
namespace {
std::atomic<size_t> g_allocations{0};
}  // namespace
void* operator new(size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) {
    return p;
  }
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace tandem::dns {
namespace {

using namespace std::string_literals;
using testing::Harness;
using testing::MakeQuery;
using testing::Q;
using testing::QuerySpec;
using testing::Response;

TEST(ResponderProtocolTest, HeaderCopiesIdOpcodeAndRdAndClearsTheRest) {
  Harness h;
  QuerySpec q = Q("www.static.shop.example.", kTypeA);
  q.flags = 0x0130;  // RD AD CD
  q.id = 0xBEEF;
  Response r = h.Ask(q);
  EXPECT_EQ(r.id, 0xBEEF);
  EXPECT_EQ(r.flags, 0x8500);  // QR AA RD; AD and CD cleared; RA 0
  q.flags = 0x0000;
  EXPECT_EQ(h.Ask(q).flags, 0x8400);
  q.flags = 0x0240;  // TC and Z set in a query: ignored
  EXPECT_EQ(h.Ask(q).flags, 0x8400);
}

TEST(ResponderProtocolTest, OutsideTheZonesIsRefused) {
  Harness h;
  for (const char* name : {"www.example.org.", "example.", ".", "xshop.example."}) {
    Response r = h.Ask(Q(name, kTypeA));
    EXPECT_EQ(r.rcode, kRcodeRefused) << name;
    EXPECT_FALSE(r.aa()) << name;
    EXPECT_EQ(r.qdcount, 1) << name;
    EXPECT_EQ(r.qname, name);
    EXPECT_TRUE(r.answer.empty() && r.authority.empty() && r.additional.empty());
  }
}

TEST(ResponderProtocolTest, ClassesInAndAnyAreAnsweredOthersRefused) {
  Harness h;
  QuerySpec q = Q("www.static.shop.example.", kTypeA);
  q.qclass = 255;
  Response any = h.Ask(q);
  EXPECT_EQ(any.rcode, 0);
  EXPECT_TRUE(any.aa());
  ASSERT_EQ(any.answer.size(), 1u);
  EXPECT_EQ(any.answer[0].rclass, 1);
  EXPECT_EQ(any.qclass, 255);
  for (uint16_t cls : {3, 4, 254, 2}) {  // CH, HS, NONE, CS
    q.qclass = cls;
    Response r = h.Ask(q);
    EXPECT_EQ(r.rcode, kRcodeRefused) << cls;
    EXPECT_FALSE(r.aa());
  }
}

TEST(ResponderProtocolTest, OtherOpcodesAreNotImplemented) {
  Harness h;
  for (uint16_t opcode : {1, 2, 3, 4, 5, 15}) {
    QuerySpec q = Q("shop.example.", kTypeSOA);
    q.flags = static_cast<uint16_t>(0x0100 | (opcode << 11));
    Response r = h.Ask(q);
    EXPECT_EQ(r.rcode, kRcodeNotImp) << opcode;
    EXPECT_EQ((r.flags >> 11) & 0xF, opcode);
    EXPECT_EQ(r.qname, "shop.example.");
    EXPECT_FALSE(r.aa());
    EXPECT_TRUE(r.answer.empty());
  }
}

TEST(ResponderProtocolTest, TypeZeroAndZoneTransfers) {
  Harness h;
  EXPECT_EQ(h.Ask(Q("www.static.shop.example.", 0)).rcode, kRcodeNotImp);
  for (uint16_t type : {251, 252}) {
    for (Transport t : {Transport::kUdp, Transport::kTcp}) {
      Response r = h.Ask(Q("shop.example.", type), t);
      // AXFR is TCP only: over UDP it is NOTIMP before any zone check, as
      // in Knot; otherwise no transfers (NOTAUTH, as Knot without an ACL).
      const bool udp_axfr = type == 252 && t == Transport::kUdp;
      EXPECT_EQ(r.rcode, udp_axfr ? kRcodeNotImp : kRcodeNotAuth) << type;
      EXPECT_FALSE(r.aa());
    }
  }
  EXPECT_EQ(h.Ask(Q("not-ours.example.", 252), Transport::kUdp).rcode, kRcodeNotImp);
}

TEST(ResponderProtocolTest, ResponsesAndRuntsAreDropped) {
  Harness h;
  std::vector<uint8_t> query = MakeQuery(Q("www.static.shop.example.", kTypeA));
  for (size_t n = 0; n < 12; ++n) {
    EXPECT_TRUE(h.Raw({query.begin(), query.begin() + n}).empty()) << n;
    EXPECT_TRUE(h.info().dropped);
  }
  query[2] |= 0x80;  // QR
  EXPECT_TRUE(h.Raw(query).empty());
  EXPECT_TRUE(h.info().dropped);
}

// The FORMERR response for `packet`: header only, or with the question.
Response FormErr(Harness& h, const std::vector<uint8_t>& packet) {
  auto raw = h.Raw(packet);
  EXPECT_FALSE(raw.empty());
  auto r = testing::Decode(raw);
  EXPECT_TRUE(r.has_value());
  EXPECT_EQ(r ? r->rcode : 0, kRcodeFormErr);
  EXPECT_EQ(h.info().rcode, kRcodeFormErr);
  return r ? *r : Response{};
}

TEST(ResponderProtocolTest, MalformedQueriesGetFormerr) {
  Harness h;
  const std::vector<uint8_t> good = MakeQuery(Q("www.static.shop.example.", kTypeA));
  std::vector<uint8_t> p = good;
  p[5] = 0;  // QDCOUNT 0
  Response none = FormErr(h, {p.begin(), p.begin() + 12});
  EXPECT_EQ(none.qdcount, 0);
  EXPECT_EQ(none.id, 0x1234);
  EXPECT_FALSE(none.aa());
  p[5] = 2;  // QDCOUNT 2
  EXPECT_EQ(FormErr(h, p).qdcount, 0);
  for (size_t n = 12; n < good.size(); ++n) {  // the question cut short
    EXPECT_EQ(FormErr(h, {good.begin(), good.begin() + n}).qdcount, 0) << n;
  }
  p = good;
  p.push_back(0);  // a trailing byte
  Response trailing = FormErr(h, p);
  EXPECT_EQ(trailing.qdcount, 1);
  EXPECT_EQ(trailing.qname, "www.static.shop.example.");
  p = good;
  p[7] = 1;  // ANCOUNT 1 with nothing there
  EXPECT_EQ(FormErr(h, p).qdcount, 1);
  p = good;
  p[12] = 0xC0;  // a pointer in the question name
  p[13] = 12;
  FormErr(h, p);
  p = good;
  p[12] = 0x43;  // label type 01
  FormErr(h, p);
  std::vector<uint8_t> long_name(good.begin(), good.begin() + 12);
  for (int i = 0; i < 5; ++i) {  // 5 labels of 63: over 255 bytes
    long_name.push_back(63);
    long_name.insert(long_name.end(), 63, 'a');
  }
  long_name.insert(long_name.end(), {0, 0, 1, 0, 1});
  FormErr(h, long_name);
}

TEST(ResponderProtocolTest, OtherOpcodesWithoutAQuestionAreNotImplemented) {
  // IQUERY (RFC 3425), STATUS and DSO (RFC 8490) carry no question: NOTIMP,
  // as Knot answers, not FORMERR; QUERY, NOTIFY and UPDATE need one.
  Harness h;
  std::vector<uint8_t> p = MakeQuery(Q("shop.example.", kTypeSOA));
  p.resize(12);
  p[5] = 0;  // QDCOUNT 0
  for (uint16_t opcode : {1, 2, 6}) {
    p[2] = static_cast<uint8_t>((opcode << 3) | 0x01);
    auto r = testing::Decode(h.Raw(p));
    ASSERT_TRUE(r.has_value()) << opcode;
    EXPECT_EQ(r->rcode, kRcodeNotImp) << opcode;
    EXPECT_EQ(r->qdcount, 0) << opcode;
  }
  for (uint16_t opcode : {0, 4, 5}) {
    p[2] = static_cast<uint8_t>((opcode << 3) | 0x01);
    EXPECT_EQ(FormErr(h, p).qdcount, 0) << opcode;
  }
}

TEST(ResponderProtocolTest, AFormerrWithoutAQuestionStillCarriesTheOpt) {
  // RFC 6891 7: a request with OPT gets OPT back, FORMERR included (dig
  // +header-only sends exactly this).
  Harness h;
  QuerySpec q = Q("shop.example.", kTypeSOA);
  q.edns = true;
  std::vector<uint8_t> p = MakeQuery(q);
  // Drop the question (name "shop.example." = 14 bytes + type + class),
  // keep the OPT record after it.
  p.erase(p.begin() + 12, p.begin() + 12 + 14 + 4);
  p[5] = 0;
  Response r = FormErr(h, p);
  EXPECT_EQ(r.qdcount, 0);
  EXPECT_TRUE(r.opt.has_value());
}

TEST(ResponderProtocolTest, AnOptOutsideTheAdditionalSectionIsMalformed) {
  Harness h;
  QuerySpec q = Q("shop.example.", kTypeSOA);
  q.edns = true;
  std::vector<uint8_t> p = MakeQuery(q);
  p[7] = 1;   // ANCOUNT 1
  p[11] = 0;  // ARCOUNT 0: the OPT is now in the answer section
  FormErr(h, p);
}

TEST(ResponderProtocolTest, EdnsIsEchoedWithOurPayloadAndDo) {
  Harness h;
  QuerySpec q = Q("www.static.shop.example.", kTypeA);
  Response plain = h.Ask(q);
  EXPECT_FALSE(plain.opt.has_value());
  q.edns = true;
  q.payload = 4096;
  q.dnssec_ok = true;
  Response r = h.Ask(q);
  ASSERT_TRUE(r.opt.has_value());
  EXPECT_EQ(r.opt->owner, ".");
  EXPECT_EQ(r.opt->rclass, 1232);      // our payload size
  EXPECT_EQ(r.opt->ttl, 0x00008000u);  // ext rcode 0, version 0, DO
  EXPECT_TRUE(r.opt->rdata.empty());
  EXPECT_EQ(r.answer.size(), 1u);
  EXPECT_EQ(h.last().size(), 68u);  // Knot, without its NSID
  q.dnssec_ok = false;
  EXPECT_EQ(h.Ask(q).opt->ttl, 0u);
  Response refused = h.Ask(Q("www.example.org.", kTypeA));
  EXPECT_FALSE(refused.opt.has_value());
}

TEST(ResponderProtocolTest, EdnsVersionAboveZeroIsBadvers) {
  Harness h;
  QuerySpec q = Q("www.static.shop.example.", kTypeA);
  q.edns = true;
  q.version = 1;
  Response r = h.Ask(q);
  EXPECT_EQ(r.flags, 0x8100);  // QR RD, header rcode 0, not authoritative
  EXPECT_TRUE(r.answer.empty());
  ASSERT_TRUE(r.opt.has_value());
  EXPECT_EQ(r.opt->ttl >> 24, 1u);           // extended rcode: 16 = BADVERS
  EXPECT_EQ((r.opt->ttl >> 16) & 0xFF, 0u);  // our version
  EXPECT_EQ(h.info().rcode, kRcodeBadVers);
}

std::vector<uint8_t> WithOpt(std::vector<uint8_t> p, const std::vector<uint8_t>& opt) {
  p[11] = static_cast<uint8_t>(p[11] + 1);
  p.insert(p.end(), opt.begin(), opt.end());
  return p;
}

TEST(ResponderProtocolTest, OptVariants) {
  Harness h;
  QuerySpec q = Q("www.static.shop.example.", kTypeA);
  q.edns = true;
  const auto with_edns = MakeQuery(q);
  // A second OPT: FORMERR, with an OPT (RFC 6891 7).
  Response two = FormErr(h, WithOpt(with_edns, testing::OptRecord(1232, 0, false)));
  EXPECT_TRUE(two.opt.has_value());
  // An OPT owned by another name than the root is accepted (as Knot).
  std::vector<uint8_t> owned = {1, 'x', 0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 0};
  Response r = *testing::Decode(h.Raw(WithOpt(MakeQuery(Q("www.static.shop.example.", 1)), owned)));
  EXPECT_EQ(r.rcode, 0);
  EXPECT_TRUE(r.opt.has_value());
  // Unknown options are ignored; an option overrunning the OPT is FORMERR.
  std::vector<uint8_t> option = {0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 6, 0xFD, 0xE9, 0, 2, 'h', 'i'};
  auto ok = testing::Decode(h.Raw(WithOpt(MakeQuery(Q("www.static.shop.example.", 1)), option)));
  EXPECT_EQ(ok->rcode, 0);
  EXPECT_EQ(ok->answer.size(), 1u);
  option[14] = 9;
  EXPECT_TRUE(FormErr(h, WithOpt(MakeQuery(Q("www.static.shop.example.", 1)), option)).opt);
}

TEST(ResponderProtocolTest, UdpSizeLimitsAndTruncation) {
  Harness h;
  struct Case {
    bool edns;
    uint16_t payload;
    bool tc;
  };
  // "mid" needs ~900 bytes; "big" ~1830.
  for (const Case& c :
       {Case{false, 0, true}, Case{true, 100, true}, Case{true, 512, true}, Case{true, 900, true},
        Case{true, 1232, false}, Case{true, 4096, false}, Case{true, 65535, false}}) {
    QuerySpec q = Q("mid.shop.example.", kTypeTXT);
    q.edns = c.edns;
    q.payload = c.payload;
    Response r = h.Ask(q);
    const size_t limit = c.edns ? std::clamp<size_t>(c.payload, 512, 1232) : 512;
    EXPECT_LE(h.last().size(), limit) << c.payload;
    EXPECT_EQ(r.tc(), c.tc) << c.payload;
    EXPECT_EQ(h.info().truncated, c.tc);
    EXPECT_EQ(r.answer.size(), c.tc ? 0u : 20u) << c.payload;
    EXPECT_EQ(r.opt.has_value(), c.edns);
    EXPECT_TRUE(r.aa());
    EXPECT_EQ(r.qdcount, 1);
  }
  QuerySpec big = Q("big.shop.example.", kTypeTXT);
  Response r = h.Ask(big);
  EXPECT_TRUE(r.tc());
  EXPECT_EQ(h.last().size(), 34u);  // Knot: header and question
  big.edns = true;
  big.payload = 4096;
  r = h.Ask(big);
  EXPECT_TRUE(r.tc());
  EXPECT_EQ(h.last().size(), 45u);  // Knot: and the OPT
  r = h.Ask(big, Transport::kTcp);
  EXPECT_FALSE(r.tc());
  EXPECT_EQ(r.answer.size(), 40u);
  EXPECT_EQ(h.last().size() - 11, 1825u);  // Knot's TCP answer had no OPT
}

TEST(ResponderProtocolTest, NxdomainThatDoesNotFitIsTruncatedToo) {
  // A long question leaves too little room in 512 bytes for the SOA when the
  // SOA's names are long; the authority section is required, so TC.
  const std::string label(63, 'n');
  const std::string other(63, 'm');
  std::string zone = "$ORIGIN shop.example.\n@ 300 SOA " + label + "." + label + "." + label +
                     ".example. " + other + "." + other + "." + other + ".example. 1 2 3 4 5\n";
  Harness h(zone);
  Response r = h.Ask(Q(label + "." + label + "." + label + ".shop.example.", kTypeA));
  EXPECT_EQ(r.rcode, kRcodeNxDomain);
  EXPECT_TRUE(r.tc());
  EXPECT_TRUE(r.authority.empty());
  EXPECT_LE(h.last().size(), 512u);
}

TEST(ResponderProtocolTest, TooSmallABufferDropsInsteadOfOverrunning) {
  Harness h;
  std::vector<uint8_t> query = MakeQuery(Q("www.static.shop.example.", kTypeA));
  std::vector<uint8_t> out(20, 0xAA);
  out.resize(30, 0x55);
  ResponseInfo info;
  EXPECT_EQ(h.responder().Respond(h.zones(), query, Transport::kUdp,
                                  std::span<uint8_t>(out.data(), 20), &info),
            0u);
  EXPECT_TRUE(info.dropped);
  EXPECT_EQ(out[20], 0x55);
}

TEST(ResponderProtocolTest, AnsweringDoesNotAllocate) {
  Harness h;
  std::vector<std::vector<uint8_t>> queries;
  for (const char* name :
       {"www.static.shop.example.", "chain.shop.example.", "nope.shop.example.",
        "x.wild.shop.example.", "www.child.shop.example.", "shop.example.", "www.example.org."}) {
    for (uint16_t type : {kTypeA, kTypeMX, kTypeNS, kTypeANY}) {
      QuerySpec q = Q(name, type);
      q.edns = type == kTypeMX;
      queries.push_back(MakeQuery(q));
    }
  }
  queries.push_back(MakeQuery(Q("big.shop.example.", kTypeTXT)));
  std::vector<uint8_t> out(65535);
  ResponseInfo info;
  const size_t before = g_allocations.load();
  size_t total = 0;
  for (const auto& q : queries) {
    for (Transport t : {Transport::kUdp, Transport::kTcp}) {
      total += h.responder().Respond(h.zones(), q, t, out, &info);
    }
  }
  EXPECT_EQ(g_allocations.load(), before);
  EXPECT_GT(total, 0u);
}

}  // namespace
}  // namespace tandem::dns
