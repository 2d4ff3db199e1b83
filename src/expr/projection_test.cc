// Tests for projection expressions.
#include "expr/projection.h"

#include <gtest/gtest.h>

#include "expr/test_util.h"

namespace tandem {
namespace {

using testing::N;
using testing::Request;
using testing::S;

Item Source() {
  Item item;
  item["a"] = N("1");
  item["b"] = S("x");
  item["l"] = Value::List({N("0"), N("1"), Value::Map({{"k", N("2")}, {"j", N("3")}}), N("3")});
  item["m"] = Value::Map({{"x", Value::Map({{"y", N("7")}, {"z", N("8")}})}, {"w", N("9")}});
  return item;
}

Item ProjectText(const std::string& text) {
  Request r({{"#n", "b"}}, {});
  StatusOr<Projection> p = ParseProjection(text, &r.context);
  EXPECT_TRUE(p.ok()) << text << ": " << p.status().message();
  return p.ok() ? Project(*p, Source()) : Item();
}

std::string Error(const std::string& text) {
  Request r({{"#n", "b"}}, {});
  StatusOr<Projection> p = ParseProjection(text, &r.context);
  EXPECT_FALSE(p.ok()) << text;
  return p.ok() ? "" : p.status().message();
}

TEST(Projection, TopLevelAndPlaceholders) {
  Item out = ProjectText("a, #n, nope");
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(out["a"] == N("1"));
  EXPECT_TRUE(out["b"] == S("x"));
}

TEST(Projection, NestedMapsAndLists) {
  Item out = ProjectText("m.x.y, l[3], l[0], l[2].k, l[9], m.q");
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(out["m"] == Value::Map({{"x", Value::Map({{"y", N("7")}})}}));
  EXPECT_TRUE(out["l"] == Value::List({N("0"), Value::Map({{"k", N("2")}}), N("3")}));
}

TEST(Projection, WrongTypeStepsAreSkipped) {
  Item out = ProjectText("a.b, b[0], m[0]");
  EXPECT_TRUE(out.empty());
}

TEST(Projection, Errors) {
  EXPECT_EQ(Error(""), "Invalid ProjectionExpression: The expression can not be empty;");
  EXPECT_EQ(Error("a, a.b"),
            "Invalid ProjectionExpression: Two document paths overlap with each other; must "
            "remove or rewrite one of these paths; path one: [a], path two: [a, b]");
  EXPECT_EQ(Error("a, a"),
            "Invalid ProjectionExpression: Two document paths overlap with each other; must "
            "remove or rewrite one of these paths; path one: [a], path two: [a]");
  EXPECT_EQ(Error("a.b, a[1]"),
            "Invalid ProjectionExpression: Two document paths conflict with each other; must "
            "remove or rewrite one of these paths; path one: [a, b], path two: [a, [1]]");
  EXPECT_EQ(Error("a, name"),
            "Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved "
            "keyword: name");
  EXPECT_EQ(Error("a, #zz"),
            "Invalid ProjectionExpression: An expression attribute name used in the document "
            "path is not defined; attribute name: #zz");
  EXPECT_EQ(Error("a,"),
            "Invalid ProjectionExpression: Syntax error; token: \"<EOF>\", near: \",\"");
  EXPECT_EQ(Error("a b"), "Invalid ProjectionExpression: Syntax error; token: \"b\", near: \"a b\"");
}

}  // namespace
}  // namespace tandem
