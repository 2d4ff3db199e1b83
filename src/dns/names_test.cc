// Names, type mnemonics and RDATA from text: round trips and rejections.
#include <gtest/gtest.h>

#include "dns/wire.h"
#include "dns/zone.h"

namespace tandem::dns {
namespace {

using namespace std::string_literals;

TEST(NamesTest, NameToWireLowercasesAndJoinsTheOrigin) {
  EXPECT_EQ(*NameToWire("www.Shop.example."), "\3www\4shop\7example\0"s);
  EXPECT_EQ(*NameToWire("WWW", "Shop.Example."), "\3www\4shop\7example\0"s);
  EXPECT_EQ(*NameToWire("@", "shop.example."), "\4shop\7example\0"s);
  EXPECT_EQ(*NameToWire("."), "\0"s);
  EXPECT_EQ(*NameToWire("a", "."), "\1a\0"s);
  EXPECT_EQ(*NameToWire("shop.example"), "\4shop\7example\0"s);  // origin "." by default
}

TEST(NamesTest, NameToWireEscapes) {
  EXPECT_EQ(*NameToWire("a\\.b.example."), "\3a.b\7example\0"s);
  EXPECT_EQ(*NameToWire("\\065bc.example."), "\3abc\7example\0"s);
  EXPECT_EQ(*NameToWire("x\\032y."), "\3x y\0"s);
}

TEST(NamesTest, NameToWireRejectsBadNames) {
  EXPECT_FALSE(NameToWire("").ok());
  EXPECT_FALSE(NameToWire("a..b.").ok());
  EXPECT_FALSE(NameToWire(".a.").ok());
  EXPECT_FALSE(NameToWire(std::string(64, 'a') + ".").ok());
  EXPECT_TRUE(NameToWire(std::string(63, 'a') + ".").ok());
  std::string long_name;
  for (int i = 0; i < 26; ++i) {
    long_name += "abcdefghi.";  // 26 * 10 = 260 bytes of labels
  }
  EXPECT_FALSE(NameToWire(long_name).ok());
  EXPECT_FALSE(NameToWire("a\\").ok());
  EXPECT_FALSE(NameToWire("a\\25").ok());
  EXPECT_FALSE(NameToWire("a\\256.").ok());
}

TEST(NamesTest, WireToNameRoundTrips) {
  for (const char* name : {"www.shop.example.", ".", "a\\.b.example.", "x\\032y.", "\\@.\\$x.",
                           "_sip._tcp.shop.example.", "*.wild.shop.example."}) {
    auto wire = NameToWire(name);
    ASSERT_TRUE(wire.ok()) << name;
    EXPECT_EQ(WireToName(*wire), name);
    EXPECT_EQ(*NameToWire(WireToName(*wire)), *wire);
  }
  EXPECT_EQ(WireToName("\1\xff\0"s), "\\255.");
}

TEST(NamesTest, TypeMnemonics) {
  EXPECT_EQ(TypeFromName("A"), kTypeA);
  EXPECT_EQ(TypeFromName("aaaa"), kTypeAAAA);
  EXPECT_EQ(TypeFromName("CAA"), kTypeCAA);
  EXPECT_EQ(TypeFromName("SRV"), kTypeSRV);
  EXPECT_EQ(TypeFromName("TYPE123"), 123);
  EXPECT_EQ(TypeFromName("type65535"), 65535);
  EXPECT_EQ(TypeFromName("TYPE65536"), 0);
  EXPECT_EQ(TypeFromName("TYPE"), 0);
  EXPECT_EQ(TypeFromName("FOO"), 0);
  EXPECT_EQ(TypeFromName(""), 0);
  EXPECT_EQ(TypeName(kTypeMX), "MX");
  EXPECT_EQ(TypeName(65280), "TYPE65280");
  for (uint16_t t : {1, 2, 5, 6, 15, 16, 28, 33, 257, 255, 65}) {
    EXPECT_EQ(TypeFromName(TypeName(t)), t);
  }
}

TEST(NamesTest, RdataFromTextForEveryRequiredType) {
  const std::string origin = "shop.example.";
  EXPECT_EQ(*RdataFromText(kTypeA, "192.0.2.1", origin), "\xc0\x00\x02\x01"s);
  EXPECT_EQ(RdataFromText(kTypeAAAA, "2001:db8::1", origin)->size(), 16u);
  EXPECT_EQ(*RdataFromText(kTypeMX, "10 mail", origin), "\0\x0a\4mail\4shop\7example\0"s);
  EXPECT_EQ(*RdataFromText(kTypeCNAME, "www.other.org.", origin), "\3www\5other\3org\0"s);
  EXPECT_EQ(*RdataFromText(kTypeNS, "ns1", origin), "\3ns1\4shop\7example\0"s);
  EXPECT_EQ(*RdataFromText(kTypeTXT, "\"hello world\" two", origin), "\x0bhello world\3two"s);
  EXPECT_EQ(*RdataFromText(kTypeSRV, "10 20 5060 sip", origin),
            "\0\x0a\0\x14\x13\xc4\3sip\4shop\7example\0"s);
  EXPECT_EQ(*RdataFromText(kTypeCAA, "0 issue \"letsencrypt.org\"", origin),
            "\0\5issueletsencrypt.org"s);
  auto soa = RdataFromText(kTypeSOA, "ns1 hostmaster 1 3600 900 604800 60", origin);
  ASSERT_TRUE(soa.ok());
  EXPECT_EQ(soa->size(), 18u + 25u + 20u);  // two names and five numbers
  EXPECT_EQ(RdataFromText(123, "\\# 2 abcd", origin).value(), "\xab\xcd"s);
}

TEST(NamesTest, RdataFromTextRejectsBadValues) {
  const std::string origin = "shop.example.";
  auto bad_ip = RdataFromText(kTypeA, "300.1.1.1", origin);
  ASSERT_FALSE(bad_ip.ok());
  EXPECT_NE(bad_ip.status().message().find("300.1.1.1"), std::string::npos);
  EXPECT_FALSE(RdataFromText(kTypeA, "1.2.3.4 5.6.7.8", origin).ok());
  EXPECT_FALSE(RdataFromText(kTypeA, "1.2.3.4\nx A 1.2.3.4", origin).ok());
  EXPECT_FALSE(RdataFromText(kTypeAAAA, "192.0.2.1", origin).ok());
  EXPECT_FALSE(RdataFromText(kTypeMX, "mail", origin).ok());
  EXPECT_FALSE(RdataFromText(kTypeA, "", origin).ok());
  EXPECT_FALSE(RdataFromText(0, "1", origin).ok());
}

TEST(WireTest, SubdomainsAtLabelBoundaries) {
  const std::string zone = *NameToWire("shop.example.");
  EXPECT_TRUE(IsSubdomain(*NameToWire("shop.example."), zone));
  EXPECT_TRUE(IsSubdomain(*NameToWire("a.b.shop.example."), zone));
  EXPECT_FALSE(IsSubdomain(*NameToWire("xshop.example."), zone));
  EXPECT_FALSE(IsSubdomain(*NameToWire("example."), zone));
  EXPECT_TRUE(IsSubdomain(zone, "\0"s));
}

TEST(WireTest, RdataNamesAreFoundAndMalformedRdataRejected) {
  std::array<RdataName, 2> names;
  EXPECT_EQ(FindRdataNames(kTypeMX, "\0\x0a\4mail\0"s, &names), 1);
  EXPECT_EQ(names[0].offset, 2u);
  EXPECT_TRUE(names[0].compressible);
  EXPECT_EQ(FindRdataNames(kTypeSRV, "\0\1\0\2\0\3\3sip\0"s, &names), 1);
  EXPECT_FALSE(names[0].compressible);
  EXPECT_EQ(FindRdataNames(kTypeMX, "\0\x0a\4mail"s, &names), -1);
  EXPECT_EQ(FindRdataNames(kTypeCNAME, "\3www\0junk"s, &names), -1);
  EXPECT_EQ(FindRdataNames(kTypeSOA, "\0\0"s + std::string(19, '\0'), &names), -1);
  EXPECT_EQ(FindRdataNames(kTypeA, "abcd", &names), 0);
}

TEST(WireTest, WriterCompressesSuffixesCaseInsensitively) {
  uint8_t buf[512];
  PacketWriter w(buf, sizeof buf);
  w.PutBytes("\0\0\0\0\0\0\0\0\0\0\0\0", 12);
  const std::string question = "\3WwW\4ShOp\7example\0"s;
  w.PutBytes(question.data(), question.size());
  w.RegisterName(12, question);
  const size_t before = w.size();
  ASSERT_TRUE(w.PutName(*NameToWire("www.shop.example."), true));
  EXPECT_EQ(w.size() - before, 2u);
  EXPECT_EQ(buf[before], 0xC0);
  EXPECT_EQ(buf[before + 1], 12);
  const size_t mail = w.size();
  ASSERT_TRUE(w.PutName(*NameToWire("mail.shop.example."), true));
  EXPECT_EQ(w.size() - mail, 5u + 2u);  // "mail" + pointer to "shop.example."
  EXPECT_EQ(buf[mail + 6], 12 + 4);
  ASSERT_TRUE(w.PutName(*NameToWire("mail.shop.example."), true));
  EXPECT_EQ(w.size() - mail, 7u + 2u);  // now a pointer to the earlier one
  w.Rewind(mail);
  ASSERT_TRUE(w.PutName(*NameToWire("x.mail.shop.example."), true));
  EXPECT_EQ(w.size() - mail, 2u + 5u + 2u);  // the rewound "mail" is no target any more
  PacketWriter tiny(buf, 14);
  tiny.PutBytes("\0\0\0\0\0\0\0\0\0\0\0\0", 12);
  EXPECT_FALSE(tiny.PutName(*NameToWire("a.b."), true));
  EXPECT_EQ(tiny.size(), 12u);
}

}  // namespace
}  // namespace tandem::dns
