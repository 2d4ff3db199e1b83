#include "probe/canary.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace tandem::probe {
namespace {
namespace json = boost::json;

json::object Describe(std::string_view text) { return json::parse(text).as_object(); }

TEST(ParseKeySchema, HashOnly) {
  auto s = ParseKeySchema(Describe(R"({"Table": {
      "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
      "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]}})"));
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->hash.name, "id");
  EXPECT_EQ(s->hash.type, 'S');
  EXPECT_FALSE(s->range.has_value());
}

TEST(ParseKeySchema, HashAndRangeInAnyOrder) {
  auto s = ParseKeySchema(Describe(R"({"Table": {
      "AttributeDefinitions": [{"AttributeName": "sk", "AttributeType": "B"},
                               {"AttributeName": "pk", "AttributeType": "N"},
                               {"AttributeName": "gsi", "AttributeType": "S"}],
      "KeySchema": [{"AttributeName": "sk", "KeyType": "RANGE"},
                    {"AttributeName": "pk", "KeyType": "HASH"}]}})"));
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->hash.name, "pk");
  EXPECT_EQ(s->hash.type, 'N');
  ASSERT_TRUE(s->range.has_value());
  EXPECT_EQ(s->range->name, "sk");
  EXPECT_EQ(s->range->type, 'B');
}

TEST(ParseKeySchema, Refusals) {
  for (const char* bad : {
           R"({})",
           R"({"Table": {}})",
           R"({"Table": {"AttributeDefinitions": [], "KeySchema": [{"AttributeName": "id",
               "KeyType": "HASH"}]}})",
           R"({"Table": {"AttributeDefinitions": [{"AttributeName": "id", "AttributeType":
               "BOOL"}], "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]}})",
           R"({"Table": {"AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
               "KeySchema": [{"AttributeName": "id", "KeyType": "RANGE"}]}})",
       }) {
    EXPECT_FALSE(ParseKeySchema(Describe(bad)).ok()) << bad;
  }
}

TEST(Canary, IdNamesHostAndPort) {
  EXPECT_EQ(CanaryId("web-1", 8080), "__tandem_probe__#web-1#8080");
}

TEST(Canary, KeyOfEachType) {
  const std::string id = CanaryId("h", 1);
  KeySchema s{{"id", 'S'}, std::nullopt};
  EXPECT_EQ(json::serialize(CanaryKey(s, id)), R"({"id":{"S":"__tandem_probe__#h#1"}})");

  s = {{"n", 'N'}, KeyAttribute{"b", 'B'}};
  const json::object key = CanaryKey(s, id);
  const std::string number(key.at("n").as_object().at("N").as_string());
  EXPECT_EQ(number.size(), 17u);
  EXPECT_EQ(number.rfind("-7357", 0), 0u);
  EXPECT_EQ(number.find_first_not_of("0123456789", 1), std::string::npos) << number;
  // base64 of "__tandem_probe__#h#1"
  EXPECT_EQ(key.at("b").as_object().at("B").as_string(), "X190YW5kZW1fcHJvYmVfXyNoIzE=");
  // Stable, and different for another probe.
  EXPECT_EQ(CanaryKey(s, id), key);
  EXPECT_NE(CanaryKey(s, CanaryId("h", 2)).at("n"), key.at("n"));
}

TEST(Canary, ItemCarriesTheNonce) {
  const KeySchema s{{"id", 'S'}, KeyAttribute{"sk", 'S'}};
  const json::object item = CanaryItem(s, "c", "abc123");
  EXPECT_EQ(json::serialize(item),
            R"({"id":{"S":"c"},"sk":{"S":"c"},"tandem_probe_nonce":{"S":"abc123"}})");
}

TEST(ReadNonce, FromGetItem) {
  auto n =
      ReadNonce(Describe(R"({"Item": {"id": {"S": "c"}, "tandem_probe_nonce": {"S": "abc"}}})"));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, "abc");
  EXPECT_EQ(ReadNonce(Describe("{}")).status().code(), Status::Code::kNotFound);
  EXPECT_EQ(ReadNonce(Describe(R"({"Item": {"id": {"S": "c"}}})")).status().code(),
            Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace tandem::probe
