// Tests for DynamoDB item-size accounting.
#include "types/item_size.h"

#include <gtest/gtest.h>

#include <string>

namespace tandem {
namespace {

TEST(ItemSizeTest, Scalars) {
  EXPECT_EQ(ValueSize(Value::S("")), 0u);
  EXPECT_EQ(ValueSize(Value::S("abc")), 3u);
  EXPECT_EQ(ValueSize(Value::S("caf\xc3\xa9")), 5u);  // UTF-8 bytes
  EXPECT_EQ(ValueSize(Value::B(std::string(10, '\0'))), 10u);
  EXPECT_EQ(ValueSize(Value::Bool(false)), 1u);
  EXPECT_EQ(ValueSize(Value::Null()), 1u);
  EXPECT_EQ(ValueSize(Value::N("0")), 1u);
  EXPECT_EQ(ValueSize(Value::N("12345")), 4u);
  EXPECT_EQ(ValueSize(Value::N("3.14159")), 5u);
  EXPECT_EQ(ValueSize(Value::N("-42")), 3u);
  EXPECT_EQ(ValueSize(Value::N("1" + std::string(125, '0'))), 2u);
}

TEST(ItemSizeTest, Sets) {
  EXPECT_EQ(ValueSize(Value::Set(ValueType::kSS, {"ab", "c", ""})), 3u);
  EXPECT_EQ(ValueSize(Value::Set(ValueType::kBS, {"\x01\x02", "\x03"})), 3u);
  EXPECT_EQ(ValueSize(Value::Set(ValueType::kNS, {"1", "1.5", "-42"})), 2u + 3u + 3u);
}

TEST(ItemSizeTest, ListsAndMaps) {
  EXPECT_EQ(ValueSize(Value::List({})), 3u);
  EXPECT_EQ(ValueSize(Value::Map({})), 3u);
  // 3 + (1 + 2) + (1 + 1)
  EXPECT_EQ(ValueSize(Value::List({Value::S("xy"), Value::Null()})), 8u);
  // 3 + (1 + len("ab") + 1) + (1 + len("c") + 3)
  EXPECT_EQ(ValueSize(Value::Map({{"ab", Value::Bool(true)}, {"c", Value::Map({})}})), 12u);
  Value nested = Value::List({Value::List({Value::S("a")})});  // 3 + 1 + (3 + 1 + 1)
  EXPECT_EQ(ValueSize(nested), 9u);
}

TEST(ItemSizeTest, ItemsCountNamesAndValues) {
  Item item = {{"id", Value::S("abc")},           // 2 + 3
               {"n", Value::N("12345")},          // 1 + 4
               {"flag", Value::Bool(true)},       // 4 + 1
               {"l", Value::List({Value::S("xy")})}};  // 1 + 3 + 1 + 2
  EXPECT_EQ(ItemSize(item), 5u + 5u + 5u + 7u);
  EXPECT_EQ(ItemSize({}), 0u);
}

TEST(ItemSizeTest, MaxItemSizeGate) {
  EXPECT_EQ(kMaxItemSize, 409600u);
  Item item = {{"pk", Value::S("k")}, {"p", Value::S(std::string(409600 - 4, 'x'))}};
  EXPECT_EQ(ItemSize(item), kMaxItemSize);
}

}  // namespace
}  // namespace tandem
