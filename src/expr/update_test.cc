// Tests for update expressions: grammar, validation messages, application.
#include "expr/update.h"

#include <gtest/gtest.h>

#include "expr/projection.h"
#include "expr/test_util.h"

namespace tandem {
namespace {

using testing::N;
using testing::Request;
using testing::S;

std::map<std::string, Value> Values() {
  return {{":one", N("1")},
          {":two", N("2")},
          {":s", S("str")},
          {":l", Value::List({N("9")})},
          {":ss", Value::Set(ValueType::kSS, {"b", "c"})},
          {":ns", Value::Set(ValueType::kNS, {"1"})},
          {":big", N("9.9999999999999999999999999999999999999E+125")}};
}

// Applies `text` to `item`; returns the status.
Status Apply(const std::string& text, Item* item, std::vector<Path>* touched = nullptr) {
  Request r({{"#st", "status"}}, Values());
  StatusOr<Update> u = ParseUpdate(text, &r.context);
  EXPECT_TRUE(u.ok()) << text << ": " << u.status().message();
  if (!u.ok()) {
    return u.status();
  }
  return ApplyUpdate(*u, item, touched);
}

std::string Error(const std::string& text) {
  Request r({{"#a", "a"}}, Values());
  StatusOr<Update> u = ParseUpdate(text, &r.context);
  EXPECT_FALSE(u.ok()) << text;
  return u.ok() ? "" : u.status().message();
}

std::string ApplyError(const std::string& text, Item item) {
  Item before = item;
  Status st = Apply(text, &item);
  EXPECT_FALSE(st.ok()) << text;
  EXPECT_TRUE(item == before) << "item changed by failed update: " << text;
  return st.message();
}

TEST(UpdateApply, SetTopLevelAndArithmetic) {
  Item item;
  ASSERT_TRUE(Apply("SET a = :one, b = :s", &item).ok());
  EXPECT_TRUE(item["a"] == N("1"));
  EXPECT_TRUE(item["b"] == S("str"));
  ASSERT_TRUE(Apply("SET a = a + :two", &item).ok());
  EXPECT_TRUE(item["a"] == N("3"));
  ASSERT_TRUE(Apply("SET a = a - :one", &item).ok());
  EXPECT_TRUE(item["a"] == N("2"));
  ASSERT_TRUE(Apply("SET c = :two - a", &item).ok());
  EXPECT_TRUE(item["c"] == N("0"));
  ASSERT_TRUE(Apply("set #st = (a + :one)", &item).ok());
  EXPECT_TRUE(item["status"] == N("3"));
}

TEST(UpdateApply, RightHandSidesSeeTheOldItem) {
  Item item;
  item["a"] = N("1");
  item["b"] = N("2");
  ASSERT_TRUE(Apply("SET a = b, b = a", &item).ok());
  EXPECT_TRUE(item["a"] == N("2"));
  EXPECT_TRUE(item["b"] == N("1"));
}

TEST(UpdateApply, IfNotExistsAndListAppend) {
  Item item;
  ASSERT_TRUE(Apply("SET a = if_not_exists(a, :one)", &item).ok());
  EXPECT_TRUE(item["a"] == N("1"));
  ASSERT_TRUE(Apply("SET a = if_not_exists(a, :two) + :one", &item).ok());
  EXPECT_TRUE(item["a"] == N("2"));
  ASSERT_TRUE(Apply("SET l = list_append(if_not_exists(l, :l), :l)", &item).ok());
  EXPECT_TRUE(item["l"] == Value::List({N("9"), N("9")}));
  item["l"] = Value::List({N("1")});
  ASSERT_TRUE(Apply("SET l = list_append(:l, l)", &item).ok());
  EXPECT_TRUE(item["l"] == Value::List({N("9"), N("1")}));
}

TEST(UpdateApply, NestedPathsAndListIndexes) {
  Item item;
  item["m"] = Value::Map({{"x", Value::Map({})}});
  item["l"] = Value::List({N("0"), N("1")});
  ASSERT_TRUE(Apply("SET m.x.y = :one, m.z = :s, l[0] = :s, l[7] = :two", &item).ok());
  EXPECT_TRUE(item["m"].map["x"].map["y"] == N("1"));
  EXPECT_TRUE(item["m"].map["z"] == S("str"));
  EXPECT_TRUE(item["l"] == Value::List({S("str"), N("1"), N("2")}));
}

TEST(UpdateApply, RemoveShiftsListsByOriginalIndexes) {
  Item item;
  item["l"] = Value::List({N("0"), N("1"), N("2"), N("3")});
  item["m"] = Value::Map({{"x", N("1")}, {"y", N("2")}});
  item["a"] = N("1");
  std::vector<Path> touched;
  ASSERT_TRUE(Apply("REMOVE l[1], l[3], m.x, a, nope, l[10]", &item, &touched).ok());
  EXPECT_TRUE(item["l"] == Value::List({N("0"), N("2")}));
  EXPECT_TRUE(item["m"] == Value::Map({{"y", N("2")}}));
  EXPECT_EQ(item.count("a"), 0u);
  ASSERT_EQ(touched.size(), 6u);
  EXPECT_EQ(PathToString(touched[0]), "[l, [1]]");
}

TEST(UpdateApply, AddNumbersAndSets) {
  Item item;
  ASSERT_TRUE(Apply("ADD n :one, s :ss", &item).ok());
  EXPECT_TRUE(item["n"] == N("1"));
  EXPECT_TRUE(item["s"] == Value::Set(ValueType::kSS, {"b", "c"}));
  item["s"] = Value::Set(ValueType::kSS, {"a", "b"});
  ASSERT_TRUE(Apply("ADD n :two, s :ss", &item).ok());
  EXPECT_TRUE(item["n"] == N("3"));
  EXPECT_TRUE(item["s"] == Value::Set(ValueType::kSS, {"a", "b", "c"}));
}

TEST(UpdateApply, DeleteFromSets) {
  Item item;
  item["s"] = Value::Set(ValueType::kSS, {"a", "b", "c"});
  ASSERT_TRUE(Apply("DELETE s :ss, nope :ss", &item).ok());
  EXPECT_TRUE(item["s"] == Value::Set(ValueType::kSS, {"a"}));
  item["s"] = Value::Set(ValueType::kSS, {"c", "b"});
  ASSERT_TRUE(Apply("DELETE s :ss", &item).ok());
  EXPECT_EQ(item.count("s"), 0u);
}

TEST(UpdateApply, AllClausesTogether) {
  Item item;
  item["a"] = N("1");
  item["r"] = S("x");
  ASSERT_TRUE(Apply("SET b = :s REMOVE r ADD a :two DELETE zz :ns", &item).ok());
  EXPECT_TRUE(item["a"] == N("3"));
  EXPECT_TRUE(item["b"] == S("str"));
  EXPECT_EQ(item.count("r"), 0u);
}

TEST(UpdateApply, EvaluationErrorsLeaveItemUnchanged) {
  Item item;
  item["a"] = N("1");
  item["s"] = S("x");
  item["l"] = Value::List({N("1")});
  item["m"] = Value::Map({});
  const std::string kInvalidPath =
      "The document path provided in the update expression is invalid for update";
  const std::string kWrongType = "An operand in the update expression has an incorrect data type";
  EXPECT_EQ(ApplyError("SET a = :one, nope.x = :one", item), kInvalidPath);
  EXPECT_EQ(ApplyError("SET a.x = :one", item), kInvalidPath);
  EXPECT_EQ(ApplyError("SET m[0] = :one", item), kInvalidPath);
  EXPECT_EQ(ApplyError("SET l.x = :one", item), kInvalidPath);
  EXPECT_EQ(ApplyError("SET x = nope + :one", item),
            "The provided expression refers to an attribute that does not exist in the item");
  EXPECT_EQ(ApplyError("SET x = s + :one", item), kWrongType);
  EXPECT_EQ(ApplyError("SET x = list_append(a, :l)", item), kWrongType);
  EXPECT_EQ(ApplyError("SET b = :one ADD s :one", item), kWrongType);
  EXPECT_EQ(ApplyError("ADD a :ss", item), kWrongType);
  EXPECT_EQ(ApplyError("DELETE s :ss", item), kWrongType);
  EXPECT_FALSE(ApplyError("SET a = :big + :big", item).empty());
}

TEST(UpdateErrors, Syntax) {
  EXPECT_EQ(Error(""), "Invalid UpdateExpression: The expression can not be empty;");
  EXPECT_EQ(Error("INVALID SYNTAX HERE"),
            "Invalid UpdateExpression: Syntax error; token: \"INVALID\", near: \"INVALID SYNTAX\"");
  EXPECT_EQ(Error("SET a = 3"),
            "Invalid UpdateExpression: Syntax error; token: \"3\", near: \"= 3\"");
  EXPECT_EQ(Error("SET a"), "Invalid UpdateExpression: Syntax error; token: \"<EOF>\", near: \"a\"");
  EXPECT_EQ(Error("ADD a b"),
            "Invalid UpdateExpression: Syntax error; token: \"b\", near: \"a b\"");
  EXPECT_EQ(Error("SET a = :one REMOVE"),
            "Invalid UpdateExpression: Syntax error; token: \"<EOF>\", near: \"REMOVE\"");
}

TEST(UpdateErrors, Validation) {
  EXPECT_EQ(Error("SET a = :one SET b = :two"),
            "Invalid UpdateExpression: The \"SET\" section can only be used once in an update "
            "expression;");
  EXPECT_EQ(Error("SET a = :one REMOVE a.b"),
            "Invalid UpdateExpression: Two document paths overlap with each other; must remove "
            "or rewrite one of these paths; path one: [a], path two: [a, b]");
  EXPECT_EQ(Error("SET a.b = :one REMOVE a[0]"),
            "Invalid UpdateExpression: Two document paths conflict with each other; must remove "
            "or rewrite one of these paths; path one: [a, b], path two: [a, [0]]");
  EXPECT_EQ(Error("ADD a :s"),
            "Invalid UpdateExpression: Incorrect operand type for operator or function; "
            "operator: ADD, operand type: STRING");
  EXPECT_EQ(Error("DELETE a :one"),
            "Invalid UpdateExpression: Incorrect operand type for operator or function; "
            "operator: DELETE, operand type: NUMBER");
  EXPECT_EQ(Error("SET a = b + :s"),
            "Invalid UpdateExpression: Incorrect operand type for operator or function; "
            "operator or function: +, operand type: S");
  EXPECT_EQ(Error("SET a = list_append(b, :one)"),
            "Invalid UpdateExpression: Incorrect operand type for operator or function; "
            "operator or function: list_append, operand type: N");
  EXPECT_EQ(Error("SET a = if_not_exists(:one, :two)"),
            "Invalid UpdateExpression: Operator or function requires a document path; operator "
            "or function: if_not_exists");
  EXPECT_EQ(Error("SET a = list_append(b)"),
            "Invalid UpdateExpression: Incorrect number of operands for operator or function; "
            "operator or function: list_append, number of operands: 1");
  EXPECT_EQ(Error("SET a = foo(b)"), "Invalid UpdateExpression: Invalid function name; function: foo");
  EXPECT_EQ(Error("SET status = :one"),
            "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: "
            "status");
  EXPECT_EQ(Error("SET #b = :one"),
            "Invalid UpdateExpression: An expression attribute name used in the document path is "
            "not defined; attribute name: #b");
  EXPECT_EQ(Error("SET a = :nope"),
            "Invalid UpdateExpression: An expression attribute value used in expression is not "
            "defined; attribute value: :nope");
}

TEST(UpdateProjection, UpdatedNewFromTouchedPaths) {
  Item item;
  item["a"] = N("1");
  item["m"] = Value::Map({{"x", N("1")}, {"y", N("2")}});
  item["other"] = S("x");
  std::vector<Path> touched;
  ASSERT_TRUE(Apply("SET m.x = :two ADD a :one", &item, &touched).ok());
  Item updated = ProjectPaths(touched, item);
  ASSERT_EQ(updated.size(), 2u);
  EXPECT_TRUE(updated["a"] == N("2"));
  EXPECT_TRUE(updated["m"] == Value::Map({{"x", N("2")}}));
}

}  // namespace
}  // namespace tandem
