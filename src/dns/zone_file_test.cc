// ReadZoneFile: the directives and forms RFC 1035 master files use, and
// errors that name file:line.
#include <gtest/gtest.h>
#include <unistd.h>

#include "dns/dns_testing.h"
#include "dns/zone.h"

namespace tandem::dns {
namespace {

using namespace std::string_literals;
using testing::WriteTempFile;

class ZoneFileTest : public ::testing::Test {
 protected:
  ~ZoneFileTest() override {
    for (const auto& path : paths_) {
      unlink(path.c_str());
    }
  }
  std::string File(const std::string& text) {
    paths_.push_back(WriteTempFile(text));
    return paths_.back();
  }
  std::vector<std::string> paths_;
};

TEST_F(ZoneFileTest, ReadsDirectivesRelativeNamesAndMultiLineRecords) {
  const std::string path = File(
      "$ORIGIN shop.example.\n"
      "$TTL 300\n"
      "@ IN SOA ns1 hostmaster (\n"
      "     2024010101 3600\n"
      "     900 604800 60 )\n"
      "  IN NS ns1\n"
      "WwW 60 IN A 192.0.2.1\n"
      "    IN AAAA 2001:db8::1 ; blank owner: the previous one\n"
      "mail MX 10 mx.other.example.\n");
  auto records = ReadZoneFile(path, "shop.example.");
  ASSERT_TRUE(records.ok()) << records.status().ToString();
  ASSERT_EQ(records->size(), 5u);
  const auto& r = *records;
  EXPECT_EQ(r[0].type, kTypeSOA);
  EXPECT_EQ(r[0].owner, "\4shop\7example\0"s);
  EXPECT_EQ(r[0].line, 5);  // a multi-line record reports its last line
  EXPECT_EQ(r[0].ttl, 300u);
  EXPECT_EQ(r[1].type, kTypeNS);
  EXPECT_EQ(r[1].rdata, "\3ns1\4shop\7example\0"s);
  EXPECT_EQ(r[2].owner, "\3www\4shop\7example\0"s);  // lower-cased
  EXPECT_EQ(r[2].ttl, 60u);
  EXPECT_EQ(r[3].owner, r[2].owner);
  EXPECT_EQ(r[3].type, kTypeAAAA);
  EXPECT_EQ(r[4].type, kTypeMX);
  EXPECT_EQ(r[4].line, 9);
  ASSERT_TRUE(r[4].file);
  EXPECT_EQ(*r[4].file, path);
}

TEST_F(ZoneFileTest, RecordsWithoutTtlGetTheDefault) {
  const std::string path = File("www A 192.0.2.1\n");
  auto records = ReadZoneFile(path, "shop.example.");
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ((*records)[0].ttl, 3600u);
  EXPECT_EQ((*records)[0].owner, "\3www\4shop\7example\0"s);  // relative to the origin given
}

TEST_F(ZoneFileTest, FirstErrorNamesFileAndLine) {
  const std::string path = File(
      "$TTL 300\n"
      "www A 192.0.2.1\n"
      "bad A 300.0.2.1\n"
      "worse AAAA nonsense\n");
  auto records = ReadZoneFile(path, "shop.example.");
  ASSERT_FALSE(records.ok());
  EXPECT_EQ(records.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(records.status().message().rfind(path + ":3: ", 0), 0u) << records.status().message();
  EXPECT_EQ(records.status().message().find(":4:"), std::string::npos);
}

TEST_F(ZoneFileTest, OtherClassesAreRejected) {
  const std::string path = File("www IN A 192.0.2.1\nver CH TXT \"x\"\n");
  auto records = ReadZoneFile(path, "shop.example.");
  ASSERT_FALSE(records.ok());
  EXPECT_EQ(records.status().message().rfind(path + ":2: ", 0), 0u) << records.status().message();
}

TEST_F(ZoneFileTest, IncludedFilesAreReadAndTheirErrorsNameThem) {
  const std::string good = File("inc A 192.0.2.7\n");
  const std::string top = File("www A 192.0.2.1\n$INCLUDE " + good + "\n");
  auto records = ReadZoneFile(top, "shop.example.");
  ASSERT_TRUE(records.ok()) << records.status().ToString();
  ASSERT_EQ(records->size(), 2u);
  EXPECT_EQ((*records)[1].owner, "\3inc\4shop\7example\0"s);
  ASSERT_TRUE((*records)[1].file);
  EXPECT_NE((*records)[1].file->find(good.substr(good.rfind('/') + 1)), std::string::npos);

  const std::string bad = File("\n\nbroken A 1.2.3\n");
  const std::string top2 = File("www A 192.0.2.1\n$INCLUDE " + bad + "\n");
  auto failed = ReadZoneFile(top2, "shop.example.");
  ASSERT_FALSE(failed.ok());
  const std::string bad_base = bad.substr(bad.rfind('/') + 1);
  EXPECT_NE(failed.status().message().find(bad_base + ":3: "), std::string::npos)
      << failed.status().message();
}

TEST_F(ZoneFileTest, MissingFileIsAnError) {
  auto records = ReadZoneFile("/nonexistent/dir/x.zone", "shop.example.");
  ASSERT_FALSE(records.ok());
  EXPECT_EQ(records.status().message().rfind("/nonexistent/dir/x.zone: ", 0), 0u);
}

TEST_F(ZoneFileTest, EmptyFileHasNoRecords) {
  auto records = ReadZoneFile(File("; nothing here\n"), "shop.example.");
  ASSERT_TRUE(records.ok());
  EXPECT_TRUE(records->empty());
}

}  // namespace
}  // namespace tandem::dns
