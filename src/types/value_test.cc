// Tests for Value equality (DynamoDB semantics), scalar ordering and UTF-8
// validation.
#include "types/value.h"

#include <gtest/gtest.h>

namespace tandem {
namespace {

TEST(ValueEqualityTest, ScalarsByTypeAndContent) {
  EXPECT_EQ(Value::S("a"), Value::S("a"));
  EXPECT_NE(Value::S("a"), Value::S("b"));
  EXPECT_NE(Value::S("1"), Value::N("1"));
  EXPECT_NE(Value::S("YQ=="), Value::B("a"));
  EXPECT_EQ(Value::B(std::string("\0\1", 2)), Value::B(std::string("\0\1", 2)));
  EXPECT_EQ(Value::Bool(true), Value::Bool(true));
  EXPECT_NE(Value::Bool(true), Value::Bool(false));
  EXPECT_EQ(Value::Null(), Value::Null());
  EXPECT_NE(Value::Null(), Value::Bool(true));
}

TEST(ValueEqualityTest, NumbersNumerically) {
  EXPECT_EQ(Value::N("1"), Value::N("1.0"));
  EXPECT_EQ(Value::N("100"), Value::N("1e2"));
  EXPECT_EQ(Value::N("0"), Value::N("-0"));
  EXPECT_NE(Value::N("1"), Value::N("1.0000001"));
}

TEST(ValueEqualityTest, SetsIgnoreOrder) {
  EXPECT_EQ(Value::Set(ValueType::kSS, {"a", "b", "c"}), Value::Set(ValueType::kSS, {"c", "a", "b"}));
  EXPECT_NE(Value::Set(ValueType::kSS, {"a", "b"}), Value::Set(ValueType::kSS, {"a", "b", "c"}));
  EXPECT_NE(Value::Set(ValueType::kSS, {"a"}), Value::Set(ValueType::kBS, {"a"}));
  EXPECT_EQ(Value::Set(ValueType::kNS, {"1", "2.5", "-3"}),
            Value::Set(ValueType::kNS, {"-3.0", "1", "2.50"}));
  EXPECT_NE(Value::Set(ValueType::kNS, {"1", "2"}), Value::Set(ValueType::kNS, {"1", "3"}));
  EXPECT_EQ(Value::Set(ValueType::kBS, {"\x01", "\x02"}), Value::Set(ValueType::kBS, {"\x02", "\x01"}));
}

TEST(ValueEqualityTest, ListsAndMapsElementWise) {
  Value a = Value::List({Value::N("1"), Value::S("x"), Value::Map({{"k", Value::N("2")}})});
  Value b = Value::List({Value::N("1.0"), Value::S("x"), Value::Map({{"k", Value::N("2.00")}})});
  EXPECT_EQ(a, b);
  Value reordered = Value::List({Value::S("x"), Value::N("1"), Value::Map({{"k", Value::N("2")}})});
  EXPECT_NE(a, reordered);
  EXPECT_NE(Value::List({}), Value::List({Value::Null()}));
  EXPECT_EQ(Value::Map({}), Value::Map({}));
  EXPECT_NE(Value::Map({{"a", Value::Null()}}), Value::Map({{"b", Value::Null()}}));
  EXPECT_NE(Value::Map({{"a", Value::N("1")}}), Value::Map({{"a", Value::N("2")}}));
  EXPECT_NE(Value::List({}), Value::Map({}));
}

TEST(CompareScalarsTest, OrdersLikeDynamoDb) {
  EXPECT_EQ(CompareScalars(Value::N("9"), Value::N("10")), -1);
  EXPECT_EQ(CompareScalars(Value::N("-1"), Value::N("-1.0")), 0);
  EXPECT_EQ(CompareScalars(Value::S("9"), Value::S("10")), 1);
  EXPECT_EQ(CompareScalars(Value::S("a"), Value::S("ab")), -1);
  // Bytes compare unsigned: 0xFF sorts after 0x01.
  EXPECT_EQ(CompareScalars(Value::B("\xff"), Value::B("\x01")), 1);
  EXPECT_EQ(CompareScalars(Value::S("\xc3\xa9"), Value::S("z")), 1);
  EXPECT_EQ(CompareScalars(Value::S("a"), Value::N("1")), std::nullopt);
  EXPECT_EQ(CompareScalars(Value::Bool(true), Value::Bool(true)), std::nullopt);
}

TEST(TypeNameTest, DescriptorNames) {
  EXPECT_STREQ(TypeName(ValueType::kBool), "BOOL");
  EXPECT_STREQ(TypeName(ValueType::kNS), "NS");
  EXPECT_STREQ(TypeName(ValueType::kNull), "NULL");
}

TEST(IsValidUtf8Test, AcceptsWellFormed) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("caf\xc3\xa9"));
  EXPECT_TRUE(IsValidUtf8("\xe2\x82\xac"));          // U+20AC
  EXPECT_TRUE(IsValidUtf8("\xf0\x9f\x98\x80"));      // U+1F600
  EXPECT_TRUE(IsValidUtf8("\xf4\x8f\xbf\xbf"));      // U+10FFFF
  EXPECT_TRUE(IsValidUtf8(std::string("a\0b", 3)));  // NUL is valid UTF-8
}

TEST(IsValidUtf8Test, RejectsMalformed) {
  EXPECT_FALSE(IsValidUtf8("\x80"));              // stray continuation
  EXPECT_FALSE(IsValidUtf8("\xc3"));              // truncated
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xe0\x80\xaf"));      // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate U+D800
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xe2\x28\xa1"));      // bad continuation
}

}  // namespace
}  // namespace tandem
